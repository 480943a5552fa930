/** `netkit graph`'s renderers, on the recipes' labs. */
import { assert, assertMatch } from "../helpers/assert.ts";
import { getRecipe, validateLab } from "../../mod.ts";
import { graphDot, graphMermaid, graphText } from "../../lib/lab/graph.ts";

const lab = (name: string) => validateLab(getRecipe(name).build());

Deno.test("graphText() draws each bridge as a box with every port and its far end", () => {
  const text = graphText(lab("ovs-veth"));
  assertMatch(text, /┌─ br1 \(OVS\) ─+┐/);
  assertMatch(text, /│ veth-ns1 ──── ns1:eth0-ns1 +10\.0\.0\.1\/24 +│/);
  assertMatch(text, /│ veth-ns2 ──── ns2:eth0-ns2 +10\.0\.0\.2\/24 +│/);
  const lines = text.split("\n").filter((l) => /^[┌│└]/.test(l));
  assert(new Set(lines.map((l) => [...l].length)).size === 1, "box edges line up");
});

Deno.test("graphText() shows internal ports and tags", () => {
  assertMatch(graphText(lab("ovs-internal")), /tap1 \(internal\) ──── ns1:tap1/);
});

Deno.test("graphMermaid() and graphDot() name every node, bridge and link", () => {
  const m = graphMermaid(lab("ovs-veth"));
  assertMatch(m, /^graph LR/);
  assertMatch(m, /ns1\["ns1<br\/>eth0-ns1 10\.0\.0\.1\/24"\]/);
  assertMatch(m, /ns1 ---\|"eth0-ns1 \/ veth-ns1"\| br1/);
  const d = graphDot(lab("ovs-veth"));
  assertMatch(d, /^graph "ovs-veth" \{/);
  assertMatch(d, /"ns1" -- "br1" \[label="eth0-ns1 10\.0\.0\.1\/24 \/ veth-ns1"\];/);
  assertMatch(d, /label="br1\\novs"/);
});
