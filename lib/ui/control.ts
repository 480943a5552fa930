/**
 * What `netkit ui --control` lets the page change, each the way the command line does it, so the
 * page opens no side door:
 *
 * - flap a link: a cut (lib/lab/cut.ts) of the link's first end, run by `changeLab` under the
 *   lab's lock and journaled, exactly `netkit link LAB END down|up`;
 * - impair an interface of a node: the steps of `netkit impair` (lib/primitives/impair.ts), the
 *   settings checked by the same parsers;
 * - capture on an interface of a node: `tcpdump -U -w -` in its namespace, the pcap streamed to
 *   the page, bounded in packets and seconds.
 *
 * Every lab, link and interface has been looked up among the lab's own before it gets here
 * (lib/ui/server.ts); a real NIC (an uplink) and a far host are never touched.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Host } from "../host.ts";
import type { Process } from "../exec/runner.ts";
import { changeLab } from "../lab/change.ts";
import { cutOf, cutStep } from "../lab/cut.ts";
import { checkImpairChange, type ImpairChange, impairPlan } from "../lab/impair_change.ts";
import type { LabState } from "../lab/lab_state.ts";
import type { GraphEnd, GraphLink } from "../lab/graph_model.ts";
import { inNs } from "../plan/step.ts";

/** The end of `link` that a flap cuts: its first end, a node's or a bridge's (never a NIC's). */
function flapEnd(state: LabState, link: GraphLink): GraphEnd {
  const lab = state.lab;
  const own = (e: GraphEnd) =>
    Object.hasOwn(lab.nodes, e.owner) || Object.hasOwn(lab.bridges, e.owner);
  if (link.kind === "uplink" || !own(link.a) || link.a.ifname === "") {
    throw new UsageError(`Link ${link.id} cannot be flapped from here`, {
      hint: "only links between the lab's own nodes and bridges",
    });
  }
  return link.a;
}

/** Sets link `link` of lab `state` down or up (`netkit link`). */
export async function flapLink(
  host: Host,
  state: LabState,
  link: GraphLink,
  want: "down" | "up",
): Promise<string> {
  const end = flapEnd(state, link);
  const key = `${end.owner}:${end.ifname}`;
  await changeLab(host, state.lab.name, [cutStep(cutOf(state.lab, key), want)]);
  return `${key} in lab ${state.lab.name} is ${want}`;
}

/** The interface of a node that `link` reaches (its first end), for impair and capture. */
export function nodeEnd(state: LabState, link: GraphLink): GraphEnd {
  const e = link.a;
  if (!Object.hasOwn(state.lab.nodes, e.owner) || e.ifname === "") {
    throw new UsageError(`Link ${link.id} has no end in a namespace of the lab`);
  }
  return e;
}

/** Checks what the page sent: the same parsers, limits and messages as `netkit impair`'s. */
export function impairSettings(body: unknown): ImpairChange {
  const b = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  const pick = (k: string) => {
    const v = b[k];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string" || v.length > 32) throw new UsageError(`Invalid ${k}`);
    return v;
  };
  return checkImpairChange({
    rate: pick("rate"),
    loss: pick("loss"),
    delay: pick("delay"),
    jitter: pick("jitter"),
    clear: b.clear === true,
  }, (field: string) => field);
}

/** Impairs (or clears) interface `end` of lab `state`, as `netkit impair` does. */
export async function impairEnd(
  host: Host,
  state: LabState,
  end: GraphEnd,
  change: ImpairChange,
): Promise<string> {
  const { owner: node, ifname } = end;
  const lab = state.lab.name;
  const { steps, what } = await impairPlan(
    host,
    lab,
    node,
    ifname,
    change,
    (field: string) => field,
  );
  if (steps.length) await changeLab(host, lab, steps);
  return change.clear ? `cleared ${node}:${ifname}` : `${node}:${ifname}: ${what}`;
}

/** The most packets, and seconds, one capture from the page may take. */
const CAPTURE_LIMITS = { packets: 100_000, seconds: 300 } as const;

/** What the page may ask of a capture. */
interface CaptureRequest {
  /** Stop after this many packets. */
  count: number;
  /** Stop after this many seconds. */
  seconds: number;
}

/** Checks a capture request against {@link CAPTURE_LIMITS}. */
export function captureRequest(body: unknown): CaptureRequest {
  const b = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  const num = (k: string, dflt: number, max: number) => {
    const v = b[k] ?? dflt;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
      throw new UsageError(`Invalid ${k}: a whole number from 1 to ${max}`);
    }
    return v;
  };
  return {
    count: num("count", 1000, CAPTURE_LIMITS.packets),
    seconds: num("seconds", 30, CAPTURE_LIMITS.seconds),
  };
}

/** Starts tcpdump on `end` (a node's interface), pcap on its standard output. */
export function startCapture(host: Host, end: GraphEnd, request: CaptureRequest): Process {
  const argv = inNs(end.owner, [
    "tcpdump",
    "-i",
    end.ifname,
    "-U",
    "--immediate-mode",
    "-w",
    "-",
    "-c",
    String(request.count),
  ]);
  return host.runner.spawn(argv, { stdout: "piped", stderr: "null" });
}
