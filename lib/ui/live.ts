/**
 * The live state `netkit ui` lays over a lab's picture (lib/lab/graph_model.ts): for every link
 * end (`OWNER:IFNAME`) whether it is up, its byte counters and rates, and what impairs it; and the
 * lab's OVS flows, bonds and mirrors (lib/lab/status_ovs.ts). Read from the kernel and OVS, never
 * from the description.
 *
 * The work is bounded: one `ip -s -j link show`, one `tc -j qdisc show` and one `nft -j list tables`
 * (the impairments, read as `netkit status` reads them: lib/lab/impairments.ts) per namespace of
 * the lab and for its root side (every interface at once), at most
 * {@link READS_AT_ONCE} at a time; a lab is read at most once per {@link MIN_INTERVAL_MS} whoever
 * asks (a request that comes sooner gets the sample being read or the last one), and OVS is asked
 * every {@link OVS_INTERVAL_MS}.
 *
 * @module
 */
import type { Host } from "../host.ts";
import { inNetns } from "../exec/netns_argv.ts";
import { pool } from "../plan/schedule.ts";
import type { LabState } from "../lab/lab_state.ts";
import type { LabGraph } from "../lab/graph_model.ts";
import { type OvsFeatureStatus, ovsFeatureStatus } from "../lab/status_ovs.ts";
import { readImpairments } from "../lab/impairments.ts";

/** One link end, live. */
interface EndLive {
  /** `up`: administratively up with a carrier; `down` otherwise; `missing`: not found. */
  state: "up" | "down" | "missing";
  /** The kernel's operstate (`UP`, `DOWN`, `LOWERLAYERDOWN`, ...). */
  operstate: string;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  /** Bits per second received since the last sample. */
  rxBps: number;
  /** Bits per second sent since the last sample. */
  txBps: number;
  /** What impairs it, in words (lib/lab/impairments.ts, as `netkit status` says it), when any. */
  impaired?: string;
}

/** A lab, live. */
interface LabLive {
  /** When it was read (ms since the epoch). */
  at: number;
  /** Every end of the lab's links that lives on this host, by `OWNER:IFNAME`. */
  ends: Record<string, EndLive>;
  /** The lab's OVS flows, bonds, mirrors and QoS, when it declares any. */
  ovs: OvsFeatureStatus;
}

/** How many namespaces are read at once. */
const READS_AT_ONCE = 4;
/** A lab is read at most this often. */
const MIN_INTERVAL_MS = 700;
/** OVS is asked at most this often. */
const OVS_INTERVAL_MS = 3000;

interface IpLink {
  ifname: string;
  operstate?: string;
  flags?: string[];
  stats64?: {
    rx?: { bytes?: number; packets?: number };
    tx?: { bytes?: number; packets?: number };
  };
}

/** Parses `ip -s -j link show` output; nothing on a failed read. */
function parseLinks(text: string): Map<string, IpLink> {
  try {
    const rows = JSON.parse(text || "[]") as IpLink[];
    return new Map(rows.map((r) => [r.ifname, r]));
  } catch {
    return new Map();
  }
}

/** Where each end of the picture lives: a namespace (a node's), or the lab's root side. */
function placesOf(
  state: LabState,
  graph: LabGraph,
): Map<string | undefined, Map<string, string>> {
  const places = new Map<string | undefined, Map<string, string>>();
  for (const l of graph.links) {
    for (const e of [l.a, l.b]) {
      if (e.ifname === "" || e.owner.startsWith("remote:")) continue;
      const ns = Object.hasOwn(state.lab.nodes, e.owner) ? e.owner : state.sandbox;
      if (!places.has(ns)) places.set(ns, new Map());
      places.get(ns)!.set(`${e.owner}:${e.ifname}`, e.ifname);
    }
  }
  return places;
}

/** Reads and keeps the live state of labs; see the module doc for what it bounds. */
export class LiveReader {
  #host: Host;
  #last = new Map<string, LabLive>();
  #reading = new Map<string, Promise<LabLive>>();
  #ovsAt = new Map<string, number>();

  /** A reader for labs on `host`. */
  constructor(host: Host) {
    this.#host = host;
  }

  /** The live state of lab `state` (whose picture is `graph`): fresh, or at most a moment old. */
  read(state: LabState, graph: LabGraph): Promise<LabLive> {
    const name = state.lab.name;
    const last = this.#last.get(name);
    if (last && Date.now() - last.at < MIN_INTERVAL_MS) return Promise.resolve(last);
    const reading = this.#reading.get(name);
    if (reading) return reading;
    const next = this.#sample(state, graph, last).finally(() => this.#reading.delete(name));
    this.#reading.set(name, next);
    return next;
  }

  /** Forgets labs that are no longer up. */
  keepOnly(names: ReadonlySet<string>): void {
    for (const name of this.#last.keys()) if (!names.has(name)) this.#last.delete(name);
  }

  async #sample(state: LabState, graph: LabGraph, last: LabLive | undefined): Promise<LabLive> {
    const runner = this.#host.runner;
    const places = [...placesOf(state, graph)];
    const argvIn = (ns: string | undefined, argv: string[]) =>
      ns === undefined ? argv : inNetns(ns, argv);
    const reads = await pool(places, READS_AT_ONCE, async ([ns]) => {
      const [links, impaired] = await Promise.all([
        runner.run(argvIn(ns, ["ip", "-s", "-j", "link", "show"]), { allowFailure: true }),
        readImpairments(runner, ns),
      ]);
      return { links: parseLinks(links.code === 0 ? links.stdout : ""), impaired };
    });
    const at = Date.now();
    const ends: Record<string, EndLive> = {};
    places.forEach(([, keys], i) => {
      const r = reads[i]!;
      const got = r.status === "fulfilled" ? r.value : { links: new Map(), impaired: new Map() };
      for (const [key, ifname] of keys) {
        ends[key] = endLive(got.links.get(ifname), got.impaired.get(ifname), last, key, at);
      }
    });
    const name = state.lab.name;
    const ovsDue = at - (this.#ovsAt.get(name) ?? 0) >= OVS_INTERVAL_MS;
    let ovs = last?.ovs ?? {};
    if (ovsDue) {
      this.#ovsAt.set(name, at);
      ovs = await ovsFeatureStatus(state.lab, state.ovs, this.#host).catch(() => ({}));
    }
    const live: LabLive = { at, ends, ovs };
    this.#last.set(name, live);
    return live;
  }
}

/** One end from its `ip -s -j link` row, its rate from the last sample. */
function endLive(
  row: IpLink | undefined,
  impaired: string | undefined,
  last: LabLive | undefined,
  key: string,
  at: number,
): EndLive {
  if (!row) {
    return {
      state: "missing",
      operstate: "",
      rxBytes: 0,
      txBytes: 0,
      rxPackets: 0,
      txPackets: 0,
      rxBps: 0,
      txBps: 0,
    };
  }
  const flags = row.flags ?? [];
  const up = flags.includes("UP") && !flags.includes("NO-CARRIER") &&
    ["UP", "UNKNOWN"].includes(row.operstate ?? "");
  const rxBytes = row.stats64?.rx?.bytes ?? 0;
  const txBytes = row.stats64?.tx?.bytes ?? 0;
  const before = last?.ends[key];
  const dt = last ? (at - last.at) / 1000 : 0;
  const rate = (now: number, then: number | undefined) =>
    then !== undefined && dt > 0 && now >= then ? Math.round(((now - then) * 8) / dt) : 0;
  return {
    state: up ? "up" : "down",
    operstate: row.operstate ?? "",
    rxBytes,
    txBytes,
    rxPackets: row.stats64?.rx?.packets ?? 0,
    txPackets: row.stats64?.tx?.packets ?? 0,
    rxBps: rate(rxBytes, before?.rxBytes),
    txBps: rate(txBytes, before?.txBytes),
    ...(impaired ? { impaired } : {}),
  };
}
