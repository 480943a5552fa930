/**
 * Validation of a lab description: the zod schema first (types, unknown keys, names, addresses),
 * then the rules that span the lab (links to things that exist, unique names, addresses inside
 * their subnet). Every problem is reported with its path in the document, so that a lab file can
 * point at the line and column.
 *
 * @module
 */
import { familyOf, inSubnet, inSubnetAny, ipToBigInt, ipToNumber, networkOfAny } from "../addr.ts";
import { OverlapIndex, SubnetIndex } from "../prefix_index.ts";
import ipaddr from "../deps/ipaddr.ts";
import { UsageError } from "../errors.ts";
import {
  ifnameProblem,
  layoutOf,
  reachIssues,
  type ReachOptions,
  sizeIssues,
  tunnelIssues,
} from "../reach.ts";
import { type Lab, LabSchema } from "./schema.ts";
import { hostIssues } from "../multihost/validate.ts";
import { ovsIssues } from "./validate_ovs.ts";

/** A path into the lab document, e.g. `["nodes", "ns1", "interfaces", "eth0"]`. */
export type DocPath = (string | number)[];

/** One validation problem. */
export interface LabIssue {
  /** Where in the document. */
  path: DocPath;
  /** What is wrong. */
  message: string;
  /** The problem is the last path element as a key (an unknown key, a bad name), not its value. */
  key?: boolean;
}

/** A lab description is invalid. Nothing was changed on the host. */
export class LabValidationError extends UsageError {
  /**
   * Makes the error from its issues.
   *
   * @param issues Every problem found.
   * @param source What was validated, for the message (`lab`, `recipe NAME`, a file).
   * @param where Where to point, when not at the first issue's path.
   */
  constructor(readonly issues: LabIssue[], readonly source = "lab", where?: string) {
    super(
      `Invalid lab ${source}:\n` +
        issues.map((i) => `  ${where ?? formatPath(i.path)}: ${i.message}`).join("\n"),
      { where: where ?? formatPath(issues[0]?.path ?? []) },
    );
    this.name = "LabValidationError";
  }
}

/** `nodes.ns1.interfaces.eth0` style. */
export function formatPath(path: DocPath): string {
  return path.length === 0 ? "(top level)" : path.map(String).join(".");
}

export { type LabLayout, layoutOf } from "../reach.ts";

/** Options of {@link validateLab}: what the command line allows beyond what the lab creates. */
export type ValidateOptions = ReachOptions;

/**
 * Validates a lab description. Returns the lab with defaults filled in, or throws
 * {@link LabValidationError} listing every problem with its path.
 *
 * Beyond its shape, a lab may touch only what it creates (lib/reach.ts): a bridge's `uplink`
 * (a NIC of the host) is refused unless `options.uplinks` names it, as `--uplink NIC` does on the
 * command line.
 */
export function validateLab(
  input: unknown,
  source = "lab",
  options: ValidateOptions = {},
): Lab {
  // Too big: say only that (the other checks would take long and report in bulk).
  const big = typeof input === "object" && input !== null ? sizeIssues(input) : [];
  if (big.length) throw new LabValidationError(big, source);
  // Tunnels in a lab file: say only that (whatever else is wrong with them).
  const tunnels = typeof input === "object" && input !== null ? tunnelIssues(input, options) : [];
  if (tunnels.length) throw new LabValidationError(tunnels, source);
  const parsed = LabSchema.safeParse(input);
  if (!parsed.success) {
    throw new LabValidationError(parsed.error.issues.flatMap((i) => zodIssues(i, [])), source);
  }
  const lab = parsed.data;
  const issues = crossCheck(lab);
  if (issues.length === 0) issues.push(...reachIssues(lab, options));
  if (issues.length) throw new LabValidationError(issues, source);
  return lab;
}

/** zod's message, with the reason spelled out where zod only says "Invalid key in record". */
function issueMessage(issue: { code: string; message: string; path: PropertyKey[] }): string {
  const inner = (issue as { issues?: { message: string }[] }).issues;
  if (issue.code === "invalid_key" && inner?.length) {
    const key = issue.path.at(-1);
    return `invalid name ${JSON.stringify(String(key))}: ${inner.map((i) => i.message).join("; ")}`
      .replace(`: ${JSON.stringify(String(key))} is`, ": it is");
  }
  return issue.message;
}

interface ZodIssueLike {
  code?: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
  issues?: ZodIssueLike[];
  errors?: ZodIssueLike[][];
  params?: Record<string, unknown> | undefined;
}

/**
 * One zod issue as {@link LabIssue}s that point at the offending key: an unknown key becomes one
 * issue per key, a bad record key (a name) carries its own messages, and a union (the kinds of
 * `expect`) reports the branch that came closest.
 */
function zodIssues(issue: ZodIssueLike, prefix: DocPath): LabIssue[] {
  const path = [...prefix, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
  if (issue.code === "unrecognized_keys" && issue.keys?.length) {
    return issue.keys.map((k) => ({
      path: [...path, k],
      message: `unrecognized key "${k}"`,
      key: true,
    }));
  }
  if (issue.code === "invalid_key" && issue.issues?.length) {
    return [{ path, message: issueMessage({ ...issue, code: issue.code }), key: true }];
  }
  if (issue.code === "custom" && issue.params?.key === true) {
    return [{ path, message: issue.message, key: true }];
  }
  if (issue.code === "invalid_union" && issue.errors?.length) {
    const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
    return best.flatMap((i) => zodIssues(i, path));
  }
  const missing = /received undefined$/.test(issue.message) && path.length > 0;
  return [{
    path,
    message: missing ? `"${String(path[path.length - 1])}" is missing` : issue.message,
  }];
}

function crossCheck(lab: Lab): LabIssue[] {
  const issues: LabIssue[] = [];
  const add = (path: DocPath, message: string) => issues.push({ path, message });
  const isNode = (n: string) => n in lab.nodes;
  const isBridge = (b: string) => b in lab.bridges;

  for (const name of Object.keys(lab.bridges)) {
    if (isNode(name)) add(["bridges", name], `"${name}" is both a node and a bridge`);
  }

  // Interfaces: every owner exists; no name twice in one namespace.
  const seen = new Map<string, DocPath>(); // "owner-ns/ifname" -> first place
  const claim = (ns: string, ifname: string, path: DocPath) => {
    const key = `${ns}/${ifname}`;
    const first = seen.get(key);
    if (first) {
      add(
        path,
        `interface "${ifname}" is defined twice in ${
          ns === "" ? "the root namespace" : `node "${ns}"`
        } (first at ${formatPath(first)})`,
      );
    } else seen.set(key, path);
  };
  for (const name of Object.keys(lab.bridges)) claim("", name, ["bridges", name]);
  /** One end `OWNER:IFNAME` (of a link or a tunnel): a valid name, claimed where it lands. */
  const claimEnd = (ep: string, path: DocPath, unknownOwner: (owner: string) => string) => {
    const [owner = "", ifname = ""] = ep.split(":");
    if (new TextEncoder().encode(ifname).length > 15) {
      add(path, `interface name "${ifname}" is over 15 bytes`);
    }
    const alias = ifnameProblem(ifname);
    if (alias) add(path, `invalid interface name: ${alias}`);
    if (isBridge(owner)) claim("", ifname, path);
    else if (isNode(owner)) {
      const createAs = lab.nodes[owner]?.interfaces[ifname]?.createAs;
      claim(owner, ifname, path);
      if (createAs) claim(owner, createAs, path);
    } else add(path, unknownOwner(owner));
  };
  lab.links.forEach((link, i) => {
    link.endpoints.forEach((ep, j) => {
      claimEnd(
        ep,
        ["links", i, "endpoints", j],
        (owner) => `"${owner}" is neither a node nor a bridge (known: ${knownOwners(lab)})`,
      );
    });
  });
  (lab.tunnels ?? []).forEach((tunnel, i) => {
    claimEnd(
      tunnel.end,
      ["tunnels", i, "end"],
      (owner) => `"${owner}" is neither a node nor a bridge`,
    );
  });
  const attached = new Set([
    ...lab.links.flatMap((l) => l.endpoints),
    ...(lab.tunnels ?? []).map((t) => t.end),
  ]);
  for (const [bname, bridge] of Object.entries(lab.bridges)) {
    if (bridge.uplink !== undefined) {
      if (bridge.type !== "linux") {
        add(["bridges", bname, "uplink"], "an uplink joins a Linux bridge (type: linux)");
      }
      if (seen.has(`/${bridge.uplink}`)) {
        add(["bridges", bname, "uplink"], `"${bridge.uplink}" is made by the lab, not a NIC`);
      }
    }
    for (const [port, p] of Object.entries(bridge.ports)) {
      const path = ["bridges", bname, "ports", port];
      if (bridge.type === "linux" && (p.internal || p.tag !== undefined)) {
        add(path, "internal ports and VLAN tags need an OVS bridge (type: ovs)");
      }
      if (p.node !== undefined && !p.internal) {
        add([...path, "node"], '"node" is only for internal ports (internal: true)');
      }
      if (p.internal) {
        claim("", port, path); // OVS creates it in the root namespace first
        if (p.node !== undefined) {
          if (!isNode(p.node)) add([...path, "node"], `node "${p.node}" does not exist`);
          else claim(p.node, port, path);
        }
      } else if (p.bond === undefined) {
        if (!attached.has(`${bname}:${port}`)) {
          add(path, `no link ends at "${bname}:${port}": add a link or make it internal`);
        }
      }
    }
  }

  // Node settings refer to interfaces that land in the node; addresses are sane.
  const layout = layoutOf(lab);
  const allAddresses = new Map<string, DocPath>();
  for (const [nname, node] of Object.entries(lab.nodes)) {
    const ifaces = layout.nodeIfaces.get(nname) ?? new Set();
    const subnets: string[] = [];
    const prefixesOfNode = new OverlapIndex<[string, DocPath]>(
      Object.values(node.interfaces).flatMap((i) => i.addresses),
    );
    for (const [ifname, iface] of Object.entries(node.interfaces)) {
      const path = ["nodes", nname, "interfaces", ifname];
      if (!ifaces.has(ifname)) {
        add(path, `no link or internal port puts interface "${ifname}" into node "${nname}"`);
      }
      iface.addresses.forEach((cidr, k) => {
        const addr = ipaddr.parse(cidr.split("/")[0]!).toString(); // one spelling per address
        const first = allAddresses.get(addr);
        if (first) {
          add([...path, "addresses", k], `${addr} is already used at ${formatPath(first)}`);
        } else allAddresses.set(addr, [...path, "addresses", k]);
        if (familyOf(addr) === 6) {
          if (
            networkOfAny(cidr) === ipaddr.parse(addr).toString() + cidr.slice(cidr.indexOf("/")) &&
            !cidr.endsWith("/128") && !cidr.endsWith("/127")
          ) {
            add(
              [...path, "addresses", k],
              `${cidr} is the subnet-router anycast (network) address, not a host address (use e.g. ${
                networkOfAny(cidr).replace("::/", "::1/")
              })`,
            );
          }
        } else if (networkOfAny(cidr) === cidr && !cidr.endsWith("/32")) {
          add(
            [...path, "addresses", k],
            `${cidr} is the network address, not a host address (the seed's slip: use e.g. ${
              cidr.replace(/\.0\//, ".1/")
            })`,
          );
        }
        subnets.push(cidr);
        // Two interfaces of one node with overlapping prefixes: which one reaches them?
        const overlap = prefixesOfNode.add(cidr, ifname, [cidr, [...path, "addresses", k]]);
        if (overlap) {
          const [other, otherPath] = overlap;
          add(
            [...path, "addresses", k],
            `${cidr} overlaps ${other} at ${
              formatPath(otherPath)
            }: the interfaces of a node need distinct prefixes`,
          );
        }
      });
      if (iface.dhcp && iface.addresses.some((a) => familyOf(a.split("/")[0]!) === 4)) {
        add(path, "an interface takes either static IPv4 addresses or DHCP, not both");
      }
    }
    const ownSubnets = new SubnetIndex(subnets);
    node.routes.forEach((r, k) => {
      const toFamily = r.to === "default" ? undefined : familyOf(r.to.split("/")[0]!);
      const viaFamily = r.via === undefined ? undefined : familyOf(r.via);
      const linkLocal = r.via !== undefined && viaFamily === 6 &&
        ipaddr.IPv6.parse(r.via).range() === "linkLocal";
      if (toFamily !== undefined && viaFamily !== undefined && toFamily !== viaFamily) {
        add(
          ["nodes", nname, "routes", k, "via"],
          `gateway ${r.via} is IPv${viaFamily}, but the route to ${r.to} is IPv${toFamily}`,
        );
      } else if (linkLocal) {
        if (r.dev === undefined) {
          add(["nodes", nname, "routes", k], `a link-local gateway (${r.via}) needs "dev"`);
        }
      } else if (r.via !== undefined && !ownSubnets.holds(r.via)) {
        add(
          ["nodes", nname, "routes", k, "via"],
          `gateway ${r.via} is outside every subnet of node "${nname}"`,
        );
      }
      if (r.dev !== undefined && !ifaces.has(r.dev)) {
        add(["nodes", nname, "routes", k, "dev"], `node "${nname}" has no interface "${r.dev}"`);
      }
    });
    node.nat.forEach((n, k) => {
      if (n.outInterface !== undefined && !ifaces.has(n.outInterface)) {
        add(
          ["nodes", nname, "nat", k, "outInterface"],
          `node "${nname}" has no interface "${n.outInterface}"`,
        );
      }
    });
    const d = node.dhcpServer;
    if (d) {
      const path = ["nodes", nname, "dhcpServer"];
      const all = node.interfaces[d.interface]?.addresses ?? [];
      const own = all.filter((a) => familyOf(a.split("/")[0]!) === 4);
      const own6 = all.filter((a) => familyOf(a.split("/")[0]!) === 6);
      if (d.range === undefined && d.range6 === undefined && !d.slaac) {
        add(path, 'a DHCP server needs "range" (DHCPv4), "range6" (DHCPv6) or "slaac: true"');
      }
      if (d.router !== undefined && d.range === undefined) {
        add([...path, "router"], '"router" is a DHCPv4 option: it needs "range"');
      }
      if (!ifaces.has(d.interface)) add([...path, "interface"], `no interface "${d.interface}"`);
      else if (d.range !== undefined && own.length === 0) {
        add([...path, "interface"], `"${d.interface}" needs a static IPv4 address to serve DHCP`);
      } else if (d.range !== undefined) {
        for (const [k, a] of d.range.entries()) {
          if (!own.some((s) => inSubnet(a, s))) {
            add([...path, "range", k], `${a} is outside ${own.join(", ")}`);
          }
        }
        if (ipToNumber(d.range[0]) > ipToNumber(d.range[1])) {
          add([...path, "range"], "the range's first address is after its last");
        }
      }
      if (ifaces.has(d.interface) && d.range6 !== undefined) {
        if (own6.length === 0) {
          add([...path, "range6"], `"${d.interface}" needs a static IPv6 address to serve DHCPv6`);
        } else {
          for (const [k, a] of d.range6.entries()) {
            if (!own6.some((s) => inSubnetAny(a, s))) {
              add([...path, "range6", k], `${a} is outside ${own6.join(", ")}`);
            }
          }
          if (ipToBigInt(d.range6[0]) > ipToBigInt(d.range6[1])) {
            add([...path, "range6"], "the range's first address is after its last");
          }
        }
      }
      if (ifaces.has(d.interface) && d.slaac && !own6.some((a) => a.endsWith("/64"))) {
        add(
          [...path, "slaac"],
          `SLAAC needs a /64: "${d.interface}" has no IPv6 address with prefix length 64`,
        );
      }
    }
    if (node.routing) issues.push(...routingIssues(nname, node, ifaces));
  }
  issues.push(...ovsIssues(lab, layout));
  lab.expect.forEach((e, k) => {
    const nodes = "ping" in e && e.ping
      ? [e.ping.from]
      : "lease" in e
      ? [e.lease.node]
      : "snat" in e
      ? [e.snat.from, e.snat.observer]
      : "tcp" in e
      ? [e.tcp.from, ...(e.tcp.listen === undefined ? [] : [e.tcp.listen])]
      : "route" in e
      ? [e.route.node]
      : "link" in e
      ? [e.link.node]
      : "slaac" in e
      ? [e.slaac.node]
      : "failover" in e
      ? [e.failover.from, e.failover.down.split(":")[0]!]
      : [];
    if ("lease" in e && familyOf(e.lease.range[0]) !== familyOf(e.lease.range[1])) {
      add(["expect", k, "lease", "range"], "the range's two ends are of different families");
    }
    if ("slaac" in e && familyOf(e.slaac.prefix.split("/")[0]!) !== 6) {
      add(["expect", k, "slaac", "prefix"], "SLAAC prefixes are IPv6");
    }
    if ("failover" in e) {
      const [node = "", ifname = ""] = e.failover.down.split(":");
      if (isNode(node) && !layout.nodeIfaces.get(node)?.has(ifname)) {
        add(["expect", k, "failover", "down"], `node "${node}" has no interface "${ifname}"`);
      }
    }
    for (const n of nodes) {
      if (!isNode(n)) add(["expect", k], `node "${n}" does not exist`);
    }
    const ifaceOf = "link" in e
      ? { node: e.link.node, ifname: e.link.interface, path: ["expect", k, "link", "interface"] }
      : "route" in e && e.route.dev !== undefined
      ? { node: e.route.node, ifname: e.route.dev, path: ["expect", k, "route", "dev"] }
      : undefined;
    if (
      ifaceOf && isNode(ifaceOf.node) && !layout.nodeIfaces.get(ifaceOf.node)?.has(ifaceOf.ifname)
    ) {
      add(ifaceOf.path, `node "${ifaceOf.node}" has no interface "${ifaceOf.ifname}"`);
    }
  });
  issues.push(...hostIssues(lab));
  return issues;
}

const knownOwnersOf = new WeakMap<Lab, string>();

/**
 * The lab's nodes and bridges, for a message: the first 20 names, then how many more (made once
 * per lab, however many links name an unknown owner).
 */
function knownOwners(lab: Lab): string {
  let known = knownOwnersOf.get(lab);
  if (known === undefined) {
    const names = [...Object.keys(lab.nodes), ...Object.keys(lab.bridges)];
    const more = names.length > 20 ? `, and ${names.length - 20} more` : "";
    known = names.length === 0 ? "none" : names.slice(0, 20).join(", ") + more;
    knownOwnersOf.set(lab, known);
  }
  return known;
}

/** The checks of a node's `routing` (OSPF and BGP by FRR). */
function routingIssues(
  nname: string,
  node: Lab["nodes"][string],
  ifaces: ReadonlySet<string>,
): LabIssue[] {
  const issues: LabIssue[] = [];
  const base = ["nodes", nname, "routing"];
  const add = (path: DocPath, message: string) =>
    issues.push({ path: [...base, ...path], message });
  const routing = node.routing!;
  const addresses = Object.values(node.interfaces).flatMap((i) => i.addresses);
  const ownAddresses = new Set(addresses.map((a) => ipaddr.parse(a.split("/")[0]!).toString()));
  const ownSubnets = new SubnetIndex(addresses);
  if (node.role !== "router") {
    issues.push({
      path: ["nodes", nname, "role"],
      message: `node "${nname}" runs routing daemons: it needs "role: router" (forwarding on)`,
    });
  }
  if (
    routing.routerId === undefined && !addresses.some((a) => familyOf(a.split("/")[0]!) === 4)
  ) {
    add([], `node "${nname}" has no IPv4 address to take its router ID from: set "routerId"`);
  }
  const ospf = routing.ospf;
  if (ospf) {
    const seen = new Set<string>();
    for (
      const [list, names] of [["interfaces", ospf.interfaces], [
        "passive",
        ospf.passive ?? [],
      ]] as const
    ) {
      names.forEach((ifname, k) => {
        const path = ["ospf", list, k];
        if (!ifaces.has(ifname)) add(path, `OSPF interface "${ifname}" is not on node "${nname}"`);
        else if ((node.interfaces[ifname]?.addresses ?? []).length === 0) {
          add(path, `OSPF interface "${ifname}" has no static address`);
        }
        if (seen.has(ifname)) add(path, `"${ifname}" is listed twice`);
        seen.add(ifname);
      });
    }
    const hello = ospf.hello ?? 10, dead = ospf.dead ?? 40;
    if (dead <= hello) {
      add(
        ["ospf", ospf.dead !== undefined ? "dead" : "hello"],
        `the dead interval (${dead} s) must be longer than the hello interval (${hello} s)`,
      );
    }
  }
  const bgp = routing.bgp;
  if (bgp) {
    const seen = new Set<string>();
    bgp.neighbors.forEach((n, k) => {
      const path = ["bgp", "neighbors", k, "address"];
      const key = ipaddr.parse(n.address).toString();
      if (seen.has(key)) add(path, `neighbor ${n.address} is listed twice`);
      seen.add(key);
      if (ownAddresses.has(key)) {
        add(path, `${n.address} is node "${nname}"'s own address`);
      } else if (!ownSubnets.holds(n.address)) {
        add(path, `BGP neighbor ${n.address} is not in any subnet of node "${nname}"`);
      }
    });
    (bgp.networks ?? []).forEach((net, k) => {
      if (networkOfAny(net) !== net) {
        add(["bgp", "networks", k], `${net} is not a network address (use ${networkOfAny(net)})`);
      }
    });
  }
  return issues;
}
