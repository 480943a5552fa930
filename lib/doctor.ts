/**
 * `netkit doctor` as data: can netkit work on this host, and what to install when it cannot.
 *
 * Kernel features are tested, not guessed: as root, the doctor creates a throwaway network
 * namespace (`netkit-doctor-PID`), tries to create a veth pair, a Linux bridge and a tap device
 * inside it and to list its NAT table, then deletes it (always); the tbf and netem qdiscs are
 * tried in an anonymous namespace of `unshare` (lib/lab/qdisc.ts). Without root it can only read
 * `/sys/module` and says so.
 *
 * @module
 */
import { CommandError, type Runner } from "./exec/runner.ts";
import { Executor, StepError } from "./plan/executor.ts";
import { createNs } from "./primitives/netns.ts";
import type { Host } from "./host.ts";
import { PACKAGE_OF, which } from "./lab/preflight.ts";
import { ovsStatus } from "./ovs/instance.ts";
import { pathExists } from "./state.ts";
import { hasQdisc } from "./lab/qdisc.ts";

/**
 * How a row came out. `fail`: netkit cannot work. `warn`: some labs or features will not work.
 * `skip`: could not be tested (for example without root).
 */
export type DoctorStatus = "ok" | "warn" | "fail" | "skip";

/** One line of the doctor's report. */
interface DoctorRow {
  /** What was checked, e.g. `tool ip` or `kernel: veth`. */
  check: string;
  /** How it came out. */
  status: DoctorStatus;
  /** What was found (a version, an error message). */
  detail: string;
  /** How to fix it (a Debian package to install, "run as root"), for rows that are not ok. */
  fix?: string;
}

/** The whole report. */
export interface DoctorReport {
  /** False when at least one row failed: netkit cannot work here. */
  ok: boolean;
  /** Every check, in order. */
  rows: DoctorRow[];
}

/** A tool netkit calls, how to ask its version, and whether netkit is useless without it. */
interface ToolSpec {
  name: string;
  program: string;
  versionArgv: string[];
  /** The line of what `versionArgv` prints that holds the version (default: the first). */
  versionLine?: RegExp;
  essential: boolean;
  usedFor: string;
}

const TOOLS: ToolSpec[] = [
  {
    name: "ip",
    program: "ip",
    versionArgv: ["ip", "-V"],
    essential: true,
    usedFor: "every lab",
  },
  {
    name: "nsenter",
    program: "nsenter",
    versionArgv: ["nsenter", "--version"],
    essential: true,
    usedFor: "every lab (each namespace's batch of ip commands)",
  },
  {
    name: "ovs-vsctl",
    program: "ovs-vsctl",
    versionArgv: ["ovs-vsctl", "--version"],
    essential: false,
    usedFor: "OVS labs",
  },
  {
    name: "ovsdb-server",
    program: "ovsdb-server",
    versionArgv: ["ovsdb-server", "--version"],
    essential: false,
    usedFor: "OVS labs",
  },
  {
    name: "ovs-vswitchd",
    program: "ovs-vswitchd",
    versionArgv: ["ovs-vswitchd", "--version"],
    essential: false,
    usedFor: "OVS labs",
  },
  {
    name: "dnsmasq",
    program: "dnsmasq",
    versionArgv: ["dnsmasq", "--version"],
    essential: false,
    usedFor: "DHCP servers",
  },
  {
    name: "busybox udhcpc",
    program: "busybox",
    versionArgv: ["busybox"],
    essential: false,
    usedFor: "DHCP clients",
  },
  {
    name: "dhclient",
    program: "dhclient",
    versionArgv: ["dhclient", "--version"],
    essential: false,
    usedFor: "DHCPv6 clients",
  },
  {
    name: "FRR zebra",
    program: "/usr/lib/frr/zebra",
    versionArgv: ["/usr/lib/frr/zebra", "--version"],
    essential: false,
    usedFor: "routing (OSPF, BGP)",
  },
  {
    name: "vtysh",
    program: "vtysh",
    // vtysh has no --version; its help names the version: "... for FRR (version 8.4.4)".
    versionArgv: ["vtysh", "--help"],
    versionLine: /\(version [^)]+\)/,
    essential: false,
    usedFor: "routing (exec NODE -- vtysh)",
  },
  {
    name: "iptables",
    program: "iptables",
    versionArgv: ["iptables", "--version"],
    essential: false,
    usedFor: "NAT",
  },
  {
    name: "ping",
    program: "ping",
    versionArgv: ["ping", "-V"],
    essential: true,
    usedFor: "proofs",
  },
  {
    name: "tcpdump",
    program: "tcpdump",
    versionArgv: ["tcpdump", "--version"],
    essential: false,
    usedFor: "capture proofs",
  },
  {
    name: "tc",
    program: "tc",
    versionArgv: ["tc", "-V"],
    essential: false,
    usedFor: "impairments (rate, loss, delay)",
  },
  {
    name: "nft",
    program: "nft",
    versionArgv: ["nft", "--version"],
    essential: false,
    usedFor: "impairment loss without netem",
  },
  {
    name: "iperf3",
    program: "iperf3",
    versionArgv: ["iperf3", "--version"],
    essential: false,
    usedFor: "throughput proofs (QoS)",
  },
  {
    name: "sysctl",
    program: "sysctl",
    versionArgv: ["sysctl", "--version"],
    essential: false,
    usedFor: "routers (ip_forward)",
  },
  {
    name: "pkill",
    program: "pkill",
    versionArgv: ["pkill", "--version"],
    essential: false,
    usedFor: "stopping daemons",
  },
];

const apt = (pkg: string) => `apt-get install ${pkg}`;

/**
 * The first line of what `argv` prints (stdout, else stderr), or the first that matches `line`;
 * undefined when it fails.
 */
async function firstLine(
  argv: string[],
  runner: Runner,
  line?: RegExp,
): Promise<string | undefined> {
  try {
    const r = await runner.run(argv, { allowFailure: true });
    const lines = (r.stdout.trim() || r.stderr.trim()).split("\n");
    const text = (line ? lines.find((l) => line.test(l)) : lines[0])?.trim();
    return text || undefined;
  } catch {
    return undefined;
  }
}

async function toolRow(t: ToolSpec, host: Host): Promise<DoctorRow> {
  const runner = host.runner;
  const check = `tool ${t.name}`;
  const path = which(host, t.program);
  const bad: DoctorStatus = t.essential ? "fail" : "warn";
  const fix = apt(PACKAGE_OF[t.program] ?? t.program);
  if (!path) {
    return { check, status: bad, detail: `not found on PATH (needed for ${t.usedFor})`, fix };
  }
  if (t.name === "busybox udhcpc") {
    const list = await runner.run(["busybox", "--list"], { allowFailure: true })
      .catch(() => ({ code: 1, stdout: "" }));
    if (!list.stdout.split("\n").includes("udhcpc")) {
      return {
        check,
        status: bad,
        detail: `${path} has no udhcpc applet (needed for ${t.usedFor})`,
        fix: apt("busybox"),
      };
    }
  }
  const version = await firstLine(t.versionArgv, runner, t.versionLine);
  return { check, status: "ok", detail: version ? `${version} (${path})` : path };
}

const exists = pathExists;

async function ovsRow(host: Host): Promise<DoctorRow> {
  const check = "Open vSwitch";
  const mode = host.ovsMode;
  const s = await ovsStatus(host).catch(() => undefined);
  if (s && s.kind !== "none" && !(mode === "private" && s.kind === "system")) {
    return {
      check,
      status: "ok",
      detail: `${s.kind} OVS answers at ${s.db} (datapath for new bridges: ${s.datapathType})`,
    };
  }
  if (mode === "system") {
    return {
      check,
      status: "warn",
      detail: "NETKIT_OVS=system, but no system Open vSwitch answers",
      fix: "service openvswitch-switch start (or unset NETKIT_OVS)",
    };
  }
  const missing: string[] = [];
  const programs = ["ovs-vsctl", "ovs-ofctl", "ovsdb-server", "ovs-vswitchd", "ovsdb-tool"];
  for (const p of [...programs, "ovs-appctl"]) {
    if (!which(host, p)) missing.push(p);
  }
  const schema = await exists("/usr/share/openvswitch/vswitch.ovsschema") ||
    await exists("/usr/local/share/openvswitch/vswitch.ovsschema");
  if (missing.length || !schema) {
    return {
      check,
      status: "warn",
      detail: `no OVS runs and netkit cannot start its own: ${
        missing.length ? `missing ${missing.join(", ")}` : "vswitch.ovsschema not found"
      } (OVS labs will not work)`,
      fix: apt("openvswitch-switch"),
    };
  }
  const dp = s?.datapathType ?? "netdev";
  if (dp === "netdev" && await exists("/sys/class/net/ovs-netdev")) {
    const others = await vswitchds();
    return {
      check,
      status: "warn",
      detail: `none that netkit would use runs, and another userspace OVS${
        others.length ? ` (ovs-vswitchd pid ${others.join(", ")})` : ""
      } holds the ovs-netdev device: netkit's own could not create bridges (OVS labs will fail)`,
      fix: "stop that ovs-vswitchd",
    };
  }
  return {
    check,
    status: "ok",
    detail: `none runs${
      mode === "private" ? " (NETKIT_OVS=private)" : ""
    }: netkit will start its own (datapath ${dp})`,
  };
}

/** The pids of running ovs-vswitchd processes. */
async function vswitchds(): Promise<number[]> {
  const pids: number[] = [];
  try {
    for await (const e of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      const comm = await Deno.readTextFile(`/proc/${e.name}/comm`).catch(() => "");
      if (comm.trim() === "ovs-vswitchd") pids.push(Number(e.name));
    }
  } catch {
    // no /proc: nothing to report
  }
  return pids.sort((a, b) => a - b);
}

/** Runs `argv`; returns undefined on success, else a one-line reason. */
async function attempt(argv: string[], runner: Runner): Promise<string | undefined> {
  try {
    const r = await runner.run(argv, { allowFailure: true });
    if (r.code === 0) return undefined;
    return (r.stderr.trim() || r.stdout.trim() || `exit ${r.code}`).split("\n")[0];
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const KERNEL = [
  {
    name: "veth",
    module: "veth",
    essential: true,
    argv: (
      ns: string,
    ) => ["ip", "-n", ns, "link", "add", "dk0", "type", "veth", "peer", "name", "dk1"],
    undo: (ns: string) => ["ip", "-n", ns, "link", "del", "dk0"],
    fix: "a kernel with CONFIG_VETH (modprobe veth)",
  },
  {
    name: "bridge",
    module: "bridge",
    essential: false,
    argv: (ns: string) => ["ip", "-n", ns, "link", "add", "dkbr0", "type", "bridge"],
    undo: (ns: string) => ["ip", "-n", ns, "link", "del", "dkbr0"],
    fix: "a kernel with CONFIG_BRIDGE (modprobe bridge)",
  },
  {
    name: "tun/tap",
    module: "tun",
    essential: false,
    argv: (ns: string) => ["ip", "-n", ns, "tuntap", "add", "dev", "dktap0", "mode", "tap"],
    undo: (ns: string) => ["ip", "-n", ns, "tuntap", "del", "dev", "dktap0", "mode", "tap"],
    fix: "a kernel with CONFIG_TUN (modprobe tun); needed by OVS's userspace datapath",
  },
];

/** Kernel rows as root: everything tried inside a throwaway namespace that is always deleted. */
async function kernelRowsAsRoot(host: Host, hasIp: boolean): Promise<DoctorRow[]> {
  const runner = host.runner;
  const rows: DoctorRow[] = [];
  if (!hasIp) {
    for (const k of ["veth", "bridge", "tun/tap", "NAT (iptables nat table)"]) {
      rows.push({
        check: `kernel: ${k}`,
        status: "skip",
        detail: "not tested: needs ip",
        fix: apt("iproute2"),
      });
    }
    return rows;
  }
  // The throwaway namespace is a step like any other: created and always removed by the
  // executor (the attempts below only make objects inside it, which go with it).
  const ns = `netkit-doctor-${Deno.pid}`;
  const namespace = createNs(ns);
  const executor = new Executor({ runner });
  try {
    await executor.apply([namespace]);
  } catch (error) {
    const cause = error instanceof StepError ? error.cause : error;
    rows.push({
      check: "network namespaces: ip netns add",
      status: "fail",
      detail: (cause instanceof CommandError ? cause.stderr.trim() || cause.message : String(cause))
        .split("\n")[0]!,
      fix: "a kernel with CONFIG_NET_NS",
    });
    return rows;
  }
  try {
    rows.push({
      check: "network namespaces: ip netns add",
      status: "ok",
      detail: `created and deleted ${ns}`,
    });
    for (const k of KERNEL) {
      const e = await attempt(k.argv(ns), runner);
      if (!e) await attempt(k.undo(ns), runner);
      rows.push(
        e
          ? {
            check: `kernel: ${k.name}`,
            status: k.essential ? "fail" : "warn",
            detail: e,
            fix: k.fix,
          }
          : { check: `kernel: ${k.name}`, status: "ok", detail: `created one in ${ns}` },
      );
    }
    if (which(host, "iptables")) {
      const e = await attempt(
        ["ip", "netns", "exec", ns, "iptables", "-t", "nat", "-L", "-n"],
        runner,
      );
      rows.push(
        e
          ? {
            check: "kernel: NAT (iptables nat table)",
            status: "warn",
            detail: e,
            fix:
              "a kernel with CONFIG_NF_NAT and CONFIG_IP_NF_NAT or nftables (modprobe iptable_nat)",
          }
          : {
            check: "kernel: NAT (iptables nat table)",
            status: "ok",
            detail: `iptables -t nat -L works in ${ns}`,
          },
      );
    } else {
      rows.push({
        check: "kernel: NAT (iptables nat table)",
        status: "skip",
        detail: "not tested: needs iptables",
        fix: apt("iptables"),
      });
    }
  } finally {
    await executor.undo([{ key: namespace.key, undo: namespace.undo }]);
  }
  return rows;
}

/** Kernel rows without root: only what /sys/module says, which cannot prove absence. */
async function kernelRowsUnprivileged(): Promise<DoctorRow[]> {
  const rows: DoctorRow[] = [];
  for (const k of [...KERNEL, { name: "NAT (iptables nat table)", module: "nf_nat" }]) {
    const loaded = await exists(`/sys/module/${k.module}`);
    rows.push({
      check: `kernel: ${k.name}`,
      status: "skip",
      detail: loaded
        ? `module ${k.module} is loaded (not tested: needs root)`
        : `module ${k.module} is not loaded; it may be built in or load on demand (not tested: needs root)`,
      fix: "run as root",
    });
  }
  return rows;
}

/** `doctor`'s rows for the qdiscs impairments use (as root: the probe creates a namespace). */
async function qdiscDoctorRows(runner: Runner): Promise<DoctorRow[]> {
  const [tbf, netem] = await Promise.all([hasQdisc("tbf", runner), hasQdisc("netem", runner)]);
  return [
    tbf.ok ? { check: "kernel: tbf (impair rate)", status: "ok", detail: tbf.detail } : {
      check: "kernel: tbf (impair rate)",
      status: "warn",
      detail: `${tbf.detail}: impairments with a rate will fail`,
      fix: "a kernel with CONFIG_NET_SCH_TBF (modprobe sch_tbf)",
    },
    netem.ok
      ? { check: "kernel: netem (impair delay, jitter, loss)", status: "ok", detail: netem.detail }
      : {
        check: "kernel: netem (impair delay, jitter, loss)",
        status: "warn",
        detail: `${netem.detail}: impair delay and jitter are refused; loss uses nftables`,
        fix: "a kernel with CONFIG_NET_SCH_NETEM (modprobe sch_netem)",
      },
  ];
}

/** Runs every check. Creates and deletes one throwaway namespace when running as root. */
export async function doctor(host: Host): Promise<DoctorReport> {
  const rows: DoctorRow[] = [];
  const root = Deno.uid() === 0;
  rows.push(
    root ? { check: "root", status: "ok", detail: "uid 0" } : {
      check: "root",
      status: "fail",
      detail: `uid ${Deno.uid()}: netkit creates namespaces and interfaces`,
      fix: "run as root",
    },
  );
  for (const t of TOOLS) rows.push(await toolRow(t, host));
  rows.push(await ovsRow(host));
  const netns = await exists("/proc/self/ns/net");
  rows.push(
    netns ? { check: "network namespaces: /proc/self/ns/net", status: "ok", detail: "present" } : {
      check: "network namespaces: /proc/self/ns/net",
      status: "fail",
      detail: "absent: this kernel has no network namespaces",
      fix: "a kernel with CONFIG_NET_NS",
    },
  );
  if (netns && root) {
    rows.push(
      ...await kernelRowsAsRoot(
        host,
        rows.some((r) => r.check === "tool ip" && r.status === "ok"),
      ),
    );
    if (rows.some((r) => r.check === "tool tc" && r.status === "ok")) {
      rows.push(...await qdiscDoctorRows(host.runner));
    }
  } else if (netns) {
    rows.push(...await kernelRowsUnprivileged());
  }
  return { ok: !rows.some((r) => r.status === "fail"), rows };
}
