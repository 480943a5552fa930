/**
 * Two namespaces joined to OVS bridge br1 through veth pairs.
 *
 * ```
 *   ns1 [eth0-ns1 10.0.0.1/24]--veth--[veth-ns1]
 *                                             br1 (OVS)
 *   ns2 [eth0-ns2 10.0.0.2/24]--veth--[veth-ns2]
 * ```
 *
 * Unlike the original, the root-side ends veth-nsX are brought up explicitly.
 *
 * @module
 */
import type { LabInput } from "../lib/lab/schema.ts";
import { prefixer, type Recipe } from "./recipe.ts";

/** The `ovs-veth` recipe. */
export const ovsVeth: Recipe = {
  name: "ovs-veth",
  description: "two namespaces on OVS bridge br1 through veth pairs; ns1 pings ns2",
  teaches: "veth pairs into an OVS bridge",
  build(options = {}): LabInput {
    const p = prefixer(options);
    return {
      name: p("ovs-veth"),
      description: this.description,
      nodes: {
        [p("ns1")]: { interfaces: { "eth0-ns1": { addresses: ["10.0.0.1/24"] } } },
        [p("ns2")]: { interfaces: { "eth0-ns2": { addresses: ["10.0.0.2/24"] } } },
      },
      bridges: { [p("br1")]: { type: "ovs" } },
      links: [
        { endpoints: [`${p("ns1")}:eth0-ns1`, `${p("br1")}:${p("veth-ns1")}`] },
        { endpoints: [`${p("ns2")}:eth0-ns2`, `${p("br1")}:${p("veth-ns2")}`] },
      ],
      expect: [
        { ping: { from: p("ns1"), to: "10.0.0.2" } },
        { ping: { from: p("ns2"), to: "10.0.0.1" } },
      ],
    };
  },
};
