/**
 * What a finished command returned, as every runner reports it: the real one (lib/exec/runner.ts),
 * what it carries out in this process (lib/exec/in_process.ts), and the remote one. It imports
 * nothing, so the runner and what it calls can both use it.
 *
 * @module
 */

/** What one finished command returned. */
export interface RunResult {
  /** The process's exit code (128 + the signal's number when a signal ended it). */
  code: number;
  /** Standard output, decoded as UTF-8. */
  stdout: string;
  /** Standard error, decoded as UTF-8. */
  stderr: string;
  /**
   * The signal that ended it, when one did. Only this says so: an exit code above 128 may be
   * the program's own (`ip` exits 255, its `exit(-1)`, on an ordinary error). @default undefined
   */
  signal?: Deno.Signal | undefined;
}
