/**
 * Port mirroring: an OVS mirror copies every frame on br0 to the port of a monitor
 * namespace, where tcpdump sees the traffic of two other hosts.
 *
 * ```
 *   h1  [eth0 10.0.9.1/24]--[h1-p]--+
 *   h2  [eth0 10.0.9.2/24]--[h2-p]--+ br0 (OVS)   mirror m0: select all -> mon-p
 *   mon [eth0, no address]--[mon-p]-+
 * ```
 *
 * The mirror is an OVSDB row (`ovs-vsctl … create mirror … select-all=true output-port=@p`)
 * carrying `external_ids:netkit-lab`; OVS keeps its output port out of normal switching, so mon
 * sees copies only. Proofs: h1 reaches h2; tcpdump on mon's eth0 captures the echo requests and
 * replies of a ping from h1 to h2.
 *
 * @module
 */
import type { LabInput } from "../lib/lab/schema.ts";
import { prefixer, type Recipe } from "./recipe.ts";

/** The `ovs-mirror` recipe. */
export const ovsMirror: Recipe = {
  name: "ovs-mirror",
  description: "h1, h2 and monitor mon on OVS br0 with a mirror of every port to mon's port; " +
    "tcpdump on mon sees h1's ping to h2",
  teaches: "an OVS port mirror watched with tcpdump",
  build(options = {}): LabInput {
    const p = prefixer(options);
    const [br, h1, h2, mon] = [p("br0"), p("h1"), p("h2"), p("mon")];
    return {
      name: p("ovs-mirror"),
      description: this.description,
      nodes: {
        [h1]: { interfaces: { eth0: { addresses: ["10.0.9.1/24"] } } },
        [h2]: { interfaces: { eth0: { addresses: ["10.0.9.2/24"] } } },
        [mon]: {},
      },
      bridges: {
        [br]: { type: "ovs", mirrors: { [p("m0")]: { select: "all", output: p("mon-p") } } },
      },
      links: [
        { endpoints: [`${h1}:eth0`, `${br}:${p("h1-p")}`] },
        { endpoints: [`${h2}:eth0`, `${br}:${p("h2-p")}`] },
        { endpoints: [`${mon}:eth0`, `${br}:${p("mon-p")}`] },
      ],
      expect: [
        { ping: { from: h1, to: "10.0.9.2" } },
        { capture: { node: mon, interface: "eth0" }, ping: { from: h1, to: "10.0.9.2" } },
      ],
    };
  },
};
