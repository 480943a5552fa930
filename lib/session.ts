/**
 * Ad-hoc labs for scripts: apply steps one call at a time, journaled like any lab, and remove
 * everything with `down()` (or automatically with `await using`).
 *
 * @module
 */
import { join } from "node:path";
import { defaultRunner, type Runner } from "./exec/runner.ts";
import { Executor } from "./plan/executor.ts";
import { Journal } from "./plan/journal.ts";
import { isRun, type Step } from "./plan/step.ts";
import { chooseOvs, type OvsTarget, startPrivateOvs } from "./ovs/instance.ts";
import { downLab, type DownResult, type LabState, readLabState } from "./lab/runtime.ts";
import { validateLab } from "./lab/validate.ts";
import { labDir, writeAtomic } from "./state.ts";
import { checkLabName } from "./names.ts";
import { requireRoot } from "./lab/preflight.ts";

/** Options for {@link openLab}. */
export interface OpenLabOptions {
  /** Runs the commands. @default the real process runner */
  runner?: Runner;
}

/** A lab built step by step from a script. See {@link openLab}. */
export class LabSession implements AsyncDisposable {
  #ovs: OvsTarget | undefined;
  #closed = false;

  constructor(readonly name: string, private readonly runner: Runner, state?: LabState) {
    this.#ovs = state?.ovs;
  }

  /** The lab's state directory (for DHCP steps' `stateDir`). */
  get stateDir(): string {
    return labDir(this.name);
  }

  /**
   * Applies steps now, in order, journaled. If one fails, the steps of this call that ran are
   * undone and the error is thrown; steps of earlier calls stay.
   */
  async add(...steps: Step[]): Promise<void> {
    const needsOvs = steps.some((s) => s.do.some((a) => isRun(a) && a.argv[0] === "ovs-vsctl"));
    if (needsOvs && !this.#ovs) {
      const target = await chooseOvs(this.runner);
      this.#ovs = target.kind === "private"
        ? await startPrivateOvs(this.runner, this.stateDir)
        : target;
      await this.save();
    }
    const executor = new Executor({
      runner: this.runner,
      journal: new Journal(join(this.stateDir, "journal.jsonl")),
      ...(this.#ovs?.kind === "private" ? { ovsDb: this.#ovs.db } : {}),
    });
    await executor.apply(steps);
  }

  /** Removes everything this lab created (its journal, undone in reverse). */
  async down(): Promise<DownResult> {
    this.#closed = true;
    return await downLab(this.name, { runner: this.runner });
  }

  /** `await using lab = await openLab(...)` removes the lab when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#closed) await this.down();
  }

  /** Writes the lab's state file (done by {@link openLab} and when OVS is first used). */
  async save(): Promise<void> {
    const state: LabState = {
      lab: validateLab({ name: this.name }),
      status: "up",
      ...(this.#ovs ? { ovs: this.#ovs } : {}),
      createdAt: new Date().toISOString(),
    };
    await writeAtomic(join(this.stateDir, "lab.json"), JSON.stringify(state, null, 2));
  }
}

/**
 * Opens (or re-opens) an ad-hoc lab called `name` for a script. Every step added is journaled
 * under netkit's state directory, so `netkit down NAME` removes it too, even after the script
 * crashed.
 *
 * @example Two namespaces joined by a veth pair
 * ```ts
 * import { addAddress, createNs, linkUp, openLab, vethPair } from "./mod.ts";
 * await using lab = await openLab("demo");
 * await lab.add(createNs("a"), createNs("b"));
 * await lab.add(vethPair("eth0", "eth0", { ns: "a", peerNs: "b" }));
 * await lab.add(addAddress("eth0", "10.9.0.1/24", { ns: "a" }), linkUp("eth0", { ns: "a" }));
 * ```
 */
export async function openLab(name: string, options: OpenLabOptions = {}): Promise<LabSession> {
  checkLabName(name);
  requireRoot(`Opening lab "${name}"`);
  await Deno.mkdir(labDir(name), { recursive: true });
  const existing = await readLabState(name);
  const session = new LabSession(name, options.runner ?? defaultRunner, existing);
  if (!existing) await session.save();
  return session;
}
