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
import type { Lab } from "../lab/schema.ts";
import type { LabIssue } from "../lab/validate.ts";

/** The host role each node and bridge is on (only those that name one). */
export function hostOf(lab: Lab): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, node] of Object.entries(lab.nodes)) if (node.host) out.set(name, node.host);
  for (const [name, br] of Object.entries(lab.bridges)) if (br.host) out.set(name, br.host);
  return out;
}

/** True when the lab places its nodes on hosts (it declares `hosts`). */
export function isMultihost(lab: Lab): boolean {
  return lab.hosts !== undefined;
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
    const parts: string[] = [];
    if ("snat" in e) parts.push(e.snat.from, e.snat.observer);
    if ("untag" in e) {
      parts.push(e.ping.from);
      const bridge = Object.entries(lab.bridges).find(([, b]) => e.untag.port in b.ports);
      if (bridge) parts.push(bridge[0]);
    }
    const hosts = new Set(parts.map((p) => where.get(p)));
    if (hosts.size > 1) {
      add(
        ["expect", k],
        `this proof spans hosts ${[...hosts].join(", ")}: its nodes must be on one host`,
      );
    }
  });
  return issues;
}
