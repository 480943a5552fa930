/**
 * OVS internal ports tap1 and tap2 on br1, moved into ns1 and ns2.
 *
 * ```
 *   ns1 [tap1 10.0.0.1/24]--+
 *                           br1 (OVS, internal ports)
 *   ns2 [tap2 10.0.0.2/24]--+
 * ```
 *
 * @module
 */
import type { LabInput } from "../lib/lab/schema.ts";
import { prefixer, type Recipe } from "./recipe.ts";

/** The `ovs-internal` recipe. */
export const ovsInternal: Recipe = {
  name: "ovs-internal",
  description: "OVS internal ports tap1/tap2 on br1 moved into ns1/ns2; ns2 pings ns1",
  teaches: "OVS internal ports moved into namespaces",
  build(options = {}): LabInput {
    const p = prefixer(options);
    return {
      name: p("ovs-internal"),
      description: this.description,
      nodes: {
        [p("ns1")]: { interfaces: { [p("tap1")]: { addresses: ["10.0.0.1/24"] } } },
        [p("ns2")]: { interfaces: { [p("tap2")]: { addresses: ["10.0.0.2/24"] } } },
      },
      bridges: {
        [p("br1")]: {
          type: "ovs",
          ports: {
            [p("tap1")]: { internal: true, node: p("ns1") },
            [p("tap2")]: { internal: true, node: p("ns2") },
          },
        },
      },
      expect: [
        { ping: { from: p("ns2"), to: "10.0.0.1" } },
        { ping: { from: p("ns1"), to: "10.0.0.2" } },
      ],
    };
  },
};
