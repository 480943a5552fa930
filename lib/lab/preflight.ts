/**
 * Checks made before the first change: root, the tools the plan calls, and that nothing the lab
 * would create already exists on the host. A pre-existing object is never adopted or deleted.
 *
 * @module
 */
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import type { Runner } from "../exec/runner.ts";
import type { Host } from "../host.ts";
import { isRun, type Step } from "../plan/step.ts";
import { type OvsTarget, vsctl } from "../ovs/target.ts";
import { hostNamesOf } from "../reach.ts";
import type { Lab } from "./schema.ts";
import type { DocPath } from "./validate.ts";
import { bondNames } from "./validate_ovs.ts";
import { sleep } from "../units.ts";

/** The Debian package that provides each tool netkit calls. */
export const PACKAGE_OF: Record<string, string> = {
  ip: "iproute2",
  "ovs-vsctl": "openvswitch-switch",
  "ovs-appctl": "openvswitch-switch",
  "ovs-ofctl": "openvswitch-switch",
  "ovsdb-server": "openvswitch-switch",
  "ovsdb-tool": "openvswitch-switch",
  "ovs-vswitchd": "openvswitch-switch",
  dnsmasq: "dnsmasq-base",
  busybox: "busybox",
  iptables: "iptables",
  nft: "nftables",
  ping: "iputils-ping",
  tcpdump: "tcpdump",
  iperf3: "iperf3",
  sysctl: "procps",
  pkill: "procps",
  kill: "procps",
  tc: "iproute2",
  mkdir: "coreutils",
  unshare: "util-linux",
  dhclient: "isc-dhcp-client",
  vtysh: "frr",
  "/usr/lib/frr/zebra": "frr",
  "/usr/lib/frr/ospfd": "frr",
  "/usr/lib/frr/ospf6d": "frr",
  "/usr/lib/frr/bgpd": "frr",
  nsenter: "util-linux",
};

/**
 * The programs a plan runs (looking through `ip netns exec NS`, and at the known daemons a wrapper
 * starts); with `ip -n NS` commands, also `nsenter`, which the executor runs a namespace's batch
 * with (lib/exec/netns_argv.ts).
 */
export function programsOf(steps: readonly Step[]): Set<string> {
  const programs = new Set<string>();
  for (const step of steps) {
    for (const action of [...step.do, ...step.undo]) {
      if ("stopDaemon" in action) programs.add("kill");
      if (!isRun(action)) continue;
      const a = action.argv;
      programs.add(a[0]!);
      if (a[0] === "ip" && (a[1] === "-n" || a[1] === "netns")) programs.add("nsenter");
      if (a[0] === "ip" && a[1] === "netns" && a[2] === "exec" && a[4]) programs.add(a[4]);
      // A daemon started through a wrapper (FRR's: `unshare ... sh SCRIPT DIR /usr/lib/frr/zebra`).
      for (const w of a.slice(1)) {
        if (w.startsWith("/") && Object.hasOwn(PACKAGE_OF, w)) programs.add(w);
      }
    }
  }
  return programs;
}

/**
 * The path of `program` in the host's search path (or `program` itself when absolute), or
 * undefined. Synchronous: a few dozen `stat`s take well under a millisecond this way, while as
 * many asynchronous ones queued behind a large lab's plan took 10-30 ms (a profile of `up`).
 */
export function which(host: Host, program: string): string | undefined {
  const executable = (path: string) => {
    try {
      const info = Deno.statSync(path);
      return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
    } catch {
      return false; // not there
    }
  };
  if (program.startsWith("/")) return executable(program) ? program : undefined;
  return host.path.map((dir) => join(dir, program)).find(executable);
}

/** Throws {@link UsageError} naming every missing tool and its Debian package. */
export function requireTools(host: Host, programs: Iterable<string>): void {
  const missing = [...new Set(programs)].filter((p) => which(host, p) === undefined);
  if (missing.length) {
    const pkgs = [...new Set(missing.map((m) => PACKAGE_OF[m] ?? m))];
    throw new UsageError(`Missing tool(s): ${missing.join(", ")}`, {
      hint: `install them: apt-get install ${pkgs.join(" ")}`,
    });
  }
}

/** The namespaces that exist on the host. */
export async function hostNamespaces(): Promise<Set<string>> {
  const names = new Set<string>();
  try {
    for await (const e of Deno.readDir("/run/netns")) names.add(e.name);
  } catch {
    // no namespaces yet
  }
  return names;
}

/** How long {@link settledLinks} waits for vanishing veth ends, in milliseconds. */
const VANISHING_MS = 3000;

/**
 * The interface names (and alternative names) in the root namespace, once none of `wanted` is a
 * veth end on its way out. `ip netns delete` returns at once, but the kernel removes the
 * namespace's devices, and with them the root ends of their veth pairs, a little later: a lab
 * brought up right after `down` would otherwise meet its own vanishing interfaces. So while every
 * wanted name that is present is a veth, this waits (bounded) for them to go; anything else (a
 * NIC, a bridge) is a conflict at once.
 */
async function settledLinks(runner: Runner, wanted: readonly string[]): Promise<Set<string>> {
  const deadline = performance.now() + VANISHING_MS;
  for (;;) {
    const r = await runner.run(["ip", "-j", "-d", "link", "show"]);
    const links = JSON.parse(r.stdout || "[]") as {
      ifname: string;
      altnames?: string[];
      linkinfo?: { info_kind?: string };
    }[];
    const present = links.filter((l) => wanted.includes(l.ifname));
    const vanishing = present.length > 0 &&
      present.every((l) => l.linkinfo?.info_kind === "veth");
    if (!vanishing || performance.now() >= deadline) {
      return new Set(links.flatMap((l) => [l.ifname, ...(l.altnames ?? [])]));
    }
    await sleep(20);
  }
}

async function ovsNames(ovs: OvsTarget | undefined, runner: Runner): Promise<Set<string>> {
  if (!ovs) return new Set();
  const names = new Set<string>();
  for (const table of ["Port", "Interface"]) {
    const r = await runner.run(
      vsctl(ovs, "--timeout=5", "--format=json", "--columns=name", "list", table),
      { allowFailure: true },
    );
    if (r.code !== 0) continue;
    for (const [n] of (JSON.parse(r.stdout) as { data: [string][] }).data) names.add(n);
  }
  return names;
}

/** One object a lab would create that exists already. */
interface HostConflict {
  /** What it is, e.g. `interface "eth0"`. */
  what: string;
  /** Where the lab names it. */
  path: DocPath;
}

/**
 * A lab would create what already exists on the host (exit code 2, nothing changed).
 * `conflicts` says what and where the lab names it, so that a lab file can point at the line.
 */
export class HostConflictError extends UsageError {
  constructor(readonly lab: string, readonly conflicts: HostConflict[]) {
    super(
      `Lab "${lab}" would create what already exists on this host: ${
        conflicts.map((c) => c.what).join(", ")
      }`,
      { hint: CONFLICT_HINT },
    );
    this.name = "HostConflictError";
  }
}

/** What to do about a conflict. */
const CONFLICT_HINT =
  "netkit never adopts or deletes what it did not create: remove them yourself, or use --prefix for other names";

/**
 * Throws {@link HostConflictError} when a namespace, interface or OVS port or bridge that the
 * lab would create already exists: every name of {@link hostNamesOf} (lib/reach.ts), OVS
 * internal ports included before they move into their node, checked against interface names
 * and alternative names. `ovs` is the running OVS to ask, if any.
 */
export async function requireNoConflicts(
  lab: Lab,
  ovs: OvsTarget | undefined,
  runner: Runner,
): Promise<void> {
  const names = hostNamesOf(lab);
  const [namespaces, links, ports] = await Promise.all([
    hostNamespaces(),
    settledLinks(runner, [...names.links.keys()]),
    ovsNames(ovs, runner),
  ]);
  const conflicts: HostConflict[] = [];
  for (const [ns, path] of names.namespaces) {
    if (namespaces.has(ns)) conflicts.push({ what: `namespace "${ns}"`, path });
  }
  for (const [name, path] of names.links) {
    if (links.has(name)) conflicts.push({ what: `interface "${name}"`, path });
    else if (ports.has(name)) conflicts.push({ what: `OVS port or bridge "${name}"`, path });
  }
  for (const [bname, bridge] of Object.entries(lab.bridges)) {
    for (const port of Object.keys(bridge.ports)) {
      if (!bondNames(lab).includes(port) || !ports.has(port)) continue;
      conflicts.push({
        what: `OVS port "${port}" (a bond of the lab)`,
        path: ["bridges", bname, "ports", port],
      });
    }
  }
  if (conflicts.length) throw new HostConflictError(lab.name, conflicts);
}
