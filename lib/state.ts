/**
 * Where netkit keeps what it knows about the labs on this host.
 *
 * The host's state root (lib/host.ts: `$NETKIT_STATE_DIR`, default `/run/netkit`, a tmpfs that
 * a reboot clears together with every namespace) holds `labs/<lab>/` for each lab: `lab.json` (the lab as it was brought up),
 * `journal.jsonl` (the undo of every step, written before the step runs), `lock`, and the files
 * of the lab's daemons (dnsmasq, udhcpc and tcpdump pid, lease and hook files). `ovs/` holds the
 * private Open vSwitch when netkit runs one. `captures/<lab>/` holds the lab's packet captures,
 * kept after `down` until `clean`. `multihost/<lab>.json` is a multi-host controller's record
 * of where a lab's parts run (lib/multihost/record.ts).
 *
 * @module
 */
import { join } from "node:path";
import { checkLabName } from "./names.ts";

/**
 * The directory of one lab's state, under the state root `root`. `lab` must be a lab name
 * (checked: a name is never a path, so the directory is always inside the state root).
 *
 * @throws {UsageError} When `lab` is not a valid lab name.
 */
export function labDir(root: string, lab: string): string {
  return join(root, "labs", checkLabName(lab));
}

/**
 * Where the packet captures of lab `lab` are kept under the state root `root` (`capture:
 * true`): outside the lab's own directory, so that they survive `down` (which removes that
 * directory); `clean` removes them.
 */
export function captureDir(root: string, lab: string): string {
  return join(capturesRoot(root), checkLabName(lab));
}

/** The directory of every lab's kept captures (`captures/<lab>/<node>/<interface>.pcap`). */
export function capturesRoot(root: string): string {
  return join(root, "captures");
}

/** The directory of a multi-host controller's records (lib/multihost/record.ts). */
export function multihostRecordDir(root: string): string {
  return join(root, "multihost");
}

/** Where the controller's record of multi-host lab `lab` is kept under the state root `root`. */
export function multihostRecordFile(root: string, lab: string): string {
  return join(multihostRecordDir(root), `${checkLabName(lab)}.json`);
}

/**
 * The names of the labs that have state under the state root `root`, sorted: the directories
 * under `labs/` whose names are lab names (netkit makes no other; anything else there is not
 * netkit's).
 */
export async function listLabNames(root: string): Promise<string[]> {
  const names: string[] = [];
  const isLabName = (n: string) => {
    try {
      return checkLabName(n) === n;
    } catch {
      return false;
    }
  };
  try {
    for await (const entry of Deno.readDir(join(root, "labs"))) {
      if (entry.isDirectory && isLabName(entry.name)) names.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

/** Writes `text` to `path` atomically (a temporary file renamed over it). */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

/** Reads and parses a JSON file, or `undefined` when it does not exist. */
export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Removes netkit's state directories once they are empty, so a clean host holds nothing. */
export async function pruneStateRoot(root: string): Promise<void> {
  for (const dir of [join(root, "labs"), root]) {
    await Deno.remove(dir).catch(() => {}); // fails while not empty: that is fine
  }
}

/** True when `path` exists (file, directory or anything else). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` holding a lock (flock) on `path`, created if missing with mode 0600. */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  exclusive = true,
): Promise<T> {
  const file = await Deno.open(path, { create: true, write: true, mode: 0o600 });
  try {
    await file.lock(exclusive);
    return await fn();
  } finally {
    file.close();
  }
}
