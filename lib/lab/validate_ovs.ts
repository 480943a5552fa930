/**
 * The lab-wide rules for the Open vSwitch features beyond ports and tags — OpenFlow flows, bonds,
 * mirrors, QoS — and for the proofs that use them. Called from validate.ts's cross-checks, so
 * every problem carries its path in the document (and a lab file its `FILE:LINE:COL`).
 *
 * What each field may reach: a flow, a mirror and a QoS setting name only ports of their own
 * bridge in the lab (every port of a lab's bridge is the lab's own); a bond's members are the
 * lab's own link ends at that bridge. Flows are checked by lib/ovs/flow_syntax.ts, which also
 * refuses actions that reach outside the lab.
 *
 * @module
 */
import { FlowSyntaxError, matchKey, type ParsedFlow, parseFlow } from "../ovs/flow_syntax.ts";
import { qosRefusal } from "../primitives/ovs_qos.ts";
import type { Lab } from "./schema.ts";
import type { DocPath, LabIssue } from "./issue.ts";
import type { LabLayout } from "../reach.ts";

type Bridge = Lab["bridges"][string];

/** The bond a port entry describes, if any: its members. */
export function bondMembers(bridge: Bridge): Map<string, string> {
  const memberOf = new Map<string, string>(); // member -> bond
  for (const [name, p] of Object.entries(bridge.ports)) {
    for (const m of p.bond ?? []) if (!memberOf.has(m)) memberOf.set(m, name);
  }
  return memberOf;
}

/** The names of the lab's bonds (OVS ports with no interface of their own name). */
export function bondNames(lab: Lab): string[] {
  return Object.values(lab.bridges).flatMap((b) =>
    Object.entries(b.ports).flatMap(([name, p]) => (p.bond ? [name] : []))
  );
}

/** The link ends at bridge `name` (interfaces the lab creates there). */
function linkEndsAt(lab: Lab, name: string): string[] {
  return lab.links.flatMap((l) =>
    l.endpoints.flatMap((ep) => {
      const [owner = "", ifname = ""] = ep.split(":");
      return owner === name ? [ifname] : [];
    })
  );
}

/** The link ends at every bridge, in one pass over the links (bridge -> interfaces). */
function linkEndsByBridge(lab: Lab): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const link of lab.links) {
    for (const ep of link.endpoints) {
      const at = ep.indexOf(":");
      const owner = ep.slice(0, at);
      if (!Object.hasOwn(lab.bridges, owner)) continue;
      const ends = out.get(owner) ?? [];
      ends.push(ep.slice(at + 1));
      out.set(owner, ends);
    }
  }
  return out;
}

/** Names for a message: the first `max`, then how many more. */
function someOf(names: Iterable<string>, separator = ", ", max = 20): string {
  const all = [...names];
  const more = all.length > max ? `${separator}and ${all.length - max} more` : "";
  return all.slice(0, max).map((n) => (n.length > 120 ? `${n.slice(0, 120)}...` : n)).join(
    separator,
  ) + more;
}

/**
 * The OVS bridge's interfaces (what OpenFlow names as ports): its link ends and internal ports,
 * bond members included. `ends`: the bridge's link ends, when the caller has them already.
 */
export function bridgeInterfaces(
  lab: Lab,
  name: string,
  ends: Iterable<string> = linkEndsAt(lab, name),
): Set<string> {
  const bridge = lab.bridges[name];
  const out = new Set(ends);
  for (const [port, p] of Object.entries(bridge?.ports ?? {})) if (p.internal) out.add(port);
  return out;
}

/**
 * The OVS bridge's ports (OVSDB `Port` rows): interfaces that are no bond member, and bonds.
 * `ends`: the bridge's link ends, when the caller has them already.
 */
function bridgePorts(
  lab: Lab,
  name: string,
  ends: Iterable<string> = linkEndsAt(lab, name),
): Set<string> {
  const bridge = lab.bridges[name];
  if (!bridge) return new Set();
  const members = bondMembers(bridge);
  const out = new Set([...bridgeInterfaces(lab, name, ends)].filter((i) => !members.has(i)));
  for (const [port, p] of Object.entries(bridge.ports)) if (p.bond) out.add(port);
  return out;
}

/** A bridge's interfaces and its flows, parsed (undefined: a flow that does not parse). */
interface BridgeFlows {
  ports: Set<string>;
  flows: (ParsedFlow | undefined)[];
}

/** The bridge's interfaces and its flows, parsed once for every proof that names one. */
function bridgeFlows(lab: Lab, bridge: string, ports = bridgeInterfaces(lab, bridge)): BridgeFlows {
  const flows = (lab.bridges[bridge]?.flows ?? []).map((f) => {
    try {
      return parseFlow(f, { bridge, ports });
    } catch {
      return undefined;
    }
  });
  return { ports, flows };
}

/** A bridge's flows for the proofs that name it: each bridge's parsed once, when first asked. */
function flowsOnce(lab: Lab, endsAt: Map<string, string[]>): (bridge: string) => BridgeFlows {
  const parsed = new Map<string, BridgeFlows>();
  return (bridge) => {
    let known = parsed.get(bridge);
    if (known === undefined) {
      known = bridgeFlows(lab, bridge, bridgeInterfaces(lab, bridge, endsAt.get(bridge) ?? []));
      parsed.set(bridge, known);
    }
    return known;
  };
}

/**
 * The index of the bridge's flow that `match` names (its fields in any order; `priority=` and
 * `table=` may be left out), or a message saying why none or several do. `known`: the bridge's
 * interfaces and parsed flows, when the caller has them already.
 */
export function findFlow(
  lab: Lab,
  bridge: string,
  match: string,
  known: BridgeFlows = bridgeFlows(lab, bridge),
): number | string {
  const { ports, flows } = known;
  let wanted: ParsedFlow;
  try {
    wanted = parseFlow(`${match.replace(/,$/, "")},actions=drop`, { bridge, ports });
  } catch (error) {
    if (error instanceof FlowSyntaxError) return `invalid match: ${error.reason}`;
    throw error;
  }
  const words = match.split(",");
  const hits = flows.flatMap((f, i) =>
    f !== undefined && matchKey(f.match) === matchKey(wanted.match) &&
      (!words.some((w) => w.startsWith("priority=")) || f.priority === wanted.priority) &&
      (!words.some((w) => w.startsWith("table=")) || f.table === wanted.table)
      ? [i]
      : []
  );
  if (hits.length === 1) return hits[0]!;
  if (hits.length === 0) {
    return `no flow of bridge "${bridge}" has the match "${match}" (its flows: ${
      someOf(lab.bridges[bridge]?.flows ?? [], "; ", 5) || "none"
    })`;
  }
  return `${hits.length} flows of bridge "${bridge}" have the match "${match}": add priority= ` +
    "or table= to tell them apart";
}

/** What every OVS check reads, and where it reports. */
interface OvsContext {
  readonly lab: Lab;
  readonly layout: LabLayout;
  add(path: DocPath, message: string): void;
  /** The bonds named so far: OVS port names are unique in the whole switch. */
  readonly bondNames: Set<string>;
  /** Every link's ends, `OWNER:IFNAME`. */
  readonly endpoints: ReadonlySet<string>;
  /** The link ends at each bridge (made once). */
  readonly endsAt: Map<string, string[]>;
  /** A bridge's interfaces and parsed flows, for the proofs (each bridge's parsed once). */
  readonly flowsOf: (bridge: string) => BridgeFlows;
}

/** One bridge, as its checks see it. */
interface BridgeAt {
  readonly name: string;
  readonly bridge: Bridge;
  /** `["bridges", name]`. */
  readonly base: DocPath;
  readonly isOvs: boolean;
}

type Port = Bridge["ports"][string];
type Proof = Lab["expect"][number];

/** The checks of each bridge, in the order their problems are reported. */
const BRIDGE_CHECKS: readonly ((c: OvsContext, b: BridgeAt) => void)[] = [
  ovsOnlyFeatures,
  portFeatures,
  flowsOfBridge,
  mirrorsOfBridge,
];

/** The checks of each proof, in the order their problems are reported. */
const PROOF_CHECKS: readonly ((c: OvsContext, e: Proof, path: DocPath) => void)[] = [
  flowProof,
  linkDownProof,
  captureProof,
  throughputProof,
];

/** Checks flows, bonds, mirrors, QoS and the proofs that use them. */
export function ovsIssues(lab: Lab, layout: LabLayout): LabIssue[] {
  const issues: LabIssue[] = [];
  const endsAt = linkEndsByBridge(lab);
  const c: OvsContext = {
    lab,
    layout,
    add: (path, message) => void issues.push({ path, message }),
    bondNames: new Set(),
    endpoints: new Set(lab.links.flatMap((l) => l.endpoints)),
    endsAt,
    flowsOf: flowsOnce(lab, endsAt),
  };
  for (const [name, bridge] of Object.entries(lab.bridges)) {
    const b: BridgeAt = { name, bridge, base: ["bridges", name], isOvs: bridge.type === "ovs" };
    for (const check of BRIDGE_CHECKS) check(c, b);
  }
  lab.expect.forEach((e, k) => {
    for (const check of PROOF_CHECKS) check(c, e, ["expect", k]);
  });
  return issues;
}

/** `WHAT need(s) an OVS bridge (type: ovs)` at `path`. */
function needOvs(c: OvsContext, what: string, path: DocPath): void {
  c.add(path, `${what} need${what.endsWith("s") ? "" : "s"} an OVS bridge (type: ovs)`);
}

/** Flows and mirrors only on an OVS bridge. */
function ovsOnlyFeatures(c: OvsContext, { bridge, base, isOvs }: BridgeAt): void {
  if (!isOvs && bridge.flows?.length) needOvs(c, "OpenFlow flows", [...base, "flows"]);
  if (!isOvs && Object.keys(bridge.mirrors ?? {}).length) {
    needOvs(c, "mirrors", [...base, "mirrors"]);
  }
}

/** Each port's bond settings and QoS. */
function portFeatures(c: OvsContext, b: BridgeAt): void {
  const ends = new Set(c.endsAt.get(b.name));
  const seenMember = new Map<string, string>();
  for (const [port, p] of Object.entries(b.bridge.ports)) {
    const path = [...b.base, "ports", port];
    for (const key of ["mode", "lacp", "primary"] as const) {
      if (p[key] !== undefined && p.bond === undefined) {
        c.add([...path, key], `"${key}" is only for bonds (with "bond: [MEMBER, MEMBER]")`);
      }
    }
    if (p.bond !== undefined) bondPort(c, b, { port, p, path, ends, seenMember });
    if (p.qos !== undefined) {
      if (!b.isOvs) needOvs(c, "QoS", [...path, "qos"]);
      else {
        const refusal = qosRefusal(p.qos.type, { internal: p.internal });
        if (refusal) c.add([...path, "qos", "type"], refusal);
      }
    }
  }
}

/**
 * A bond: on OVS, with bond settings only, its members link ends at this bridge that are in no
 * other bond and no port of their own, its primary one of them, its name new to the switch.
 */
function bondPort(
  c: OvsContext,
  b: BridgeAt,
  at: {
    port: string;
    p: Port;
    path: DocPath;
    ends: ReadonlySet<string>;
    seenMember: Map<string, string>;
  },
): void {
  const { port, p, path, ends, seenMember } = at;
  const bond = p.bond!;
  if (!b.isOvs) needOvs(c, "bonds", [...path, "bond"]);
  if (p.internal || p.tag !== undefined || p.node !== undefined || p.qos !== undefined) {
    c.add(path, "a bond takes bond, mode, lacp and primary only (no internal, node, tag, qos)");
  }
  bond.forEach((m, k) => {
    const where = [...path, "bond", k];
    if (!ends.has(m)) {
      c.add(
        where,
        `bond member "${m}" is not a link's end at bridge "${b.name}" (add a link ` +
          `with endpoint "${b.name}:${m}"; link ends here: ${someOf(ends) || "none"})`,
      );
    } else if (seenMember.has(m)) {
      c.add(where, `"${m}" is already a member of bond "${seenMember.get(m)}"`);
    } else if (Object.hasOwn(b.bridge.ports, m)) {
      c.add(where, `"${m}" is a bond member and also a port of its own in "ports"`);
    } else seenMember.set(m, port);
  });
  if (p.primary !== undefined && !bond.includes(p.primary)) {
    c.add([...path, "primary"], `primary "${p.primary}" is not one of the bond's members`);
  }
  if (c.layout.rootIfaces.has(port) || c.bondNames.has(port)) {
    c.add(path, `bond name "${port}" is already an interface, bridge or bond of the lab`);
  }
  c.bondNames.add(port);
}

/** Flows: netkit's subset, naming only this bridge's interfaces; no two with one match. */
function flowsOfBridge(c: OvsContext, { name, bridge, base, isOvs }: BridgeAt): void {
  if (!isOvs) return;
  const ifaces = bridgeInterfaces(c.lab, name, c.endsAt.get(name) ?? []);
  const keys = new Map<string, number>();
  (bridge.flows ?? []).forEach((flow, i) => {
    try {
      const f = parseFlow(flow, { bridge: name, ports: ifaces });
      const key = `${f.table}/${f.priority}/${matchKey(f.match)}`;
      const first = keys.get(key);
      if (first !== undefined) {
        c.add(
          [...base, "flows", i],
          `same table, priority and match as flows[${first}]: OVS would keep only one of them`,
        );
      } else keys.set(key, i);
    } catch (error) {
      if (!(error instanceof FlowSyntaxError)) throw error;
      c.add([...base, "flows", i], error.reason);
    }
  });
}

/** Mirrors: ports of this bridge; an output port serves one mirror and is not selected. */
function mirrorsOfBridge(c: OvsContext, { name, bridge, base, isOvs }: BridgeAt): void {
  if (!isOvs) return;
  const ports = bridgePorts(c.lab, name, c.endsAt.get(name) ?? []);
  const outputs = new Map<string, string>();
  const portList = someOf([...ports].sort()) || "none";
  for (const [mname, m] of Object.entries(bridge.mirrors ?? {})) {
    const path = [...base, "mirrors", mname];
    if (!ports.has(m.output)) {
      c.add(
        [...path, "output"],
        `mirror output "${m.output}" is not a port of bridge "${name}" (its ports: ${portList})`,
      );
    } else if (bridge.ports[m.output]?.bond) {
      c.add([...path, "output"], `mirror output "${m.output}" is a bond: use a single port`);
    }
    if (outputs.has(m.output)) {
      c.add(
        [...path, "output"],
        `"${m.output}" is already the output of mirror "${outputs.get(m.output)}"`,
      );
    } else outputs.set(m.output, mname);
    if (m.select === "all") continue;
    m.select.forEach((s, k) => {
      if (!ports.has(s)) {
        c.add(
          [...path, "select", k],
          `"${s}" is not a port of bridge "${name}" (its ports: ${portList})`,
        );
      } else if (s === m.output) {
        c.add([...path, "select", k], `"${s}" is the mirror's output: it cannot also be selected`);
      }
    });
  }
}

/** A flow proof names an OVS bridge of the lab and exactly one of its flows. */
function flowProof(c: OvsContext, e: Proof, path: DocPath): void {
  if (!("flow" in e)) return;
  const b = c.lab.bridges[e.flow.bridge];
  if (!b || b.type !== "ovs") {
    c.add([...path, "flow", "bridge"], `"${e.flow.bridge}" is not an OVS bridge of the lab`);
  } else {
    const found = findFlow(c.lab, e.flow.bridge, e.flow.match, c.flowsOf(e.flow.bridge));
    if (typeof found === "string") c.add([...path, "flow", "match"], found);
  }
}

/** A link-down proof names a link's end. */
function linkDownProof(c: OvsContext, e: Proof, path: DocPath): void {
  if ("linkDown" in e && !c.endpoints.has(e.linkDown)) {
    c.add([...path, "linkDown"], `no link ends at "${e.linkDown}"`);
  }
}

/** A capture proof names a node of the lab and one of its interfaces. */
function captureProof(c: OvsContext, e: Proof, path: DocPath): void {
  if (!("capture" in e)) return;
  const { node, interface: iface } = e.capture;
  if (!Object.hasOwn(c.lab.nodes, node)) {
    c.add([...path, "capture", "node"], `node "${node}" does not exist`);
  } else if (!c.layout.nodeIfaces.get(node)?.has(iface)) {
    c.add([...path, "capture", "interface"], `node "${node}" has no interface "${iface}"`);
  }
}

/** A throughput proof names nodes of the lab, and an address of its server. */
function throughputProof(c: OvsContext, e: Proof, path: DocPath): void {
  if (!("throughput" in e)) return;
  const t = e.throughput;
  for (const key of ["from", "server"] as const) {
    if (!Object.hasOwn(c.lab.nodes, t[key])) {
      c.add([...path, "throughput", key], `node "${t[key]}" does not exist`);
    }
  }
  const own = Object.values(c.lab.nodes[t.server]?.interfaces ?? {}).flatMap((i) =>
    i.addresses.map((a) => a.split("/")[0])
  );
  if (Object.hasOwn(c.lab.nodes, t.server) && !own.includes(t.to)) {
    c.add(
      [...path, "throughput", "to"],
      `${t.to} is not an address of node "${t.server}" (its addresses: ${
        own.join(", ") || "none"
      })`,
    );
  }
}
