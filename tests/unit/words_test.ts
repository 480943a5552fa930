/**
 * Words a user understands: what netkit prints for people (`recipe list`, `--help`, the manual
 * page, a recipe exported as a lab file) names what a lab teaches, never the project's internal
 * references; the manual page explains the lab file; every error has the one prefix. The manual
 * page is made from the same command definitions as every command's `--help`, so it stands for
 * all of them. No root needed.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { netkit } from "../helpers/host.ts";
import { recipes } from "../../recipes/mod.ts";

/** What only the project's own notes mean. */
const INTERNAL = [/seed 0/i, /seed's/i, /\bissue \d/i, /design card/i, /tutorial/i];

function assertNoInternalWords(what: string, text: string): void {
  for (const word of INTERNAL) {
    const at = text.search(word);
    assert(at < 0, `${what} says ${word}: ...${text.slice(Math.max(0, at - 60), at + 60)}...`);
  }
}

Deno.test("recipe list says what each recipe teaches, in words a user understands", async () => {
  const r = await netkit(["recipe", "list", "--json"]);
  assertEquals(r.code, 0, r.stderr);
  const list = JSON.parse(r.stdout) as { name: string; description: string; teaches: string }[];
  assertEquals(list.map((x) => x.name), [...recipes.keys()]);
  for (const x of list) {
    assert(x.teaches.length > 10, `${x.name} teaches nothing`);
    assertNoInternalWords(`recipe ${x.name}`, JSON.stringify(x));
  }
  assertEquals(list.find((x) => x.name === "ovs-veth")?.teaches, "veth pairs into an OVS bridge");
  const table = await netkit(["recipe", "list"]);
  assertEquals(table.code, 0, table.stderr);
  assertMatch(table.stdout, /teaches/);
  assertNoInternalWords("recipe list", table.stdout);
});

Deno.test("--help, the manual page and exported recipes hold no internal references", async () => {
  for (const args of [["--help"], ["recipe", "--help"], ["man"], ["recipe", "export", "router"]]) {
    const r = await netkit(args);
    assertEquals(r.code, 0, r.stderr);
    assertNoInternalWords(`netkit ${args.join(" ")}`, r.stdout);
  }
});

Deno.test("the manual page has a LAB FILE section that explains every part of a lab file", async () => {
  const r = await netkit(["man"]);
  assertEquals(r.code, 0, r.stderr);
  const section = r.stdout.slice(r.stdout.indexOf(".SH LAB FILE"), r.stdout.indexOf(".SH EXIT"));
  assert(section.length > 1000, "no LAB FILE section before EXIT STATUS");
  const parts = [
    "nodes.NAME",
    "nodes.NAME.interfaces.IFNAME",
    "bridges.NAME",
    "links[]",
    "expect[]",
  ];
  for (const part of parts) assert(section.includes(`.SS "${part}`), `no subsection ${part}`);
  // A field and its description, as editors show it on hover.
  assertMatch(section, /\.B addresses\nStatic addresses with prefix/);
});

Deno.test("every error has one prefix: a bad command line as much as a bad lab file", async () => {
  const line = await netkit(["bogus"]);
  assertEquals(line.code, 2);
  assertMatch(line.stderr, /^netkit: error: unknown command 'bogus'\n/);
  const file = await netkit(["validate", "/nonexistent/lab.yaml"]);
  assertEquals(file.code, 2);
  assertMatch(file.stderr, /^\/nonexistent\/lab\.yaml:1:1: no such file$/m);
  const up = await netkit(["up", "/nonexistent/lab.yaml", "--dry-run"]);
  assertEquals(up.code, 2);
  assertMatch(up.stderr, /^netkit: error: invalid lab file \/nonexistent\/lab\.yaml/);
});
