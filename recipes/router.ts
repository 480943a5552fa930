/**
 * A virtual network behind a router namespace that does SNAT and DHCP.
 *
 * ```
 *   vm1 [eth0 10.0.0.1/24, default via .254]      vm2 [eth0 DHCP]
 *        |                                            |
 *     [vm1-br]                                     [vm2-br]
 *        +------------------ br-in -------------------+
 *                              |
 *                        [link-in-br]
 *                              |
 *        rt   eth0 (created as link-in-rt) 10.0.0.254/24
 *             ip_forward=1, SNAT 10.0.0.0/24 -> 192.168.100.11, dnsmasq .151-.160
 *             eth1 (created as link-ex-rt) 192.168.100.11/24
 *                              |
 *                        [link-ex-br]
 *                              |
 *                            br-ex
 *                              |
 *                          [wan-br]
 *                              |
 *   wan  [eth0 192.168.100.1/24]   (the simulated upstream gateway)
 * ```
 *
 * `--ipv6` (`ipv6: true`) is the dual-stack variant: IPv6 beside IPv4, routed without NAT.
 * `br-in` is 2001:db8:100::/64 (rt is ::254, vm1 ::1 with a static default route); rt's dnsmasq
 * sends router advertisements of that prefix, so vm2 configures an address by SLAAC, and serves
 * DHCPv6 (::100-::1ff), from which vm2 also takes one; `br-ex` is 2001:db8:200::/64 (rt ::11,
 * wan ::1), and wan routes 2001:db8:100::/64 back through rt. The proofs add: vm2's SLAAC address
 * and DHCPv6 lease, and both guests reach wan's IPv6 address.
 *
 * Unlike the original: forwarding is turned on inside `rt` (never in the root namespace), every
 * `ip link set` names its device, the guests are namespaces rather than VMs behind taps, the DHCP
 * client uses netkit's own hook (the host's /etc/resolv.conf is never rewritten), and the upstream
 * is a namespace holding 192.168.100.1 instead of the host's real NIC.
 *
 * @module
 */
import type { LabInput } from "../lib/lab/schema.ts";
import { prefixer, type Recipe, type RecipeOptions } from "./recipe.ts";

/** Options of the `router` recipe. */
interface RouterOptions extends RecipeOptions {
  /** Name of the namespace simulating the upstream gateway (prefixed). @default "wan" */
  wan?: string;
}

/** The `router` recipe. */
export const router: Recipe & { build(options?: RouterOptions): LabInput } = {
  name: "router",
  description: "vm1 (static) and vm2 (DHCP) behind router namespace rt with SNAT and dnsmasq; " +
    "both reach the simulated upstream 192.168.100.1 as 192.168.100.11",
  teaches: "a router namespace: SNAT, a DHCP server (dnsmasq), static and DHCP guests",
  uplink: true,
  ipv6: true,
  build(options: RouterOptions = {}): LabInput {
    const p = prefixer(options);
    const [vm1, vm2, rt, wan] = [p("vm1"), p("vm2"), p("rt"), p(options.wan ?? "wan")];
    const [brIn, brEx] = [p("br-in"), p("br-ex")];
    const lab: LabInput = {
      name: p("router"),
      description: this.description,
      nodes: {
        [vm1]: {
          interfaces: { eth0: { addresses: ["10.0.0.1/24"] } },
          routes: [{ to: "default", via: "10.0.0.254" }],
        },
        [vm2]: { interfaces: { eth0: { dhcp: true } } },
        [rt]: {
          role: "router",
          interfaces: {
            eth0: { addresses: ["10.0.0.254/24"], createAs: "link-in-rt" },
            eth1: { addresses: ["192.168.100.11/24"], createAs: "link-ex-rt" },
          },
          nat: [{
            type: "snat",
            source: "10.0.0.0/24",
            notDestination: "10.0.0.0/24",
            toSource: "192.168.100.11",
          }],
          dhcpServer: {
            interface: "eth0",
            range: ["10.0.0.151", "10.0.0.160"],
            router: "10.0.0.254",
          },
        },
        [wan]: { interfaces: { eth0: { addresses: ["192.168.100.1/24"] } } },
      },
      bridges: {
        [brIn]: { type: "linux" },
        [brEx]: { type: "linux" },
      },
      links: [
        { endpoints: [`${vm1}:eth0`, `${brIn}:${p("vm1-br")}`] },
        { endpoints: [`${vm2}:eth0`, `${brIn}:${p("vm2-br")}`] },
        { endpoints: [`${rt}:eth0`, `${brIn}:${p("link-in-br")}`] },
        { endpoints: [`${rt}:eth1`, `${brEx}:${p("link-ex-br")}`] },
        { endpoints: [`${wan}:eth0`, `${brEx}:${p("wan-br")}`] },
      ],
      expect: [
        {
          lease: {
            node: vm2,
            interface: "eth0",
            range: ["10.0.0.151", "10.0.0.160"],
            router: "10.0.0.254",
          },
        },
        { ping: { from: vm1, to: "10.0.0.254" } },
        { ping: { from: rt, to: "192.168.100.1" } },
        { ping: { from: vm1, to: "192.168.100.1" } },
        { ping: { from: vm2, to: "192.168.100.1" } },
        {
          snat: {
            from: vm1,
            to: "192.168.100.1",
            observer: wan,
            interface: "eth0",
            source: "192.168.100.11",
          },
        },
        {
          snat: {
            from: vm2,
            to: "192.168.100.1",
            observer: wan,
            interface: "eth0",
            source: "192.168.100.11",
          },
        },
      ],
    };
    const built = options.ipv6 ? dualStack(lab, { vm1, vm2, rt, wan }) : lab;
    return options.uplink === undefined ? built : withUplink(built, options.uplink, wan, brEx);
  },
};

/**
 * The real mode: the host's NIC joins br-ex (its address and routes move to br-ex) and
 * the real upstream gateway at 192.168.100.1 replaces the simulated `wan` namespace. SNAT is
 * not observed there: the upstream is not a namespace of the lab.
 */
function withUplink(lab: LabInput, nic: string, wan: string, brEx: string): LabInput {
  const { [wan]: _wan, ...nodes } = lab.nodes ?? {};
  return {
    ...lab,
    nodes,
    bridges: { ...lab.bridges, [brEx]: { type: "linux", uplink: nic } },
    links: (lab.links ?? []).filter((l) => !l.endpoints.some((e) => e.startsWith(`${wan}:`))),
    expect: (lab.expect ?? []).filter((e) => !("snat" in e)),
  };
}

/** The dual-stack variant (`--ipv6`): see the module doc. */
function dualStack(
  lab: LabInput,
  n: { vm1: string; vm2: string; rt: string; wan: string },
): LabInput {
  const nodes = structuredClone(lab.nodes ?? {});
  const addresses = (node: string, ifname: string, cidr: string) => {
    const iface = nodes[node]!.interfaces![ifname]!;
    iface.addresses = [...(iface.addresses ?? []), cidr];
  };
  addresses(n.vm1, "eth0", "2001:db8:100::1/64");
  nodes[n.vm1]!.routes = [...(nodes[n.vm1]!.routes ?? []), {
    to: "default",
    via: "2001:db8:100::254",
  }];
  nodes[n.vm2]!.interfaces!.eth0!.dhcp6 = true;
  addresses(n.rt, "eth0", "2001:db8:100::254/64");
  addresses(n.rt, "eth1", "2001:db8:200::11/64");
  nodes[n.rt]!.dhcpServer = {
    ...nodes[n.rt]!.dhcpServer!,
    slaac: true,
    range6: ["2001:db8:100::100", "2001:db8:100::1ff"],
  };
  addresses(n.wan, "eth0", "2001:db8:200::1/64");
  nodes[n.wan]!.routes = [{ to: "2001:db8:100::/64", via: "2001:db8:200::11" }];
  return {
    ...lab,
    description: `${lab.description} (dual-stack: IPv6 routed, SLAAC and DHCPv6 for vm2)`,
    nodes,
    expect: [
      ...(lab.expect ?? []),
      { slaac: { node: n.vm2, interface: "eth0", prefix: "2001:db8:100::/64" } },
      {
        lease: {
          node: n.vm2,
          interface: "eth0",
          range: ["2001:db8:100::100", "2001:db8:100::1ff"],
        },
      },
      { ping: { from: n.vm1, to: "2001:db8:100::254" } },
      { ping: { from: n.vm1, to: "2001:db8:200::1" } },
      { ping: { from: n.vm2, to: "2001:db8:200::1" } },
    ],
  };
}
