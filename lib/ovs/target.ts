/**
 * Which Open vSwitch a command talks to, and how it is addressed. The one rule: netkit passes
 * `--db=unix:<run dir>/db.sock` to every `ovs-vsctl` for an OVS it runs itself (its private one,
 * or a sandboxed lab's own); the system's OVS is reached at ovs-vsctl's default address, so
 * plans, dry-runs and exported scripts for it read like the ovs-vsctl commands a person would type.
 *
 * @module
 */
import { join } from "node:path";

/** An OVS that netkit can talk to. */
export interface OvsTarget {
  /**
   * `system` (the host's), `private` (netkit's own, one per host) or `sandbox` (a sandboxed lab's
   * own, inside the lab's parent namespace; see lib/lab/sandbox.ts).
   */
  kind: "system" | "private" | "sandbox";
  /** The database address, e.g. `unix:/run/netkit/ovs/db.sock`. */
  db: string;
  /** The run directory (pid files, control sockets). */
  runDir: string;
}

/** An OVS whose files are in `runDir` (its database socket is `runDir/db.sock`). */
export function ovsTarget(kind: OvsTarget["kind"], runDir: string): OvsTarget {
  return { kind, db: `unix:${join(runDir, "db.sock")}`, runDir };
}

/** The `--db=` address netkit passes for `ovs`, or undefined (see the module doc). */
export function ovsDbOf(ovs: OvsTarget | undefined): string | undefined {
  return ovs && ovs.kind !== "system" ? ovs.db : undefined;
}

/**
 * How long an `ovs-vsctl` call to an OVS netkit runs may take (`--timeout`, seconds): a change
 * waits until ovs-vswitchd has applied it, and netkit may stop that ovs-vswitchd (`down` of the
 * last lab on it) while a call of a netkit killed mid-way still waits, which without a bound would
 * wait for ever. Far above any of netkit's transactions (at most 64,000 characters of commands,
 * about 1,000 ports: 2 s here).
 */
const OWN_OVS_TIMEOUT_S = 60;

/**
 * `argv` addressed to `ovs`: an `ovs-vsctl` command gets its `--db=` (see the module doc) and,
 * for an OVS netkit runs, a `--timeout` unless it has one.
 */
export function addressOvs(argv: readonly string[], ovs: OvsTarget | undefined): string[] {
  const db = ovsDbOf(ovs);
  if (db === undefined || argv[0] !== "ovs-vsctl") return [...argv];
  const timed = argv.some((w) => w.startsWith("--timeout="));
  return [
    "ovs-vsctl",
    `--db=${db}`,
    ...(timed ? [] : [`--timeout=${OWN_OVS_TIMEOUT_S}`]),
    ...argv.slice(1),
  ];
}

/**
 * The management socket of bridge `bridge` of the OVS whose run directory is `runDir`:
 * `unix:<run dir>/<bridge>.mgmt`, where `ovs-ofctl` reaches the bridge (ovs-vswitchd makes it in
 * its run directory: netkit's private OVS, a sandboxed lab's own and the system's alike).
 */
export function ovsMgmtSocket(runDir: string, bridge: string): string {
  return `unix:${runDir.replace(/\/+$/, "")}/${bridge}.mgmt`;
}

/** `ovs-vsctl [--db=...] ARGS` for `ovs`. */
export function vsctl(ovs: OvsTarget | undefined, ...args: string[]): string[] {
  return addressOvs(["ovs-vsctl", ...args], ovs);
}
