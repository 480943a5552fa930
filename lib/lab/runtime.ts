/**
 * Bringing a lab up on a host: `upLab` (preflight, lock, journal, apply, roll back on failure),
 * its plan for the host (`planForHost`, also what dry-run and export show), and the whole saved
 * state of the labs (`readLabState`, `listLabs`). Removal is lib/lab/teardown.ts. Both work on a
 * {@link Host} (lib/host.ts); called without one, they resolve it from the environment.
 *
 * @module
 */
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { type Host, requireRoot, resolveHost } from "../host.ts";
import { InterruptedError, StepError } from "../plan/executor.ts";
import { Journal } from "../plan/journal.ts";
import { shownArgv, type Step } from "../plan/step.ts";
import {
  chooseOvs,
  datapathType,
  privateOvsSteps,
  privateOvsStopped,
  runningPrivateOvs,
  schemaPath,
  startPrivateOvs,
} from "../ovs/instance.ts";
import { addressOvs, type OvsTarget } from "../ovs/target.ts";
import { captureDir, labDir, listLabNames, pruneStateRoot, writeAtomic } from "../state.ts";
import { planLab, usesOvs } from "./plan.ts";
import { readUplink } from "./host_uplink.ts";
import { programsOf, requireNoConflicts, requireTools } from "./preflight.ts";
import { type Lab, LabSchema } from "./schema.ts";
import { ownNames } from "./own_names.ts";
import {
  checkLabStateHeader,
  DamagedStateError,
  labExecutor,
  type LabState,
  readRawLabState,
  withLock,
} from "./lab_state.ts";
import { stopUnusedPrivateOvs } from "./teardown.ts";
import { requireNoSandboxConflicts, sandboxOf, sandboxOvsTarget, sandboxPlan } from "./sandbox.ts";
import { hostContextForLab } from "./impair_host.ts";
import { requireDummy } from "./dummy_probe.ts";

/** A lab's plan for a host, and where the lab lives there. */
interface HostPlan {
  /**
   * The steps, in order. When the lab needs netkit's private OVS and it does not run yet, the
   * first {@link HostPlan.sharedSteps} steps start it (lib/ovs/daemons.ts).
   */
  steps: Step[];
  /**
   * How many of the first steps start the private OVS: shared by every lab on the host, they are
   * journaled in its own run directory, not in the lab's, and stopped with its last user.
   */
  sharedSteps: number;
  /** The OVS its bridges live in, if any. */
  ovs?: OvsTarget;
  /** A sandboxed lab's parent namespace (lib/lab/sandbox.ts). */
  sandbox?: string;
}

/** Options for {@link upLab}. */
export interface UpOptions {
  /** Where and how to work. @default resolveHost() */
  host?: Host;
  /** Test hook: make step k fail (see the executor). */
  failAt?: number;
  /** Progress callback. */
  onProgress?: (index: number, total: number, step: Step) => void;
  /**
   * Interrupts the bring-up (`up`'s Ctrl-C): the executor stops at its next boundary and rolls
   * back, and `upLab` throws `InterruptedError` (lib/plan/executor.ts) with nothing of the lab
   * left. Once every step has run, the lab stays up.
   */
  signal?: AbortSignal;
}

/** What {@link upLab} did. */
export interface UpResult {
  /** The lab. */
  lab: Lab;
  /** Its plan (see {@link HostPlan}). */
  steps: Step[];
  /** True when the lab was already up: nothing was changed. */
  already: boolean;
  /** The OVS its bridges live in, if any. */
  ovs?: OvsTarget;
  /** What netkit now remembers of the lab on the host (its `lab.json`). */
  state: LabState;
}

/**
 * The saved state of lab `name` on `host`, or undefined when it is not up. `name` must be a lab
 * name (never a path); the state must be for that lab, its header what netkit writes
 * (lib/lab/lab_state.ts) and its lab pass the lab schema, else {@link DamagedStateError}.
 */
export async function readLabState(host: Host, name: string): Promise<LabState | undefined> {
  const read = await readRawLabState(host, name);
  if (read === undefined) return undefined;
  const header = checkLabStateHeader(read.raw, name, read.path);
  const parsed = LabSchema.safeParse((read.raw as { lab: unknown }).lab);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DamagedStateError(name, read.path, `lab.${issue?.path.join(".")}: ${issue?.message}`);
  }
  return { lab: ownNames(parsed.data), ...header };
}

/**
 * Every lab with state on this host (a damaged state is left out; see {@link readLabState}).
 *
 * @example
 * ```ts
 * import { listLabs } from "../../mod.ts";
 * for (const state of await listLabs()) console.log(state.lab.name, state.status);
 * ```
 */
export async function listLabs(options: { host?: Host } = {}): Promise<LabState[]> {
  const host = options.host ?? resolveHost();
  const states: LabState[] = [];
  for (const name of await listLabNames(host.stateRoot)) {
    const s = await readLabState(host, name).catch((error) => {
      if (error instanceof DamagedStateError) return undefined;
      throw error;
    });
    if (s) states.push(s);
  }
  return states;
}

/**
 * The plan for a lab and the OVS it would use, without changing anything (for dry-run).
 */
export function planForHost(host: Host, lab: Lab): Promise<HostPlan> {
  return planFor(host, lab, labDir(host.stateRoot, lab.name));
}

/**
 * The plan for a lab whose daemon files live in `stateDir`, and the OVS it would use. A
 * sandboxed lab (lib/lab/sandbox.ts) gets its sandboxed plan and its own OVS.
 */
export async function planFor(
  host: Host,
  lab: Lab,
  stateDir: string,
): Promise<HostPlan> {
  const ns = sandboxOf(lab);
  const nics = Object.values(lab.bridges).flatMap((b) => b.uplink ?? []);
  const rootless = host.rootless;
  const extra = {
    ...await hostContextForLab(lab, host),
    captureDir: captureDir(host.stateRoot, lab.name),
  };
  if (ns === undefined) {
    const ovs = usesOvs(lab) ? await chooseOvs(host) : undefined;
    const uplinks = Object.fromEntries(
      await Promise.all(
        nics.map(async (nic) => [nic, await readUplink(nic, host.runner)] as const),
      ),
    );
    const steps = planLab(lab, {
      stateDir,
      datapathType: await datapathType(),
      uplinks,
      rootless,
      ...extra,
      ...(ovs ? { ovsRunDir: ovs.runDir } : {}),
    });
    const shared = ovs?.kind === "private" && await privateOvsStopped(host)
      ? await privateOvsSteps(host)
      : [];
    return {
      steps: [...shared, ...steps],
      sharedSteps: shared.length,
      ...(ovs ? { ovs } : {}),
    };
  }
  if (nics.length) {
    throw new UsageError("A sandboxed lab cannot use the host's real uplink", {
      hint: "leave out --uplink (the upstream is then simulated), or --sandbox",
    });
  }
  // The lab's own userspace switch, inside its parent namespace.
  const ovs = usesOvs(lab) ? sandboxOvsTarget(stateDir) : undefined;
  const steps = sandboxPlan(
    planLab(lab, {
      stateDir,
      datapathType: "netdev",
      rootless,
      ...extra,
      ...(ovs ? { ovsRunDir: ovs.runDir } : {}),
    }),
    {
      ns,
      ovs: ovs ? { dir: ovs.runDir, schema: await schemaPath() } : undefined,
    },
  );
  return { steps, sharedSteps: 0, sandbox: ns, ...(ovs ? { ovs } : {}) };
}

/** The plan as the exact commands, one argv per action (`ovs-vsctl` with its `--db`). */
export function planCommands(steps: readonly Step[], ovs?: OvsTarget): string[][] {
  return steps.flatMap((s) => s.do.map((a) => addressOvs(shownArgv(a), ovs)));
}

/**
 * Brings a validated lab up: preflight (root, tools, the dummy driver when the lab has dummy
 * interfaces, conflicts), then every step, journaled.
 * On failure the finished steps are undone and the error re-thrown. Running it on a lab that is
 * already up changes nothing and returns `already: true`.
 *
 * @example
 * ```ts
 * import { downLab, getRecipe, upLab, validateLab } from "../../mod.ts";
 * const lab = validateLab(getRecipe("ovs-veth").build({ prefix: "demo-" }));
 * const { steps } = await upLab(lab);
 * console.log(`${steps.length} steps`);
 * await downLab(lab.name);
 * ```
 */
export async function upLab(lab: Lab, options: UpOptions = {}): Promise<UpResult> {
  const host = options.host ?? resolveHost();
  const runner = host.runner;
  if (lab.hosts !== undefined) {
    // Its host roles need machines: the multi-host controller (lib/multihost/) splits it first.
    throw new UsageError(
      `Lab "${lab.name}" places its nodes on hosts ${Object.keys(lab.hosts).join(", ")}`,
      { hint: "bring it up over its machines: netkit up FILE --hosts INVENTORY" },
    );
  }
  requireRoot(`Bringing up lab "${lab.name}"`);
  const { steps, sharedSteps, ovs, sandbox } = await planForHost(host, lab);
  const programs = programsOf(steps);
  if (ovs?.kind === "private") {
    // Its start may not be in this plan (it ran when we looked), but its stop will be needed.
    for (const p of programsOf(await privateOvsSteps(host))) programs.add(p);
  }
  requireTools(host, programs);
  await requireDummy(lab, runner);
  return await withLock(host, lab.name, async () => {
    const dir = labDir(host.stateRoot, lab.name);
    const existing = await readLabState(host, lab.name);
    if (existing) {
      if (existing.status === "up" && JSON.stringify(existing.lab) === JSON.stringify(lab)) {
        const ovs = existing.ovs ? { ovs: existing.ovs } : {};
        return { lab, steps, already: true, ...ovs, state: existing };
      }
      throw new UsageError(
        existing.status === "up"
          ? `A different lab named "${lab.name}" is already up`
          : `Lab "${lab.name}" was left half-built by an interrupted bring-up`,
        { hint: `run: netkit down ${lab.name}` },
      );
    }
    try {
      if (sandbox !== undefined) await requireNoSandboxConflicts(lab, sandbox);
      else {
        const askOvs = ovs?.kind === "system" ? ovs : await runningPrivateOvs(host);
        await requireNoConflicts(lab, askOvs, runner);
      }
    } catch (error) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await pruneStateRoot(host.stateRoot);
      throw error;
    }
    // The state goes to disk before anything starts, private OVS included, so that a crash at
    // any point leaves enough behind for `down` to remove everything.
    const state: LabState = {
      lab,
      status: "starting",
      ...(ovs ? { ovs } : {}),
      ...(sandbox !== undefined ? { sandbox } : {}),
      createdAt: new Date().toISOString(),
    };
    await writeAtomic(join(dir, "lab.json"), JSON.stringify(state, null, 2), 0o600);
    // The plan's first `sharedSteps` steps start the private OVS, journaled in its own run
    // directory; the rest is the lab's. Step indices (progress, failAt, errors) are the plan's.
    const { failAt, onProgress } = options;
    const progress = (offset: number) =>
      onProgress &&
      ((i: number, _n: number, step: Step) => onProgress(i + offset, steps.length, step));
    let target: OvsTarget | undefined;
    try {
      target = ovs?.kind === "private"
        ? await startPrivateOvs(host, {
          user: dir,
          failAt: failAt !== undefined && failAt < sharedSteps ? failAt : undefined,
          onProgress: progress(0),
        })
        : ovs;
      const executor = labExecutor(host, { ovs: target, sandbox }, {
        journal: new Journal(join(dir, "journal.jsonl")),
        failAt: failAt !== undefined && failAt >= sharedSteps ? failAt - sharedSteps : undefined,
        onProgress: progress(sharedSteps),
        signal: options.signal,
      });
      try {
        await executor.apply(steps.slice(sharedSteps));
      } catch (error) {
        if (!(error instanceof StepError) || sharedSteps === 0) throw error;
        throw new StepError(error.step, error.index + sharedSteps, error.cause, error.undoErrors);
      }
    } catch (error) {
      // A rollback whose undo failed left its steps in the journal: keep it for `down`.
      const undoFailed = (error instanceof StepError || error instanceof InterruptedError) &&
        error.undoErrors.length > 0;
      if (!undoFailed) await Deno.remove(dir, { recursive: true }).catch(() => {});
      await stopUnusedPrivateOvs(host);
      await pruneStateRoot(host.stateRoot);
      throw error;
    }
    const up: LabState = { ...state, status: "up" };
    await writeAtomic(join(dir, "lab.json"), JSON.stringify(up, null, 2), 0o600);
    return { lab, steps, already: false, ...(target ? { ovs: target } : {}), state: up };
  });
}
