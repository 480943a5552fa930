/**
 * The Open vSwitch daemons netkit runs itself, as steps: its private OVS (one per host, lib/ovs/
 * instance.ts) and a sandboxed lab's own (inside the lab's parent namespace, lib/lab/
 * sandbox.ts). Both are built here, by {@link ovsDaemonSteps}, and carried out and journaled by
 * the executor like any other step, so that a crash during their start is cleaned up by `down`
 * and `clean` like anything else.
 *
 * @module
 */
import { join } from "node:path";
import { cmd, type Step } from "../plan/step.ts";

/** Options for {@link ovsDaemonSteps}. */
interface OvsDaemonOptions {
  /** Run both daemons inside this network namespace. @default the current one */
  ns?: string | undefined;
  /** Open vSwitch's database schema (`vswitch.ovsschema`; see `schemaPath()`). */
  schema: string;
}

/**
 * `ovsdb-server` and `ovs-vswitchd` with every file in `dir`: the database (`conf.db`, made with
 * `ovsdb-tool create`), the socket `db.sock`, pid files, control sockets and logs. `ovs-vsctl`
 * gets its `--db=unix:DIR/db.sock` from the executor (lib/ovs/target.ts).
 *
 * Each daemon is noted when it has started and stopped by its pid file only while it still is
 * that process (lib/exec/daemon.ts): SIGTERM ends ovs-vswitchd at once, where `ovs-appctl exit`
 * makes a userspace switch close its ports one by one (about 15 ms each). The tap devices the
 * switch made outlive it: a sandboxed lab's go with its parent namespace, the private OVS's are
 * removed when it stops (lib/ovs/instance.ts).
 *
 * @example The steps of a private OVS in /run/netkit/ovs
 * ```ts
 * import { ovsDaemonSteps } from "./daemons.ts";
 * const steps = ovsDaemonSteps("/run/netkit/ovs", {
 *   schema: "/usr/share/openvswitch/vswitch.ovsschema",
 * });
 * console.log(steps.map((s) => s.summary));
 * ```
 */
export function ovsDaemonSteps(dir: string, options: OvsDaemonOptions): Step[] {
  const { ns, schema } = options;
  const f = (name: string) => join(dir, name);
  const inNs = (argv: string[]) => (ns === undefined ? argv : ["ip", "netns", "exec", ns, ...argv]);
  const where = ns === undefined ? `in ${dir}` : `in ${ns}`;
  const daemonFiles = (d: string) => [f(`${d}.pid`), f(`${d}.log`), f(`${d}.ctl`)];
  const stop = (d: string) => ({ stopDaemon: f(`${d}.pid`), program: d });
  return [
    {
      key: `daemon:ovsdb-server@${ns ?? dir}`,
      summary: `start ovsdb-server ${where}`,
      do: [
        cmd("mkdir", "-p", dir),
        cmd("ovsdb-tool", "create", f("conf.db"), schema),
        cmd(...inNs([
          "ovsdb-server",
          f("conf.db"),
          `--remote=punix:${f("db.sock")}`,
          `--pidfile=${f("ovsdb-server.pid")}`,
          `--unixctl=${f("ovsdb-server.ctl")}`,
          `--log-file=${f("ovsdb-server.log")}`,
          "--detach",
        ])),
        { recordDaemon: f("ovsdb-server.pid"), program: "ovsdb-server" },
        cmd("ovs-vsctl", "--no-wait", "init"),
      ],
      undo: [
        stop("ovsdb-server"),
        ...[...daemonFiles("ovsdb-server"), f("conf.db"), f(".conf.db.~lock~"), f("db.sock")]
          .map((remove) => ({ remove })),
      ],
      pidFile: f("ovsdb-server.pid"),
    },
    {
      key: `daemon:ovs-vswitchd@${ns ?? dir}`,
      summary: `start ovs-vswitchd ${where}`,
      do: [
        cmd(...inNs([
          "env",
          `OVS_RUNDIR=${dir}`,
          "ovs-vswitchd",
          `unix:${f("db.sock")}`,
          `--pidfile=${f("ovs-vswitchd.pid")}`,
          `--unixctl=${f("ovs-vswitchd.ctl")}`,
          `--log-file=${f("ovs-vswitchd.log")}`,
          "--detach",
        ])),
        { recordDaemon: f("ovs-vswitchd.pid"), program: "ovs-vswitchd" },
      ],
      undo: [stop("ovs-vswitchd"), ...daemonFiles("ovs-vswitchd").map((remove) => ({ remove }))],
      pidFile: f("ovs-vswitchd.pid"),
    },
  ];
}
