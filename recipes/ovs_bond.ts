/**
 * Bonding: two OVS bridges joined by two veth links, bonded on each side
 * (`ovs-vsctl add-bond`, active-backup, no LACP). Either link may fail; traffic keeps flowing.
 *
 * ```
 *                                  bond0               bond1
 *   h1 [eth0 10.0.8.1/24]--[h1-p] bra [a1]====veth====[b1] brb [h2-p]--[eth0 10.0.8.2/24] h2
 *                                     [a2]====veth====[b2]
 * ```
 *
 * Both bonds prefer the same link (bond-primary a1 and b1): an active-backup bond drops what
 * arrives on its backup member, so the two sides must agree on the active link. Setting one end of
 * a link down takes its carrier away on both sides, and both bonds move to the other link at once.
 * Proofs: h1 and h2 reach each other; with a1 down, and then with a2 down, h1 still reaches h2
 * (each link is brought up again after its proof).
 *
 * @module
 */
import type { LabInput } from "../lib/lab/schema.ts";
import { prefixer, type Recipe } from "./recipe.ts";

/** The `ovs-bond` recipe. */
export const ovsBond: Recipe = {
  name: "ovs-bond",
  description: "OVS bridges bra and brb joined by two veth links bonded on each side " +
    "(active-backup); h1 reaches h2 with either link down",
  teaches: "an OVS bond (active-backup) that survives a link failure",
  build(options = {}): LabInput {
    const p = prefixer(options);
    const [bra, brb, h1, h2] = [p("bra"), p("brb"), p("h1"), p("h2")];
    const [a1, a2, b1, b2] = [p("a1"), p("a2"), p("b1"), p("b2")];
    const bond = (members: string[]) => ({
      bond: members,
      mode: "active-backup" as const,
      lacp: "off" as const,
      primary: members[0]!,
    });
    return {
      name: p("ovs-bond"),
      description: this.description,
      nodes: {
        [h1]: { interfaces: { eth0: { addresses: ["10.0.8.1/24"] } } },
        [h2]: { interfaces: { eth0: { addresses: ["10.0.8.2/24"] } } },
      },
      bridges: {
        [bra]: { type: "ovs", ports: { [p("bond0")]: bond([a1, a2]) } },
        [brb]: { type: "ovs", ports: { [p("bond1")]: bond([b1, b2]) } },
      },
      links: [
        { endpoints: [`${bra}:${a1}`, `${brb}:${b1}`] },
        { endpoints: [`${bra}:${a2}`, `${brb}:${b2}`] },
        { endpoints: [`${h1}:eth0`, `${bra}:${p("h1-p")}`] },
        { endpoints: [`${h2}:eth0`, `${brb}:${p("h2-p")}`] },
      ],
      expect: [
        { ping: { from: h1, to: "10.0.8.2" } },
        { ping: { from: h2, to: "10.0.8.1" } },
        { linkDown: `${bra}:${a1}`, ping: { from: h1, to: "10.0.8.2" } },
        { linkDown: `${bra}:${a2}`, ping: { from: h1, to: "10.0.8.2" } },
      ],
    };
  },
};
