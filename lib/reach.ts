/**
 * What a lab may touch, decided in one place.
 *
 * netkit runs as root on lab files that people download, share and generate: a lab file is
 * untrusted input. The rule: **every object a lab touches is either created by the lab (and
 * recorded in its journal) or named by an explicit command-line opt-in (`--uplink IFACE`)**. Every
 * check that enforces it lives here, so a new field is checked the same way as the old ones:
 *
 * - names that a tool would read as something else ({@link ifnameProblem},
 *   {@link nsNameProblem}): `if2` is "the interface with index 2" to iproute2, a number after
 *   `netns` is a process ID;
 * - sysctls: only keys that live in the node's own network namespace, and values that stay
 *   there ({@link sysctlKeyProblem}, {@link sysctlValueProblem});
 * - text that reaches a terminal or a script ({@link textProblem}, and {@link printable} for
 *   whatever is shown anyway);
 * - how big a lab may get ({@link LAB_LIMITS}, {@link sizeIssues});
 * - rules across the lab ({@link reachIssues}): `untag` only on a port the lab tags itself,
 *   `uplink` only with the command line's `--uplink` for that same NIC, and on the LAN of an
 *   uplink (the real network) no DHCP server, router advertisements, OSPF, BGP, proxy ARP or
 *   proxy NDP unless the command line's `--uplink-allow` names it (lib/uplink_lan.ts);
 * - every name the lab will use in the host's root namespace or on the OVS, internal ports
 *   included before they move into their node ({@link hostNamesOf}): preflight refuses the lab
 *   when one of them exists already.
 *
 * The schema (lib/lab/schema.ts), the validation across the lab (lib/lab/validate.ts), the
 * primitives (through lib/names.ts) and preflight (lib/lab/preflight.ts) call these functions;
 * none of them keeps a rule of its own. docs/security.md, "What a lab file can and cannot do", says
 * the same for users.
 *
 * @module
 */
import type { DocPath, LabIssue } from "./lab/issue.ts";
import type { Lab } from "./lab/types.ts";
import type { UplinkProtocol } from "./uplink_lan.ts";

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/**
 * Interface names that exist, or mean something else, in every namespace. A lab may not use
 * them for an interface or a bridge, wherever it lands.
 */
const RESERVED_IFNAMES: Record<string, string> = {
  lo: "every namespace has its loopback interface lo",
  all: 'sysctl keys read "all" as every interface (net.ipv4.conf.all)',
  default: 'sysctl keys read "default" as the template for new interfaces',
  any: 'tcpdump and libpcap read "any" as every interface',
  "ovs-netdev": "Open vSwitch's userspace datapath uses this device",
  "ovs-system": "Open vSwitch's kernel datapath uses this device",
  bonding_masters: "it is a file in /sys/class/net, not an interface",
  // The kernel's fallback tunnel devices: created in every new namespace once their module is
  // loaded (net.core.fb_tunnels_only_for_init_net = 0, the default).
  tunl0: "the kernel's fallback IPIP tunnel has this name in every namespace",
  gre0: "the kernel's fallback GRE tunnel has this name in every namespace",
  gretap0: "the kernel's fallback GRETAP tunnel has this name in every namespace",
  erspan0: "the kernel's fallback ERSPAN tunnel has this name in every namespace",
  ip_vti0: "the kernel's fallback VTI tunnel has this name in every namespace",
  ip6_vti0: "the kernel's fallback VTI6 tunnel has this name in every namespace",
  sit0: "the kernel's fallback SIT tunnel has this name in every namespace",
  ip6tnl0: "the kernel's fallback IPv6 tunnel has this name in every namespace",
  ip6gre0: "the kernel's fallback IP6GRE tunnel has this name in every namespace",
};

/**
 * Why `name` may not name an interface although it is well formed, or undefined when it may.
 *
 * - `ifN` (any name that `sscanf(name, "if%u")` reads, such as `if2`, `if02`, `if2x`, `if-1`):
 *   iproute2's `ll_name_to_index()` falls back to it when no interface has that name, so
 *   `ip link set dev if2 down` or `ip link delete dev if2` acts on interface number 2. An undo
 *   or a teardown after the lab's `if2` is gone would take the host's interface with that index.
 * - all digits: tcpdump and other tools read a number as an interface index.
 * - the names in the reserved list: `lo`, `all`, `default`, `any`, Open vSwitch's datapath
 *   devices and the kernel's fallback tunnels.
 *
 * Words that iproute2 reads as keywords (`type`, `name`, `master`, `dev`, `help`, `up`...) are
 * harmless: netkit always writes `dev NAME` or `name NAME`, after which iproute2 reads NAME as a
 * name (checked with iproute2 6.1).
 *
 * @example
 * ```ts
 * import { ifnameProblem } from "./reach.ts";
 * ifnameProblem("if2"); // 'iproute2 reads "if2" as the interface with index 2 ...'
 * ifnameProblem("eth0"); // undefined
 * ```
 */
export function ifnameProblem(name: string): string | undefined {
  const index = /^if([-+]?\d+)/.exec(name);
  if (index) {
    return `iproute2 reads ${JSON.stringify(name)} as the interface with index ${
      index[1]
    } when no interface has that name (its undo would act on that interface)`;
  }
  if (/^\d+$/.test(name)) {
    return `${
      JSON.stringify(name)
    } is all digits: tools such as tcpdump read it as an interface index`;
  }
  const reserved = Object.hasOwn(RESERVED_IFNAMES, name) ? RESERVED_IFNAMES[name] : undefined;
  if (reserved) return `${JSON.stringify(name)} is reserved: ${reserved}`;
  return undefined;
}

/**
 * Why `name` may not name a namespace although it is well formed, or undefined when it may.
 *
 * A number (`123`, `0x1f`, `017`): iproute2's `ip link ... netns NAME` opens `/run/netns/NAME`
 * and, when that does not exist, reads NAME as a process ID, so a link would move into that
 * process's namespace (PID 1's is the host's).
 *
 * @example
 * ```ts
 * import { nsNameProblem } from "./reach.ts";
 * nsNameProblem("1"); // 'iproute2 reads "1" as a process ID ...'
 * ```
 */
export function nsNameProblem(name: string): string | undefined {
  if (/^(\d+|0[xX][0-9a-fA-F]+)$/.test(name)) {
    return `iproute2 reads ${
      JSON.stringify(name)
    } as a process ID when no namespace has that name ("netns ${name}": the namespace of process ${name})`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Sysctls
// ---------------------------------------------------------------------------------------------

/** The longest sysctl key a lab may set, in bytes. */
const SYSCTL_KEY_MAX = 200;
/** The longest sysctl value a lab may set, in characters. */
const SYSCTL_VALUE_MAX = 256;

/**
 * `net.*` keys that are not the node's own: a glob per line (`*` is one key segment or part of
 * one), with the reason. Found by listing `/proc/sys/net` in the initial namespace and in a fresh
 * one (Linux 6.18), and by reading the handlers of what a fresh namespace shows:
 *
 * - keys that exist only in the initial namespace are host-wide (`net.core.netdev_max_backlog`,
 *   `net.ipv4.tcp_mem`, the neighbour tables' `gc_thresh*`...). Inside a lab namespace they do
 *   not exist, so setting one would only fail; refusing it says why, up front;
 * - keys a fresh namespace shows read-only are the host's values (`net.core.rmem_max`,
 *   `net.netfilter.nf_conntrack_max`...);
 * - keys a namespace may write but whose effect is host-wide: `net.netfilter.nf_hooks_lwtunnel`
 *   turns on a kernel-wide static key that cannot be turned off again.
 *
 * Every other `net.*` key that exists inside a fresh namespace belongs to that namespace. A key
 * that a newer kernel adds only to the initial namespace is still harmless: it does not exist
 * inside the lab's namespace, so setting it fails and the bring-up is rolled back.
 */
const NOT_PER_NAMESPACE: [glob: string, reason: string][] = [
  ["net.core.bpf_jit_*", "BPF JIT settings are host-wide"],
  ["net.core.busy_*", "host-wide"],
  ["net.core.default_qdisc", "host-wide (and it loads the qdisc's module)"],
  ["net.core.dev_weight*", "host-wide"],
  ["net.core.devconf_inherit_init_net", "host-wide"],
  ["net.core.fb_tunnels_only_for_init_net", "host-wide"],
  ["net.core.flow_limit_*", "host-wide"],
  ["net.core.gro_normal_batch", "host-wide"],
  ["net.core.high_order_alloc_disable", "host-wide"],
  ["net.core.max_skb_frags", "host-wide"],
  ["net.core.mem_pcpu_rsv", "host-wide"],
  ["net.core.message_*", "host-wide"],
  ["net.core.netdev_*", "host-wide"],
  ["net.core.rps_sock_flow_entries", "host-wide"],
  ["net.core.skb_defer_max", "host-wide"],
  ["net.core.warnings", "host-wide"],
  ["net.core.rmem_*", "the host's value: read-only inside a namespace"],
  ["net.core.wmem_*", "the host's value: read-only inside a namespace"],
  ["net.ipv4.cipso_*", "host-wide"],
  ["net.ipv4.fib_sync_mem", "host-wide"],
  ["net.ipv4.inet_peer_*", "host-wide"],
  ["net.ipv4.ipfrag_secret_interval", "host-wide"],
  ["net.ipv4.tcp_available_ulp", "host-wide"],
  ["net.ipv4.tcp_low_latency", "host-wide"],
  ["net.ipv4.tcp_max_orphans", "host-wide"],
  ["net.ipv4.tcp_mem", "host-wide"],
  ["net.ipv4.udp_mem", "host-wide"],
  ["net.ipv4.tcp_allowed_congestion_control", "the host's list: read-only inside a namespace"],
  ["net.ipv4.tcp_available_congestion_control", "the host's list: read-only inside a namespace"],
  ["net.ipv4.tcp_ehash_entries", "read-only"],
  ["net.ipv4.udp_hash_entries", "read-only"],
  ["net.ipv4.route.error_*", "host-wide"],
  ["net.ipv4.route.gc_*", "host-wide"],
  ["net.ipv4.route.max_size", "host-wide"],
  ["net.ipv4.route.redirect_*", "host-wide"],
  ["net.ipv4.neigh.*.gc_interval", "the ARP table's garbage collection is host-wide"],
  ["net.ipv4.neigh.*.gc_thresh*", "the ARP table's size is host-wide"],
  ["net.ipv4.conf.*.mc_forwarding", "read-only (set by a multicast routing daemon)"],
  ["net.ipv6.calipso_*", "host-wide"],
  ["net.ipv6.ip6frag_secret_interval", "host-wide"],
  ["net.ipv6.mld_max_msf", "host-wide"],
  ["net.ipv6.mld_qrv", "host-wide"],
  ["net.ipv6.neigh.*.gc_interval", "the neighbour table's garbage collection is host-wide"],
  ["net.ipv6.neigh.*.gc_thresh*", "the neighbour table's size is host-wide"],
  ["net.ipv6.conf.*.mc_forwarding", "read-only (set by a multicast routing daemon)"],
  ["net.mptcp.available_*", "read-only"],
  ["net.netfilter.nf_conntrack_buckets", "the host's value: read-only inside a namespace"],
  ["net.netfilter.nf_conntrack_count", "read-only"],
  ["net.netfilter.nf_conntrack_expect_max", "the host's value: read-only inside a namespace"],
  ["net.netfilter.nf_conntrack_max", "the host's value: read-only inside a namespace"],
  ["net.netfilter.nf_log_all_netns", "host-wide"],
  [
    "net.netfilter.nf_hooks_lwtunnel",
    "writing 1 turns on a kernel-wide switch that can never be turned off again",
  ],
  ["net.nf_conntrack_max", "host-wide"],
];

const globRegex = (glob: string) =>
  new RegExp(
    `^${glob.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^.]*")}$`,
  );
const NOT_PER_NAMESPACE_RE = NOT_PER_NAMESPACE.map(([g, why]) => [globRegex(g), why] as const);

/**
 * Values of `net.ipv4.tcp_congestion_control` a lab may set. Any other name makes the kernel
 * load the module `tcp_NAME` into the host's kernel (`request_module()` in
 * `tcp_set_default_congestion_control()`), a change outside the lab that `down` cannot undo;
 * reno and cubic are built into Debian's kernels.
 */
const CONGESTION_CONTROLS = ["reno", "cubic"] as const;

/**
 * Why `key` may not be set by a lab, or undefined when it may.
 *
 * A lab sets sysctls with `ip netns exec NODE sysctl -w KEY=VALUE`, so only keys under `net.`
 * (the per-network-namespace tree of /proc/sys) stay inside the node: `kernel.*`, `vm.*`, `fs.*`
 * and the rest are the host's (`kernel.core_pattern` is code execution as root on the next
 * crash). The key is `net.` followed by segments of letters, digits, `_` and `-`, separated by
 * single dots, at most {@link SYSCTL_KEY_MAX} bytes: no leading `-` (sysctl would read an
 * option), no `/` (sysctl reads it as a dot, and `..` as a path), no empty segment, no glob.
 * Keys of interfaces with a dot in their name cannot be written this way. Some `net.*` keys are
 * host-wide all the same: see the list in this module.
 *
 * @example
 * ```ts
 * import { sysctlKeyProblem } from "./reach.ts";
 * sysctlKeyProblem("kernel.core_pattern"); // "... is not a network namespace setting ..."
 * sysctlKeyProblem("net.ipv4.conf.all.rp_filter"); // undefined
 * ```
 */
export function sysctlKeyProblem(key: string): string | undefined {
  const q = JSON.stringify(key);
  if (key.length === 0) return "a sysctl key is empty";
  if (key.startsWith("-")) return `sysctl key ${q} starts with "-": sysctl would read an option`;
  if (new TextEncoder().encode(key).length > SYSCTL_KEY_MAX) {
    return `sysctl key ${q.slice(0, 40)}... is over ${SYSCTL_KEY_MAX} bytes`;
  }
  if (key.includes("/")) {
    return `sysctl key ${q} holds "/": write the key with dots only (net.ipv4.ip_forward)`;
  }
  if (key.split(".").includes("")) {
    return `sysctl key ${q} has an empty segment (".." or a leading or trailing ".")`;
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(key)) {
    return `sysctl key ${q} may hold only letters, digits, "_", "-" and "."`;
  }
  if (key.split(".")[0] !== "net") {
    return `sysctl key ${q} is not a network namespace setting: only net.* keys stay inside ` +
      `the node (${key.split(".")[0]}.* changes the whole host)`;
  }
  if (key === "net") return 'a sysctl key names one setting, such as "net.ipv4.ip_forward"';
  if (key.split(".").some((s) => s.startsWith("-"))) {
    return `sysctl key ${q} has a segment that starts with "-"`;
  }
  for (const [re, why] of NOT_PER_NAMESPACE_RE) {
    if (re.test(key)) return `sysctl key ${q} is not the node's own: ${why}`;
  }
  return undefined;
}

/**
 * Why `value` may not be written to sysctl `key`, or undefined when it may: a whole number, or
 * text of at most {@link SYSCTL_VALUE_MAX} printable ASCII characters (no newline, tab or other
 * control character: sysctl would write them into the file, where a newline starts a second
 * value). `net.ipv4.tcp_congestion_control` takes only {@link CONGESTION_CONTROLS}.
 *
 * @example
 * ```ts
 * import { sysctlValueProblem } from "./reach.ts";
 * sysctlValueProblem("net.ipv4.ip_local_port_range", "20000 30000"); // undefined
 * sysctlValueProblem("net.ipv4.tcp_congestion_control", "bbr"); // "... loads the kernel module tcp_bbr ..."
 * ```
 */
export function sysctlValueProblem(key: string, value: string | number): string | undefined {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) ? undefined : `sysctl value ${value} is not a whole number`;
  }
  if (value.length > SYSCTL_VALUE_MAX) {
    return `sysctl value is ${value.length} characters; at most ${SYSCTL_VALUE_MAX}`;
  }
  const bad = /[^\x20-\x7e]/.exec(value);
  if (bad) {
    return `sysctl value holds ${
      codePoint(bad[0])
    }: only printable ASCII characters (and spaces) may be written`;
  }
  if (
    key === "net.ipv4.tcp_congestion_control" &&
    !(CONGESTION_CONTROLS as readonly string[]).includes(value.trim())
  ) {
    return `congestion control ${JSON.stringify(value)} would load the kernel module ` +
      `tcp_${value.trim()} into the host's kernel: a lab may choose ${
        CONGESTION_CONTROLS.join(" or ")
      }`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Text that reaches a terminal
// ---------------------------------------------------------------------------------------------

/** The longest description a lab may have, in characters. */
const DESCRIPTION_MAX = 1000;

/**
 * Control characters (C0 but newline and tab, DEL, C1) and the Unicode marks that reorder or
 * hide text on a terminal or in an editor (bidirectional overrides and isolates, line and
 * paragraph separators).
 */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

const codePoint = (c: string) =>
  `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * Why lab text (a description) may not be shown as it is, or undefined: an escape sequence or
 * other control character would reach the terminal of whoever reads `graph` or an exported
 * script; over `max` characters it is not a description.
 */
export function textProblem(text: string, max = DESCRIPTION_MAX): string | undefined {
  if (text.length > max) return `it is ${text.length} characters; at most ${max}`;
  const bad = text.match(UNPRINTABLE)?.[0];
  if (bad !== undefined) {
    return `it holds the control character ${codePoint(bad)}, which a terminal would obey`;
  }
  return undefined;
}

/**
 * `text` with every control character (but newline and tab) and every text-reordering mark
 * replaced by its `\uXXXX` escape, so that nothing from a lab, a command's output or a file
 * reaches a terminal as an instruction. Inside JSON strings the escapes stay valid JSON.
 *
 * @example
 * ```ts
 * import { printable } from "./reach.ts";
 * printable("lab \x1b]0;owned\x07"); // "lab \\u001b]0;owned\\u0007"
 * ```
 */
export function printable(text: string): string {
  return text.replace(
    UNPRINTABLE,
    (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Size
// ---------------------------------------------------------------------------------------------

/**
 * How big a lab may be, counted after `generate:` is expanded. A lab within these bounds plans
 * and validates in well under a second and at most a few hundred thousand steps: every count
 * below grows the plan linearly.
 */
export const LAB_LIMITS = {
  /** Nodes (network namespaces). */
  nodes: 4096,
  /** Linux and OVS bridges. */
  bridges: 1024,
  /** Links (veth pairs). */
  links: 8192,
  /** Interfaces configured in nodes (`nodes.*.interfaces`). */
  interfaces: 16384,
  /** Ports listed under bridges (`bridges.*.ports`). */
  ports: 8192,
  /** Addresses, over all interfaces. */
  addresses: 16384,
  /** Routes, over all nodes (a chain of 4096 nodes has 28,649). */
  routes: 32768,
  /** Sysctls, over all nodes. */
  sysctls: 16384,
  /** NAT rules, over all nodes. */
  nat: 4096,
  /** Expectations (each runs a process when checked). */
  expect: 256,
  /**
   * Packet captures (`capture: true`). Each records at most 50,000 frames of 1600 bytes (about
   * 80 MB) into the state root, a tmpfs in memory, and is kept after `down` until `clean`: four
   * keep one lab under about 320 MB however much traffic its proofs make.
   */
  captures: 4,
  /** Host roles of a multi-host lab (`hosts`). */
  hosts: 256,
  /** VXLAN ends of a multi-host lab's part (`tunnels`, one per link between hosts at most). */
  tunnels: 8192,
  /** OSPF interfaces (speaking and passive), BGP neighbors and BGP networks, over all nodes. */
  routing: 16384,
  /** OpenFlow flows, over all bridges (and at most 1000 on one bridge). */
  flows: 16384,
  /** Port mirrors and the ports they select, over all bridges. */
  mirrors: 8192,
} as const;

/** The counts {@link LAB_LIMITS} bounds, of a lab or of a lab document before validation. */
function labCounts(lab: {
  nodes?: Record<string, unknown>;
  bridges?: Record<string, unknown>;
  links?: unknown[];
  expect?: unknown[];
  hosts?: unknown;
  tunnels?: unknown;
}): Record<keyof typeof LAB_LIMITS, number> {
  const obj = (v: unknown): Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : {};
  const len = (v: unknown) => (Array.isArray(v) ? v.length : 0);
  const counts = {
    nodes: 0,
    bridges: 0,
    links: len(lab.links),
    interfaces: 0,
    ports: 0,
    addresses: 0,
    routes: 0,
    sysctls: 0,
    nat: 0,
    expect: len(lab.expect),
    captures: 0,
    hosts: Object.keys(obj(lab.hosts)).length,
    tunnels: len(lab.tunnels),
    routing: 0,
    flows: 0,
    mirrors: 0,
  };
  for (const node of Object.values(obj(lab.nodes))) {
    counts.nodes++;
    const n = obj(node);
    const ifaces = Object.values(obj(n.interfaces));
    counts.interfaces += ifaces.length;
    for (const i of ifaces) {
      counts.addresses += len(obj(i).addresses);
      if (obj(i).capture === true) counts.captures++;
    }
    counts.routes += len(n.routes);
    counts.nat += len(n.nat);
    counts.sysctls += Object.keys(obj(n.sysctls)).length;
    const { ospf, bgp } = obj(obj(n.routing));
    counts.routing += len(obj(ospf).interfaces) + len(obj(ospf).passive) +
      len(obj(bgp).neighbors) + len(obj(bgp).networks);
  }
  for (const bridge of Object.values(obj(lab.bridges))) {
    counts.bridges++;
    counts.ports += Object.keys(obj(obj(bridge).ports)).length;
    counts.flows += len(obj(bridge).flows);
    for (const mirror of Object.values(obj(obj(bridge).mirrors))) {
      counts.mirrors += 1 + len(obj(mirror).select);
    }
  }
  return counts;
}

/**
 * The problems of a lab (or a lab document) that is bigger than {@link LAB_LIMITS} allow, each
 * at the collection that is over its bound.
 */
export function sizeIssues(lab: Parameters<typeof labCounts>[0]): LabIssue[] {
  const counts = labCounts(lab);
  return (Object.keys(LAB_LIMITS) as (keyof typeof LAB_LIMITS)[])
    .filter((kind) => counts[kind] > LAB_LIMITS[kind])
    .map((kind) => ({
      path: [WHERE[kind]],
      message: `the lab has ${counts[kind]} ${LABEL[kind]}; a lab may have at most ${
        LAB_LIMITS[kind]
      } (docs/security.md: What a lab file can and cannot do)`,
    }));
}

const WHERE: Record<keyof typeof LAB_LIMITS, string> = {
  nodes: "nodes",
  bridges: "bridges",
  links: "links",
  interfaces: "nodes",
  ports: "bridges",
  addresses: "nodes",
  routes: "nodes",
  sysctls: "nodes",
  nat: "nodes",
  expect: "expect",
  captures: "nodes",
  hosts: "hosts",
  tunnels: "tunnels",
  routing: "nodes",
  flows: "bridges",
  mirrors: "bridges",
};
const LABEL: Record<keyof typeof LAB_LIMITS, string> = {
  nodes: "nodes",
  bridges: "bridges",
  links: "links",
  interfaces: "interfaces",
  ports: "bridge ports",
  addresses: "addresses",
  routes: "routes",
  sysctls: "sysctls",
  nat: "NAT rules",
  expect: "expectations",
  captures: "packet captures (capture: true)",
  hosts: "host roles",
  tunnels: "tunnels",
  routing: "OSPF interfaces, BGP neighbors and BGP networks",
  flows: "OpenFlow flows",
  mirrors: "port mirrors and mirrored ports",
};

// ---------------------------------------------------------------------------------------------
// Where interfaces live, and what the host sees
// ---------------------------------------------------------------------------------------------

/**
 * The owner of a link end in the root namespace (`root:IFNAME`): a veth end that the lab
 * creates there under IFNAME and that is no bridge's port, like containerlab's `host:IFNAME`.
 * It is the lab's own object like a bridge port's end: its name follows the same rules, is one
 * of {@link hostNamesOf} (preflight refuses the lab when an interface of that name exists
 * already), and it lives in the lab's sandbox when the lab is sandboxed. It carries no address
 * (a lab file configures only what lands in its nodes). No node or bridge may be called `root`.
 */
export const ROOT_OWNER = "root";

/** Whether `owner` (of an `OWNER:IFNAME` end) puts the end in the root namespace. */
export function inRootNamespace(lab: Pick<Lab, "bridges">, owner: string): boolean {
  return owner === ROOT_OWNER || Object.hasOwn(lab.bridges, owner);
}

/** Where each interface of the lab lives, derived from links, internal ports and dummies. */
export interface LabLayout {
  /** node -> interface names that land in it. */
  nodeIfaces: Map<string, Set<string>>;
  /** Interface names that stay in the root namespace (bridges and root-side ends). */
  rootIfaces: Set<string>;
}

const splitEndpoint = (ep: string): [string, string] => {
  const at = ep.indexOf(":");
  return [ep.slice(0, at), ep.slice(at + 1)];
};

/** Derives where every interface lives. Assumes owners exist (see `validateLab`). */
export function layoutOf(lab: Lab): LabLayout {
  const nodeIfaces = new Map<string, Set<string>>(
    Object.keys(lab.nodes).map((n) => [n, new Set<string>()]),
  );
  const rootIfaces = new Set<string>(Object.keys(lab.bridges));
  for (const link of lab.links) {
    for (const ep of link.endpoints) {
      const [owner, ifname] = splitEndpoint(ep);
      if (inRootNamespace(lab, owner)) rootIfaces.add(ifname);
      else nodeIfaces.get(owner)?.add(ifname);
    }
  }
  for (const tunnel of lab.tunnels ?? []) {
    const [owner, ifname] = splitEndpoint(tunnel.end);
    if (owner in lab.bridges) rootIfaces.add(ifname);
    else nodeIfaces.get(owner)?.add(ifname);
  }
  for (const bridge of Object.values(lab.bridges)) {
    for (const [port, p] of Object.entries(bridge.ports)) {
      if (!p.internal) continue;
      if (p.node) nodeIfaces.get(p.node)?.add(port);
      else rootIfaces.add(port);
    }
  }
  // Dummy interfaces: made inside their node (`dummy: true`), no link's end.
  for (const [name, node] of Object.entries(lab.nodes)) {
    for (const [ifname, i] of Object.entries(node.interfaces)) {
      if (i.dummy) nodeIfaces.get(name)?.add(ifname);
    }
  }
  return { nodeIfaces, rootIfaces };
}

/** What a lab's plan names on the host, with where each name comes from in the lab. */
interface HostNames {
  /** Namespaces the lab creates. */
  namespaces: Map<string, DocPath>;
  /**
   * Interfaces the lab creates in the host's root namespace, if only for a moment: bridges,
   * root-side veth ends (bridge ports and `root:IFNAME` ends), and every OVS internal port (OVS creates its tap there before netkit
   * moves it into its node). The names the lab adds to an OVS (its bridges, which are their own
   * ports, and its ports) are all among them.
   */
  links: Map<string, DocPath>;
}

/**
 * Every name the lab's plan will use in the host's root namespace or on the OVS, in one place,
 * for preflight: none of them may exist before the lab is built, as an interface (or an
 * interface's alternative name) or as an OVS port. Names inside a node are not listed: the node
 * is a new, empty namespace (createAs renames happen there too). A sandboxed lab puts the root
 * namespace's share into its own parent namespace, so only its namespaces can clash.
 *
 * @example
 * ```ts
 * import { hostNamesOf } from "./reach.ts";
 * import { validateLab } from "./lab/validate.ts";
 * import { getRecipe } from "../recipes/mod.ts";
 * const names = hostNamesOf(validateLab(getRecipe("ovs-internal").build()));
 * [...names.links.keys()]; // ["br1", "tap1", "tap2"]
 * ```
 */
export function hostNamesOf(lab: Lab): HostNames {
  const namespaces = new Map<string, DocPath>(
    Object.keys(lab.nodes).map((n) => [n, ["nodes", n]]),
  );
  const links = new Map<string, DocPath>();
  for (const name of Object.keys(lab.bridges)) links.set(name, ["bridges", name]);
  lab.links.forEach((link, i) => {
    link.endpoints.forEach((ep, j) => {
      const [owner, ifname] = splitEndpoint(ep);
      if (inRootNamespace(lab, owner)) links.set(ifname, ["links", i, "endpoints", j]);
    });
  });
  (lab.tunnels ?? []).forEach((tunnel, i) => {
    const [owner, ifname] = splitEndpoint(tunnel.end);
    if (owner in lab.bridges) links.set(ifname, ["tunnels", i, "end"]);
  });
  for (const [bname, bridge] of Object.entries(lab.bridges)) {
    for (const [port, p] of Object.entries(bridge.ports)) {
      if (p.internal) links.set(port, ["bridges", bname, "ports", port]);
    }
  }
  return { namespaces, links };
}

// ---------------------------------------------------------------------------------------------
// Rules across the lab
// ---------------------------------------------------------------------------------------------

/** What the command line allows a lab to touch beyond what it creates. */
export interface ReachOptions {
  /**
   * The host NICs the command line names (`--uplink IFACE`): a bridge's `uplink` must be one of
   * them. `"any"` only where the lab is not built, not even as a script (`graph`).
   * @default [] (a lab may move no NIC of the host)
   */
  uplinks?: readonly string[] | "any";
  /**
   * The lab is one host's part of a multi-host lab, made by the controller's split
   * (lib/multihost/split.ts) from the operator's `--hosts` inventory: its `tunnels` (VXLAN ends
   * that send UDP to another machine's underlay address) are allowed. A lab file never is. A
   * list allows only the tunnels it names, each as {@link tunnelName} writes it: what `netkit
   * part up --tunnels` names on its command line (the controller's, from its split), so a part
   * piped into `netkit part up` by hand creates no tunnel its command line does not name.
   * @default false (a lab may name no tunnel)
   */
  tunnels?: boolean | readonly string[];
  /**
   * What a lab may run on an uplink's LAN, the real network, by name (`--uplink-allow
   * ospf,bgp`): see lib/uplink_lan.ts. `"any"` only where the lab is not built (`graph`).
   * @default [] (nothing that speaks to the real network, or answers for others on it)
   */
  uplinkAllow?: readonly UplinkProtocol[] | "any";
}

/**
 * How a command line names a tunnel (`netkit part up --tunnels`): `VNI:LOCAL:REMOTE:PORT`, the
 * four things that say where its UDP goes and what it accepts.
 *
 * @example
 * ```ts
 * import { tunnelName } from "./reach.ts";
 * tunnelName({ vni: 4097, local: "10.9.0.1", remote: "10.9.0.2", port: 4789 });
 * // "4097:10.9.0.1:10.9.0.2:4789"
 * ```
 */
export function tunnelName(
  tunnel: { vni: number; local: string; remote: string; port: number },
): string {
  return `${tunnel.vni}:${tunnel.local}:${tunnel.remote}:${tunnel.port}`;
}

/** The tunnels of a part that a list of allowed ones ({@link ReachOptions.tunnels}) leaves out. */
function unnamedTunnelIssues(lab: Lab, named: readonly string[]): LabIssue[] {
  const allowed = new Set(named);
  return (lab.tunnels ?? []).flatMap((tunnel, i) => {
    const name = tunnelName(tunnel);
    if (allowed.has(name)) return [];
    return [{
      path: ["tunnels", i],
      message: `tunnel ${tunnel.end} (VNI ${tunnel.vni}, UDP to ${tunnel.remote} port ` +
        `${tunnel.port}) is not named on the command line: only --tunnels ${name} allows it`,
    }];
  });
}

/**
 * `tunnels` (VXLAN ends that send UDP to another machine's address) are refused unless the lab
 * is a multi-host part made by the controller (`options.tunnels`). `validateLab` checks this
 * first, so that a lab file naming tunnels hears only that.
 */
export function tunnelIssues(lab: { tunnels?: unknown }, options: ReachOptions = {}): LabIssue[] {
  if (lab.tunnels === undefined || options.tunnels) return [];
  return [{
    path: ["tunnels"],
    message: "a lab file cannot name tunnels: they send UDP to another machine, so netkit " +
      "makes them itself for the links between hosts, from the machines --hosts names",
    key: true,
  }];
}

/**
 * The problems of a lab that reaches beyond itself (the lab is otherwise valid):
 *
 * - `bridges.X.uplink: NIC` moves a NIC of the host (its addresses and routes) into the lab: only
 *   when the command line names that NIC (`--uplink NIC`), and for one bridge only (a multi-host
 *   lab would otherwise take the NIC of that name on every host it places such a bridge on);
 * - on an uplink's LAN (the real network): a DHCP server would answer its clients,
 *   authoritatively; router advertisements, OSPF, BGP, proxy ARP and proxy NDP would speak to it
 *   or answer for others on it. Each only when the command line names it (`--uplink-allow
 *   dhcp,ra,ospf,bgp,proxy-arp,proxy-ndp`; lib/uplink_lan.ts);
 * - `expect: untag` removes a VLAN tag from an OVS port and sets it back: only on a port of one
 *   of the lab's OVS bridges whose `tag` in the lab is that tag;
 * - `tunnels` (VXLAN to another machine's address): only in a part the multi-host controller
 *   made from the command line's `--hosts` inventory (`options.tunnels`), and given a list, only
 *   the tunnels it names (`netkit part up --tunnels`); a lab file names host roles, never
 *   machines or addresses.
 */
export function reachIssues(lab: Lab, options: ReachOptions = {}): LabIssue[] {
  const issues: LabIssue[] = [...tunnelIssues(lab, options)];
  if (Array.isArray(options.tunnels)) issues.push(...unnamedTunnelIssues(lab, options.tunnels));
  const allowed = options.uplinks === "any" ? undefined : new Set(options.uplinks ?? []);
  const bridgeOfUplink = new Map<string, string>();
  for (const [bname, bridge] of Object.entries(lab.bridges)) {
    if (bridge.uplink === undefined) continue;
    const first = bridgeOfUplink.get(bridge.uplink);
    if (first !== undefined) {
      issues.push({
        path: ["bridges", bname, "uplink"],
        message: `uplink ${JSON.stringify(bridge.uplink)} is already bridge "${first}"'s: ` +
          `--uplink ${bridge.uplink} lets one bridge take that NIC (in a multi-host lab, on one ` +
          "host), not every bridge that names it",
      });
      continue;
    }
    bridgeOfUplink.set(bridge.uplink, bname);
    if (allowed && !allowed.has(bridge.uplink)) {
      issues.push({
        path: ["bridges", bname, "uplink"],
        message:
          `uplink ${
            JSON.stringify(bridge.uplink)
          } would move a network interface of this host (its addresses and routes) into the lab; ` +
          `a lab file cannot do that on its own: add --uplink ${bridge.uplink} to the command line ` +
          "if you mean it",
      });
    }
  }
  const linkEnds = new Set(
    lab.expect.some((e) => "untag" in e) ? lab.links.flatMap((l) => l.endpoints) : [],
  );
  lab.expect.forEach((e, k) => {
    if (!("untag" in e)) return;
    const { port, tag } = e.untag;
    const owner = Object.entries(lab.bridges).find(([bname, b]) =>
      b.type === "ovs" && (Object.hasOwn(b.ports, port) || linkEnds.has(`${bname}:${port}`))
    );
    const own = owner && Object.hasOwn(owner[1].ports, port)
      ? owner[1].ports[port]!.tag
      : undefined;
    if (!owner) {
      issues.push({
        path: ["expect", k, "untag", "port"],
        message: `port "${port}" is not a port of one of the lab's OVS bridges: untag changes ` +
          "only the lab's own ports",
      });
    } else if (own !== tag) {
      issues.push({
        path: ["expect", k, "untag", "tag"],
        message: own === undefined
          ? `port "${port}" has no tag in the lab (bridges.${owner[0]}.ports.${port}.tag)`
          : `port "${port}" has tag ${own} in the lab, not ${tag}`,
      });
    }
  });
  return issues;
}
