/**
 * The split: a validated multi-host lab becomes one single-host lab per host (its *part*), and
 * every link whose ends are on different hosts becomes a VXLAN tunnel: one VNI per link, one
 * VXLAN end on each side, from one host's underlay address to the other's. Pure: it reads
 * nothing from the hosts (their facts are passed in) and runs nothing.
 *
 * A part is an ordinary lab (same schema; `tunnels` and `mtu` filled in), so each host brings
 * its part up with the same planner, executor and journal as any lab, and `netkit down LAB` on
 * that host alone removes it.
 *
 * The lab MTU: VXLAN adds 50 bytes, so every interface of the lab gets the smallest underlay MTU
 * of its hosts minus 50 (or the lab's own `mtu`, when smaller). One MTU for the whole lab keeps
 * every segment consistent, tunnelled or not.
 *
 * @module
 */
import { prefixesOverlap } from "../addr.ts";
import { UsageError } from "../errors.ts";
import { fnv1a32 } from "../names.ts";
import type { Lab } from "../lab/schema.ts";
import type { DocPath } from "../lab/validate.ts";
import { VXLAN_OVERHEAD, VXLAN_PORT } from "../primitives/vxlan.ts";
import { hostOf, proofPlaces } from "./validate.ts";

/** One link between two hosts. */
export interface TunnelLink {
  /** The VXLAN network identifier both ends share. */
  vni: number;
  /** UDP port on the underlay. */
  port: number;
  /** The two ends: endpoint (`OWNER:IFNAME`), host role, underlay address. */
  ends: [TunnelEnd, TunnelEnd];
}

/** One end of a {@link TunnelLink}. */
interface TunnelEnd {
  endpoint: string;
  host: string;
  underlay: string;
}

/** What the split needs to know about each host. */
interface HostUnderlay {
  /** The host's underlay address. */
  address: string;
  /** The underlay MTU on that host. */
  mtu: number;
}

/** A lab split over its hosts. */
export interface Split {
  /** The MTU every lab interface gets. */
  mtu: number;
  /** The smallest underlay MTU of the lab's hosts. */
  underlayMtu: number;
  /** Each host's part (hosts with nothing placed on them are left out). */
  parts: Record<string, Lab>;
  tunnels: TunnelLink[];
}

/**
 * The first VNI of a lab: derived from its name (FNV-1a), so two labs on the same hosts almost
 * never share one; link k of the lab gets `base + k`. Multiples of 4096 from 4096 up, so each lab
 * has 4096 VNIs. A clash with another lab's VXLAN, or with a VXLAN device of the host, is refused
 * before anything is built ({@link vniClashes}).
 */
export function vniBase(lab: string): number {
  return (1 + (fnv1a32(lab) % 4000)) * 4096;
}

const ownerOf = (endpoint: string) => endpoint.split(":")[0] ?? "";

/**
 * Splits a validated multi-host lab over its hosts.
 *
 * @param lab A validated lab with `hosts` (see {@link hostOf}).
 * @param underlay Each role's underlay address and MTU.
 * @throws {UsageError} When a role has no underlay, or the lab's `mtu` does not fit the underlay.
 */
export function splitLab(lab: Lab, underlay: Record<string, HostUnderlay>): Split {
  const where = hostOf(lab);
  const roles = [...new Set(where.values())].sort();
  for (const role of roles) {
    if (!underlay[role]) throw new UsageError(`Host role "${role}" has no machine`);
  }
  const underlayMtu = Math.min(...roles.map((r) => underlay[r]!.mtu));
  const fits = underlayMtu - VXLAN_OVERHEAD;
  if (lab.mtu !== undefined && lab.mtu > fits) {
    throw new UsageError(
      `The lab's mtu ${lab.mtu} does not fit the underlay: its MTU is ${underlayMtu}, VXLAN ` +
        `takes ${VXLAN_OVERHEAD}, so the lab MTU is at most ${fits}`,
      { where: "mtu" },
    );
  }
  const mtu = lab.mtu ?? fits;
  const parts: Record<string, Lab> = {};
  const partOf = (role: string): Lab => {
    if (!parts[role]) {
      const { hosts: _hosts, tunnels: _tunnels, ...rest } = lab;
      parts[role] = { ...rest, nodes: {}, bridges: {}, links: [], expect: [], mtu, tunnels: [] };
    }
    return parts[role]!;
  };
  for (const role of roles) partOf(role);
  for (const [name, node] of Object.entries(lab.nodes)) {
    const { host, ...rest } = node;
    partOf(host!).nodes[name] = rest;
  }
  for (const [name, bridge] of Object.entries(lab.bridges)) {
    const { host, ...rest } = bridge;
    partOf(host!).bridges[name] = rest;
  }
  const tunnels: TunnelLink[] = [];
  const base = vniBase(lab.name);
  for (const link of lab.links) {
    const [a, b] = link.endpoints;
    const [ha, hb] = [where.get(ownerOf(a))!, where.get(ownerOf(b))!];
    if (ha === hb) {
      partOf(ha).links.push(link);
      continue;
    }
    const vni = base + tunnels.length;
    const ends: [TunnelEnd, TunnelEnd] = [
      { endpoint: a, host: ha, underlay: underlay[ha]!.address },
      { endpoint: b, host: hb, underlay: underlay[hb]!.address },
    ];
    tunnels.push({ vni, port: VXLAN_PORT, ends });
    for (const [mine, other] of [[ends[0], ends[1]], [ends[1], ends[0]]] as const) {
      partOf(mine.host).tunnels!.push({
        end: mine.endpoint,
        vni,
        local: mine.underlay,
        remote: other.underlay,
        port: VXLAN_PORT,
      });
    }
  }
  for (const e of lab.expect) partOf(where.get(proofPlaces(lab, e)[0]!)!).expect.push(e);
  return { mtu, underlayMtu, parts, tunnels };
}

/** A lab address that overlaps a host's underlay network. */
interface Overlap {
  /** Where the lab names the address. */
  path: DocPath;
  cidr: string;
  host: string;
  underlay: string;
}

/**
 * The lab addresses whose subnet overlaps a host's underlay network (`address/prefix` of the
 * interface holding the underlay address): a lab must not reuse the network its tunnels run on.
 */
export function overlaps(lab: Lab, underlays: Record<string, string>): Overlap[] {
  const out: Overlap[] = [];
  for (const [node, n] of Object.entries(lab.nodes)) {
    for (const [ifname, iface] of Object.entries(n.interfaces)) {
      iface.addresses.forEach((cidr, k) => {
        for (const [host, net] of Object.entries(underlays)) {
          if (prefixesOverlap(cidr, net)) {
            const path = ["nodes", node, "interfaces", ifname, "addresses", k];
            out.push({ path, cidr, host, underlay: net });
          }
        }
      });
    }
  }
  return out;
}

/** A VNI in use on a host, as `netkit part vnis` reports it there. */
export interface VniUse {
  vni: number;
  /** Its UDP port. */
  port: number;
  /** The VXLAN device in the host's root namespace that has it. */
  device?: string;
  /** The netkit lab on the host whose tunnel has it. */
  lab?: string;
}

/** A VNI of the lab that one of its hosts already uses. */
interface VniClash {
  /** The host role. */
  host: string;
  vni: number;
  port: number;
  /** Who has it there. */
  by: VniUse;
}

/**
 * The lab's VNIs that its hosts already use with the same UDP port: the kernel holds one VXLAN
 * device per VNI and port among the devices whose socket is in one namespace (the host's root
 * namespace, for every tunnel end, wherever the device itself is), so `ip link add` would fail
 * there. A use by this same lab (a part left on the host) is not a clash: that host's bring-up
 * says what to do about it. Sorted by host, then VNI.
 *
 * @param lab The lab's name.
 * @param tunnels The lab's tunnels (the split's).
 * @param inUse What each host role reports in use.
 */
export function vniClashes(
  lab: string,
  tunnels: readonly TunnelLink[],
  inUse: Record<string, readonly VniUse[]>,
): VniClash[] {
  const out: VniClash[] = [];
  for (const [host, uses] of Object.entries(inUse).sort(([a], [b]) => a.localeCompare(b))) {
    const taken = new Map<string, VniUse>();
    for (const u of uses) if (u.lab !== lab) taken.set(`${u.vni}/${u.port}`, u);
    const mine = tunnels.filter((t) => t.ends.some((e) => e.host === host));
    for (const t of [...mine].sort((a, b) => a.vni - b.vni)) {
      const by = taken.get(`${t.vni}/${t.port}`);
      if (by) out.push({ host, vni: t.vni, port: t.port, by });
    }
  }
  return out;
}
