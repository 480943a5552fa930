/**
 * Two OVS bridges joined by a veth pair (`s0` on br0, `s1` on br1).
 *
 * ```
 *   h0 [eth0 10.0.5.1/24]--veth--[h0-br]                      [h1-br]--veth--[eth0 10.0.5.2/24] h1
 *                                  br0 (OVS)--[s0]==veth==[s1]--br1 (OVS)
 * ```
 *
 * The original only joins the bridges; the namespaces h0 and h1 are added to prove frames cross.
 *
 * @module
 */
import type { LabInput } from "../lib/lab/schema.ts";
import { prefixer, type Recipe } from "./recipe.ts";

/** The `ovs-patch` recipe. */
export const ovsPatch: Recipe = {
  name: "ovs-patch",
  description: "OVS bridges br0 and br1 joined by veth s0/s1; h0 on br0 pings h1 on br1",
  teaches: "two OVS bridges joined by a veth pair",
  build(options = {}): LabInput {
    const p = prefixer(options);
    const [br0, br1, h0, h1] = [p("br0"), p("br1"), p("h0"), p("h1")];
    return {
      name: p("ovs-patch"),
      description: this.description,
      nodes: {
        [h0]: { interfaces: { eth0: { addresses: ["10.0.5.1/24"] } } },
        [h1]: { interfaces: { eth0: { addresses: ["10.0.5.2/24"] } } },
      },
      bridges: { [br0]: { type: "ovs" }, [br1]: { type: "ovs" } },
      links: [
        { endpoints: [`${br0}:${p("s0")}`, `${br1}:${p("s1")}`] },
        { endpoints: [`${h0}:eth0`, `${br0}:${p("h0-br")}`] },
        { endpoints: [`${h1}:eth0`, `${br1}:${p("h1-br")}`] },
      ],
      expect: [
        { ping: { from: h0, to: "10.0.5.2" } },
        { ping: { from: h1, to: "10.0.5.1" } },
      ],
    };
  },
};
