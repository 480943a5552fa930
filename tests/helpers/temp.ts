/** A temporary directory for one test, removed afterwards whatever happens. */

/** Runs `fn` with a fresh directory named `PREFIX...`; removes the directory afterwards. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
