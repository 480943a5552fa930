/**
 * A cut: one end of one of the lab's links set down, and later up again. It is the one way netkit
 * takes a link down, whoever asks:
 *
 * - a `failover` proof (the network must route around the cut; retried until it has reconverged);
 * - a `linkDown` proof (one ping right after the cut: a bond's other member takes over, an isolated
 *   host is cut off);
 * - `netkit link LAB NODE:IFACE down|up` (by hand, until the user brings it up again).
 *
 * All three resolve the end the same way ({@link cutOf}: a node's interface is cut inside the node,
 * a bridge port or a `root:` end inside the lab's sandbox or the host) and change it with the same journaled step
 * ({@link cutStep}), so `down` brings back whatever a crash left cut.
 *
 * @module
 */
import type { Step } from "../plan/step.ts";
import { linkDown, linkUp } from "../primitives/link.ts";
import { sandboxOf } from "./sandbox.ts";
import type { Lab } from "./types.ts";
import { inRootNamespace } from "../reach.ts";

/** Where a cut happens: an interface, and the namespace it lives in (none: the host's). */
export interface Cut {
  /** The end as written, `OWNER:IFNAME`. */
  end: string;
  /** The node or bridge the interface belongs to (`root` for an end in the root namespace). */
  owner: string;
  /** The interface set down. */
  ifname: string;
  /** The namespace it lives in: the node, or for a root-side end the lab's sandbox (if any). */
  ns: string | undefined;
  /** Whether the owner is one of the lab's bridges (a bridge port, e.g. a bond member). */
  onBridge: boolean;
}

/**
 * Resolves `end` (`OWNER:IFNAME`, validated already: OWNER is one of the lab's nodes or bridges,
 * or `root`) to the place a cut happens.
 */
export function cutOf(lab: Lab, end: string): Cut {
  const [owner = "", ifname = ""] = end.split(":");
  const onBridge = Object.hasOwn(lab.bridges, owner);
  const ns = inRootNamespace(lab, owner) ? sandboxOf(lab) : owner;
  return { end, owner, ifname, ns, onBridge };
}

/** The journaled step that sets the cut's interface `state` (its undo sets the other state). */
export function cutStep(cut: Cut, state: "down" | "up"): Step {
  const where = cut.ns ? { ns: cut.ns } : {};
  return state === "down" ? linkDown(cut.ifname, where) : linkUp(cut.ifname, where);
}
