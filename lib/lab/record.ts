/**
 * What a script's lab built, as a lab description: the session (lib/session.ts) notes every step
 * it ran, and its `lab.json` holds the result, so `netkit status`, `graph`, `check` and `export`
 * see a script's lab as they see a lab from a file (`down` goes by the journal either way).
 *
 * A step says what it made by its resource key (`netns:a`, `ovs-port:br1/veth-a`,
 * `addr:a/eth0/10.0.0.1/24`, ...; see lib/primitives/) and its argv; this module reads both, for
 * the primitives that shape a lab: namespaces, veth pairs, bridges and their ports, addresses,
 * routes, forwarding, NAT, DHCP servers and clients. A step of another kind (a sysctl, a flow)
 * runs and is journaled like any other and is not drawn. A veth end in the root namespace that
 * joins no bridge has no owner a lab file could name: its link is left out of the description.
 *
 * @module
 */
import type { Step } from "../plan/step.ts";
import type { ExpectInput, Lab, LabDhcpServer, LabInput, LabNat, LabRoute } from "./types.ts";

interface NodeRecord {
  router: boolean;
  interfaces: Map<string, { addresses: string[]; dhcp: boolean }>;
  routes: LabRoute[];
  nat: LabNat[];
  dhcpServer?: LabDhcpServer;
}

interface Veth {
  name: string;
  ns: string | undefined;
  peer: string;
  peerNs: string | undefined;
}

const after = (argv: readonly string[], word: string): string | undefined => {
  const i = argv.indexOf(word);
  return i < 0 ? undefined : argv[i + 1];
};

/** The argv of a step's first command ([] when it has none). */
const argvOf = (step: Step): readonly string[] => {
  const first = step.do.find((a) => "argv" in a);
  return first && "argv" in first ? first.argv : [];
};

/** A script lab's description, grown one step at a time. See the module doc. */
export class LabRecord {
  readonly nodes = new Map<string, NodeRecord>();
  readonly bridges = new Map<string, { type: "linux" | "ovs"; ports: Map<string, PortRecord> }>();
  readonly veths: Veth[] = [];
  readonly expect: ExpectInput[] = [];

  /** The record of a lab described before (a script's lab opened again). */
  static from(lab: Lab): LabRecord {
    const r = new LabRecord();
    for (const [name, n] of Object.entries(lab.nodes)) {
      r.nodes.set(name, {
        router: n.role === "router",
        interfaces: new Map(
          Object.entries(n.interfaces).map((
            [i, c],
          ) => [i, { addresses: c.addresses, dhcp: c.dhcp }]),
        ),
        routes: n.routes,
        nat: n.nat,
        ...(n.dhcpServer ? { dhcpServer: n.dhcpServer } : {}),
      });
    }
    for (const [name, b] of Object.entries(lab.bridges)) {
      const ports = new Map<string, PortRecord>(
        Object.entries(b.ports).map(([p, c]) => [p, {
          internal: c.internal,
          ...(c.tag !== undefined ? { tag: c.tag } : {}),
          ...(c.node !== undefined ? { node: c.node } : {}),
        }]),
      );
      r.bridges.set(name, { type: b.type, ports });
    }
    for (const { endpoints } of lab.links) {
      const [a = "", an = ""] = endpoints[0].split(":");
      const [b = "", bn = ""] = endpoints[1].split(":");
      const inBridge = (owner: string, port: string) => {
        const bridge = r.bridges.get(owner);
        if (bridge && !bridge.ports.has(port)) bridge.ports.set(port, { internal: false });
        return bridge ? undefined : owner;
      };
      r.veths.push({ name: an, ns: inBridge(a, an), peer: bn, peerNs: inBridge(b, bn) });
    }
    r.expect.push(...(lab.expect as ExpectInput[]));
    return r;
  }

  /** Notes what `step` made; true when the description changed. */
  note(step: Step): boolean {
    const colon = step.key.indexOf(":");
    const kind = step.key.slice(0, colon);
    const rest = step.key.slice(colon + 1).split("/");
    const argv = argvOf(step);
    const [ns = "", name = ""] = rest;
    const node = ns === "" ? undefined : this.nodes.get(ns);
    switch (kind) {
      case "netns": // a step run again (a reopened lab) keeps what was recorded
        if (this.nodes.has(ns)) return false;
        this.nodes.set(ns, { router: false, interfaces: new Map(), routes: [], nat: [] });
        return true;
      case "netns-delete":
        return this.nodes.delete(ns);
      case "link": {
        const peer = after(argv.slice(argv.indexOf("peer")), "name") ?? "";
        const peerNs = after(argv.slice(argv.indexOf("peer")), "netns");
        const own = after(argv.slice(0, argv.indexOf("peer")), "netns");
        this.veths.push({ name, ns: own, peer, peerNs });
        return true;
      }
      case "addr":
        if (!node) return false;
        this.iface(node, name).addresses.push(rest.slice(2).join("/"));
        return true;
      case "route":
        if (!node) return false;
        node.routes.push({
          to: rest.slice(1).join("/"),
          ...(after(argv, "via") !== undefined ? { via: after(argv, "via") } : {}),
          ...(after(argv, "dev") !== undefined ? { dev: after(argv, "dev") } : {}),
        });
        return true;
      case "forward":
        if (node) node.router = true;
        return node !== undefined;
      case "nat":
        return this.noteNat(node, argv);
      case "daemon":
        return this.noteDnsmasq(step.key, argv);
      case "dhcp-client":
        if (!node) return false;
        this.iface(node, name).dhcp = true;
        return true;
      case "ovs-bridge":
        if (this.bridges.has(ns)) return false;
        this.bridges.set(ns, { type: "ovs", ports: new Map() });
        return true;
      case "bridge": // a Linux bridge in the root namespace
        if (ns !== "" || this.bridges.has(name)) return false;
        this.bridges.set(name, { type: "linux", ports: new Map() });
        return true;
      case "ovs-port":
      case "bridge-port":
        return this.notePort(kind, rest, argv);
      case "move": {
        const port = [...this.bridges.values()].find((b) => b.ports.get(name)?.internal)?.ports
          .get(name);
        if (!port || !node) return false;
        port.node = ns;
        return true;
      }
    }
    return false;
  }

  private iface(node: NodeRecord, name: string) {
    let i = node.interfaces.get(name);
    if (!i) node.interfaces.set(name, i = { addresses: [], dhcp: false });
    return i;
  }

  private notePort(kind: string, rest: string[], argv: readonly string[]): boolean {
    // ovs-port:BRIDGE/PORT; bridge-port:NS/BRIDGE/PORT (root namespace only)
    const [bridge, port] = kind === "ovs-port" ? rest : rest[0] === "" ? rest.slice(1) : [];
    const b = bridge === undefined ? undefined : this.bridges.get(bridge);
    if (!b || port === undefined) return false;
    const tag = argv.find((a) => a.startsWith("tag="));
    b.ports.set(port, {
      internal: argv.includes("type=internal"),
      ...(tag ? { tag: Number(tag.slice(4)) } : {}),
    });
    return true;
  }

  private noteNat(node: NodeRecord | undefined, argv: readonly string[]): boolean {
    const source = after(argv, "-s");
    if (!node || source === undefined) return false;
    const i = argv.indexOf("!");
    const notDestination = i >= 0 && argv[i + 1] === "-d" ? argv[i + 2] : undefined;
    const toSource = after(argv, "--to-source");
    const out = after(argv, "-o");
    node.nat.push({
      type: toSource === undefined ? "masquerade" : "snat",
      source,
      ...(notDestination !== undefined ? { notDestination } : {}),
      ...(toSource !== undefined ? { toSource } : {}),
      ...(out !== undefined ? { outInterface: out } : {}),
    });
    return true;
  }

  private noteDnsmasq(key: string, argv: readonly string[]): boolean {
    const m = /^daemon:dnsmasq@([^/]+)\/(.+)$/.exec(key);
    const node = m ? this.nodes.get(m[1]!) : undefined;
    if (!m || !node) return false;
    const range = argv.find((a) => a.startsWith("--dhcp-range=") && !a.includes(":"));
    const [first, last, lease] = range?.slice("--dhcp-range=".length).split(",") ?? [];
    const router = argv.find((a) => a.startsWith("--dhcp-option=option:router,"));
    node.dhcpServer = {
      interface: m[2]!,
      ...(first && last ? { range: [first, last] as [string, string] } : {}),
      ...(lease ? { leaseTime: Number(lease) } : {}),
      ...(router ? { router: router.split(",")[1]! } : {}),
    };
    return true;
  }

  /** The owner a lab file would name for a veth end: its node, or the bridge it joined. */
  private owner(name: string, ns: string | undefined): string | undefined {
    if (ns !== undefined) return this.nodes.has(ns) ? ns : undefined;
    for (const [bridge, b] of this.bridges) if (b.ports.has(name)) return bridge;
    return undefined;
  }

  /** The description so far, as a lab file would write it. */
  toLab(name: string): LabInput {
    const links: { endpoints: [string, string] }[] = [];
    const linked = new Set<string>();
    for (const v of this.veths) {
      const a = this.owner(v.name, v.ns);
      const b = this.owner(v.peer, v.peerNs);
      if (a === undefined || b === undefined) continue;
      links.push({ endpoints: [`${a}:${v.name}`, `${b}:${v.peer}`] });
      if (v.ns === undefined) linked.add(v.name);
      if (v.peerNs === undefined) linked.add(v.peer);
    }
    return {
      name,
      description: "built by a script (netkit library: openLab)",
      nodes: Object.fromEntries([...this.nodes].map(([n, r]) => [n, {
        role: r.router ? "router" : "host",
        interfaces: Object.fromEntries(r.interfaces),
        routes: r.routes,
        nat: r.nat,
        ...(r.dhcpServer ? { dhcpServer: r.dhcpServer } : {}),
      }])),
      bridges: Object.fromEntries([...this.bridges].map(([n, b]) => [n, {
        type: b.type,
        // A veth end joined to the bridge is a link's end: only its tag is a port setting.
        ports: Object.fromEntries(
          [...b.ports].filter(([p, r]) => r.internal || (r.tag !== undefined && linked.has(p))),
        ),
      }])),
      links,
      expect: this.expect,
    };
  }
}

/** A bridge port as noted. */
interface PortRecord {
  internal: boolean;
  tag?: number;
  node?: string;
}
