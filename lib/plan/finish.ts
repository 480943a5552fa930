/**
 * What a lab session fills in for a step built without it. A primitive is pure: called without a
 * `lab` option its marks say `netkit`, and `ovsAddBridge` without `datapathType` leaves the
 * datapath to OVS. A script's lab (lib/session.ts) knows better: its name and this host's
 * datapath. So a primitive that left something to the session notes, beside the step it returns,
 * how to build it again with the session's values ({@link finishedBy}); the session builds those
 * steps again before it journals and runs them ({@link finishSteps}). Nothing is rewritten: the
 * steps run are ones the primitive built, and what a step built with every option given says is
 * exactly what runs everywhere (planLab gives every option, so a lab file's plan never changes).
 *
 * The note lives in a `WeakMap` beside the step, so steps stay plain data (JSON, snapshots,
 * equality); a copied step has no note and runs as built.
 *
 * @module
 */
import type { Step } from "./step.ts";

/** What a script's lab knows that a pure primitive does not. */
export interface FinishContext {
  /** The lab's name: every owner mark (OVS rows, firewall rule comments) carries it. */
  lab: string;
  /** The datapath this host's OVS bridges get: `system` with the kernel module, else `netdev`. */
  datapathType: "system" | "netdev";
}

/**
 * Builds a step again with the session's values, last; before it may come steps it needs (a DHCP
 * server on a userspace datapath: the checksum rule its clients need), each run once per lab.
 */
export type Finish = (context: FinishContext) => Step[];

const notes = new WeakMap<Step, Finish>();

/**
 * Notes how a session finishes `step` (nothing when `finish` is undefined) and returns `step`.
 * For primitives only:
 * `return finishedBy(step, options.lab === undefined ? (c) => [...] : undefined)`.
 */
export function finishedBy(step: Step, finish: Finish | undefined): Step {
  if (finish) notes.set(step, finish);
  return step;
}

/**
 * The steps a session runs for `steps`: each built again with `context` where it left a note. A
 * step a note needs before its own is left out when one with its key is already there: among the
 * keys `done` (what the lab already ran) or the steps before it.
 */
export function finishSteps(
  steps: readonly Step[],
  context: FinishContext,
  done: ReadonlySet<string> = new Set(),
): Step[] {
  const out: Step[] = [];
  const there = new Set(done);
  for (const step of steps) {
    const finished = notes.get(step)?.(context) ?? [step];
    const needed = finished.slice(0, -1).filter((s) => !there.has(s.key));
    for (const s of [...needed, ...finished.slice(-1)]) {
      out.push(s);
      there.add(s.key);
    }
  }
  return out;
}
