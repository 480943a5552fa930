/**
 * Ad-hoc labs for scripts: apply steps one call at a time, journaled like any lab, and remove
 * everything with `down()` (or automatically with `await using`).
 *
 * A script's lab is a lab like one from a file:
 *
 * - every step is finished with the lab's own values before it runs (lib/plan/finish.ts): its
 *   owner marks carry the lab's name, an OVS bridge gets the datapath this host supports, and a
 *   DHCP server on a host whose bridges use the userspace datapath gets the checksum rule its
 *   clients need (`dhcpChecksumFill`, lib/primitives/dhcp.ts);
 * - `lab.json` records what the session built (lib/lab/record.ts), so `netkit status`, `graph`,
 *   `check`, `export` and `down` work on it;
 * - held with `await using`, it is removed when the script ends, also by SIGINT or SIGTERM (the
 *   script then exits 130 or 143); a lab that is not held stays up, and the script says how to
 *   remove it.
 *
 * @module
 */
import { join } from "node:path";
import { type Host, requireRoot, resolveHost } from "./host.ts";
import { Executor } from "./plan/executor.ts";
import { Journal } from "./plan/journal.ts";
import { inNs, isRun, type Step } from "./plan/step.ts";
import { finishSteps } from "./plan/finish.ts";
import { chooseOvs, datapathType, startPrivateOvs } from "./ovs/instance.ts";
import type { OvsTarget } from "./ovs/target.ts";
import { readLabState } from "./lab/runtime.ts";
import { type LabState, withLock } from "./lab/lab_state.ts";
import { downLab, type DownResult } from "./lab/teardown.ts";
import { validateLab } from "./lab/validate.ts";
import { LabSchema } from "./lab/schema.ts";
import { ownNames } from "./lab/own_names.ts";
import { LabRecord } from "./lab/record.ts";
import type { ExpectInput, Lab } from "./lab/types.ts";
import { labDir, makeLabDir, writeAtomic } from "./state.ts";
import { journalScope, type OwnedNames, ownedNamesOf, recordOwned } from "./lab/journal_check.ts";
import { UsageError } from "./errors.ts";
import { checkLabName, checkNsName } from "./names.ts";
import { familyOf } from "./addr.ts";
import { type PingMatrix, pingMatrix, pingOnce, type PingResult } from "./session_ping.ts";
import { watchSignals } from "./session_signals.ts";

export type { PingMatrix, PingResult } from "./session_ping.ts";

/** Options for {@link openLab}. */
export interface OpenLabOptions {
  /** Where and how to work (its runner runs the commands). @default resolveHost() */
  host?: Host;
  /**
   * The datapath of the lab's OVS bridges when a step does not say.
   * @default `system` when the openvswitch kernel module is loaded, else `netdev`
   */
  datapathType?: "system" | "netdev";
}

/** What {@link LabSession.exec} returns. */
export interface ExecResult {
  /** The exit code. */
  code: number;
  /** Standard output, decoded as UTF-8. */
  stdout: string;
  /** Standard error, decoded as UTF-8. */
  stderr: string;
}

/** A lab built step by step from a script. See {@link openLab}. */
export class LabSession implements AsyncDisposable {
  #ovs: OvsTarget | undefined;
  #owns: OwnedNames;
  #closed = false;
  #held = false;
  #busy: Promise<unknown> = Promise.resolve();
  readonly #record: LabRecord;
  readonly #keys = new Set<string>();
  readonly #datapath: "system" | "netdev";
  readonly #createdAt: string;
  #unwatch: () => void = () => {};

  /**
   * Use {@link openLab}.
   *
   * @param name The lab's name.
   * @param host Where and how to work.
   * @param state What the lab's state file says, when it exists.
   * @param datapath The datapath of OVS bridges whose step does not say.
   */
  constructor(
    readonly name: string,
    readonly host: Host,
    state?: LabState,
    datapath: "system" | "netdev" = "netdev",
  ) {
    this.#ovs = state?.ovs;
    this.#record = state ? LabRecord.from(state.lab) : new LabRecord();
    this.#datapath = datapath;
    this.#createdAt = state?.createdAt ?? new Date().toISOString();
    this.#owns = state?.owns ?? {};
  }

  /** The lab's state directory (for DHCP steps' `stateDir`). */
  get stateDir(): string {
    return labDir(this.host.stateRoot, this.name);
  }

  /** Whether the script holds the lab with `await using` (then it is removed on exit). */
  get held(): boolean {
    return this.#held;
  }

  /** The lab as recorded so far: what `lab.json` holds for `netkit status`, `graph`, `check`. */
  get lab(): Lab {
    return describe(this.#record, this.name);
  }

  /**
   * Applies steps now, in order, journaled. Each is first finished with the lab's own values
   * (see the module doc). If one fails, the steps of this call that ran are undone and the
   * error is thrown; steps of earlier calls stay.
   */
  add(...steps: Step[]): Promise<void> {
    const run = this.#busy.then(() => this.#add(steps));
    this.#busy = run.catch(() => {});
    return run;
  }

  async #add(input: Step[]): Promise<void> {
    if (this.#closed) throw new Error(`Lab "${this.name}" is already removed`);
    const steps = this.#finish(input);
    await withLock(this.host, this.name, async () => {
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
      let changed = false;
      for (const step of steps) {
        this.#keys.add(step.key);
        changed = this.#record.note(step) || changed;
      }
      if (changed) await this.save();
    });
  }

  /**
   * Records what `steps` will create as the lab's own, before they run: `down` runs a journal
   * line only when it acts on those (lib/lab/journal_check.ts). A step whose undo is not one
   * netkit's steps write is refused with {@link UsageError} before anything runs.
   */
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

  /** The steps to run for `steps`: finished with the lab's values (lib/plan/finish.ts). */
  #finish(steps: Step[]): Step[] {
    return finishSteps(steps, { lab: this.name, datapathType: this.#datapath }, this.#keys);
  }

  /** Records proofs for `netkit check` (and {@link LabSession.lab}): the lab file's `expect`. */
  async expect(...proofs: ExpectInput[]): Promise<void> {
    this.#record.expect.push(...proofs);
    await this.save();
  }

  /**
   * Runs `argv` inside namespace `node` (`ip netns exec NODE ARGV...`) and returns what it
   * printed and its exit code; a non-zero exit is returned, not thrown.
   *
   * @example
   * ```ts
   * import { createNs, openLab } from "../mod.ts";
   * await using lab = await openLab("demo");
   * await lab.add(createNs("a"));
   * const { code, stdout } = await lab.exec("a", ["ip", "-br", "addr"]);
   * ```
   */
  async exec(node: string, argv: readonly string[]): Promise<ExecResult> {
    checkNsName(node);
    return await this.host.runner.run(inNs(node, [...argv]), { allowFailure: true });
  }

  /**
   * One ping from node `from` to `to`: an address, or a node's name (its first IPv4 address as
   * the kernel has it now, else its first global IPv6 one, so a DHCP lease counts). It is the
   * ping `netkit check` and `netkit pingall` run (lib/session_ping.ts).
   */
  async ping(from: string, to: string): Promise<PingResult> {
    checkNsName(from);
    if (familyOf(to) === undefined) checkNsName(to);
    return await pingOnce(this.host.runner, from, to);
  }

  /** Every node with an address pings every other one, in parallel (Mininet's pingAll). */
  async pingAll(): Promise<PingMatrix> {
    return await pingMatrix(this.host.runner, [...this.#record.nodes.keys()]);
  }

  /** Removes everything this lab created (its journal, undone in reverse). */
  async down(): Promise<DownResult> {
    this.#closed = true;
    this.#unwatch();
    await this.#busy;
    return await downLab(this.name, { host: this.host });
  }

  /**
   * `await using lab = await openLab(...)` removes the lab when the scope ends, or when the
   * script gets SIGINT or SIGTERM. (A getter: `await using` reads it where the lab is declared,
   * which is how the lab knows it is held.)
   */
  get [Symbol.asyncDispose](): () => Promise<void> {
    this.#held = true;
    return async () => {
      if (!this.#closed) await this.down();
    };
  }

  /** Writes the lab's state file (done by {@link openLab} and as steps are added). */
  async save(): Promise<void> {
    const state: LabState = {
      lab: describe(this.#record, this.name),
      status: "up",
      ...(this.#ovs ? { ovs: this.#ovs } : {}),
      createdAt: this.#createdAt,
      ...(Object.keys(this.#owns).length ? { owns: this.#owns } : {}),
    };
    await writeAtomic(join(this.stateDir, "lab.json"), JSON.stringify(state, null, 2), 0o600);
  }

  /** Starts removing the lab on SIGINT/SIGTERM when held (see {@link openLab}). */
  watch(): void {
    this.#unwatch = watchSignals(this);
  }
}

/**
 * The recorded lab, validated: what a lab file with the same content would give. A description
 * validation refuses (say, a script that gave two nodes the same address) is kept as the schema
 * reads it, and failing that by its nodes and bridges alone, so `status` still lists them.
 */
function describe(record: LabRecord, name: string): Lab {
  const input = record.toLab(name);
  try {
    return validateLab(input);
  } catch {
    const parsed = LabSchema.safeParse(input);
    if (parsed.success) return ownNames(parsed.data);
    return validateLab({
      name,
      nodes: Object.fromEntries([...record.nodes.keys()].map((n) => [n, {}])),
      bridges: Object.fromEntries([...record.bridges].map(([b, r]) => [b, { type: r.type }])),
    });
  }
}

/**
 * Opens (or re-opens) an ad-hoc lab called `name` for a script. Every step added is journaled
 * under netkit's state directory, so `netkit down NAME` removes it too, even after the script
 * crashed; `netkit status NAME` shows what it built.
 *
 * Hold it with `await using` and it is removed when the script's scope ends, or when the script
 * gets SIGINT (Ctrl-C) or SIGTERM: the script then exits 130 or 143. Without `await using` it
 * stays up; on such a signal the script says how to remove it (`netkit down NAME`).
 *
 * @example Two namespaces joined by a veth pair, and a ping
 * ```ts
 * import { addAddress, createNs, linkUp, openLab, vethPair } from "../mod.ts";
 * await using lab = await openLab("demo");
 * await lab.add(createNs("a"), createNs("b"));
 * await lab.add(vethPair("eth0", { peer: "eth0", ns: "a", peerNs: "b" }));
 * await lab.add(addAddress("eth0", "10.9.0.1/24", { ns: "a" }), linkUp("eth0", { ns: "a" }));
 * await lab.add(addAddress("eth0", "10.9.0.2/24", { ns: "b" }), linkUp("eth0", { ns: "b" }));
 * console.log((await lab.ping("a", "b")).reached);
 * ```
 */
export async function openLab(name: string, options: OpenLabOptions = {}): Promise<LabSession> {
  checkLabName(name);
  requireRoot(`Opening lab "${name}"`);
  const host = options.host ?? resolveHost();
  await makeLabDir(host.stateRoot, name);
  const existing = await readLabState(host, name);
  const datapath = options.datapathType ?? await datapathType();
  const session = new LabSession(name, host, existing, datapath);
  if (!existing) await session.save();
  session.watch();
  return session;
}
