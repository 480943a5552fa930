/**
 * The executor: the one place where Steps become processes.
 *
 * - Before a step runs, its undo goes into the journal (when there is one).
 * - Consecutive steps made only of `ip` commands for the same namespace are merged into one
 *   `ip [-n NS] -batch -` call: one process instead of dozens, with the same effect.
 * - When a step fails, every step already started is undone in reverse; undo errors are collected
 *   and the original error is re-thrown as a {@link StepError} naming the step and command.
 * - Undo tolerates objects that are already gone ("Cannot find device" counts as success).
 *
 * @module
 */
import { CommandError, defaultRunner, type Runner } from "../exec/runner.ts";
import type { Journal, JournalEntry } from "./journal.ts";
import { type Action, isRun, type RunAction, type Step } from "./step.ts";
import { dirname } from "node:path";
import {
  deletedBridges,
  deletedNamespaces,
  laneOf,
  levelsOf,
  mergeOvs,
  pool,
  removedWithBridge,
  runsInside,
  type Scheduled,
} from "./schedule.ts";

/** How the executor runs. */
export interface ExecutorOptions {
  /** Runs the commands. @default the real process runner */
  runner?: Runner;
  /** Where undos are recorded before each step. @default none */
  journal?: Journal;
  /** OVS database to talk to (`unix:/path/db.sock`); inserted into every `ovs-vsctl` call. */
  ovsDb?: string;
  /** Merge consecutive `ip` steps into `ip -batch`. @default true */
  batch?: boolean;
  /**
   * The fast path (see schedule.ts): runs of `ip`/`ovs-vsctl` steps become a few levels of
   * parallel batches (one `ip -batch` per namespace, one `ovs-vsctl` transaction), journaled with
   * one write; undo skips commands inside namespaces it deletes anyway. upLab and downLab use it.
   * @default false (step by step, only consecutive same-namespace `ip` steps merged)
   */
  schedule?: boolean;
  /** How many batches of one level run at once on the fast path. @default 8 */
  parallel?: number;
  /**
   * The namespace that plays the root namespace's part on the fast path: a sandboxed lab's
   * parent namespace (lib/lab/sandbox.ts). @default the root namespace
   */
  hostNs?: string;
  /** Test hook: step index (0-based) that fails as if its command had failed. */
  failAt?: number;
  /** Called before each group of steps runs, with the index of its first step. */
  onProgress?: (index: number, total: number, step: Step) => void;
}

/** A bring-up step failed; what was done before it has been undone. */
export class StepError extends Error {
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
  /No such process/i,
  /Cannot assign requested address/i,
  /Address not found/i,
  /does a matching rule exist/i,
  /No chain\/target\/match by that name/i,
];

/** True when a failed undo command only says its object is already gone. */
export function isGone(error: unknown): boolean {
  if (!(error instanceof CommandError)) return false;
  // pkill exits 1 with nothing on stderr when no process matched.
  if (error.argv.includes("pkill") && error.code === 1) return true;
  // pidwait (waiting for a stopped daemon to exit) exits 1 when no such process is left.
  if (error.argv.includes("pidwait") && error.code === 1) return true;
  // ovs-appctl to a daemon that died without removing its control socket.
  if (error.argv[0] === "ovs-appctl" && /Connection refused/i.test(error.stderr)) return true;
  return GONE.some((re) => re.test(error.stderr));
}

/** Returns argv with `--db=...` after `ovs-vsctl` when a private OVS is in use. */
export function withOvsDb(argv: readonly string[], ovsDb: string | undefined): string[] {
  if (ovsDb === undefined || argv[0] !== "ovs-vsctl") return [...argv];
  return ["ovs-vsctl", `--db=${ovsDb}`, ...argv.slice(1)];
}

const BATCHABLE = new Set(["link", "addr", "address", "route", "netns"]);

/** The namespace key of an `ip` command that `ip -batch` can take, or undefined. */
function batchKey(action: Action): string | undefined {
  if (!isRun(action) || action.argv[0] !== "ip") return undefined;
  const a = action.argv;
  const [ns, rest] = a[1] === "-n" ? [a[2] ?? "", a.slice(3)] : ["", a.slice(1)];
  const object = rest[0] ?? "";
  if (!BATCHABLE.has(object)) return undefined;
  if (object === "netns" && !["add", "delete", "del"].includes(rest[1] ?? "")) return undefined;
  if (rest.some((w) => /[\s"'\\#]/.test(w) || w === "")) return undefined;
  return ns;
}

function stepBatchKey(step: Step): string | undefined {
  if (step.do.length === 0) return undefined;
  const keys = new Set(step.do.map(batchKey));
  if (keys.size !== 1 || keys.has(undefined)) return undefined;
  return [...keys][0];
}

/** Runs one action. */
export async function runAction(
  action: Action,
  runner: Runner,
  ovsDb: string | undefined,
): Promise<void> {
  if (isRun(action)) {
    await runner.run(withOvsDb(action.argv, ovsDb));
  } else if ("write" in action) {
    await Deno.mkdir(dirname(action.write), { recursive: true });
    await Deno.writeTextFile(action.write, action.content, { mode: action.mode ?? 0o644 });
    await Deno.chmod(action.write, action.mode ?? 0o644);
  } else {
    await Deno.remove(action.remove).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
}

/** Runs several `ip` commands for one namespace as one `ip -batch -`. */
async function runIpBatch(actions: RunAction[], ns: string, runner: Runner): Promise<void> {
  const lines = actions.map((a) => (a.argv[1] === "-n" ? a.argv.slice(3) : a.argv.slice(1)));
  const argv = ns === "" ? ["ip", "-batch", "-"] : ["ip", "-n", ns, "-batch", "-"];
  try {
    await runner.run(argv, { stdin: lines.map((l) => l.join(" ")).join("\n") + "\n" });
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

/** Groups of consecutive step indices that run together. */
function groups(steps: readonly Step[], batch: boolean, failAt?: number): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  let currentKey: string | undefined;
  steps.forEach((step, i) => {
    const key = batch ? stepBatchKey(step) : undefined;
    const joins = key !== undefined && key === currentKey && i !== failAt;
    if (!joins && current.length) out.push(current), current = [];
    current.push(i);
    currentKey = key;
    if (key === undefined) out.push(current), current = [], currentKey = undefined;
  });
  if (current.length) out.push(current);
  return out;
}

/** Carries out plans: the only code that changes the host. */
export class Executor {
  readonly runner: Runner;
  constructor(readonly options: ExecutorOptions = {}) {
    this.runner = options.runner ?? defaultRunner;
  }

  /**
   * Runs `steps` in order, journaling each undo first. On failure, undoes the started steps in
   * reverse and throws {@link StepError}.
   */
  async apply(steps: readonly Step[]): Promise<void> {
    if (this.options.schedule) return await this.applyScheduled(steps);
    const { journal, ovsDb, failAt, onProgress } = this.options;
    const started: Step[] = [];
    for (const group of groups(steps, this.options.batch ?? true, failAt)) {
      const first = group[0]!;
      const groupSteps = group.map((i) => steps[i]!);
      onProgress?.(first, steps.length, steps[first]!);
      try {
        await journal?.append(groupSteps.map(entryOf));
        started.push(...groupSteps);
        if (first === failAt) {
          throw new CommandError(
            ["netkit-fault-injection"],
            1,
            `injected failure at step ${first}`,
          );
        }
        const key = this.batchOn ? stepBatchKey(groupSteps[0]!) : undefined;
        const actions = groupSteps.flatMap((s) => s.do);
        if (key !== undefined && actions.length > 1) {
          await runIpBatch(actions as RunAction[], key, this.runner);
        } else {
          for (const action of actions) await runAction(action, this.runner, ovsDb);
        }
      } catch (error) {
        const undoErrors = await this.undo(started.map(entryOf));
        const failed = group.length === 1 ? first : this.locate(group, steps, error);
        throw new StepError(
          steps[failed]!,
          failed,
          error instanceof Error ? error : new Error(String(error)),
          undoErrors,
        );
      }
    }
  }

  private get hostLane(): string {
    return this.options.hostNs === undefined ? "root" : `ns:${this.options.hostNs}`;
  }

  private get batchOn(): boolean {
    return this.options.batch ?? true;
  }

  /** Which step of a failed batch failed: the batch stops at its first failing line. */
  private locate(group: number[], steps: readonly Step[], error: unknown): number {
    if (error instanceof BatchLineError) {
      let line = error.line;
      for (const i of group) {
        line -= steps[i]!.do.length;
        if (line <= 0) return i;
      }
    }
    return group[0]!;
  }

  /**
   * Undoes journal entries in reverse order. Objects that are already gone count as removed.
   * Returns the errors of undos that really failed (it never throws for them).
   */
  async undo(entries: readonly JournalEntry[]): Promise<Error[]> {
    if (this.options.schedule) return await this.undoScheduled(entries);
    const errors: Error[] = [];
    for (const entry of [...entries].reverse()) {
      for (const action of entry.undo) {
        try {
          await runAction(action, this.runner, this.options.ovsDb);
        } catch (error) {
          if (!isGone(error)) {
            errors.push(error instanceof Error ? error : new Error(String(error)));
          }
        }
      }
    }
    return errors;
  }

  /** apply() on the fast path: segments of schedulable steps, each journaled with one write. */
  private async applyScheduled(steps: readonly Step[]): Promise<void> {
    const { journal, failAt, onProgress } = this.options;
    const started: Step[] = [];
    for (const segment of segments(steps, failAt)) {
      const first = segment[0]!;
      const segmentSteps = segment.map((i) => steps[i]!);
      onProgress?.(first, steps.length, steps[first]!);
      let failedAt = first;
      try {
        await journal?.append(segmentSteps.map(entryOf));
        started.push(...segmentSteps);
        if (first === failAt) {
          throw new CommandError(
            ["netkit-fault-injection"],
            1,
            `injected failure at step ${first}`,
          );
        }
        const actions = segment.flatMap((i) => steps[i]!.do.map((action) => ({ action, step: i })));
        if (segment.length === 1 && actions.some((a) => laneOf(a.action) === undefined)) {
          for (const { action } of actions) {
            await runAction(action, this.runner, this.options.ovsDb);
          }
        } else {
          const items = actions.map((a) => ({
            action: a.action as RunAction,
            lane: laneOf(a.action)!,
          }));
          const failure = await this.runLevels(levelsOf(items, this.hostLane), false);
          if (failure) {
            failedAt = actions[failure.index]!.step;
            throw failure.error;
          }
        }
      } catch (error) {
        const undoErrors = await this.undo(started.map(entryOf));
        throw new StepError(
          steps[failedAt]!,
          failedAt,
          error instanceof Error ? error : new Error(String(error)),
          undoErrors,
        );
      }
    }
  }

  /**
   * Runs levels one after the other, the lanes of a level side by side. On apply, stops after the
   * first level with a failure and returns it (the earliest failed action); on undo
   * (`tolerant`), runs everything, drops "already gone" errors and returns the rest.
   */
  private async runLevels(
    levels: Scheduled[][][],
    tolerant: false,
  ): Promise<{ index: number; error: unknown } | undefined>;
  private async runLevels(levels: Scheduled[][][], tolerant: true): Promise<Error[]>;
  private async runLevels(
    levels: Scheduled[][][],
    tolerant: boolean,
  ): Promise<{ index: number; error: unknown } | undefined | Error[]> {
    const errors: Error[] = [];
    for (const lanes of levels) {
      const results = await pool(
        lanes,
        this.options.parallel ?? 8,
        (lane) => this.runLane(lane, tolerant),
      );
      if (tolerant) {
        for (const r of results) {
          if (r.status === "fulfilled") errors.push(...(r.value ?? []));
          else errors.push(r.reason instanceof Error ? r.reason : new Error(String(r.reason)));
        }
        continue;
      }
      let failure: { index: number; error: unknown } | undefined;
      results.forEach((r, k) => {
        if (r.status === "fulfilled") return;
        const lane = lanes[k]!;
        const line = r.reason instanceof BatchLineError ? r.reason.line : 1;
        const index = lane[Math.min(line, lane.length) - 1]!.index;
        if (!failure || index < failure.index) failure = { index, error: r.reason };
      });
      if (failure) return failure;
    }
    return tolerant ? errors : undefined;
  }

  /** One lane: one `ip -batch`, one `ovs-vsctl` transaction, or a single command. */
  private async runLane(lane: Scheduled[], tolerant: boolean): Promise<Error[] | undefined> {
    const ovsDb = this.options.ovsDb;
    const actions = lane.map((s) => s.action);
    if (!tolerant) {
      if (actions.length === 1) await runAction(actions[0]!, this.runner, ovsDb);
      else if (lane[0]!.lane === "ovs") {
        for (const argv of mergeOvs(actions.map((a) => a.argv))) {
          await this.runner.run(withOvsDb(argv, ovsDb));
        }
      } else await runIpBatch(actions, nsOfLane(lane[0]!.lane), this.runner);
      return undefined;
    }
    // Undo: every command runs; "already gone" counts as done.
    const errors: Error[] = [];
    const one = async (action: RunAction) => {
      try {
        await runAction(action, this.runner, ovsDb);
      } catch (error) {
        if (!isGone(error)) errors.push(error instanceof Error ? error : new Error(String(error)));
      }
    };
    if (actions.length === 1) await one(actions[0]!);
    else if (lane[0]!.lane === "ovs") {
      // One transaction; if it fails, each command again on its own to tell gone from failed.
      try {
        for (const argv of mergeOvs(actions.map((a) => a.argv))) {
          await this.runner.run(withOvsDb(argv, ovsDb));
        }
      } catch {
        for (const action of actions) await one(action);
      }
    } else {
      const failed = await runIpBatchForce(actions, nsOfLane(lane[0]!.lane), this.runner);
      for (const error of failed) if (!isGone(error)) errors.push(error);
    }
    return errors;
  }

  /** undo() on the fast path: reverse order, batched, skipping what namespace deletion removes. */
  private async undoScheduled(entries: readonly JournalEntry[]): Promise<Error[]> {
    const actions = [...entries].reverse().flatMap((e) => e.undo);
    const gone = deletedNamespaces(actions);
    const bridges = deletedBridges(actions);
    const kept = actions.filter((a) => !runsInside(a, gone) && !removedWithBridge(a, bridges));
    const errors: Error[] = [];
    let run: { action: RunAction; lane: string }[] = [];
    const flush = async () => {
      if (run.length) errors.push(...await this.runLevels(levelsOf(run, this.hostLane), true));
      run = [];
    };
    for (const action of kept) {
      const lane = laneOf(action);
      if (lane !== undefined) {
        run.push({ action: action as RunAction, lane });
        continue;
      }
      await flush();
      try {
        await runAction(action, this.runner, this.options.ovsDb);
      } catch (error) {
        if (!isGone(error)) errors.push(error instanceof Error ? error : new Error(String(error)));
      }
    }
    await flush();
    return errors;
  }
}

function entryOf(step: Step): JournalEntry {
  return step.pidFile === undefined
    ? { key: step.key, undo: step.undo }
    : { key: step.key, undo: step.undo, pidFile: step.pidFile };
}

const nsOfLane = (lane: string) => (lane === "root" ? "" : lane.slice(3));

/**
 * Segments for the fast path: maximal runs of steps whose every action can be scheduled, and
 * every other step on its own. The fault-injection step always stands alone.
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
 * `ip -force -batch -`: runs every line even when some fail, and returns one
 * {@link CommandError} per failed line, with that line's own argv and message.
 */
async function runIpBatchForce(
  actions: RunAction[],
  ns: string,
  runner: Runner,
): Promise<CommandError[]> {
  const lines = actions.map((a) => (a.argv[1] === "-n" ? a.argv.slice(3) : a.argv.slice(1)));
  const argv = ns === ""
    ? ["ip", "-force", "-batch", "-"]
    : ["ip", "-n", ns, "-force", "-batch", "-"];
  const r = await runner.run(argv, {
    stdin: lines.map((l) => l.join(" ")).join("\n") + "\n",
    allowFailure: true,
  });
  if (r.code === 0) return [];
  const failed: CommandError[] = [];
  const re = /Command failed -:(\d+)\n?/g;
  let from = 0;
  for (let m = re.exec(r.stderr); m; m = re.exec(r.stderr)) {
    const action = actions[Number(m[1]) - 1];
    const text = r.stderr.slice(from, m.index);
    from = m.index + m[0].length;
    if (action) failed.push(new CommandError(action.argv, r.code, text));
  }
  if (!failed.length) failed.push(new CommandError(argv, r.code, r.stderr));
  return failed;
}
