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
import type { Expect, Lab, LabInput } from "./types.ts";

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
export const Ipv4 = z.string().regex(IPV4, { message: "expected an IPv4 address A.B.C.D" });
/** An IPv4 interface address with prefix, `A.B.C.D/N`. */
export const Cidr = z.string().refine((s) => {
  const [a, p, extra] = s.split("/");
  return extra === undefined && a !== undefined && IPV4.test(a) && p !== undefined &&
    /^\d{1,2}$/.test(p) && Number(p) <= 32;
}, { message: "expected an IPv4 address with prefix, A.B.C.D/N" });

/** Configuration of an interface that lands in a node. */
export const Interface = z.strictObject({
  /** Static addresses. */
  addresses: z.array(Cidr).default([]),
  /** Take an address by DHCP (busybox udhcpc with netkit's hook). */
  dhcp: z.boolean().default(false),
  /** Create the interface under this name, then rename it (the seed's `link-in-rt` -> `eth0`). */
  createAs: Ifname.optional(),
});

/** A route inside a node. */
export const Route = z.strictObject({
  to: z.union([z.literal("default"), Cidr]),
  via: Ipv4.optional(),
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
  range: z.tuple([Ipv4, Ipv4]),
  leaseTime: z.number().int().min(120).max(31_536_000).optional(),
  router: Ipv4.optional(),
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
    ping: z.strictObject({ from: NsName, to: Ipv4 }),
    /** Whether the ping must succeed (`false`: it must fail, e.g. across VLANs). */
    reach: z.boolean().default(true),
  }),
  z.strictObject({
    lease: z.strictObject({
      node: NsName,
      interface: Ifname,
      range: z.tuple([Ipv4, Ipv4]),
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
    ping: z.strictObject({ from: NsName, to: Ipv4 }),
    reach: z.boolean().default(true),
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

export type { Expect, Lab, LabInput } from "./types.ts";

// The written-out types (lib/lab/types.ts) and the schema agree exactly, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: [
  Same<z.output<typeof LabSchema>, Lab>,
  Same<z.input<typeof LabSchema>, LabInput>,
  Same<z.output<typeof Expectation>, Expect>,
] = [true, true, true];
void agree;
