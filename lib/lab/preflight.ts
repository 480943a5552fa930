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
import type { Lab } from "./schema.ts";
import { layoutOf } from "./validate.ts";
import { bondNames } from "./validate_ovs.ts";

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
};

/** The programs a plan runs (looking through `ip netns exec NS`). */
export function programsOf(steps: readonly Step[]): Set<string> {
  const programs = new Set<string>();
  for (const step of steps) {
    for (const action of [...step.do, ...step.undo]) {
      if (!isRun(action)) continue;
      const a = action.argv;
      programs.add(a[0]!);
      if (a[0] === "ip" && a[1] === "netns" && a[2] === "exec" && a[4]) programs.add(a[4]);
    }
  }
  return programs;
}

/** The path of `program` in the host's search path, or undefined. */
export async function which(host: Host, program: string): Promise<string | undefined> {
  for (const dir of host.path) {
    try {
      const info = await Deno.stat(join(dir, program));
      if (info.isFile && (info.mode ?? 0o111) & 0o111) return join(dir, program);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Throws {@link UsageError} unless running as root. */
export function requireRoot(what = "This command"): void {
  if (Deno.uid() !== 0) {
    throw new UsageError(`${what} needs root: it creates namespaces and interfaces`, {
      hint: "run it with sudo",
    });
  }
}

/** Throws {@link UsageError} naming every missing tool and its Debian package. */
export async function requireTools(host: Host, programs: Iterable<string>): Promise<void> {
  const missing: string[] = [];
  for (const p of new Set(programs)) if (!(await which(host, p))) missing.push(p);
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

/** The interface names in the root namespace. */
export async function hostLinks(runner: Runner): Promise<Set<string>> {
  const r = await runner.run(["ip", "-j", "link", "show"]);
  return new Set((JSON.parse(r.stdout || "[]") as { ifname: string }[]).map((l) => l.ifname));
}

async function ovsNames(ovs: OvsTarget | undefined, runner: Runner): Promise<Set<string>> {
  if (!ovs) return new Set();
  const r = await runner.run(
    vsctl(ovs, "--timeout=5", "--format=json", "--columns=name", "list", "Port"),
    { allowFailure: true },
  );
  if (r.code !== 0) return new Set();
  const data = JSON.parse(r.stdout) as { data: [string][] };
  return new Set(data.data.map(([n]) => n));
}

/**
 * Throws {@link UsageError} when a namespace, interface or OVS port that the lab would create
 * already exists. `ovs` is the running OVS to ask, if any.
 */
export async function requireNoConflicts(
  lab: Lab,
  ovs: OvsTarget | undefined,
  runner: Runner,
): Promise<void> {
  const [namespaces, links, ports] = await Promise.all([
    hostNamespaces(),
    hostLinks(runner),
    ovsNames(ovs, runner),
  ]);
  const conflicts: string[] = [];
  for (const ns of Object.keys(lab.nodes)) {
    if (namespaces.has(ns)) conflicts.push(`namespace "${ns}"`);
  }
  for (const name of layoutOf(lab).rootIfaces) {
    if (links.has(name)) conflicts.push(`interface "${name}"`);
    else if (ports.has(name)) conflicts.push(`OVS port or bridge "${name}"`);
  }
  for (const name of bondNames(lab)) {
    if (ports.has(name)) conflicts.push(`OVS port "${name}" (a bond of the lab)`);
  }
  if (conflicts.length) {
    throw new UsageError(
      `Lab "${lab.name}" would create what already exists on this host: ${conflicts.join(", ")}`,
      {
        hint:
          "netkit never adopts or deletes what it did not create: remove them yourself, or use --prefix for other names",
      },
    );
  }
}
