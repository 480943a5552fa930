/**
 * `--prefix P` for a lab file or a containerlab topology: the same renaming recipes do with their
 * `prefix` option (lib/names.ts), done on a lab description after it is read, so that two copies
 * of one file run side by side.
 *
 * What gets the prefix: the lab's name, every node (namespace), every bridge, and every name a
 * bridge has in the root namespace (its ports, which are link ends, bonds and internal ports),
 * wherever the lab refers to them (link ends, a port's `node`, proofs, mirrors, bonds). What keeps
 * its name: interfaces inside a node (`eth0` cannot collide with another namespace's `eth0`), so
 * routes, NAT rules, DHCP servers and routing name the same interfaces as before. An internal
 * port moved into a node is the one exception: its name is made in the root namespace first, so
 * it is prefixed, and the node's references to it with it, as the recipes do.
 *
 * A prefixed name must still fit: 15 bytes for an interface, 32 for a namespace or a lab. One
 * that does not is refused, never cut. OpenFlow flows that name ports (`in_port=`, `output:`) are
 * refused too: netkit does not rewrite a flow's text.
 *
 * @module
 */
import { IFNAME_MAX_BYTES, NAME_MAX_BYTES } from "../names.ts";
import { parseFlow } from "../ovs/flow_syntax.ts";
import type { DocPath, LabIssue } from "./issue.ts";
import { nameMap } from "./own_names.ts";
import type { Lab } from "./schema.ts";
import { inRootNamespace, ROOT_OWNER } from "../reach.ts";

type Node = Lab["nodes"][string];
type Bridge = Lab["bridges"][string];
type Proof = Lab["expect"][number];

/** A lab with every host-visible name prefixed, or the problems that keep it from being so. */
export interface PrefixedLab {
  /** The renamed lab (when there are no problems). */
  lab: Lab;
  /** Names that would get too long, and flows that name ports: paths in the original lab. */
  problems: LabIssue[];
  /** A path in the renamed lab as the path of the same thing in the original lab. */
  origin(path: DocPath): DocPath;
}

const bytes = (s: string) => new TextEncoder().encode(s).length;

/**
 * `lab` with `prefix` before every host-visible name (see the module doc). Pure: the lab is not
 * changed.
 *
 * @param lab A validated lab.
 * @param prefix The prefix (already checked by `checkPrefix` in lib/names.ts).
 * @example Two copies of one lab file
 * ```ts
 * import { parseLabYaml, prefixLab } from "../../mod.ts";
 * const lab = parseLabYaml("name: x\nnodes: { a: {} }\n", "x.yaml");
 * prefixLab(lab, "t1-").lab.nodes["t1-a"]; // {...}
 * ```
 */
export function prefixLab(lab: Lab, prefix: string): PrefixedLab {
  const problems: LabIssue[] = [];
  const p = (name: string) => prefix + name;
  const fits = (path: DocPath, name: string, max: number, what: string) => {
    if (bytes(p(name)) > max) {
      problems.push({
        path,
        key: path.length > 1 && path[0] !== "name",
        message: `with --prefix ${prefix}, ${what} "${p(name)}" is ${
          bytes(p(name))
        } bytes: at most ${max} (use a shorter prefix)`,
      });
    }
  };
  fits(["name"], lab.name, NAME_MAX_BYTES, "the lab name");
  /** Internal ports moved into a node: "NODE/PORT" (they are prefixed inside the node too). */
  const movedPorts = new Set<string>();
  for (const [bname, bridge] of Object.entries(lab.bridges)) {
    fits(["bridges", bname], bname, IFNAME_MAX_BYTES, "the bridge name");
    for (const [port, settings] of Object.entries(bridge.ports)) {
      fits(["bridges", bname, "ports", port], port, IFNAME_MAX_BYTES, "the port name");
      if (settings.internal && settings.node !== undefined) {
        movedPorts.add(`${settings.node}/${port}`);
      }
    }
    (bridge.flows ?? []).forEach((flow, k) => {
      const ports = flowPorts(flow);
      if (ports.length) {
        problems.push({
          path: ["bridges", bname, "flows", k],
          message: `--prefix cannot rename the ports this flow names (${
            ports.join(", ")
          }): netkit does not rewrite a flow; rename them in the file instead`,
        });
      }
    });
  }
  for (const name of Object.keys(lab.nodes)) {
    fits(["nodes", name], name, NAME_MAX_BYTES, "the node name");
  }
  lab.links.forEach((link, i) =>
    link.endpoints.forEach((end, j) => {
      const [owner = "", ifname = ""] = end.split(":");
      if (inRootNamespace(lab, owner)) {
        fits(["links", i, "endpoints", j], ifname, IFNAME_MAX_BYTES, "the link end");
      }
    })
  );
  const isBridge = (name: string) => Object.hasOwn(lab.bridges, name);
  const ifIn = (node: string, ifname: string) =>
    movedPorts.has(`${node}/${ifname}`) ? p(ifname) : ifname;
  /**
   * `OWNER:IFNAME`, renamed: a bridge's interfaces are root-side, so they get the prefix too, as
   * does a `root:` end (whose owner keeps its name).
   */
  const end = (e: string) => {
    const [owner = "", ifname = ""] = e.split(":");
    if (owner === ROOT_OWNER) return `${owner}:${p(ifname)}`;
    return `${p(owner)}:${isBridge(owner) ? p(ifname) : ifIn(owner, ifname)}`;
  };
  const renamed: Lab = {
    ...lab,
    name: p(lab.name),
    nodes: renameKeys(lab.nodes, p, (node, name) => prefixNode(node, (i) => ifIn(name, i))),
    bridges: renameKeys(lab.bridges, p, (bridge) => prefixBridge(bridge, p)),
    links: lab.links.map((l) => ({ ...l, endpoints: [end(l.endpoints[0]), end(l.endpoints[1])] })),
    expect: lab.expect.map((e) => prefixProof(e, p, ifIn, end)),
    ...(lab.tunnels ? { tunnels: lab.tunnels.map((t) => ({ ...t, end: end(t.end) })) } : {}),
  };
  return { lab: renamed, problems, origin: (path) => originOf(path, prefix, movedPorts) };
}

/** The OpenFlow ports a flow names (none when it does not parse: validation said so already). */
function flowPorts(flow: string): string[] {
  try {
    return parseFlow(flow).ports;
  } catch {
    return [];
  }
}

/** A name-keyed map with its keys renamed and its values mapped, without a prototype. */
function renameKeys<T>(
  map: Record<string, T>,
  rename: (key: string) => string,
  value: (v: T, key: string) => T,
): Record<string, T> {
  const out = nameMap<T>();
  for (const [k, v] of Object.entries(map)) out[rename(k)] = value(v, k);
  return out;
}

/** A node whose internal-port interfaces (`ifIn`) are renamed, with everything that names them. */
function prefixNode(node: Node, ifIn: (ifname: string) => string): Node {
  const out: Node = {
    ...node,
    interfaces: renameKeys(node.interfaces, ifIn, (i) => i),
    routes: node.routes.map((r) => (r.dev === undefined ? r : { ...r, dev: ifIn(r.dev) })),
    nat: node.nat.map((n) =>
      n.outInterface === undefined ? n : { ...n, outInterface: ifIn(n.outInterface) }
    ),
  };
  if (node.dhcpServer) {
    out.dhcpServer = { ...node.dhcpServer, interface: ifIn(node.dhcpServer.interface) };
  }
  const ospf = node.routing?.ospf;
  if (node.routing && ospf) {
    out.routing = {
      ...node.routing,
      ospf: {
        ...ospf,
        interfaces: ospf.interfaces.map(ifIn),
        ...(ospf.passive ? { passive: ospf.passive.map(ifIn) } : {}),
      },
    };
  }
  return out;
}

/** A bridge whose ports (root-side names) are prefixed, with its bonds, mirrors and port nodes. */
function prefixBridge(bridge: Bridge, p: (name: string) => string): Bridge {
  const out: Bridge = {
    ...bridge,
    ports: renameKeys(bridge.ports, p, (port) => ({
      ...port,
      ...(port.node === undefined ? {} : { node: p(port.node) }),
      ...(port.bond === undefined ? {} : { bond: port.bond.map(p) }),
      ...(port.primary === undefined ? {} : { primary: p(port.primary) }),
    })),
  };
  if (bridge.mirrors) {
    out.mirrors = renameKeys(bridge.mirrors, (k) => k, (m) => ({
      select: m.select === "all" ? "all" : m.select.map(p),
      output: p(m.output),
    }));
  }
  return out;
}

/** A proof naming the renamed nodes, bridge ports and internal-port interfaces. */
function prefixProof(
  e: Proof,
  p: (name: string) => string,
  ifIn: (node: string, ifname: string) => string,
  end: (e: string) => string,
): Proof {
  const ping = "ping" in e && e.ping ? { ping: { ...e.ping, from: p(e.ping.from) } } : {};
  if ("lease" in e) {
    const { node, interface: i } = e.lease;
    return { ...e, lease: { ...e.lease, node: p(node), interface: ifIn(node, i) } };
  }
  if ("snat" in e) {
    const s = e.snat;
    return {
      ...e,
      snat: {
        ...s,
        from: p(s.from),
        observer: p(s.observer),
        interface: ifIn(s.observer, s.interface),
      },
    };
  }
  if ("untag" in e) return { ...e, ...ping, untag: { ...e.untag, port: p(e.untag.port) } } as Proof;
  if ("tcp" in e) {
    const t = e.tcp;
    return {
      ...e,
      tcp: { ...t, from: p(t.from), ...(t.listen === undefined ? {} : { listen: p(t.listen) }) },
    };
  }
  if ("route" in e) {
    const r = e.route;
    return {
      ...e,
      route: {
        ...r,
        node: p(r.node),
        ...(r.dev === undefined ? {} : { dev: ifIn(r.node, r.dev) }),
      },
    };
  }
  if ("link" in e) {
    const l = e.link;
    return { ...e, link: { ...l, node: p(l.node), interface: ifIn(l.node, l.interface) } };
  }
  if ("slaac" in e) {
    const s = e.slaac;
    return { ...e, slaac: { ...s, node: p(s.node), interface: ifIn(s.node, s.interface) } };
  }
  if ("failover" in e) {
    const f = e.failover;
    const [node = "", ifname = ""] = f.down.split(":");
    return {
      ...e,
      failover: { ...f, from: p(f.from), down: `${p(node)}:${ifIn(node, ifname)}` },
    };
  }
  if ("flow" in e) return { ...e, ...ping, flow: { ...e.flow, bridge: p(e.flow.bridge) } } as Proof;
  if ("linkDown" in e) return { ...e, ...ping, linkDown: end(e.linkDown) } as Proof;
  if ("capture" in e) {
    const c = e.capture;
    return {
      ...e,
      ...ping,
      capture: { node: p(c.node), interface: ifIn(c.node, c.interface) },
    } as Proof;
  }
  if ("throughput" in e) {
    const t = e.throughput;
    return { ...e, throughput: { ...t, from: p(t.from), server: p(t.server) } };
  }
  return { ...e, ...ping } as Proof;
}

/** A path in the renamed lab as the path in the original: the prefix off the renamed keys. */
function originOf(path: DocPath, prefix: string, moved: ReadonlySet<string>): DocPath {
  const strip = (s: string | number) =>
    typeof s === "string" && s.startsWith(prefix) ? s.slice(prefix.length) : s;
  const [top, name, field, key] = path;
  const out = [...path];
  if (top === "nodes" || top === "bridges") out[1] = strip(name!);
  if (top === "bridges" && field === "ports" && key !== undefined) out[3] = strip(key);
  if (
    top === "nodes" && field === "interfaces" && key !== undefined &&
    moved.has(`${String(out[1])}/${String(strip(key))}`)
  ) out[3] = strip(key);
  return out;
}
