/**
 * Daemons that netkit starts and stops by pid file, told apart from whatever process later gets
 * the same pid.
 *
 * A pid file alone is not enough to kill by: after a crash or a reboot-less restart of the
 * daemon, the pid it names may belong to an unrelated process. So when netkit has started a
 * daemon it notes who it is ({@link recordDaemon}: its pid, its start time — field 22 of
 * `/proc/PID/stat`, in clock ticks since boot — and its command line) in `PIDFILE.netkit`, and
 * before any signal it checks that the process behind the pid file still is that one
 * ({@link daemonPid}). Without a record (netkit was killed between starting the daemon and
 * noting it), the process must at least be `program` and name this very pid file on its
 * command line (`--pidfile=PIDFILE`). Anything else counts as "the daemon is gone".
 *
 * @module
 */
import { basename } from "node:path";
import type { Runner } from "./runner.ts";
import { sleep } from "../units.ts";

/** What netkit notes about a daemon it started. */
export interface DaemonRecord {
  /** Its pid. */
  pid: number;
  /** Its start time: field 22 of `/proc/PID/stat` (clock ticks after boot). */
  startTime: string;
  /** Its command line, from `/proc/PID/cmdline`. */
  cmdline: string[];
}

/** Where the record of the daemon with pid file `pidFile` is kept. */
export function recordFile(pidFile: string): string {
  return `${pidFile}.netkit`;
}

const read = (path: string) => Deno.readTextFile(path).catch(() => undefined);

/**
 * Reads a file of `/proc`: directly, or with `cat` through the runner when this process may not
 * (Deno lets a program read `/proc` only with every permission, so a run with any `--deny-*`
 * flag cannot).
 */
async function readProc(runner: Runner, path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotCapable)) return undefined;
    const r = await runner.run(["cat", path], { allowFailure: true }).catch(() => undefined);
    return r?.code === 0 ? r.stdout : undefined;
  }
}

/** What `/proc/PID` says about a live process (not a zombie), or undefined. */
async function processInfo(runner: Runner, pid: number): Promise<DaemonRecord | undefined> {
  const stat = await readProc(runner, `/proc/${pid}/stat`);
  const cmdline = stat === undefined ? undefined : await readProc(runner, `/proc/${pid}/cmdline`);
  if (stat === undefined || cmdline === undefined) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces: fields count from its end.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") return undefined; // exited, not yet reaped
  const startTime = fields[19]; // field 22 overall
  if (startTime === undefined) return undefined;
  const argv = cmdline.split("\0");
  if (argv.at(-1) === "") argv.pop();
  return { pid, startTime, cmdline: argv };
}

async function pidIn(pidFile: string): Promise<number | undefined> {
  const pid = Number((await read(pidFile))?.trim());
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

/**
 * Notes who the daemon in `pidFile` is (see the module doc). Throws when the pid file names no
 * live process: the daemon did not start.
 */
export async function recordDaemon(runner: Runner, pidFile: string): Promise<void> {
  const pid = await pidIn(pidFile);
  const info = pid === undefined ? undefined : await processInfo(runner, pid);
  if (!info) throw new Error(`No running daemon behind ${pidFile}`);
  await Deno.writeTextFile(recordFile(pidFile), JSON.stringify(info) + "\n", { mode: 0o644 });
}

/**
 * The pid of the daemon `program` whose pid file is `pidFile`, when that process still runs and
 * still is the daemon netkit started (see the module doc); otherwise undefined.
 */
export async function daemonPid(
  runner: Runner,
  pidFile: string,
  program: string,
): Promise<number | undefined> {
  const pid = await pidIn(pidFile);
  if (pid === undefined) return undefined;
  const info = await processInfo(runner, pid);
  if (!info) return undefined;
  const text = await read(recordFile(pidFile));
  if (text !== undefined) {
    let record: DaemonRecord;
    try {
      record = JSON.parse(text) as DaemonRecord;
    } catch {
      return undefined;
    }
    const same = record.pid === pid && record.startTime === info.startTime &&
      record.cmdline.join("\0") === info.cmdline.join("\0");
    return same ? pid : undefined;
  }
  const named = info.cmdline.some((w) => w.startsWith("--") && w.endsWith(`=${pidFile}`));
  return basename(info.cmdline[0] ?? "") === program && named ? pid : undefined;
}

/**
 * Stops the daemon `program` of `pidFile` if it still is the one netkit started: SIGTERM, then
 * SIGKILL when it has neither exited nor removed its pid file after `timeoutMs`. A daemon that is gone (or a pid now used by
 * another process) is left alone. Removes the record. Returns true when it signalled a process.
 */
export async function stopDaemon(
  runner: Runner,
  pidFile: string,
  program: string,
  timeoutMs = 5000,
): Promise<boolean> {
  const pid = await daemonPid(runner, pidFile, program);
  const started = pid === undefined ? undefined : (await processInfo(runner, pid))?.startTime;
  // Still that very process (a pid is reused only after the process is gone and reaped).
  const running = async () =>
    pid !== undefined && (await processInfo(runner, pid))?.startTime === started;
  if (pid !== undefined) {
    // `kill` rather than a signal from this process: every process netkit touches goes through
    // the runner (lib/exec/runner.ts).
    await runner.run(["kill", "-s", "TERM", String(pid)], { allowFailure: true });
    // A daemon removes its own pid file as it begins to exit (OVS's daemons do so before
    // closing their ports one by one): from then on it is on its way out.
    const exiting = async () => !(await running()) || (await pidIn(pidFile)) !== pid;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !(await exiting())) await sleep(10);
    if (!(await exiting())) {
      await runner.run(["kill", "-s", "KILL", String(pid)], { allowFailure: true });
    }
  }
  await Deno.remove(recordFile(pidFile)).catch(() => {});
  return pid !== undefined;
}
