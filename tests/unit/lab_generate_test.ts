/** `generate:` in lab files: many nodes in a few lines, and its mistakes with their place. */
import { assertEquals, assertMatch, assertThrows } from "../helpers/assert.ts";
import { LabFileError, loadLabFile, parseLabYaml } from "../../mod.ts";

Deno.test("a lab file's generate: star makes N nodes with addresses, links and a proof", async () => {
  const lab = await loadLabFile(
    new URL("../../examples/labs/star-50.yaml", import.meta.url).pathname,
  );
  assertEquals(Object.keys(lab.nodes).length, 50);
  assertEquals(lab.nodes["s-h50"]?.interfaces.eth0?.addresses, ["10.50.0.50/16"]);
  assertEquals(lab.bridges["s-br"]?.type, "ovs");
  assertEquals(lab.links.length, 50);
  assertEquals(lab.expect, [{ ping: { from: "s-h1", to: "10.50.0.50" }, reach: true }]);
});

Deno.test("generate: entries merge with nodes written by hand", () => {
  const lab = parseLabYaml(
    [
      "name: mixed",
      "generate:",
      "  - chain: { prefix: c-, count: 3 }",
      "nodes:",
      "  solo: {}",
    ].join("\n"),
    "mixed.yaml",
  );
  assertEquals(Object.keys(lab.nodes).sort(), ["c-n1", "c-n2", "c-n3", "solo"]);
  assertEquals(lab.nodes["c-n2"]?.role, "router");
});

Deno.test("generate: mistakes are reported at their line and column", () => {
  const e = assertThrows(
    () => parseLabYaml("name: x\ngenerate:\n  - star: { count: 0 }\n", "bad.yaml"),
    LabFileError,
  );
  assertMatch(e.message, /bad\.yaml:3:\d+: .*(>=|too small|1)/);
  const twice = assertThrows(
    () =>
      parseLabYaml(
        "name: x\nnodes:\n  s-h1: {}\ngenerate:\n  - star: { prefix: s-, count: 2 }\n",
        "twice.yaml",
      ),
    LabFileError,
  );
  assertMatch(twice.message, /twice\.yaml:5:\d+: "s-h1" is defined twice/);
});
