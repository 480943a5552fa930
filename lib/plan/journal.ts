/**
 * The write-ahead journal: one JSON line per step, appended (with one `write` of the whole line,
 * then `fdatasync`) before the step runs, so that `down` can undo a bring-up that was killed
 * half-way. A torn last line (a crash during the append itself) is ignored on reading: its step
 * had not started.
 *
 * Append-only lines instead of a rewritten JSON document keep the cost of a step constant, which
 * matters for labs with hundreds of steps.
 *
 * @module
 */
import type { Action } from "./step.ts";

/** What the journal remembers of one step. */
export interface JournalEntry {
  /** The step's resource key. */
  key: string;
  /** The actions that undo it. */
  undo: Action[];
  /** The pid file of the daemon it started, if any. */
  pidFile?: string;
}

/** One complete line of a journal as read, before anything trusts it (lib/lab/journal_check.ts). */
export interface JournalRecord {
  /** Its 1-based line number. */
  line: number;
  /** The parsed JSON: what netkit wrote there, unless someone else wrote to the file. */
  value: unknown;
}

/** An append-only journal file (created with mode 0600: only root reads or writes it). */
export class Journal {
  /**
   * Opens the journal at `path` (created by the first append).
   *
   * @param path The journal file.
   */
  constructor(readonly path: string) {}

  /** Appends entries (durably) before their steps run. */
  async append(entries: JournalEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const text = entries.map((e) => JSON.stringify(e) + "\n").join("");
    const file = await Deno.open(this.path, { append: true, create: true, mode: 0o600 });
    try {
      const data = new TextEncoder().encode(text);
      let written = 0;
      while (written < data.length) written += await file.write(data.subarray(written));
      await file.syncData();
    } finally {
      file.close();
    }
  }

  /**
   * Reads every complete entry, oldest first, as netkit wrote it (the executor's own rollback
   * and the private OVS read their journals so). A missing file reads as empty. `down` reads
   * with {@link readRecords} and checks each line first.
   */
  async read(): Promise<JournalEntry[]> {
    return (await this.readRecords()).map((r) => r.value as JournalEntry);
  }

  /**
   * Reads every complete line, oldest first, with its line number, unchecked. A missing file
   * reads as empty; a torn last line (a crash during its append) is left out.
   */
  async readRecords(): Promise<JournalRecord[]> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
    const records: JournalRecord[] = [];
    text.split("\n").forEach((line, i) => {
      if (!line.endsWith("}")) return; // empty, or torn by a crash mid-append
      try {
        records.push({ line: i + 1, value: JSON.parse(line) });
      } catch {
        // a torn line: its step never started
      }
    });
    return records;
  }

  /** The journal's length in bytes (0 when it does not exist): a mark for {@link truncate}. */
  async size(): Promise<number> {
    try {
      return (await Deno.stat(this.path)).size;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return 0;
      throw error;
    }
  }

  /**
   * Cuts the journal back to `size` bytes (a mark from {@link size}): forgets the entries appended
   * since, once their steps have been rolled back.
   */
  async truncate(size: number): Promise<void> {
    if (size === 0) return await this.remove();
    await Deno.truncate(this.path, size);
  }

  /** Removes the journal file. */
  async remove(): Promise<void> {
    await Deno.remove(this.path).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
}
