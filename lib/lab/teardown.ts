/**
 * Removing a lab: `downLab` undoes its journal in reverse, removes its state, and stops
 * netkit's private OVS when no other lab needs it. It reads only the part of the lab's state it
 * acts on (lib/lab/lab_state.ts), so it loads neither the lab schema nor the planner: removal
 * stays quick, and works on a lab whose recorded lab the schema no longer accepts.
 *
 * The journal is not obeyed blindly: its state directory and files must be root's alone
 * (lib/state.ts), and each line must be an undo netkit writes, acting on the lab's own objects
 * (lib/lab/journal_check.ts). A line that is not is reported ({@link DownResult.skipped}) and
 * never run.
 *
 * @module
 */
import { join } from "node:path";
import { type Host, requireRoot, resolveHost } from "../host.ts";
import { Journal, type JournalEntry } from "../plan/journal.ts";
import { releasePrivateOvs, stopPrivateOvsIfSoleUser } from "../ovs/instance.ts";
import { captureDir, checkStateFile, labDir, pruneStateRoot } from "../state.ts";
import {
  checkLabStateHeader,
  DamagedStateError,
  labExecutor,
  type LabStateHeader,
  readRawLabState,
  withLock,
} from "./lab_state.ts";
import { checkJournal, labJournalScope, type SkippedLine } from "./journal_check.ts";

/**
 * The lab's own objects, from its `lab.json` (see lib/lab/journal_check.ts); `captures` is its
 * capture directory.
 */
function scopeOf(
  name: string,
  dir: string,
  captures: string,
  read: { raw: unknown; path: string },
  state: LabStateHeader,
) {
  try {
    return labJournalScope(name, dir, (read.raw as { lab: unknown }).lab, {
      sandbox: state.sandbox,
      ovsRunDir: state.ovs?.runDir,
      owns: state.owns,
      captures,
    });
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new DamagedStateError(name, read.path, error.message);
  }
}

/** Stops the private OVS when no lab on the host uses it any more. */
export async function stopUnusedPrivateOvs(host: Host): Promise<boolean> {
  return await releasePrivateOvs(host);
}

/** The journal entries without their OVS undo actions (`ovs-vsctl`, `ovs-ofctl`, marked removals). */
function withoutOvsUndo(entries: JournalEntry[]): JournalEntry[] {
  return entries.map((e) => ({
    ...e,
    undo: e.undo.filter((a) =>
      !("ovsRemove" in a) &&
      !("argv" in a && (a.argv[0] === "ovs-vsctl" || a.argv[0] === "ovs-ofctl"))
    ),
  }));
}

/** What {@link downLab} did. */
export interface DownResult {
  /** False when the lab was not up (nothing to do). */
  removed: boolean;
  /** How many journaled steps were undone. */
  undone: number;
  /** Whether the private OVS was stopped because no lab needs it any more. */
  stoppedOvs: boolean;
  /**
   * Journal lines that were not run: not an undo netkit writes, or acting on something that is
   * not the lab's own (lib/lab/journal_check.ts).
   */
  skipped: SkippedLine[];
}

/**
 * Removes a lab: undoes its journal in reverse (so it also works after a crash), removes its
 * state, and stops the private OVS when no other lab needs it. A lab that is not up is a
 * success with `removed: false`. Removes only what the journal holds, and of that only what
 * passes the check of lib/lab/journal_check.ts; the other lines are in `skipped`.
 *
 * @example
 * ```ts
 * import { downLab } from "../../mod.ts";
 * const { removed, undone } = await downLab("ovs-veth");
 * ```
 */
export async function downLab(name: string, options: { host?: Host } = {}): Promise<DownResult> {
  const host = options.host ?? resolveHost();
  requireRoot(`Removing lab "${name}"`);
  const result = await withLock(host, name, async () => {
    const dir = labDir(host.stateRoot, name);
    const journal = new Journal(join(dir, "journal.jsonl"));
    await checkStateFile(join(dir, "lab.json"));
    await checkStateFile(journal.path);
    const read = await readRawLabState(host, name);
    const state = read && checkLabStateHeader(read.raw, name, read.path);
    const records = await journal.readRecords();
    if (!read || !state) {
      if (records.length) {
        throw new DamagedStateError(name, join(dir, "lab.json"), "it is missing");
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      return { removed: false, undone: 0, skipped: [] };
    }
    const { entries, skipped } = checkJournal(
      records,
      scopeOf(name, dir, captureDir(host.stateRoot, name), read, state),
    );
    const executor = labExecutor(host, state);
    // The last lab on netkit's private OVS: stop the switch first and skip the ovs-vsctl undos.
    // Stopping removes its database, bridges and internal ports at once, where deleting hundreds
    // of userspace ports one by one takes seconds.
    const ovsGone = state.ovs?.kind === "private" &&
      await stopPrivateOvsIfSoleUser(host, dir);
    const errors = await executor.undo(ovsGone ? withoutOvsUndo(entries) : entries);
    if (errors.length) {
      throw new Error(
        `Could not fully remove lab "${name}" (its journal is kept; run down again):\n` +
          errors.map((e) => `  ${e.message}`).join("\n"),
      );
    }
    await Deno.remove(dir, { recursive: true });
    return { removed: true, undone: entries.length, skipped };
  });
  const stoppedOvs = await stopUnusedPrivateOvs(host);
  await pruneStateRoot(host.stateRoot);
  return { ...result, stoppedOvs };
}
