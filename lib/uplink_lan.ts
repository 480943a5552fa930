/**
 * The uplink's LAN is the real network. A bridge with `uplink: NIC` (allowed by `--uplink NIC`)
 * joins a NIC of the host, so every bridge on its LAN — it, and the bridges linked to it, however
 * far — carries the real network's frames, and every node interface linked to one of those
 * bridges (or an OVS internal port of one, moved into a node) is a host on the real network.
 *
 * What a node would run there to speak to that network, or to answer for others on it, is refused
 * unless the command line names it, with `--uplink-allow NAME[,NAME...]`:
 *
 * | name        | what in the lab file                                                          |
 * | ----------- | ----------------------------------------------------------------------------- |
 * | `dhcp`      | `dhcpServer` with `range` or `range6` on an interface on the LAN              |
 * | `ra`        | `dhcpServer` with `slaac` or `range6` there (dnsmasq sends router adverts)    |
 * | `ospf`      | `routing.ospf.interfaces` naming it (ospfd, and ospf6d in an IPv6 lab, speak) |
 * | `bgp`       | `routing.bgp.neighbors` with an address in one of its subnets                 |
 * | `proxy-arp` | sysctl `net.ipv4.conf.IF.proxy_arp` or `proxy_arp_pvlan` not 0 (IF: it, `all`, `default`) |
 * | `proxy-ndp` | sysctl `net.ipv6.conf.IF.proxy_ndp` not 0 (IF: it, `all`, `default`)        |
 *
 * OSPF's passive interfaces send nothing, and a DHCP client (`dhcp: true`) asks the real network
 * rather than answering it: both are allowed. lib/reach.ts calls {@link uplinkLanIssues} with the
 * lab's other rules.
 *
 * @module
 */
import type { Lab } from "./lab/types.ts";
import { SubnetIndex } from "./prefix_index.ts";

/** A path into the lab document (lib/lab/validate.ts's `DocPath`; not imported: it imports us). */
type DocPath = (string | number)[];
/** A problem at a path (lib/lab/validate.ts's `LabIssue`, of which this is a part). */
interface LabIssue {
  path: DocPath;
  message: string;
}

/** What `--uplink-allow` may name: each protocol that would speak on the uplink's LAN. */
export const UPLINK_PROTOCOLS = ["dhcp", "ra", "ospf", "bgp", "proxy-arp", "proxy-ndp"] as const;

/** One of {@link UPLINK_PROTOCOLS}. */
export type UplinkProtocol = typeof UPLINK_PROTOCOLS[number];

/** Where a lab meets the real network through its uplinks. */
interface UplinkLan {
  /** Bridges on an uplink's LAN -> the uplink NIC of that LAN. */
  bridges: Map<string, string>;
  /** Node -> its interfaces on an uplink's LAN -> the bridge each is on. */
  nodeIfaces: Map<string, Map<string, string>>;
}

const ownerOf = (ep: string) => ep.slice(0, ep.indexOf(":"));
const ifnameOf = (ep: string) => ep.slice(ep.indexOf(":") + 1);

/**
 * The uplinks' LANs of a validated lab: the bridges with an uplink and every bridge linked to
 * them (a breadth-first walk over bridge-to-bridge links), and the node interfaces on them.
 *
 * @example
 * ```ts
 * import { uplinkLanOf } from "./uplink_lan.ts";
 * import { validateLab } from "./lab/validate.ts";
 * const lab = validateLab({
 *   name: "lan",
 *   nodes: { a: { interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } } },
 *   bridges: { br: { type: "linux", uplink: "eth9" } },
 *   links: [{ endpoints: ["a:eth0", "br:a-p"] }],
 * }, "lab", { uplinks: ["eth9"] });
 * uplinkLanOf(lab).nodeIfaces.get("a"); // Map { "eth0" => "br" }
 * ```
 */
export function uplinkLanOf(lab: Lab): UplinkLan {
  const isBridge = (name: string) => Object.hasOwn(lab.bridges, name);
  const bridges = new Map<string, string>();
  const queue: string[] = [];
  for (const [name, bridge] of Object.entries(lab.bridges)) {
    if (bridge.uplink !== undefined && !bridges.has(name)) {
      bridges.set(name, bridge.uplink);
      queue.push(name);
    }
  }
  const nodeIfaces = new Map<string, Map<string, string>>();
  if (queue.length === 0) return { bridges, nodeIfaces };
  const linked = new Map<string, string[]>(); // bridge -> bridges linked to it
  for (const { endpoints: [a, b] } of lab.links) {
    const [x, y] = [ownerOf(a), ownerOf(b)];
    if (!isBridge(x) || !isBridge(y)) continue;
    for (const [from, to] of [[x, y], [y, x]] as const) {
      const list = linked.get(from);
      if (list === undefined) linked.set(from, [to]);
      else list.push(to);
    }
  }
  for (let i = 0; i < queue.length; i++) {
    const bridge = queue[i]!;
    for (const next of linked.get(bridge) ?? []) {
      if (bridges.has(next)) continue;
      bridges.set(next, bridges.get(bridge)!);
      queue.push(next);
    }
  }
  const put = (node: string, ifname: string, bridge: string) => {
    const ifaces = nodeIfaces.get(node) ?? new Map<string, string>();
    if (!ifaces.has(ifname)) ifaces.set(ifname, bridge);
    nodeIfaces.set(node, ifaces);
  };
  for (const { endpoints } of lab.links) {
    const [a, b] = endpoints;
    for (const [end, other] of [[a, b], [b, a]] as const) {
      const bridge = ownerOf(other);
      if (bridges.has(bridge) && Object.hasOwn(lab.nodes, ownerOf(end))) {
        put(ownerOf(end), ifnameOf(end), bridge);
      }
    }
  }
  // An OVS internal port moved into a node is on its bridge's LAN too.
  for (const bridge of bridges.keys()) {
    for (const [port, p] of Object.entries(lab.bridges[bridge]!.ports)) {
      if (p.internal && p.node !== undefined) put(p.node, port, bridge);
    }
  }
  return { bridges, nodeIfaces };
}

/** One thing in the lab that would speak on (or answer for others on) an uplink's LAN. */
interface UplinkProtocolUse {
  /** Where in the lab. */
  path: DocPath;
  /** What it is, for a message (`OSPF on "eth0"`; the path names the node). */
  what: string;
  /** What it would do there (`would speak to the real network's routers`). */
  does: string;
  /** The names `--uplink-allow` must give to allow it. */
  protocols: UplinkProtocol[];
  /** The bridge on the LAN it speaks through. */
  bridge: string;
}

/**
 * Keys that make a node answer for others: `net.ipv4.conf.IF.proxy_arp` and `proxy_arp_pvlan`
 * (IF in group 2), `net.ipv6.conf.IF.proxy_ndp` (IF in group 3).
 */
const PROXY_SYSCTL =
  /^net\.(ipv4\.conf\.([^.]+)\.proxy_arp(?:_pvlan)?|ipv6\.conf\.([^.]+)\.proxy_ndp)$/;

/**
 * Everything in a validated lab that would speak on an uplink's LAN, each with the
 * `--uplink-allow` names it needs (whatever the command line allows).
 */
export function uplinkProtocolUses(
  lab: Lab,
  lan: UplinkLan = uplinkLanOf(lab),
): UplinkProtocolUse[] {
  const uses: UplinkProtocolUse[] = [];
  for (const [nname, ifaces] of lan.nodeIfaces) {
    const node = lab.nodes[nname]!;
    const base = ["nodes", nname];
    const on = (ifname: string) => `"${ifname}"`;
    const d = node.dhcpServer;
    const dhcpBridge = d === undefined ? undefined : ifaces.get(d.interface);
    if (d !== undefined && dhcpBridge !== undefined) {
      const protocols: UplinkProtocol[] = [
        ...(d.range !== undefined || d.range6 !== undefined ? ["dhcp" as const] : []),
        ...(d.slaac || d.range6 !== undefined ? ["ra" as const] : []),
      ];
      if (protocols.length) {
        uses.push({
          path: [...base, "dhcpServer", "interface"],
          what: `a DHCP server on ${on(d.interface)}`,
          does: protocols.includes("dhcp")
            ? "would answer the real network's clients"
            : "would send router advertisements to the real network's hosts",
          protocols,
          bridge: dhcpBridge,
        });
      }
    }
    node.routing?.ospf?.interfaces.forEach((ifname, k) => {
      const bridge = ifaces.get(ifname);
      if (bridge === undefined) return;
      uses.push({
        path: [...base, "routing", "ospf", "interfaces", k],
        what: `OSPF on ${on(ifname)}`,
        does: "would speak to the real network's routers",
        protocols: ["ospf"],
        bridge,
      });
    });
    const bgp = node.routing?.bgp;
    if (bgp) {
      const lanSubnets = [...ifaces.entries()].map(([ifname, bridge]) => ({
        bridge,
        ifname,
        subnets: new SubnetIndex(node.interfaces[ifname]?.addresses ?? []),
      }));
      bgp.neighbors.forEach((n, k) => {
        const via = lanSubnets.find((l) => l.subnets.holds(n.address));
        if (via === undefined) return;
        uses.push({
          path: [...base, "routing", "bgp", "neighbors", k, "address"],
          what: `BGP neighbor ${n.address} (through ${on(via.ifname)})`,
          does: "is on the real network",
          protocols: ["bgp"],
          bridge: via.bridge,
        });
      });
    }
    for (const [key, value] of Object.entries(node.sysctls)) {
      const m = PROXY_SYSCTL.exec(key);
      if (m === null || String(value).trim() === "0") continue;
      const ifname = m[2] ?? m[3]!;
      const bridge = ifname === "all" || ifname === "default"
        ? ifaces.values().next().value!
        : ifaces.get(ifname);
      if (bridge === undefined) continue;
      const ndp = m[3] !== undefined;
      uses.push({
        path: [...base, "sysctls", key],
        what: `sysctl ${key}`,
        does: `would make node "${nname}" answer ${
          ndp ? "neighbor solicitations" : "ARP requests"
        } for other hosts' addresses on the real network`,
        protocols: [ndp ? "proxy-ndp" : "proxy-arp"],
        bridge,
      });
    }
  }
  return uses;
}

/**
 * The problems of a validated lab that would speak on an uplink's LAN without the command line's
 * `--uplink-allow` naming the protocol: one per use, at its line, naming the flag to pass.
 *
 * @param allow What `--uplink-allow` names; `"any"` where the lab is not built (`graph`).
 */
export function uplinkLanIssues(
  lab: Lab,
  allow: readonly UplinkProtocol[] | "any" = [],
): LabIssue[] {
  if (allow === "any") return [];
  const lan = uplinkLanOf(lab);
  if (lan.nodeIfaces.size === 0) return [];
  return uplinkProtocolUses(lab, lan).flatMap((use) => {
    const missing = use.protocols.filter((p) => !allow.includes(p));
    if (missing.length === 0) return [];
    return [{
      path: use.path,
      message: `${use.what} ${use.does}: bridge "${use.bridge}" shares a LAN with uplink ` +
        `${JSON.stringify(lan.bridges.get(use.bridge))}; a lab file cannot do that on its own: ` +
        `add --uplink-allow ${missing.join(",")} to the command line if you mean it`,
    }];
  });
}
