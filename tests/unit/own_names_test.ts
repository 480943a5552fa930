/**
 * Names from a file are the lab's own (lib/lab/own_names.ts): every name-keyed map of a parsed lab
 * has no prototype, so `name in lab.nodes` and `lab.nodes[name]` find only what the lab defines;
 * every place in lib/ that parses a lab with the schema makes it so; the code that reads a
 * document before the schema asks `in` only about fixed keys. No root needed.
 *
 * @module
 */
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { parseLabYaml } from "../../lib/lab/file.ts";
import { LabValidationError, validateLab } from "../../lib/lab/validate.ts";
import { INHERITED_NAMES, inheritedKeyIssues } from "../../lib/lab/own_names.ts";
import { recipes } from "../../recipes/mod.ts";
import type { Lab } from "../../lib/lab/schema.ts";

const LIB = new URL("../../lib/", import.meta.url).pathname;

/** Every name-keyed map of `lab`, with where it is. */
function nameMaps(lab: Lab): [string, object][] {
  const maps: [string, object][] = [["nodes", lab.nodes], ["bridges", lab.bridges]];
  if (lab.hosts) maps.push(["hosts", lab.hosts]);
  for (const [n, node] of Object.entries(lab.nodes)) {
    maps.push([`nodes.${n}.interfaces`, node.interfaces], [`nodes.${n}.sysctls`, node.sysctls]);
  }
  for (const [b, bridge] of Object.entries(lab.bridges)) {
    maps.push([`bridges.${b}.ports`, bridge.ports]);
    if (bridge.mirrors) maps.push([`bridges.${b}.mirrors`, bridge.mirrors]);
  }
  return maps;
}

function assertOwnNames(lab: Lab, what: string): void {
  for (const [where, map] of nameMaps(lab)) {
    assertEquals(Object.getPrototypeOf(map), null, `${what}: ${where} has a prototype`);
    for (const name of INHERITED_NAMES) assert(!(name in map), `${what}: ${name} in ${where}`);
  }
}

async function* libFiles(dir = LIB): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) yield* libFiles(`${dir}${e.name}/`);
    else if (e.name.endsWith(".ts")) yield `${dir}${e.name}`;
  }
}

Deno.test("INHERITED_NAMES is every property name of Object.prototype", () => {
  for (
    const name of [
      "constructor",
      "__proto__",
      "toString",
      "valueOf",
      "hasOwnProperty",
      "isPrototypeOf",
      "propertyIsEnumerable",
      "toLocaleString",
      "__defineGetter__",
      "__defineSetter__",
      "__lookupGetter__",
      "__lookupSetter__",
    ]
  ) assert(INHERITED_NAMES.has(name), name);
});

Deno.test("a validated lab's name-keyed maps have no prototype: recipes, lab files, topologies", () => {
  for (const recipe of recipes.values()) {
    assertOwnNames(validateLab(recipe.build({ prefix: "on-" })), `recipe ${recipe.name}`);
  }
  const file = parseLabYaml(
    [
      "name: own",
      "nodes:",
      "  a: { interfaces: { eth0: { addresses: [10.9.0.1/24] } }, sysctls: {} }",
      "  b: { interfaces: { eth0: { addresses: [10.9.0.2/24] } } }",
      "bridges:",
      "  br: { type: ovs, ports: { p1: {}, p2: {} }, mirrors: { m: { select: all, output: p2 } } }",
      "links:",
      "  - endpoints: [a:eth0, br:p1]",
      "  - endpoints: [b:eth0, br:p2]",
    ].join("\n"),
    "own.yaml",
  );
  assertOwnNames(file, "a lab file");
  assertEquals(file.nodes.constructor, undefined);
  const topology = parseLabYaml(
    [
      "name: own",
      "topology:",
      "  nodes:",
      "    n1: { kind: linux, exec: [ip addr add 10.9.0.1/24 dev eth1, sysctl -w net.ipv4.ip_forward=1] }",
      "    n2: { kind: linux }",
      "  links:",
      "    - endpoints: [n1:eth1, n2:eth1]",
    ].join("\n"),
    "own.clab.yml",
  );
  assertOwnNames(topology, "a topology");
});

Deno.test("a key every object has is refused at the key, __proto__ too (the schema would drop it)", () => {
  const doc = JSON.parse(
    '{"name":"x","nodes":{"__proto__":{},"a":{"interfaces":{"toString":{}}}}}',
  ) as object;
  assertEquals(inheritedKeyIssues(doc).map((i) => i.path.join(".")), [
    "nodes.__proto__",
    "nodes.a.interfaces.toString",
  ]);
  const error = assertThrows(() => validateLab(doc), LabValidationError);
  assertEquals(error.issues.length, 2);
  // A document that refers to itself (YAML aliases can) is walked once.
  const cyclic: Record<string, unknown> = { name: "x" };
  cyclic.self = cyclic;
  assertEquals(inheritedKeyIssues(cyclic), []);
});

Deno.test("every place in lib/ that parses a lab with the schema takes the prototypes off", async () => {
  const parsers: string[] = [];
  for await (const file of libFiles()) {
    const text = await Deno.readTextFile(file);
    if (!/LabSchema\.(safeParse|parse)\(/.test(text)) continue;
    parsers.push(file.slice(LIB.length));
    assert(/\bownNames\(/.test(text), `${file} parses a lab without ownNames()`);
  }
  assert(parsers.length >= 3, parsers.join(", "));
});

Deno.test("code that reads a document before the schema asks `in` only about fixed keys", async () => {
  // These read objects straight from YAML, which have a prototype: a name from the file is
  // looked up with Object.hasOwn (or in a Map), never with `name in object`.
  for (const file of ["lab/clab.ts", "lab/expand.ts", "lab/file.ts", "lab/own_names.ts"]) {
    const code = (await Deno.readTextFile(`${LIB}${file}`))
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/\/\/.*$/gm, "")
      .replace(/`(?:\\.|[^`\\])*`/g, "``")
      .replace(/"(?:\\.|[^"\\\n])*"/g, '""')
      .replace(/'(?:\\.|[^'\\\n])*'/g, "''");
    const uses = [...code.matchAll(/([\w.\]\)'"]+)\s+in\s+(?!keyof\b)[\w(!]/g)]
      .map((m) => m[1]!)
      .filter((left) => !/^["'].*["']$/.test(left));
    assertEquals(uses, [], `${file}: \`in\` with a name that is not a fixed key`);
  }
});
