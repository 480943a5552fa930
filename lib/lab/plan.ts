/**
 * `planLab()`: a validated lab becomes an ordered list of steps. Pure: it reads nothing from the
 * host and runs nothing.
 *
 * The order: a multi-host part's VXLAN filter (lib/primitives/vxlan.ts), namespaces, their sysctls, bridges, veth pairs (each end created directly in its
 * namespace), then their bridge ports (all pairs before all ports, so that each kind batches),
 * dummy interfaces, OVS internal ports (moved into their nodes), then per node: renames, captures (tcpdump started
 * before the interface has an address), addresses, links up, impairments, routes, NAT, DHCP
 * servers; DHCP clients last, once every server runs. Teardown is the reverse, from the journal.
 *
 * IPv6: a lab that uses no IPv6 ({@link labUsesIpv6}) gets no IPv6 link-local addresses either:
 * every interface it creates is set to `addrgenmode none` before it goes up. Otherwise each one
 * would run duplicate address detection and send MLD reports and router solicitations, which a
 * bridge floods to every port: at 1,000 namespaces on one bridge that traffic made bring-up and
 * teardown several times slower (bench/RESULTS.md).
 *
 * @module
 */
import {
  addAddress,
  addRoute,
  dummyLink,
  linkUp,
  moveLink,
  noIpv6LinkLocal,
  renameLink,
  vethPair,
} from "../primitives/link.ts";
import { createNs, ipForward, ipv6Forward, sysctl } from "../primitives/netns.ts";
import { bridgeAttach, linuxBridge } from "../primitives/bridge.ts";
import { ovsAddBridge, ovsAddInternalPort, ovsAddPort } from "../primitives/ovs.ts";
import { masquerade, snat } from "../primitives/nat.ts";
import { dhcp, dhcp6Client, dhcpChecksumFill, dhcpClient } from "../primitives/dhcp.ts";
import { frrRouter, type OspfInterface } from "../primitives/frr.ts";
import { familyOf, inSubnetAny } from "../addr.ts";
import type { Step } from "../plan/step.ts";
import { uplink, type UplinkOptions } from "../primitives/uplink.ts";
import { linkMtu, ovsMtu, vxlanLink, vxlanSourceFilter } from "../primitives/vxlan.ts";
import { impair, NetemMissingError, netemOnlyField } from "../primitives/impair.ts";
import { capture } from "../primitives/capture.ts";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import type { Lab } from "./schema.ts";
import { layoutOf } from "./validate.ts";
import { inRootNamespace, ROOT_OWNER } from "../reach.ts";
import { isBondMember, planOvsFeatures } from "./plan_ovs.ts";
import { frrConfigSteps } from "./frr_config.ts";

/** What the plan needs to know about the host. */
export interface PlanContext {
  /** The lab's state directory (daemon files). */
  stateDir: string;
  /** Datapath for OVS bridges. @default "netdev" */
  datapathType?: "netdev" | "system";
  /** What each real uplink NIC carries now (read from the host by the runtime). */
  uplinks?: Record<string, Pick<UplinkOptions, "addresses" | "routes">>;
  /**
   * Whether the kernel has the netem qdisc (read by the runtime, lib/lab/qdisc.ts). Without it,
   * loss uses nftables and a lab asking for delay or jitter is refused. @default false
   */
  netem?: boolean;
  /** Where `capture: true` interfaces are recorded. @default `STATEDIR/captures` */
  captureDir?: string;
  /**
   * The run directory of the OVS the lab uses, where its bridges' management sockets are
   * (`<dir>/<bridge>.mgmt`): needed for OpenFlow flows.
   */
  ovsRunDir?: string;
  /**
   * The lab runs in rootless mode (lib/lab/rootless.ts): daemons keep the user namespace's root
   * (dnsmasq's `--user=root --group=`). @default false
   */
  rootless?: boolean;
}

/** True when the lab uses Open vSwitch. */
export function usesOvs(lab: Lab): boolean {
  return Object.values(lab.bridges).some((b) => b.type === "ovs");
}

/** True for an IPv6 address or prefix (`2001:db8::1`, `2001:db8::/64`). */
const isV6 = (text: string) => familyOf(text.split("/")[0] ?? "") === 6;

/**
 * True when the lab uses IPv6 anywhere: an IPv6 interface address or route, a DHCPv6 client,
 * a DHCPv6 server or router advertisements (SLAAC), or BGP over IPv6. The one place that
 * decides it: an IPv6 lab's routers forward IPv6, and its interfaces must keep their
 * link-local addresses (SLAAC, DHCPv6 and OSPFv3 talk over them); a lab without IPv6 may turn
 * IPv6 address generation off on its interfaces.
 */
export function labUsesIpv6(lab: Lab): boolean {
  return Object.values(lab.nodes).some((node) =>
    Object.values(node.interfaces).some((i) => i.dhcp6 === true || i.addresses.some(isV6)) ||
    node.routes.some((r) => isV6(r.to) || (r.via !== undefined && isV6(r.via))) ||
    node.dhcpServer?.range6 !== undefined || node.dhcpServer?.slaac === true ||
    (node.routing?.bgp?.neighbors ?? []).some((n) => isV6(n.address)) ||
    (node.routing?.bgp?.networks ?? []).some(isV6)
  );
}

/**
 * Turns a validated lab into the ordered steps that build it: the phases below, in this order,
 * each appending its steps.
 */
export function planLab(lab: Lab, context: PlanContext): Step[] {
  const plan: Planning = {
    lab,
    context,
    owner: { lab: lab.name },
    layout: layoutOf(lab),
    ipv6: labUsesIpv6(lab),
    steps: [],
  };
  filterTunnelSources(plan);
  createNamespaces(plan);
  setNamespaceSysctls(plan);
  createBridges(plan);
  joinUplinks(plan);
  wireLinks(plan);
  createDummies(plan);
  addInternalPorts(plan);
  plan.steps.push(...planOvsFeatures(lab, context.ovsRunDir));
  for (const [name, node] of Object.entries(lab.nodes)) configureNode(plan, name, node);
  startRouters(plan);
  startDhcpClients(plan);
  return plan.steps;
}

/** What every phase of {@link planLab} reads, decided once, and the steps it appends to. */
interface Planning {
  lab: Lab;
  context: PlanContext;
  /** The mark on every OVS object the lab makes. */
  owner: { lab: string };
  /** Which interfaces end up in which namespace. */
  layout: ReturnType<typeof layoutOf>;
  /** Whether the lab uses IPv6 ({@link labUsesIpv6}). */
  ipv6: boolean;
  /** The plan so far. */
  steps: Step[];
}

type LabNode = Lab["nodes"][string];

/** A multi-host part's VXLAN ends take packets only from their other ends, from the start. */
function filterTunnelSources({ lab, steps }: Planning): void {
  if (lab.tunnels?.length) steps.push(vxlanSourceFilter(lab.name, lab.tunnels));
}

/** Every namespace first, before their sysctls: one run of `netns add` for the root batch. */
function createNamespaces({ lab, steps }: Planning): void {
  for (const name of Object.keys(lab.nodes)) steps.push(createNs(name));
}

/**
 * What each namespace's kernel does: routers forward (IPv6 too in an IPv6 lab), an IPv6 lab's
 * addresses survive a link going down and skip duplicate address detection, then the node's own
 * `sysctls`.
 */
function setNamespaceSysctls({ lab, ipv6, steps }: Planning): void {
  for (const [name, node] of Object.entries(lab.nodes)) {
    if (node.role === "router") steps.push(ipForward(name));
    if (node.role === "router" && ipv6) steps.push(ipv6Forward(name));
    // Linux drops an interface's IPv6 addresses when it goes down (IPv4 ones stay): keep them,
    // so that a link set down and up again (a failover proof, a user) comes back as it was.
    if (ipv6) steps.push(sysctl(name, "net.ipv6.conf.all.keep_addr_on_down", "1"));
    // No duplicate address detection on the lab's interfaces (made after this, they take the
    // namespace's default): the addresses are unique by validation, and a link-local address
    // still tentative for a second after link-up would hold up neighbour discovery, DHCPv6 and
    // OSPFv3. Every address is usable as soon as its link is up.
    if (ipv6) steps.push(sysctl(name, "net.ipv6.conf.default.accept_dad", "0"));
    for (const [key, value] of Object.entries(node.sysctls)) {
      steps.push(sysctl(name, key, String(value)));
    }
  }
}

/** Each bridge as its type says: a Linux bridge, or an OVS bridge on the context's datapath. */
function createBridges({ lab, context, owner, ipv6, steps }: Planning): void {
  for (const [name, bridge] of Object.entries(lab.bridges)) {
    steps.push(
      bridge.type === "linux"
        ? linuxBridge(name, { ipv6 })
        : ovsAddBridge(name, { ...owner, datapathType: context.datapathType ?? "netdev" }),
    );
  }
}

/** A bridge's real uplink NIC joins it, with what the host says the NIC carries now. */
function joinUplinks({ lab, context, steps }: Planning): void {
  for (const [name, bridge] of Object.entries(lab.bridges)) {
    if (bridge.uplink === undefined) continue;
    const carried = context.uplinks?.[bridge.uplink];
    if (!carried) {
      throw new UsageError(`The plan needs what uplink "${bridge.uplink}" carries now`, {
        hint: "plan with the runtime's planForHost(), which reads it from the host",
      });
    }
    steps.push(uplink(bridge.uplink, name, carried));
  }
}

/**
 * Every veth pair (and VXLAN end) first, then every bridge port, then the OVS ports' root ends
 * and the `root:` ends (lib/reach.ts: `ROOT_OWNER`) up: runs of the same kind of command, which the executor turns into one `ip -batch` and one
 * ovs-vsctl transaction (see lib/plan/schedule.ts).
 */
function wireLinks(plan: Planning): void {
  const { lab, ipv6, steps } = plan;
  const ports: Step[] = [];
  const portsUp: Step[] = [];
  for (const link of lab.links) {
    let [a, b] = link.endpoints.map((ep) => endOf(lab, ep)) as [EndInfo, EndInfo];
    // A root end first: `down` then deletes it at once, in the root namespace. As a node's
    // peer it would go with the node's namespace, whenever the kernel gets to it.
    if (b.who === ROOT_OWNER && a.ns !== undefined) [a, b] = [b, a];
    steps.push(vethPair(a.name, b.name, { ns: a.ns, peerNs: b.ns, ipv6 }));
    if (lab.mtu !== undefined) {
      for (const end of [a, b]) steps.push(linkMtu(end.name, lab.mtu, { ns: end.ns }));
    }
    for (const end of [a, b]) {
      if (end.isBridge) attachToBridge(plan, end.who, end.ifname, ports, portsUp);
      else if (end.who === ROOT_OWNER) portsUp.push(linkUp(end.ifname)); // no bridge brings it up
    }
  }
  // Links to another host (multi-host labs): one VXLAN end here, attached like a veth end.
  for (const tunnel of lab.tunnels ?? []) {
    const end = endOf(lab, tunnel.end);
    steps.push(vxlanLink(end.name, {
      ns: end.ns,
      vni: tunnel.vni,
      local: tunnel.local,
      remote: tunnel.remote,
      port: tunnel.port,
      mtu: lab.mtu,
    }));
    if (end.isBridge) attachToBridge(plan, end.who, end.ifname, ports, portsUp);
  }
  steps.push(...ports, ...portsUp);
}

/**
 * An endpoint `who:ifname`: on a bridge, in the root namespace (`root:`), or in a node (created
 * as its `createAs` name).
 */
function endOf(lab: Lab, endpoint: string): EndInfo {
  const [who = "", ifname = ""] = endpoint.split(":");
  const isBridge = Object.hasOwn(lab.bridges, who);
  const inRoot = inRootNamespace(lab, who);
  const createAs = inRoot ? undefined : lab.nodes[who]?.interfaces[ifname]?.createAs;
  return { who, ifname, isBridge, name: createAs ?? ifname, ns: inRoot ? undefined : who };
}

/**
 * A bridge end's port: on a Linux bridge attached; on OVS a port with its tag, brought up after
 * every port exists (a bond's member gets no port of its own, only the link up).
 */
function attachToBridge(
  { lab, owner }: Planning,
  bridgeName: string,
  ifname: string,
  ports: Step[],
  portsUp: Step[],
): void {
  const bridge = lab.bridges[bridgeName]!;
  if (bridge.type === "linux") ports.push(bridgeAttach(ifname, bridgeName));
  else if (isBondMember(lab, bridgeName, ifname)) portsUp.push(linkUp(ifname));
  else {
    ports.push(ovsAddPort(bridgeName, ifname, { ...owner, tag: bridge.ports[ifname]?.tag }));
    portsUp.push(linkUp(ifname));
  }
}

/** Each node's dummy interfaces (`dummy: true`), created inside the node. */
function createDummies({ lab, ipv6, steps }: Planning): void {
  for (const [name, node] of Object.entries(lab.nodes)) {
    for (const [ifname, iface] of Object.entries(node.interfaces)) {
      if (iface.dummy) steps.push(dummyLink(ifname, { ns: name, ipv6 }));
    }
  }
}

/** OVS internal ports: each moved into its node, or left in the root namespace and brought up. */
function addInternalPorts({ lab, owner, ipv6, steps }: Planning): void {
  for (const [bname, bridge] of Object.entries(lab.bridges)) {
    for (const [port, p] of Object.entries(bridge.ports)) {
      if (!p.internal) continue;
      steps.push(ovsAddInternalPort(bname, port, { ...owner, tag: p.tag }));
      if (lab.mtu !== undefined) steps.push(ovsMtu(port, lab.mtu));
      // No undo for the move: the tap goes away with `del-port` (undone right after) wherever it
      // is, and moving it "back" to PID 1's namespace would be wrong when netkit itself runs in
      // another namespace.
      if (p.node) {
        steps.push({ ...moveLink(port, p.node), undo: [] });
        if (!ipv6) steps.push(noIpv6LinkLocal(port, { ns: p.node }));
      } else {
        if (!ipv6) steps.push(noIpv6LinkLocal(port));
        steps.push(linkUp(port));
      }
    }
  }
}

/** One node, in this order: its interfaces, routes, NAT rules, then its DHCP server. */
function configureNode(plan: Planning, name: string, node: LabNode): void {
  for (const ifname of plan.layout.nodeIfaces.get(name) ?? []) {
    configureInterface(plan, name, ifname, node.interfaces[ifname]);
  }
  addRoutes(plan, name, node);
  addNat(plan, name, node);
  startDhcpServer(plan, name, node);
}

/**
 * One interface of a node: renamed to its lab name, captured (tcpdump started before it has an
 * address), addressed, up, then impaired (refused when it needs netem and the kernel has none).
 */
function configureInterface(
  { lab, context, steps }: Planning,
  name: string,
  ifname: string,
  iface: LabNode["interfaces"][string] | undefined,
): void {
  if (iface?.createAs) steps.push(renameLink(iface.createAs, ifname, { ns: name }));
  if (iface?.capture) {
    steps.push(capture(name, ifname, {
      dir: context.captureDir ?? join(context.stateDir, "captures"),
      stateDir: context.stateDir,
    }));
  }
  for (const cidr of iface?.addresses ?? []) {
    steps.push(addAddress(ifname, cidr, { ns: name }));
  }
  steps.push(linkUp(ifname, { ns: name }));
  if (iface?.impair) {
    const needsNetem = netemOnlyField(iface.impair);
    if (needsNetem && !context.netem) {
      throw new NetemMissingError(
        needsNetem,
        ["nodes", name, "interfaces", ifname, "impair", needsNetem].join("."),
      );
    }
    steps.push(
      impair(name, ifname, { ...iface.impair, netem: context.netem ?? false, lab: lab.name }),
    );
  }
}

/** A node's static routes, as written. */
function addRoutes({ steps }: Planning, name: string, node: LabNode): void {
  for (const route of node.routes) {
    steps.push(addRoute(route.to, {
      ns: name,
      ...(route.via !== undefined ? { via: route.via } : {}),
      ...(route.dev !== undefined ? { dev: route.dev } : {}),
    }));
  }
}

/** A node's NAT rules: SNAT to a fixed source, or masquerade behind its out interface. */
function addNat({ lab, steps }: Planning, name: string, node: LabNode): void {
  for (const rule of node.nat) {
    const common = {
      source: rule.source,
      lab: lab.name,
      ...(rule.notDestination !== undefined ? { notDestination: rule.notDestination } : {}),
    };
    steps.push(
      rule.type === "snat"
        ? snat(name, {
          ...common,
          toSource: rule.toSource!,
          ...(rule.outInterface !== undefined ? { outInterface: rule.outInterface } : {}),
        })
        : masquerade(name, { ...common, outInterface: rule.outInterface! }),
    );
  }
}

/**
 * A node's DHCP server (dnsmasq): its DHCPv6 range takes the prefix length of the interface's
 * own address in it; behind an OVS userspace datapath, UDP checksums are filled in first.
 */
function startDhcpServer({ lab, context, steps }: Planning, name: string, node: LabNode): void {
  const server = node.dhcpServer;
  if (!server) return;
  if (servesOvsNetdev(lab, name, server.interface, context)) {
    steps.push(dhcpChecksumFill(name, server.interface, { lab: lab.name }));
  }
  const own6 = (node.interfaces[server.interface]?.addresses ?? []).find((a) =>
    server.range6 !== undefined && inSubnetAny(server.range6[0], a)
  );
  steps.push(dhcp(name, {
    interface: server.interface,
    range: server.range,
    ...(server.range6 !== undefined ? { range6: server.range6 } : {}),
    ...(own6 !== undefined ? { range6PrefixLength: Number(own6.split("/")[1]) } : {}),
    ...(server.slaac ? { slaac: true } : {}),
    stateDir: context.stateDir,
    ...(server.leaseTime !== undefined ? { leaseTime: server.leaseTime } : {}),
    ...(server.router !== undefined ? { router: server.router } : {}),
    ...(context.rootless ? { keepRoot: true } : {}),
  }));
}

/** FRR on every node with `routing`, once every node's addresses and routes are in place. */
function startRouters({ lab, context, ipv6, steps }: Planning): void {
  for (const [name, node] of Object.entries(lab.nodes)) {
    if (node.routing) steps.push(...routingSteps(lab, name, context, ipv6));
  }
}

/** DHCP clients last, once every server runs. */
function startDhcpClients({ lab, context, steps }: Planning): void {
  for (const [name, node] of Object.entries(lab.nodes)) {
    for (const [ifname, iface] of Object.entries(node.interfaces)) {
      if (iface.dhcp) steps.push(dhcpClient(name, ifname, { stateDir: context.stateDir }));
      if (iface.dhcp6) steps.push(dhcp6Client(name, ifname, { stateDir: context.stateDir }));
    }
  }
}

/** The router ID of a node: its `routerId`, else its first IPv4 address. */
function routerIdOf(lab: Lab, node: string): string {
  const n = lab.nodes[node];
  const first = Object.values(n?.interfaces ?? {}).flatMap((i) => i.addresses)
    .find((a) => familyOf(a.split("/")[0]!) === 4);
  return n?.routing?.routerId ?? first?.split("/")[0] ?? "0.0.0.0";
}

/**
 * The FRR steps of a router node: OSPF on its `ospf.interfaces` (point-to-point where the link
 * leads straight to another node, passive on `ospf.passive`), OSPFv3 on the same interfaces when
 * the lab uses IPv6 (it speaks over link-local addresses: a transit link needs no global IPv6
 * prefix), BGP as written.
 */
function routingSteps(lab: Lab, name: string, context: PlanContext, ipv6: boolean): Step[] {
  const node = lab.nodes[name]!;
  const routing = node.routing!;
  if (routing.config !== undefined) {
    // FRR's own configuration: the addresses the lab sets are not given to zebra again.
    return frrConfigSteps(name, routing.config, {
      stateDir: context.stateDir,
      daemons: routing.daemons,
      labSets: (iface, cidr) => node.interfaces[iface]?.addresses.includes(cidr) ?? false,
    });
  }
  const direct = (ifname: string) =>
    lab.links.some((l) => {
      const [a, b] = l.endpoints;
      const other = a === `${name}:${ifname}` ? b : b === `${name}:${ifname}` ? a : undefined;
      return other !== undefined && (other.split(":")[0] ?? "") in lab.nodes;
    });
  const o = routing.ospf;
  const interfaces: OspfInterface[] = o
    ? [
      ...o.interfaces.map((i) => ({ name: i, pointToPoint: direct(i) })),
      ...(o.passive ?? []).map((i) => ({ name: i, passive: true })),
    ]
    : [];
  return frrRouter(name, {
    stateDir: context.stateDir,
    routerId: routerIdOf(lab, name),
    ospf: o && {
      area: o.area,
      interfaces,
      ...(o.hello !== undefined ? { hello: o.hello } : {}),
      ...(o.dead !== undefined ? { dead: o.dead } : {}),
      ipv6,
    },
    bgp: routing.bgp && {
      asn: routing.bgp.asn,
      neighbors: routing.bgp.neighbors,
      networks: routing.bgp.networks ?? [],
      ...(routing.bgp.maximumPaths !== undefined ? { maximumPaths: routing.bgp.maximumPaths } : {}),
    },
  });
}

/**
 * True when `node`'s interface `ifname` is a veth end whose peer is a port of an OVS bridge with
 * the userspace datapath: UDP sent there leaves with an unfinished checksum (see
 * {@link dhcpChecksumFill}).
 */
function servesOvsNetdev(lab: Lab, node: string, ifname: string, context: PlanContext): boolean {
  if ((context.datapathType ?? "netdev") !== "netdev") return false;
  return lab.links.some((link) => {
    const [a, b] = link.endpoints;
    const other = a === `${node}:${ifname}` ? b : b === `${node}:${ifname}` ? a : undefined;
    const owner = other?.split(":")[0] ?? "";
    return lab.bridges[owner]?.type === "ovs";
  });
}

/** One end of a link or tunnel, as {@link endOf} reads it. */
interface EndInfo {
  who: string;
  ifname: string;
  isBridge: boolean;
  name: string;
  ns: string | undefined;
}
