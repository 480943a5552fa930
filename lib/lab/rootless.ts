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
 * group `dip` (neither is mapped: the setgid fails), so it runs with `--user=root --group=`
 * (see {@link rootlessArgv}); and tcpdump always drops root through `initgroups()`, which a
 * user namespace made by an unprivileged user forbids, so the SNAT proof counts sources with an
 * nftables set instead (lib/check/probes.ts).
 *
 * @module
 */
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { withFileLock } from "../state.ts";

/** The namespaces a rootless lab lives in: the user's own user, network, mount and PID ones. */
const UNSHARE_FLAGS = ["--user", "--map-root-user", "--net", "--mount", "--pid", "--fork"];

/** The environment variable that marks a process running inside the holder's namespaces. */
export const INNER_ENV = "NETKIT_ROOTLESS_INNER";
/** The environment variable that makes main.ts run as the holder (PID 1 of the namespace). */
export const HOLDER_ENV = "NETKIT_ROOTLESS_HOLDER";
/** Where netkit keeps its state inside the holder's mount namespace (a private tmpfs). */
export const INNER_STATE_DIR = "/run/netkit";

/** True in a process that runs inside the holder's namespaces. */
export function isRootlessInner(): boolean {
  return Deno.env.get(INNER_ENV) === "1";
}

/** The per-user directory of the holder's PID and locks. */
export function rootlessDir(): string {
  const xdg = Deno.env.get("XDG_RUNTIME_DIR");
  return xdg ? join(xdg, "netkit") : `/tmp/netkit-${Deno.uid()}`;
}

/** What `holder.json` holds. */
export interface HolderRecord {
  /** The holder's PID in the host's PID namespace (PID 1 of its own). */
  pid: number;
  /** `readlink /proc/PID/ns/user`, e.g. `user:[4026532871]`. */
  userns: string;
  startedAt: string;
}

const dec = new TextDecoder();

async function run(argv: string[]): Promise<{ code: number; stderr: string }> {
  const [p, ...args] = argv;
  try {
    const r = await new Deno.Command(p!, { args, stdin: "null", stdout: "null", stderr: "piped" })
      .output();
    return { code: r.code, stderr: dec.decode(r.stderr) };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { code: 127, stderr: `${p}: not found` };
    throw error;
  }
}

/**
 * Whether this kernel lets this user make a user namespace with its own network and mount
 * namespaces (tried for real: `unshare --user --map-root-user --net --mount --pid --fork true`).
 * Returns undefined when it does, else the reason.
 */
export async function rootlessUnavailable(): Promise<string | undefined> {
  for (const p of ["unshare", "nsenter", "setsid"]) {
    const found = await run([p, "--version"]);
    if (found.code === 127) return `${p} (util-linux) is missing`;
  }
  const r = await run(["unshare", ...UNSHARE_FLAGS, "true"]);
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

async function ensureDir(): Promise<string> {
  const dir = rootlessDir();
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
export async function runningHolder(): Promise<HolderRecord | undefined> {
  const dir = rootlessDir();
  try {
    await requireOwnDir(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const file = join(dir, "holder.json");
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
export async function selfArgv(): Promise<string[]> {
  const raw = await Deno.readTextFile("/proc/self/cmdline");
  const argv = raw.split("\0");
  if (argv.at(-1) === "") argv.pop();
  argv[0] = Deno.execPath();
  return argv;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startHolder(dir: string): Promise<HolderRecord> {
  const own = await userns(Deno.pid);
  const child = new Deno.Command("setsid", {
    args: [
      "unshare",
      ...UNSHARE_FLAGS,
      "--kill-child",
      "--mount-proc",
      // This program again (main.ts turns into the holder on HOLDER_ENV), without the command.
      ...(await selfArgv()).slice(0, -Deno.args.length || undefined),
      "rootless-holder",
    ],
    env: { [HOLDER_ENV]: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
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
    try {
      Deno.kill(child.pid, "SIGKILL");
    } catch {
      // gone
    }
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
    const r = await run(argv);
    if (r.code !== 0) {
      await killHolder(pid);
      throw new Error(`Could not set up the rootless namespaces: ${argv.join(" ")}: ${r.stderr}`);
    }
  }
  const rec: HolderRecord = { pid, userns: ns, startedAt: new Date().toISOString() };
  const tmp = join(dir, `holder.json.tmp-${Deno.pid}`);
  await Deno.writeTextFile(tmp, JSON.stringify(rec, null, 2) + "\n", { mode: 0o600 });
  await Deno.rename(tmp, join(dir, "holder.json"));
  return rec;
}

async function killHolder(pid: number): Promise<void> {
  const ns = await userns(pid);
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
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
export async function runInside(): Promise<number> {
  const dir = await ensureDir();
  const lifecycle = join(dir, "lifecycle.lock");
  const use = join(dir, "use.lock");
  const useFile = await Deno.open(use, { create: true, write: true, mode: 0o600 });
  let code: number;
  try {
    const rec = await withLock(lifecycle, true, async () => {
      const rec = (await runningHolder()) ?? (await startHolder(dir));
      await useFile.lock(false); // shared: a stop waits until this command is done
      return rec;
    });
    const env: Record<string, string> = {
      ...Deno.env.toObject(),
      [INNER_ENV]: "1",
      NETKIT_STATE_DIR: INNER_STATE_DIR,
    };
    delete env.NETKIT_OVS_DIR;
    const status = await new Deno.Command("nsenter", {
      args: [
        `--target=${rec.pid}`,
        "--user",
        "--net",
        "--mount",
        "--pid",
        "--preserve-credentials",
        `--wd=${Deno.cwd()}`,
        "--",
        ...(await selfArgv()),
      ],
      env,
      clearEnv: true,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    code = status.signal ? 128 + signalNumber(status.signal) : status.code;
  } finally {
    useFile.close();
  }
  await stopIfIdle();
  return code;
}

function signalNumber(signal: Deno.Signal): number {
  return ({ SIGINT: 2, SIGTERM: 15, SIGKILL: 9, SIGHUP: 1 } as Record<string, number>)[signal] ??
    0;
}

/** Stops the holder when no lab is left in it. Returns true when it stopped one. */
export async function stopIfIdle(): Promise<boolean> {
  const dir = rootlessDir();
  return await withLock(
    join(dir, "lifecycle.lock"),
    true,
    () =>
      withLock(join(dir, "use.lock"), true, async () => {
        const rec = await runningHolder();
        if (!rec) {
          await Deno.remove(join(dir, "holder.json")).catch(() => {});
          return false;
        }
        if ((await labsInside(rec)).length) return false;
        await killHolder(rec.pid);
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

/**
 * Rewrites a command for the inside of a user namespace: dnsmasq keeps the namespace's root
 * (switching to `nobody`/`dip` fails there: no other id is mapped).
 */
export function rootlessArgv(argv: readonly string[]): readonly string[] {
  const at = argv[0] === "dnsmasq"
    ? 0
    : argv[0] === "ip" && argv[1] === "netns" && argv[2] === "exec" && argv[4] === "dnsmasq"
    ? 4
    : -1;
  if (at < 0 || argv.some((a) => a.startsWith("--user=") || a.startsWith("--group="))) {
    return argv;
  }
  return [...argv.slice(0, at + 1), "--user=root", "--group=", ...argv.slice(at + 1)];
}
