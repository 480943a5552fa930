/**
 * QoS: a port shaped to 10 Mbit/s (`linux-htb`, `max-rate`), measured with iperf3.
 *
 * ```
 *   h1 [h1-t 10.0.10.1/24] (internal)--br0 (OVS)--[s0 qos linux-htb 10 Mbit/s]==veth==[s1]--br1 (OVS)--(internal) [h2-t 10.0.10.2/24] h2
 * ```
 *
 * OVS applies the QoS as an htb qdisc on s0, so it limits what br0 sends towards br1: h1's upload
 * to h2. The hosts sit on internal ports (taps), whose frames carry finished checksums and
 * MTU-sized segments, so TCP works across the userspace datapath; a veth end of a namespace would
 * hand OVS unfinished checksums. Proofs: h1 reaches h2; iperf3 from h1 to h2 measures 10 Mbit/s
 * within 25 %.
 *
 * @module
 */
import type { LabInput } from "../lib/lab/schema.ts";
import { prefixer, type Recipe } from "./recipe.ts";

/** The `ovs-qos` recipe. */
export const ovsQos: Recipe = {
  name: "ovs-qos",
  description: "OVS br0 and br1 joined by veth s0/s1, s0 shaped to 10 Mbit/s (linux-htb); " +
    "iperf3 from h1 to h2 measures it within 25 %",
  teaches: "OVS QoS: a port shaped to 10 Mbit/s (linux-htb), measured with iperf3",
  build(options = {}): LabInput {
    const p = prefixer(options);
    const [br0, br1, h1, h2, t1, t2] = [p("br0"), p("br1"), p("h1"), p("h2"), p("h1-t"), p("h2-t")];
    const rate = 10_000_000;
    return {
      name: p("ovs-qos"),
      description: this.description,
      nodes: {
        [h1]: { interfaces: { [t1]: { addresses: ["10.0.10.1/24"] } } },
        [h2]: { interfaces: { [t2]: { addresses: ["10.0.10.2/24"] } } },
      },
      bridges: {
        [br0]: {
          type: "ovs",
          ports: {
            [t1]: { internal: true, node: h1 },
            [p("s0")]: { qos: { type: "linux-htb", maxRate: rate } },
          },
        },
        [br1]: { type: "ovs", ports: { [t2]: { internal: true, node: h2 } } },
      },
      links: [{ endpoints: [`${br0}:${p("s0")}`, `${br1}:${p("s1")}`] }],
      expect: [
        { ping: { from: h1, to: "10.0.10.2" } },
        { throughput: { from: h1, server: h2, to: "10.0.10.2", rate } },
      ],
    };
  },
};
