/**
 * Daemons that netkit starts and stops, told apart from whatever process later gets the same pid.
 *
 * A pid file alone is not enough to kill by: after a crash or a reboot-less restart of the
 * daemon, the pid it names may belong to an unrelated process, and a daemon that drops root may
 * rewrite its own pid file. So when netkit has started a daemon it notes who it is
 * ({@link recordDaemon}): its pid, its start time — field 22 of `/proc/PID/stat`, in clock ticks
 * since boot — and its command line, in a record file that only root can read or write (mode
 * 0600, by default `PIDFILE.netkit`; a daemon whose pid file lies in a directory the daemon's own
 * user may write, such as FRR's, keeps its record in the lab's root-owned state directory
 * instead). Before any signal, {@link daemonPid} looks at the recorded pid (and at the pid file's,
 * should the record's have been changed) and accepts only a live process with the recorded start
 * time and command line. A pid that another process has taken since is never signalled: the
 * daemon counts as gone.
 *
 * Without a record (netkit was killed between starting the daemon and noting it, or the program
 * is no daemon but a client that runs in the foreground until it is done, such as udhcpc), the
 * process must at least be `program` and name this very pid file on its command line
 * (`--pidfile=PIDFILE`, or `-p PIDFILE`). Anything else counts as "the daemon is gone".
 *
 * {@link recordDaemon} notes a process only when it passes that same check: the pid file can be
 * written by others than netkit (FRR's lies in a directory of user frr), and a pid it names of
 * some other process, root's own included, must never become the record that a later stop
 * signals. Until the pid file names such a process, the daemon counts as not started yet.
 *
 * @module
 */
import { basename } from "node:path";
import type { Runner } from "./runner.ts";
import { sleep } from "../units.ts";

/** What netkit notes about a daemon it started. */
interface DaemonRecord {
  /** Its pid. */
  pid: number;
  /** Its start time: field 22 of `/proc/PID/stat` (clock ticks after boot). */
  startTime: string;
  /** Its command line, from `/proc/PID/cmdline`. */
  cmdline: string[];
}

/** Where the record of the daemon with pid file `pidFile` is kept unless a step names another. */
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

const validPid = (pid: unknown): pid is number =>
  typeof pid === "number" && Number.isInteger(pid) && pid > 1;

async function pidIn(pidFile: string): Promise<number | undefined> {
  const pid = Number((await read(pidFile))?.trim());
  return validPid(pid) ? pid : undefined;
}

/** The record in `path`; undefined when there is none, null when it is unreadable. */
async function readRecord(path: string): Promise<DaemonRecord | null | undefined> {
  const text = await read(path);
  if (text === undefined) return undefined;
  try {
    const r = JSON.parse(text) as Partial<DaemonRecord>;
    const ok = validPid(r.pid) && typeof r.startTime === "string" && Array.isArray(r.cmdline) &&
      r.cmdline.every((w) => typeof w === "string");
    return ok ? r as DaemonRecord : null;
  } catch {
    return null;
  }
}

/**
 * True when `info` is `program` naming `file` on its command line (`--pidfile=PIDFILE`,
 * `-i PIDFILE`, `-pf PIDFILE`; `file` is the pid file unless a step names another): what a
 * process must be for netkit to take it for the daemon of a pid file without a record, and to
 * note it in one.
 */
function isDaemonOf(info: DaemonRecord, file: string, program: string): boolean {
  const named = info.cmdline.some((w) =>
    w === file || (w.startsWith("-") && w.endsWith(`=${file}`))
  );
  return named && basename(info.cmdline[0] ?? "") === program;
}

/** Options for {@link recordDaemon}, {@link daemonPid} and {@link stopDaemon}. */
interface DaemonOptions {
  /** The record file. @default {@link recordFile}(pidFile) */
  record?: string | undefined;
  /** The file the daemon's command line names. @default pidFile */
  named?: string | undefined;
}

/** Options for {@link recordDaemon}. */
interface RecordDaemonOptions extends DaemonOptions {
  /**
   * How long to wait for the pid file to name a live process: some daemons (ISC dhclient) let
   * the command that started them return just before they write it. @default 5000
   */
  timeoutMs?: number | undefined;
}

/**
 * Notes who the daemon `program` of `pidFile` is (see the module doc), in a new file only root
 * may read or write (0600). Only a live process that is `program` and names `pidFile` on its
 * command line is noted; a pid file that names another process counts as not written yet.
 *
 * @throws {Error} When the pid file names no such process within the timeout: the daemon did
 * not start, or the pid file names a process that is not it (the message says which).
 */
export async function recordDaemon(
  runner: Runner,
  pidFile: string,
  program: string,
  options: RecordDaemonOptions = {},
): Promise<void> {
  const record = options.record ?? recordFile(pidFile);
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  let info: DaemonRecord | undefined;
  let other: DaemonRecord | undefined; // the last live process the pid file named instead
  for (;;) {
    const pid = await pidIn(pidFile);
    const live = pid === undefined ? undefined : await processInfo(runner, pid);
    if (live && isDaemonOf(live, options.named ?? pidFile, program)) info = live;
    else other = live ?? other;
    if (info || Date.now() >= deadline) break;
    await sleep(10);
  }
  if (!info && other) {
    throw new Error(
      `Pid file ${JSON.stringify(pidFile)} named pid ${other.pid}, which is not ${program} ` +
        `started with ${options.named ? JSON.stringify(options.named) : "that pid file"} (it runs ${
          JSON.stringify(other.cmdline.join(" "))
        }): ` +
        `not recorded`,
    );
  }
  if (!info) throw new Error(`No running ${program} behind ${JSON.stringify(pidFile)}`);
  // A new file (O_EXCL, which never follows a symbolic link), so its mode is exactly 0600.
  await Deno.remove(record).catch(() => {});
  await Deno.writeTextFile(record, JSON.stringify(info) + "\n", { createNew: true, mode: 0o600 });
}

/**
 * The pid of the daemon `program` whose pid file is `pidFile`, when that process still runs and
 * still is the daemon netkit started (see the module doc); otherwise undefined.
 */
export async function daemonPid(
  runner: Runner,
  pidFile: string,
  program: string,
  options: DaemonOptions = {},
): Promise<number | undefined> {
  const record = await readRecord(options.record ?? recordFile(pidFile));
  if (record === null) return undefined;
  if (record !== undefined) {
    // The recorded pid, and the pid file's should the record's have been changed: either counts
    // only while it is the very process recorded (same start time, same command line).
    const fromFile = await pidIn(pidFile);
    const candidates = fromFile === undefined || fromFile === record.pid
      ? [record.pid]
      : [record.pid, fromFile];
    for (const pid of candidates) {
      const info = await processInfo(runner, pid);
      if (
        info && info.startTime === record.startTime &&
        info.cmdline.join("\0") === record.cmdline.join("\0")
      ) return pid;
    }
    return undefined;
  }
  const pid = await pidIn(pidFile);
  const info = pid === undefined ? undefined : await processInfo(runner, pid);
  return info && isDaemonOf(info, options.named ?? pidFile, program) ? pid : undefined;
}

/** Options for {@link stopDaemon}. */
interface StopDaemonOptions extends DaemonOptions {
  /** How long to wait after SIGTERM before SIGKILL. @default 5000 */
  timeoutMs?: number | undefined;
}

/**
 * Stops the daemon `program` of `pidFile` if it still is the one netkit started (see
 * {@link daemonPid}): SIGTERM, then SIGKILL when it has neither exited nor removed its pid file
 * after the timeout. A daemon that is gone, or whose pid another process has taken, is left
 * alone. Removes the record. Returns true when it signalled a process, false when the daemon was
 * already gone.
 */
export async function stopDaemon(
  runner: Runner,
  pidFile: string,
  program: string,
  options: StopDaemonOptions = {},
): Promise<boolean> {
  const pid = await daemonPid(runner, pidFile, program, options);
  const started = pid === undefined ? undefined : (await processInfo(runner, pid))?.startTime;
  // Still that very process (a pid is reused only after the process is gone and reaped).
  const running = async () =>
    pid !== undefined && (await processInfo(runner, pid))?.startTime === started;
  if (pid !== undefined) {
    const named = (await pidIn(pidFile)) === pid;
    // `kill` rather than a signal from this process: every process netkit touches goes through
    // the runner (lib/exec/runner.ts).
    await runner.run(["kill", "-s", "TERM", String(pid)], { allowFailure: true });
    // A daemon removes its own pid file as it begins to exit (OVS's daemons do so before
    // closing their ports one by one): from then on it is on its way out.
    const exiting = async () => !(await running()) || (named && (await pidIn(pidFile)) !== pid);
    const deadline = Date.now() + (options.timeoutMs ?? 5000);
    while (Date.now() < deadline && !(await exiting())) await sleep(10);
    if (!(await exiting())) {
      await runner.run(["kill", "-s", "KILL", String(pid)], { allowFailure: true });
    }
  }
  await Deno.remove(options.record ?? recordFile(pidFile)).catch(() => {});
  return pid !== undefined;
}
