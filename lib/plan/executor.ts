/**
 * The executor: the one place where Steps become processes.
 *
 * - A plan runs as *segments*: a maximal run of steps made only of `ip` and `ovs-vsctl` commands
 *   is scheduled (lib/plan/schedule.ts) into a few levels of parallel batches (one `ip -batch`
 *   per namespace, one `ovs-vsctl` transaction); any other step (a daemon, a file, a command in
 *   a namespace) is a segment of its own, its actions run in order.
 * - Before a segment runs, the undo of each of its steps goes into the journal (one write).
 * - When a step fails, every step that changed something is undone in reverse, and the error is
 *   re-thrown as a {@link StepError} naming the step and its command. A step that never ran, or
 *   whose command failed because its object already exists ("File exists"), is not undone:
 *   rollback never removes what the lab did not create.
 * - A namespace's batch joins the namespace with `nsenter --net=/run/netns/NS ip -batch -`, not
 *   `ip -n NS -batch -`, whose cost grows with the number of namespaces; a namespace's
 *   `ip netns exec NS sysctl -w net....` commands run as one `nsenter --net=/run/netns/NS sysctl
 *   -w ...` (see lib/exec/netns_argv.ts). The effect is identical, and dry-run and export show
 *   the plan's own commands (`ip -n NS ...`, `ip netns exec NS sysctl ...`), as a person would
 *   type them. (The real runner may carry both out in-process: lib/exec/in_process.ts.)
 * - Undo tolerates objects that are already gone ("Cannot find device" counts as success) and
 *   skips commands inside namespaces it deletes anyway, and the ports of bridges it deletes.
 * - An abort signal ({@link ExecutorOptions.signal}: Ctrl-C during `up`) stops a plan at the
 *   next boundary — between segments, or between the levels of a segment's batches; a step is
 *   never cut in the middle — and rolls back what was done, like a failure; the error is then
 *   {@link InterruptedError}.
 *
 * @module
 */
import { CommandError, commandFailed, type Runner } from "../exec/runner.ts";
import { addressOvs, type OvsTarget, vsctl } from "../ovs/target.ts";
import { recordDaemon, stopDaemon } from "../exec/daemon.ts";
import type { Journal, JournalEntry } from "./journal.ts";
import { type Action, isRun, type OvsRemoveAction, type RunAction, type Step } from "./step.ts";
import { dirname } from "node:path";
import { ipBatchArgv, sysctlArgv } from "../exec/netns_argv.ts";
import {
  deletedBridges,
  deletedNamespaces,
  hostChunkFor,
  insideOf,
  laneOf,
  levelsOf,
  mergeOvs,
  pool,
  releasedWithBridge,
  removedWithBridge,
  runsInside,
  type Scheduled,
} from "./schedule.ts";

/** How the executor runs. */
export interface ExecutorOptions {
  /** Runs the commands. */
  runner: Runner;
  /** Where undos are recorded before each step. @default none */
  journal?: Journal | undefined;
  /** The OVS that `ovs-vsctl` talks to; addressed by the one rule of lib/ovs/target.ts. */
  ovs?: OvsTarget | undefined;
  /** How many batches of one level run at once. @default 8 */
  parallel?: number;
  /**
   * The namespace that plays the root namespace's part: a sandboxed lab's parent namespace
   * (lib/lab/sandbox.ts). @default the root namespace
   */
  hostNs?: string | undefined;
  /** Test hook: step index (0-based) that fails as if its command had failed. */
  failAt?: number | undefined;
  /** Called before each segment runs, with the index of its first step. */
  onProgress?: ((index: number, total: number, step: Step) => void) | undefined;
  /**
   * Stops {@link Executor.apply} at the next boundary once aborted: what was done is undone and
   * {@link InterruptedError} thrown. Its reason (a signal's name) is named in the error.
   */
  signal?: AbortSignal | undefined;
}

/** A bring-up step failed; what was done before it has been undone. */
export class StepError extends Error {
  /**
   * Makes the error of a failed step, after its rollback.
   *
   * @param step The step that failed.
   * @param index Its index in the plan (0-based).
   * @param cause Why it failed (a {@link CommandError} for a command).
   * @param undoErrors Undo commands that failed during the rollback.
   */
  constructor(
    readonly step: Step,
    readonly index: number,
    override readonly cause: Error,
    readonly undoErrors: Error[],
  ) {
    super(
      `Step ${index + 1} (${step.summary}) failed: ${cause.message}` +
        (undoErrors.length
          ? `; ${undoErrors.length} undo error(s): ${undoErrors.map((e) => e.message).join("; ")}`
          : "; everything done before it was undone"),
    );
    this.name = "StepError";
  }
}

/** A bring-up was interrupted (its abort signal); what was done before has been undone. */
export class InterruptedError extends Error {
  /**
   * Makes the error, after the rollback.
   *
   * @param reason Why (the abort signal's reason: `SIGINT`, `SIGTERM`).
   * @param undoErrors Undo commands that failed during the rollback.
   */
  constructor(readonly reason: string, readonly undoErrors: Error[]) {
    super(
      `Interrupted (${reason}): ` +
        (undoErrors.length
          ? `${undoErrors.length} undo error(s): ${undoErrors.map((e) => e.message).join("; ")}`
          : "everything done was undone"),
    );
    this.name = "InterruptedError";
  }
}

/** The abort signal stopped a plan at a boundary (turned into {@link InterruptedError}). */
class Interruption extends Error {}

const interruption = (signal: AbortSignal) =>
  new Interruption(typeof signal.reason === "string" ? signal.reason : "aborted");

/** One line of an `ip -batch` failed: carries that line's own argv and its 1-based number. */
class BatchLineError extends CommandError {
  constructor(argv: readonly string[], code: number, stderr: string, readonly line: number) {
    super(argv, code, stderr);
  }
}

/** stderr text that means "the object is already gone": success for an undo. */
const GONE = [
  /Cannot find device/i,
  /Cannot open network namespace/i,
  /No such file or directory/i,
  /does not exist/i,
  /no bridge named/i,
  /no port named/i,
  /no row .* in table/i,
  /No such process/i,
  /Cannot assign requested address/i,
  /Address not found/i,
  /does a matching rule exist/i,
  /No chain\/target\/match by that name/i,
  /Cannot delete qdisc with handle of zero/i, // tc: the interface has only its default qdisc
];

/** True when a failed undo command only says its object is already gone. */
function isGone(error: unknown): boolean {
  if (!(error instanceof CommandError)) return false;
  // pkill exits 1 with nothing on stderr when no process matched.
  if (error.argv.includes("pkill") && error.code === 1) return true;
  // ovs-appctl to a daemon that died without removing its control socket.
  if (error.argv[0] === "ovs-appctl" && /Connection refused/i.test(error.stderr)) return true;
  return GONE.some((re) => re.test(error.stderr));
}

/** stderr text that means "the object was there before": the step created nothing. */
const EXISTS = [/File exists/i, /already exists/i];

/** True when a failed command says that what it would create already exists. */
function isExists(error: unknown): boolean {
  return error instanceof CommandError && EXISTS.some((re) => re.test(error.stderr));
}

/** Runs one action. */
async function runAction(
  action: Action,
  runner: Runner,
  ovs: OvsTarget | undefined,
): Promise<void> {
  if (isRun(action)) {
    await runner.run(addressOvs(action.argv, ovs));
  } else if ("write" in action) {
    await Deno.mkdir(dirname(action.write), { recursive: true });
    await Deno.writeTextFile(action.write, action.content, { mode: action.mode ?? 0o644 });
    await Deno.chmod(action.write, action.mode ?? 0o644);
  } else if ("recordDaemon" in action) {
    await recordDaemon(runner, action.recordDaemon, action.program, {
      record: action.record,
      named: action.named,
    });
  } else if ("stopDaemon" in action) {
    await stopDaemon(runner, action.stopDaemon, action.program, {
      record: action.record,
      named: action.named,
    });
  } else if ("ovsRemove" in action) {
    await removeMarked([action], runner, ovs);
  } else {
    await Deno.remove(action.remove).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
}

/**
 * Removes the OVS bridges and ports of `actions` that carry their lab's mark: one `ovs-vsctl find`
 * of every row with the mark, then one transaction that removes exactly those rows by UUID (see
 * {@link OvsRemoveAction}). Rows without the mark, and rows that are gone, are left alone.
 */
async function removeMarked(
  actions: readonly OvsRemoveAction[],
  runner: Runner,
  ovs: OvsTarget | undefined,
): Promise<void> {
  const labs = [...new Set(actions.map((a) => a.lab))];
  const find = (
    table: string,
    lab: string,
  ) => ["--", "--columns=_uuid,name", "find", table, `external_ids:netkit-lab=${lab}`];
  const query = labs.flatMap((lab) => [...find("Bridge", lab), ...find("Port", lab)]);
  const out = (await runner.run(vsctl(ovs, "--format=json", ...query))).stdout.trim().split("\n");
  const marked = new Map<string, string>(); // "bridge|port/LAB/NAME" -> UUID
  labs.forEach((lab, i) => {
    (["bridge", "port"] as const).forEach((kind, k) => {
      const rows =
        (JSON.parse(out[2 * i + k] || '{"data":[]}') as { data: [[string, string], string][] })
          .data;
      for (const [[, uuid], name] of rows) marked.set(`${kind}/${lab}/${name}`, uuid);
    });
  });
  const removals = actions.flatMap((a) => {
    const uuid = marked.get(`${a.ovsRemove}/${a.lab}/${a.name}`);
    if (uuid === undefined) return [];
    return a.ovsRemove === "bridge"
      ? ["--", "remove", "Open_vSwitch", ".", "bridges", uuid]
      : ["--", "--if-exists", "remove", "Bridge", a.bridge ?? "", "ports", uuid];
  });
  if (removals.length) await runner.run(vsctl(ovs, ...removals));
}

/** The lines of an `ip -batch` for `actions`, each without its leading `ip [-n NS]`. */
function batchInput(actions: readonly RunAction[]): string {
  const lines = actions.map((a) => (a.argv[1] === "-n" ? a.argv.slice(3) : a.argv.slice(1)));
  return lines.map((l) => l.join(" ")).join("\n") + "\n";
}

/** Runs several `ip` commands for one namespace as one `ip -batch -`. */
async function runIpBatch(actions: RunAction[], ns: string, runner: Runner): Promise<void> {
  const argv = ipBatchArgv(ns);
  try {
    await runner.run(argv, { stdin: batchInput(actions) });
  } catch (error) {
    // ip stops at the first failing line and names it ("Command failed -:N"): report that
    // command, as if it had run on its own.
    if (!(error instanceof CommandError)) throw error;
    const line = Number(/Command failed -:(\d+)/.exec(error.stderr)?.[1] ?? 0);
    const failed = actions[line - 1];
    if (!failed) throw error;
    const stderr = error.stderr.replace(/Command failed -:\d+\s*$/, "");
    throw new BatchLineError(failed.argv, error.code, stderr, line);
  }
}

/**
 * A lane failed: the first `done` of its actions ran, the one at `failed` failed, the rest did
 * not run. `atomic`: the failed action belongs to an `ovs-vsctl` transaction, so none of the
 * transaction's commands took effect. When it cannot be known how far a command got (a signal
 * ended it: Ctrl-C reaches the whole process group; an `ip -batch` that names no failed line),
 * every action it carried counts as done, so that the rollback undoes them all (undo tolerates
 * what is missing).
 */
class LaneError extends Error {
  constructor(
    readonly done: number,
    readonly failed: number,
    override readonly cause: unknown,
    readonly atomic = false,
  ) {
    super("lane failed");
  }
}

/**
 * A command that a signal ended, as the runner saw it ({@link CommandError.signal}): how far it
 * got is unknown. Not its exit code: `ip` exits 255 (its `exit(-1)`) on an ordinary error, and
 * such a command did only what it reports.
 */
const killed = (error: unknown) => error instanceof CommandError && error.signal !== null;

/** A failed segment: the failing step, its error, and the steps that changed something. */
interface SegmentFailure {
  index: number;
  error: unknown;
  touched: number[];
}

const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/**
 * Carries out plans: the only code that changes the host.
 *
 * @example Apply two steps, journaled; undo them again
 * ```ts
 * import { createNs, Executor, RecordingRunner } from "../../mod.ts";
 * const executor = new Executor({ runner: new RecordingRunner() });
 * const steps = [createNs("a"), createNs("b")];
 * await executor.apply(steps);
 * await executor.undo(steps.map((s) => ({ key: s.key, undo: s.undo })));
 * ```
 */
export class Executor {
  /** Runs the commands. */
  readonly runner: Runner;
  /**
   * Makes an executor.
   *
   * @param options How to run; see {@link ExecutorOptions}.
   */
  constructor(readonly options: ExecutorOptions) {
    this.runner = options.runner;
  }

  /**
   * Runs `steps` in order, journaling each undo first. On failure, undoes the steps that changed
   * something, in reverse, forgets their journal entries, and throws {@link StepError}; the
   * same, with {@link InterruptedError}, when its abort signal stops it.
   */
  async apply(steps: readonly Step[]): Promise<void> {
    const { journal, failAt, onProgress, signal } = this.options;
    const mark = await journal?.size();
    const done: Step[] = [];
    for (const segment of segments(steps, failAt)) {
      const first = segment[0]!;
      const segmentSteps = segment.map((i) => steps[i]!);
      onProgress?.(first, steps.length, steps[first]!);
      const failure: SegmentFailure | undefined = signal?.aborted
        ? { index: first, error: interruption(signal), touched: [] }
        : await this.tryRunSegment(segment, steps);
      if (!failure) {
        done.push(...segmentSteps);
        continue;
      }
      const rollback = [...done, ...failure.touched.map((i) => steps[i]!)].map(entryOf);
      const undoErrors = await this.undo(rollback);
      if (journal && mark !== undefined) {
        // The journal keeps only what may still need undoing: the earlier entries, and the
        // rolled-back steps again when their undo failed (so that `down` retries them).
        await journal.truncate(mark);
        if (undoErrors.length) await journal.append(rollback);
      }
      if (failure.error instanceof Interruption) {
        throw new InterruptedError(failure.error.message, undoErrors);
      }
      throw new StepError(steps[failure.index]!, failure.index, asError(failure.error), undoErrors);
    }
  }

  /** Journals one segment's undo and runs it; returns what failed, or undefined. */
  private async tryRunSegment(
    segment: number[],
    steps: readonly Step[],
  ): Promise<SegmentFailure | undefined> {
    const { journal, failAt } = this.options;
    const first = segment[0]!;
    try {
      await journal?.append(segment.map((i) => entryOf(steps[i]!)));
      if (first !== failAt) return await this.runSegment(segment, steps);
      const injected = `injected failure at step ${first}`;
      return {
        index: first,
        error: new CommandError(["netkit-fault-injection"], 1, injected),
        touched: [],
      };
    } catch (error) {
      return { index: first, error, touched: segment };
    }
  }

  /** The lane that plays the root namespace's part (see lib/plan/schedule.ts). */
  get hostLane(): string {
    return this.options.hostNs === undefined ? "root" : `ns:${this.options.hostNs}`;
  }

  /** Runs one segment; returns what failed, or undefined. */
  private async runSegment(
    segment: number[],
    steps: readonly Step[],
  ): Promise<SegmentFailure | undefined> {
    const actions = segment.flatMap((i) => steps[i]!.do.map((action) => ({ action, step: i })));
    if (segment.length === 1 && actions.some((a) => laneOf(a.action) === undefined)) {
      // A step that cannot be scheduled: its actions in order.
      for (const [k, { action, step }] of actions.entries()) {
        try {
          await runAction(action, this.runner, this.options.ovs);
        } catch (error) {
          return { index: step, error, touched: k > 0 || !isExists(error) ? [step] : [] };
        }
      }
      return undefined;
    }
    const items = actions.map((a) => ({ action: a.action as RunAction, lane: laneOf(a.action)! }));
    const ran = new Set<number>(); // indices into `actions` of the actions that took effect
    const spread = {
      netnsAddLanes: Math.min(this.options.parallel ?? 8, navigator.hardwareConcurrency || 1),
      hostChunk: hostChunkFor(items.filter((i) => i.lane === this.hostLane).length),
    };
    const signal = this.options.signal;
    for (const lanes of levelsOf(items, this.hostLane, spread)) {
      if (signal?.aborted) {
        // Stop between two levels: the steps that changed something are rolled back.
        const touched = new Set([...ran].map((i) => actions[i]!.step));
        const index = segment[0]!;
        return {
          index,
          error: interruption(signal),
          touched: segment.filter((i) => touched.has(i)),
        };
      }
      const results = await pool(lanes, this.options.parallel ?? 8, (lane) => this.runLane(lane));
      const failed: { action: number; error: unknown; created: boolean }[] = [];
      results.forEach((r, k) => {
        const lane = lanes[k]!;
        if (r.status === "fulfilled") return lane.forEach((s) => ran.add(s.index));
        const f = r.reason instanceof LaneError ? r.reason : new LaneError(0, 0, r.reason);
        lane.slice(0, f.done).forEach((s) => ran.add(s.index));
        failed.push({
          action: lane[Math.min(f.failed, lane.length - 1)]!.index,
          error: f.cause,
          created: !f.atomic && !isExists(f.cause),
        });
      });
      if (failed.length === 0) continue;
      // Report the earliest failed action; undo every step that changed something.
      const first = failed.reduce((a, b) => (b.action < a.action ? b : a));
      const touched = new Set([...ran].map((i) => actions[i]!.step));
      for (const f of failed) if (f.created) touched.add(actions[f.action]!.step);
      return {
        index: actions[first.action]!.step,
        error: first.error,
        touched: segment.filter((i) => touched.has(i)),
      };
    }
    return undefined;
  }

  /**
   * One lane: one `ip -batch` (always, for a namespace), one `ovs-vsctl` transaction, one
   * `sysctl`, or a single command.
   */
  private async runLane(lane: Scheduled[]): Promise<void> {
    const ovs = this.options.ovs;
    const actions = lane.map((s) => s.action);
    const name = lane[0]!.lane;
    if (name.startsWith("sysctl:")) {
      const error = await runSysctls(actions, insideOf(name)!, this.runner);
      if (error) throw new LaneError(error.line - 1, error.line - 1, error);
      return;
    }
    if (actions.length === 1 && !name.startsWith("ns:")) {
      try {
        return await runAction(actions[0]!, this.runner, ovs);
      } catch (error) {
        throw new LaneError(killed(error) ? 1 : 0, 0, error, name === "ovs" && !killed(error));
      }
    }
    if (lane[0]!.lane === "ovs") {
      let done = 0;
      for (const chunk of mergeOvs(actions.map((a) => a.argv))) {
        try {
          await this.runner.run(addressOvs(chunk.argv, ovs));
        } catch (error) {
          if (killed(error)) throw new LaneError(done + chunk.count, done, error);
          throw new LaneError(done, done, error, true);
        }
        done += chunk.count;
      }
      return;
    }
    try {
      await runIpBatch(actions, nsOfLane(lane[0]!.lane), this.runner);
    } catch (error) {
      if (!(error instanceof BatchLineError)) throw new LaneError(actions.length, 0, error);
      throw new LaneError(error.line - 1, error.line - 1, error);
    }
  }

  /**
   * Undoes journal entries in reverse order, batched like apply; commands inside namespaces that
   * the same undo deletes, and ports of bridges it deletes (OVS and Linux), are skipped. Objects that are already
   * gone count as removed. Returns the errors of undos that really failed (it never throws for
   * them).
   */
  async undo(entries: readonly JournalEntry[]): Promise<Error[]> {
    const released = releasedWithBridge(entries.map((e) => e.key));
    const actions = [...entries].reverse().flatMap((e) => (released.has(e.key) ? [] : e.undo));
    const gone = deletedNamespaces(actions);
    const bridges = deletedBridges(actions);
    const kept = actions.filter((a) => !runsInside(a, gone) && !removedWithBridge(a, bridges));
    const errors: Error[] = [];
    let run: { action: RunAction; lane: string }[] = [];
    let marked: OvsRemoveAction[] = [];
    const flush = async () => {
      if (run.length) errors.push(...await this.undoLevels(levelsOf(run, this.hostLane)));
      run = [];
      if (marked.length) await this.tolerant(marked, errors);
      marked = [];
    };
    for (const action of kept) {
      const lane = laneOf(action);
      if (lane !== undefined && !marked.length) {
        run.push({ action: action as RunAction, lane });
      } else if ("ovsRemove" in action && !run.length) {
        marked.push(action); // consecutive OVS removals: one query, one transaction
      } else {
        await flush();
        if (lane !== undefined) run.push({ action: action as RunAction, lane });
        else if ("ovsRemove" in action) marked.push(action);
        else await this.tolerant(action, errors);
      }
    }
    await flush();
    return errors;
  }

  /** Runs one undo action (or a group of OVS removals); records errors but "already gone". */
  private async tolerant(action: Action | OvsRemoveAction[], errors: Error[]): Promise<void> {
    try {
      if (Array.isArray(action)) await removeMarked(action, this.runner, this.options.ovs);
      else await runAction(action, this.runner, this.options.ovs);
    } catch (error) {
      if (!isGone(error)) errors.push(asError(error));
    }
  }

  /** Runs undo levels one after the other, every command of every lane; returns real errors. */
  private async undoLevels(levels: Scheduled[][][]): Promise<Error[]> {
    const errors: Error[] = [];
    for (const lanes of levels) {
      const results = await pool(lanes, this.options.parallel ?? 8, async (lane) => {
        const laneErrors: Error[] = [];
        await this.undoLane(lane, laneErrors);
        return laneErrors;
      });
      for (const r of results) {
        if (r.status === "fulfilled") errors.push(...r.value);
        else errors.push(asError(r.reason));
      }
    }
    return errors;
  }

  /** One undo lane: every command runs; "already gone" counts as done. */
  private async undoLane(lane: Scheduled[], errors: Error[]): Promise<void> {
    const actions = lane.map((s) => s.action);
    const name = lane[0]!.lane;
    if (name.startsWith("sysctl:")) {
      const error = await runSysctls(actions, insideOf(name)!, this.runner);
      if (error && !isGone(error)) errors.push(error);
      return;
    }
    if (actions.length === 1 && !name.startsWith("ns:")) {
      return await this.tolerant(actions[0]!, errors);
    }
    if (lane[0]!.lane === "ovs") {
      // One transaction; if it fails, each command again on its own to tell gone from failed.
      try {
        for (const chunk of mergeOvs(actions.map((a) => a.argv))) {
          await this.runner.run(addressOvs(chunk.argv, this.options.ovs));
        }
      } catch {
        for (const action of actions) await this.tolerant(action, errors);
      }
      return;
    }
    const failed = await runIpBatchForce(actions, nsOfLane(lane[0]!.lane), this.runner);
    for (const error of failed) if (!isGone(error)) errors.push(error);
  }
}

function entryOf(step: Step): JournalEntry {
  return step.pidFile === undefined
    ? { key: step.key, undo: step.undo }
    : { key: step.key, undo: step.undo, pidFile: step.pidFile };
}

/** The namespace an `ip -batch` lane runs in: `ns:NS`, else the root namespace (""). */
const nsOfLane = (lane: string) => (lane.startsWith("ns:") ? lane.slice(3) : "");

/**
 * The segments of a plan: maximal runs of steps whose every action can be scheduled, and every
 * other step on its own. The fault-injection step always stands alone.
 */
function segments(steps: readonly Step[], failAt?: number): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  steps.forEach((step, i) => {
    const schedulable = step.do.length > 0 && step.do.every((a) => laneOf(a) !== undefined);
    if (!schedulable || i === failAt) {
      if (current.length) out.push(current), current = [];
      out.push([i]);
    } else current.push(i);
  });
  if (current.length) out.push(current);
  return out;
}

/**
 * A `sysctl:NS` lane (see laneOf): every namespace-wide sysctl of namespace NS in one
 * `nsenter --net=/run/netns/NS sysctl -q -w K=V...`. Returns the failure as a
 * {@link BatchLineError} naming the action whose key sysctl could not set (else the first).
 */
async function runSysctls(
  actions: RunAction[],
  ns: string,
  runner: Runner,
): Promise<BatchLineError | undefined> {
  const sets = (a: RunAction) => a.argv.slice(5).filter((w) => w !== "-q" && w !== "-w");
  const path = (a: RunAction) =>
    `/proc/sys/${(sets(a)[0] ?? "").split("=")[0]!.replaceAll(".", "/")}`;
  const r = await runner.run(sysctlArgv(ns, actions.flatMap(sets)), { allowFailure: true });
  if (r.code === 0) return undefined;
  const at = Math.max(0, actions.findIndex((a) => r.stderr.includes(path(a))));
  return new BatchLineError(actions[at]!.argv, r.code, r.stderr, at + 1);
}

/**
 * `ip -force -batch -`: runs every line even when some fail, and returns one
 * {@link CommandError} per failed line, with that line's own argv and message.
 */
async function runIpBatchForce(
  actions: RunAction[],
  ns: string,
  runner: Runner,
): Promise<CommandError[]> {
  const argv = ipBatchArgv(ns, true);
  const r = await runner.run(argv, { stdin: batchInput(actions), allowFailure: true });
  if (r.code === 0) return [];
  const failed: CommandError[] = [];
  const re = /Command failed -:(\d+)\n?/g;
  let from = 0;
  for (let m = re.exec(r.stderr); m; m = re.exec(r.stderr)) {
    const action = actions[Number(m[1]) - 1];
    const text = r.stderr.slice(from, m.index);
    from = m.index + m[0].length;
    if (action) failed.push(new CommandError(action.argv, r.code, text, { signal: r.signal }));
  }
  if (!failed.length) failed.push(commandFailed(argv, r));
  return failed;
}
