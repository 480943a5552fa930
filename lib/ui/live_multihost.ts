/**
 * The live state `netkit ui` lays over the picture of a multi-host lab this controller brought up
 * (lib/multihost/picture.ts): each host's part asked for its status the way `netkit status LAB`
 * asks on the controller (`statusMultihost`, lib/multihost/runtime.ts: `netkit part status LAB`
 * on every host over its SSH connection). For every end of the picture (`OWNER:IFNAME`): up or
 * down as the host's kernel has it, what impairs it, and the host it is on. A part's status
 * carries no counters, so these ends have no rates.
 *
 * Bounded: a lab's hosts are asked at most once per {@link POLL_MS}, one round in flight per lab;
 * a request gets the last sample at once while the next is read (only a lab's first sample is
 * waited for). Nothing is asked while no page asks. A round that fails (a host unreachable) says
 * why, and the ends are left unknown rather than guessed.
 *
 * @module
 */
import type { Host } from "../host.ts";
import type { LabGraph } from "../lab/graph_model.ts";
import type { LabStatus } from "../lab/status.ts";
import type { MultihostRecord } from "../multihost/record.ts";

/** One link end of a multi-host lab, live. */
interface RemoteEndLive {
  /** `up`: up with a carrier; `down` otherwise; `missing`: its host's part does not have it. */
  state: "up" | "down" | "missing";
  /** The state the host's kernel reports (`up`, `down`, `lowerlayerdown`, ...). */
  operstate: string;
  /** The host role it is on. */
  host: string;
  /** What impairs it (`delay 20 ms, loss 2%`), when anything does. */
  impaired?: string;
}

/** A multi-host lab, live. */
interface RemoteLabLive {
  /** When the round that read it started (ms since the epoch). */
  at: number;
  /** Every end of the lab's own nodes and bridges, by `OWNER:IFNAME`. */
  ends: Record<string, RemoteEndLive>;
  /** Each host role: `up`, or `not up` when its part is not up there. */
  hosts: Record<string, string>;
  /** Nothing of OVS is read from far hosts (the page shows OVS of this host's labs). */
  ovs: Record<string, never>;
  /** Why the hosts could not be read, when they could not. */
  error?: string;
}

/** A lab's hosts are asked at most this often. */
const POLL_MS = 2000;

/** The ends of `graph` from each host's part status (`null`: that host's part is not up). */
function endsOf(
  graph: LabGraph,
  status: Record<string, LabStatus | null>,
): Record<string, RemoteEndLive> {
  const hostOf = new Map(graph.nodes.map((n) => [n.id, n.host]));
  const seen = new Map<string, string>();
  const ports = new Set<string>();
  const impaired = new Map<string, string>();
  for (const s of Object.values(status)) {
    for (const n of s?.nodes ?? []) {
      for (const i of n.interfaces) seen.set(`${n.name}:${i.name}`, i.state);
    }
    for (const b of s?.bridges ?? []) for (const p of b.ports) ports.add(`${b.name}:${p.name}`);
    for (const i of s?.impairments ?? []) impaired.set(`${i.node}:${i.interface}`, i.impairment);
  }
  const ends: Record<string, RemoteEndLive> = {};
  for (const e of graph.links.flatMap((l) => [l.a, l.b])) {
    const key = `${e.owner}:${e.ifname}`;
    const host = hostOf.get(e.owner);
    if (e.ifname === "" || host === undefined || !/^[^:]+$/.test(e.owner)) continue;
    const state = seen.get(key);
    if (state !== undefined) {
      ends[key] = {
        state: state === "up" ? "up" : "down",
        operstate: state,
        host,
        ...(impaired.has(key) ? { impaired: impaired.get(key)! } : {}),
      };
    } else if (!ports.has(key)) {
      // A bridge's port is listed without a state: only its absence is known.
      ends[key] = { state: "missing", operstate: "", host };
    }
  }
  return ends;
}

/** Reads and keeps the live state of multi-host labs; see the module doc for what it bounds. */
export class RemoteLiveReader {
  #host: Host;
  #last = new Map<string, RemoteLabLive>();
  #reading = new Map<string, Promise<RemoteLabLive>>();

  /** A reader that reaches the hosts the way the controller `host` does. */
  constructor(host: Host) {
    this.#host = host;
  }

  /** The live state of lab `record` (whose picture is `graph`): the last sample, or the first. */
  read(record: MultihostRecord, graph: LabGraph): Promise<RemoteLabLive> {
    const name = record.lab.name;
    const last = this.#last.get(name);
    if (!this.#reading.has(name) && (!last || Date.now() - last.at >= POLL_MS)) {
      const next = this.#sample(record, graph).then((live) => {
        if (this.#reading.get(name) === next) this.#last.set(name, live);
        return live;
      }).finally(() => {
        if (this.#reading.get(name) === next) this.#reading.delete(name);
      });
      this.#reading.set(name, next);
    }
    return last ? Promise.resolve(last) : this.#reading.get(name)!;
  }

  /** Forgets labs that are no longer up. */
  keepOnly(names: ReadonlySet<string>): void {
    for (const name of this.#last.keys()) if (!names.has(name)) this.#last.delete(name);
  }

  /** Waits for the rounds in flight (their SSH connections closed) before the server exits. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#reading.values()]);
  }

  async #sample(record: MultihostRecord, graph: LabGraph): Promise<RemoteLabLive> {
    const at = Date.now();
    const roles = Object.keys(record.hosts);
    try {
      const { statusMultihost } = await import("../multihost/runtime.ts");
      const status = await statusMultihost(this.#host, record);
      return {
        at,
        ends: endsOf(graph, status),
        hosts: Object.fromEntries(roles.map((r) => [r, status[r] ? "up" : "not up"])),
        ovs: {},
      };
    } catch (error) {
      return {
        at,
        ends: {},
        hosts: {},
        ovs: {},
        error: error instanceof Error ? error.message : String(error),
      };
    }
  }
}
