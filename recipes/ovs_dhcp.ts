/**
 * dnsmasq in namespace r0 serving an OVS bridge.
 *
 * ```
 *   r0 [rif0 10.0.4.1/24, dnsmasq 10.0.4.11-20, lease 86400 s]--veth--[sif0]
 *                                                                       br-in (OVS)
 *   g1 [eth0 DHCP]-----------------------------------------------veth--[g1-br]
 * ```
 *
 * Unlike the original, rif0 gets a host address (10.0.4.1/24), not the network address
 * 10.0.4.0/24; the guest is a namespace taking its lease with busybox udhcpc and netkit's hook.
 *
 * @module
 */
import type { LabInput } from "../lib/lab/schema.ts";
import { prefixer, type Recipe } from "./recipe.ts";

/** The `ovs-dhcp` recipe. */
export const ovsDhcp: Recipe = {
  name: "ovs-dhcp",
  description:
    "dnsmasq in r0 (rif0 10.0.4.1/24) serves OVS bridge br-in through veth sif0; guest g1 " +
    "leases an address in 10.0.4.11-20 for 86400 s",
  teaches: "a DHCP server (dnsmasq) serving an OVS bridge",
  build(options = {}): LabInput {
    const p = prefixer(options);
    const [r0, g1, br] = [p("r0"), p("g1"), p("br-in")];
    return {
      name: p("ovs-dhcp"),
      description: this.description,
      nodes: {
        [r0]: {
          interfaces: { rif0: { addresses: ["10.0.4.1/24"] } },
          dhcpServer: {
            interface: "rif0",
            range: ["10.0.4.11", "10.0.4.20"],
            leaseTime: 86400,
          },
        },
        [g1]: { interfaces: { eth0: { dhcp: true } } },
      },
      bridges: { [br]: { type: "ovs" } },
      links: [
        { endpoints: [`${r0}:rif0`, `${br}:${p("sif0")}`] },
        { endpoints: [`${g1}:eth0`, `${br}:${p("g1-br")}`] },
      ],
      expect: [
        {
          lease: {
            node: g1,
            interface: "eth0",
            range: ["10.0.4.11", "10.0.4.20"],
            leaseTime: 86400,
          },
        },
        { ping: { from: g1, to: "10.0.4.1" } },
      ],
    };
  },
};
