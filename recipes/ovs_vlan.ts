/**
 * VLAN access ports on one OVS bridge (`ovs-vsctl set port vif1 tag=10`).
 *
 * ```
 *   h1 [eth0 10.0.6.1/24]--[vif1 tag 10]--+
 *   h2 [eth0 10.0.6.2/24]--[vif2 tag 10]--+
 *                                         br0 (OVS)
 *   h3 [eth0 10.0.6.3/24]--[vif3 tag 20]--+
 *   h4 [eth0 10.0.6.4/24]--[vif4 untagged]+
 * ```
 *
 * All four share one subnet, so only the tags keep them apart. Proofs: h1 and h2 (both VLAN 10)
 * reach each other; h1 reaches neither h3 (VLAN 20) nor h4 (untagged), h3 does not reach h4;
 * after `ovs-vsctl remove port vif1 tag 10` h1 reaches h4 (the probe puts the tag back).
 *
 * @module
 */
import type { LabInput } from "../lib/lab/schema.ts";
import { prefixer, type Recipe } from "./recipe.ts";

/** The `ovs-vlan` recipe. */
export const ovsVlan: Recipe = {
  name: "ovs-vlan",
  description:
    "h1..h4 on OVS ports vif1..vif4 tagged 10,10,20,untagged; same tag reaches, others do not; " +
    "removing vif1's tag lets h1 reach h4",
  teaches: "VLAN access ports on OVS: isolation, and what untagging a port does",
  build(options = {}): LabInput {
    const p = prefixer(options);
    const br = p("br0");
    const tags = [10, 10, 20, undefined];
    const hosts = tags.map((tag, i) => ({
      ns: p(`h${i + 1}`),
      port: p(`vif${i + 1}`),
      addr: `10.0.6.${i + 1}`,
      tag,
    }));
    const [h1, h2, h3, h4] = hosts as [
      typeof hosts[0],
      typeof hosts[0],
      typeof hosts[0],
      typeof hosts[0],
    ];
    return {
      name: p("ovs-vlan"),
      description: this.description,
      nodes: Object.fromEntries(
        hosts.map((h) => [h.ns, { interfaces: { eth0: { addresses: [`${h.addr}/24`] } } }]),
      ),
      bridges: {
        [br]: {
          type: "ovs",
          ports: Object.fromEntries(
            hosts.map((h) => [h.port, h.tag === undefined ? {} : { tag: h.tag }]),
          ),
        },
      },
      links: hosts.map((h) => ({ endpoints: [`${h.ns}:eth0`, `${br}:${h.port}`] })),
      expect: [
        { ping: { from: h1.ns, to: h2.addr } },
        { ping: { from: h2.ns, to: h1.addr } },
        { ping: { from: h1.ns, to: h3.addr }, reach: false },
        { ping: { from: h1.ns, to: h4.addr }, reach: false },
        { ping: { from: h3.ns, to: h4.addr }, reach: false },
        { untag: { port: h1.port, tag: 10 }, ping: { from: h1.ns, to: h4.addr } },
      ],
    };
  },
};
