/**
 * DHCP: a dnsmasq server and a busybox udhcpc client, each inside a namespace, with every file
 * they use under the lab's own state directory.
 *
 * @module
 */
import { join } from "node:path";
import { isIpv6, parseIp } from "../addr.ts";
import { checkIfname, checkNsName } from "../names.ts";
import { cmd, inNs, type Step } from "../plan/step.ts";
import { finishedBy } from "../plan/finish.ts";

/** Options for {@link dhcp}. */
export interface DhcpOptions {
  /** The interface to serve (inside the namespace). */
  interface: string;
  /** First and last IPv4 address handed out (DHCPv4). @default none */
  range?: [string, string] | undefined;
  /** Lease time in seconds. @default 43200 (12 hours, dnsmasq's own default) */
  leaseTime?: number;
  /** Default gateway offered to clients (DHCP option 3). @default none */
  router?: string;
  /** Directory for the pid, lease and log files (the lab's state directory). */
  stateDir: string;
  /**
   * First and last IPv6 address handed out by DHCPv6 (router advertisements tell clients to ask,
   * and give them the on-link prefix and the default route). @default none
   */
  range6?: [string, string] | undefined;
  /** Prefix length of the subnet `range6` lies in. @default 64 */
  range6PrefixLength?: number;
  /** Router advertisements of the interface's IPv6 /64 prefixes, for SLAAC. @default false */
  slaac?: boolean;
  /**
   * Keep dnsmasq running as the namespace's root (`--user=root --group=`) instead of switching
   * to `nobody`: needed in rootless mode, where no other user or group is mapped into the user
   * namespace and the switch fails. @default false
   */
  keepRoot?: boolean;
}

/**
 * The base of a daemon's file names for interface `iface` of namespace `ns`: `KIND-NS@IFACE`.
 * Names never hold "@", so two (namespace, interface) pairs never share a file (with a "-",
 * `a-b` + `c` and `a` + `b-c` would).
 */
function daemonBase(stateDir: string, kind: string, ns: string, iface: string): string {
  return join(stateDir, `${kind}-${checkNsName(ns)}@${checkIfname(iface)}`);
}

/** The files of a DHCP server started by {@link dhcp}. */
export function dhcpFiles(stateDir: string, ns: string, iface: string) {
  const base = daemonBase(stateDir, "dnsmasq", ns, iface);
  return { pid: `${base}.pid`, leases: `${base}.leases`, log: `${base}.log` };
}

/**
 * `ip netns exec NS dnsmasq --dhcp-range=FIRST,LAST,LEASE --dhcp-option=option:router,GW ...`:
 * a DHCP server in a namespace (DNS off, bound to one interface, no host config file read).
 * For IPv6 it also sends router advertisements (`--enable-ra`): with `slaac`, of the interface's
 * /64 prefixes for SLAAC (`--dhcp-range=::,constructor:IF,ra-only`); with `range6`, with the
 * "managed" flag, and serves DHCPv6 (`--dhcp-range=FIRST6,LAST6,LEN,LEASE`).
 * Once it runs, netkit notes who it is (pid, start time, command line: lib/exec/daemon.ts).
 * Undo: it is stopped (shown as `pkill -F PIDFILE -x dnsmasq`) only while it still is that very
 * process, then its files are removed. In a script's lab (`lab.add(dhcp(...))`) on a host whose
 * OVS bridges use the userspace datapath, {@link dhcpChecksumFill} runs before it (once per
 * server; lib/plan/finish.ts).
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
  const [first, last] = options.range?.map((a) => parseIp(a)) ?? [];
  const [first6, last6] = options.range6 ?? [];
  for (const a of options.range6 ?? []) {
    if (!isIpv6(a)) throw new TypeError(`Not an IPv6 address: ${JSON.stringify(a)}`);
  }
  const files = dhcpFiles(options.stateDir, ns, options.interface);
  const argv = [
    "dnsmasq",
    ...(options.keepRoot ? ["--user=root", "--group="] : []),
    "--conf-file=/dev/null",
    "--port=0",
    "--bind-interfaces",
    `--interface=${options.interface}`,
    "--except-interface=lo",
    ...(first !== undefined ? [`--dhcp-range=${first},${last},${options.leaseTime ?? 43200}`] : []),
    ...(options.slaac || first6 !== undefined ? ["--enable-ra"] : []),
    ...(options.slaac ? [`--dhcp-range=::,constructor:${options.interface},ra-only,64`] : []),
    ...(first6 !== undefined
      ? [
        `--dhcp-range=${first6},${last6},${Number(options.range6PrefixLength ?? 64)},${
          options.leaseTime ?? 43200
        }`,
      ]
      : []),
    "--dhcp-authoritative",
    "--no-ping",
    `--pid-file=${files.pid}`,
    `--dhcp-leasefile=${files.leases}`,
    `--log-facility=${files.log}`,
  ];
  if (options.router !== undefined) {
    argv.push(`--dhcp-option=option:router,${parseIp(options.router)}`);
  }
  const step: Step = {
    key: `daemon:dnsmasq@${ns}/${options.interface}`,
    summary: `start dnsmasq in ${ns} on ${options.interface} (${
      [
        first !== undefined ? `${first}-${last}` : "",
        first6 !== undefined ? `DHCPv6 ${first6}-${last6}` : "",
        options.slaac ? "SLAAC" : "",
      ].filter(Boolean).join(", ")
    })`,
    do: [cmd(...inNs(ns, argv)), { recordDaemon: files.pid, program: "dnsmasq" }],
    undo: [
      { stopDaemon: files.pid, program: "dnsmasq" },
      { remove: files.pid },
      { remove: files.leases },
      { remove: files.log },
    ],
    pidFile: files.pid,
  };
  // A script's lab knows what this step cannot: whether this host's OVS bridges use the userspace
  // datapath, where the server's replies need their checksums filled in (dhcpChecksumFill). A lab
  // file's plan adds that rule itself, where the server serves an OVS bridge.
  return finishedBy(
    step,
    (c) =>
      c.datapathType === "netdev"
        ? [dhcpChecksumFill(ns, options.interface, { lab: c.lab }), step]
        : [step],
  );
}

/**
 * `ip netns exec NS iptables -t mangle -A POSTROUTING -o IFACE -p udp --sport 67 -j CHECKSUM
 * --checksum-fill`: fills in the UDP checksum of the DHCP server's replies. A lab file's plan adds
 * it where needed, and a script's lab finishes {@link dhcp} with it (`lab.add(dhcp(...))` on a
 * host whose OVS bridges use `netdev`); call it yourself only when you run steps with an executor
 * of your own.
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
  const step: Step = {
    key: `mangle:${ns}/POSTROUTING/dhcp-checksum/${iface}`,
    summary: `fill in DHCP reply checksums on ${iface} in ${ns} (OVS userspace datapath)`,
    do: [rule("-A")],
    undo: [rule("-D")],
  };
  return finishedBy(
    step,
    options.lab === undefined ? (c) => [dhcpChecksumFill(ns, iface, { lab: c.lab })] : undefined,
  );
}

/** {@link DhcpClientOptions} with the interface named: `dhcpClient("g1", { interface, ... })`. */
export interface DhcpClientOnOptions extends DhcpClientOptions {
  /** The interface that takes the lease (inside the namespace). */
  interface: string;
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
  const base = daemonBase(stateDir, "udhcpc", ns, iface);
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
 * Undo stops a client that is still trying (after a crash of netkit during the step, an orphaned
 * udhcpc would go on retrying; shown as `pkill -F PIDFILE -x busybox`): udhcpc runs in the
 * foreground and is gone when the step ends, so there is no record of it, and only a busybox
 * whose command line names this very pid file is signalled (lib/exec/daemon.ts). Then it flushes
 * the interface's IPv4 addresses and removes the hook, pid and lease files.
 *
 * @example vm2 takes its address by DHCP
 * ```ts
 * import { dhcpClient } from "../../mod.ts";
 * dhcpClient("vm2", { interface: "eth0", stateDir: "/run/netkit/labs/router" });
 * ```
 */
export function dhcpClient(ns: string, options: DhcpClientOnOptions): Step;
/** @deprecated Name the interface, as {@link dhcp} does: `dhcpClient(ns, { interface, ... })`. */
export function dhcpClient(ns: string, iface: string, options: DhcpClientOptions): Step;
export function dhcpClient(
  ns: string,
  second: string | DhcpClientOnOptions,
  third?: DhcpClientOptions,
): Step {
  const iface = typeof second === "string" ? second : second.interface;
  const options = typeof second === "string" ? third! : second;
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
      { stopDaemon: files.pid, program: "busybox" },
      cmd("ip", "-n", ns, "-4", "addr", "flush", "dev", iface),
      { remove: files.hook },
      { remove: files.lease },
      { remove: files.pid },
    ],
    pidFile: files.pid,
  };
}

/** Options for {@link dhcp6Client}. */
export interface Dhcp6ClientOptions {
  /** Directory for the hook, configuration, lease and pid files (the lab's state directory). */
  stateDir: string;
}

/** The files of a DHCPv6 client run by {@link dhcp6Client}. */
export function dhcp6ClientFiles(stateDir: string, ns: string, iface: string) {
  const base = join(stateDir, `dhclient6-${ns}-${iface}`);
  return {
    hook: `${base}.hook`,
    config: `${base}.conf`,
    leases: `${base}.leases`,
    lease: `${base}.lease`,
    pid: `${base}.pid`,
  };
}

/**
 * The hook dhclient runs for DHCPv6: it waits (at most 5 s) for the link-local address it binds
 * to, applies the lease with `ip` inside the namespace and records it. It writes no host file
 * (Debian's dhclient-script would rewrite /etc/resolv.conf).
 */
export function dhcp6Hook(leaseFile: string): string {
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  return `#!/bin/sh
# netkit's dhclient -6 hook: applies the lease inside the namespace, writes no host file.
case "$reason" in
  PREINIT6)
    ip link set dev "$interface" up
    i=0
    while [ "$i" -lt 50 ] && ip -6 addr show dev "$interface" scope link tentative | grep -q inet6; do
      sleep 0.1
      i=$((i + 1))
    done
    ;;
  BOUND6|RENEW6|REBIND6|REBOOT6)
    if [ -n "$old_ip6_address" ] && [ "$old_ip6_address" != "$new_ip6_address" ]; then
      ip -6 addr del "$old_ip6_address/\${old_ip6_prefixlen:-128}" dev "$interface"
    fi
    ip -6 addr replace "$new_ip6_address/\${new_ip6_prefixlen:-128}" dev "$interface" nodad \\
      valid_lft "\${new_max_life:-forever}" preferred_lft "\${new_preferred_life:-forever}"
    printf 'ip=%s\\nprefixlen=%s\\nlease=%s\\nserverid=%s\\n' \\
      "$new_ip6_address" "\${new_ip6_prefixlen:-128}" "$new_max_life" "$new_dhcp6_server_id" > ${
    q(leaseFile)
  }
    ;;
  STOP6|RELEASE6|EXPIRE6)
    if [ -n "$old_ip6_address" ]; then
      ip -6 addr del "$old_ip6_address/\${old_ip6_prefixlen:-128}" dev "$interface"
    fi
    ;;
esac
exit 0
`;
}

/**
 * `ip netns exec NS dhclient -6 -1 -sf HOOK -cf CONF -lf LEASES -pf PIDFILE IFACE`: takes a DHCPv6
 * lease (ISC dhclient: Debian's busybox has no udhcpc6) with a hook of netkit's own (see
 * {@link dhcp6Hook}); it tries for at most 10 s, then stays in the background to renew the
 * lease; netkit then notes who it is (pid, start time, command line: lib/exec/daemon.ts). Undo
 * stops it (shown as `pkill -F PIDFILE -x dhclient`) only while it still is that very process,
 * flushes the interface's global IPv6 addresses and removes its files.
 *
 * @example vm2 takes an IPv6 address by DHCPv6
 * ```ts
 * import { dhcp6Client } from "../../mod.ts";
 * dhcp6Client("vm2", "eth0", { stateDir: "/run/netkit/labs/router" });
 * ```
 */
export function dhcp6Client(ns: string, iface: string, options: Dhcp6ClientOptions): Step {
  checkNsName(ns);
  checkIfname(iface);
  const files = dhcp6ClientFiles(options.stateDir, ns, iface);
  return {
    key: `dhcp6-client:${ns}/${iface}`,
    summary: `take a DHCPv6 lease on ${iface} in ${ns}`,
    do: [
      { write: files.hook, content: dhcp6Hook(files.lease), mode: 0o755 },
      { write: files.config, content: "timeout 10;\nretry 1;\n", mode: 0o644 },
      cmd(...inNs(ns, [
        "dhclient",
        "-6",
        "-1",
        "-sf",
        files.hook,
        "-cf",
        files.config,
        "-lf",
        files.leases,
        "-df",
        files.leases,
        "-pf",
        files.pid,
        iface,
      ])),
      { recordDaemon: files.pid, program: "dhclient" },
    ],
    undo: [
      { stopDaemon: files.pid, program: "dhclient" },
      cmd("ip", "-n", ns, "-6", "addr", "flush", "dev", iface, "scope", "global"),
      { remove: files.hook },
      { remove: files.config },
      { remove: files.leases },
      { remove: files.lease },
      { remove: files.pid },
    ],
    pidFile: files.pid,
  };
}
