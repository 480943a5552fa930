/**
 * Every node of a lab pings every address of the others (`netkit pingall LAB`, and `pingall` in
 * `netkit console`): a reachability matrix, like Mininet's `pingall`, but over addresses, so a
 * router's every interface and a DHCP client's lease are in it. The addresses are read from the
 * nodes as they are now (`ip -j addr show`: IPv4 and global IPv6), not from the description.
 *
 * Each ping is the one ping (lib/check/ping.ts: one reply ends it, two seconds at most); a few
 * run at once.
 *
 * @module
 */
import type { Host } from "../host.ts";
import { pool } from "../plan/schedule.ts";
import type { Lab } from "../lab/schema.ts";
import { liveTargets, pingFrom, type PingTarget } from "./ping.ts";

/** One ping of the matrix. */
interface PingResult {
  from: string;
  /** The target's address. */
  to: string;
  reached: boolean;
}

/** The reachability matrix of a lab. */
export interface PingAllReport {
  lab: string;
  /** The nodes that ping, in the lab's order. */
  nodes: string[];
  /** The addresses they ping, node by node. */
  targets: PingTarget[];
  /** Every ping: each node to each address of the other nodes. */
  results: PingResult[];
  /** How many were answered. */
  reachable: number;
  /** How many ran. */
  total: number;
  /** True when it was stopped before every ping ran (the rest are left out). */
  stopped: boolean;
}

/** Options of {@link pingAll}. */
interface PingAllOptions {
  /** Stops starting new pings (those running finish). */
  signal?: AbortSignal;
  /** How many pings run at once. @default 16 */
  parallel?: number;
}

/**
 * Pings, from every node of `lab`, every address of its other nodes.
 *
 * @example
 * ```ts ignore
 * import { pingAll } from "./pingall.ts";
 * const report = await pingAll(host, lab);
 * console.log(`${report.reachable}/${report.total} reachable`);
 * ```
 */
export async function pingAll(
  host: Host,
  lab: Lab,
  options: PingAllOptions = {},
): Promise<PingAllReport> {
  const nodes = Object.keys(lab.nodes);
  const targets = await liveTargets(host.runner, nodes);
  const pairs = nodes.flatMap((from) =>
    targets.filter((t) => t.node !== from).map((t) => ({ from, to: t.address }))
  );
  let stopped = false;
  const settled = await pool(pairs, options.parallel ?? 16, async (p) => {
    if (options.signal?.aborted) {
      stopped = true;
      return undefined;
    }
    return { ...p, reached: (await pingFrom(host.runner, p.from, p.to)).reached };
  });
  const results = settled.flatMap((s) => s.status === "fulfilled" && s.value ? [s.value] : []);
  return {
    lab: lab.name,
    nodes,
    targets,
    results,
    reachable: results.filter((r) => r.reached).length,
    total: results.length,
    stopped,
  };
}
