/**
 * Three routers in a triangle running OSPF (FRR), dual-stack: OSPFv2 for IPv4 and OSPFv3 for
 * IPv6, hellos every second, neighbours declared dead after 4 s. A host hangs off r1 and another
 * off r3; each router learns the others' networks, the hosts reach each other, and when the
 * r1–r3 link fails, traffic takes the way through r2.
 *
 * ```
 *                h1 [eth0 10.1.0.10/24, 2001:db8:1::10/64]
 *                 |
 *           eth2 10.1.0.1/24, 2001:db8:1::1/64 (passive)
 *                r1
 *   eth0 10.0.12.1/30       eth1 10.0.13.1/30
 *        /                         \
 *   eth0 10.0.12.2/30             eth0 10.0.13.2/30
 *        r2 eth1 10.0.23.1/30 ---- eth1 10.0.23.2/30 r3
 *                                   eth2 10.3.0.1/24, 2001:db8:3::1/64 (passive)
 *                                    |
 *                h3 [eth0 10.3.0.10/24, 2001:db8:3::10/64]
 * ```
 *
 * Every link is a veth pair between two namespaces (no bridge); the links between routers are
 * OSPF point-to-point links. They carry no global IPv6 prefix: OSPFv3 speaks over link-local
 * addresses and routes the hosts' IPv6 networks through them (as many IPv6 networks do; it also
 * keeps Debian's FRR 8.4 zebra clear of an assertion it can hit when a prefix is both connected
 * and learned by OSPFv3 on a link that goes down, FRR pull request 14142). `netkit exec r1 -- vtysh -c 'show ip ospf neighbor'` shows r1's
 * adjacencies.
 *
 * @module
 */
import type { LabInput } from "../lib/lab/schema.ts";
import { prefixer, type Recipe } from "./recipe.ts";

/** The `ospf-triangle` recipe. */
export const ospfTriangle: Recipe = {
  name: "ospf-triangle",
  description: "routers r1, r2, r3 in a triangle run OSPF and OSPFv3 (FRR); h1 behind r1 and h3 " +
    "behind r3 reach each other in both families, also with the r1-r3 link down",
  teaches: "dynamic routing: OSPF and OSPFv3 with FRR, and rerouting around a failed link",
  build(options = {}): LabInput {
    const p = prefixer(options);
    const [r1, r2, r3, h1, h3] = ["r1", "r2", "r3", "h1", "h3"].map(p) as [
      string,
      string,
      string,
      string,
      string,
    ];
    const ospf = (passive?: string) => ({
      area: 0,
      interfaces: ["eth0", "eth1"],
      ...(passive ? { passive: [passive] } : {}),
      hello: 1,
      dead: 4,
    });
    const lab: LabInput = {
      name: p("ospf-triangle"),
      description: this.description,
      nodes: {
        [r1]: {
          role: "router",
          interfaces: {
            eth0: { addresses: ["10.0.12.1/30"] },
            eth1: { addresses: ["10.0.13.1/30"] },
            eth2: { addresses: ["10.1.0.1/24", "2001:db8:1::1/64"] },
          },
          routing: { ospf: ospf("eth2") },
        },
        [r2]: {
          role: "router",
          interfaces: {
            eth0: { addresses: ["10.0.12.2/30"] },
            eth1: { addresses: ["10.0.23.1/30"] },
          },
          routing: { ospf: ospf() },
        },
        [r3]: {
          role: "router",
          interfaces: {
            eth0: { addresses: ["10.0.13.2/30"] },
            eth1: { addresses: ["10.0.23.2/30"] },
            eth2: { addresses: ["10.3.0.1/24", "2001:db8:3::1/64"] },
          },
          routing: { ospf: ospf("eth2") },
        },
        [h1]: {
          interfaces: { eth0: { addresses: ["10.1.0.10/24", "2001:db8:1::10/64"] } },
          routes: [
            { to: "default", via: "10.1.0.1" },
            { to: "default", via: "2001:db8:1::1" },
          ],
        },
        [h3]: {
          interfaces: { eth0: { addresses: ["10.3.0.10/24", "2001:db8:3::10/64"] } },
          routes: [
            { to: "default", via: "10.3.0.1" },
            { to: "default", via: "2001:db8:3::1" },
          ],
        },
      },
      links: [
        { endpoints: [`${r1}:eth0`, `${r2}:eth0`] },
        { endpoints: [`${r1}:eth1`, `${r3}:eth0`] },
        { endpoints: [`${r2}:eth1`, `${r3}:eth1`] },
        { endpoints: [`${h1}:eth0`, `${r1}:eth2`] },
        { endpoints: [`${h3}:eth0`, `${r3}:eth2`] },
      ],
      expect: [
        // Each router learns the networks it is not on, by OSPF (v4) and OSPFv3 (v6).
        { route: { node: r1, to: "10.3.0.0/24", protocol: "ospf" } },
        { route: { node: r1, to: "10.0.23.0/30", protocol: "ospf" } },
        { route: { node: r2, to: "10.1.0.0/24", protocol: "ospf" } },
        { route: { node: r2, to: "10.3.0.0/24", protocol: "ospf" } },
        { route: { node: r3, to: "10.1.0.0/24", protocol: "ospf" } },
        { route: { node: r3, to: "10.0.12.0/30", protocol: "ospf" } },
        { route: { node: r1, to: "2001:db8:3::/64", protocol: "ospf" } },
        { route: { node: r2, to: "2001:db8:1::/64", protocol: "ospf" } },
        { route: { node: r2, to: "2001:db8:3::/64", protocol: "ospf" } },
        { route: { node: r3, to: "2001:db8:1::/64", protocol: "ospf" } },
        // The hosts reach each other, in both families.
        { ping: { from: h1, to: "10.3.0.10" } },
        { ping: { from: h3, to: "10.1.0.10" } },
        { ping: { from: h1, to: "2001:db8:3::10" } },
        // The r1-r3 link fails: h1's traffic goes round through r2.
        { failover: { down: `${r1}:eth1`, from: h1, to: "10.3.0.10" }, within: "12s" },
        { failover: { down: `${r1}:eth1`, from: h1, to: "2001:db8:3::10" }, within: "12s" },
      ],
    };
    return lab;
  },
};
