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
import { checkIfname, checkNsName } from "../names.ts";
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
