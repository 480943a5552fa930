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
import type { DoctorRow } from "../doctor.ts";

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
export function qdiscProbeArgv(kind: "netem" | "tbf"): string[] {
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

/** `doctor`'s rows for the qdiscs impairments use (as root: the probe creates a namespace). */
export async function qdiscDoctorRows(runner: Runner): Promise<DoctorRow[]> {
  const [tbf, netem] = await Promise.all([hasQdisc("tbf", runner), hasQdisc("netem", runner)]);
  return [
    tbf.ok ? { check: "kernel: tbf (impair rate)", status: "ok", detail: tbf.detail } : {
      check: "kernel: tbf (impair rate)",
      status: "warn",
      detail: `${tbf.detail}: impairments with a rate will fail`,
      fix: "a kernel with CONFIG_NET_SCH_TBF (modprobe sch_tbf)",
    },
    netem.ok
      ? { check: "kernel: netem (impair delay, jitter, loss)", status: "ok", detail: netem.detail }
      : {
        check: "kernel: netem (impair delay, jitter, loss)",
        status: "warn",
        detail: `${netem.detail}: impair delay and jitter are refused; loss uses nftables`,
        fix: "a kernel with CONFIG_NET_SCH_NETEM (modprobe sch_netem)",
      },
  ];
}
