/**
 * Test helpers for root tests on the real kernel: a snapshot of what the host holds (to assert
 * that a lab leaves nothing behind and never touches the host's own network), a private state
 * directory and private OVS per test file, and a CLI runner.
 *
 * @module
 */
import { assertEquals } from "./assert.ts";

const dec = new TextDecoder();

/** Runs argv and returns stdout (empty on failure). Test-side observation only. */
export async function sh(...argv: string[]): Promise<string> {
  const [p, ...args] = argv;
  const r = await new Deno.Command(p!, { args, stdout: "piped", stderr: "piped" }).output()
    .catch(() => undefined);
  return r ? dec.decode(r.stdout) : "";
}

/** What the host holds, for before/after comparisons. */
export interface HostSnapshot {
  namespaces: string[];
  links: string[];
  routes: string;
  firewall: string;
  sysctls: Record<string, string>;
  resolvConf: string;
  processes: string[];
  stateDirEntries: string[];
}

async function readOr(path: string): Promise<string> {
  return await Deno.readTextFile(path).catch(() => "");
}

/**
 * The processes netkit could start: dnsmasq, udhcpc, dhclient, tcpdump, iperf3, ovsdb-server,
 * ovs-vswitchd, and FRR's daemons.
 */
async function daemons(): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const stat = await readOr(`/proc/${e.name}/stat`);
    if (/\) Z /.test(stat)) continue; // zombies are waiting for their parent, not running
    const cmdline = (await readOr(`/proc/${e.name}/cmdline`)).replaceAll("\0", " ").trim();
    if (
      /^(\S*\/)?(dnsmasq|udhcpc|busybox udhcpc|tcpdump|iperf3|ovsdb-server|ovs-vswitchd)\b/.test(
        cmdline,
      ) ||
      /^(\S*\/)?(dhclient|zebra|ospfd|ospf6d|bgpd|staticd|watchfrr)\b/.test(cmdline)
    ) {
      out.push(cmdline);
    }
  }
  return out.sort();
}

/**
 * Sysctls a lab must never change: the root namespace's forwarding and bridge filtering, and
 * host-wide ones a lab file might aim at (tests/attacks/).
 */
const HOST_SYSCTLS = [
  "net/ipv4/ip_forward",
  "net/bridge/bridge-nf-call-iptables",
  "net/ipv6/conf/all/forwarding",
  "net/ipv6/conf/all/keep_addr_on_down",
  "kernel/core_pattern",
  "kernel/modprobe",
  "vm/overcommit_memory",
  "fs/protected_symlinks",
  "net/core/netdev_max_backlog",
  "net/ipv4/tcp_congestion_control",
  "net/netfilter/nf_hooks_lwtunnel",
];

/** Takes a snapshot of the host's network state. */
export async function snapshot(): Promise<HostSnapshot> {
  const namespaces = (await sh("ip", "netns", "list")).split("\n").map((l) => l.split(" ")[0]!)
    .filter(Boolean).sort();
  const links = (JSON.parse((await sh("ip", "-j", "link", "show")) || "[]") as { ifname: string }[])
    .map((l) => l.ifname).sort();
  const sysctls: Record<string, string> = {};
  for (const k of HOST_SYSCTLS) {
    sysctls[k] = (await readOr(`/proc/sys/${k}`)).trim();
  }
  const stateDir = Deno.env.get("NETKIT_STATE_DIR");
  const stateDirEntries: string[] = [];
  if (stateDir) {
    try {
      for await (const e of Deno.readDir(stateDir)) stateDirEntries.push(e.name);
    } catch {
      // absent: nothing left
    }
  }
  return {
    namespaces,
    links,
    // Router-advertised IPv6 routes count their lifetime down ("expires 1798sec"): drop the clock.
    routes: (await sh("ip", "route", "show", "table", "all")).replace(/ expires \d+sec/g, ""),
    firewall: (await sh("iptables-save")).split("\n").filter((l) => !l.startsWith("#")).join("\n"),
    sysctls,
    resolvConf: await readOr("/etc/resolv.conf"),
    processes: await daemons(),
    stateDirEntries: stateDirEntries.sort(),
  };
}

/** Asserts the host holds exactly what it held in `before`. */
export async function assertHostUnchanged(before: HostSnapshot, context = ""): Promise<void> {
  // Interfaces of deleted namespaces vanish asynchronously: give the kernel a moment.
  let after = await snapshot();
  for (let i = 0; i < 20 && JSON.stringify(after) !== JSON.stringify(before); i++) {
    await new Promise((r) => setTimeout(r, 50));
    after = await snapshot();
  }
  assertEquals(after, before, `host changed ${context}`);
}

/** True when running as root (the integration tests need it). */
export const isRoot: boolean = Deno.uid() === 0;

/**
 * Gives this test file its own netkit state directory and private OVS, so tests never touch a
 * user's labs or the system OVS. Call once at the top of a test file.
 */
export function useTestState(name: string): string {
  const dir = `/run/netkit-test-${name}`;
  Deno.env.set("NETKIT_STATE_DIR", dir);
  Deno.env.set("NETKIT_OVS", "private");
  return dir;
}

/** What a CLI run returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** How {@link run} runs a command. */
export interface RunOptions {
  /** Working directory. @default this process's */
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Written to the command's standard input (else it reads nothing). */
  stdin?: string;
}

/** Runs argv to its end; returns its exit code and output (a failure is a result, not a throw). */
export async function run(argv: string[], options: RunOptions = {}): Promise<CliResult> {
  const [program, ...args] = argv;
  const child = new Deno.Command(program!, {
    args,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.env !== undefined ? { env: options.env } : {}),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const r = await child.output();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

/** Runs the Deno that runs the tests with `args`, in `cwd`, without colour. */
export function deno(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<CliResult> {
  return run([Deno.execPath(), ...args], { cwd, env: { NO_COLOR: "1", ...env } });
}

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Runs `netkit ARGS...` as a separate process, with this test file's environment. */
export function netkit(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return run([Deno.execPath(), "run", "-A", "--no-check", MAIN, ...args], {
    env: { NO_COLOR: "1", ...env },
  });
}
