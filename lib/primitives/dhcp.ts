/**
 * DHCP: a dnsmasq server and a busybox udhcpc client, each inside a namespace, with every file
 * they use under the lab's own state directory.
 *
 * @module
 */
import { join } from "node:path";
import { parseIp } from "../addr.ts";
import { checkIfname, checkNsName } from "../names.ts";
import { cmd, inNs, type Step } from "../plan/step.ts";

/** Options for {@link dhcp}. */
export interface DhcpOptions {
  /** The interface to serve (inside the namespace). */
  interface: string;
  /** First and last address handed out. */
  range: [string, string];
  /** Lease time in seconds. @default 43200 (12 hours, dnsmasq's own default) */
  leaseTime?: number;
  /** Default gateway offered to clients (DHCP option 3). @default none */
  router?: string;
  /** Directory for the pid, lease and log files (the lab's state directory). */
  stateDir: string;
  /**
   * Keep dnsmasq running as the namespace's root (`--user=root --group=`) instead of switching
   * to `nobody`: needed in rootless mode, where no other user or group is mapped into the user
   * namespace and the switch fails. @default false
   */
  keepRoot?: boolean;
}

/** The files of a DHCP server started by {@link dhcp}. */
export function dhcpFiles(stateDir: string, ns: string, iface: string) {
  const base = join(stateDir, `dnsmasq-${ns}-${iface}`);
  return { pid: `${base}.pid`, leases: `${base}.leases`, log: `${base}.log` };
}

/**
 * `ip netns exec NS dnsmasq --dhcp-range=FIRST,LAST,LEASE --dhcp-option=option:router,GW ...`:
 * a DHCP server in a namespace (DNS off, bound to one interface, no host config file read).
 * Undo: `pkill -F PIDFILE`, then its files are removed.
 *
 * @example The router lab's server
 * ```ts
 * import { dhcp } from "../../mod.ts";
 * dhcp("rt", {
 *   interface: "eth0",
 *   range: ["10.0.0.151", "10.0.0.160"],
 *   router: "10.0.0.254",
 *   stateDir: "/run/netkit/labs/router",
 * });
 * ```
 */
export function dhcp(ns: string, options: DhcpOptions): Step {
  checkNsName(ns);
  checkIfname(options.interface);
  const [first, last] = options.range.map((a) => parseIp(a));
  const files = dhcpFiles(options.stateDir, ns, options.interface);
  const argv = [
    "dnsmasq",
    ...(options.keepRoot ? ["--user=root", "--group="] : []),
    "--conf-file=/dev/null",
    "--port=0",
    "--bind-interfaces",
    `--interface=${options.interface}`,
    "--except-interface=lo",
    `--dhcp-range=${first},${last},${options.leaseTime ?? 43200}`,
    "--dhcp-authoritative",
    "--no-ping",
    `--pid-file=${files.pid}`,
    `--dhcp-leasefile=${files.leases}`,
    `--log-facility=${files.log}`,
  ];
  if (options.router !== undefined) {
    argv.push(`--dhcp-option=option:router,${parseIp(options.router)}`);
  }
  return {
    key: `daemon:dnsmasq@${ns}/${options.interface}`,
    summary: `start dnsmasq in ${ns} on ${options.interface} (${first}-${last})`,
    do: [cmd(...inNs(ns, argv))],
    undo: [
      cmd("pkill", "-F", files.pid, "-x", "dnsmasq"),
      { remove: files.pid },
      { remove: files.leases },
      { remove: files.log },
    ],
    pidFile: files.pid,
  };
}

/**
 * `ip netns exec NS iptables -t mangle -A POSTROUTING -o IFACE -p udp --sport 67 -j CHECKSUM
 * --checksum-fill`: fills in the UDP checksum of the DHCP server's replies.
 *
 * Needed when the server's veth end leads to an Open vSwitch bridge with the userspace (`netdev`)
 * datapath: the kernel leaves the checksum of locally sent UDP to the "hardware" (veth offload),
 * OVS reads the frame through a packet socket and forwards it unfinished, and the client (busybox
 * udhcpc reads raw frames) drops every offer for its bad checksum. A Linux bridge keeps the
 * offload state, so it does not need this. The rule lives in the server's namespace and is
 * marked `netkit:<lab>`; undo deletes it.
 *
 * @example dnsmasq in r0 serving an OVS bridge through rif0
 * ```ts
 * import { dhcpChecksumFill } from "./dhcp.ts";
 * dhcpChecksumFill("r0", "rif0");
 * ```
 */
export function dhcpChecksumFill(ns: string, iface: string, options: { lab?: string } = {}): Step {
  checkNsName(ns);
  checkIfname(iface);
  const rule = (op: "-A" | "-D") =>
    cmd(...inNs(ns, [
      "iptables",
      "-w",
      "-t",
      "mangle",
      op,
      "POSTROUTING",
      "-o",
      iface,
      "-p",
      "udp",
      "--sport",
      "67",
      "-m",
      "comment",
      "--comment",
      `netkit:${options.lab ?? "netkit"}`,
      "-j",
      "CHECKSUM",
      "--checksum-fill",
    ]));
  return {
    key: `mangle:${ns}/POSTROUTING/dhcp-checksum/${iface}`,
    summary: `fill in DHCP reply checksums on ${iface} in ${ns} (OVS userspace datapath)`,
    do: [rule("-A")],
    undo: [rule("-D")],
  };
}

/** Options for {@link dhcpClient}. */
export interface DhcpClientOptions {
  /** Directory for the hook script and the lease record (the lab's state directory). */
  stateDir: string;
  /** Give up after this many discovers, one second apart. @default 10 */
  tries?: number;
}

/** The files of a DHCP client run by {@link dhcpClient}. */
export function dhcpClientFiles(stateDir: string, ns: string, iface: string) {
  const base = join(stateDir, `udhcpc-${ns}-${iface}`);
  return { hook: `${base}.hook`, lease: `${base}.lease`, pid: `${base}.pid` };
}

/**
 * The hook udhcpc runs: it applies the lease with `ip` inside the namespace and records it. It
 * never writes a host file such as /etc/resolv.conf (Debian's default hook does).
 */
export function dhcpHook(leaseFile: string): string {
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  return `#!/bin/sh
# netkit's udhcpc hook: applies the lease inside the namespace, writes no host file.
case "$1" in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set dev "$interface" up
    ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    if [ -n "$router" ]; then
      set -- $router
      ip route replace default via "$1" dev "$interface"
    fi
    printf 'ip=%s\\nmask=%s\\nrouter=%s\\nlease=%s\\nserverid=%s\\n' \\
      "$ip" "$mask" "$router" "$lease" "$serverid" > ${q(leaseFile)}
    ;;
esac
exit 0
`;
}

/**
 * `ip netns exec NS busybox udhcpc -i IFACE -s HOOK -q -n -f`: takes a DHCP lease for one
 * interface with a hook of netkit's own (see {@link dhcpHook}), then exits; the address stays.
 * Undo stops a client that is still trying (`pkill -F PIDFILE`: after a crash of netkit, an
 * orphaned udhcpc would otherwise retry forever), flushes the interface's IPv4 addresses and
 * removes the hook, pid and lease files.
 *
 * @example vm2 takes its address by DHCP
 * ```ts
 * import { dhcpClient } from "../../mod.ts";
 * dhcpClient("vm2", "eth0", { stateDir: "/run/netkit/labs/router" });
 * ```
 */
export function dhcpClient(ns: string, iface: string, options: DhcpClientOptions): Step {
  checkNsName(ns);
  checkIfname(iface);
  const files = dhcpClientFiles(options.stateDir, ns, iface);
  const tries = String(options.tries ?? 10);
  return {
    key: `dhcp-client:${ns}/${iface}`,
    summary: `take a DHCP lease on ${iface} in ${ns}`,
    do: [
      { write: files.hook, content: dhcpHook(files.lease), mode: 0o755 },
      cmd(...inNs(ns, [
        "busybox",
        "udhcpc",
        "-i",
        iface,
        "-s",
        files.hook,
        "-q",
        "-n",
        "-f",
        "-t",
        tries,
        "-T",
        "1",
        "-A",
        "1",
        "-p",
        files.pid,
      ])),
    ],
    undo: [
      cmd("pkill", "-F", files.pid, "-x", "busybox"),
      cmd("ip", "-n", ns, "-4", "addr", "flush", "dev", iface),
      { remove: files.hook },
      { remove: files.lease },
      { remove: files.pid },
    ],
    pidFile: files.pid,
  };
}
