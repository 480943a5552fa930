/**
 * The lab description's TypeScript types, written out field by field for readers of the API
 * docs. The zod schema (lib/lab/schema.ts) is what validates, and what each field reaches on the
 * host is documented there; the schema checks at compile time that it produces exactly
 * {@link Lab} and accepts exactly {@link LabInput}, so the two never drift apart. {@link Lab} is
 * a validated lab (defaults filled in); {@link LabInput} is a lab as written (fields with a
 * default may be left out): `FooInput` is `Foo` as written.
 *
 * @module
 */

/** What happens to the traffic leaving an interface (see lib/primitives/impair.ts). */
export interface ImpairSpec {
  /** Bits per second: `10mbit`, `512kbit`. */
  rate?: string | undefined;
  /** Share of packets dropped: `5%`, `0.5%`. */
  loss?: string | undefined;
  /** Added one-way delay: `20ms`. */
  delay?: string | undefined;
  /** Random variation of the delay: `5ms` (needs `delay`). */
  jitter?: string | undefined;
}

/** An interface that lands in a node, validated. */
export interface LabInterface {
  /** Static addresses, IPv4 or IPv6, with prefix. */
  addresses: string[];
  /** Take an address by DHCP (busybox udhcpc with netkit's hook). */
  dhcp: boolean;
  /** Create the interface under this name, then rename it. */
  createAs?: string | undefined;
  /** Take an IPv6 address by DHCPv6. */
  dhcp6?: boolean | undefined;
  /** Shape the traffic leaving this interface. */
  impair?: ImpairSpec | undefined;
  /** Record every frame on this interface from the start. */
  capture?: boolean | undefined;
  /** A dummy interface the lab creates in the node (`ip link add NAME type dummy`), no link's end. */
  dummy?: boolean | undefined;
}

/** A route inside a node: `to` is `default` or a prefix; it needs `via` or `dev`. */
export interface LabRoute {
  /** `default` or a prefix of either family. */
  to: string;
  /** The next hop. */
  via?: string | undefined;
  /** The outgoing interface. */
  dev?: string | undefined;
}

/** A NAT rule inside a router node. */
export interface LabNat {
  /** `snat` (needs `toSource`) or `masquerade` (needs `outInterface`). */
  type: "snat" | "masquerade";
  /** The source network, `A.B.C.D/N`. */
  source: string;
  /** Leave traffic to this network alone. */
  notDestination?: string | undefined;
  /** The address SNAT rewrites the source to. */
  toSource?: string | undefined;
  /** The interface the rule applies to on the way out. */
  outInterface?: string | undefined;
}

/** A DHCP server (dnsmasq) inside a node. */
export interface LabDhcpServer {
  /** The interface it serves. */
  interface: string;
  /** IPv4 addresses handed out (DHCPv4). */
  range?: [string, string] | undefined;
  /** Lease time in seconds. */
  leaseTime?: number | undefined;
  /** Default gateway offered to clients. */
  router?: string | undefined;
  /** IPv6 addresses handed out by DHCPv6. */
  range6?: [string, string] | undefined;
  /** Router advertisements of the interface's IPv6 /64 prefixes, for SLAAC. */
  slaac?: boolean | undefined;
}

/** OSPF (FRR's ospfd, and ospf6d when the lab uses IPv6), validated. */
export interface LabOspf {
  /** The area of every OSPF interface: a number or dotted. */
  area: number | string;
  /** Interfaces that speak OSPF. */
  interfaces: string[];
  /** Interfaces whose networks are advertised without speaking OSPF on them. */
  passive?: string[] | undefined;
  /** Hello interval in seconds. */
  hello?: number | undefined;
  /** Dead interval in seconds. */
  dead?: number | undefined;
}

/** {@link LabOspf} as written. */
export interface LabOspfInput extends Omit<LabOspf, "area"> {
  /** The area of every OSPF interface. @default 0 */
  area?: number | string | undefined;
}

/** One BGP session. */
export interface LabBgpNeighbor {
  /** The neighbor's address. */
  address: string;
  /** Its AS number. */
  asn: number;
}

/** BGP (FRR's bgpd). */
export interface LabBgp {
  /** This router's AS number. */
  asn: number;
  /** Its sessions. */
  neighbors: LabBgpNeighbor[];
  /** Prefixes this router announces. */
  networks?: string[] | undefined;
  /** Equal-cost paths installed per prefix (`maximum-paths`). */
  maximumPaths?: number | undefined;
}

/** Dynamic routing on a router node (FRR), validated: `ospf`, `bgp` or both, or `config`. */
export interface LabRouting {
  /** The router ID. */
  routerId?: string | undefined;
  /** OSPF. */
  ospf?: LabOspf | undefined;
  /** BGP. */
  bgp?: LabBgp | undefined;
  /** FRR configuration as written (checked line by line: lib/lab/frr_config.ts). */
  config?: string | undefined;
  /** With `config`: the daemons run beside zebra. @default those the configuration needs */
  daemons?: ("ospfd" | "ospf6d" | "bgpd")[] | undefined;
}

/** {@link LabRouting} as written. */
export interface LabRoutingInput extends Omit<LabRouting, "ospf"> {
  /** OSPF. */
  ospf?: LabOspfInput | undefined;
}

/** A network namespace, validated. */
export interface LabNode {
  /** `router` turns IPv4 forwarding on inside the namespace. */
  role: "host" | "router";
  /** Per-namespace sysctls, `KEY: VALUE`. */
  sysctls: Record<string, string | number>;
  /** Interfaces configured where they land, by name. */
  interfaces: Record<string, LabInterface>;
  /** Routes. */
  routes: LabRoute[];
  /** NAT rules. */
  nat: LabNat[];
  /** A DHCP server. */
  dhcpServer?: LabDhcpServer | undefined;
  /** OSPF and BGP by FRR. */
  routing?: LabRouting | undefined;
  /** Multi-host labs: the host role this node runs on (a key of the lab's `hosts`). */
  host?: string | undefined;
}

/** QoS on an OVS port. */
export interface LabPortQos {
  /** `linux-htb`. */
  type: string;
  /** The most the bridge sends out of the port, in bits per second. */
  maxRate: number;
}

/** A port of a bridge, keyed by its interface name, validated. */
export interface LabPort {
  /** VLAN tag (OVS access port), 1 to 4094. */
  tag?: number | undefined;
  /** An OVS internal port (OVS creates the interface). */
  internal: boolean;
  /** Move the internal port's interface into this node. */
  node?: string | undefined;
  /** An OVS bond of these interfaces; the key is the bond's name. */
  bond?: string[] | undefined;
  /** The bond's mode. */
  mode?: "active-backup" | "balance-slb" | undefined;
  /** LACP on the bond. */
  lacp?: "off" | "active" | "passive" | undefined;
  /** The member an active-backup bond prefers. */
  primary?: string | undefined;
  /** QoS: what the bridge sends out of this port is shaped. */
  qos?: LabPortQos | undefined;
}

/** A port mirror on an OVS bridge, keyed by its name. */
export interface LabMirror {
  /** `all`, or the ports whose traffic is copied. */
  select: "all" | string[];
  /** The port the copies leave by. */
  output: string;
}

/** A Linux or OVS bridge, validated. */
export interface LabBridge {
  /** `linux` or `ovs`. */
  type: "linux" | "ovs";
  /** A real NIC of the host that joins this (Linux) bridge (needs `--uplink` with that NIC). */
  uplink?: string | undefined;
  /** Its ports, by interface name. */
  ports: Record<string, LabPort>;
  /** OpenFlow flows (OVS). */
  flows?: string[] | undefined;
  /** Port mirrors (OVS), by name. */
  mirrors?: Record<string, LabMirror> | undefined;
  /** Multi-host labs: the host role this bridge lives on (a key of the lab's `hosts`). */
  host?: string | undefined;
}

/** A veth pair between two owners: each end `OWNER:IFNAME`, OWNER a node or a bridge. */
export interface LabLink {
  /** The two ends. */
  endpoints: [string, string];
}

/** A host role of a multi-host lab (which machine plays it comes only from `--hosts FILE`). */
export interface LabHostRole {
  /** One line for people. */
  description?: string | undefined;
}

/** One end of a link whose other end is on another host: a VXLAN device (multi-host split). */
export interface LabTunnel {
  /** `OWNER:IFNAME` on this host. */
  end: string;
  /** The VXLAN network identifier. */
  vni: number;
  /** This host's underlay address. */
  local: string;
  /** The other host's underlay address. */
  remote: string;
  /** UDP port (4789 when not given). */
  port: number;
}

/** Who pings whom. */
export interface PingSpec {
  /** The node that pings. */
  from: string;
  /** The address it pings. */
  to: string;
}

/** A ping proof: `from` reaches `to` (or, with `reach: false`, must not). */
export interface PingExpect {
  /** Who pings whom. */
  ping: PingSpec;
  /** Whether the ping must get through. */
  reach: boolean;
  /** Retry until it passes, for at most this long (`10s`). */
  within?: string | undefined;
}

/** A lease proof: a node's DHCP client holds a lease in `range`. */
export interface LeaseExpect {
  /** Which client, and what its lease must be. */
  lease: {
    node: string;
    interface: string;
    range: [string, string];
    router?: string | undefined;
    leaseTime?: number | undefined;
  };
  /** Retry until it passes, for at most this long. */
  within?: string | undefined;
}

/** An SNAT proof: `observer` sees `from`'s pings to `to` come from `source`. */
export interface SnatExpect {
  /** Who pings whom, who watches on which interface, and the source it must see. */
  snat: { from: string; to: string; observer: string; interface: string; source: string };
  /** Retry until it passes, for at most this long. */
  within?: string | undefined;
}

/** An untag proof: after removing `tag` from `port`, the ping (does not) get through. */
export interface UntagExpect {
  /** The port and its tag. */
  untag: { port: string; tag: number };
  /** Who pings whom. */
  ping: PingSpec;
  /** Whether the ping must get through. */
  reach: boolean;
  /** Retry until it passes, for at most this long. */
  within?: string | undefined;
}

/** A TCP proof: a connection from `from` to `to`:`port`. */
export interface TcpExpect {
  /** The connection; `listen`: a node where netkit listens for it. */
  tcp: { from: string; to: string; port: number; listen?: string | undefined };
  /** Whether the connection must succeed. */
  reach: boolean;
  /** Retry until it passes, for at most this long. */
  within?: string | undefined;
}

/** A route proof: a route in a node's table. */
export interface RouteExpect {
  /** The node, the route, and who put it there. */
  route: {
    node: string;
    to: string;
    via?: string | undefined;
    dev?: string | undefined;
    protocol?: "ospf" | "bgp" | "kernel" | "static" | "ra" | "boot" | undefined;
    /** How many nexthops the route has (ECMP). */
    nexthops?: number | undefined;
  };
  /** Retry until it passes, for at most this long. */
  within?: string | undefined;
}

/** A link proof: an interface of a node is up or down. */
export interface LinkExpect {
  /** The node, its interface, and the state it must be in. */
  link: { node: string; interface: string; state: "up" | "down" };
  /** Retry until it passes, for at most this long. */
  within?: string | undefined;
}

/** A SLAAC proof: an address inside `prefix` appears on a node's interface. */
export interface SlaacExpect {
  /** The node, its interface, and the prefix. */
  slaac: { node: string; interface: string; prefix: string };
  /** Wait for it at most this long. @default the lab's convergence time */
  within?: string | undefined;
}

/**
 * A failover proof: with `down` (`NODE:IFNAME`, or `NODE`: every link of the node) set down,
 * `from` still reaches `to`.
 */
export interface FailoverExpect {
  /** The link end (or node) set down, and who pings whom. */
  failover: { down: string; from: string; to: string };
  /** With the link down, retry the ping at most this long. @default the lab's convergence time */
  within?: string | undefined;
}

/** A flow proof: a ping, and the packet counter of one of the lab's flows going up. */
export interface FlowExpect {
  /** The bridge, the flow's match, and by how many packets its counter must go up. */
  flow: { bridge: string; match: string; minPackets: number };
  /** Who pings whom. */
  ping: PingSpec;
  /** Whether the ping must get through. */
  reach: boolean;
  /** Retry until it passes, for at most this long. */
  within?: string | undefined;
}

/** A link-down proof: a link end set down, a ping, the link up again. */
export interface LinkDownExpect {
  /** The link end, `OWNER:IFNAME`. */
  linkDown: string;
  /** Who pings whom. */
  ping: PingSpec;
  /** Whether the ping must get through. */
  reach: boolean;
  /** Retry until it passes, for at most this long. */
  within?: string | undefined;
}

/** A capture proof: a capture on a node's interface sees a ping, both ways. */
export interface CaptureExpect {
  /** Where the capture runs. */
  capture: { node: string; interface: string };
  /** Who pings whom. */
  ping: PingSpec;
  /** Retry until it passes, for at most this long. */
  within?: string | undefined;
}

/** A throughput proof: iperf3 from a node to a server node, within tolerance of `rate`. */
export interface ThroughputExpect {
  /** Who measures against whom, the expected rate (bits per second) and the tolerance. */
  throughput: { from: string; server: string; to: string; rate: number; tolerance: number };
  /** Retry until it passes, for at most this long. */
  within?: string | undefined;
}

/** One proof a lab must pass. */
export type Expect =
  | PingExpect
  | LeaseExpect
  | SnatExpect
  | UntagExpect
  | TcpExpect
  | RouteExpect
  | LinkExpect
  | SlaacExpect
  | FailoverExpect
  | FlowExpect
  | LinkDownExpect
  | CaptureExpect
  | ThroughputExpect;

/** A validated lab (defaults filled in): what `validateLab()` returns and `upLab()` takes. */
export interface Lab {
  /** The lab's name. */
  name: string;
  /** One or a few lines for people. */
  description?: string | undefined;
  /** Build everything inside one parent namespace of its own (lib/lab/sandbox.ts). */
  sandbox?: boolean | undefined;
  /** Network namespaces, by name. */
  nodes: Record<string, LabNode>;
  /** Bridges, by name. */
  bridges: Record<string, LabBridge>;
  /** Veth pairs. */
  links: LabLink[];
  /** Proofs. */
  expect: Expect[];
  /** Multi-host labs: the host roles nodes and bridges name with `host:`. */
  hosts?: Record<string, LabHostRole> | undefined;
  /** Every interface the lab creates gets this MTU. */
  mtu?: number | undefined;
  /** VXLAN ends, set by the multi-host split only (a lab file naming one is refused). */
  tunnels?: LabTunnel[] | undefined;
}

/** {@link LabInterface} as written. */
export interface LabInterfaceInput extends Omit<LabInterface, "addresses" | "dhcp"> {
  /** Static addresses. @default [] */
  addresses?: string[] | undefined;
  /** Take an address by DHCP. @default false */
  dhcp?: boolean | undefined;
}

/** {@link LabNode} as written. */
export interface LabNodeInput {
  /** `router` turns IPv4 forwarding on inside the namespace. @default "host" */
  role?: "host" | "router" | undefined;
  /** Per-namespace sysctls. @default {} */
  sysctls?: Record<string, string | number> | undefined;
  /** Interfaces configured where they land, by name. @default {} */
  interfaces?: Record<string, LabInterfaceInput> | undefined;
  /** Routes. @default [] */
  routes?: LabRoute[] | undefined;
  /** NAT rules. @default [] */
  nat?: LabNat[] | undefined;
  /** A DHCP server. */
  dhcpServer?: LabDhcpServer | undefined;
  /** OSPF and BGP by FRR. */
  routing?: LabRoutingInput | undefined;
  /** Multi-host labs: the host role this node runs on. */
  host?: string | undefined;
}

/** {@link LabPort} as written. */
export interface LabPortInput extends Omit<LabPort, "internal"> {
  /** An OVS internal port. @default false */
  internal?: boolean | undefined;
}

/** {@link LabBridge} as written. */
export interface LabBridgeInput extends Omit<LabBridge, "ports"> {
  /** Its ports, by interface name. @default {} */
  ports?: Record<string, LabPortInput> | undefined;
}

/** {@link PingExpect} as written. */
export interface PingExpectInput extends Omit<PingExpect, "reach"> {
  /** Whether the ping must get through. @default true */
  reach?: boolean | undefined;
}

/** {@link UntagExpect} as written. */
export interface UntagExpectInput extends Omit<UntagExpect, "reach"> {
  /** Whether the ping must get through. @default true */
  reach?: boolean | undefined;
}

/** {@link TcpExpect} as written. */
export interface TcpExpectInput extends Omit<TcpExpect, "reach"> {
  /** Whether the connection must succeed. @default true */
  reach?: boolean | undefined;
}

/** {@link LinkExpect} as written. */
export interface LinkExpectInput extends Omit<LinkExpect, "link"> {
  /** The node, its interface, and the state it must be in (default `up`). */
  link: { node: string; interface: string; state?: "up" | "down" | undefined };
}

/** {@link FlowExpect} as written. */
export interface FlowExpectInput extends Omit<FlowExpect, "flow" | "reach"> {
  /** The bridge, the flow's match, and by how many packets (default 1) its counter goes up. */
  flow: { bridge: string; match: string; minPackets?: number | undefined };
  /** Whether the ping must get through. @default true */
  reach?: boolean | undefined;
}

/** {@link LinkDownExpect} as written. */
export interface LinkDownExpectInput extends Omit<LinkDownExpect, "reach"> {
  /** Whether the ping must get through. @default true */
  reach?: boolean | undefined;
}

/** {@link ThroughputExpect} as written. */
export interface ThroughputExpectInput {
  /** Who measures against whom, the expected rate and the tolerance (default 0.25). */
  throughput: {
    from: string;
    server: string;
    to: string;
    rate: number;
    tolerance?: number | undefined;
  };
  /** Retry until it passes, for at most this long. */
  within?: string | undefined;
}

/** {@link Expect} as written. */
export type ExpectInput =
  | PingExpectInput
  | LeaseExpect
  | SnatExpect
  | UntagExpectInput
  | TcpExpectInput
  | RouteExpect
  | LinkExpectInput
  | SlaacExpect
  | FailoverExpect
  | FlowExpectInput
  | LinkDownExpectInput
  | CaptureExpect
  | ThroughputExpectInput;

/** A lab as written (a lab file, a recipe's result): fields with defaults may be left out. */
export interface LabInput {
  /** The lab's name. */
  name: string;
  /** One or a few lines for people. */
  description?: string | undefined;
  /** Build everything inside one parent namespace of its own. */
  sandbox?: boolean | undefined;
  /** Network namespaces, by name. @default {} */
  nodes?: Record<string, LabNodeInput> | undefined;
  /** Bridges, by name. @default {} */
  bridges?: Record<string, LabBridgeInput> | undefined;
  /** Veth pairs. @default [] */
  links?: LabLink[] | undefined;
  /** Proofs. @default [] */
  expect?: ExpectInput[] | undefined;
  /** Multi-host labs: the host roles. */
  hosts?: Record<string, LabHostRole> | undefined;
  /** Every interface the lab creates gets this MTU. */
  mtu?: number | undefined;
  /** VXLAN ends (the multi-host split only). */
  tunnels?: LabTunnelInput[] | undefined;
}

/** {@link LabTunnel} as written. */
export interface LabTunnelInput extends Omit<LabTunnel, "port"> {
  /** UDP port. @default 4789 */
  port?: number | undefined;
}
