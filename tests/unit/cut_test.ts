/**
 * A cut (lib/lab/cut.ts) is the one way netkit takes a link down: the `failover` and `linkDown`
 * proofs and `netkit link` resolve an end the same way and change it with the same step.
 */
import { assertEquals } from "../helpers/assert.ts";
import { cutOf, cutStep } from "../../lib/lab/cut.ts";
import { linkDown, linkUp } from "../../lib/primitives/link.ts";
import type { Lab } from "../../lib/lab/types.ts";

/** The parts of a lab a cut reads: its name, whether it is sandboxed, its bridges. */
const lab = (sandbox: boolean) =>
  ({
    name: "cutlab",
    sandbox,
    nodes: { a: {}, b: {} },
    bridges: { br0: { type: "ovs", ports: { pa: {}, pb: {} } } },
  }) as unknown as Lab;

Deno.test("a node's end is cut inside the node, with linkDown's step; up is linkUp's", () => {
  const cut = cutOf(lab(false), "a:eth0");
  assertEquals(cut, { end: "a:eth0", owner: "a", ifname: "eth0", ns: "a", onBridge: false });
  assertEquals(cutStep(cut, "down"), linkDown("eth0", { ns: "a" }));
  assertEquals(cutStep(cut, "up"), linkUp("eth0", { ns: "a" }));
});

Deno.test("a bridge port is cut where the bridge lives: the host, or the lab's sandbox", () => {
  const onHost = cutOf(lab(false), "br0:pa");
  assertEquals(onHost.onBridge, true);
  assertEquals(onHost.ns, undefined);
  assertEquals(cutStep(onHost, "down"), linkDown("pa"));
  const sandboxed = cutOf(lab(true), "br0:pa");
  assertEquals(sandboxed.ns, "nk-cutlab");
  assertEquals(cutStep(sandboxed, "down"), linkDown("pa", { ns: "nk-cutlab" }));
});

Deno.test("an owner named like an Object.prototype property is not taken for a bridge", () => {
  const cut = cutOf(lab(false), "constructor:eth0");
  assertEquals(cut.onBridge, false);
});
