/**
 * VXLAN ends and MTUs: what a link between two hosts of a multi-host lab is made of.
 *
 * A VXLAN device wraps each Ethernet frame in UDP (port 4789) to one other host's underlay
 * address; the two ends of a link share a VNI. The device is created directly in its namespace
 * (`netns NS` at creation): its UDP socket stays in the namespace that created it (the host's
 * root, where the underlay is), the device itself lands in the node, so a node's `eth0` can be
 * the tunnel end with no bridge or veth in between.
 *
 * Encapsulation costs 50 bytes (outer IPv4 20, UDP 8, VXLAN 8, inner Ethernet 14): the lab's
 * interfaces get the underlay's MTU minus 50, so no frame needs fragmenting on the way.
 *
 * @module
 */
import { parseIp } from "../addr.ts";
import { checkIfname, checkLabName, checkNsName } from "../names.ts";
import { cmd, ip, type Step } from "../plan/step.ts";

/** VXLAN's overhead on an IPv4 underlay, in bytes. */
export const VXLAN_OVERHEAD = 50;
/** IANA's VXLAN port. */
export const VXLAN_PORT = 4789;

/** Options for {@link vxlanLink}. */
export interface VxlanLinkOptions {
  /** The namespace the device lands in. @default the root namespace */
  ns?: string | undefined;
  /** The VXLAN network identifier, shared by both ends. */
  vni: number;
  /** This host's underlay address (the outer source). */
  local: string;
  /** The other host's underlay address (the outer destination). */
  remote: string;
  /** UDP port. @default 4789 */
  port?: number;
  /** The device's MTU. @default the kernel's choice */
  mtu?: number | undefined;
}

const where = (ns: string | undefined) => (ns === undefined ? "" : ` in ${ns}`);

/**
 * `ip link add name NAME [netns NS] [mtu N] type vxlan id VNI local L remote R dstport 4789`:
 * one end of a point-to-point VXLAN tunnel. Undo: `ip [-n NS] link delete dev NAME`.
 *
 * @example One end of a link from host 10.9.0.1 to host 10.9.0.2, as node a's eth0
 * ```ts
 * import { vxlanLink } from "../../mod.ts";
 * vxlanLink("eth0", { ns: "a", vni: 4097, local: "10.9.0.1", remote: "10.9.0.2", mtu: 1450 });
 * ```
 */
export function vxlanLink(name: string, options: VxlanLinkOptions): Step {
  checkIfname(name);
  const { ns, vni, mtu } = options;
  if (ns !== undefined) checkNsName(ns);
  if (!Number.isInteger(vni) || vni < 1 || vni > 16_777_215) {
    throw new TypeError(`Invalid VNI ${vni}: use a whole number from 1 to 16777215`);
  }
  const argv = ["link", "add", "name", name];
  if (ns !== undefined) argv.push("netns", ns);
  if (mtu !== undefined) argv.push("mtu", String(mtu));
  argv.push(
    "type",
    "vxlan",
    "id",
    String(vni),
    "local",
    parseIp(options.local),
    "remote",
    parseIp(options.remote),
    "dstport",
    String(options.port ?? VXLAN_PORT),
  );
  return {
    key: `link:${ns ?? ""}/${name}`,
    summary: `create VXLAN ${name}${where(ns)} (VNI ${vni}) to ${options.remote}`,
    do: [ip(undefined, ...argv)],
    undo: [ip(ns, "link", "delete", "dev", name)],
  };
}

/** One VXLAN end whose packets {@link vxlanSourceFilter} lets in only from its other end. */
export interface VxlanSource {
  /** The VXLAN network identifier. */
  vni: number;
  /** The other end's underlay address: the only outer source its packets may have. */
  remote: string;
  /** UDP port. @default 4789 */
  port?: number;
}

/** The nftables table (inet family, in the host's root namespace) of lab LAB's VXLAN filter. */
export function vxlanFilterTable(lab: string): string {
  return `netkit-vxlan-${checkLabName(lab)}`;
}

/**
 * The most rules one `nft` argument carries: a single argument may be at most 128 KiB
 * (MAX_ARG_STRLEN), and a rule is about 120 bytes.
 */
const RULES_PER_COMMAND = 500;

/**
 * `nft create table inet netkit-vxlan-LAB` and `nft add table inet netkit-vxlan-LAB { chain input
 * { type filter hook input priority 0; policy accept; udp dport 4789 @th,96,24 VNI ip saddr !=
 * REMOTE counter drop comment "netkit:LAB"; ... }; }`: the lab's VXLAN ends accept packets only
 * from their other ends. Undo: `nft delete table inet netkit-vxlan-LAB`.
 *
 * Why: a VXLAN device with a fixed `remote` still takes in any packet that reaches its UDP port
 * with its VNI, from any source address, and learns the sender's MAC address behind it; so
 * anyone who can send UDP to a host could put frames into the lab. The rule drops, in the
 * namespace that holds the tunnels' UDP sockets (the host's root namespace), every packet to the
 * tunnel's port whose VNI (24 bits at bit 32 of the 8-byte VXLAN header, after the 8-byte UDP
 * header) is the tunnel's and whose source is not its other end; its counter shows how many.
 * `@th` rather than nft's `vxlan` expression (nft 1.1) works with Debian 12's nft 1.0.6.
 * `create` fails when the table exists, so the step never takes over a table it did not make;
 * the rules go in with `add` (nft 1.0.6's `create table` ignores a body).
 *
 * What it changes on the host: one table of its own; the other tables and their verdicts are
 * untouched (a packet this table lets through goes on through every other table as before). It
 * filters by source address: a machine on the underlay that forges another host's address gets
 * through, as with any unauthenticated tunnel; an underlay you do not trust needs IPsec or
 * WireGuard beneath it.
 *
 * @param lab The lab the table belongs to (its name and the rules' comment).
 * @param tunnels This host's VXLAN ends.
 * @example A host with one end of VNI 4097, whose other end is 10.9.0.2
 * ```ts
 * import { vxlanSourceFilter } from "../../mod.ts";
 * vxlanSourceFilter("two-hosts", [{ vni: 4097, remote: "10.9.0.2" }]);
 * ```
 */
export function vxlanSourceFilter(lab: string, tunnels: readonly VxlanSource[]): Step {
  const table = vxlanFilterTable(lab);
  const rules = tunnels.map((t) => {
    if (!Number.isInteger(t.vni) || t.vni < 1 || t.vni > 16_777_215) {
      throw new TypeError(`Invalid VNI ${t.vni}: use a whole number from 1 to 16777215`);
    }
    return `udp dport ${t.port ?? VXLAN_PORT} @th,96,24 ${t.vni} ip saddr != ` +
      `${parseIp(t.remote)} counter drop comment "netkit:${lab}";`;
  });
  const chain = "type filter hook input priority 0; policy accept;";
  const adds = [];
  for (let k = 0; k < rules.length || k === 0; k += RULES_PER_COMMAND) {
    const some = rules.slice(k, k + RULES_PER_COMMAND).join(" ");
    adds.push(cmd("nft", "add", "table", "inet", table, `{ chain input { ${chain} ${some} }; }`));
  }
  const which = tunnels.length === 1 ? `VNI ${tunnels[0]!.vni}` : `${tunnels.length} VNIs`;
  return {
    key: `nft:inet/${table}`,
    summary: `let the lab's VXLAN (${which}) in only from its other ends (nftables table ` +
      `inet ${table})`,
    do: [cmd("nft", "create", "table", "inet", table), ...adds],
    undo: [cmd("nft", "delete", "table", "inet", table)],
  };
}

/**
 * `ip [-n NS] link set dev NAME mtu N`. No undo: the device goes away with the lab.
 *
 * @example
 * ```ts
 * import { linkMtu } from "../../mod.ts";
 * linkMtu("eth0", 1450, { ns: "a" });
 * ```
 */
export function linkMtu(
  name: string,
  mtu: number,
  options: { ns?: string | undefined } = {},
): Step {
  checkIfname(name);
  return {
    key: `mtu:${options.ns ?? ""}/${name}`,
    summary: `set the MTU of ${name}${where(options.ns)} to ${mtu}`,
    do: [ip(options.ns, "link", "set", "dev", name, "mtu", String(mtu))],
    undo: [],
  };
}

/**
 * `ovs-vsctl set interface NAME mtu_request=N`: the MTU of an OVS internal port (OVS manages
 * it; a plain `ip link set mtu` would be overwritten). No undo: the port goes away with the lab.
 *
 * @example
 * ```ts
 * import { ovsMtu } from "../../mod.ts";
 * ovsMtu("tap1", 1450);
 * ```
 */
export function ovsMtu(name: string, mtu: number): Step {
  checkIfname(name);
  return {
    key: `ovs-mtu:${name}`,
    summary: `set the MTU of OVS port ${name} to ${mtu}`,
    do: [cmd("ovs-vsctl", "set", "interface", name, `mtu_request=${mtu}`)],
    undo: [],
  };
}
