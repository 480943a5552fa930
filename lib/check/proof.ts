/**
 * One proof's vocabulary, shared by every probe (lib/check/probes.ts, net_probes.ts,
 * probes_ovs.ts): its result, its context, the ping proof (made of the one ping,
 * lib/check/ping.ts), and a change applied while a proof runs.
 * It imports no probe, so every probe can import it and imports only point down.
 *
 * @module
 */
import type { Runner } from "../exec/runner.ts";
import type { Host } from "../host.ts";
import type { Step } from "../plan/step.ts";
import { Journal } from "../plan/journal.ts";
import { pingFrom } from "./ping.ts";
import { join } from "node:path";
import { Executor } from "../plan/executor.ts";
import type { OvsTarget } from "../ovs/target.ts";
import { ovsList } from "../ovs/query.ts";
import { type Cut, cutStep } from "../lab/cut.ts";
import { sleep } from "../units.ts";

/** The outcome of one proof. */
export interface CheckResult {
  /** What was checked, e.g. `ns2 -> 10.0.0.1 reachable`. */
  name: string;
  /** Whether the proof passed. */
  pass: boolean;
  /** What was seen (a ping summary, a lease, captured sources). */
  evidence: string;
  /** How long the proof took, in milliseconds. */
  ms?: number;
}

/** What the probes need. */
export interface CheckContext {
  /** Where and how to work. @default resolveHost() */
  host?: Host | undefined;
  /** The lab's state directory (lease records). */
  stateDir: string;
  /** The OVS of the lab, for VLAN probes. */
  ovs?: OvsTarget | undefined;
}

/** The context with its host resolved. */
export type Context = CheckContext & { host: Host };

/**
 * Pings `to` from `from` (the one ping, lib/check/ping.ts); passes when the outcome is `reach`.
 */
export async function ping(
  from: string,
  to: string,
  reach: boolean,
  runner: Runner,
): Promise<CheckResult> {
  const { reached, summary } = await pingFrom(runner, from, to, reach);
  return {
    name: `${from} -> ${to} ${reach ? "reachable" : "unreachable"}`,
    pass: reached === reach,
    evidence: summary,
  };
}

/**
 * Applies `step` (a change a proof makes: a link taken down, a VLAN tag removed) as a journaled
 * step of the lab (its undo is in the lab's journal before it runs, so `down` restores it even if
 * netkit is killed meanwhile), runs `prove`, and undoes the step whatever happened.
 */
export async function whileApplied<T>(
  step: Step,
  ctx: Context,
  prove: () => Promise<T>,
): Promise<T> {
  const exec = new Executor({
    runner: ctx.host.runner,
    ovs: ctx.ovs,
    journal: new Journal(join(ctx.stateDir, "journal.jsonl")),
  });
  await exec.apply([step]);
  const restore = async () => {
    const errors = await exec.undo([{ key: step.key, undo: step.undo }]);
    if (errors.length) throw errors[0];
  };
  const result = await prove().catch(async (error) => {
    await restore();
    throw error;
  });
  await restore();
  return result;
}

/** What a proof saw while its cut was in place, and the state its link came back to. */
interface WhileCut<T> {
  /** What `prove` returned. */
  result: T;
  /** The link's state once set up again (`up` when it came back within 3 s). */
  upAgain: string;
}

/**
 * Takes the cut's link down with the lab's journaled step ({@link whileApplied}), runs `prove`,
 * sets the link up again whatever happened, and waits (at most 3 s) until OVS or the kernel sees it
 * up, so that the next proof starts from a whole lab.
 */
export async function whileCut<T>(
  cut: Cut,
  ctx: Context,
  prove: () => Promise<T>,
): Promise<WhileCut<T>> {
  const result = await whileApplied(cutStep(cut, "down"), ctx, prove);
  const upAgain = await until(() => linkState(cut, ctx), (s) => s === "up");
  return { result, upAgain };
}

/** Waits (bounded, `ms`) until `done()` holds of what `fn` returns; returns its last value. */
export async function until<T>(
  fn: () => Promise<T>,
  done: (v: T) => boolean,
  ms = 3000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await fn();
  while (!done(value) && Date.now() < deadline) {
    await sleep(100);
    value = await fn();
  }
  return value;
}

/** The cut's link state as OVS (a bridge port) or the kernel reports it, "" when unknown. */
async function linkState(cut: Cut, ctx: Context): Promise<string> {
  if (cut.onBridge && ctx.ovs) {
    const [row] = await ovsList("Interface", cut.ifname, { ovs: ctx.ovs, host: ctx.host })
      .catch(() => []);
    return String(row?.link_state ?? "");
  }
  const ip = cut.ns ? ["ip", "-n", cut.ns] : ["ip"];
  const r = await ctx.host.runner.run([...ip, "-j", "link", "show", "dev", cut.ifname], {
    allowFailure: true,
  });
  return r.code === 0 ? String((JSON.parse(r.stdout)[0] ?? {}).operstate ?? "").toLowerCase() : "";
}
