/**
 * OpenFlow flows read back from a bridge (`ovs-ofctl dump-flows`), as typed rows rather than
 * text.
 *
 * @module
 */
import { type Host, resolveHost } from "../host.ts";
import { checkIfname } from "../names.ts";
import { chooseOvs } from "./instance.ts";
import { ovsMgmtSocket, type OvsTarget } from "./target.ts";
import { labCookieMatch } from "./ids.ts";

/** One flow of a bridge. */
export interface OvsFlow {
  /** The OpenFlow table. */
  table: number;
  /** The priority (32768 when the flow was added without one). */
  priority: number;
  /** The match, e.g. `icmp,nw_src=10.0.0.1` (empty: every packet). */
  match: string;
  /** The actions, e.g. `drop` or `output:"h2-p"`. */
  actions: string;
  /** The cookie, e.g. `0x4e4b000000000001`. */
  cookie: string;
  /** Packets that matched the flow so far. */
  nPackets: number;
  /** Bytes that matched the flow so far. */
  nBytes: number;
}

/** Options for {@link ovsDumpFlows}. */
export interface OvsDumpFlowsOptions {
  /** Which OVS the bridge is in. @default the one a new lab would use */
  ovs?: OvsTarget | undefined;
  /** The host context (its runner runs the command). @default resolveHost() */
  host?: Host | undefined;
  /** Only the flows of this lab (by their cookie, see lib/ovs/ids.ts). @default every flow */
  lab?: string | undefined;
  /** Only the flow with this exact cookie (e.g. `0x…0001`). @default every flow */
  cookie?: string | undefined;
}

const STATS = new Set([
  "cookie",
  "duration",
  "table",
  "n_packets",
  "n_bytes",
  "idle_timeout",
  "hard_timeout",
  "idle_age",
  "hard_age",
  "importance",
  "send_flow_rem",
  "check_overlap",
  "reset_counts",
  "no_packet_counts",
  "no_byte_counts",
]);

/**
 * Parses the text of `ovs-ofctl dump-flows` into rows. Lines that are not flows (the
 * `NXST_FLOW reply` header) are skipped.
 *
 * @example
 * ```ts
 * import { parseDumpFlows } from "./flows.ts";
 * const [row] = parseDumpFlows(
 *   " cookie=0x1, duration=1.2s, table=0, n_packets=2, n_bytes=196, priority=100,icmp actions=drop",
 * );
 * row?.nPackets; // 2
 * ```
 */
export function parseDumpFlows(text: string): OvsFlow[] {
  const rows: OvsFlow[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const at = line.indexOf("actions=");
    if (!line.startsWith("cookie=") || at < 0) continue;
    const actions = line.slice(at + "actions=".length).trim();
    const head = line.slice(0, at).trim().replace(/,$/, "");
    const stats: Record<string, string> = {};
    let match = "";
    for (const part of head.split(", ")) {
      const key = part.split("=")[0]!;
      if (STATS.has(key)) stats[key] = part.slice(key.length + 1);
      else match = match ? `${match}, ${part}` : part;
    }
    let priority = 32768;
    const fields = match.split(",").filter((f) => f !== "");
    const p = fields.findIndex((f) => f.startsWith("priority="));
    if (p >= 0) {
      priority = Number(fields[p]!.slice("priority=".length));
      fields.splice(p, 1);
    }
    rows.push({
      table: Number(stats.table ?? 0),
      priority,
      match: fields.join(","),
      actions,
      cookie: stats.cookie ?? "0x0",
      nPackets: Number(stats.n_packets ?? 0),
      nBytes: Number(stats.n_bytes ?? 0),
    });
  }
  return rows;
}

/**
 * `ovs-ofctl --names dump-flows unix:RUN/BRIDGE.mgmt [cookie=…]`: the bridge's flows as typed
 * rows, with their packet and byte counters.
 *
 * @example The packet counters of a lab's flows on br0
 * ```ts
 * import { ovsDumpFlows } from "../../mod.ts";
 * for (const f of await ovsDumpFlows("br0", { lab: "ovs-flows" })) {
 *   console.log(f.priority, f.match, f.actions, f.nPackets);
 * }
 * ```
 */
export async function ovsDumpFlows(
  bridge: string,
  options: OvsDumpFlowsOptions = {},
): Promise<OvsFlow[]> {
  checkIfname(bridge);
  const host = options.host ?? resolveHost();
  const ovs = options.ovs ?? await chooseOvs(host);
  const argv = ["ovs-ofctl", "--names", "dump-flows", ovsMgmtSocket(ovs.runDir, bridge)];
  if (options.cookie !== undefined) {
    if (!/^0x[0-9a-f]{1,16}$/.test(options.cookie)) {
      throw new RangeError(`invalid cookie ${JSON.stringify(options.cookie)}`);
    }
    argv.push(`cookie=${options.cookie}/-1`);
  } else if (options.lab !== undefined) argv.push(labCookieMatch(options.lab));
  const r = await host.runner.run(argv);
  return parseDumpFlows(r.stdout);
}
