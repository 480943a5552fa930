/**
 * The picture of a multi-host lab that is up, from the controller's record (record.ts): the lab's
 * one model (lib/lab/graph_model.ts), a box per host role with the machine that plays it, and
 * each link between hosts drawn as the VXLAN tunnel it became, with its VNI. `netkit graph LAB
 * --format svg` and `netkit ui` draw this. Pure: it reads the record only, never the hosts.
 *
 * @module
 */
import { labGraph, type LabGraph } from "../lab/graph_model.ts";
import { describeHost } from "./inventory.ts";
import type { MultihostRecord } from "./record.ts";

/** Where host role `role` runs: its machine and its underlay (`root@10.9.0.1, underlay ...`). */
export function placeOf(record: MultihostRecord, role: string): string {
  const h = Object.hasOwn(record.hosts, role) ? record.hosts[role] : undefined;
  return h ? `${describeHost(h.spec)}, underlay ${h.underlay}` : "not placed";
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
    hostPlaces: Object.fromEntries(graph.hosts.map((role) => [role, placeOf(record, role)])),
    links: graph.links.map((l) => {
      const vni = l.kind === "tunnel"
        ? vnis.get(pair(`${l.a.owner}:${l.a.ifname}`, `${l.b.owner}:${l.b.ifname}`))
        : undefined;
      return vni === undefined ? l : { ...l, vni };
    }),
  };
}
