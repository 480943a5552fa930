/**
 * The lab description: plain data, validated once at the edge with zod. Recipes build it, lab
 * files (YAML) hold it, and {@link planLab} turns it into steps.
 *
 * ```yaml
 * name: ovs-internal
 * nodes:                      # network namespaces
 *   ns1: { interfaces: { tap1: { addresses: [10.0.0.1/24] } } }
 *   ns2: { interfaces: { tap2: { addresses: [10.0.0.2/24] } } }
 * bridges:
 *   br1:
 *     type: ovs
 *     ports:
 *       tap1: { internal: true, node: ns1 }   # OVS internal port moved into ns1
 *       tap2: { internal: true, node: ns2 }
 * links: []                   # veth pairs: endpoints "OWNER:IFNAME", OWNER a node, a bridge or root
 * expect:
 *   - ping: { from: ns2, to: 10.0.0.1 }
 * ```
 *
 * A lab is untrusted input (it may come from a file someone else wrote), so every field below
 * says what it reaches on the host, and lib/reach.ts holds the checks that keep it there: in
 * short, a lab reaches its own namespaces, the bridges and root-side interfaces it creates, files
 * in its own state directory, and nothing else unless the command line says `--uplink NIC`.
 *
 * @module
 */
import * as z from "../deps/zod.ts";
import { IFNAME_MAX_BYTES, NAME_MAX_BYTES } from "../names.ts";
import {
  ifnameProblem,
  nsNameProblem,
  sysctlKeyProblem,
  sysctlValueProblem,
  textProblem,
} from "../reach.ts";
import {
  durationProblem,
  MAX_DELAY_US,
  MAX_WITHIN_US,
  percentProblem,
  rateProblem,
} from "../units.ts";
import { familyOf, isIpv6, parseAnyCidr } from "../addr.ts";
import { inheritedNameProblem } from "./own_names.ts";
import { FRR_CONFIG_MAX_BYTES, frrConfigProblem } from "./frr_config.ts";
import type { Expect, ImpairSpec, Lab, LabInput } from "./types.ts";

/** Why `value` (a name, or both names of `OWNER:IFNAME`) is one every object already has. */
const inheritedIn = (value: string) =>
  value.split(":").map(inheritedNameProblem).find((p) => p !== undefined);
/**
 * Refuses a name every JavaScript object already has (`constructor`, `__proto__`...: see
 * lib/lab/own_names.ts). The checks after it take {@link otherwise}, so it is the one message. (It
 * does not abort: that would make a union of proofs blame another kind of proof.)
 */
const inheritedName = () =>
  z.refine<string>((s) => inheritedIn(s) === undefined, {
    error: (issue) => inheritedIn(String(issue.input)),
  });
/** Run a check only on a string that {@link inheritedName} let through. */
const otherwise = {
  when: (payload: { value: unknown }) =>
    typeof payload.value === "string" && inheritedIn(payload.value) === undefined,
};

/**
 * `schema` with `text` as its description: the lab file's JSON Schema carries it (editors show it
 * on hover; lib/lab/json_schema.ts), and tests/unit/schema_test.ts keeps every field described.
 */
export const describe = <T extends z.ZodMiniType>(schema: T, text: string): T =>
  schema.check(z.describe(text)) as T;
const d = describe;

/** An integer from `min` to `max`. */
const intIn = (min: number, max: number) => z.int().check(z.minimum(min), z.maximum(max));
const bytes = (s: string) => new TextEncoder().encode(s).length;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const article = (word: string) => (/^[aeiou]/.test(word) ? "an" : "a");
const nameOf = (
  kind: string,
  max: number,
  problem: (name: string) => string | undefined = () => undefined,
) =>
  z.string().check(
    inheritedName(),
    z.regex(NAME, {
      message: `${article(kind)} ${kind} name uses letters, digits, "-", "_" and "." only, ` +
        "starting with a letter or digit",
      ...otherwise,
    }),
    z.refine((s) => bytes(s) <= max, {
      ...otherwise,
      error: (issue) =>
        `${JSON.stringify(issue.input)} is ${bytes(String(issue.input))} bytes: ${
          article(kind)
        } ${kind} name is at most ${max} bytes${
          kind === "interface" ? " (the kernel's limit)" : ""
        }`,
    }),
    z.refine((s) => problem(s) === undefined, {
      ...otherwise,
      error: (issue) => problem(String(issue.input)),
    }),
  );

/**
 * An interface name (at most 15 bytes), never one that a tool reads as something else (`if2`,
 * `lo`...: see `ifnameProblem` in lib/reach.ts). Reaches: `ip ... dev NAME` in its node, or in
 * the root namespace for bridges and their ports.
 */
const Ifname = nameOf("interface", IFNAME_MAX_BYTES, ifnameProblem);
/**
 * A namespace name (at most 32 bytes), never a number (`netns 1` is PID 1's namespace: see
 * `nsNameProblem` in lib/reach.ts). Reaches: `/run/netns/NAME`, `ip -n NAME`, file names in the
 * lab's state directory.
 */
const NsName = nameOf("namespace", NAME_MAX_BYTES, nsNameProblem);

/**
 * A node's sysctls: `net.*` keys of its own network namespace only, values that stay there
 * (see `sysctlKeyProblem` and `sysctlValueProblem` in lib/reach.ts). Reaches:
 * `ip netns exec NODE sysctl -w KEY=VALUE`, i.e. /proc/sys/net inside the node.
 */
const Sysctls = z.record(z.string(), z.union([z.string(), z.number()])).check(
  z.superRefine((sysctls, ctx) => {
    for (const [key, value] of Object.entries(sysctls)) {
      const bad = sysctlKeyProblem(key);
      if (bad) ctx.addIssue({ code: "custom", message: bad, path: [key], params: { key: true } });
      else {
        const badValue = sysctlValueProblem(key, value);
        if (badValue) ctx.addIssue({ code: "custom", message: badValue, path: [key] });
      }
    }
  }),
);

const octet = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = new RegExp(`^${octet}(\\.${octet}){3}$`);
/** An IPv4 address. */
export const Ipv4 = z.string().check(z.regex(IPV4, {
  error: (i) => v4Only(i.input, "expected an IPv4 address A.B.C.D"),
}));
/** An IPv4 interface address with prefix, `A.B.C.D/N`. */
const Cidr = z.string().check(z.refine((s) => {
  const [a, p, extra] = s.split("/");
  return extra === undefined && a !== undefined && IPV4.test(a) && p !== undefined &&
    /^\d{1,2}$/.test(p) && Number(p) <= 32;
}, { error: (i) => v4Only(i.input, "expected an IPv4 address with prefix, A.B.C.D/N") }));

/** The message for an IPv6 value in an IPv4-only field, else `otherwise`. */
function v4Only(input: unknown, otherwise: string): string {
  const text = typeof input === "string" ? input : "";
  return familyOf(text.split("/")[0] ?? "") === 6
    ? `${text} is IPv6, but this field takes IPv4 only (${otherwise.replace(/^expected /, "")})`
    : otherwise;
}
/** An IPv6 address, e.g. `2001:db8::1` (no zone, no prefix). */
const Ipv6 = z.string().check(z.refine(isIpv6, {
  message: "expected an IPv6 address, e.g. 2001:db8::1",
}));
/** An IPv4 or IPv6 address. */
const IpAddress = z.string().check(z.refine((s) => familyOf(s) !== undefined, {
  message: "expected an IPv4 or IPv6 address",
}));
/** An interface address or prefix of either family, `A.B.C.D/N` or `X:X::X/N`. */
const AnyCidr = z.string().check(z.refine((s) => {
  try {
    return parseAnyCidr(s) !== undefined;
  } catch {
    return false;
  }
}, {
  error: (i) => {
    const text = typeof i.input === "string" ? i.input : "";
    return text.includes(":")
      ? "expected an IPv6 address with prefix, such as 2001:db8::1/64"
      : /^[\d./]+$/.test(text)
      ? "expected an IPv4 address with prefix, A.B.C.D/N"
      : "expected an address with prefix, A.B.C.D/N or an IPv6 address such as 2001:db8::1/64";
  },
}));

/** A string checked by one of lib/units.ts's parsers, with its message. */
const unitText = (problem: (value: unknown) => string | undefined) =>
  z.string({ error: (issue) => problem(issue.input) }).check(
    z.refine((s) => problem(s) === undefined, { error: (issue) => problem(issue.input) }),
  );

/** A duration such as `20ms`, at most 10 s (impairments). */
const Delay = unitText((v) => durationProblem(v, MAX_DELAY_US));
/** A duration such as `10s`, at most 10 minutes (a proof's `within`). */
const Within = unitText((v) => durationProblem(v, MAX_WITHIN_US));

/**
 * What happens to the traffic *leaving* an interface (tc shapes egress): `rate` (tbf), `loss`
 * (netem, or an nftables random-drop rule in the node's namespace when the kernel has no netem),
 * `delay` and `jitter` (netem only). To shape both directions of a link, impair both ends. See
 * lib/primitives/impair.ts.
 */
const Impair = z.strictObject({
  /** Bits per second: `10mbit`, `512kbit`. */
  rate: d(z.optional(unitText(rateProblem)), "Rate limit in bits per second: 10mbit, 512kbit."),
  /** Share of packets dropped: `5%`, `0.5%`. */
  loss: d(z.optional(unitText(percentProblem)), "Share of packets dropped: 5%, 0.5%."),
  /** Added one-way delay: `20ms`. */
  delay: d(z.optional(Delay), "Added one-way delay: 20ms (at most 10s)."),
  /** Random variation of the delay: `5ms` (needs `delay`). */
  jitter: d(z.optional(Delay), "Random variation of the delay: 5ms (needs delay)."),
}).check(
  z.refine((i) => Object.values(i).some((v) => v !== undefined), {
    message: "an impairment needs at least one of rate, loss, delay, jitter",
  }),
  z.refine((i) => i.jitter === undefined || i.delay !== undefined, {
    message: '"jitter" varies a delay: add "delay" too',
  }),
);

/**
 * Configuration of an interface that lands in a node. Its name (the record key) reaches
 * `ip -n NODE ... dev NAME` inside the node only.
 */
const Interface = z.strictObject({
  /** Static addresses (IPv4 or IPv6). Reaches: `ip -n NODE addr add` inside the node only. */
  addresses: d(
    z._default(z.array(AnyCidr), []),
    "Static addresses with prefix, IPv4 or IPv6: [10.0.0.1/24, 2001:db8::1/64].",
  ),
  /**
   * Take an address by DHCP (busybox udhcpc with netkit's hook). Reaches: the node's interface
   * (udhcpc runs inside it), a hook, pid and lease file in the lab's state directory; the hook
   * writes no host file (no /etc/resolv.conf).
   */
  dhcp: d(
    z._default(z.boolean(), false),
    "Take an IPv4 address by DHCP (udhcpc inside the node); not with static IPv4 addresses.",
  ),
  /**
   * Create the interface under this name, then rename it (`link-in-rt` -> `eth0`).
   * Reaches: the node only (the veth end is created inside the node and renamed there).
   */
  createAs: d(
    z.optional(Ifname),
    "Create the interface under this name, then rename it inside the node (link-in-rt, then eth0).",
  ),
  /**
   * Take an IPv6 address by DHCPv6 (ISC dhclient with netkit's hook, which writes no host file).
   * Reaches: the node's interface, files in the lab's state directory.
   */
  dhcp6: d(z.optional(z.boolean()), "Take an IPv6 address by DHCPv6 (dhclient inside the node)."),
  /** Shape the traffic leaving this interface (see {@link Impair}). */
  impair: d(
    z.optional(Impair),
    "Shape the traffic leaving this interface: rate, loss, delay, jitter.",
  ),
  /**
   * Record every frame on this interface from the start, into
   * `$NETKIT_STATE_DIR/captures/<lab>/<node>-<interface>.pcap` (kept after `down`, removed by
   * `clean`; see lib/primitives/capture.ts).
   */
  capture: d(
    z.optional(z.boolean()),
    "Record every frame on this interface from the start into a pcap file (netkit capture lists it).",
  ),
  /**
   * A dummy interface (`ip -n NODE link add NAME type dummy`) that the lab creates in the node,
   * instead of a link's end: a loopback-like interface for an address (a router ID, an announced
   * prefix). Reaches: the node only. Needs the kernel's dummy driver (checked before `up`
   * changes anything).
   */
  dummy: d(
    z.optional(z.boolean()),
    "A dummy interface the lab creates in the node (ip link add NAME type dummy), not a link's end.",
  ),
});

/** A route inside a node. Reaches: `ip -n NODE route add` in the node's own table only. */
const Route = z.strictObject({
  /** A prefix of either family, or `default` (its family is `via`'s; IPv6 without `via`: `::/0`). */
  to: d(
    z.union([z.literal("default"), AnyCidr]),
    "The destination prefix (10.1.0.0/24, 2001:db8:1::/64) or default.",
  ),
  via: d(z.optional(IpAddress), "The gateway: an address in a subnet of the node."),
  dev: d(z.optional(Ifname), "The interface of the node the route leaves by."),
}).check(z.refine((r) => r.via !== undefined || r.dev !== undefined, {
  message: 'a route needs "via" or "dev"',
}));

/**
 * A NAT rule inside a router node. Reaches: `ip netns exec NODE iptables -t nat` in the node's
 * own netfilter tables, marked `netkit:<lab>`; never the host's firewall.
 */
const Nat = z.strictObject({
  type: d(
    z.enum(["snat", "masquerade"]),
    "snat rewrites to toSource; masquerade to outInterface's address.",
  ),
  source: d(Cidr, "The packets' source subnet, A.B.C.D/N."),
  notDestination: d(z.optional(Cidr), "Leave packets to this subnet alone (A.B.C.D/N)."),
  toSource: d(z.optional(Ipv4), "The source address packets leave with (snat)."),
  outInterface: d(z.optional(Ifname), "Only packets leaving by this interface of the node."),
}).check(
  z.refine((n) => n.type !== "snat" || n.toSource !== undefined, {
    message: 'an snat rule needs "toSource"',
  }),
  z.refine((n) => n.type !== "masquerade" || n.outInterface !== undefined, {
    message: 'a masquerade rule needs "outInterface"',
  }),
);

/**
 * A DHCP server (dnsmasq) inside a node. Reaches: a dnsmasq process in the node bound to
 * `interface` (DNS off, `--conf-file=/dev/null`: no host configuration read), its pid, lease and
 * log files in the lab's state directory. Refused on an interface that shares a LAN with an
 * uplink, where it would answer the real network (lib/reach.ts).
 */
const DhcpServer = z.strictObject({
  interface: d(Ifname, "The node's interface dnsmasq serves (it needs a static address)."),
  /** IPv4 addresses handed out (DHCPv4). */
  range: d(z.optional(z.tuple([Ipv4, Ipv4])), "The first and last IPv4 address handed out."),
  leaseTime: d(z.optional(intIn(120, 31_536_000)), "Lease time in seconds (120 to a year)."),
  router: d(z.optional(Ipv4), "The default gateway clients are told (DHCPv4)."),
  /** IPv6 addresses handed out by DHCPv6 (with router advertisements: clients learn the route). */
  range6: d(
    z.optional(z.tuple([Ipv6, Ipv6])),
    "The first and last IPv6 address handed out by DHCPv6.",
  ),
  /** Router advertisements of the interface's IPv6 /64 prefixes, for SLAAC. */
  slaac: d(
    z.optional(z.boolean()),
    "Send router advertisements of the interface's IPv6 /64 prefixes (SLAAC).",
  ),
});

const Asn = z.int().check(
  z.minimum(1, { message: "an AS number is 1 to 4294967295" }),
  z.maximum(4_294_967_295, { message: "an AS number is 1 to 4294967295" }),
);

/** OSPF (FRR's ospfd; ospf6d on the same interfaces too when the lab uses IPv6). */
const Ospf = z.strictObject({
  /** The area of every OSPF interface: a number or dotted, e.g. `0` or `0.0.0.0`. */
  area: d(
    z._default(z.union([intIn(0, 4_294_967_295), Ipv4]), 0),
    "The OSPF area of every OSPF interface: 0 or 0.0.0.0.",
  ),
  /** Interfaces that speak OSPF (hellos, adjacencies). */
  interfaces: d(
    z.array(Ifname).check(z.minLength(1, { message: "OSPF needs at least one interface" })),
    "Interfaces that speak OSPF (hellos, adjacencies).",
  ),
  /** Interfaces whose networks are advertised without speaking OSPF on them (host LANs). */
  passive: d(
    z.optional(z.array(Ifname)),
    "Interfaces whose networks are advertised without speaking OSPF on them.",
  ),
  /** Hello interval in seconds. @default 10 (FRR's) */
  hello: d(z.optional(intIn(1, 65535)), "Hello interval in seconds (FRR's default: 10)."),
  /** Dead interval in seconds (more than the hello interval). @default 40 (FRR's) */
  dead: d(
    z.optional(intIn(1, 65535)),
    "Dead interval in seconds, longer than hello (FRR's default: 40).",
  ),
});

/** One BGP session. */
const BgpNeighbor = z.strictObject({
  address: d(IpAddress, "The neighbor's address, in a subnet of the node."),
  asn: d(Asn, "The neighbor's AS number."),
});

/** BGP (FRR's bgpd). */
const Bgp = z.strictObject({
  asn: d(Asn, "This router's AS number (1 to 4294967295)."),
  neighbors: d(
    z.array(BgpNeighbor).check(z.minLength(1, { message: "BGP needs at least one neighbor" })),
    "The BGP sessions: address and AS number of each neighbor.",
  ),
  /** Prefixes this router announces (network addresses, either family). */
  networks: d(
    z.optional(z.array(AnyCidr)),
    "Prefixes this router announces (network addresses, either family).",
  ),
  maximumPaths: d(
    z.optional(intIn(1, 64)),
    "Equal-cost paths installed per prefix (BGP multipath, maximum-paths N): a leaf of a " +
      "leaf-spine fabric reaches another leaf over every spine. Default: FRR's.",
  ),
});

/**
 * FRR configuration as written (a containerlab node's bound `frr.conf`, or by hand): routing and
 * interface configuration only, checked line by line (lib/lab/frr_config.ts: no file, no
 * syslog, no password, no vty). Reaches: the node's own FRR daemons and, through zebra, the
 * node's own interfaces and routes.
 */
const FrrConfigText = z.string().check(
  z.maxLength(FRR_CONFIG_MAX_BYTES),
  z.refine((s) => frrConfigProblem(s) === undefined, {
    error: (issue) => `FRR configuration refused: ${frrConfigProblem(String(issue.input))}`,
  }),
);

/** Dynamic routing on a router node: FRR daemons in the node's namespace. */
const Routing = z.strictObject({
  /** The router ID. @default the node's first IPv4 address */
  routerId: d(z.optional(Ipv4), "The router ID (default: the node's first IPv4 address)."),
  ospf: d(z.optional(Ospf), "OSPF (FRR's ospfd, and ospf6d when the lab uses IPv6)."),
  bgp: d(z.optional(Bgp), "BGP (FRR's bgpd)."),
  config: d(
    z.optional(FrrConfigText),
    "FRR's own configuration instead of ospf/bgp, checked line by line: routing and interface " +
      "configuration only.",
  ),
  daemons: d(
    z.optional(z.array(z.enum(["ospfd", "ospf6d", "bgpd"]))),
    "With config: the daemons run beside zebra (default: those the configuration needs).",
  ),
}).check(
  z.refine((r) => r.ospf !== undefined || r.bgp !== undefined || r.config !== undefined, {
    message: 'routing needs "ospf", "bgp" or "config"',
  }),
  z.refine((r) => r.config === undefined || (r.ospf === undefined && r.bgp === undefined), {
    message: 'routing takes either "config" (FRR\'s own) or "ospf"/"bgp", not both',
  }),
);

/** Text for people (see `LabSchema.description`): no control characters, at most 1000. */
const Description = z.string().check(z.refine((s) => textProblem(s) === undefined, {
  error: (issue) => `invalid description: ${textProblem(String(issue.input))}`,
}));

/**
 * A host role of a multi-host lab (`h1`, `edge`, ...): a name only. Which machine plays it comes
 * from the command line (`--hosts FILE`), never from the lab file: see lib/multihost/inventory.ts.
 */
export const HostRole = nameOf("host", NAME_MAX_BYTES);

/**
 * A network namespace. Its name (the record key) reaches `/run/netns/NAME`, `ip -n NAME` and the
 * names of daemon files in the lab's state directory.
 */
const Node = z.strictObject({
  /** `router` turns IPv4 forwarding on inside the namespace (never the host's). */
  role: d(
    z._default(z.enum(["host", "router"]), "host"),
    "router turns IP forwarding on inside the node.",
  ),
  sysctls: d(
    z._default(Sysctls, {}),
    "net.* sysctls of the node's own namespace: net.ipv4.ip_forward: 1.",
  ),
  interfaces: d(
    z._default(z.record(Ifname, Interface), {}),
    "Settings of the interfaces that links and internal ports put into the node, by name.",
  ),
  routes: d(z._default(z.array(Route), []), "Static routes inside the node."),
  nat: d(z._default(z.array(Nat), []), "NAT rules inside the node (iptables in its namespace)."),
  dhcpServer: d(z.optional(DhcpServer), "A DHCP server (dnsmasq) inside the node."),
  /** OSPF and BGP by FRR (needs `role: router`). */
  routing: d(z.optional(Routing), "Dynamic routing by FRR: ospf, bgp (needs role: router)."),
  /**
   * Multi-host labs: the host role this node runs on (a key of the lab's `hosts`). Reaches
   * nothing by itself: which machine plays the role comes only from `--hosts FILE`.
   */
  host: d(z.optional(HostRole), "Multi-host labs: the host role this node runs on."),
});

/** QoS on an OVS port (see lib/primitives/ovs_qos.ts for the types netkit applies). */
const PortQos = z.strictObject({
  /** `linux-htb`; other types are refused with their reason in validation. */
  type: d(z.string().check(z.maxLength(64)), "The QoS type: linux-htb."),
  /** The most the bridge sends out of the port, in bits per second. */
  maxRate: d(
    intIn(8000, 100_000_000_000),
    "The most the bridge sends out of the port, in bits per second.",
  ),
});

/**
 * A port of a bridge, keyed by its interface name. Reaches: the OVS port of that name on the
 * lab's own bridge (`ovs-vsctl add-port`, marked `external_ids:netkit-lab`).
 */
const Port = z.strictObject({
  /** VLAN tag (OVS access port). Reaches: the `tag` of the lab's own port. */
  tag: d(z.optional(intIn(1, 4094)), "VLAN tag of this access port (OVS), 1 to 4094."),
  /**
   * An OVS internal port (OVS creates the interface). Reaches: a tap interface of that name in
   * the host's root namespace, before it moves into `node` (preflight refuses a name the host
   * already has).
   */
  internal: d(
    z._default(z.boolean(), false),
    "An OVS internal port: OVS creates the interface (move it into a node with node).",
  ),
  /** Move the internal port's interface into this node (one of the lab's). */
  node: d(z.optional(NsName), "Move the internal port's interface into this node."),
  /** An OVS bond of these interfaces (each a link's end at this bridge); the key is the bond's name. */
  bond: d(
    z.optional(z.array(Ifname).check(z.minLength(2), z.maxLength(8))),
    "Bond these interfaces (link ends at this bridge, 2 to 8); the port's name is the bond's.",
  ),
  /** The bond's mode. @default "active-backup" */
  mode: d(
    z.optional(z.enum(["active-backup", "balance-slb"])),
    "The bond's mode (default: active-backup).",
  ),
  /** LACP on the bond. @default "off" */
  lacp: d(z.optional(z.enum(["off", "active", "passive"])), "LACP on the bond (default: off)."),
  /** The member an active-backup bond prefers. */
  primary: d(z.optional(Ifname), "The member an active-backup bond prefers."),
  /** QoS: what the bridge sends out of this port is shaped. */
  qos: d(z.optional(PortQos), "Shape what the bridge sends out of this port."),
});

/** A port mirror on an OVS bridge, keyed by its name. */
const Mirror = z.strictObject({
  /** `all`, or the ports whose traffic (both directions) is copied. */
  select: d(
    z.union([z.literal("all"), z.array(Ifname).check(z.minLength(1))]),
    "all, or the ports whose traffic (both directions) is copied.",
  ),
  /** The port the copies leave by (a monitor node's link, usually). */
  output: d(Ifname, "The port the copies leave by (a monitor node's link, usually)."),
});

/**
 * A Linux or OVS bridge in the root namespace. Its name (the record key) reaches a new interface
 * of that name in the host's root namespace (or the sandbox namespace); preflight refuses a name
 * the host already has, also as an alternative name or an OVS port.
 */
const Bridge = z.strictObject({
  /** `ovs`: a bridge on netkit's private OVS, or on the system's when it runs. */
  type: d(
    z.enum(["linux", "ovs"]),
    "linux: a kernel bridge (at most 1023 ports); ovs: an Open vSwitch bridge.",
  ),
  /**
   * A real NIC of the host that joins this (Linux) bridge; its addresses and routes move too.
   * Reaches: the host's own NIC, its addresses and routes, and the real network behind it. A lab
   * cannot do that on its own: refused unless the command line says `--uplink` with that NIC.
   */
  uplink: d(
    z.optional(Ifname),
    "A NIC of the host that joins this Linux bridge; refused unless the command line says --uplink NIC.",
  ),
  ports: d(
    z._default(z.record(Ifname, Port), {}),
    "Settings of the bridge's ports by name: VLAN tags, internal ports, bonds, QoS (OVS).",
  ),
  /** OpenFlow flows (OVS), in netkit's checked subset (lib/ovs/flow_syntax.ts). */
  flows: d(
    z.optional(z.array(z.string().check(z.maxLength(4096))).check(z.maxLength(1000))),
    "OpenFlow flows (OVS), as ovs-ofctl add-flow takes them: priority=100,ip,actions=drop.",
  ),
  /** Port mirrors (OVS), by name. */
  mirrors: d(z.optional(z.record(Ifname, Mirror)), "Port mirrors (OVS), by name."),
  /** Multi-host labs: the host role this bridge runs on (see `Node.host`). */
  host: d(z.optional(HostRole), "Multi-host labs: the host role this bridge runs on."),
});

const Endpoint = z.string().check(
  inheritedName(),
  z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*:[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
    message: 'an endpoint is "OWNER:IFNAME", OWNER a node or a bridge',
    ...otherwise,
  }),
);

/**
 * A veth pair between two owners (nodes or bridges, or `root`). Reaches: an end created inside
 * its node, or in the root namespace for a bridge's end and a `root:IFNAME` end, which no bridge
 * takes and which carries no address (preflight: the name must be free on the host; a sandboxed
 * lab's root namespace is its sandbox).
 */
const Link = z.strictObject({
  endpoints: d(
    z.tuple([Endpoint, Endpoint]),
    "The two ends of the veth pair, OWNER:IFNAME, OWNER a node or a bridge: [ns1:eth0, br0:p1]; " +
      "root:IFNAME is an end in the root namespace.",
  ),
});

/**
 * One end of a link whose other end is on another host: a VXLAN device (lib/primitives/vxlan.ts).
 * Made only by the multi-host split (lib/multihost/split.ts) from the operator's inventory; a lab
 * file that names one is refused (it would make the host send UDP wherever the file says).
 */
const Tunnel = z.strictObject({
  /** `OWNER:IFNAME` on this host. */
  end: d(Endpoint, "OWNER:IFNAME on this host."),
  /** The VXLAN network identifier (1 to 16777215), one per link. */
  vni: d(intIn(1, 16_777_215), "The VXLAN network identifier, one per link."),
  /** This host's underlay address. */
  local: d(Ipv4, "This host's underlay address."),
  /** The other host's underlay address. */
  remote: d(Ipv4, "The other host's underlay address."),
  /** UDP port. @default 4789 (IANA's VXLAN port) */
  port: d(z._default(intIn(1, 65535), 4789), "UDP port (default 4789)."),
});

/** A ping from one of the lab's nodes to an address (`to`: IPv4 only, or either family). */
const Ping = (to: typeof IpAddress) =>
  z.strictObject({
    from: d(NsName, "The node that pings."),
    to: d(to, "The address it pings."),
  });
/** Whether a proof's traffic must get through. */
const Reach = d(
  z._default(z.boolean(), true),
  "Whether it must get through (false: it must not, e.g. across VLANs).",
);
/** How long a proof is retried until it passes. */
const WithinField = d(
  z.optional(Within),
  "Retry until it passes, for at most this long: 10s (at most 10 minutes).",
);

/**
 * A proof the lab must pass. `ping` runs `ping TO` in FROM's network namespace, one of the lab's
 * nodes; it leaves the lab only through an uplink the command line allowed. `lease` reads the
 * lease file in the lab's state directory. `snat` counts packets with tcpdump or a temporary
 * nftables table inside the observer node (one of the lab's). `untag` removes a VLAN tag and
 * sets it back: only on a port of the lab's own OVS bridges that the lab tags with that tag.
 * Every proof takes `within: 10s` (beside its kind, not inside it): retried until it passes, for
 * at most that long. Without it a proof is tried once, except what waits for the network to
 * settle: `slaac`, `failover`, and in a lab with routing daemons `route` and a ping that must get
 * through, wait up to the lab's convergence time (lib/check/probes.ts `withinOf`).
 */
const Expectation = z.union([
  z.strictObject({
    ping: d(Ping(IpAddress), "Ping an address from a node."),
    /** Whether the ping must succeed (`false`: it must fail, e.g. across VLANs). */
    reach: Reach,
    within: WithinField,
  }),
  z.strictObject({
    lease: d(
      z.strictObject({
        node: d(NsName, "The DHCP client node."),
        interface: d(Ifname, "Its interface that takes the lease (dhcp: true or dhcp6: true)."),
        /** IPv4 for a DHCP lease, IPv6 for a DHCPv6 one. */
        range: d(
          z.tuple([IpAddress, IpAddress]),
          "The first and last address the lease must lie in (IPv4 for DHCP, IPv6 for DHCPv6).",
        ),
        router: d(z.optional(Ipv4), "The gateway the lease must name."),
        leaseTime: d(z.optional(z.int()), "The lease time in seconds the lease must have."),
      }),
      "A node's interface holds a DHCP lease in a range.",
    ),
    within: WithinField,
  }),
  z.strictObject({
    snat: d(
      z.strictObject({
        from: d(NsName, "The node that pings."),
        to: d(Ipv4, "The address it pings, behind the NAT."),
        observer: d(NsName, "The node that watches the packets arrive."),
        interface: d(Ifname, "The observer's interface the packets arrive on."),
        source: d(Ipv4, "The source address the observer must see (the NAT's)."),
      }),
      "A ping through source NAT, seen from the other side with the NAT's source address.",
    ),
    within: WithinField,
  }),
  z.strictObject({
    untag: d(
      z.strictObject({
        port: d(Ifname, "A port of the lab's OVS bridges that the lab tags."),
        tag: d(intIn(1, 4094), "Its tag, removed for the ping and set back after."),
      }),
      "Remove a port's VLAN tag for the ping, then set it back.",
    ),
    ping: d(Ping(IpAddress), "The ping made while the tag is off."),
    reach: Reach,
    within: WithinField,
  }),
  z.strictObject({
    /** A TCP connection from `from` to `to`:`port`; `listen`: a node where netkit listens for it. */
    tcp: d(
      z.strictObject({
        from: d(NsName, "The node that connects."),
        to: d(Ipv4, "The address it connects to."),
        port: d(intIn(1, 65535), "The TCP port."),
        listen: d(z.optional(NsName), "A node where netkit listens on the port for the test."),
      }),
      "A TCP connection from a node to an address and port.",
    ),
    reach: Reach,
    within: WithinField,
  }),
  z.strictObject({
    /**
     * A route in `node`'s table (`to` as written in the lab, or `default`), through `via`, out of
     * `dev`, put there by `protocol` (e.g. `ospf`) when given. In a lab with routing daemons it
     * waits (bounded) for routing to converge; `within` sets that bound.
     */
    route: d(
      z.strictObject({
        node: d(NsName, "The node whose routing table is read."),
        to: d(z.union([z.literal("default"), AnyCidr]), "The route's destination, or default."),
        via: d(z.optional(IpAddress), "The gateway the route must have."),
        dev: d(z.optional(Ifname), "The interface the route must leave by."),
        protocol: d(
          z.optional(z.enum(["ospf", "bgp", "kernel", "static", "ra", "boot"])),
          "Who must have put the route there: ospf, bgp, kernel, static, ra, boot.",
        ),
        nexthops: d(
          z.optional(intIn(1, 64)),
          "How many nexthops the route has (ECMP: one per equal path).",
        ),
      }),
      "A route in a node's table (waits for routing daemons to converge).",
    ),
    within: WithinField,
  }),
  z.strictObject({
    /** An interface of `node` is up (carrier: both ends of a veth up) or down. */
    link: d(
      z.strictObject({
        node: d(NsName, "The node."),
        interface: d(Ifname, "Its interface."),
        state: d(z._default(z.enum(["up", "down"]), "up"), "up (with carrier) or down."),
      }),
      "A node's interface is up (with carrier) or down.",
    ),
    within: WithinField,
  }),
  z.strictObject({
    /** A SLAAC address inside `prefix` appears on `node`'s `interface`. */
    slaac: d(
      z.strictObject({
        node: d(NsName, "The node."),
        interface: d(Ifname, "Its interface that takes a SLAAC address."),
        prefix: d(AnyCidr, "The IPv6 /64 the address must lie in."),
      }),
      "A SLAAC address inside a prefix appears on a node's interface.",
    ),
    within: WithinField,
  }),
  z.strictObject({
    /**
     * `down` ("NODE:IFNAME", or "NODE": every link of the node) is set down (journaled steps, set
     * up again afterwards, also when the proof fails); `from` must then reach `to` (retried
     * until `within` is up).
     */
    failover: d(
      z.strictObject({
        down: d(
          z.string().check(
            inheritedName(),
            z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*(:[A-Za-z0-9][A-Za-z0-9_.-]*)?$/, {
              message: 'expected "NODE:IFNAME" or "NODE"',
              ...otherwise,
            }),
          ),
          "What is set down for the proof: NODE:IFNAME, or NODE for every link of the node " +
            "(set up again after).",
        ),
        from: d(NsName, "The node that pings."),
        to: d(IpAddress, "The address it must still reach."),
      }),
      "With an interface down, a node still reaches an address.",
    ),
    within: WithinField,
  }),
  /** A ping, and the packet counter of one of the lab's flows going up by at least minPackets. */
  z.strictObject({
    flow: d(
      z.strictObject({
        bridge: d(Ifname, "The OVS bridge that holds the flow."),
        /** The flow's match as written in the bridge's `flows` (any order; priority may be left out). */
        match: d(
          z.string().check(z.maxLength(4096)),
          "The flow's match as written in the bridge's flows (any order; priority may be left out).",
        ),
        minPackets: d(
          z._default(intIn(1, 1_000_000), 1),
          "How much the flow's packet counter must go up (default 1).",
        ),
      }),
      "A ping, and one of the lab's flows counting its packets.",
    ),
    ping: d(Ping(Ipv4), "The ping the flow must count."),
    reach: Reach,
    within: WithinField,
  }),
  /** A link end ("OWNER:IFNAME") set down, a ping, the link up again. */
  z.strictObject({
    linkDown: d(Endpoint, "The link end set down for the ping, OWNER:IFNAME (set up again after)."),
    ping: d(Ping(Ipv4), "The ping made while the link is down."),
    reach: Reach,
    within: WithinField,
  }),
  /** A ping that a capture on a node's interface (a mirror's monitor) sees, both ways. */
  z.strictObject({
    capture: d(
      z.strictObject({
        node: d(NsName, "The node that captures (a mirror's monitor, usually)."),
        interface: d(Ifname, "Its interface the capture runs on."),
      }),
      "A capture on a node's interface sees the ping, both ways.",
    ),
    ping: d(Ping(Ipv4), "The ping the capture must see."),
    within: WithinField,
  }),
  /** iperf3 from a node to a server node: the measured rate within tolerance of `rate`. */
  z.strictObject({
    throughput: d(
      z.strictObject({
        from: d(NsName, "The node iperf3 sends from."),
        server: d(NsName, "The node the iperf3 server runs in."),
        to: d(Ipv4, "The server's address."),
        /** The expected rate, in bits per second. */
        rate: d(intIn(8000, 100_000_000_000), "The expected rate, in bits per second."),
        /** How far the measured rate may be from `rate`, as a fraction. @default 0.25 */
        tolerance: d(
          z._default(z.number().check(z.gt(0), z.lt(1)), 0.25),
          "How far the measured rate may be from rate, as a fraction (default 0.25).",
        ),
      }),
      "iperf3 from a node to a server node measures a rate within tolerance.",
    ),
    within: WithinField,
  }),
]);

/** A whole lab. */
export const LabSchema = z.strictObject({
  /**
   * Reaches: the lab's state directory `/run/netkit/labs/NAME`, the marks on what it creates
   * (`external_ids:netkit-lab=NAME`, `netkit:NAME` comments) and the sandbox namespace `nk-NAME`.
   */
  name: d(
    nameOf("lab", NAME_MAX_BYTES),
    "The lab's name: netkit up, status, down and check find the lab by it.",
  ),
  /**
   * One or a few lines for people. Reaches: `graph`'s header and an exported script's comments,
   * so no control characters (escape sequences) and at most 1000 characters.
   */
  description: d(
    z.optional(Description),
    "One or a few lines for people (at most 1000 characters).",
  ),
  /**
   * Build everything inside one parent namespace netkit makes for the lab (`nk-<lab>`), nothing
   * in the host's root namespace (see lib/lab/sandbox.ts).
   */
  sandbox: d(
    z.optional(z.boolean()),
    "Build everything inside one parent namespace (nk-LAB), nothing in the host's root namespace.",
  ),
  /** Network namespaces the lab creates (at most 4096: see `LAB_LIMITS` in lib/reach.ts). */
  nodes: d(
    z._default(z.record(NsName, Node), {}),
    "Network namespaces the lab creates, by name (at most 32 bytes).",
  ),
  bridges: d(
    z._default(z.record(Ifname, Bridge), {}),
    "Linux or OVS bridges in the root namespace, by name (at most 15 bytes).",
  ),
  links: d(z._default(z.array(Link), []), "veth pairs between nodes and bridges."),
  expect: d(
    z._default(z.array(Expectation), []),
    "Proofs that netkit check runs: ping, lease, snat, tcp, route, link, slaac, failover, ...",
  ),
  /**
   * Multi-host labs: the host roles nodes and bridges name with `host:`. Names only (and a
   * description): a lab file never says which machine plays a role, how to log in to it or where
   * its tunnels go; that comes only from `--hosts FILE` on the command line
   * (lib/multihost/inventory.ts). Reaches nothing by itself.
   */
  hosts: d(
    z.optional(z.record(
      HostRole,
      z.strictObject({ description: d(z.optional(Description), "What this host role is for.") }),
    )),
    "Multi-host labs: the host roles that nodes and bridges name with host (machines: --hosts FILE).",
  ),
  /**
   * Every interface the lab creates gets this MTU (multi-host: at most the underlay's − 50).
   * Reaches: only the lab's own interfaces.
   */
  mtu: d(z.optional(intIn(576, 65_535)), "The MTU of every interface the lab creates."),
  /**
   * VXLAN ends (see {@link Tunnel}): set by the multi-host split only. A lab file that names
   * them is refused (lib/reach.ts): they send UDP to another machine's address.
   */
  tunnels: d(z.optional(z.array(Tunnel)), "VXLAN ends, made by the multi-host split only."),
});

export type { Expect, Lab, LabInput } from "./types.ts";

// The written-out types (lib/lab/types.ts) and the schema agree exactly, both ways: a field
// added here without its type there (or the other way round) does not compile.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
const agree: [
  Same<z.output<typeof LabSchema>, Lab>,
  Same<z.input<typeof LabSchema>, LabInput>,
  Same<z.output<typeof Expectation>, Expect>,
  Same<z.output<typeof Impair>, ImpairSpec>,
] = [true, true, true, true];
void agree;
