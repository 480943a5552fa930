/**
 * One-off changes to a lab that is up (`netkit impair`, `netkit link`): a few steps, run by the
 * executor under the lab's lock and journaled into the lab's own journal, so that `down` undoes
 * them with everything else (and a change that fails half-way is undone at once).
 *
 * @module
 */
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { type Host, requireRoot } from "../host.ts";
import { Executor } from "../plan/executor.ts";
import { Journal } from "../plan/journal.ts";
import type { Step } from "../plan/step.ts";
import { checkLabName } from "../names.ts";
import { labDir } from "../state.ts";
import { readLabState } from "./runtime.ts";
import { type LabState, withLock } from "./lab_state.ts";
import type { Lab } from "./schema.ts";
import { layoutOf } from "./validate.ts";
import { ROOT_OWNER } from "../reach.ts";

/** A lab that is up, and one interface of one of its nodes (or of a link end outside them). */
interface LabEnd {
  state: LabState;
  /** The node; with `linkEnds`, also a bridge or `root`. */
  node: string;
  ifname: string;
}

/**
 * Reads lab `lab` (it must be up) and checks `end` (`NODE:IFACE`) names an interface of one of
 * its nodes; with `linkEnds`, also the end of one of its links on a bridge or in the root
 * namespace (`BRIDGE:IFACE`, `root:IFACE`: what a cut may set down, lib/lab/cut.ts). Throws
 * {@link UsageError} (exit 2, nothing changed) saying what is wrong.
 */
export async function labEnd(
  host: Host,
  lab: string,
  end: string,
  options: { linkEnds?: boolean } = {},
): Promise<LabEnd> {
  checkLabName(lab);
  const state = await readLabState(host, lab);
  if (!state || state.status !== "up") {
    throw new UsageError(`Lab "${lab}" is not up`, { hint: "netkit status lists the labs" });
  }
  const m = /^([^:]+):([^:]+)$/.exec(end);
  if (!m) {
    throw new UsageError(`Invalid interface ${JSON.stringify(end)}: expected NODE:IFACE`, {
      hint: `e.g. ${Object.keys(state.lab.nodes)[0] ?? "node"}:eth0`,
    });
  }
  const [, node = "", ifname = ""] = m;
  if (options.linkEnds && !Object.hasOwn(state.lab.nodes, node)) {
    return { state, ...linkEndOf(state.lab, lab, node, ifname) };
  }
  const ifaces = nodeInterfaces(state.lab, node);
  if (ifaces === undefined) {
    throw new UsageError(`Lab "${lab}" has no node "${node}"`, {
      hint: `its nodes: ${Object.keys(state.lab.nodes).join(", ") || "none"}`,
    });
  }
  if (!ifaces.includes(ifname)) {
    throw new UsageError(`Node "${node}" of lab "${lab}" has no interface "${ifname}"`, {
      hint: `its interfaces: ${ifaces.join(", ") || "none"}`,
    });
  }
  return { state, node, ifname };
}

/** `OWNER:IFNAME`, OWNER a bridge or `root`, as an end of one of the lab's links. */
function linkEndOf(lab: Lab, name: string, owner: string, ifname: string) {
  const outsideNodes = (e: string) => {
    const o = e.slice(0, e.indexOf(":"));
    return o === ROOT_OWNER || Object.hasOwn(lab.bridges, o);
  };
  const candidates = lab.links.flatMap((l) => l.endpoints).filter(outsideNodes);
  if (!candidates.includes(`${owner}:${ifname}`)) {
    throw new UsageError(
      `Lab "${name}" has no node "${owner}" and no link end "${owner}:${ifname}"`,
      {
        hint: `its nodes: ${Object.keys(lab.nodes).join(", ") || "none"}` +
          (candidates.length ? `; its links' other ends: ${candidates.join(", ")}` : ""),
      },
    );
  }
  return { node: owner, ifname };
}

/** The interfaces the lab puts into `node`, or undefined when it has no such node. */
function nodeInterfaces(lab: Lab, node: string): string[] | undefined {
  if (!Object.hasOwn(lab.nodes, node)) return undefined;
  return [...(layoutOf(lab).nodeIfaces.get(node) ?? [])].sort();
}

/**
 * Applies `steps` to lab `lab` on `host`, which must be up: under the lab's lock, each undo journaled
 * before its step runs. On failure, the steps of this change that ran are undone and the error
 * (a `StepError`) is thrown.
 */
export async function changeLab(host: Host, lab: string, steps: readonly Step[]): Promise<void> {
  requireRoot(`Changing lab "${lab}"`);
  await withLock(host, lab, async () => {
    const state = await readLabState(host, lab);
    if (!state || state.status !== "up") {
      throw new UsageError(`Lab "${lab}" is not up`, { hint: "netkit status lists the labs" });
    }
    const executor = new Executor({
      runner: host.runner,
      journal: new Journal(join(labDir(host.stateRoot, lab), "journal.jsonl")),
    });
    await executor.apply(steps);
  });
}
