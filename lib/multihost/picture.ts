/**
 * The picture of a multi-host lab that is up, from the controller's record (record.ts): the lab's
 * one model (lib/lab/graph_model.ts), a box per host role with the machine that plays it, and
 * each link between hosts drawn as the VXLAN tunnel it became, with its VNI. `netkit graph LAB
 * --format svg` and `netkit ui` draw this. Pure: it reads the record only, never the hosts.
 *
 * @module
 */
import { type LabGraph, labGraph } from "../lab/graph_model.ts";
import { describeHost } from "./inventory.ts";
import type { MultihostRecord } from "./record.ts";

/** One host role of a multi-host lab: the machine that plays it, and what runs there. */
interface HostPlacement {
  role: string;
  /** `root@10.9.0.1` (`:PORT` when not 22), or `local`. */
  machine: string;
  /** Its underlay network, `address/prefix`. */
  underlay: string;
  /** The nodes, then the bridges, placed on it. */
  members: string[];
}

/** Where each host role of `record` runs and what runs there, in the record's order. */
export function placement(record: MultihostRecord): HostPlacement[] {
  const lab = record.lab;
  return Object.entries(record.hosts).map(([role, h]) => ({
    role,
    machine: describeHost(h.spec),
    underlay: h.underlay,
    members: [
      ...Object.entries(lab.nodes).filter(([, n]) => n.host === role).map(([n]) => n),
      ...Object.entries(lab.bridges).filter(([, b]) => b.host === role).map(([b]) => b),
    ],
  }));
}

/**
 * The picture of multi-host lab `record`: its nodes in a box per host, its tunnels with their VNIs.
 *
 * @example
 * ```ts ignore
 * import { readRecord } from "./record.ts";
 * import { recordGraph } from "./picture.ts";
 * const record = await readRecord("/run/netkit", "mh");
 * if (record) console.log(recordGraph(record).links.filter((l) => l.kind === "tunnel"));
 * ```
 */
export function recordGraph(record: MultihostRecord): LabGraph {
  const graph = labGraph(record.lab);
  const pair = (a: string, b: string) => [a, b].sort().join(" ");
  const vnis = new Map(
    record.tunnels.map((t) => [pair(t.ends[0].endpoint, t.ends[1].endpoint), t.vni]),
  );
  return {
    ...graph,
    hostPlaces: Object.fromEntries(
      placement(record).map((p) => [p.role, `${p.machine}, underlay ${p.underlay}`]),
    ),
    links: graph.links.map((l) => {
      const vni = l.kind === "tunnel"
        ? vnis.get(pair(`${l.a.owner}:${l.a.ifname}`, `${l.b.owner}:${l.b.ifname}`))
        : undefined;
      return vni === undefined ? l : { ...l, vni };
    }),
  };
}
