/**
 * The one model of a lab's picture: what `netkit graph` draws in the terminal (text), as Mermaid,
 * Graphviz dot and SVG, and what `netkit ui` shows in the browser, live. Every renderer reads this
 * structure and nothing else of the lab, so the pictures cannot tell different stories; the live
 * state (lib/ui/live.ts) is keyed by its link ends (`OWNER:IFNAME`).
 *
 * - a node per namespace (kind `host` or `router`) and per bridge (`linux-bridge`, `ovs-bridge`),
 *   with its host role in a multi-host lab;
 * - a node per real NIC a bridge takes as uplink (`uplink`), per far host a multi-host part's
 *   VXLAN reaches (`remote`), and one for the root namespace when links end there (`root`, with
 *   the `root:IFNAME` ends as its interfaces);
 * - a link per veth pair, per OVS internal port moved into a node, per uplink and per tunnel, each
 *   with both ends: owner, interface, addresses, VLAN tag, and the OVS notes (bond, mirror, QoS);
 *   a veth pair whose two ends are on different host roles is drawn as the tunnel it becomes.
 *
 * Pure: data in, data out.
 *
 * @module
 */
import type { Lab } from "./schema.ts";
import { bridgeNotes, portNote } from "./graph_ovs.ts";
import { ROOT_OWNER } from "../reach.ts";

/** What a node of the picture is. */
type GraphNodeKind =
  | "host"
  | "router"
  | "linux-bridge"
  | "ovs-bridge"
  | "uplink"
  | "remote"
  | "root";

/** A node of the picture: a namespace, a bridge, a real NIC (uplink) or a far host (tunnel). */
export interface GraphNode {
  /** The lab's name for it (`uplink:NIC` and `remote:ADDRESS` for the two drawn-only kinds). */
  id: string;
  /** What it is. */
  kind: GraphNodeKind;
  /** Multi-host labs: the host role it runs on. */
  host?: string;
  /** Its interfaces (namespaces) or ports (bridges), in the order the lab names them. */
  interfaces: string[];
  /** One line each: router, NAT, DHCP server, routing, routes; bonds, mirrors, flows. */
  notes: string[];
}

/** One end of a link. */
export interface GraphEnd {
  /** The node's id. */
  owner: string;
  /** The interface at this end (empty for drawn-only nodes). */
  ifname: string;
  /** Its static addresses, `dhcp` and `dhcpv6` when it takes one. */
  addresses: string[];
  /** The VLAN tag of a bridge port. */
  tag?: number;
  /** OVS notes of a bridge port: `in bond0`, `mirror m0 out`, `qos 10 Mbit/s`. */
  note?: string;
}

/** What a link is made of. */
type GraphLinkKind = "veth" | "internal" | "uplink" | "tunnel";

/** A link of the picture. */
export interface GraphLink {
  /** `A:IFA--B:IFB`, unique in the lab. */
  id: string;
  /** What it is made of. */
  kind: GraphLinkKind;
  /** Its first end (a namespace's, when one end is a bridge's). */
  a: GraphEnd;
  /** Its second end. */
  b: GraphEnd;
  /** A tunnel's VXLAN network identifier, when known. */
  vni?: number;
}

/** The picture of a lab. */
export interface LabGraph {
  /** The lab's name. */
  name: string;
  /** Its description. */
  description?: string;
  /** The host roles of a multi-host lab, in order. */
  hosts: string[];
  /**
   * Where each host role runs, for a multi-host lab that is up (`root@10.9.0.1, underlay
   * 10.9.0.1/24`): the controller's record says (lib/multihost/picture.ts).
   */
  hostPlaces?: Record<string, string>;
  /** Every node. */
  nodes: GraphNode[];
  /** Every link. */
  links: GraphLink[];
}

/** What a node's interface carries: its addresses, `dhcp`, `dhcpv6`. */
export function ifaceAddresses(lab: Lab, node: string, ifname: string): string[] {
  const iface = Object.hasOwn(lab.nodes, node) ? lab.nodes[node]!.interfaces[ifname] : undefined;
  if (!iface || !Object.hasOwn(lab.nodes[node]!.interfaces, ifname)) return [];
  return [...(iface.dhcp ? ["dhcp"] : []), ...iface.addresses, ...(iface.dhcp6 ? ["dhcpv6"] : [])];
}

/** The notes of namespace `name`: router, NAT, DHCP server, routing, routes. */
function nodeNotes(lab: Lab, name: string): string[] {
  const n = Object.hasOwn(lab.nodes, name) ? lab.nodes[name] : undefined;
  if (!n) return [];
  const notes: string[] = [];
  if (n.role === "router") notes.push("router (forwarding on)");
  for (const r of n.nat) {
    notes.push(`${r.type} ${r.source}${r.toSource ? ` -> ${r.toSource}` : ""}`);
  }
  const d = n.dhcpServer;
  if (d?.range) notes.push(`dhcp server ${d.range[0]}-${d.range[1]}`);
  if (d?.range6) notes.push(`dhcpv6 server ${d.range6[0]}-${d.range6[1]}`);
  if (d?.slaac) notes.push(`router advertisements (SLAAC) on ${d.interface}`);
  const ospf = n.routing?.ospf;
  if (ospf) {
    notes.push(
      `ospf area ${ospf.area} on ${ospf.interfaces.join(", ")}` +
        (ospf.passive?.length ? ` (passive: ${ospf.passive.join(", ")})` : ""),
    );
  }
  const bgp = n.routing?.bgp;
  if (bgp) {
    notes.push(
      `bgp as ${bgp.asn}, neighbors ${
        bgp.neighbors.map((x) => `${x.address} (as ${x.asn})`).join(", ")
      }` +
        (bgp.networks?.length ? `, announces ${bgp.networks.join(", ")}` : ""),
    );
  }
  for (const r of n.routes) notes.push(`route ${r.to}${r.via ? ` via ${r.via}` : ""}`);
  return notes;
}

const split = (end: string): [string, string] => {
  const at = end.indexOf(":");
  return [end.slice(0, at), end.slice(at + 1)];
};

/** The end `owner:ifname` with what the lab says about it. */
function endOf(lab: Lab, owner: string, ifname: string): GraphEnd {
  if (Object.hasOwn(lab.bridges, owner)) {
    const br = lab.bridges[owner]!;
    const port = Object.hasOwn(br.ports, ifname) ? br.ports[ifname] : undefined;
    const note = portNote(br, ifname).replace(/^ \[|\]$/g, "");
    return {
      owner,
      ifname,
      addresses: [],
      ...(port?.tag !== undefined ? { tag: port.tag } : {}),
      ...(note ? { note } : {}),
    };
  }
  return { owner, ifname, addresses: ifaceAddresses(lab, owner, ifname) };
}

/** Links: veth pairs (a bridge's end second), internal ports, uplinks, a part's tunnels. */
function linksOf(lab: Lab): GraphLink[] {
  const links: GraphLink[] = [];
  const hostOf = (owner: string) =>
    Object.hasOwn(lab.nodes, owner)
      ? lab.nodes[owner]!.host
      : Object.hasOwn(lab.bridges, owner)
      ? lab.bridges[owner]!.host
      : undefined;
  for (const l of lab.links) {
    let [a, b] = [split(l.endpoints[0]), split(l.endpoints[1])];
    const second = (owner: string) => owner === ROOT_OWNER || Object.hasOwn(lab.bridges, owner);
    if (second(a[0]) && !second(b[0])) [a, b] = [b, a];
    const cross = hostOf(a[0]) !== hostOf(b[0]);
    links.push({
      id: `${a.join(":")}--${b.join(":")}`,
      kind: cross ? "tunnel" : "veth",
      a: endOf(lab, a[0], a[1]),
      b: endOf(lab, b[0], b[1]),
    });
  }
  for (const [bridge, br] of Object.entries(lab.bridges)) {
    for (const [port, p] of Object.entries(br.ports)) {
      if (!p.internal || !p.node) continue;
      links.push({
        id: `${p.node}:${port}--${bridge}:${port}`,
        kind: "internal",
        a: endOf(lab, p.node, port),
        b: endOf(lab, bridge, port),
      });
    }
    if (br.uplink !== undefined) {
      links.push({
        id: `uplink:${br.uplink}--${bridge}:${br.uplink}`,
        kind: "uplink",
        a: { owner: `uplink:${br.uplink}`, ifname: br.uplink, addresses: [] },
        b: endOf(lab, bridge, br.uplink),
      });
    }
  }
  for (const t of lab.tunnels ?? []) {
    const [owner, ifname] = split(t.end);
    links.push({
      id: `${t.end}--remote:${t.remote}`,
      kind: "tunnel",
      a: endOf(lab, owner, ifname),
      b: { owner: `remote:${t.remote}`, ifname: "", addresses: [t.remote] },
      vni: t.vni,
    });
  }
  return links;
}

/**
 * The picture of `lab`: its nodes, bridges and links, in the lab's own order.
 *
 * @example
 * ```ts
 * import { getRecipe, validateLab } from "../../mod.ts";
 * import { labGraph } from "./graph_model.ts";
 * const g = labGraph(validateLab(getRecipe("router").build()));
 * console.log(g.nodes.map((n) => `${n.id} (${n.kind})`).join(", "));
 * ```
 */
export function labGraph(lab: Lab): LabGraph {
  const links = linksOf(lab);
  const ifaces = new Map<string, Set<string>>();
  for (const l of links) {
    for (const e of [l.a, l.b]) {
      if (e.ifname === "") continue;
      if (!ifaces.has(e.owner)) ifaces.set(e.owner, new Set());
      ifaces.get(e.owner)!.add(e.ifname);
    }
  }
  const named = (id: string) => [...(ifaces.get(id) ?? [])];
  const nodes: GraphNode[] = [
    ...Object.entries(lab.nodes).map(([id, n]): GraphNode => ({
      id,
      kind: n.role === "router" ? "router" : "host",
      ...(n.host !== undefined ? { host: n.host } : {}),
      interfaces: named(id),
      notes: nodeNotes(lab, id),
    })),
    ...Object.entries(lab.bridges).map(([id, b]): GraphNode => ({
      id,
      kind: b.type === "ovs" ? "ovs-bridge" : "linux-bridge",
      ...(b.host !== undefined ? { host: b.host } : {}),
      interfaces: named(id),
      notes: bridgeNotes(b),
    })),
  ];
  if (ifaces.has(ROOT_OWNER)) {
    nodes.push({
      id: ROOT_OWNER,
      kind: "root",
      interfaces: named(ROOT_OWNER),
      notes: ["the root namespace (the lab's sandbox when sandboxed): veth ends, no addresses"],
    });
  }
  const seen = new Set(nodes.map((n) => n.id));
  for (const l of links) {
    const far = l.kind === "uplink" ? l.a : l.b;
    if (seen.has(far.owner)) continue;
    seen.add(far.owner);
    const near = l.kind === "uplink" ? l.b : l.a;
    const host = nodes.find((n) => n.id === near.owner)?.host;
    nodes.push({
      id: far.owner,
      kind: l.kind === "uplink" ? "uplink" : "remote",
      ...(l.kind === "uplink" && host !== undefined ? { host } : {}),
      interfaces: far.ifname ? [far.ifname] : [],
      notes: [l.kind === "uplink" ? "a real NIC of the host" : "the far end of a VXLAN tunnel"],
    });
  }
  return {
    name: lab.name,
    ...(lab.description !== undefined ? { description: lab.description } : {}),
    hosts: Object.keys(lab.hosts ?? {}),
    nodes,
    links,
  };
}
