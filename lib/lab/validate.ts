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
  type LabLayout,
  layoutOf,
  reachIssues,
  type ReachOptions,
  ROOT_OWNER,
  sizeIssues,
  tunnelIssues,
} from "../reach.ts";
import { type Lab, LabSchema } from "./schema.ts";
import { hostIssues } from "../multihost/validate.ts";
import { ovsIssues } from "./validate_ovs.ts";
import { uplinkLanIssues } from "../uplink_lan.ts";
import type { DocPath, LabIssue } from "./issue.ts";
import { inheritedKeyIssues, ownNames } from "./own_names.ts";
import { formatPath, schemaIssues } from "./schema_issues.ts";
import { partialLab } from "./partial.ts";

export type { DocPath, LabIssue } from "./issue.ts";

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
        issues.map((i) => {
          const at = where ?? formatPath(i.path);
          // An enum's message names its field already (lib/lab/schema_issues.ts).
          return `  ${i.message.startsWith(`${at}: `) ? i.message : `${at}: ${i.message}`}`;
        }).join("\n"),
      { where: where ?? formatPath(issues[0]?.path ?? []) },
    );
    this.name = "LabValidationError";
  }
}

export { layoutOf } from "../reach.ts";

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
  // A key every JavaScript object has: say only that (the schema would drop `__proto__` silently).
  const inherited = typeof input === "object" && input !== null ? inheritedKeyIssues(input) : [];
  if (inherited.length) throw new LabValidationError(inherited, source);
  const parsed = LabSchema.safeParse(input);
  if (!parsed.success) {
    // The shape's problems, and those across the lab in the parts that parsed (lib/lab/partial.ts).
    const shape = schemaIssues(parsed.error.issues, input, LabSchema);
    const partial = partialLab(input, shape);
    const across = partial ? crossCheck(partial.lab).flatMap((i) => partial.place(i) ?? []) : [];
    throw new LabValidationError([...shape.map(({ unknownKey: _, ...i }) => i), ...across], source);
  }
  const lab = ownNames(parsed.data);
  const issues = crossCheck(lab);
  if (issues.length === 0) {
    issues.push(...reachIssues(lab, options));
    // The uplinks' LANs are the real network: what would speak there needs --uplink-allow. (Not
    // in reach.ts: its address index would load with every command that prints.)
    issues.push(...uplinkLanIssues(lab, options.uplinkAllow));
  }
  if (issues.length) throw new LabValidationError(issues, source);
  return lab;
}

type LabNode = Lab["nodes"][string];
type LabBridge = Lab["bridges"][string];
type Proof = Lab["expect"][number];

/** What every cross-check reads, and where it reports. */
interface CrossContext {
  readonly lab: Lab;
  readonly layout: LabLayout;
  readonly issues: LabIssue[];
  add(path: DocPath, message: string): void;
  isNode(name: string): boolean;
  isBridge(name: string): boolean;
}

/**
 * The rules that span the lab, each a small named check, in the order their problems are
 * reported.
 */
const CROSS_CHECKS: readonly ((c: CrossContext) => void)[] = [
  bridgesAreNotNodes,
  interfaceNames,
  nodeSettings,
  ovsFeatures,
  proofReferences,
  multihostHosts,
  linuxBridgePorts,
];

function crossCheck(lab: Lab): LabIssue[] {
  const issues: LabIssue[] = [];
  const c: CrossContext = {
    lab,
    layout: layoutOf(lab),
    issues,
    add: (path, message) => void issues.push({ path, message }),
    isNode: (n) => Object.hasOwn(lab.nodes, n),
    isBridge: (b) => Object.hasOwn(lab.bridges, b),
  };
  for (const check of CROSS_CHECKS) check(c);
  return issues;
}

/** No name is both a node and a bridge; neither is called `root` (the root namespace's ends). */
function bridgesAreNotNodes({ lab, add, isNode, isBridge }: CrossContext): void {
  for (const name of Object.keys(lab.bridges)) {
    if (isNode(name)) add(["bridges", name], `"${name}" is both a node and a bridge`);
  }
  for (const [kind, is] of [["nodes", isNode], ["bridges", isBridge]] as const) {
    if (is(ROOT_OWNER)) {
      add(
        [kind, ROOT_OWNER],
        `"${ROOT_OWNER}" is reserved: a link end "${ROOT_OWNER}:IFNAME" is an interface in ` +
          "the root namespace (give it another name)",
      );
    }
  }
}

/** OpenFlow flows, bonds, mirrors, QoS and the proofs that use them (validate_ovs.ts). */
function ovsFeatures(c: CrossContext): void {
  c.issues.push(...ovsIssues(c.lab, c.layout));
}

/** The hosts a lab spreads over (lib/multihost/validate.ts). */
function multihostHosts(c: CrossContext): void {
  c.issues.push(...hostIssues(c.lab));
}

/** The most ports a Linux bridge takes (the kernel's BR_MAX_PORTS, 1024, less port 0). */
export const LINUX_BRIDGE_MAX_PORTS = 1023;

/**
 * A Linux bridge has at most {@link LINUX_BRIDGE_MAX_PORTS} ports (link ends, tunnel ends and
 * its uplink): the kernel refuses the next with "Exchange full", halfway through a bring-up.
 */
function linuxBridgePorts({ lab, add }: CrossContext): void {
  const ports = new Map<string, number>();
  const count = (end: string) => {
    const owner = end.slice(0, end.indexOf(":"));
    if (lab.bridges[owner]?.type === "linux") ports.set(owner, (ports.get(owner) ?? 0) + 1);
  };
  for (const link of lab.links) link.endpoints.forEach(count);
  for (const tunnel of lab.tunnels ?? []) count(tunnel.end);
  for (const [name, bridge] of Object.entries(lab.bridges)) {
    const n = (ports.get(name) ?? 0) + (bridge.uplink === undefined ? 0 : 1);
    if (n > LINUX_BRIDGE_MAX_PORTS) {
      add(
        ["bridges", name],
        `Linux bridge "${name}" has ${n} ports; the kernel takes at most ` +
          `${LINUX_BRIDGE_MAX_PORTS} (it refuses the next with "Exchange full"): use an OVS ` +
          "bridge (type: ovs), or two Linux bridges joined by a link",
      );
    }
  }
}

/** The interface names claimed in each namespace, each with the first place that claimed it. */
class InterfaceClaims {
  readonly #first = new Map<string, DocPath>(); // "owner-ns/ifname" -> first place
  constructor(readonly add: (path: DocPath, message: string) => void) {}

  /** Claims `ifname` in node `ns` ("" for the root namespace); a second claim is a problem. */
  claim(ns: string, ifname: string, path: DocPath): void {
    const key = `${ns}/${ifname}`;
    const first = this.#first.get(key);
    if (first) {
      this.add(
        path,
        `interface "${ifname}" is defined twice in ${
          ns === "" ? "the root namespace" : `node "${ns}"`
        } (first at ${formatPath(first)})`,
      );
    } else this.#first.set(key, path);
  }

  /** Whether `ifname` is claimed in node `ns` ("" for the root namespace). */
  has(ns: string, ifname: string): boolean {
    return this.#first.has(`${ns}/${ifname}`);
  }
}

/** The cross-checks of interface names, with the claims made so far. */
interface ClaimContext extends CrossContext {
  readonly claims: InterfaceClaims;
}

/**
 * Interfaces: every owner exists; no name twice in one namespace; a bridge's uplink and ports fit
 * its type. Bridges, link ends, tunnel ends, dummies and internal ports claim names in that order.
 */
function interfaceNames(cross: CrossContext): void {
  const { lab } = cross;
  const c: ClaimContext = { ...cross, claims: new InterfaceClaims(cross.add) };
  for (const name of Object.keys(lab.bridges)) c.claims.claim("", name, ["bridges", name]);
  lab.links.forEach((link, i) => {
    link.endpoints.forEach((ep, j) => {
      claimEnd(
        c,
        ep,
        ["links", i, "endpoints", j],
        (owner) => `"${owner}" is neither a node nor a bridge (known: ${knownOwners(lab)})`,
      );
    });
  });
  (lab.tunnels ?? []).forEach((tunnel, i) => {
    claimEnd(
      c,
      tunnel.end,
      ["tunnels", i, "end"],
      (owner) => `"${owner}" is neither a node nor a bridge`,
    );
  });
  for (const [node, n] of Object.entries(lab.nodes)) {
    for (const [ifname, i] of Object.entries(n.interfaces)) {
      if (!i.dummy) continue;
      const path = ["nodes", node, "interfaces", ifname, "dummy"];
      c.claims.claim(node, ifname, path);
      if (i.createAs !== undefined) {
        c.add(path, "a dummy interface is created under its own name (no createAs)");
      }
    }
  }
  const attached = new Set([
    ...lab.links.flatMap((l) => l.endpoints),
    ...(lab.tunnels ?? []).map((t) => t.end),
  ]);
  for (const [bname, bridge] of Object.entries(lab.bridges)) {
    bridgeUplink(c, bname, bridge);
    for (const [port, p] of Object.entries(bridge.ports)) {
      bridgePort(c, { bname, bridge, port, p, attached });
    }
  }
}

/** One end `OWNER:IFNAME` (of a link or a tunnel): a valid name, claimed where it lands. */
function claimEnd(
  c: ClaimContext,
  ep: string,
  path: DocPath,
  unknownOwner: (owner: string) => string,
): void {
  const [owner = "", ifname = ""] = ep.split(":");
  if (new TextEncoder().encode(ifname).length > 15) {
    c.add(path, `interface name "${ifname}" is over 15 bytes`);
  }
  const alias = ifnameProblem(ifname);
  if (alias) c.add(path, `invalid interface name: ${alias}`);
  if (c.isBridge(owner)) c.claims.claim("", ifname, path);
  else if (owner === ROOT_OWNER && path[0] === "links") {
    c.claims.claim("", ifname, path);
    if (c.lab.hosts !== undefined) {
      c.add(
        path,
        `a "${ROOT_OWNER}:" end is refused in a multi-host lab: it spans several machines, and ` +
          "the end would need one machine's root namespace",
      );
    }
  } else if (c.isNode(owner)) {
    const createAs = c.lab.nodes[owner]?.interfaces[ifname]?.createAs;
    c.claims.claim(owner, ifname, path);
    if (createAs) c.claims.claim(owner, createAs, path);
  } else c.add(path, unknownOwner(owner));
}

/** A bridge's uplink joins a Linux bridge and is a NIC, not a name the lab makes. */
function bridgeUplink(c: ClaimContext, bname: string, bridge: LabBridge): void {
  if (bridge.uplink === undefined) return;
  if (bridge.type !== "linux") {
    c.add(["bridges", bname, "uplink"], "an uplink joins a Linux bridge (type: linux)");
  }
  if (c.claims.has("", bridge.uplink)) {
    c.add(["bridges", bname, "uplink"], `"${bridge.uplink}" is made by the lab, not a NIC`);
  }
}

/** One port of a bridge: OVS-only settings on OVS, internal ports claimed, others linked. */
function bridgePort(
  c: ClaimContext,
  at: {
    bname: string;
    bridge: LabBridge;
    port: string;
    p: LabBridge["ports"][string];
    attached: ReadonlySet<string>;
  },
): void {
  const { bname, bridge, port, p } = at;
  const path = ["bridges", bname, "ports", port];
  if (bridge.type === "linux" && (p.internal || p.tag !== undefined)) {
    c.add(path, "internal ports and VLAN tags need an OVS bridge (type: ovs)");
  }
  if (p.node !== undefined && !p.internal) {
    c.add([...path, "node"], '"node" is only for internal ports (internal: true)');
  }
  if (p.internal) {
    c.claims.claim("", port, path); // OVS creates it in the root namespace first
    if (p.node !== undefined) {
      if (!c.isNode(p.node)) c.add([...path, "node"], `node "${p.node}" does not exist`);
      else c.claims.claim(p.node, port, path);
    }
  } else if (p.bond === undefined) {
    if (!at.attached.has(`${bname}:${port}`)) {
      c.add(path, `no link ends at "${bname}:${port}": add a link or make it internal`);
    }
  }
}

/** One node, as the checks of its settings see it. */
interface NodeAt {
  readonly name: string;
  readonly node: LabNode;
  /** The interfaces that land in the node. */
  readonly ifaces: ReadonlySet<string>;
  /** The node's addresses with prefix, filled in by {@link nodeInterfaces}. */
  readonly subnets: string[];
}

/**
 * Node settings refer to interfaces that land in the node; addresses are sane and unique in the
 * lab; routes, NAT, the DHCP server and routing fit the node's interfaces and subnets.
 */
function nodeSettings(c: CrossContext): void {
  const allAddresses = new Map<string, DocPath>();
  for (const [name, node] of Object.entries(c.lab.nodes)) {
    const ifaces = c.layout.nodeIfaces.get(name) ?? new Set<string>();
    const n: NodeAt = { name, node, ifaces, subnets: [] };
    nodeInterfaces(c, n, allAddresses);
    nodeRoutes(c, n);
    nodeNat(c, n);
    if (node.dhcpServer) dhcpServer(c, n, node.dhcpServer);
    if (node.routing) c.issues.push(...routingIssues(name, node, ifaces));
  }
}

/** A node's interfaces land in it; each address is a host address, used once in the lab. */
function nodeInterfaces(c: CrossContext, n: NodeAt, allAddresses: Map<string, DocPath>): void {
  const prefixesOfNode = new OverlapIndex<[string, DocPath]>(
    Object.values(n.node.interfaces).flatMap((i) => i.addresses),
  );
  for (const [ifname, iface] of Object.entries(n.node.interfaces)) {
    const path = ["nodes", n.name, "interfaces", ifname];
    if (!n.ifaces.has(ifname)) {
      c.add(path, `no link or internal port puts interface "${ifname}" into node "${n.name}"`);
    }
    iface.addresses.forEach((cidr, k) => {
      const at = [...path, "addresses", k];
      const addr = ipaddr.parse(cidr.split("/")[0]!).toString(); // one spelling per address
      const first = allAddresses.get(addr);
      if (first) c.add(at, `${addr} is already used at ${formatPath(first)}`);
      else allAddresses.set(addr, [...path, "addresses", k]);
      const notHost = networkAddressProblem(cidr, addr);
      if (notHost) c.add(at, notHost);
      n.subnets.push(cidr);
      // Two interfaces of one node with overlapping prefixes: which one reaches them?
      const overlap = prefixesOfNode.add(cidr, ifname, [cidr, [...path, "addresses", k]]);
      if (overlap) {
        const [other, otherPath] = overlap;
        c.add(
          at,
          `${cidr} overlaps ${other} at ${
            formatPath(otherPath)
          }: the interfaces of a node need distinct prefixes`,
        );
      }
    });
    if (iface.dhcp && iface.addresses.some((a) => familyOf(a.split("/")[0]!) === 4)) {
      c.add(path, "an interface takes either static IPv4 addresses or DHCP, not both");
    }
  }
}

/** Why `cidr` (whose address is spelled `addr`) is a network address, not a host's, if it is. */
function networkAddressProblem(cidr: string, addr: string): string | undefined {
  if (familyOf(addr) === 6) {
    if (
      networkOfAny(cidr) === ipaddr.parse(addr).toString() + cidr.slice(cidr.indexOf("/")) &&
      !cidr.endsWith("/128") && !cidr.endsWith("/127")
    ) {
      return `${cidr} is the subnet-router anycast (network) address, not a host address (use e.g. ${
        networkOfAny(cidr).replace("::/", "::1/")
      })`;
    }
  } else if (networkOfAny(cidr) === cidr && !cidr.endsWith("/32")) {
    return `${cidr} is the network address, not a host address (use e.g. ${
      cidr.replace(/\.0\//, ".1/")
    })`;
  }
  return undefined;
}

/** A route's gateway is of its family and in a subnet of the node; its `dev` is the node's. */
function nodeRoutes(c: CrossContext, n: NodeAt): void {
  const ownSubnets = new SubnetIndex(n.subnets);
  n.node.routes.forEach((r, k) => {
    const path = ["nodes", n.name, "routes", k];
    const toFamily = r.to === "default" ? undefined : familyOf(r.to.split("/")[0]!);
    const viaFamily = r.via === undefined ? undefined : familyOf(r.via);
    const linkLocal = r.via !== undefined && viaFamily === 6 &&
      ipaddr.IPv6.parse(r.via).range() === "linkLocal";
    if (toFamily !== undefined && viaFamily !== undefined && toFamily !== viaFamily) {
      c.add(
        [...path, "via"],
        `gateway ${r.via} is IPv${viaFamily}, but the route to ${r.to} is IPv${toFamily}`,
      );
    } else if (linkLocal) {
      if (r.dev === undefined) c.add(path, `a link-local gateway (${r.via}) needs "dev"`);
    } else if (r.via !== undefined && !ownSubnets.holds(r.via)) {
      c.add([...path, "via"], `gateway ${r.via} is outside every subnet of node "${n.name}"`);
    }
    if (r.dev !== undefined && !n.ifaces.has(r.dev)) {
      c.add([...path, "dev"], `node "${n.name}" has no interface "${r.dev}"`);
    }
  });
}

/** A NAT rule's `outInterface` is the node's. */
function nodeNat(c: CrossContext, n: NodeAt): void {
  n.node.nat.forEach((rule, k) => {
    if (rule.outInterface !== undefined && !n.ifaces.has(rule.outInterface)) {
      c.add(
        ["nodes", n.name, "nat", k, "outInterface"],
        `node "${n.name}" has no interface "${rule.outInterface}"`,
      );
    }
  });
}

type DhcpServer = NonNullable<LabNode["dhcpServer"]>;

/**
 * A DHCP server serves something, on an interface of its node, from ranges inside that
 * interface's subnets.
 */
function dhcpServer(c: CrossContext, n: NodeAt, d: DhcpServer): void {
  const path = ["nodes", n.name, "dhcpServer"];
  const all = n.node.interfaces[d.interface]?.addresses ?? [];
  const own = all.filter((a) => familyOf(a.split("/")[0]!) === 4);
  const own6 = all.filter((a) => familyOf(a.split("/")[0]!) === 6);
  if (d.range === undefined && d.range6 === undefined && !d.slaac) {
    c.add(path, 'a DHCP server needs "range" (DHCPv4), "range6" (DHCPv6) or "slaac: true"');
  }
  if (d.router !== undefined && d.range === undefined) {
    c.add([...path, "router"], '"router" is a DHCPv4 option: it needs "range"');
  }
  if (!n.ifaces.has(d.interface)) c.add([...path, "interface"], `no interface "${d.interface}"`);
  else if (d.range !== undefined && own.length === 0) {
    c.add([...path, "interface"], `"${d.interface}" needs a static IPv4 address to serve DHCP`);
  } else if (d.range !== undefined) {
    for (const [k, a] of d.range.entries()) {
      if (!own.some((s) => inSubnet(a, s))) {
        c.add([...path, "range", k], `${a} is outside ${own.join(", ")}`);
      }
    }
    if (ipToNumber(d.range[0]) > ipToNumber(d.range[1])) {
      c.add([...path, "range"], "the range's first address is after its last");
    }
  }
  if (!n.ifaces.has(d.interface)) return;
  if (d.range6 !== undefined) dhcp6Range(c, path, d, own6);
  if (d.slaac && !own6.some((a) => a.endsWith("/64"))) {
    c.add(
      [...path, "slaac"],
      `SLAAC needs a /64: "${d.interface}" has no IPv6 address with prefix length 64`,
    );
  }
}

/** A DHCPv6 range: the interface has IPv6 addresses, and the range lies in their subnets. */
function dhcp6Range(c: CrossContext, path: DocPath, d: DhcpServer, own6: string[]): void {
  const range6 = d.range6!;
  if (own6.length === 0) {
    c.add([...path, "range6"], `"${d.interface}" needs a static IPv6 address to serve DHCPv6`);
    return;
  }
  for (const [k, a] of range6.entries()) {
    if (!own6.some((s) => inSubnetAny(a, s))) {
      c.add([...path, "range6", k], `${a} is outside ${own6.join(", ")}`);
    }
  }
  if (ipToBigInt(range6[0]) > ipToBigInt(range6[1])) {
    c.add([...path, "range6"], "the range's first address is after its last");
  }
}

/** One check of a proof (`expect[k]`). */
type ProofCheck = (c: CrossContext, e: Proof, k: number) => void;

/** The checks of every proof, in the order their problems are reported. */
const PROOF_CHECKS: readonly ProofCheck[] = [
  leaseRangeFamily,
  slaacPrefixFamily,
  failoverInterface,
  proofNodesExist,
  proofInterfaceExists,
];

/** Every proof names nodes and interfaces of the lab, with ranges and prefixes that fit. */
function proofReferences(c: CrossContext): void {
  c.lab.expect.forEach((e, k) => {
    for (const check of PROOF_CHECKS) check(c, e, k);
  });
}

/** The nodes a proof names. */
function proofNodes(e: Proof): string[] {
  return "ping" in e && e.ping
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
}

/** A lease's range has two ends of one family. */
function leaseRangeFamily(c: CrossContext, e: Proof, k: number): void {
  if ("lease" in e && familyOf(e.lease.range[0]) !== familyOf(e.lease.range[1])) {
    c.add(["expect", k, "lease", "range"], "the range's two ends are of different families");
  }
}

/** A SLAAC proof's prefix is IPv6. */
function slaacPrefixFamily(c: CrossContext, e: Proof, k: number): void {
  if ("slaac" in e && familyOf(e.slaac.prefix.split("/")[0]!) !== 6) {
    c.add(["expect", k, "slaac", "prefix"], "SLAAC prefixes are IPv6");
  }
}

/** A failover proof takes down an interface of its node (or every one: the node has some). */
function failoverInterface(c: CrossContext, e: Proof, k: number): void {
  if (!("failover" in e)) return;
  const [node = "", ifname] = e.failover.down.split(":");
  if (ifname === undefined) {
    if (
      c.isNode(node) && !c.lab.links.some((l) => l.endpoints.some((p) => p.startsWith(`${node}:`)))
    ) {
      c.add(["expect", k, "failover", "down"], `node "${node}" has no link to take down`);
    }
    return;
  }
  if (c.isNode(node) && !c.layout.nodeIfaces.get(node)?.has(ifname)) {
    c.add(["expect", k, "failover", "down"], `node "${node}" has no interface "${ifname}"`);
  }
}

/** Every node a proof names is a node of the lab. */
function proofNodesExist(c: CrossContext, e: Proof, k: number): void {
  for (const n of proofNodes(e)) {
    if (!c.isNode(n)) c.add(["expect", k], `node "${n}" does not exist`);
  }
}

/** The interface a link, lease, SLAAC, capture or route proof names is one of its node's. */
function proofInterfaceExists(c: CrossContext, e: Proof, k: number): void {
  const ifaceOf = "link" in e
    ? { node: e.link.node, ifname: e.link.interface, path: ["expect", k, "link", "interface"] }
    : "lease" in e
    ? { node: e.lease.node, ifname: e.lease.interface, path: ["expect", k, "lease", "interface"] }
    : "slaac" in e
    ? { node: e.slaac.node, ifname: e.slaac.interface, path: ["expect", k, "slaac", "interface"] }
    : "capture" in e
    ? {
      node: e.capture.node,
      ifname: e.capture.interface,
      path: ["expect", k, "capture", "interface"],
    }
    : "route" in e && e.route.dev !== undefined
    ? { node: e.route.node, ifname: e.route.dev, path: ["expect", k, "route", "dev"] }
    : undefined;
  if (
    ifaceOf && c.isNode(ifaceOf.node) &&
    !c.layout.nodeIfaces.get(ifaceOf.node)?.has(ifaceOf.ifname)
  ) {
    c.add(ifaceOf.path, `node "${ifaceOf.node}" has no interface "${ifaceOf.ifname}"`);
  }
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
    routing.routerId === undefined && routing.config === undefined &&
    !addresses.some((a) => familyOf(a.split("/")[0]!) === 4)
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
