/**
 * OpenFlow as an access control list on one OVS bridge: one flow drops IPv4 from h1
 * to h2; every other pair still talks.
 *
 * ```
 *   h1 [eth0 10.0.7.1/24]--[h1-p]--+
 *   h2 [eth0 10.0.7.2/24]--[h2-p]--+ br0 (OVS)
 *   h3 [eth0 10.0.7.3/24]--[h3-p]--+   flow: priority=100,ip,nw_src=10.0.7.1,nw_dst=10.0.7.2,actions=drop
 * ```
 *
 * The flow is added with `ovs-ofctl add-flow` on br0's management socket, with the lab's cookie;
 * OVS's default flow (`priority=0,actions=NORMAL`) switches everything else. Proofs: h1 cannot
 * reach h2 and the flow's packet counter counts the dropped echo requests; h2 cannot reach h1
 * either (its replies are dropped); h1 and h3, h3 and h2 reach each other.
 *
 * @module
 */
import type { LabInput } from "../lib/lab/schema.ts";
import { prefixer, type Recipe } from "./recipe.ts";

/** The `ovs-flows` recipe. */
export const ovsFlows: Recipe = {
  name: "ovs-flows",
  description: "h1..h3 on OVS br0 with one OpenFlow flow dropping h1 -> h2; the flow counts " +
    "the drops, the other pairs reach each other",
  teaches: "an OpenFlow flow as an access control list, with its packet counter",
  build(options = {}): LabInput {
    const p = prefixer(options);
    const br = p("br0");
    const hosts = [1, 2, 3].map((i) => ({
      ns: p(`h${i}`),
      port: p(`h${i}-p`),
      addr: `10.0.7.${i}`,
    }));
    const [h1, h2, h3] = hosts as [typeof hosts[0], typeof hosts[0], typeof hosts[0]];
    const match = `ip,nw_src=${h1.addr},nw_dst=${h2.addr}`;
    return {
      name: p("ovs-flows"),
      description: this.description,
      nodes: Object.fromEntries(
        hosts.map((h) => [h.ns, { interfaces: { eth0: { addresses: [`${h.addr}/24`] } } }]),
      ),
      bridges: { [br]: { type: "ovs", flows: [`priority=100,${match},actions=drop`] } },
      links: hosts.map((h) => ({ endpoints: [`${h.ns}:eth0`, `${br}:${h.port}`] })),
      expect: [
        { ping: { from: h2.ns, to: h1.addr }, reach: false },
        { ping: { from: h1.ns, to: h3.addr } },
        { ping: { from: h3.ns, to: h2.addr } },
        {
          flow: { bridge: br, match, minPackets: 2 },
          ping: { from: h1.ns, to: h2.addr },
          reach: false,
        },
      ],
    };
  },
};
