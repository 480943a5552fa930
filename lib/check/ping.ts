/**
 * The one ping netkit runs, wherever it runs one: a proof's (`netkit check`, lib/check/proof.ts),
 * the reachability matrix's (`netkit pingall`, lib/check/pingall.ts) and a script's
 * (`lab.ping()`, `lab.pingAll()`: lib/session_ping.ts). Here are its argv, how its outcome is
 * read, and which addresses of a node are pinged.
 *
 * @module
 */
import type { Runner } from "../exec/runner.ts";
import { inNetns } from "../exec/netns_argv.ts";
import { pool } from "../plan/schedule.ts";

/**
 * How long a ping waits, in seconds. A reachable path answers its first probe within
 * milliseconds here (namespaces on one host; the first probe waits only for ARP), so one reply
 * ends the ping at once; probes go out every 0.2 s (a fresh OVS port may drop the first ones)
 * until the deadline, which is what a broken path costs. An unreachable proof must not stop
 * early: it passes only after a whole window of probes went unanswered, a window hundreds of
 * times a lab's round trip, and runs only after the lab's reachable proofs have passed (see
 * `checkLab`, lib/check/probes.ts), so that a lab that forwards nothing yet cannot pass it by
 * accident.
 */
export const PING_DEADLINE_S = { reachable: 2, unreachable: 1 } as const;

/**
 * `ping -n -q -t 255 -c 1 -i 0.2 -w 2 TO` (the first reply ends it) when `reach`, else
 * `ping -n -q -t 255 -i 0.2 -w 1 TO` (five probes over one second, none may be answered). The
 * TTL (IPv6: hop limit) is the largest there is, not ping's 64: a lab may route through more
 * routers than that (a long `chain`). ping takes an IPv4 or an IPv6 address alike. It runs in
 * FROM's network namespace through `nsenter --net` (lib/exec/netns_argv.ts): the same as
 * `ip netns exec FROM ping ...` for a ping, without copying the mount table (milliseconds per
 * ping at hundreds of namespaces).
 */
function pingArgv(from: string, to: string, reach: boolean): string[] {
  const deadline = String(reach ? PING_DEADLINE_S.reachable : PING_DEADLINE_S.unreachable);
  return inNetns(from, [
    "ping",
    "-n",
    "-q",
    "-t",
    "255",
    ...(reach ? ["-c", "1"] : []),
    "-i",
    "0.2",
    "-w",
    deadline,
    to,
  ]);
}

/** What one ping saw. */
interface PingOutcome {
  /** Whether some probe was answered. */
  reached: boolean;
  /** The round trip of the answers in milliseconds (their average), when one came back. */
  rttMs?: number;
  /** ping's summary line (`1 packets transmitted, 1 received, ...`), else its error. */
  summary: string;
}

/**
 * Pings address `to` from namespace `from` ({@link pingArgv}): until the first reply when `reach`
 * (a ping that expects an answer), else for the whole unreachable window (a proof that none
 * comes). A failure to ping is an outcome (not reached), never an exception.
 */
export async function pingFrom(
  runner: Runner,
  from: string,
  to: string,
  reach = true,
): Promise<PingOutcome> {
  const r = await runner.run(pingArgv(from, to, reach), { allowFailure: true });
  const text = r.stdout + r.stderr;
  const summary = text.split("\n").find((l) => /packets transmitted/.test(l)) ??
    (r.stderr.trim() || `exit ${r.code}`);
  // Reached: some probe was answered. Exit 2 ("Network is unreachable", ...) answers none.
  const reached = Number(/(\d+) (?:packets )?received/.exec(summary)?.[1] ?? 0) > 0;
  // iputils: "rtt min/avg/max/mdev = A/B/C/D ms"; busybox: "round-trip min/avg/max = A/B/C ms".
  const avg = /(?:rtt|round-trip) min\/avg\/max\S* = [\d.]+\/([\d.]+)\//.exec(text)?.[1];
  return {
    reached,
    ...(reached && avg !== undefined ? { rttMs: Number(avg) } : {}),
    summary: summary.trim(),
  };
}

/** An address of a node: what the others ping. */
export interface PingTarget {
  node: string;
  interface: string;
  /** The address, without its prefix length. */
  address: string;
}

interface IpAddr {
  ifname: string;
  addr_info?: { family: string; local: string; scope?: string }[];
}

/** How many nodes' addresses are read at once. */
const READS_AT_ONCE = 8;

/**
 * The addresses of `nodes` as the kernel has them now (`ip -j addr show` in each), node by node:
 * every IPv4 address and every global IPv6 one (a link-local one is on every interface, and
 * needs an interface to be pinged), on every interface but loopback. A node that cannot be read
 * has none.
 */
export async function liveTargets(runner: Runner, nodes: readonly string[]): Promise<PingTarget[]> {
  const read = await pool(
    nodes,
    READS_AT_ONCE,
    (node) => runner.run(inNetns(node, ["ip", "-j", "addr", "show"]), { allowFailure: true }),
  );
  return nodes.flatMap((node, i) => {
    const r = read[i]!;
    let links: IpAddr[] = [];
    try {
      if (r.status === "fulfilled" && r.value.code === 0) {
        links = JSON.parse(r.value.stdout || "[]");
      }
    } catch { /* unreadable: no addresses */ }
    return links.filter((l) => l.ifname !== "lo").flatMap((l) =>
      (l.addr_info ?? []).filter((a) =>
        a.family === "inet" || (a.family === "inet6" && a.scope === "global")
      ).map((a) => ({ node, interface: l.ifname, address: a.local }))
    );
  });
}
