/**
 * Which Open vSwitch netkit talks to, and a private one when the host has none.
 *
 * - `system`: the host's own ovsdb-server answers on `/run/openvswitch/db.sock` (or
 *   `/var/run/openvswitch/db.sock`) and its ovs-vswitchd runs.
 * - `private`: netkit's own ovsdb-server and ovs-vswitchd with their run directory in the
 *   host's `privateOvsDir` (`$NETKIT_OVS_DIR`, default `/run/netkit/ovs`; see lib/host.ts). netkit starts it when a lab needs OVS and no
 *   system one is usable, and stops it when the last lab that used it is removed.
 *
 * There is one private OVS per host, whatever the state directory is: two userspace
 * ovs-vswitchd on one host fight over the `ovs-netdev` device and neither can create bridges.
 * Each lab that uses it leaves a file in `users/` naming its state directory; a user whose
 * `lab.json` is gone no longer counts, and when no user is left the instance stops. All of this
 * happens under one lock, so concurrent labs never start two instances or stop a used one.
 *
 * The host's `ovsMode` (`NETKIT_OVS=system|private|auto`, default `auto`) forces the choice; the
 * tests use `private`.
 * Without the openvswitch kernel module, bridges use the userspace datapath (`netdev`), where
 * internal ports are tap devices that can be moved into namespaces and VLAN tags work.
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { Runner } from "../exec/runner.ts";
import type { Host } from "../host.ts";
import { UsageError } from "../errors.ts";
import { pathExists } from "../state.ts";
import { type OvsTarget, ovsTarget, vsctl } from "./target.ts";

export type { OvsTarget } from "./target.ts";

const SYSTEM_DIRS = ["/run/openvswitch", "/var/run/openvswitch"];

/** A user that keeps the private OVS running regardless of labs (`netkit ovs start`). */
export const MANUAL_USER = "manual";

/** The host's private instance as a target (whether or not it runs). */
export function privateTarget(host: Host): OvsTarget {
  return ovsTarget("private", host.privateOvsDir);
}

const exists = pathExists;

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

/** True when an ovsdb-server answers at `db` and an ovs-vswitchd runs beside it. */
async function answers(target: OvsTarget, runner: Runner): Promise<boolean> {
  if (!(await pidAlive(join(target.runDir, "ovs-vswitchd.pid")))) return false;
  const r = await runner.run(
    vsctl(target, "--timeout=2", "get", "Open_vSwitch", ".", "ovs_version"),
    { allowFailure: true },
  ).catch(() => ({ code: 1 }));
  return r.code === 0;
}

/** The system OVS when it is usable, else undefined. */
export async function systemOvs(runner: Runner): Promise<OvsTarget | undefined> {
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

/**
 * Starts the private OVS unless it already runs, and records `user` (a lab's state directory,
 * or {@link MANUAL_USER}) as one of its users. Returns its target.
 */
export async function startPrivateOvs(host: Host, user: string = MANUAL_USER): Promise<OvsTarget> {
  return await withOvsLock(host, async (dir) => {
    await Deno.writeTextFile(userFile(dir, user), user);
    const target = privateTarget(host);
    if (await answers(target, host.runner)) return target;
    await launch(dir, target, host.runner);
    return target;
  });
}

async function launch(dir: string, target: OvsTarget, runner: Runner): Promise<void> {
  const db = join(dir, "conf.db");
  if (!(await exists(db))) {
    await runner.run(["ovsdb-tool", "create", db, await schemaPath()]);
  }
  if (!(await pidAlive(join(dir, "ovsdb-server.pid")))) {
    await runner.run([
      "ovsdb-server",
      db,
      `--remote=punix:${join(dir, "db.sock")}`,
      `--pidfile=${join(dir, "ovsdb-server.pid")}`,
      `--unixctl=${join(dir, "ovsdb-server.ctl")}`,
      `--log-file=${join(dir, "ovsdb-server.log")}`,
      "--detach",
    ]);
  }
  await runner.run(vsctl(target, "--no-wait", "init"));
  if (!(await pidAlive(join(dir, "ovs-vswitchd.pid")))) {
    await runner.run([
      "ovs-vswitchd",
      `unix:${join(dir, "db.sock")}`,
      `--pidfile=${join(dir, "ovs-vswitchd.pid")}`,
      `--unixctl=${join(dir, "ovs-vswitchd.ctl")}`,
      `--log-file=${join(dir, "ovs-vswitchd.log")}`,
      "--detach",
    ], { env: { OVS_RUNDIR: dir } });
  }
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
 * Stops the private OVS (if it runs) and removes its run directory, whoever uses it. Prefer
 * {@link releasePrivateOvs}, which stops it only when no lab needs it.
 */
export async function stopPrivateOvs(host: Host): Promise<boolean> {
  const dir = host.privateOvsDir;
  const runner = host.runner;
  if (!(await exists(dir))) return false;
  // The tap devices ovs-vswitchd made (bridges' own ports, internal ports) outlive it: note them
  // first, from netkit's own database, and remove them once it has gone.
  const taps = await internalInterfaces(privateTarget(host), runner);
  let stopped = false;
  for (const daemon of ["ovs-vswitchd", "ovsdb-server"]) {
    const pidFile = join(dir, `${daemon}.pid`);
    const ctl = join(dir, `${daemon}.ctl`);
    const pid = await pidAlive(pidFile);
    if (pid === undefined && !(await exists(ctl))) continue;
    if (daemon === "ovs-vswitchd" && pid !== undefined) {
      // SIGTERM ends it at once; `ovs-appctl exit` makes a userspace switch close its ports one
      // by one first (about 15 ms each), which is seconds for a large lab.
      await runner.run(["kill", "-s", "TERM", String(pid)], { allowFailure: true });
    } else {
      // Through the control socket: it works even when the pid file is missing.
      await runner.run(["ovs-appctl", "-t", ctl, "exit"], { allowFailure: true }).catch(() => {});
    }
    for (let i = 0; i < 250 && pid !== undefined && await pidAlive(pidFile); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    if (pid !== undefined && await pidAlive(pidFile)) {
      await runner.run(["kill", "-s", "KILL", String(pid)], { allowFailure: true });
    }
    stopped = true;
  }
  for (const tap of [...taps, "ovs-netdev"]) {
    await runner.run(["ip", "link", "delete", "dev", tap], { allowFailure: true }).catch(() => {});
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.remove(dirname(dir)).catch(() => {}); // /run/netkit, when nothing else is in it
  return stopped;
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
  kind: "system" | "private" | "none";
  db?: string;
  runDir?: string;
  pids?: Record<string, number>;
  datapathType: "system" | "netdev";
}

/** Reports which OVS is usable now. */
export async function ovsStatus(host: Host): Promise<OvsStatus> {
  const dp = await datapathType();
  const found = await runningPrivateOvs(host) ?? await systemOvs(host.runner);
  if (!found) return { kind: "none", datapathType: dp };
  const pids: Record<string, number> = {};
  for (const d of ["ovsdb-server", "ovs-vswitchd"]) {
    const pid = await pidAlive(join(found.runDir, `${d}.pid`));
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
