/**
 * Pings for scripts, Mininet-style: one ping between two nodes ({@link pingOnce}) and every node
 * to every other ({@link pingMatrix}), as typed results a script can assert on. Each is the one
 * ping netkit runs everywhere (lib/check/ping.ts: probes every 0.2 s until the first reply, at
 * most 2 s, TTL 255, IPv4 or IPv6), and a node is pinged at the address the kernel gives it now:
 * its first IPv4 address, else its first global IPv6 one (so a DHCP lease or a SLAAC address
 * counts).
 *
 * @module
 */
import { familyOf } from "./addr.ts";
import type { Runner } from "./exec/runner.ts";
import { pool } from "./plan/schedule.ts";
import { liveTargets, pingFrom, type PingTarget } from "./check/ping.ts";

/** One ping from a node. */
export interface PingResult {
  /** The node that pinged. */
  from: string;
  /** What it was asked to reach: a node's name or an address. */
  to: string;
  /** The address pinged (empty when `to` is a node without an address). */
  address: string;
  /** Whether the reply came back. */
  reached: boolean;
  /** The round trip in milliseconds, when it came back. */
  rttMs?: number;
}

/** Every node pinging every other: {@link LabSession.pingAll}. */
export interface PingMatrix {
  /** The nodes that took part (those with an address), in the lab's order. */
  nodes: string[];
  /** One result per ordered pair of different nodes. */
  results: PingResult[];
  /** `matrix[from][to]`: whether `from` reached `to`. */
  matrix: Record<string, Record<string, boolean>>;
  /** Share of pings lost, 0 to 100 (Mininet's pingAll figure). */
  lossPercent: number;
}

/** How many pings run at once. */
const PINGS_AT_ONCE = 16;

/** The address `node` is pinged at: its first IPv4 address, else its first IPv6 one, or "". */
function addressOf(targets: readonly PingTarget[], node: string): string {
  const own = targets.filter((t) => t.node === node);
  return (own.find((t) => familyOf(t.address) === 4) ?? own[0])?.address ?? "";
}

const isAddress = (to: string) => familyOf(to) !== undefined;

/**
 * One ping (lib/check/ping.ts: `nsenter --net=/run/netns/FROM ping -n -q -t 255 -c 1 -i 0.2 -w 2
 * ADDRESS`) from `from` to `to`: an address, or a node (see the module doc for its address).
 */
export async function pingOnce(
  runner: Runner,
  from: string,
  to: string,
  address?: string,
): Promise<PingResult> {
  const target = address ??
    (isAddress(to) ? to : addressOf(await liveTargets(runner, [to]), to));
  if (target === "") return { from, to, address: "", reached: false };
  const { reached, rttMs } = await pingFrom(runner, from, target);
  return { from, to, address: target, reached, ...(rttMs !== undefined ? { rttMs } : {}) };
}

/** Every node of `nodes` with an address pings every other one (at its address). */
export async function pingMatrix(runner: Runner, nodes: readonly string[]): Promise<PingMatrix> {
  const targets = await liveTargets(runner, nodes);
  const addresses = nodes.map((n) => addressOf(targets, n));
  const taking = nodes.filter((_, i) => addresses[i] !== "");
  const address = new Map(nodes.map((n, i) => [n, addresses[i]!]));
  const pairs = taking.flatMap((from) =>
    taking.filter((to) => to !== from).map((to) => [from, to])
  );
  const settled = await pool(
    pairs,
    PINGS_AT_ONCE,
    ([from, to]) => pingOnce(runner, from!, to!, address.get(to!)),
  );
  const results = settled.map((s, i) =>
    s.status === "fulfilled"
      ? s.value
      : { from: pairs[i]![0]!, to: pairs[i]![1]!, address: "", reached: false }
  );
  const matrix: Record<string, Record<string, boolean>> = Object.create(null);
  for (const r of results) (matrix[r.from] ??= Object.create(null))[r.to] = r.reached;
  const lost = results.filter((r) => !r.reached).length;
  return {
    nodes: taking,
    results,
    matrix,
    lossPercent: results.length === 0 ? 0 : Math.round((lost / results.length) * 1000) / 10,
  };
}
