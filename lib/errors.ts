/**
 * Error types that the CLI maps to exit codes.
 *
 * - {@link UsageError}: bad input (lab file, name, address, option, missing tool, not root).
 *   Raised before anything changes on the host. Exit code 2.
 * - `CommandError` (lib/exec/runner.ts): a command failed while changing the host. Exit code 1.
 * - {@link CheckFailedError}: a lab came up but one of its proofs failed. Exit code 1.
 *
 * @module
 */

/** Bad input: nothing was changed on the host. The CLI exits with code 2. */
export class UsageError extends Error {
  /** Where the problem is (a file:line:column, an option, a name), when known. */
  readonly where: string | undefined;
  /** How to fix it, when there is something to say. */
  readonly hint: string | undefined;
  /**
   * Makes the error.
   *
   * @param message What is wrong, in one sentence.
   * @param options Where it is, and how to fix it.
   */
  constructor(message: string, options: { where?: string; hint?: string } = {}) {
    super(message);
    this.name = "UsageError";
    this.where = options.where;
    this.hint = options.hint;
  }
}

/** A lab's proofs did not all pass. The CLI exits with code 1. */
export class CheckFailedError extends Error {
  /**
   * Makes the error.
   *
   * @param message How many proofs failed.
   */
  constructor(message: string) {
    super(message);
    this.name = "CheckFailedError";
  }
}

/** The command ran elsewhere (rootless mode: inside the user's namespaces) and exited `code`. */
export class ExitCode extends Error {
  readonly code: number;
  /**
   * Carries the exit code of a command run elsewhere.
   *
   * @param code The exit code.
   */
  constructor(code: number) {
    super(`exit ${code}`);
    this.name = "ExitCode";
    this.code = code;
  }
}
