/** `generate:` in lab files: many nodes in a few lines, and its mistakes with their place. */
import { assert, assertEquals, assertMatch, assertThrows } from "../helpers/assert.ts";
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

Deno.test("generate: clos makes a leaf-spine fabric with eBGP, ECMP and its proofs", () => {
  const lab = parseLabYaml(
    "name: f\ngenerate:\n  - clos: { prefix: f-, spines: 2, leaves: 3, hostsPerLeaf: 2 }\n",
    "f.yaml",
  );
  assertEquals(Object.keys(lab.nodes).length, 2 + 3 + 6);
  assertEquals(lab.links.length, 2 * 3 + 6);
  // RFC 7938: one AS for the spines, one per leaf; each leaf announces its hosts' /24.
  const leaf2 = lab.nodes["f-leaf2"]!;
  assertEquals(leaf2.role, "router");
  assertEquals(leaf2.routing?.bgp?.asn, 65002);
  assertEquals(leaf2.routing?.bgp?.maximumPaths, 2);
  assertEquals(leaf2.routing?.bgp?.networks, ["10.100.2.0/24"]);
  assertEquals(leaf2.routing?.bgp?.neighbors, [
    { address: "10.1.0.9", asn: 65000 },
    { address: "10.1.0.13", asn: 65000 },
  ]);
  assertEquals(lab.nodes["f-spine2"]?.routing?.bgp?.neighbors.map((n) => n.asn), [
    65001,
    65002,
    65003,
  ]);
  assertEquals(lab.nodes["f-h3"]?.interfaces.eth0?.addresses, ["10.100.2.2/30"]);
  assertEquals(lab.nodes["f-h3"]?.routes, [{ to: "default", via: "10.100.2.1" }]);
  // 6 hosts: all 30 pairs; a route over both spines per leaf; a spine's links down.
  assertEquals(lab.expect.filter((e) => "ping" in e).length, 30);
  assertEquals(lab.expect.filter((e) => "route" in e).length, 3);
  assertEquals(
    lab.expect.find((e) => "route" in e),
    { route: { node: "f-leaf1", to: "10.100.2.0/24", protocol: "bgp", nexthops: 2 } },
  );
  assertEquals(
    lab.expect.find((e) => "failover" in e),
    { failover: { down: "f-spine1", from: "f-h1", to: "10.100.3.6" } },
  );
});

Deno.test("generate: a 4 x 32 x 4 fabric stays within a lab's limits, with proofs on every host", () => {
  const lab = parseLabYaml(
    "name: big\ngenerate:\n  - clos: { spines: 4, leaves: 32, hostsPerLeaf: 4 }\n",
    "big.yaml",
  );
  assertEquals(Object.keys(lab.nodes).length, 164);
  assert(lab.expect.length <= 192);
  const pinged = new Set(lab.expect.flatMap((e) => "ping" in e && e.ping ? [e.ping.from] : []));
  assertEquals(pinged.size, 128);
});

Deno.test("generate: tree, ring and mesh number their links and route statically", () => {
  const lab = parseLabYaml(
    [
      "name: shapes",
      "generate:",
      "  - tree: { depth: 2, fanout: 2 }",
      "  - ring: { count: 5 }",
      "  - mesh: { prefix: m-, count: 3 }",
    ].join("\n"),
    "shapes.yaml",
  );
  // Mininet's tree: s1 over s2, s3, hosts h1..h4; one route per child subtree.
  assertEquals(lab.nodes["s1"]?.routes, [
    { to: "10.70.0.0/28", via: "10.70.0.2" },
    { to: "10.70.0.16/28", via: "10.70.0.18" },
  ]);
  assertEquals(lab.nodes["h4"]?.routes, [{ to: "default", via: "10.70.0.25" }]);
  // The ring sends each link's addresses the shorter way round.
  assertEquals(lab.nodes["r1"]?.routes, [
    { to: "10.80.0.4/30", via: "10.80.0.2" },
    { to: "10.80.0.8/30", via: "10.80.0.2" },
    { to: "10.80.0.12/30", via: "10.80.0.17" },
  ]);
  assertEquals(Object.keys(lab.nodes["m-r2"]?.interfaces ?? {}), ["r1", "r3"]);
  assertEquals(lab.links.filter((l) => l.endpoints[0].startsWith("m-")).length, 3);
});

Deno.test("generate: a fabric's mistakes are reported at their line", () => {
  const e = assertThrows(
    () => parseLabYaml("name: x\ngenerate:\n  - clos: { spines: 0, leaves: 2 }\n", "bad.yaml"),
    LabFileError,
  );
  assertMatch(e.message, /bad\.yaml:3:\d+: /);
  const asn = assertThrows(
    () =>
      parseLabYaml(
        "name: x\ngenerate:\n  - clos: { spines: 1, leaves: 2, spineAsn: 65002 }\n",
        "asn.yaml",
      ),
    LabFileError,
  );
  assertMatch(asn.message, /asn\.yaml:3:\d+: The spines' AS number 65002 is also a leaf's/);
  const big = assertThrows(
    () => parseLabYaml("name: x\ngenerate:\n  - tree: { depth: 12, fanout: 64 }\n", "big.yaml"),
    LabFileError,
  );
  assertMatch(big.message, /big\.yaml:3:\d+: with this entry the lab would have \d+ nodes/);
});
