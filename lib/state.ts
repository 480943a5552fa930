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
 * A lab's directory is root's alone to list and to write (mode 0711), and `lab.json` and
 * `journal.jsonl` are root's alone (0600): `down` runs what the journal says (checked,
 * lib/lab/journal_check.ts), so nobody else may write there. (Not 0700: FRR's daemons drop root
 * for user frr and must still reach their own directory, `frr-NODE`, inside the lab's.) Before acting on a lab's state, netkit checks that the state root, `labs/`
 * and the lab's directory are directories of the user netkit runs as (root; in rootless mode the
 * user's namespace's root), not symbolic links, and not writable by group or others
 * ({@link checkStateDir}), and the same of the files it reads ({@link checkStateFile}).
 *
 * @module
 */
import { dirname, join } from "node:path";
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

/**
 * Writes `text` to `path` atomically (a temporary file renamed over it), with file mode `mode`
 * (0o600 for netkit's state files). @default mode 0o644
 */
export async function writeAtomic(path: string, text: string, mode = 0o644): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.remove(tmp).catch(() => {});
  await Deno.writeTextFile(tmp, text, { mode, createNew: true });
  await Deno.chmod(tmp, mode); // whatever the umask
  await Deno.rename(tmp, path);
}

/** The state of a lab is not netkit's alone (see the module doc): netkit does not act on it. */
export class UnsafeStateError extends Error {
  /**
   * Makes the error.
   *
   * @param path The directory or file.
   * @param reason What is wrong with it.
   */
  constructor(readonly path: string, reason: string) {
    super(
      `${path} ${reason}: netkit does not act on state that others could have written ` +
        "(it must be root's, not a symbolic link, and writable by root only)",
    );
    this.name = "UnsafeStateError";
  }
}

/** Why `info` (from lstat) is not root's alone, or undefined. */
function unsafeBecause(info: Deno.FileInfo, kind: "directory" | "file"): string | undefined {
  if (info.isSymlink) return "is a symbolic link";
  if (kind === "directory" ? !info.isDirectory : !info.isFile) return `is not a ${kind}`;
  if (info.uid !== null && info.uid !== Deno.uid()) {
    return `belongs to user ${info.uid}, not to ${Deno.uid()}`;
  }
  const mode = (info.mode ?? 0) & 0o7777;
  if (mode & 0o022) {
    return `is writable by ${mode & 0o020 ? "its group" : "others"} (mode ${
      mode.toString(8).padStart(4, "0")
    })`;
  }
  return undefined;
}

/**
 * Checks that the state root `root`, its `labs/` and lab `lab`'s directory, those that exist,
 * are the user's own directories (see the module doc). Throws {@link UnsafeStateError}.
 */
export async function checkStateDir(root: string, lab: string): Promise<void> {
  const dir = labDir(root, lab);
  for (const [path, follow] of [[root, true], [dirname(dir), false], [dir, false]] as const) {
    let info: Deno.FileInfo;
    try {
      info = follow ? await Deno.stat(path) : await Deno.lstat(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    const reason = unsafeBecause(info, "directory");
    if (reason) throw new UnsafeStateError(path, reason);
  }
}

/**
 * Checks that the state file `path`, if it exists, is a file of the user's own that nobody else
 * may write (see the module doc). Throws {@link UnsafeStateError}.
 */
export async function checkStateFile(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  const reason = unsafeBecause(info, "file");
  if (reason) throw new UnsafeStateError(path, reason);
}

/**
 * Makes lab `lab`'s state directory under the state root `root` (mode 0711, the root and `labs/`
 * 0755: see the module doc) unless it exists, after checking the directories that do (see
 * {@link checkStateDir}). Returns its path.
 */
export async function makeLabDir(root: string, lab: string): Promise<string> {
  const dir = labDir(root, lab);
  await checkStateDir(root, lab);
  await Deno.mkdir(dirname(dir), { recursive: true, mode: 0o755 });
  try {
    await Deno.mkdir(dir, { mode: 0o711 });
    await Deno.chmod(dir, 0o711); // whatever the umask
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  await checkStateDir(root, lab);
  return dir;
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
