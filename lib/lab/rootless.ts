/**
 * Rootless mode: an unprivileged user's labs live in a user + network + mount + PID namespace of
 * that user's own, kept open by one holder process per user.
 *
 * - The holder is `setsid unshare --user --map-root-user --net --mount --pid --fork --kill-child
 *   --mount-proc NETKIT-HOLDER`: a process that only reaps orphans (PID 1 of the namespace).
 *   In its mount namespace a private tmpfs covers `/run` (so `/run/netns`, netkit's state in
 *   `/run/netkit` and `/run/xtables.lock` are the user's own) and a sysfs of its network
 *   namespace covers `/sys`.
 * - Its PID and the locks live in `$XDG_RUNTIME_DIR/netkit` (else `/tmp/netkit-UID`, mode 0700):
 *   `holder.json` records the PID and the inode of its user namespace (a reused PID is never
 *   mistaken for the holder).
 * - Every netkit command re-executes itself in there with `nsenter --target PID --user --net
 *   --mount --pid --preserve-credentials` (a user may join the namespaces it owns), with
 *   `NETKIT_ROOTLESS_INNER=1` and `NETKIT_STATE_DIR=/run/netkit`. Inside, the user is root.
 * - The holder is started by the first command that needs it and stopped (SIGKILL to the
 *   namespace's PID 1: the kernel kills every process left in it, and the namespaces go away)
 *   by the command after which no lab is left. Two locks keep that race-free: `lifecycle.lock`
 *   (start and stop) and `use.lock` (held shared while a command runs inside; a stop takes it
 *   exclusively, so it waits for bring-ups that already started).
 *
 * Inside, two programs differ from a root host: dnsmasq must not switch to user `nobody` or
 * group `dip` (neither is mapped: the setgid fails), so the plan gives it `--user=root --group=` (the
 * `rootless` plan option, lib/lab/plan.ts); and tcpdump always drops root through `initgroups()`, which a
 * user namespace made by an unprivileged user forbids, so the SNAT proof counts sources with an
 * nftables set instead (lib/check/probes.ts).
 *
 * @module
 */
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { withFileLock } from "../state.ts";
import { CommandError, type Runner } from "../exec/runner.ts";
import type { Environment } from "../host.ts";
import { sleep } from "../units.ts";

/** The namespaces a rootless lab lives in: the user's own user, network, mount and PID ones. */
const UNSHARE_FLAGS = ["--user", "--map-root-user", "--net", "--mount", "--pid", "--fork"];

/** The environment variable that marks a process running inside the holder's namespaces. */
const INNER_ENV = "NETKIT_ROOTLESS_INNER";
/** The environment variable that makes main.ts run as the holder (PID 1 of the namespace). */
const HOLDER_ENV = "NETKIT_ROOTLESS_HOLDER";
/** Where netkit keeps its state inside the holder's mount namespace (a private tmpfs). */
const INNER_STATE_DIR = "/run/netkit";

/** What the rootless functions work with: the user's directory and a runner. */
export interface Rootless {
  /** The per-user directory of the holder's PID and locks (see {@link rootlessDir}). */
  dir: string;
  /** Runs unshare, nsenter, mount and kill. */
  runner: Runner;
}

/** The per-user directory of the holder's PID and locks: `$XDG_RUNTIME_DIR/netkit`, else `/tmp/netkit-UID`. */
export function rootlessDir(env: Environment): string {
  return env.xdgRuntimeDir ? join(env.xdgRuntimeDir, "netkit") : `/tmp/netkit-${Deno.uid()}`;
}

/** What `holder.json` holds. */
interface HolderRecord {
  /** The holder's PID in the host's PID namespace (PID 1 of its own). */
  pid: number;
  /** `readlink /proc/PID/ns/user`, e.g. `user:[4026532871]`. */
  userns: string;
  startedAt: string;
}

async function run(runner: Runner, argv: string[]): Promise<{ code: number; stderr: string }> {
  try {
    return await runner.run(argv, { allowFailure: true });
  } catch (error) {
    if (error instanceof CommandError) return { code: error.code, stderr: error.stderr };
    throw error;
  }
}

/**
 * Whether this kernel lets this user make a user namespace with its own network and mount
 * namespaces (tried for real: `unshare --user --map-root-user --net --mount --pid --fork true`).
 * Returns undefined when it does, else the reason.
 */
export async function rootlessUnavailable(rl: Rootless): Promise<string | undefined> {
  for (const p of ["unshare", "nsenter", "setsid"]) {
    const found = await run(rl.runner, [p, "--version"]);
    if (found.code === 127) return `${p} (util-linux) is missing`;
  }
  const r = await run(rl.runner, ["unshare", ...UNSHARE_FLAGS, "true"]);
  if (r.code === 0) return undefined;
  return `this kernel does not let an unprivileged user create user namespaces (${
    r.stderr.trim().split("\n").pop() || `unshare exit ${r.code}`
  })`;
}

/**
 * Throws {@link UsageError} unless `dir` is this user's own: a directory (not a symlink) owned by
 * this uid that no one else may read or write (mode 0700). Checked before anything in it is read
 * or written: in `/tmp` another user could have made `/tmp/netkit-UID` first and put a
 * `holder.json` there that sends this user's commands into namespaces of theirs.
 */
async function requireOwnDir(dir: string): Promise<void> {
  const info = await Deno.lstat(dir);
  if (!info.isDirectory || info.uid !== Deno.uid() || ((info.mode ?? 0) & 0o077) !== 0) {
    throw new UsageError(
      `${dir} must be a directory of uid ${Deno.uid()} with mode 0700 (it holds the rootless namespaces' PID)`,
      { hint: `remove it, or set XDG_RUNTIME_DIR to a private directory` },
    );
  }
}

async function ensureDir(rl: Rootless): Promise<string> {
  const dir = rl.dir;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await requireOwnDir(dir);
  return dir;
}

function withLock<T>(file: string, exclusive: boolean, fn: () => Promise<T>): Promise<T> {
  return withFileLock(file, fn, exclusive);
}

async function userns(pid: number): Promise<string | undefined> {
  return await Deno.readLink(`/proc/${pid}/ns/user`).catch(() => undefined);
}

/**
 * The running holder, or undefined (a stale record is ignored). The directory must be this
 * user's own (see {@link requireOwnDir}) and `holder.json` a file of this user's.
 *
 * @throws {UsageError} When the directory exists but is not this user's own.
 */
export async function runningHolder(rl: Rootless): Promise<HolderRecord | undefined> {
  try {
    await requireOwnDir(rl.dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const file = join(rl.dir, "holder.json");
  let rec: HolderRecord;
  try {
    const info = await Deno.lstat(file);
    if (!info.isFile || info.uid !== Deno.uid()) return undefined;
    rec = JSON.parse(await Deno.readTextFile(file));
  } catch {
    return undefined;
  }
  if (!Number.isInteger(rec.pid) || rec.pid <= 1) return undefined;
  return (await userns(rec.pid)) === rec.userns ? rec : undefined;
}

/** This process's command line (the deno or compiled-binary argv), with an absolute program. */
async function selfArgv(): Promise<string[]> {
  const raw = await Deno.readTextFile("/proc/self/cmdline");
  const argv = raw.split("\0");
  if (argv.at(-1) === "") argv.pop();
  argv[0] = Deno.execPath();
  return argv;
}

async function startHolder(rl: Rootless): Promise<HolderRecord> {
  const { dir, runner } = rl;
  const own = await userns(Deno.pid);
  const child = runner.spawn([
    "setsid",
    "unshare",
    ...UNSHARE_FLAGS,
    "--kill-child",
    "--mount-proc",
    // This program again (main.ts turns into the holder on HOLDER_ENV), without the command.
    ...(await selfArgv()).slice(0, -Deno.args.length || undefined),
    "rootless-holder",
  ], { env: { [HOLDER_ENV]: "1" }, stdout: "null", stderr: "null", detached: true });
  let pid: number | undefined;
  let ns: string | undefined;
  for (let i = 0; i < 500; i++) {
    const kids = await Deno.readTextFile(`/proc/${child.pid}/task/${child.pid}/children`)
      .catch(() => "");
    pid = Number(kids.trim().split(/\s+/)[0]) || undefined;
    if (pid) {
      ns = await userns(pid);
      const cmd = await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "");
      if (ns && ns !== own && !cmd.startsWith("unshare\0")) break;
    }
    await sleep(10);
  }
  if (!pid || !ns || ns === own) {
    child.kill("SIGKILL");
    throw new Error("Could not start the rootless namespaces (unshare did not come up)");
  }
  const enter = ["nsenter", `--target=${pid}`, "--user", "--mount", "--net"];
  const steps = [
    [
      ...enter,
      "--preserve-credentials",
      "mount",
      "-t",
      "tmpfs",
      "-o",
      "mode=0755",
      "netkit",
      "/run",
    ],
    [...enter, "--preserve-credentials", "mount", "-t", "sysfs", "sysfs", "/sys"],
  ];
  for (const argv of steps) {
    const r = await run(runner, argv);
    if (r.code !== 0) {
      await killHolder(rl, pid);
      throw new Error(`Could not set up the rootless namespaces: ${argv.join(" ")}: ${r.stderr}`);
    }
  }
  const rec: HolderRecord = { pid, userns: ns, startedAt: new Date().toISOString() };
  const tmp = join(dir, `holder.json.tmp-${Deno.pid}`);
  await Deno.writeTextFile(tmp, JSON.stringify(rec, null, 2) + "\n", { mode: 0o600 });
  await Deno.rename(tmp, join(dir, "holder.json"));
  return rec;
}

async function killHolder(rl: Rootless, pid: number): Promise<void> {
  const ns = await userns(pid);
  await run(rl.runner, ["kill", "-s", "KILL", String(pid)]); // "No such process" when gone
  // PID 1 of a namespace takes every other process in it along; wait until they are gone.
  for (let i = 0; i < 500; i++) {
    let left = false;
    for await (const e of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      if (ns && (await userns(Number(e.name))) === ns) {
        left = true;
        break;
      }
    }
    if (!left) return;
    await sleep(10);
  }
}

/** The labs that have state inside the holder (read through `/proc/PID/root`). */
async function labsInside(rec: HolderRecord): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(`/proc/${rec.pid}/root${INNER_STATE_DIR}/labs`)) {
      names.push(e.name);
    }
  } catch {
    // no state: no labs
  }
  return names;
}

/**
 * Runs this very command line inside the user's namespaces (starting the holder if needed) and
 * returns its exit code. Afterwards, when no lab is left, the holder is stopped.
 */
export async function runInside(rl: Rootless): Promise<number> {
  const dir = await ensureDir(rl);
  const lifecycle = join(dir, "lifecycle.lock");
  const use = join(dir, "use.lock");
  const useFile = await Deno.open(use, { create: true, write: true, mode: 0o600 });
  let code: number;
  try {
    const rec = await withLock(lifecycle, true, async () => {
      const rec = (await runningHolder(rl)) ?? (await startHolder(rl));
      await useFile.lock(false); // shared: a stop waits until this command is done
      return rec;
    });
    // The inner command's environment: this one's, with netkit's own state and private OVS
    // where the namespaces keep them.
    const env = {
      [INNER_ENV]: "1",
      NETKIT_STATE_DIR: INNER_STATE_DIR,
      NETKIT_OVS_DIR: `${INNER_STATE_DIR}/ovs`,
    };
    const status = await rl.runner.spawn([
      "nsenter",
      `--target=${rec.pid}`,
      "--user",
      "--net",
      "--mount",
      "--pid",
      "--preserve-credentials",
      `--wd=${Deno.cwd()}`,
      "--",
      ...(await selfArgv()),
    ], { env, stdin: "inherit", stdout: "inherit", stderr: "inherit" }).status;
    code = status.code;
  } finally {
    useFile.close();
  }
  await stopIfIdle(rl);
  return code;
}

/** Stops the holder when no lab is left in it. Returns true when it stopped one. */
async function stopIfIdle(rl: Rootless): Promise<boolean> {
  const dir = rl.dir;
  return await withLock(
    join(dir, "lifecycle.lock"),
    true,
    () =>
      withLock(join(dir, "use.lock"), true, async () => {
        const rec = await runningHolder(rl);
        if (!rec) {
          await Deno.remove(join(dir, "holder.json")).catch(() => {});
          return false;
        }
        if ((await labsInside(rec)).length) return false;
        await killHolder(rl, rec.pid);
        await Deno.remove(join(dir, "holder.json")).catch(() => {});
        return true;
      }),
  );
}

/**
 * The holder itself: PID 1 of the user's PID namespace. It only reaps the daemons that netkit
 * starts there (dnsmasq, ovsdb-server...) when they exit, so none lingers as a zombie; it runs
 * until it is killed. Reaping needs `waitpid()` from libc (FFI); without it, it only waits.
 */
export async function holderMain(): Promise<never> {
  let waitpid: ((pid: number, status: Uint8Array, options: number) => Promise<number>) | undefined;
  try {
    const libc = Deno.dlopen("libc.so.6", {
      waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32", nonblocking: true },
    });
    waitpid = (pid, status, options) => libc.symbols.waitpid(pid, status, options);
  } catch {
    waitpid = undefined;
  }
  const status = new Uint8Array(4);
  for (;;) {
    // waitpid(-1) blocks (on a worker thread) until some child exits; -1 when there is none.
    if (!waitpid || (await waitpid(-1, status, 0)) < 0) await sleep(1000);
  }
}
