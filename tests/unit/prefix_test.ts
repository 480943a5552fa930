/**
 * `--prefix` for lab files (lib/lab/prefix.ts): the same renaming recipes do with their `prefix`
 * option, done on a lab description after it is read; names that would get too long, and flows
 * that name ports, refused with FILE:LINE:COL. No root needed.
 *
 * @module
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { prefixLab } from "../../lib/lab/prefix.ts";
import { validateLab } from "../../lib/lab/validate.ts";
import { LabFileError, parseLabSource } from "../../lib/lab/file.ts";
import { recipes } from "../../recipes/mod.ts";

/** Plain data, so that maps without a prototype compare equal to plain objects. */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

Deno.test("prefixLab() renames a lab the way each recipe's own prefix option does", () => {
  for (const recipe of recipes.values()) {
    const unprefixed = validateLab(recipe.build({}), recipe.name);
    const prefixed = validateLab(recipe.build({ prefix: "t1-" }), recipe.name);
    const renamed = prefixLab(unprefixed, "t1-");
    assertEquals(renamed.problems, [], recipe.name);
    const want = plain(prefixed);
    const got = plain(validateLab(renamed.lab, recipe.name));
    // Mirror names live inside their bridge (which has the prefix): recipes prefix them anyway.
    for (const b of Object.values(want.bridges) as { mirrors?: Record<string, unknown> }[]) {
      if (b.mirrors) {
        b.mirrors = Object.fromEntries(
          Object.entries(b.mirrors).map(([k, v]) => [k.replace(/^t1-/, ""), v]),
        );
      }
    }
    assertEquals(got, want, recipe.name);
  }
});

Deno.test("prefixLab() is pure, and keeps the interfaces inside nodes", () => {
  const lab = validateLab(recipes.get("router")!.build({}));
  const before = plain(lab);
  const { lab: renamed } = prefixLab(lab, "x-");
  assertEquals(plain(lab), before);
  assertEquals(Object.keys(renamed.nodes["x-rt"]!.interfaces).sort(), ["eth0", "eth1"]);
  assertEquals(renamed.nodes["x-vm1"]!.routes, lab.nodes.vm1!.routes);
  assert(!Object.hasOwn(renamed.nodes, "rt"));
});

Deno.test("a prefix that makes a name too long is refused at the name, in the file", () => {
  const text = "name: pair\nnodes:\n  a: {}\nbridges:\n  br-twelve-ch: { type: linux }\n" +
    "links:\n  - endpoints: [a:eth0, br-twelve-ch:a-p]\n";
  const source = parseLabSource(text, "lab.yaml");
  const { problems } = prefixLab(source.lab, "abcd-");
  const error = source.errorAt(problems);
  assert(error instanceof LabFileError);
  assertEquals(error.problems.map((p) => `${p.line}:${p.column}: ${p.message}`), [
    '5:3: with --prefix abcd-, the bridge name "abcd-br-twelve-ch" is 17 bytes: at most 15 ' +
    "(use a shorter prefix)",
  ]);
});

Deno.test("a flow that names a port is refused: netkit does not rewrite flows", () => {
  const text = "name: f\nnodes:\n  a: {}\nbridges:\n  br0:\n    type: ovs\n    flows:\n" +
    "      - priority=10,in_port=a-p,actions=drop\nlinks:\n  - endpoints: [a:eth0, br0:a-p]\n";
  const source = parseLabSource(text, "lab.yaml");
  const { problems } = prefixLab(source.lab, "t-");
  assertEquals(
    source.errorAt(problems).problems.map((p) => `${p.line}:${p.column}: ${p.message}`),
    [
      "8:9: --prefix cannot rename the ports this flow names (a-p): netkit does not rewrite a " +
      "flow; rename them in the file instead",
    ],
  );
});
