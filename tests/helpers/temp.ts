/**
 * Temporary directories for one test, removed afterwards whatever happens.
 *
 * A failing removal never hides the test's own failure: when the body threw, its error is the one
 * that propagates and a removal error is only printed to stderr; when the body succeeded, a
 * removal error fails the test (a leak is a bug too).
 *
 * @module
 */

/**
 * Runs `fn` with a fresh directory named `PREFIX...`; removes the directory afterwards, also when
 * `fn` throws.
 *
 * @param prefix The start of the directory's name, e.g. `"netkit-t4-"`.
 * @param fn What to do with the directory.
 * @returns What `fn` returns.
 * @throws What `fn` throws; else the removal's error, if the directory could not be removed.
 */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  return await withTempDirs([prefix], ([dir]) => fn(dir));
}

/**
 * Runs `fn` with one fresh directory per prefix, in their order; removes all of them afterwards,
 * also when `fn` throws or a later directory cannot be made.
 *
 * @example Two directories at once
 * ```ts
 * await withTempDirs(["netkit-build-", "netkit-run-"], async ([build, run]) => {
 *   await Deno.writeTextFile(`${build}/a`, "");
 *   await Deno.copyFile(`${build}/a`, `${run}/a`);
 * });
 * ```
 *
 * @param prefixes The start of each directory's name.
 * @param fn What to do with the directories, given in the order of `prefixes`.
 * @returns What `fn` returns.
 * @throws What `fn` (or making a directory) throws; else the removal's error (an
 * `AggregateError` when several directories could not be removed).
 */
export async function withTempDirs<const P extends readonly string[], T>(
  prefixes: P,
  fn: (dirs: { -readonly [K in keyof P]: string }) => Promise<T>,
): Promise<T> {
  const dirs: string[] = [];
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    for (const prefix of prefixes) dirs.push(await Deno.makeTempDir({ prefix }));
    outcome = { ok: true, value: await fn(dirs as { -readonly [K in keyof P]: string }) };
  } catch (error) {
    outcome = { ok: false, error };
  }
  const failures: unknown[] = [];
  for (const dir of [...dirs].reverse()) {
    try {
      await Deno.remove(dir, { recursive: true });
    } catch (error) {
      failures.push(error);
      // Printed, not thrown, when the body failed: its error is the one that says what broke.
      if (!outcome.ok) console.error(`Cannot remove temporary directory ${dir}: ${error}`);
    }
  }
  if (!outcome.ok) throw outcome.error;
  if (failures.length > 1) {
    throw new AggregateError(failures, "Cannot remove temporary directories");
  }
  if (failures.length === 1) throw failures[0];
  return outcome.value;
}
