/**
 * Does this kernel have a queueing discipline (netem, tbf)? Asked by trying: `unshare --net tc
 * qdisc add dev lo root KIND ...` creates the qdisc on the loopback device of a fresh, anonymous
 * network namespace that vanishes with the `unshare` process. Nothing is named, nothing is left
 * behind, and no interface of the host or of a lab is touched; a qdisc built as a module is
 * loaded on demand, as `tc` would load it anyway. Reading `/sys/module` instead cannot tell
 * "built in" from "absent".
 *
 * The answer is read once at the edge (the runtime, when a lab asks for an impairment; `doctor`)
 * and handed to the plan (`PlanContext.netem`).
 *
 * @module
 */
import type { Runner } from "../exec/runner.ts";

/** The qdiscs netkit's impairments use, with a small valid configuration for the probe. */
const PROBE_ARGS: Record<"netem" | "tbf", string[]> = {
  netem: ["netem", "delay", "1ms"],
  tbf: ["tbf", "rate", "1mbit", "burst", "4096", "latency", "50ms"],
};

/** What {@link hasQdisc} found. */
export interface QdiscProbe {
  /** The kernel made the qdisc. */
  ok: boolean;
  /** What was run and what it said (tc's error when it failed). */
  detail: string;
}

/** The probe's command line. */
function qdiscProbeArgv(kind: "netem" | "tbf"): string[] {
  return ["unshare", "--net", "--", "tc", "qdisc", "add", "dev", "lo", "root", ...PROBE_ARGS[kind]];
}

/** Tries to create a `kind` qdisc in a throwaway anonymous namespace (see the module doc). */
export async function hasQdisc(
  kind: "netem" | "tbf",
  runner: Runner,
): Promise<QdiscProbe> {
  try {
    const r = await runner.run(qdiscProbeArgv(kind), { allowFailure: true });
    if (r.code === 0) {
      return { ok: true, detail: `tc made a ${kind} qdisc in a throwaway namespace` };
    }
    const said = r.stderr.trim().split("\n")[0]?.replace(/^Error: /, "").replace(/\.$/, "");
    return { ok: false, detail: said ? `tc: ${said}` : `exit ${r.code}` };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}
