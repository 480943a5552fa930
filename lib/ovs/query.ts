/**
 * Read-only OVS queries, parsed from `ovs-vsctl --format=json` into typed records rather than
 * text.
 *
 * @module
 */
import { type Host, resolveHost } from "../host.ts";
import { chooseOvs } from "./instance.ts";
import { type OvsTarget, vsctl as vsctlArgv } from "./target.ts";

/** Options for the OVS queries. */
export interface OvsQueryOptions {
  /** Which OVS to ask. @default the one a new lab would use */
  ovs?: OvsTarget | undefined;
  /** The host context (its runner runs the query). @default resolveHost() */
  host?: Host | undefined;
}

/** One row of an OVS table: column name to value (sets as arrays, maps as objects). */
export type OvsRecord = Record<string, unknown>;

/** Converts OVSDB's JSON encoding (`["set", …]`, `["map", …]`, `["uuid", …]`) to plain values. */
function ovsValue(value: unknown): unknown {
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== "string") return value;
  const [kind, data] = value as [string, unknown];
  if (kind === "uuid" || kind === "named-uuid") return data;
  if (kind === "set") return (data as unknown[]).map(ovsValue);
  if (kind === "map") {
    return Object.fromEntries((data as [unknown, unknown][]).map(([k, v]) => [k, ovsValue(v)]));
  }
  return value;
}

async function vsctl(args: string[], options: OvsQueryOptions): Promise<string> {
  const host = options.host ?? resolveHost();
  const ovs = options.ovs ?? await chooseOvs(host);
  const r = await host.runner.run(vsctlArgv(ovs, "--timeout=5", ...args));
  return r.stdout;
}

/**
 * `ovs-vsctl --format=json list TABLE [RECORD]`: the Bridge, Port, Interface, Mirror or QoS table as typed
 * records.
 *
 * @example The tags of every port
 * ```ts
 * import { ovsList } from "../../mod.ts";
 * for (const port of await ovsList("Port")) console.log(port.name, port.tag);
 * ```
 */
export async function ovsList(
  table: "Bridge" | "Port" | "Interface" | "Mirror" | "QoS" | "Open_vSwitch",
  record?: string,
  options: OvsQueryOptions = {},
): Promise<OvsRecord[]> {
  const args = ["--format=json", "list", table];
  if (record !== undefined) args.push(record);
  const out = JSON.parse(await vsctl(args, options)) as { headings: string[]; data: unknown[][] };
  return out.data.map((row) =>
    Object.fromEntries(out.headings.map((h, i) => [h, ovsValue(row[i])]))
  );
}

/**
 * `ovs-vsctl list-br`: the names of the bridges.
 *
 * @example
 * ```ts
 * import { ovsListBridges } from "../../mod.ts";
 * console.log(await ovsListBridges());
 * ```
 */
export async function ovsListBridges(options: OvsQueryOptions = {}): Promise<string[]> {
  return (await vsctl(["list-br"], options)).split("\n").filter(Boolean);
}

/**
 * `ovs-vsctl list-ports BRIDGE`: the names of a bridge's ports.
 *
 * @example
 * ```ts
 * import { ovsListPorts } from "../../mod.ts";
 * console.log(await ovsListPorts("br1"));
 * ```
 */
export async function ovsListPorts(
  bridge: string,
  options: OvsQueryOptions = {},
): Promise<string[]> {
  return (await vsctl(["list-ports", bridge], options)).split("\n").filter(Boolean);
}

/** A port in {@link OvsShow}. */
export interface OvsShowPort {
  /** Its name. */
  name: string;
  /** Its VLAN tag, if any. */
  tag?: number;
  /** Its interfaces, with their types (`system`, `internal`, `patch`, ...). */
  interfaces: { name: string; type: string }[];
  /** Its `external_ids` (netkit's mark is `netkit-lab`). */
  externalIds: Record<string, string>;
}

/** A bridge in {@link OvsShow}. */
export interface OvsShowBridge {
  /** Its name. */
  name: string;
  /** `system` or `netdev`. */
  datapathType: string;
  /** Its `external_ids` (netkit's mark is `netkit-lab`). */
  externalIds: Record<string, string>;
  /** Its ports, by name. */
  ports: OvsShowPort[];
}

/** The typed form of `ovs-vsctl show`. */
export interface OvsShow {
  /** The OVS version. */
  ovsVersion?: string;
  /** The bridges, by name. */
  bridges: OvsShowBridge[];
}

/**
 * `ovs-vsctl show`, as data: bridges, their ports, tags and interfaces.
 *
 * @example
 * ```ts
 * import { ovsShow } from "../../mod.ts";
 * const show = await ovsShow();
 * for (const br of show.bridges) console.log(br.name, br.ports.map((p) => p.name));
 * ```
 */
export async function ovsShow(options: OvsQueryOptions = {}): Promise<OvsShow> {
  const [root, bridges, ports, ifaces] = await Promise.all([
    ovsList("Open_vSwitch", undefined, options),
    ovsList("Bridge", undefined, options),
    ovsList("Port", undefined, options),
    ovsList("Interface", undefined, options),
  ]);
  const byUuid = <T extends OvsRecord>(rows: T[]) => new Map(rows.map((r) => [r._uuid, r]));
  const portMap = byUuid(ports);
  const ifaceMap = byUuid(ifaces);
  const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
  const version = root[0]?.ovs_version;
  return {
    ...(typeof version === "string" ? { ovsVersion: version } : {}),
    bridges: bridges.map((b) => ({
      name: String(b.name),
      datapathType: String(b.datapath_type || "system"),
      externalIds: (b.external_ids ?? {}) as Record<string, string>,
      ports: asList(b.ports).map((u) => portMap.get(u)).filter((p) => p !== undefined).map(
        (p) => {
          const tag = p.tag;
          return {
            name: String(p.name),
            ...(typeof tag === "number" ? { tag } : {}),
            externalIds: (p.external_ids ?? {}) as Record<string, string>,
            interfaces: asList(p.interfaces).map((u) => ifaceMap.get(u)).filter((i) =>
              i !== undefined
            ).map((i) => ({ name: String(i.name), type: String(i.type || "system") })),
          };
        },
      ).sort((a, b) => a.name.localeCompare(b.name)),
    })).sort((a, b) => a.name.localeCompare(b.name)),
  };
}
