/**
 * `netkit schema`: the JSON Schema generated from the zod schemas accepts every example lab file
 * and every recipe's export, rejects what `validate` rejects for its shape, and the copy in
 * schema/lab.schema.json (which the examples' editor modelines point at) is the generated one.
 * Checked with an independent validator (ajv). No root needed.
 *
 * @module
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { Ajv2020 } from "../../lib/deps/ajv.ts";
import { parse } from "../../lib/deps/yaml.ts";
import { labJsonSchema } from "../../lib/lab/json_schema.ts";
import { recipes } from "../../recipes/mod.ts";
import { netkit } from "../helpers/host.ts";

const ROOT = new URL("../../", import.meta.url);
const ajv = new Ajv2020({ allErrors: true, strict: false });
const check = ajv.compile(labJsonSchema());
const errors = () => JSON.stringify(check.errors, null, 1);

Deno.test("the schema accepts every example lab file, which names it in its modeline", async () => {
  const dir = new URL("examples/labs/", ROOT);
  let n = 0;
  for await (const e of Deno.readDir(dir)) {
    if (!/\.ya?ml$/.test(e.name)) continue;
    const text = await Deno.readTextFile(new URL(e.name, dir));
    assert(
      text.startsWith("# yaml-language-server: $schema=../../schema/lab.schema.json\n"),
      `${e.name} has no schema modeline`,
    );
    assert(check(parse(text)), `${e.name}: ${errors()}`);
    n++;
  }
  assert(n >= 2, `only ${n} example lab files`);
});

Deno.test("the schema accepts every recipe's export (netkit recipe export NAME)", async () => {
  for (const name of recipes.keys()) {
    const r = await netkit(["recipe", "export", name]);
    assertEquals(r.code, 0, r.stderr);
    assert(check(parse(r.stdout)), `recipe ${name}: ${errors()}`);
  }
});

Deno.test("the schema rejects unknown keys, wrong types and bad names", () => {
  const good = {
    name: "x",
    nodes: { a: { interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } } },
  };
  assert(check(good), errors());
  assert(!check({ ...good, colour: "blue" }), "an unknown top-level key passed");
  assert(!check({ name: "x", nodes: { a: { role: "switch" } } }), "an unknown role passed");
  assert(!check({ name: "x", bridges: { "b r": { type: "linux" } } }), "a bad name passed");
  assert(!check({ nodes: {} }), "a lab without a name passed");
  assert(!check({ name: "x", generate: [{ torus: { count: 3 } }] }), "an unknown generator passed");
});

Deno.test("netkit schema prints the generated schema, and schema/lab.schema.json is it", async () => {
  const r = await netkit(["schema"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(JSON.parse(r.stdout), labJsonSchema());
  const committed = await Deno.readTextFile(new URL("schema/lab.schema.json", ROOT));
  assertEquals(committed, r.stdout, "schema/lab.schema.json is stale: run make schema");
});

Deno.test("every property of the lab file's JSON Schema has a description (editors show it)", () => {
  const missing: string[] = [];
  let properties = 0;
  const walk = (node: unknown, at: string): void => {
    if (Array.isArray(node)) return node.forEach((v, i) => walk(v, `${at}/${i}`));
    if (typeof node !== "object" || node === null) return;
    const props = (node as { properties?: Record<string, Record<string, unknown>> }).properties;
    for (const [key, prop] of Object.entries(props ?? {})) {
      properties++;
      if (typeof prop.description !== "string" || prop.description.length < 8) {
        missing.push(`${at}/properties/${key}`);
      }
    }
    for (const [key, value] of Object.entries(node)) walk(value, `${at}/${key}`);
  };
  walk(labJsonSchema(), "");
  assert(properties > 150, `only ${properties} properties`);
  assertEquals(missing, []);
});
