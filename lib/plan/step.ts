/**
 * The unit of change: a {@link Step} says what it creates, the actions that create it and the
 * actions that undo it. Steps are plain data: building one never touches the host. The executor
 * (executor.ts) is the only thing that carries them out.
 *
 * @module
 */

/** Run a command: an argv array, never a shell string. */
export interface RunAction {
  /** The program and its arguments. */
  argv: string[];
}

/** Write a file (a DHCP client hook, a config). Shown as `cat > FILE <<'EOF'` in scripts. */
export interface WriteAction {
  /** The file's path. */
  write: string;
  /** What it holds. */
  content: string;
  /** File mode. @default 0o644 */
  mode?: number;
}

/** Remove a file; a missing file is fine. */
export interface RemoveAction {
  /** The file's path. */
  remove: string;
}

/**
 * Note who the daemon that just wrote pid file `recordDaemon` is (its pid, start time and
 * command line), so that stopping it later cannot hit a process that reused its pid
 * (lib/exec/daemon.ts). Only a process that is `program` and names the pid file (or `named`) on
 * its command line is noted.
 */
export interface RecordDaemonAction {
  /** The daemon's pid file. */
  recordDaemon: string;
  /** The program it runs (`ovs-vswitchd`), as its command line's first word names it. */
  program: string;
  /**
   * The file its command line names, when that is not the pid file (tcpdump, started by
   * start-stop-daemon, names its pcap file only): one of the lab's own files.
   */
  named?: string;
  /**
   * The record file (root-only, 0600): for a daemon whose pid file lies in a directory its own
   * user may write (FRR's), a file in the lab's state directory. @default `PIDFILE.netkit`
   */
  record?: string;
}

/**
 * Stop the daemon `program` whose pid file is `stopDaemon` (SIGTERM, then SIGKILL), only if that
 * process still is the one netkit started; a daemon that is gone is fine (lib/exec/daemon.ts).
 * Shown as `pkill -F PIDFILE -x PROGRAM` in scripts.
 */
export interface StopDaemonAction {
  /** The daemon's pid file. */
  stopDaemon: string;
  /** The program it runs (`ovs-vswitchd`). */
  program: string;
  /** The record {@link RecordDaemonAction} wrote. @default `PIDFILE.netkit` */
  record?: string;
  /**
   * The file its command line names, when that is not the pid file ({@link RecordDaemonAction}):
   * how the daemon is still told apart from another process of `program` should it have no record.
   */
  named?: string;
}

/**
 * Remove an OVS bridge or port only if it carries the mark netkit wrote on it,
 * `external_ids:netkit-lab=LAB`: the executor finds the rows that carry the mark and removes
 * exactly those rows, by UUID, in one `ovs-vsctl` transaction. A same-named bridge or port that
 * netkit did not make (or that was re-created since) is another row and is never touched; a row
 * that is gone is fine.
 */
export interface OvsRemoveAction {
  /** What to remove. */
  ovsRemove: "bridge" | "port";
  /** Its name. */
  name: string;
  /** A port's bridge. */
  bridge?: string;
  /** The lab whose mark it must carry. */
  lab: string;
}

/** One thing the executor does. */
export type Action =
  | RunAction
  | WriteAction
  | RemoveAction
  | RecordDaemonAction
  | StopDaemonAction
  | OvsRemoveAction;

/** A pure, undoable change to the host. */
export interface Step {
  /** What it creates, as a resource key: `netns:ns1`, `link:veth-ns1`, `ovs-port:br1/tap1`, ... */
  key: string;
  /** One line for people: what this step does. */
  summary: string;
  /** Actions that create the resource, run in order. */
  do: Action[];
  /** Actions that remove it again, run in order. Each tolerates an already missing object. */
  undo: Action[];
  /** Set when the step starts a daemon: its pid file, for status and clean-up. */
  pidFile?: string;
}

/** Shorthand for a {@link RunAction}. */
export function cmd(...argv: string[]): RunAction {
  return { argv };
}

/** Wraps argv to run inside namespace `ns` (`ip netns exec NS ...`); `undefined` = root. */
export function inNs(ns: string | undefined, argv: string[]): string[] {
  return ns === undefined ? argv : ["ip", "netns", "exec", ns, ...argv];
}

/** Prefixes an `ip` subcommand with `-n NS` when `ns` is set: `ip [-n NS] ARGS...`. */
export function ip(ns: string | undefined, ...args: string[]): RunAction {
  return { argv: ns === undefined ? ["ip", ...args] : ["ip", "-n", ns, ...args] };
}

/**
 * The command a person would type for `action` (dry-run listings): a file write shows as
 * `netkit-write PATH`, noting a daemon as `netkit-record-daemon PIDFILE [RECORD]`, stopping one as
 * `pkill -F PIDFILE -x PROGRAM`, a mark-checked OVS removal as `netkit-ovs-remove del-br NAME
 * if:external_ids:netkit-lab=LAB`.
 */
export function shownArgv(action: Action): string[] {
  if ("argv" in action) return action.argv;
  if ("write" in action) return ["netkit-write", action.write];
  if ("remove" in action) return ["rm", "-f", action.remove];
  if ("recordDaemon" in action) {
    return ["netkit-record-daemon", action.recordDaemon, ...(action.record ? [action.record] : [])];
  }
  if ("ovsRemove" in action) {
    const what = action.ovsRemove === "bridge" ? ["del-br"] : ["del-port", action.bridge ?? ""];
    return ["netkit-ovs-remove", ...what, action.name, `if:external_ids:netkit-lab=${action.lab}`];
  }
  return ["pkill", "-F", action.stopDaemon, "-x", action.program];
}

/** True for a {@link RunAction}. */
export function isRun(action: Action): action is RunAction {
  return "argv" in action;
}
