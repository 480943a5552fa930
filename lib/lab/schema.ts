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
 * links: []                   # veth pairs: endpoints "OWNER:IFNAME", OWNER a node or a bridge
 * expect:
 *   - ping: { from: ns2, to: 10.0.0.1 }
 * ```
 *
 * @module
 */
import { z } from "zod";
import { IFNAME_MAX_BYTES, NAME_MAX_BYTES } from "../names.ts";
import { familyOf, isIpv6, parseAnyCidr } from "../addr.ts";

const bytes = (s: string) => new TextEncoder().encode(s).length;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const article = (word: string) => (/^[aeiou]/.test(word) ? "an" : "a");
const nameOf = (kind: string, max: number) =>
  z.string().regex(NAME, {
    message: `${article(kind)} ${kind} name uses letters, digits, "-", "_" and "." only, ` +
      "starting with a letter or digit",
  }).refine((s) => bytes(s) <= max, {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is ${bytes(String(issue.input))} bytes: ${
        article(kind)
      } ${kind} name is at most ${max} bytes${kind === "interface" ? " (the kernel's limit)" : ""}`,
  });

/** An interface name (at most 15 bytes). */
export const Ifname = nameOf("interface", IFNAME_MAX_BYTES);
/** A namespace name (at most 32 bytes). */
export const NsName = nameOf("namespace", NAME_MAX_BYTES);

const octet = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = new RegExp(`^${octet}(\\.${octet}){3}$`);
/** An IPv4 address. */
export const Ipv4 = z.string().regex(IPV4, {
  error: (i) => v4Only(i.input, "expected an IPv4 address A.B.C.D"),
});
/** An IPv4 interface address with prefix, `A.B.C.D/N`. */
export const Cidr = z.string().refine((s) => {
  const [a, p, extra] = s.split("/");
  return extra === undefined && a !== undefined && IPV4.test(a) && p !== undefined &&
    /^\d{1,2}$/.test(p) && Number(p) <= 32;
}, { error: (i) => v4Only(i.input, "expected an IPv4 address with prefix, A.B.C.D/N") });

/** The message for an IPv6 value in an IPv4-only field, else `otherwise`. */
function v4Only(input: unknown, otherwise: string): string {
  const text = typeof input === "string" ? input : "";
  return familyOf(text.split("/")[0] ?? "") === 6
    ? `${text} is IPv6, but this field takes IPv4 only (${otherwise.replace(/^expected /, "")})`
    : otherwise;
}
/** An IPv6 address, e.g. `2001:db8::1` (no zone, no prefix). */
export const Ipv6 = z.string().refine(isIpv6, {
  message: "expected an IPv6 address, e.g. 2001:db8::1",
});
/** An IPv4 or IPv6 address. */
export const IpAddress = z.string().refine((s) => familyOf(s) !== undefined, {
  message: "expected an IPv4 or IPv6 address",
});
/** An interface address or prefix of either family, `A.B.C.D/N` or `X:X::X/N`. */
export const AnyCidr = z.string().refine((s) => {
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
});

/** Configuration of an interface that lands in a node. */
export const Interface = z.strictObject({
  /** Static addresses (IPv4 or IPv6). */
  addresses: z.array(AnyCidr).default([]),
  /** Take an address by DHCP (busybox udhcpc with netkit's hook). */
  dhcp: z.boolean().default(false),
  /** Create the interface under this name, then rename it (the seed's `link-in-rt` -> `eth0`). */
  createAs: Ifname.optional(),
  /** Take an IPv6 address by DHCPv6 (ISC dhclient with netkit's hook). */
  dhcp6: z.boolean().optional(),
});

/** A route inside a node. */
export const Route = z.strictObject({
  /** A prefix of either family, or `default` (its family is `via`'s; IPv6 without `via`: `::/0`). */
  to: z.union([z.literal("default"), AnyCidr]),
  via: IpAddress.optional(),
  dev: Ifname.optional(),
}).refine((r) => r.via !== undefined || r.dev !== undefined, {
  message: 'a route needs "via" or "dev"',
});

/** A NAT rule inside a router node. */
export const Nat = z.strictObject({
  type: z.enum(["snat", "masquerade"]),
  source: Cidr,
  notDestination: Cidr.optional(),
  toSource: Ipv4.optional(),
  outInterface: Ifname.optional(),
}).refine((n) => n.type !== "snat" || n.toSource !== undefined, {
  message: 'an snat rule needs "toSource"',
}).refine((n) => n.type !== "masquerade" || n.outInterface !== undefined, {
  message: 'a masquerade rule needs "outInterface"',
});

/** A DHCP server (dnsmasq) inside a node. */
export const DhcpServer = z.strictObject({
  interface: Ifname,
  /** IPv4 addresses handed out (DHCPv4). */
  range: z.tuple([Ipv4, Ipv4]).optional(),
  leaseTime: z.number().int().min(120).max(31_536_000).optional(),
  router: Ipv4.optional(),
  /** IPv6 addresses handed out by DHCPv6 (with router advertisements: clients learn the route). */
  range6: z.tuple([Ipv6, Ipv6]).optional(),
  /** Router advertisements of the interface's IPv6 /64 prefixes, for SLAAC. */
  slaac: z.boolean().optional(),
});

const Asn = z.number().int().min(1, { message: "an AS number is 1 to 4294967295" })
  .max(4_294_967_295, { message: "an AS number is 1 to 4294967295" });

/** OSPF (FRR's ospfd; ospf6d on the same interfaces too when the lab uses IPv6). */
export const Ospf = z.strictObject({
  /** The area of every OSPF interface: a number or dotted, e.g. `0` or `0.0.0.0`. */
  area: z.union([z.number().int().min(0).max(4_294_967_295), Ipv4]).default(0),
  /** Interfaces that speak OSPF (hellos, adjacencies). */
  interfaces: z.array(Ifname).min(1, { message: "OSPF needs at least one interface" }),
  /** Interfaces whose networks are advertised without speaking OSPF on them (host LANs). */
  passive: z.array(Ifname).optional(),
  /** Hello interval in seconds. @default 10 (FRR's) */
  hello: z.number().int().min(1).max(65535).optional(),
  /** Dead interval in seconds (more than the hello interval). @default 40 (FRR's) */
  dead: z.number().int().min(1).max(65535).optional(),
});

/** One BGP session. */
export const BgpNeighbor = z.strictObject({ address: IpAddress, asn: Asn });

/** BGP (FRR's bgpd). */
export const Bgp = z.strictObject({
  asn: Asn,
  neighbors: z.array(BgpNeighbor).min(1, { message: "BGP needs at least one neighbor" }),
  /** Prefixes this router announces (network addresses, either family). */
  networks: z.array(AnyCidr).optional(),
});

/** Dynamic routing on a router node: FRR daemons in the node's namespace. */
export const Routing = z.strictObject({
  /** The router ID. @default the node's first IPv4 address */
  routerId: Ipv4.optional(),
  ospf: Ospf.optional(),
  bgp: Bgp.optional(),
}).refine((r) => r.ospf !== undefined || r.bgp !== undefined, {
  message: 'routing needs "ospf" or "bgp"',
});

/** A network namespace. */
export const Node = z.strictObject({
  /** `router` turns IPv4 forwarding on inside the namespace. */
  role: z.enum(["host", "router"]).default("host"),
  sysctls: z.record(z.string().regex(/^[a-z0-9_.-]+$/), z.union([z.string(), z.number()]))
    .default({}),
  interfaces: z.record(Ifname, Interface).default({}),
  routes: z.array(Route).default([]),
  nat: z.array(Nat).default([]),
  dhcpServer: DhcpServer.optional(),
  /** OSPF and BGP by FRR (needs `role: router`). */
  routing: Routing.optional(),
});

/** A port of a bridge, keyed by its interface name. */
export const Port = z.strictObject({
  /** VLAN tag (OVS access port). */
  tag: z.number().int().min(1).max(4094).optional(),
  /** An OVS internal port (OVS creates the interface). */
  internal: z.boolean().default(false),
  /** Move the internal port's interface into this node. */
  node: NsName.optional(),
});

/** A Linux or OVS bridge in the root namespace. */
export const Bridge = z.strictObject({
  type: z.enum(["linux", "ovs"]),
  /** A real NIC of the host that joins this (Linux) bridge; its addresses and routes move too. */
  uplink: Ifname.optional(),
  ports: z.record(Ifname, Port).default({}),
});

const Endpoint = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*:[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
  message: 'an endpoint is "OWNER:IFNAME", OWNER a node or a bridge',
});

/** A veth pair between two owners (nodes or bridges). */
export const Link = z.strictObject({ endpoints: z.tuple([Endpoint, Endpoint]) });

/** A proof the lab must pass. */
export const Expectation = z.union([
  z.strictObject({
    ping: z.strictObject({ from: NsName, to: IpAddress }),
    /** Whether the ping must succeed (`false`: it must fail, e.g. across VLANs). */
    reach: z.boolean().default(true),
  }),
  z.strictObject({
    lease: z.strictObject({
      node: NsName,
      interface: Ifname,
      /** IPv4 for a DHCP lease, IPv6 for a DHCPv6 one. */
      range: z.tuple([IpAddress, IpAddress]),
      router: Ipv4.optional(),
      leaseTime: z.number().int().optional(),
    }),
  }),
  z.strictObject({
    snat: z.strictObject({
      from: NsName,
      to: Ipv4,
      observer: NsName,
      interface: Ifname,
      source: Ipv4,
    }),
  }),
  z.strictObject({
    untag: z.strictObject({ port: Ifname, tag: z.number().int().min(1).max(4094) }),
    ping: z.strictObject({ from: NsName, to: IpAddress }),
    reach: z.boolean().default(true),
  }),
  z.strictObject({
    /** A route to `to` in `node`'s table, put there by `protocol`; waits up to `within` s. */
    route: z.strictObject({
      node: NsName,
      to: AnyCidr,
      protocol: z.enum(["ospf", "bgp", "kernel", "static", "ra", "boot"]),
      within: z.number().int().min(1).max(600).optional(),
    }),
  }),
  z.strictObject({
    /** A SLAAC address inside `prefix` appears on `node`'s `interface` within `within` s. */
    slaac: z.strictObject({
      node: NsName,
      interface: Ifname,
      prefix: AnyCidr,
      within: z.number().int().min(1).max(600).optional(),
    }),
  }),
  z.strictObject({
    /**
     * `down` ("NODE:IFNAME") is set down (a journaled step, set up again afterwards, also when
     * the proof fails); `from` must then reach `to` within `within` seconds.
     */
    failover: z.strictObject({
      down: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*:[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
        message: 'expected "NODE:IFNAME"',
      }),
      from: NsName,
      to: IpAddress,
      within: z.number().int().min(1).max(600).optional(),
    }),
  }),
]);

/** A whole lab. */
export const LabSchema = z.strictObject({
  name: nameOf("lab", NAME_MAX_BYTES),
  description: z.string().optional(),
  /**
   * Build everything inside one parent namespace netkit makes for the lab (`nk-<lab>`), nothing
   * in the host's root namespace (see lib/lab/sandbox.ts).
   */
  sandbox: z.boolean().optional(),
  nodes: z.record(NsName, Node).default({}),
  bridges: z.record(Ifname, Bridge).default({}),
  links: z.array(Link).default([]),
  expect: z.array(Expectation).default([]),
});

/** A validated lab (defaults filled in). */
export type Lab = z.infer<typeof LabSchema>;
/** A lab as written (defaults optional). */
export type LabInput = z.input<typeof LabSchema>;
/** One proof. */
export type Expect = z.infer<typeof Expectation>;
