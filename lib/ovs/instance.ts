/**
 * Which Open vSwitch netkit talks to, and a private one when the host has none.
 *
 * - `system`: the host's own ovsdb-server answers on `/run/openvswitch/db.sock` (or
 *   `/var/run/openvswitch/db.sock`) and its ovs-vswitchd runs.
 * - `private`: netkit's own ovsdb-server and ovs-vswitchd with their run directory in the
 *   host's `privateOvsDir` (`$NETKIT_OVS_DIR`, default `/run/netkit/ovs`; see lib/host.ts).
 *   netkit starts it when a lab needs OVS and no system one is usable, and stops it when the
 *   last lab that used it is removed.
 *
 * There is one private OVS per host, whatever the state directory is: two userspace
 * ovs-vswitchd on one host fight over the `ovs-netdev` device and neither can create bridges.
 * Each lab that uses it leaves a file in `users/` naming its state directory; a user whose
 * `lab.json` is gone no longer counts, and when no user is left the instance stops. All of this
 * happens under one lock, so concurrent labs never start two instances or stop a used one.
 *
 * Starting it is a plan of two steps (lib/ovs/daemons.ts, the same steps as a sandboxed lab's
 * own OVS) run by the executor with a journal of its own in the run directory; stopping it is
 * that journal's undo. So a start that netkit did not finish (killed half-way) is undone by the
 * next start or stop, and a daemon is signalled only while it still is the process netkit
 * started (lib/exec/daemon.ts).
 *
 * The host's `ovsMode` (`NETKIT_OVS=system|private|auto`, default `auto`) forces the choice; the
 * tests use `private`. Without the openvswitch kernel module, bridges use the userspace datapath
 * (`netdev`), where internal ports are tap devices that can be moved into namespaces and VLAN
 * tags work.
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { Runner } from "../exec/runner.ts";
import { daemonPid } from "../exec/daemon.ts";
import type { Host } from "../host.ts";
import { UsageError } from "../errors.ts";
import { Executor, type ExecutorOptions } from "../plan/executor.ts";
import { Journal } from "../plan/journal.ts";
import { cmd, type Step } from "../plan/step.ts";
import { pathExists } from "../state.ts";
import { ovsDaemonSteps } from "./daemons.ts";
import { type OvsTarget, ovsTarget, vsctl } from "./target.ts";

const SYSTEM_DIRS = ["/run/openvswitch", "/var/run/openvswitch"];

/** A user that keeps the private OVS running regardless of labs (`netkit ovs start`). */
export const MANUAL_USER = "manual";

/** The host's private instance as a target (whether or not it runs). */
function privateTarget(host: Host): OvsTarget {
  return ovsTarget("private", host.privateOvsDir);
}

const exists = pathExists;

/** A live process named by a pid file, whoever started it (the system's OVS). */
async function pidAlive(pidFile: string): Promise<number | undefined> {
  try {
    const pid = Number((await Deno.readTextFile(pidFile)).trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    await Deno.stat(`/proc/${pid}`);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * The pid of one of `target`'s daemons; for an OVS netkit runs itself, only while it still is the
 * process netkit started (lib/exec/daemon.ts).
 */
function ovsDaemonPid(
  target: OvsTarget,
  daemon: string,
  runner: Runner,
): Promise<number | undefined> {
  const pidFile = join(target.runDir, `${daemon}.pid`);
  return target.kind === "system" ? pidAlive(pidFile) : daemonPid(runner, pidFile, daemon);
}

/** True when an ovsdb-server answers at `db` and an ovs-vswitchd runs beside it. */
async function answers(target: OvsTarget, runner: Runner): Promise<boolean> {
  if (!(await ovsDaemonPid(target, "ovs-vswitchd", runner))) return false;
  const r = await runner.run(
    vsctl(target, "--timeout=2", "get", "Open_vSwitch", ".", "ovs_version"),
    { allowFailure: true },
  ).catch(() => ({ code: 1 }));
  return r.code === 0;
}

/** The system OVS when it is usable, else undefined. */
async function systemOvs(runner: Runner): Promise<OvsTarget | undefined> {
  for (const dir of SYSTEM_DIRS) {
    const target = ovsTarget("system", dir);
    if (await exists(join(dir, "db.sock")) && await answers(target, runner)) return target;
  }
  return undefined;
}

/** The private OVS when it runs, else undefined. */
export async function runningPrivateOvs(host: Host): Promise<OvsTarget | undefined> {
  const target = privateTarget(host);
  return await answers(target, host.runner) ? target : undefined;
}

/**
 * The OVS a new lab would use, without starting anything: the system one when usable (and
 * allowed), else the private one (which {@link ensureOvs} would start).
 */
export async function chooseOvs(host: Host): Promise<OvsTarget> {
  const m = host.ovsMode;
  if (m === "auto" && await runningPrivateOvs(host)) return privateTarget(host);
  if (m !== "private") {
    const system = await systemOvs(host.runner);
    if (system) return system;
    if (m === "system") {
      throw new UsageError("NETKIT_OVS=system, but no system Open vSwitch answers", {
        hint: "start it (service openvswitch-switch start) or unset NETKIT_OVS",
      });
    }
  }
  return privateTarget(host);
}

/** The datapath for new bridges: the kernel's when its module is loaded, else userspace. */
export async function datapathType(): Promise<"system" | "netdev"> {
  return await exists("/sys/module/openvswitch") ? "system" : "netdev";
}

/**
 * Runs `fn` holding the private OVS's lock. Stopping the instance removes its directory, lock
 * file included, so after taking the lock we check that the file is still the one at the path
 * (same inode); if it was removed meanwhile, we take the new one instead.
 */
async function withOvsLock<T>(host: Host, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = host.privateOvsDir;
  for (;;) {
    await Deno.mkdir(join(dir, "users"), { recursive: true });
    const lock = await Deno.open(join(dir, "lock"), { create: true, write: true });
    try {
      await lock.lock(true);
      const held = await lock.stat();
      const current = await Deno.stat(join(dir, "lock")).catch(() => undefined);
      if (current?.ino !== held.ino) continue; // removed while we waited: lock the new one
      return await fn(dir);
    } finally {
      lock.close();
    }
  }
}

const userFile = (dir: string, user: string) => join(dir, "users", encodeURIComponent(user));

/** The steps that start the host's private OVS (see lib/ovs/daemons.ts). */
export async function privateOvsSteps(host: Host): Promise<Step[]> {
  return ovsDaemonSteps(host.privateOvsDir, { schema: await schemaPath() });
}

/** True when the host's private OVS would have to be started for a new lab. */
export async function privateOvsStopped(host: Host): Promise<boolean> {
  return !(await answers(privateTarget(host), host.runner));
}

/** The private OVS's own journal: its daemon steps, undone when it stops. */
const journalOf = (dir: string) => new Journal(join(dir, "journal.jsonl"));

/** Options for {@link startPrivateOvs}. */
export interface StartOvsOptions {
  /** Who uses it: a lab's state directory. @default {@link MANUAL_USER} */
  user?: string | undefined;
  /** Test hook: fail step k of the start (see the executor). */
  failAt?: number | undefined;
  /** Called before each step of the start. */
  onProgress?: ExecutorOptions["onProgress"];
}

/**
 * Starts the host's private OVS unless it already runs, and records the user (a lab's state
 * directory, or {@link MANUAL_USER}) as one of its users. The start is
 * {@link privateOvsSteps}, journaled in the run directory; a start that was interrupted is
 * undone first. Returns its target.
 *
 * @example
 * ```ts
 * import { resolveHost, startPrivateOvs } from "../../mod.ts";
 * const ovs = await startPrivateOvs(resolveHost());
 * console.log(ovs.db);
 * ```
 */
export async function startPrivateOvs(
  host: Host,
  options: StartOvsOptions = {},
): Promise<OvsTarget> {
  const user = options.user ?? MANUAL_USER;
  return await withOvsLock(host, async (dir) => {
    await Deno.writeTextFile(userFile(dir, user), user);
    const target = privateTarget(host);
    if (await answers(target, host.runner)) return target;
    const journal = journalOf(dir);
    const executor = new Executor({
      runner: host.runner,
      journal,
      ovs: target,
      failAt: options.failAt,
      onProgress: options.onProgress,
    });
    const stale = await journal.read();
    if (stale.length) {
      await executor.undo(stale);
      await journal.remove();
    }
    await executor.apply(await privateOvsSteps(host));
    return target;
  });
}

/**
 * Stops the private OVS when `user` is its only live user (the last lab on it is going away).
 * Returns true when it stopped it; false (and nothing changed) when another user needs it.
 */
export async function stopPrivateOvsIfSoleUser(host: Host, user: string): Promise<boolean> {
  if (!(await exists(host.privateOvsDir))) return false;
  return await withOvsLock(host, async (dir) => {
    for await (const entry of Deno.readDir(join(dir, "users"))) {
      const who = await Deno.readTextFile(join(dir, "users", entry.name)).catch(() => "");
      if (who === user) continue;
      if (who === MANUAL_USER || await exists(join(who, "lab.json"))) return false;
    }
    return await stopPrivateOvs(host);
  });
}

/**
 * Forgets `user` (when given) and any user whose lab is gone; stops the private OVS when no
 * user is left. Returns true when it stopped it.
 *
 * @example
 * ```ts
 * import { releasePrivateOvs, resolveHost } from "../../mod.ts";
 * await releasePrivateOvs(resolveHost());
 * ```
 */
export async function releasePrivateOvs(host: Host, user?: string): Promise<boolean> {
  if (!(await exists(host.privateOvsDir))) return false;
  return await withOvsLock(host, async (dir) => {
    if (user !== undefined) await Deno.remove(userFile(dir, user)).catch(() => {});
    let live = 0;
    for await (const entry of Deno.readDir(join(dir, "users"))) {
      const path = join(dir, "users", entry.name);
      const who = await Deno.readTextFile(path).catch(() => "");
      if (who === MANUAL_USER || await exists(join(who, "lab.json"))) live++;
      else await Deno.remove(path).catch(() => {});
    }
    return live === 0 ? await stopPrivateOvs(host) : false;
  });
}

/**
 * Stops the private OVS (if it runs) and removes its run directory, whoever uses it: its
 * journal is undone (a daemon is signalled only while it still is the process netkit started),
 * then the tap devices ovs-vswitchd made are removed. Prefer {@link releasePrivateOvs}, which
 * stops it only when no lab needs it. Returns true when a daemon was running.
 *
 * @example
 * ```ts
 * import { resolveHost, stopPrivateOvs } from "../../mod.ts";
 * await stopPrivateOvs(resolveHost());
 * ```
 */
export async function stopPrivateOvs(host: Host): Promise<boolean> {
  const dir = host.privateOvsDir;
  if (!(await exists(dir))) return false;
  const target = privateTarget(host);
  const running = (await ovsDaemonPid(target, "ovs-vswitchd", host.runner)) !== undefined ||
    (await ovsDaemonPid(target, "ovsdb-server", host.runner)) !== undefined;
  // The tap devices ovs-vswitchd made (bridges' own ports, internal ports) outlive it: note them
  // first, from netkit's own database; they are removed once it has gone.
  const taps = await internalInterfaces(target, host.runner);
  const journaled = await journalOf(dir).read();
  // Without a journal (an instance started before netkit journaled it): the same steps' undo.
  const entries = journaled.length
    ? journaled
    : (await privateOvsSteps(host)).map((s) => ({ key: s.key, undo: s.undo }));
  await new Executor({ runner: host.runner, ovs: target }).undo([
    {
      key: "ovs-taps",
      undo: [...taps, "ovs-netdev"].map((tap) => cmd("ip", "link", "delete", "dev", tap)),
    },
    ...entries,
  ]);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.remove(dirname(dir)).catch(() => {}); // /run/netkit, when nothing else is in it
  return running;
}

/** The names of the internal interfaces (tap devices with the userspace datapath) in `ovs`. */
async function internalInterfaces(ovs: OvsTarget, runner: Runner): Promise<string[]> {
  const r = await runner.run(
    vsctl(ovs, "--timeout=2", "--format=json", "--columns=name,type", "list", "Interface"),
    { allowFailure: true },
  ).catch(() => undefined);
  if (!r || r.code !== 0) return [];
  const rows = (JSON.parse(r.stdout) as { data: [string, string][] }).data;
  return rows.filter(([, type]) => type === "internal").map(([name]) => name);
}

/** The path of Open vSwitch's database schema; throws {@link UsageError} when not installed. */
export async function schemaPath(): Promise<string> {
  for (
    const p of [
      "/usr/share/openvswitch/vswitch.ovsschema",
      "/usr/local/share/openvswitch/vswitch.ovsschema",
    ]
  ) {
    if (await exists(p)) return p;
  }
  throw new UsageError("Open vSwitch's schema (vswitch.ovsschema) was not found", {
    hint: "install the Debian package openvswitch-switch",
  });
}

/** What `netkit ovs status` shows. */
export interface OvsStatus {
  /** Which OVS answers: the system's, netkit's private one, or none. */
  kind: "system" | "private" | "none";
  /** Its database address. */
  db?: string;
  /** Its run directory. */
  runDir?: string;
  /** Its daemons' pids. */
  pids?: Record<string, number>;
  /** The datapath new bridges get. */
  datapathType: "system" | "netdev";
}

/**
 * Reports which OVS is usable now.
 *
 * @example
 * ```ts
 * import { ovsStatus, resolveHost } from "../../mod.ts";
 * const status = await ovsStatus(resolveHost());
 * console.log(status.kind, status.db);
 * ```
 */
export async function ovsStatus(host: Host): Promise<OvsStatus> {
  const dp = await datapathType();
  const found = await runningPrivateOvs(host) ?? await systemOvs(host.runner);
  if (!found) return { kind: "none", datapathType: dp };
  const pids: Record<string, number> = {};
  for (const d of ["ovsdb-server", "ovs-vswitchd"]) {
    const pid = await ovsDaemonPid(found, d, host.runner);
    if (pid) pids[d] = pid;
  }
  return {
    kind: found.kind === "system" ? "system" : "private",
    db: found.db,
    runDir: found.runDir,
    pids,
    datapathType: dp,
  };
}
