/**
 * What `netkit ui` shows when a node or a link is clicked, read from the kernel (and FRR) at that
 * moment: a node's addresses, routes and neighbours, and a router's FRR neighbour state; a link's
 * counters at both ends. Every name here has been looked up among the lab's own (lib/ui/server.ts)
 * and reaches commands only as one argv word.
 *
 * @module
 */
import type { Host } from "../host.ts";
import { inNetns } from "../exec/netns_argv.ts";
import { withVtySocket } from "../lab/vtysh.ts";
import { labDir } from "../state.ts";
import type { LabState } from "../lab/lab_state.ts";
import type { GraphLink } from "../lab/graph_model.ts";

/** A node, as its kernel (and FRR) sees it now. */
interface NodeDetails {
  node: string;
  /** `ip -j addr show`. */
  addresses: unknown[];
  /** `ip -j route show` and `ip -j -6 route show`. */
  routes: unknown[];
  /** `ip -j neigh show`. */
  neighbours: unknown[];
  /** A router with routing: `show ip ospf neighbor json`, `show bgp summary json`. */
  frr?: Record<string, unknown>;
}

const json = (text: string): unknown[] => {
  try {
    const v = JSON.parse(text || "[]");
    return Array.isArray(v) ? v : [v];
  } catch {
    return [];
  }
};

/** Reads node `node` (one of `state`'s nodes). */
export async function nodeDetails(host: Host, state: LabState, node: string): Promise<NodeDetails> {
  const run = async (argv: string[]) => {
    const r = await host.runner.run(inNetns(node, argv), { allowFailure: true });
    return r.code === 0 ? r.stdout : "";
  };
  const [addr, r4, r6, neigh] = await Promise.all([
    run(["ip", "-j", "addr", "show"]),
    run(["ip", "-j", "route", "show"]),
    run(["ip", "-j", "-6", "route", "show"]),
    run(["ip", "-j", "neigh", "show"]),
  ]);
  const details: NodeDetails = {
    node,
    addresses: json(addr),
    routes: [...json(r4), ...json(r6)],
    neighbours: json(neigh),
  };
  const routing = state.lab.nodes[node]?.routing;
  if (routing) {
    const stateDir = labDir(host.stateRoot, state.lab.name);
    const vtysh = async (command: string) => {
      const argv = withVtySocket(state.lab, node, ["vtysh", "-c", command], stateDir);
      const r = await host.runner.run(argv, { allowFailure: true });
      try {
        return JSON.parse(r.stdout);
      } catch {
        return r.stdout.trim() || r.stderr.trim();
      }
    };
    details.frr = {};
    if (routing.ospf) details.frr.ospf = await vtysh("show ip ospf neighbor json");
    if (routing.bgp) details.frr.bgp = await vtysh("show bgp summary json");
  }
  return details;
}

/** One end of a link, its full counters (`ip -s -j link show dev IFNAME`). */
interface EndCounters {
  end: string;
  /** The kernel's row for it, or undefined where it is not on this host. */
  link?: unknown;
}

/** Reads the counters of both ends of `link` (one of the lab's links). */
export async function linkDetails(
  host: Host,
  state: LabState,
  link: GraphLink,
): Promise<{ link: string; kind: string; ends: EndCounters[] }> {
  const ends = await Promise.all([link.a, link.b].map(async (e): Promise<EndCounters> => {
    const end = `${e.owner}:${e.ifname}`;
    if (e.ifname === "" || e.owner.startsWith("remote:")) return { end };
    const ns = Object.hasOwn(state.lab.nodes, e.owner) ? e.owner : state.sandbox;
    const argv = ["ip", "-s", "-j", "link", "show", "dev", e.ifname];
    const r = await host.runner.run(ns === undefined ? argv : inNetns(ns, argv), {
      allowFailure: true,
    });
    const row = json(r.code === 0 ? r.stdout : "")[0];
    return row === undefined ? { end } : { end, link: row };
  }));
  return { link: link.id, kind: link.kind, ends };
}
