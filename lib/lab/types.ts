/**
 * The lab description's TypeScript types, written out field by field for readers of the API
 * docs. The zod schema (lib/lab/schema.ts) is what validates; it checks at compile time that it
 * produces exactly {@link Lab} and accepts exactly {@link LabInput}, so the two never drift
 * apart. {@link Lab} is a validated lab (defaults filled in); {@link LabInput} is a lab as
 * written (fields with defaults may be left out).
 *
 * @module
 */

/** An interface that lands in a node, validated. */
export interface LabInterface {
  /** Static addresses, `A.B.C.D/N`. */
  addresses: string[];
  /** Take an address by DHCP (busybox udhcpc with netkit's hook). */
  dhcp: boolean;
  /** Create the interface under this name, then rename it. */
  createAs?: string | undefined;
}

/** A route inside a node: `to` is `default` or a CIDR; it needs `via` or `dev`. */
export interface LabRoute {
  /** `default` or `A.B.C.D/N`. */
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
  /** First and last address handed out. */
  range: [string, string];
  /** Lease time in seconds. */
  leaseTime?: number | undefined;
  /** Default gateway offered to clients. */
  router?: string | undefined;
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
}

/** A port of a bridge, keyed by its interface name, validated. */
export interface LabPort {
  /** VLAN tag (OVS access port), 1 to 4094. */
  tag?: number | undefined;
  /** An OVS internal port (OVS creates the interface). */
  internal: boolean;
  /** Move the internal port's interface into this node. */
  node?: string | undefined;
}

/** A Linux or OVS bridge, validated. */
export interface LabBridge {
  /** `linux` or `ovs`. */
  type: "linux" | "ovs";
  /** A real NIC of the host that joins this (Linux) bridge; its addresses and routes move too. */
  uplink?: string | undefined;
  /** Its ports, by interface name. */
  ports: Record<string, LabPort>;
}

/** A veth pair between two owners: each end `OWNER:IFNAME`, OWNER a node or a bridge. */
export interface LabLink {
  /** The two ends. */
  endpoints: [string, string];
}

/** A ping proof: `from` reaches `to` (or, with `reach: false`, must not). */
export interface PingExpect {
  /** Who pings whom. */
  ping: { from: string; to: string };
  /** Whether the ping must get through. */
  reach: boolean;
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
}

/** An SNAT proof: `observer` sees `from`'s pings to `to` come from `source`. */
export interface SnatExpect {
  /** Who pings whom, who watches on which interface, and the source it must see. */
  snat: { from: string; to: string; observer: string; interface: string; source: string };
}

/** An untag proof: after removing `tag` from `port`, the ping (does not) get through. */
export interface UntagExpect {
  /** The port and its tag. */
  untag: { port: string; tag: number };
  /** Who pings whom. */
  ping: { from: string; to: string };
  /** Whether the ping must get through. */
  reach: boolean;
}

/** One proof a lab must pass. */
export type Expect = PingExpect | LeaseExpect | SnatExpect | UntagExpect;

/** A validated lab (defaults filled in): what `validateLab()` returns and `upLab()` takes. */
export interface Lab {
  /** The lab's name. */
  name: string;
  /** One line for people. */
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
}

/** {@link LabInterface} as written. */
export interface LabInterfaceInput {
  /** Static addresses. @default [] */
  addresses?: string[] | undefined;
  /** Take an address by DHCP. @default false */
  dhcp?: boolean | undefined;
  /** Create the interface under this name, then rename it. */
  createAs?: string | undefined;
}

/** {@link LabNode} as written. */
export interface LabNodeInput {
  /** `router` turns IPv4 forwarding on inside the namespace. @default "host" */
  role?: "host" | "router" | undefined;
  /** Per-namespace sysctls, `KEY: VALUE`. @default {} */
  sysctls?: Record<string, string | number> | undefined;
  /** Interfaces configured where they land, by name. @default {} */
  interfaces?: Record<string, LabInterfaceInput> | undefined;
  /** Routes. @default [] */
  routes?: LabRoute[] | undefined;
  /** NAT rules. @default [] */
  nat?: LabNat[] | undefined;
  /** A DHCP server. */
  dhcpServer?: LabDhcpServer | undefined;
}

/** {@link LabPort} as written. */
export interface LabPortInput {
  /** VLAN tag. */
  tag?: number | undefined;
  /** An OVS internal port (OVS creates the interface). @default false */
  internal?: boolean | undefined;
  /** Move the internal port's interface into this node. */
  node?: string | undefined;
}

/** {@link LabBridge} as written. */
export interface LabBridgeInput {
  /** `linux` or `ovs`. */
  type: "linux" | "ovs";
  /** A real NIC of the host that joins this bridge. */
  uplink?: string | undefined;
  /** Its ports, by interface name. @default {} */
  ports?: Record<string, LabPortInput> | undefined;
}

/** {@link PingExpect} as written. */
export interface PingExpectInput {
  /** Who pings whom. */
  ping: { from: string; to: string };
  /** Whether the ping must get through. @default true */
  reach?: boolean | undefined;
}

/** {@link UntagExpect} as written. */
export interface UntagExpectInput {
  /** The port and its tag. */
  untag: { port: string; tag: number };
  /** Who pings whom. */
  ping: { from: string; to: string };
  /** Whether the ping must get through. @default true */
  reach?: boolean | undefined;
}

/** {@link Expect} as written. */
export type ExpectInput = PingExpectInput | LeaseExpect | SnatExpect | UntagExpectInput;

/** A lab as written (a lab file, a recipe's result): fields with defaults may be left out. */
export interface LabInput {
  /** The lab's name. */
  name: string;
  /** One line for people. */
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
}
