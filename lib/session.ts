/**
 * Ad-hoc labs for scripts: apply steps one call at a time, journaled like any lab, and remove
 * everything with `down()` (or automatically with `await using`).
 *
 * @module
 */
import { join } from "node:path";
import { type Host, requireRoot, resolveHost } from "./host.ts";
import { Executor } from "./plan/executor.ts";
import { Journal } from "./plan/journal.ts";
import { isRun, type Step } from "./plan/step.ts";
import { chooseOvs, startPrivateOvs } from "./ovs/instance.ts";
import type { OvsTarget } from "./ovs/target.ts";
import { readLabState } from "./lab/runtime.ts";
import type { LabState } from "./lab/lab_state.ts";
import { downLab, type DownResult } from "./lab/teardown.ts";
import { validateLab } from "./lab/validate.ts";
import { labDir, makeLabDir, writeAtomic } from "./state.ts";
import { journalScope, type OwnedNames, ownedNamesOf, recordOwned } from "./lab/journal_check.ts";
import { UsageError } from "./errors.ts";
import { checkLabName } from "./names.ts";

/** Options for {@link openLab}. */
export interface OpenLabOptions {
  /** Where and how to work (its runner runs the commands). @default resolveHost() */
  host?: Host;
}

/** A lab built step by step from a script. See {@link openLab}. */
export class LabSession implements AsyncDisposable {
  #ovs: OvsTarget | undefined;
  #owns: OwnedNames;
  #closed = false;

  /**
   * Use {@link openLab}.
   *
   * @param name The lab's name.
   * @param host Where and how to work.
   * @param state What the lab's state file says, when it exists.
   */
  constructor(readonly name: string, readonly host: Host, state?: LabState) {
    this.#ovs = state?.ovs;
    this.#owns = state?.owns ?? {};
  }

  /** The lab's state directory (for DHCP steps' `stateDir`). */
  get stateDir(): string {
    return labDir(this.host.stateRoot, this.name);
  }

  /**
   * Applies steps now, in order, journaled. If one fails, the steps of this call that ran are
   * undone and the error is thrown; steps of earlier calls stay.
   *
   * Before they run, the names their undo acts on (namespaces, interfaces, OVS bridges and
   * ports, marks) are recorded in the lab's state as the lab's own: `down` runs a journal line
   * only when it acts on those (lib/lab/journal_check.ts). A step whose undo is not one netkit's
   * steps write is refused with {@link UsageError} before anything runs.
   */
  async add(...steps: Step[]): Promise<void> {
    await this.#own(steps);
    const needsOvs = steps.some((s) => s.do.some((a) => isRun(a) && a.argv[0] === "ovs-vsctl"));
    if (needsOvs && !this.#ovs) {
      const target = await chooseOvs(this.host);
      this.#ovs = target.kind === "private"
        ? await startPrivateOvs(this.host, { user: this.stateDir })
        : target;
      await this.save();
    }
    const executor = new Executor({
      runner: this.host.runner,
      journal: new Journal(join(this.stateDir, "journal.jsonl")),
      ovs: this.#ovs,
    });
    await executor.apply(steps);
  }

  /** Records what `steps` will create as the lab's own (see {@link LabSession.add}). */
  async #own(steps: readonly Step[]): Promise<void> {
    const scope = journalScope(this.name, this.stateDir, this.#owns);
    for (const step of steps) {
      const problem = recordOwned(step.undo, scope);
      if (problem !== undefined) {
        throw new UsageError(`Step "${step.key}" cannot be journaled: ${problem}`, {
          hint: "down runs only the undo actions that netkit's own steps write",
        });
      }
    }
    const owns = ownedNamesOf(scope);
    if (JSON.stringify(owns) === JSON.stringify(this.#owns)) return;
    this.#owns = owns;
    await this.save();
  }

  /** Removes everything this lab created (its journal, undone in reverse). */
  async down(): Promise<DownResult> {
    this.#closed = true;
    return await downLab(this.name, { host: this.host });
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
      ...(Object.keys(this.#owns).length ? { owns: this.#owns } : {}),
    };
    await writeAtomic(join(this.stateDir, "lab.json"), JSON.stringify(state, null, 2), 0o600);
  }
}

/**
 * Opens (or re-opens) an ad-hoc lab called `name` for a script. Every step added is journaled
 * under netkit's state directory, so `netkit down NAME` removes it too, even after the script
 * crashed.
 *
 * @example Two namespaces joined by a veth pair
 * ```ts
 * import { addAddress, createNs, linkUp, openLab, vethPair } from "../mod.ts";
 * await using lab = await openLab("demo");
 * await lab.add(createNs("a"), createNs("b"));
 * await lab.add(vethPair("eth0", "eth0", { ns: "a", peerNs: "b" }));
 * await lab.add(addAddress("eth0", "10.9.0.1/24", { ns: "a" }), linkUp("eth0", { ns: "a" }));
 * ```
 */
export async function openLab(name: string, options: OpenLabOptions = {}): Promise<LabSession> {
  checkLabName(name);
  requireRoot(`Opening lab "${name}"`);
  const host = options.host ?? resolveHost();
  await makeLabDir(host.stateRoot, name);
  const existing = await readLabState(host, name);
  const session = new LabSession(name, host, existing);
  if (!existing) await session.save();
  return session;
}
