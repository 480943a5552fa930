/**
 * The live state of a lab's Open vSwitch features, read from OVS (not from the description):
 * its OpenFlow flows with their counters (found by the lab's cookie), its bonds with their
 * members and active member, its mirrors, and its ports' QoS. A lab that declares none of them
 * costs no query.
 *
 * @module
 */
import type { Host } from "../host.ts";
import { ovsDumpFlows, type OvsFlow } from "../ovs/flows.ts";
import { ovsList, type OvsRecord } from "../ovs/query.ts";
import type { OvsTarget } from "../ovs/target.ts";
import type { Lab } from "./schema.ts";

/** One of the lab's flows, with the bridge it is on. */
interface FlowStatus extends OvsFlow {
  bridge: string;
}

/** One of the lab's bonds. */
interface BondStatus {
  bridge: string;
  name: string;
  mode: string;
  lacp: string;
  /** Each member with OVS's view of its link (`up`/`down`). */
  members: { name: string; link: string }[];
  /** The member it sends on now (active-backup), when known. */
  active?: string;
  /** The member an active-backup bond prefers, when set. */
  primary?: string;
}

/** One of the lab's mirrors. */
interface MirrorStatus {
  bridge: string;
  name: string;
  /** `all`, or the selected ports. */
  select: "all" | string[];
  output: string;
  /** Packets copied to the output port so far, when OVS reports it. */
  txPackets?: number;
}

/** QoS on one of the lab's ports. */
interface QosStatus {
  port: string;
  type: string;
  /** `other-config:max-rate`, bits per second. */
  maxRate?: number;
}

/** Flows, bonds, mirrors and QoS of a lab, each present when the lab declares any. */
export interface OvsFeatureStatus {
  flows?: FlowStatus[];
  bonds?: BondStatus[];
  mirrors?: MirrorStatus[];
  qos?: QosStatus[];
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const byUuid = (rows: OvsRecord[]) => new Map(rows.map((r) => [String(r._uuid), r]));

/** Reads the live flows, bonds, mirrors and QoS of `lab` from `ovs`. */
export async function ovsFeatureStatus(
  lab: Lab,
  ovs: OvsTarget | undefined,
  host: Host,
): Promise<OvsFeatureStatus> {
  if (!ovs) return {};
  const bridges = Object.entries(lab.bridges).filter(([, b]) => b.type === "ovs");
  const ports = bridges.flatMap(([name, b]) =>
    Object.entries(b.ports).map(([p, v]) => ({ bridge: name, name: p, ...v }))
  );
  const wantFlows = bridges.filter(([, b]) => (b.flows?.length ?? 0) > 0);
  const wantBonds = ports.some((p) => p.bond !== undefined);
  const wantMirrors = bridges.some(([, b]) => Object.keys(b.mirrors ?? {}).length > 0);
  const wantQos = ports.some((p) => p.qos !== undefined);
  const out: OvsFeatureStatus = {};
  const q = { ovs, host };
  const safe = <T>(p: Promise<T[]>) => p.catch(() => [] as T[]);

  if (wantFlows.length) {
    out.flows = (await Promise.all(
      wantFlows.map(async ([bridge]) =>
        (await safe(ovsDumpFlows(bridge, { ...q, lab: lab.name }))).map((f) => ({ bridge, ...f }))
      ),
    )).flat();
  }
  if (!wantBonds && !wantMirrors && !wantQos) return out;
  const [portRows, ifaceRows, mirrorRows, qosRows, bridgeRows] = await Promise.all([
    safe(ovsList("Port", undefined, q)),
    safe(ovsList("Interface", undefined, q)),
    wantMirrors ? safe(ovsList("Mirror", undefined, q)) : Promise.resolve([]),
    wantQos ? safe(ovsList("QoS", undefined, q)) : Promise.resolve([]),
    wantMirrors ? safe(ovsList("Bridge", undefined, q)) : Promise.resolve([]),
  ]);
  const portsByName = new Map(portRows.map((p) => [String(p.name), p]));
  const portsById = byUuid(portRows);
  const ifacesById = byUuid(ifaceRows);

  if (wantBonds) {
    out.bonds = ports.filter((p) => p.bond !== undefined).flatMap((p) => {
      const row = portsByName.get(p.name);
      if (!row) return [];
      const members = list(row.interfaces).map((id) => {
        const i = ifacesById.get(String(id));
        return { name: String(i?.name ?? id), link: String(i?.link_state ?? "") || "?" };
      }).sort((a, b) => a.name.localeCompare(b.name));
      const mac = row.bond_active_slave;
      const active = typeof mac === "string" && mac !== ""
        ? ifaceRows.find((i) => i.mac_in_use === mac)?.name
        : undefined;
      const other = (row.other_config ?? {}) as Record<string, string>;
      return [{
        bridge: p.bridge,
        name: p.name,
        mode: String(row.bond_mode || "active-backup"),
        lacp: String(row.lacp || "off"),
        members,
        ...(active !== undefined ? { active: String(active) } : {}),
        ...(other["bond-primary"] ? { primary: other["bond-primary"] } : {}),
      }];
    });
  }
  if (wantMirrors) {
    const mirrorsById = byUuid(mirrorRows);
    const portName = (id: unknown) => String(portsById.get(String(id))?.name ?? id);
    out.mirrors = bridges.flatMap(([bridge]) => {
      const b = bridgeRows.find((r) => r.name === bridge);
      return list(b?.mirrors).flatMap((id) => {
        const m = mirrorsById.get(String(id));
        if (!m) return [];
        const stats = (m.statistics ?? {}) as Record<string, number>;
        return [{
          bridge,
          name: String(m.name),
          select: m.select_all === true
            ? "all" as const
            : [...new Set([...list(m.select_src_port), ...list(m.select_dst_port)].map(portName))],
          output: list(m.output_port).map(portName).join(", "),
          ...(typeof stats.tx_packets === "number" ? { txPackets: stats.tx_packets } : {}),
        }];
      });
    });
  }
  if (wantQos) {
    const qosById = byUuid(qosRows);
    out.qos = ports.filter((p) => p.qos !== undefined).flatMap((p) => {
      const row = portsByName.get(p.name);
      const qos = list(row?.qos).map((id) => qosById.get(String(id)))[0];
      if (!qos) return [];
      const rate = Number(((qos.other_config ?? {}) as Record<string, string>)["max-rate"]);
      return [{
        port: p.name,
        type: String(qos.type),
        ...(Number.isFinite(rate) ? { maxRate: rate } : {}),
      }];
    });
  }
  return out;
}
