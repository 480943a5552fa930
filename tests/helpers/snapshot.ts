/**
 * Snapshots of text (plans as commands), kept in `tests/unit/__snapshots__/NAME.snap` so that a
 * change to any command shows up as a diff in review. A missing snapshot is written (and the
 * test fails, so that a new snapshot is always looked at); `NETKIT_UPDATE_SNAPSHOTS=1` rewrites
 * them all.
 *
 * @module
 */
import { assertEquals } from "./assert.ts";

const DIR = new URL("../unit/__snapshots__/", import.meta.url);

/** Asserts `text` equals the snapshot `name` (see the module doc for writing one). */
export async function assertSnapshot(name: string, text: string): Promise<void> {
  const file = new URL(`${name}.snap`, DIR);
  const update = Deno.env.get("NETKIT_UPDATE_SNAPSHOTS") === "1";
  const saved = await Deno.readTextFile(file).catch(() => undefined);
  if (update || saved === undefined) {
    await Deno.writeTextFile(file, text);
    if (!update) throw new Error(`snapshot ${name} was missing: written, look at it and re-run`);
    return;
  }
  assertEquals(text, saved, `snapshot ${name} differs (NETKIT_UPDATE_SNAPSHOTS=1 rewrites it)`);
}
