/**
 * The host side of a multi-host bring-up (`netkit part up`, run by the controller over SSH): the
 * host receives its part of the lab, brings it up with the ordinary upLab() (its own planner,
 * executor and journal, so `netkit down LAB` on this host alone removes it), and then holds it
 * *prepared* until the controller says whether every other host made it too.
 *
 * The conversation is JSON lines. Controller → host: the part (`{"part": LAB, "check": true}`),
 * then `commit` or `abort`. Host → controller: `progress` lines, then `prepared` (or `error`),
 * then `committed` (with the part's proofs, when asked, and its status: one SSH session per host
 * for the whole bring-up) or `rolledBack`.
 *
 * Two phases, so that one host's failure rolls back every host: a host commits only when the
 * controller says so, and anything else — `abort`, or end of input because the controller died
 * or the SSH connection (or sshd) went away — makes it remove its own part. A reader that has
 * gone away never stops the bring-up half-way: progress lines that cannot be written are
 * dropped, and the decision is read once the part is up.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Host } from "../host.ts";
import { checkLab, type CheckResult } from "../check/probes.ts";
import { readLabState, upLab, type UpOptions } from "../lab/runtime.ts";
import { downLab } from "../lab/teardown.ts";
import { type LabStatus, labStatus } from "../lab/status.ts";
import { labDir } from "../state.ts";
import { validateLab } from "../lab/validate.ts";
import { UPLINK_PROTOCOLS, type UplinkProtocol } from "../uplink_lan.ts";

/**
 * What the controller sends first: the host's part (a single-host lab with its VXLAN ends),
 * whether to run its proofs after the commit, and the host NICs the controller's command line
 * allowed as uplinks (`--uplink`) for bridges of this part, with what may run on their LANs
 * (`--uplink-allow`).
 */
export interface PartRequest {
  part: unknown;
  check?: boolean;
  uplinks?: string[];
  uplinkAllow?: string[];
}

/** One line from a host to the controller. */
export type PartMessage =
  | { progress: { index: number; total: number; summary: string } }
  | { prepared: { steps: number; already: boolean; ms: number } }
  | { committed: { checks: CheckResult[]; status: LabStatus | null } }
  | { rolledBack: { undone: number } }
  | { error: { message: string; usage: boolean } };

/** The two directions of the conversation. */
export interface PartIo {
  /** Lines from the controller (end: the controller or its connection went away). */
  lines: AsyncIterator<string>;
  /** Sends a line to the controller; must not throw when nobody reads any more. */
  send(message: PartMessage): Promise<void>;
}

/** Options for {@link servePart}. */
export interface ServePartOptions {
  /** Passed to upLab (tests: `failAt`). */
  up?: Pick<UpOptions, "failAt">;
}

/**
 * Serves one `part up` conversation on `host`. Returns the exit code: 0 committed, 1 failed or
 * rolled back, 2 the part was refused before anything changed.
 *
 * The part is validated like any lab, with the same reach rules (lib/reach.ts); its `tunnels`
 * are allowed because it comes from the controller over the operator's own SSH connection (the
 * controller made them from its `--hosts` inventory), never from a lab file.
 */
export async function servePart(
  host: Host,
  io: PartIo,
  options: ServePartOptions = {},
): Promise<number> {
  const first = await io.lines.next();
  if (first.done) {
    await io.send({ error: { message: "no part received", usage: true } });
    return 2;
  }
  let lab, check = false;
  try {
    const message = JSON.parse(first.value) as PartRequest;
    check = message.check === true;
    const uplinks = Array.isArray(message.uplinks)
      ? message.uplinks.filter((u): u is string => typeof u === "string")
      : [];
    const uplinkAllow = Array.isArray(message.uplinkAllow)
      ? message.uplinkAllow.filter((p): p is UplinkProtocol =>
        (UPLINK_PROTOCOLS as readonly unknown[]).includes(p)
      )
      : [];
    lab = validateLab(message.part, "part from the controller", {
      tunnels: true,
      uplinks,
      uplinkAllow,
    });
    if (lab.hosts !== undefined) throw new UsageError("A part is a single-host lab");
  } catch (error) {
    await io.send({ error: { message: messageOf(error), usage: true } });
    return 2;
  }
  const started = performance.now();
  let result;
  try {
    result = await upLab(lab, {
      ...options.up,
      host,
      onProgress: (index, total, step) => {
        void io.send({ progress: { index, total, summary: step.summary } });
      },
    });
  } catch (error) {
    await io.send({ error: { message: messageOf(error), usage: error instanceof UsageError } });
    return error instanceof UsageError ? 2 : 1;
  }
  await io.send({
    prepared: {
      steps: result.steps.length,
      already: result.already,
      ms: Math.round(performance.now() - started),
    },
  });
  const decision = await io.lines.next();
  if (!decision.done && decision.value.trim() === "commit") {
    const state = await readLabState(host, lab.name);
    const checks = check && state
      ? await checkLab(state.lab, {
        host,
        stateDir: labDir(host.stateRoot, lab.name),
        ovs: state.ovs,
      })
      : [];
    await io.send({ committed: { checks, status: state ? await labStatus(host, state) : null } });
    return 0;
  }
  // abort, or the controller is gone: remove what this call made (not a part that was up before).
  const undone = result.already ? 0 : (await downLab(lab.name, { host })).undone;
  await io.send({ rolledBack: { undone } });
  return 1;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
