/**
 * Pings for scripts, Mininet-style: one ping between two nodes ({@link pingOnce}) and every node
 * to every other ({@link pingMatrix}), as typed results a script can assert on.
 *
 * @module
 */
import { familyOf } from "./addr.ts";
import type { Runner } from "./exec/runner.ts";
import { inNs } from "./plan/step.ts";
import { pool } from "./plan/schedule.ts";

/** One ping from a node. */
export interface PingResult {
  /** The node that pinged. */
  from: string;
  /** What it was asked to reach: a node's name or an address. */
  to: string;
  /** The address pinged (empty when `to` is a node without an IPv4 address). */
  address: string;
  /** Whether the reply came back. */
  reached: boolean;
  /** The round trip in milliseconds, when it came back. */
  rttMs?: number;
}

/** Every node pinging every other: {@link LabSession.pingAll}. */
export interface PingMatrix {
  /** The nodes that took part (those with an IPv4 address), in the lab's order. */
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

/** The first global IPv4 address of namespace `node` as the kernel has it now, or "". */
async function addressOf(runner: Runner, node: string): Promise<string> {
  const r = await runner.run(inNs(node, ["ip", "-j", "-4", "addr", "show", "scope", "global"]), {
    allowFailure: true,
  });
  if (r.code !== 0) return "";
  const links = JSON.parse(r.stdout || "[]") as { addr_info?: { local?: string }[] }[];
  return links.flatMap((l) => l.addr_info ?? []).find((a) => a.local)?.local ?? "";
}

const isAddress = (to: string) => familyOf(to) !== undefined;

/** One ping (`ip netns exec FROM ping -c 1 -W 2 -n ADDRESS`) from `from` to `to`. */
export async function pingOnce(
  runner: Runner,
  from: string,
  to: string,
  address?: string,
): Promise<PingResult> {
  const target = address ?? (isAddress(to) ? to : await addressOf(runner, to));
  if (target === "") return { from, to, address: "", reached: false };
  const r = await runner.run(inNs(from, ["ping", "-c", "1", "-W", "2", "-n", target]), {
    allowFailure: true,
  });
  const rtt = /time=([\d.]+) ms/.exec(r.stdout)?.[1];
  return {
    from,
    to,
    address: target,
    reached: r.code === 0,
    ...(r.code === 0 && rtt !== undefined ? { rttMs: Number(rtt) } : {}),
  };
}

/** Every node of `nodes` with an IPv4 address pings every other one. */
export async function pingMatrix(runner: Runner, nodes: readonly string[]): Promise<PingMatrix> {
  const addresses = await Promise.all(nodes.map((n) => addressOf(runner, n)));
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
