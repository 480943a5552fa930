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
import { listLabs, readLabState, upLab, type UpOptions } from "../lab/runtime.ts";
import { downLab } from "../lab/teardown.ts";
import { type LabStatus, labStatus } from "../lab/status.ts";
import { labDir } from "../state.ts";
import { validateLab } from "../lab/validate.ts";
import { VXLAN_PORT } from "../primitives/vxlan.ts";
import type { VniUse } from "./split.ts";
import type { UplinkProtocol } from "../uplink_lan.ts";

/**
 * What the controller sends first: the host's part (a single-host lab with its VXLAN ends) and
 * whether to run its proofs after the commit. What the part may reach beyond itself (its
 * tunnels, a NIC as uplink) is not in it: `netkit part up` takes that from its own command line
 * only ({@link ServePartOptions}).
 */
export interface PartRequest {
  part: unknown;
  check?: boolean;
}

/** One line from a host to the controller. */
export type PartMessage =
  | { progress: { index: number; total: number; summary: string } }
  | { prepared: { steps: number; already: boolean; ms: number } }
  | { committed: { checks: CheckResult[]; status: LabStatus | null } }
  | { rolledBack: { undone: number } }
  | { error: { message: string; usage: boolean } };

/** The two directions of the conversation. */
interface PartIo {
  /** Lines from the controller (end: the controller or its connection went away). */
  lines: AsyncIterator<string>;
  /** Sends a line to the controller; must not throw when nobody reads any more. */
  send(message: PartMessage): Promise<void>;
}

/** Options for {@link servePart}. */
export interface ServePartOptions {
  /**
   * The tunnels the part may create, as `tunnelName()` (lib/reach.ts) writes them: what
   * `netkit part up --tunnels` names. A tunnel of the part that is not named is refused.
   * @default [] (no tunnel)
   */
  tunnels?: readonly string[];
  /**
   * The host NICs a bridge of the part may take as its uplink: what `netkit part up --uplinks`
   * names. @default [] (none)
   */
  uplinks?: readonly string[];
  /**
   * What may run on those uplinks' LANs (lib/uplink_lan.ts): what `netkit part up
   * --uplink-allow` names. @default [] (nothing that speaks to the real network)
   */
  uplinkAllow?: readonly UplinkProtocol[];
  /** Passed to upLab (tests: `failAt`). */
  up?: Pick<UpOptions, "failAt">;
}

/**
 * Serves one `part up` conversation on `host`. Returns the exit code: 0 committed, 1 failed or
 * rolled back, 2 the part was refused before anything changed.
 *
 * The part is validated like any lab, with the same reach rules (lib/reach.ts). Its `tunnels`
 * (made by the controller from its `--hosts` inventory, never from a lab file) and a bridge's
 * `uplink` are allowed only when this command's own line names them (`options.tunnels`,
 * `options.uplinks`), like `--uplink` for any lab: the part on standard input is data, and a
 * part piped in by hand reaches no further than its command line says.
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
    lab = validateLab(message.part, "part from the controller", {
      tunnels: options.tunnels ?? [],
      uplinks: options.uplinks ?? [],
      uplinkAllow: options.uplinkAllow ?? [],
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

/**
 * The VXLAN VNIs in use on this host (`netkit part vnis`, read only): every VXLAN device in this
 * namespace (`ip -d -j link show type vxlan`) and every tunnel of a lab netkit keeps state for
 * here, whatever its status (a lab being built has its state before its devices). A device that
 * another program made inside another namespace is not listed: the kernel still refuses a
 * second device with its VNI, and the bring-up is then rolled back on every host.
 */
export async function vnisInUse(host: Host): Promise<VniUse[]> {
  const text = (await host.runner.run(["ip", "-d", "-j", "link", "show", "type", "vxlan"])).stdout;
  const links = JSON.parse(text.trim() || "[]") as {
    ifname: string;
    linkinfo?: { info_data?: { id?: number; port?: number } };
  }[];
  const out: VniUse[] = [];
  for (const link of links) {
    const data = link.linkinfo?.info_data;
    if (typeof data?.id === "number") {
      out.push({ vni: data.id, port: data.port ?? VXLAN_PORT, device: link.ifname });
    }
  }
  for (const state of await listLabs({ host })) {
    for (const t of state.lab.tunnels ?? []) {
      out.push({ vni: t.vni, port: t.port, lab: state.lab.name });
    }
  }
  return out;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
