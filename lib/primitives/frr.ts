/**
 * Dynamic routing with FRR: one set of daemons per router node (zebra, and ospfd, ospf6d or bgpd
 * as the node needs), each started inside the node's namespace with its own configuration file,
 * vty sockets, zebra socket, pid file, log and run-state files in the node's own directory in the
 * lab's state directory (`<stateDir>/frr-<node>/`). The system's `/etc/frr`, `/run/frr` and its
 * `frr` service are never used.
 *
 * ```
 * ip netns exec r1 unshare --mount --propagation private sh STATE/frr-r1.sh DIR \
 *   /usr/lib/frr/zebra -d -u frr -g frr -P 0 -f DIR/zebra.conf -i DIR/zebra.pid \
 *   -z DIR/zserv.api --vty_socket DIR --log file:DIR/zebra.log
 * ip netns exec r1 unshare ... /usr/lib/frr/ospfd -d ... (the same options, its own files)
 * vtysh --vty_socket DIR -c 'show ip ospf neighbor'      # what `netkit exec r1 -- vtysh` runs
 * ```
 *
 * How it fits FRR:
 * - `-d` returns once the daemon has read its configuration and entered its main loop (zebra is
 *   then ready for the protocol daemons), so a step that returns has a running daemon and a pid
 *   file. netkit then notes who it is (pid, start time, command line: lib/exec/daemon.ts) in
 *   `<stateDir>/frr-<node>.<daemon>.netkit`, a root-only file outside the node's directory (that
 *   one belongs to user frr, who must not be able to forge the record). Undo stops the daemon
 *   only while it still is that very process (SIGTERM, a wait of at most 5 s for it to exit, so
 *   that a new daemon never meets the old one's sockets, then SIGKILL; scripts show
 *   `pkill -F PIDFILE -x NAME`) and removes its files.
 * - `-P 0`: no TCP vty; the vty is a Unix socket in the node's directory. `-u frr -g frr`: the
 *   daemons drop root as the frr package intends, so their directory belongs to user frr.
 * - FRR's run directory is fixed when FRR is built: `/var/run/frr` (that is `/run/frr`). Every
 *   daemon creates it, ospfd and ospf6d keep their graceful-restart state there
 *   (`ospfd-gr.json`, `ospf6d-gr.json`, `ospf6d-at-seq-no.dat`; an ospfd reads the state it
 *   finds and rewrites the file), newer FRRs put mgmtd's sockets there, and crash logs go to
 *   `/var/tmp/frr`. No option moves it (`-N NAME` only makes a subdirectory inside it). So each
 *   daemon gets a `/var` of its own: {@link FRR_RUN_SCRIPT} runs in a mount namespace made for
 *   the daemon (`unshare --mount --propagation private`: nothing it mounts reaches the host),
 *   mounts a tmpfs on `/var`, makes `/var/run/frr` a symbolic link to the node's directory and
 *   `/var/tmp` a private one, then runs the daemon. A system FRR's `/run/frr` and `/var/tmp/frr`
 *   are never seen, two nodes never share a file, and the tmpfs is gone when the daemon exits.
 * - The configuration files are generated here from validated data, one statement per line, and
 *   every word put into them is checked against a strict pattern first: a value can never start
 *   a new configuration line.
 *
 * @module
 */
import { join } from "node:path";
import { familyOf } from "../addr.ts";
import { checkIfname, checkNsName } from "../names.ts";
import { cmd, inNs, type Step } from "../plan/step.ts";

/** Where Debian's and Ubuntu's `frr` package installs the daemons. */
const FRR_DAEMON_DIR = "/usr/lib/frr";

/** The FRR daemons netkit runs. */
export type FrrDaemon = "zebra" | "ospfd" | "ospf6d" | "bgpd";

/** The directory of one node's FRR files. */
export function frrDir(stateDir: string, ns: string): string {
  return join(stateDir, `frr-${ns}`);
}

/**
 * The files FRR's daemons keep in their run directory (`/var/run/frr`, here the node's
 * directory): graceful-restart state, and ospf6d's authentication sequence number.
 */
const RUN_STATE: Record<FrrDaemon, string[]> = {
  zebra: [],
  ospfd: ["ospfd-gr.json"],
  ospf6d: ["ospf6d-gr.json", "ospf6d-at-seq-no.dat"],
  bgpd: [],
};

/** The files of one FRR daemon of node `ns`. */
function frrFiles(stateDir: string, ns: string, daemon: FrrDaemon) {
  const dir = frrDir(stateDir, ns);
  return {
    dir,
    config: join(dir, `${daemon}.conf`),
    pid: join(dir, `${daemon}.pid`),
    vty: join(dir, `${daemon}.vty`),
    log: join(dir, `${daemon}.log`),
    zserv: join(dir, "zserv.api"),
    /** Its run-state files (see the module doc). */
    state: RUN_STATE[daemon].map((name) => join(dir, name)),
    /** netkit's record of the running daemon: in the (root-owned) state directory. */
    record: join(stateDir, `frr-${ns}.${daemon}.netkit`),
    /** The script that runs it with a `/var` of its own ({@link FRR_RUN_SCRIPT}). */
    run: frrRunScriptPath(stateDir, ns),
  };
}

/** Where {@link frrSetup} writes node `ns`'s copy of {@link FRR_RUN_SCRIPT}. */
function frrRunScriptPath(stateDir: string, ns: string): string {
  return join(stateDir, `frr-${ns}.sh`);
}

/**
 * The script every FRR daemon is started through, as `sh SCRIPT DIR DAEMON ARGS...` inside the
 * mount namespace `unshare --mount --propagation private` made for it: a tmpfs on `/var`,
 * `/var/run/frr` a symbolic link to the node's directory DIR, a private `/var/tmp`, then the
 * daemon (see the module doc). It refuses to run in PID 1's mount namespace (the host's own).
 * DIR and the daemon's words reach it as arguments, never as script text.
 */
export const FRR_RUN_SCRIPT = `#!/bin/sh
# netkit: runs one FRR daemon (arguments 2 on) with a /var of its own, in the mount namespace
# that "unshare --mount --propagation private" made for it. FRR's run directory, /var/run/frr,
# is the node's own directory (argument 1); crash logs stay in a private /var/tmp. A system
# FRR's /run/frr and /var/tmp/frr are never seen, and nothing mounted here reaches the host.
set -eu
if [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/1/ns/mnt)" ]; then
  echo "netkit: not in a mount namespace of its own: /var is left alone" >&2
  exit 1
fi
dir=$1
shift
mount -t tmpfs -o mode=0755,size=16m netkit-frr /var
mkdir -m 0755 /var/run /var/lib
mkdir -m 1777 /var/tmp
ln -s "$dir" /var/run/frr
exec "$@"
`;

/** A word that may go into an FRR configuration line: no space, no newline, nothing else. */
function word(value: string | number): string {
  const text = String(value);
  if (!/^[A-Za-z0-9_.:/-]+$/.test(text)) {
    throw new TypeError(`Not allowed in an FRR configuration: ${JSON.stringify(text)}`);
  }
  return text;
}

/** A router ID or OSPF area: a number becomes dotted (`0` -> `0.0.0.0`). */
function dotted(value: number | string): string {
  if (typeof value === "string") {
    if (familyOf(value) !== 4) throw new TypeError(`Not a dotted ID: ${JSON.stringify(value)}`);
    return value;
  }
  if (!Number.isInteger(value) || value < 0 || value > 4_294_967_295) {
    throw new TypeError(`Not a 32-bit ID: ${value}`);
  }
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

/** One interface OSPF runs on. */
export interface OspfInterface {
  /** The interface, inside the node. */
  name: string;
  /** Point-to-point (a direct link to one other router): no DR election. @default false */
  pointToPoint?: boolean;
  /** Advertise its networks but send no hellos (a host LAN). @default false */
  passive?: boolean;
}

/** Options for OSPF (ospfd, and ospf6d for IPv6). */
export interface OspfOptions {
  /** The area of every interface, a number or dotted. @default 0 (the backbone) */
  area?: number | string;
  /** The interfaces OSPF runs on (passive ones included). */
  interfaces: OspfInterface[];
  /** Hello interval in seconds. @default 10 */
  hello?: number;
  /** Dead interval in seconds. @default 40 */
  dead?: number;
  /** Also run OSPFv3 (ospf6d) on the same interfaces. @default false */
  ipv6?: boolean;
}

/** One BGP neighbor. */
export interface BgpNeighborOptions {
  /** Its address (on a subnet of the router: a directly connected neighbor). */
  address: string;
  /** Its AS number (another one than the router's: eBGP; the same: iBGP). */
  asn: number;
}

/** Options for BGP (bgpd). */
export interface BgpOptions {
  /** The router's AS number. */
  asn: number;
  /** The sessions; an IPv4 neighbor carries IPv4 prefixes, an IPv6 one IPv6 prefixes. */
  neighbors: BgpNeighborOptions[];
  /** Prefixes announced (either family; each goes to the neighbors of its family). */
  networks?: string[];
  /** Equal-cost paths installed per prefix (`maximum-paths N`, eBGP and iBGP). @default FRR's */
  maximumPaths?: number;
}

const lines = (...parts: (string | string[] | false)[]) =>
  parts.flatMap((p) => (p === false ? [] : p)).join("\n") + "\n";

/**
 * With hellos quicker than FRR's 5 s retransmit interval, a lost database packet is sent again
 * after one hello interval: otherwise one early loss (the neighbour's daemon not listening yet)
 * delays an adjacency by 5 s.
 */
const retransmit = (o: OspfOptions) =>
  o.hello !== undefined && o.hello < 5 ? word(o.hello) : undefined;

/** Options for {@link zebraConfig}. */
export interface ZebraOptions {
  /**
   * Install multipath (ECMP) routes the classic way, their nexthops inside the route, not as
   * kernel nexthop objects (`no zebra nexthop kernel enable`). With nexthop objects, FRR 8.4 does
   * not put a nexthop back into an ECMP route after its link went down and up again: the route
   * keeps the paths that never went away. @default false
   */
  inlineNexthops?: boolean;
}

/** zebra's configuration: its hostname (the node). */
export function zebraConfig(ns: string, options: ZebraOptions = {}): string {
  return lines(
    `hostname ${word(checkNsName(ns))}`,
    options.inlineNexthops === true && "no zebra nexthop kernel enable",
    "!",
  );
}

/**
 * ospfd's configuration (OSPFv2): each interface in the area, with the timers, point-to-point
 * links as such, passive interfaces passive; quick SPF.
 */
export function ospfConfig(ns: string, routerId: string, o: OspfOptions): string {
  const area = dotted(o.area ?? 0);
  return lines(
    `hostname ${word(checkNsName(ns))}`,
    o.interfaces.flatMap((i) =>
      [
        `interface ${word(checkIfname(i.name))}`,
        ` ip ospf area ${area}`,
        o.hello !== undefined && ` ip ospf hello-interval ${word(o.hello)}`,
        o.dead !== undefined && ` ip ospf dead-interval ${word(o.dead)}`,
        retransmit(o) !== undefined && ` ip ospf retransmit-interval ${retransmit(o)}`,
        i.pointToPoint === true && " ip ospf network point-to-point",
        "!",
      ].filter((l): l is string => l !== false)
    ),
    "router ospf",
    ` ospf router-id ${dotted(routerId)}`,
    " timers throttle spf 0 50 1000",
    o.interfaces.filter((i) => i.passive).map((i) => ` passive-interface ${word(i.name)}`),
    "!",
  );
}

/** ospf6d's configuration (OSPFv3): the same interfaces, area and timers as {@link ospfConfig}. */
export function ospf6Config(ns: string, routerId: string, o: OspfOptions): string {
  const area = dotted(o.area ?? 0);
  return lines(
    `hostname ${word(checkNsName(ns))}`,
    o.interfaces.flatMap((i) =>
      [
        `interface ${word(checkIfname(i.name))}`,
        ` ipv6 ospf6 area ${area}`,
        o.hello !== undefined && ` ipv6 ospf6 hello-interval ${word(o.hello)}`,
        o.dead !== undefined && ` ipv6 ospf6 dead-interval ${word(o.dead)}`,
        retransmit(o) !== undefined && ` ipv6 ospf6 retransmit-interval ${retransmit(o)}`,
        i.pointToPoint === true && " ipv6 ospf6 network point-to-point",
        i.passive === true && " ipv6 ospf6 passive",
        "!",
      ].filter((l): l is string => l !== false)
    ),
    "router ospf6",
    ` ospf6 router-id ${dotted(routerId)}`,
    " timers throttle spf 0 50 1000",
    "!",
  );
}

/**
 * bgpd's configuration: eBGP/iBGP sessions with quick timers, no policy needed to exchange
 * routes (a lab, not the Internet), each network announced to the neighbors of its family.
 */
export function bgpConfig(ns: string, routerId: string, b: BgpOptions): string {
  const asn = word(b.asn);
  const fam = (f: 4 | 6) => ({
    neighbors: b.neighbors.filter((n) => familyOf(n.address) === f),
    networks: (b.networks ?? []).filter((n) => familyOf(n.split("/")[0]!) === f),
  });
  const af = (f: 4 | 6) => {
    const { neighbors, networks } = fam(f);
    if (!neighbors.length && !networks.length) return [];
    return [
      ` address-family ${f === 4 ? "ipv4" : "ipv6"} unicast`,
      ...networks.map((n) => `  network ${word(n)}`),
      ...neighbors.map((n) => `  neighbor ${word(n.address)} activate`),
      ...(b.maximumPaths === undefined ? [] : [
        `  maximum-paths ${word(b.maximumPaths)}`,
        `  maximum-paths ibgp ${word(b.maximumPaths)}`,
      ]),
      " exit-address-family",
      " !",
    ];
  };
  return lines(
    `hostname ${word(checkNsName(ns))}`,
    `router bgp ${asn}`,
    ` bgp router-id ${dotted(routerId)}`,
    " no bgp ebgp-requires-policy",
    " no bgp network import-check",
    " no bgp default ipv4-unicast",
    " timers bgp 1 3",
    b.neighbors.flatMap((n) => [
      ` neighbor ${word(n.address)} remote-as ${word(n.asn)}`,
      ` neighbor ${word(n.address)} timers connect 1`,
      ` neighbor ${word(n.address)} advertisement-interval 0`,
    ]),
    " !",
    af(4),
    af(6),
    "!",
  );
}

/** Options for {@link frrSetup}. */
export interface FrrSetupOptions {
  /** The lab's state directory: the node's FRR files go to `frr-<node>/` inside it. */
  stateDir: string;
  /** The configuration of each daemon to run (from {@link ospfConfig} and its siblings). */
  configs: Partial<Record<FrrDaemon, string>>;
}

/**
 * `install -d -o frr -g frr DIR` and the daemons' configuration files in it: the node's own FRR
 * directory; and the node's copy of {@link FRR_RUN_SCRIPT} beside it, in the lab's state
 * directory. Undo removes the files and the (then empty) directory.
 *
 * @example The directory of router r1, with zebra's configuration
 * ```ts
 * import { frrSetup, zebraConfig } from "../../mod.ts";
 * frrSetup("r1", { stateDir: "/run/netkit/labs/demo", configs: { zebra: zebraConfig("r1") } });
 * ```
 */
export function frrSetup(ns: string, options: FrrSetupOptions): Step {
  checkNsName(ns);
  const dir = frrDir(options.stateDir, ns);
  const daemons = Object.keys(options.configs) as FrrDaemon[];
  return {
    key: `frr-dir:${ns}`,
    summary: `write the FRR configuration of ${ns} (${daemons.join(", ")})`,
    do: [
      cmd("install", "-d", "-o", "frr", "-g", "frr", "-m", "0755", dir),
      { write: frrRunScriptPath(options.stateDir, ns), content: FRR_RUN_SCRIPT, mode: 0o644 },
      ...daemons.map((d) => ({
        write: frrFiles(options.stateDir, ns, d).config,
        content: options.configs[d]!,
        mode: 0o644,
      })),
    ],
    undo: [
      ...daemons.map((d) => ({ remove: frrFiles(options.stateDir, ns, d).config })),
      { remove: frrRunScriptPath(options.stateDir, ns) },
      cmd("rmdir", dir), // a directory: `rmdir` (also in exported scripts), never `rm -r`
    ],
  };
}

/** Options for {@link frrDaemon}. */
export interface FrrDaemonOptions {
  /** The lab's state directory (see {@link frrDir}). */
  stateDir: string;
}

/**
 * `ip netns exec NS unshare --mount --propagation private sh SCRIPT DIR /usr/lib/frr/DAEMON -d
 * -f DIR/DAEMON.conf -i DIR/DAEMON.pid -z DIR/zserv.api --vty_socket DIR ...`: one FRR daemon
 * inside a node, with a `/var` of its own ({@link FRR_RUN_SCRIPT}), every file of it in the
 * node's FRR directory (write both first with {@link frrSetup}; start zebra before the protocol
 * daemons). Once it runs, netkit notes who it is. Undo stops it while it still is that very
 * process (shown as `pkill -F PIDFILE -x DAEMON`; a bounded wait for it to exit), then its files
 * are removed.
 *
 * @example zebra and ospfd in r1
 * ```ts
 * import { frrDaemon } from "../../mod.ts";
 * const stateDir = "/run/netkit/labs/demo";
 * [frrDaemon("r1", "zebra", { stateDir }), frrDaemon("r1", "ospfd", { stateDir })];
 * ```
 */
export function frrDaemon(ns: string, daemon: FrrDaemon, options: FrrDaemonOptions): Step {
  checkNsName(ns);
  const f = frrFiles(options.stateDir, ns, daemon);
  const argv = [
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "sh",
    f.run,
    f.dir,
    `${FRR_DAEMON_DIR}/${daemon}`,
    "-d",
    "-u",
    "frr",
    "-g",
    "frr",
    "-P",
    "0",
    "-f",
    f.config,
    "-i",
    f.pid,
    "-z",
    f.zserv,
    "--vty_socket",
    f.dir,
    `--log=file:${f.log}`,
  ];
  return {
    key: `daemon:${daemon}@${ns}`,
    summary: `start FRR ${daemon} in ${ns}`,
    do: [cmd(...inNs(ns, argv)), { recordDaemon: f.pid, program: daemon, record: f.record }],
    undo: [
      { stopDaemon: f.pid, program: daemon, record: f.record },
      { remove: f.pid },
      { remove: f.vty },
      { remove: f.log },
      ...(daemon === "zebra" ? [{ remove: f.zserv }] : []),
      ...f.state.map((remove) => ({ remove })),
    ],
    pidFile: f.pid,
  };
}

/** Options for {@link frrRouter}. */
export interface FrrRouterOptions {
  /** The lab's state directory. */
  stateDir: string;
  /** The router ID (dotted). */
  routerId: string;
  /** Run OSPF (ospfd; ospf6d too with `ipv6`). @default none */
  ospf?: OspfOptions | undefined;
  /** Run BGP (bgpd). @default none */
  bgp?: BgpOptions | undefined;
}

/**
 * Every step of one FRR router: its directory and configuration ({@link frrSetup}), zebra, then
 * ospfd (and ospf6d with `ospf.ipv6`) and bgpd as configured ({@link frrDaemon}).
 *
 * @example r1 speaks OSPF on eth0 and eth1, hellos every second
 * ```ts
 * import { frrRouter } from "../../mod.ts";
 * const steps = frrRouter("r1", {
 *   stateDir: "/run/netkit/labs/demo",
 *   routerId: "10.0.12.1",
 *   ospf: { interfaces: [{ name: "eth0" }, { name: "eth1" }], hello: 1, dead: 4 },
 * });
 * steps.length; // 3: the directory and configuration, zebra, ospfd
 * ```
 */
export function frrRouter(ns: string, options: FrrRouterOptions): Step[] {
  const { stateDir, routerId, ospf, bgp } = options;
  // ECMP routes (BGP multipath) with their nexthops inline: see ZebraOptions.
  const inlineNexthops = (bgp?.maximumPaths ?? 1) > 1;
  const configs: Partial<Record<FrrDaemon, string>> = {
    zebra: zebraConfig(ns, { inlineNexthops }),
  };
  if (ospf) configs.ospfd = ospfConfig(ns, routerId, ospf);
  if (ospf?.ipv6) configs.ospf6d = ospf6Config(ns, routerId, ospf);
  if (bgp) configs.bgpd = bgpConfig(ns, routerId, bgp);
  return [
    frrSetup(ns, { stateDir, configs }),
    ...(Object.keys(configs) as FrrDaemon[]).map((d) => frrDaemon(ns, d, { stateDir })),
  ];
}
