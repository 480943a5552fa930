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
import type { DocPath, LabIssue, LabLayout } from "./validate.ts";

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
export function linkEndsAt(lab: Lab, name: string): string[] {
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
export function bridgePorts(
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
export interface BridgeFlows {
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

/** Checks flows, bonds, mirrors, QoS and the proofs that use them. */
export function ovsIssues(lab: Lab, layout: LabLayout): LabIssue[] {
  const issues: LabIssue[] = [];
  const add = (path: DocPath, message: string) => issues.push({ path, message });
  const bondNames = new Set<string>(); // OVS port names are unique in the whole switch
  const endsAt = linkEndsByBridge(lab), flowsOf = flowsOnce(lab, endsAt); // each made once

  for (const [bname, bridge] of Object.entries(lab.bridges)) {
    const base = ["bridges", bname];
    const isOvs = bridge.type === "ovs";
    const needOvs = (what: string, path: DocPath) =>
      add(path, `${what} need${what.endsWith("s") ? "" : "s"} an OVS bridge (type: ovs)`);
    if (!isOvs && bridge.flows?.length) needOvs("OpenFlow flows", [...base, "flows"]);
    if (!isOvs && Object.keys(bridge.mirrors ?? {}).length) {
      needOvs("mirrors", [...base, "mirrors"]);
    }

    const ends = new Set(endsAt.get(bname));
    const seenMember = new Map<string, string>();
    for (const [port, p] of Object.entries(bridge.ports)) {
      const path = [...base, "ports", port];
      for (const key of ["mode", "lacp", "primary"] as const) {
        if (p[key] !== undefined && p.bond === undefined) {
          add([...path, key], `"${key}" is only for bonds (with "bond: [MEMBER, MEMBER]")`);
        }
      }
      if (p.bond !== undefined) {
        if (!isOvs) needOvs("bonds", [...path, "bond"]);
        if (p.internal || p.tag !== undefined || p.node !== undefined || p.qos !== undefined) {
          add(path, "a bond takes bond, mode, lacp and primary only (no internal, node, tag, qos)");
        }
        p.bond.forEach((m, k) => {
          const at = [...path, "bond", k];
          if (!ends.has(m)) {
            add(
              at,
              `bond member "${m}" is not a link's end at bridge "${bname}" (add a link ` +
                `with endpoint "${bname}:${m}"; link ends here: ${someOf(ends) || "none"})`,
            );
          } else if (seenMember.has(m)) {
            add(at, `"${m}" is already a member of bond "${seenMember.get(m)}"`);
          } else if (m in bridge.ports) {
            add(at, `"${m}" is a bond member and also a port of its own in "ports"`);
          } else seenMember.set(m, port);
        });
        if (p.primary !== undefined && !p.bond.includes(p.primary)) {
          add([...path, "primary"], `primary "${p.primary}" is not one of the bond's members`);
        }
        if (layout.rootIfaces.has(port) || bondNames.has(port)) {
          add(path, `bond name "${port}" is already an interface, bridge or bond of the lab`);
        }
        bondNames.add(port);
      }
      if (p.qos !== undefined) {
        if (!isOvs) needOvs("QoS", [...path, "qos"]);
        else {
          const refusal = qosRefusal(p.qos.type, { internal: p.internal });
          if (refusal) add([...path, "qos", "type"], refusal);
        }
      }
    }
    if (!isOvs) continue;

    // Flows: netkit's subset, naming only this bridge's interfaces; no two with one match.
    const ifaces = bridgeInterfaces(lab, bname, ends);
    const keys = new Map<string, number>();
    (bridge.flows ?? []).forEach((flow, i) => {
      try {
        const f = parseFlow(flow, { bridge: bname, ports: ifaces });
        const key = `${f.table}/${f.priority}/${matchKey(f.match)}`;
        const first = keys.get(key);
        if (first !== undefined) {
          add(
            [...base, "flows", i],
            `same table, priority and match as flows[${first}]: OVS would keep only one of them`,
          );
        } else keys.set(key, i);
      } catch (error) {
        if (!(error instanceof FlowSyntaxError)) throw error;
        add([...base, "flows", i], error.reason);
      }
    });

    // Mirrors: ports of this bridge; an output port serves one mirror and is not selected.
    const ports = bridgePorts(lab, bname, ends);
    const outputs = new Map<string, string>();
    const portList = someOf([...ports].sort()) || "none";
    for (const [mname, m] of Object.entries(bridge.mirrors ?? {})) {
      const path = [...base, "mirrors", mname];
      if (!ports.has(m.output)) {
        add(
          [...path, "output"],
          `mirror output "${m.output}" is not a port of bridge "${bname}" (its ports: ${portList})`,
        );
      } else if (bridge.ports[m.output]?.bond) {
        add([...path, "output"], `mirror output "${m.output}" is a bond: use a single port`);
      }
      if (outputs.has(m.output)) {
        add(
          [...path, "output"],
          `"${m.output}" is already the output of mirror "${outputs.get(m.output)}"`,
        );
      } else outputs.set(m.output, mname);
      if (m.select !== "all") {
        m.select.forEach((s, k) => {
          if (!ports.has(s)) {
            add(
              [...path, "select", k],
              `"${s}" is not a port of bridge "${bname}" (its ports: ${portList})`,
            );
          } else if (s === m.output) {
            add(
              [...path, "select", k],
              `"${s}" is the mirror's output: it cannot also be selected`,
            );
          }
        });
      }
    }
  }

  // Proofs.
  const endpoints = new Set(lab.links.flatMap((l) => l.endpoints));
  lab.expect.forEach((e, k) => {
    const path = ["expect", k];
    if ("flow" in e) {
      const b = lab.bridges[e.flow.bridge];
      if (!b || b.type !== "ovs") {
        add([...path, "flow", "bridge"], `"${e.flow.bridge}" is not an OVS bridge of the lab`);
      } else {
        const found = findFlow(lab, e.flow.bridge, e.flow.match, flowsOf(e.flow.bridge));
        if (typeof found === "string") add([...path, "flow", "match"], found);
      }
    }
    if ("linkDown" in e && !endpoints.has(e.linkDown)) {
      add([...path, "linkDown"], `no link ends at "${e.linkDown}"`);
    }
    if ("capture" in e) {
      const { node, interface: iface } = e.capture;
      if (!(node in lab.nodes)) add([...path, "capture", "node"], `node "${node}" does not exist`);
      else if (!layout.nodeIfaces.get(node)?.has(iface)) {
        add([...path, "capture", "interface"], `node "${node}" has no interface "${iface}"`);
      }
    }
    if ("throughput" in e) {
      const t = e.throughput;
      for (const key of ["from", "server"] as const) {
        if (!(t[key] in lab.nodes)) {
          add([...path, "throughput", key], `node "${t[key]}" does not exist`);
        }
      }
      const own = Object.values(lab.nodes[t.server]?.interfaces ?? {}).flatMap((i) =>
        i.addresses.map((a) => a.split("/")[0])
      );
      if (t.server in lab.nodes && !own.includes(t.to)) {
        add(
          [...path, "throughput", "to"],
          `${t.to} is not an address of node "${t.server}" (its addresses: ${
            own.join(", ") || "none"
          })`,
        );
      }
    }
  });
  return issues;
}
