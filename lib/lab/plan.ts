/**
 * `planLab()`: a validated lab becomes an ordered list of steps. Pure: it reads nothing from the
 * host and runs nothing.
 *
 * The order: namespaces, their sysctls, bridges, veth pairs (each end created directly in its
 * namespace), then their bridge ports (all pairs before all ports, so that each kind batches), OVS internal ports (moved into their nodes), then per node:
 * renames, addresses, links up, routes, NAT, DHCP servers; DHCP clients last, once every server
 * runs. Teardown is the reverse, from the journal.
 *
 * @module
 */
import {
  addAddress,
  addRoute,
  linkUp,
  moveLink,
  renameLink,
  vethPair,
} from "../primitives/link.ts";
import { createNs, ipForward, sysctl } from "../primitives/netns.ts";
import { bridgeAttach, linuxBridge } from "../primitives/bridge.ts";
import { ovsAddBridge, ovsAddInternalPort, ovsAddPort } from "../primitives/ovs.ts";
import { masquerade, snat } from "../primitives/nat.ts";
import { dhcp, dhcpChecksumFill, dhcpClient } from "../primitives/dhcp.ts";
import type { Step } from "../plan/step.ts";
import { uplink, type UplinkOptions } from "../primitives/uplink.ts";
import { UsageError } from "../errors.ts";
import type { Lab } from "./schema.ts";
import { layoutOf } from "./validate.ts";
import { isBondMember, planOvsFeatures } from "./plan_ovs.ts";

/** What the plan needs to know about the host. */
export interface PlanContext {
  /** The lab's state directory (daemon files). */
  stateDir: string;
  /** Datapath for OVS bridges. @default "netdev" */
  datapathType?: "netdev" | "system";
  /** What each real uplink NIC carries now (read from the host by the runtime). */
  uplinks?: Record<string, Pick<UplinkOptions, "addresses" | "routes">>;
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

/** Turns a validated lab into the ordered steps that build it. */
export function planLab(lab: Lab, context: PlanContext): Step[] {
  const steps: Step[] = [];
  const owner = { lab: lab.name };
  const layout = layoutOf(lab);

  for (const [name, node] of Object.entries(lab.nodes)) {
    steps.push(createNs(name));
    if (node.role === "router") steps.push(ipForward(name));
    for (const [key, value] of Object.entries(node.sysctls)) {
      steps.push(sysctl(name, key, String(value)));
    }
  }

  for (const [name, bridge] of Object.entries(lab.bridges)) {
    steps.push(
      bridge.type === "linux"
        ? linuxBridge(name)
        : ovsAddBridge(name, { ...owner, datapathType: context.datapathType ?? "netdev" }),
    );
  }
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

  // Every veth pair first, then every bridge port, then the OVS ports' root ends up: runs of the
  // same kind of command, which the executor turns into one `ip -batch` and one ovs-vsctl
  // transaction (see lib/plan/schedule.ts).
  const ports: Step[] = [];
  const portsUp: Step[] = [];
  for (const link of lab.links) {
    const [a, b] = link.endpoints.map((ep) => {
      const [who = "", ifname = ""] = ep.split(":");
      const isBridge = who in lab.bridges;
      const createAs = isBridge ? undefined : lab.nodes[who]?.interfaces[ifname]?.createAs;
      return { who, ifname, isBridge, name: createAs ?? ifname, ns: isBridge ? undefined : who };
    }) as [EndInfo, EndInfo];
    steps.push(vethPair(a.name, b.name, { ns: a.ns, peerNs: b.ns }));
    for (const end of [a, b]) {
      if (!end.isBridge) continue;
      const bridge = lab.bridges[end.who]!;
      if (bridge.type === "linux") ports.push(bridgeAttach(end.ifname, end.who));
      else if (isBondMember(lab, end.who, end.ifname)) portsUp.push(linkUp(end.ifname));
      else {
        ports.push(
          ovsAddPort(end.who, end.ifname, { ...owner, tag: bridge.ports[end.ifname]?.tag }),
        );
        portsUp.push(linkUp(end.ifname));
      }
    }
  }
  steps.push(...ports, ...portsUp);

  for (const [bname, bridge] of Object.entries(lab.bridges)) {
    for (const [port, p] of Object.entries(bridge.ports)) {
      if (!p.internal) continue;
      steps.push(ovsAddInternalPort(bname, port, { ...owner, tag: p.tag }));
      // No undo for the move: the tap goes away with `del-port` (undone right after) wherever it
      // is, and moving it "back" to PID 1's namespace would be wrong when netkit itself runs in
      // another namespace.
      if (p.node) steps.push({ ...moveLink(port, p.node), undo: [] });
      else steps.push(linkUp(port));
    }
  }

  steps.push(...planOvsFeatures(lab, context.ovsRunDir));

  for (const [name, node] of Object.entries(lab.nodes)) {
    for (const ifname of layout.nodeIfaces.get(name) ?? []) {
      const iface = node.interfaces[ifname];
      if (iface?.createAs) steps.push(renameLink(iface.createAs, ifname, { ns: name }));
      for (const cidr of iface?.addresses ?? []) {
        steps.push(addAddress(ifname, cidr, { ns: name }));
      }
      steps.push(linkUp(ifname, { ns: name }));
    }
    for (const route of node.routes) {
      steps.push(addRoute(route.to, {
        ns: name,
        ...(route.via !== undefined ? { via: route.via } : {}),
        ...(route.dev !== undefined ? { dev: route.dev } : {}),
      }));
    }
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
    const server = node.dhcpServer;
    if (server) {
      if (servesOvsNetdev(lab, name, server.interface, context)) {
        steps.push(dhcpChecksumFill(name, server.interface, { lab: lab.name }));
      }
      steps.push(dhcp(name, {
        interface: server.interface,
        range: server.range,
        stateDir: context.stateDir,
        ...(server.leaseTime !== undefined ? { leaseTime: server.leaseTime } : {}),
        ...(server.router !== undefined ? { router: server.router } : {}),
        ...(context.rootless ? { keepRoot: true } : {}),
      }));
    }
  }

  for (const [name, node] of Object.entries(lab.nodes)) {
    for (const [ifname, iface] of Object.entries(node.interfaces)) {
      if (iface.dhcp) steps.push(dhcpClient(name, ifname, { stateDir: context.stateDir }));
    }
  }
  return steps;
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

interface EndInfo {
  who: string;
  ifname: string;
  isBridge: boolean;
  name: string;
  ns: string | undefined;
}
