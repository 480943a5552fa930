/**
 * What a finished command returned, as every runner reports it: the real one (lib/exec/runner.ts),
 * what it carries out in this process (lib/exec/in_process.ts), and the remote one. It imports
 * nothing, so the runner and what it calls can both use it.
 *
 * @module
 */

/** What one finished command returned. */
export interface RunResult {
  /** The process's exit code. */
  code: number;
  /** Standard output, decoded as UTF-8. */
  stdout: string;
  /** Standard error, decoded as UTF-8. */
  stderr: string;
}
