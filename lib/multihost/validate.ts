/**
 * The rules of a multi-host lab, checked with the rest of the lab (lib/lab/validate.ts calls
 * {@link hostIssues}): every node and bridge names a host role the lab declares, things that
 * must share a namespace share a host, and a proof runs where all its parts are.
 *
 * A lab file names host *roles* only. Which machine plays a role, how to reach it and its
 * underlay address come from the operator's inventory on the command line (inventory.ts).
 *
 * @module
 */
import type { Expect, Lab } from "../lab/schema.ts";
import type { LabIssue } from "../lab/issue.ts";

/** The host role each node and bridge is on (only those that name one). */
export function hostOf(lab: Lab): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, node] of Object.entries(lab.nodes)) if (node.host) out.set(name, node.host);
  for (const [name, br] of Object.entries(lab.bridges)) if (br.host) out.set(name, br.host);
  return out;
}

/**
 * The nodes and bridges a proof touches, the one it runs from first: a proof runs on one host,
 * so in a multi-host lab all of them must be on the same host.
 */
export function proofPlaces(lab: Lab, e: Expect): string[] {
  const owner = (endpoint: string) => endpoint.split(":")[0] ?? "";
  const bridgeWithPort = (port: string) => {
    // One pass over the links, then one over the bridges (not every link for every bridge).
    const withEnd = new Set(
      lab.links.flatMap((l) => l.endpoints).filter((ep) => ep.endsWith(`:${port}`)).map(owner),
    );
    return Object.entries(lab.bridges).find(([name, b]) =>
      Object.hasOwn(b.ports, port) || withEnd.has(name)
    )?.[0];
  };
  if ("lease" in e) return [e.lease.node];
  if ("snat" in e) return [e.snat.from, e.snat.observer];
  if ("tcp" in e) return [e.tcp.from, ...(e.tcp.listen === undefined ? [] : [e.tcp.listen])];
  if ("route" in e) return [e.route.node];
  if ("link" in e) return [e.link.node];
  if ("slaac" in e) return [e.slaac.node];
  if ("failover" in e) return [e.failover.from, owner(e.failover.down)];
  if ("throughput" in e) return [e.throughput.from, e.throughput.server];
  const from = e.ping.from;
  if ("untag" in e) return [from, ...(bridgeWithPort(e.untag.port) ?? [])];
  if ("flow" in e) return [from, e.flow.bridge];
  if ("linkDown" in e) return [from, owner(e.linkDown)];
  if ("capture" in e) return [from, e.capture.node];
  return [from];
}

/** The problems of a lab's host placement; none for a lab without `hosts` and `host:` fields. */
export function hostIssues(lab: Lab): LabIssue[] {
  const issues: LabIssue[] = [];
  const add = (path: LabIssue["path"], message: string) => issues.push({ path, message });
  const placed = [
    ...Object.entries(lab.nodes).map(([n, v]) => ["nodes", n, v.host] as const),
    ...Object.entries(lab.bridges).map(([n, v]) => ["bridges", n, v.host] as const),
  ];
  if (lab.hosts === undefined) {
    for (const [kind, name, host] of placed) {
      if (host !== undefined) {
        add(
          [kind, name, "host"],
          `host "${host}" is not declared: a lab that places things on hosts lists them under ` +
            '"hosts" (e.g. hosts: { h1: {}, h2: {} })',
        );
      }
    }
    return issues;
  }
  const roles = Object.keys(lab.hosts);
  if (roles.length === 0) add(["hosts"], "a multi-host lab names at least one host role");
  if (lab.sandbox) add(["sandbox"], "a multi-host lab cannot be sandboxed (sandbox: true)");
  if (lab.tunnels !== undefined) {
    add(["tunnels"], "tunnels are made by netkit from the links between hosts, not written");
  }
  for (const [kind, name, host] of placed) {
    if (host === undefined) {
      add(
        [kind, name],
        `${kind === "nodes" ? "node" : "bridge"} "${name}" needs "host: ROLE" (one of: ${
          roles.join(", ")
        })`,
      );
    } else if (!roles.includes(host)) {
      add([kind, name, "host"], `unknown host "${host}" (known: ${roles.join(", ") || "none"})`);
    }
  }
  const where = hostOf(lab);
  for (const [bname, bridge] of Object.entries(lab.bridges)) {
    for (const [port, p] of Object.entries(bridge.ports)) {
      if (p.internal && p.node !== undefined && where.get(p.node) !== bridge.host) {
        add(
          ["bridges", bname, "ports", port, "node"],
          `internal port "${port}" of bridge "${bname}" (host ${bridge.host}) cannot move into ` +
            `node "${p.node}" on host ${where.get(p.node)}: put both on one host`,
        );
      }
    }
  }
  lab.expect.forEach((e, k) => {
    const hosts = new Set(proofPlaces(lab, e).map((p) => where.get(p)));
    if (hosts.size > 1) {
      add(
        ["expect", k],
        `this proof spans hosts ${[...hosts].join(", ")}: its nodes must be on one host`,
      );
    }
  });
  return issues;
}
