/**
 * docs/lab-file-reference.md is what tools/lab_reference.ts generates from the lab file's JSON
 * Schema today (so it cannot drift from what netkit accepts), and it documents every key of the
 * schema, `nat` and `dhcpServer` included, with its description; its links lead to its headings.
 * No root needed.
 *
 * @module
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { labJsonSchema } from "../../lib/lab/json_schema.ts";
import { labReference, typeOf } from "../../tools/lab_reference.ts";

const FILE = new URL("../../docs/lab-file-reference.md", import.meta.url);
type Schema = Record<string, unknown>;

/** Every property of the schema, wherever it is: its key and its description. */
function properties(s: unknown, out: Array<[string, string]> = []): Array<[string, string]> {
  if (Array.isArray(s)) s.forEach((x) => properties(x, out));
  if (typeof s !== "object" || s === null || Array.isArray(s)) return out;
  const o = s as Schema;
  if (typeof o.properties === "object" && o.properties !== null) {
    for (const [key, p] of Object.entries(o.properties as Record<string, Schema>)) {
      out.push([key, String(p.description ?? "")]);
      properties(p, out);
    }
  }
  for (const k of ["items", "additionalProperties", "anyOf", "prefixItems"]) properties(o[k], out);
  return out;
}

Deno.test("docs/lab-file-reference.md is the generator's output (make docs refreshes it)", async () => {
  const file = await Deno.readTextFile(FILE);
  assert(
    file === labReference(),
    "docs/lab-file-reference.md is out of date: run make docs (tools/lab_reference.ts)",
  );
});

Deno.test("the lab file reference has a row, with its description, for every key of the schema", () => {
  const text = labReference();
  const rows = text.split("\n").filter((l) => l.startsWith("| `"));
  const all = properties(labJsonSchema());
  assert(all.length > 150, `only ${all.length} keys found in the schema`);
  for (const [key, description] of all) {
    assert(description !== "", `the schema's key ${key} has no description`);
    const cell = description.replaceAll("|", "\\|");
    assert(
      rows.some((r) => r.startsWith(`| \`${key}\` |`) && r.includes(cell)),
      `no row for ${key} ("${description}")`,
    );
  }
});

Deno.test("the lab file reference documents nat and dhcpServer, key by key", () => {
  const text = labReference();
  const section = (heading: string) => {
    const start = text.indexOf(`\n## ${heading}\n`);
    assert(start >= 0, `no section ${heading}`);
    const end = text.indexOf("\n## ", start + 1);
    return text.slice(start, end < 0 ? undefined : end);
  };
  const nat = section("`nodes.<node>.nat[]`");
  for (const key of ["type", "source", "notDestination", "toSource", "outInterface"]) {
    assert(nat.includes(`| \`${key}\` |`), `nat: no row for ${key}`);
  }
  assert(nat.includes("| `type` | `snat` or `masquerade` | required |"), nat);
  const dhcp = section("`nodes.<node>.dhcpServer`");
  for (const key of ["interface", "range", "leaseTime", "router", "range6", "slaac"]) {
    assert(dhcp.includes(`| \`${key}\` |`), `dhcpServer: no row for ${key}`);
  }
  assert(dhcp.includes("| `leaseTime` | integer (≥ 120, ≤ 31536000) |"), dhcp);
  assert(text.includes("[`nodes.<node>.nat[]`](#nodesnodenat)"), "the nodes table links to nat");
});

Deno.test("every link of the lab file reference leads to one of its headings", () => {
  const text = labReference();
  const slug = (h: string) =>
    h.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
  const anchors = new Set(
    text.split("\n").filter((l) => l.startsWith("#")).map((l) => slug(l.replace(/^#+ /, ""))),
  );
  const links = [...text.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] ?? "");
  assert(links.length > 30, `only ${links.length} links`);
  for (const link of links) assert(anchors.has(link), `link #${link} leads nowhere`);
});

Deno.test("labReference() gives a key its type, bounds, default and description", () => {
  const schema = {
    type: "object",
    properties: {
      a: {
        type: "object",
        description: "An a.",
        properties: {
          b: { type: "integer", minimum: 1, maximum: 3, default: 2, description: "A b | two." },
          c: { type: "string", enum: ["x", "y"], description: "A c." },
        },
        required: ["c"],
      },
    },
  };
  const text = labReference(schema);
  assert(text.includes("\n## `a`\n\nAn a.\n"), text);
  assert(text.includes("| `b` | integer (≥ 1, ≤ 3) | `2` | A b \\| two. |"), text);
  assert(text.includes("| `c` | `x` or `y` | required | A c. |"), text);
  assert(text.includes("| `a` | object |  | An a. See [`a`](#a). |"), text);
  assertEquals(typeOf({ type: "array", items: { type: "string" } }), "list of string");
});
