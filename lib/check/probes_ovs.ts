/**
 * Proofs for the Open vSwitch features beyond ports and tags:
 *
 * - `flow`: a ping, and the packet counter of one of the lab's OpenFlow flows going up by at least
 *   `minPackets` (read before and after; the counters follow the datapath a moment later, so the
 *   probe waits for them, bounded);
 * - `linkDown`: a cut (lib/lab/cut.ts, as in `failover` and `netkit link`), a ping, the link up
 *   again; for a bond member the evidence names the bond's active member while the link was down;
 * - `capture`: tcpdump on a node's interface (a mirror's monitor) sees a ping's echo requests and
 *   replies;
 * - `throughput`: iperf3 from a node to a server node, the rate the server received within
 *   `tolerance` of the expected rate.
 *
 * @module
 */
import { type Runner, watchOutput } from "../exec/runner.ts";
import { inNs } from "../plan/step.ts";
import { cutOf } from "../lab/cut.ts";
import { flowCookie } from "../ovs/ids.ts";
import { ovsDumpFlows } from "../ovs/flows.ts";
import { ovsList } from "../ovs/query.ts";
import type { Expect, Lab } from "../lab/schema.ts";
import { findFlow } from "../lab/validate_ovs.ts";
import { type CheckResult, type Context, ping, until, whileCut } from "./proof.ts";
import { BOUNDED, startTcpdump } from "./net_probes.ts";

type FlowProof = Extract<Expect, { flow: unknown }>;
type LinkDownProof = Extract<Expect, { linkDown: unknown }>;
type CaptureProof = Extract<Expect, { capture: unknown }>;
type ThroughputProof = Extract<Expect, { throughput: unknown }>;
/** A proof this module runs. */
type OvsProof = FlowProof | LinkDownProof | CaptureProof | ThroughputProof;

/** True for the proofs this module runs (they run one at a time, after the others). */
export function isOvsProof(e: Expect): e is OvsProof {
  return "flow" in e || "linkDown" in e || "capture" in e || "throughput" in e;
}

async function flowCounted(e: FlowProof, lab: Lab, ctx: Context): Promise<CheckResult> {
  const runner = ctx.host.runner;
  const { bridge, match, minPackets } = e.flow;
  const name = `${e.ping.from} -> ${e.ping.to} ${e.reach ? "reachable" : "unreachable"}, ` +
    `flow "${match}" on ${bridge} counts it`;
  const index = findFlow(lab, bridge, match);
  if (typeof index === "string") return { name, pass: false, evidence: index };
  if (!ctx.ovs) return { name, pass: false, evidence: "the lab records no OVS" };
  const cookie = flowCookie(lab.name, index);
  const count = async () =>
    (await ovsDumpFlows(bridge, { ovs: ctx.ovs, host: ctx.host, cookie }))[0]?.nPackets;
  const before = await count();
  if (before === undefined) {
    return { name, pass: false, evidence: `no flow with cookie ${cookie} on ${bridge}` };
  }
  const p = await ping(e.ping.from, e.ping.to, e.reach, runner);
  const after = await until(count, (n) => (n ?? 0) - before >= minPackets) ?? before;
  const counted = after - before;
  return {
    name,
    pass: p.pass && counted >= minPackets,
    evidence: `flow ${cookie} n_packets ${before} -> ${after} (+${counted}, at least ` +
      `${minPackets} expected); ping: ${p.evidence}`,
  };
}

/** The bond of bridge `bridge` that `ifname` belongs to, from the lab. */
function bondOf(lab: Lab, bridge: string, ifname: string): string | undefined {
  const ports = lab.bridges[bridge]?.ports ?? {};
  return Object.entries(ports).find(([, p]) => p.bond?.includes(ifname))?.[0];
}

/** The interface a bond sends on now (its `bond_active_slave` MAC, looked up by name). */
async function activeMember(bond: string, ctx: Context): Promise<string> {
  const [port] = await ovsList("Port", bond, { ovs: ctx.ovs!, host: ctx.host });
  const mac = port?.bond_active_slave;
  if (typeof mac !== "string" || mac === "") return "none";
  const ifaces = await ovsList("Interface", undefined, { ovs: ctx.ovs!, host: ctx.host });
  return String(ifaces.find((i) => i.mac_in_use === mac)?.name ?? mac);
}

/** A cut of `linkDown` (lib/lab/cut.ts), one ping while it is down, the link up again. */
async function linkDownThenPing(
  e: LinkDownProof,
  lab: Lab,
  ctx: Context,
): Promise<CheckResult> {
  const cut = cutOf(lab, e.linkDown);
  const name = `with ${e.linkDown} down: ${e.ping.from} -> ${e.ping.to} ${
    e.reach ? "reachable" : "unreachable"
  }`;
  const bond = cut.onBridge ? bondOf(lab, cut.owner, cut.ifname) : undefined;
  let active = "";
  const { result: p, upAgain } = await whileCut(cut, ctx, async () => {
    const result = await ping(e.ping.from, e.ping.to, e.reach, ctx.host.runner);
    if (bond && ctx.ovs) {
      active = `; ${bond}'s active member: ${await activeMember(bond, ctx)}`;
    }
    return result;
  });
  return {
    name,
    pass: p.pass,
    evidence: `${p.evidence}${active}; ${cut.ifname} back up (${upAgain || "?"})`,
  };
}

async function captured(e: CaptureProof, runner: Runner): Promise<CheckResult> {
  const { node, interface: iface } = e.capture;
  const to = e.ping.to;
  const name = `${node}/${iface} captures the ping ${e.ping.from} -> ${to}, both ways`;
  const started = await startTcpdump(runner, node, iface, `icmp and host ${to}`);
  if ("failed" in started) return { name, pass: false, evidence: started.failed };
  const { capture } = started;
  const p = await ping(e.ping.from, to, true, runner);
  const replyLine = new RegExp(`IP ${to.replaceAll(".", "\\.")} > \\S+: ICMP echo reply`);
  await capture.ready(replyLine, 1000);
  const out = await capture.stop();
  const requests = out.split("\n").filter((l) => l.includes(` > ${to}: ICMP echo request`));
  const replies = out.split("\n").filter((l) => replyLine.test(l));
  const sources = [...new Set(requests.map((l) => /IP (\S+) > /.exec(l)?.[1] ?? "?"))];
  return {
    name,
    pass: p.pass && requests.length > 0 && replies.length > 0,
    evidence: `${requests.length} echo request(s) from ${sources.join(", ") || "none"} and ` +
      `${replies.length} echo reply(ies) captured on ${node}/${iface}; ping: ${p.evidence}`,
  };
}

const mbit = (bps: number) => `${(bps / 1e6).toFixed(2)} Mbit/s`;

async function throughput(e: ThroughputProof, runner: Runner): Promise<CheckResult> {
  const t = e.throughput;
  const name = `${t.from} -> ${t.to} (iperf3 to ${t.server}) at ${mbit(t.rate)} ±${
    Math.round(t.tolerance * 100)
  }%`;
  // --forceflush: on a pipe iperf3 would hold "Server listening" in its buffer until it exits.
  const server = watchOutput(
    runner.spawn(inNs(t.server, [...BOUNDED, "iperf3", "-s", "-1", "--forceflush"])),
  );
  if (!(await server.ready(/Server listening/))) {
    const err = await server.stop();
    return { name, pass: false, evidence: `iperf3 server did not start: ${err.trim() || "?"}` };
  }
  // Three seconds measured after one omitted (TCP's slow start and the shaper's first burst).
  const r = await runner.run(
    inNs(t.from, ["iperf3", "-c", t.to, "-t", "3", "-O", "1", "-J", "--connect-timeout", "3000"]),
    { allowFailure: true },
  ).finally(() => server.stop());
  let measured: number | undefined;
  let problem = "";
  try {
    const report = JSON.parse(r.stdout) as {
      error?: string;
      end?: { sum_received?: { bits_per_second?: number } };
    };
    measured = report.end?.sum_received?.bits_per_second;
    problem = report.error ?? "";
  } catch {
    problem = (r.stderr || r.stdout).trim() || `exit ${r.code}`;
  }
  if (measured === undefined) {
    return { name, pass: false, evidence: `iperf3 measured nothing: ${problem || "no report"}` };
  }
  const off = Math.abs(measured - t.rate) / t.rate;
  return {
    name,
    pass: off <= t.tolerance,
    evidence: `received ${mbit(measured)} (${(off * 100).toFixed(1)}% from ${mbit(t.rate)})`,
  };
}

/** Runs one of the proofs of this module. */
export async function ovsProof(e: OvsProof, lab: Lab, ctx: Context): Promise<CheckResult> {
  const runner = ctx.host.runner;
  if ("flow" in e) return await flowCounted(e, lab, ctx);
  if ("linkDown" in e) return await linkDownThenPing(e, lab, ctx);
  if ("capture" in e) return await captured(e, runner);
  return await throughput(e, runner);
}
