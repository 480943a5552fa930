/**
 * Does this kernel have the dummy driver (`CONFIG_DUMMY`)? Asked by trying, as lib/lab/qdisc.ts
 * asks for netem: `unshare --net ip link add probe0 type dummy` creates a dummy in a fresh,
 * anonymous network namespace that vanishes with the `unshare` process. Nothing is named on the
 * host, nothing is left behind, and no interface of the host or of a lab is touched; a driver
 * built as a module is loaded on demand, as `ip link add` would load it anyway. Reading
 * `/sys/module/dummy` cannot tell "built in" from "absent", and `modinfo` says nothing about
 * whether the module may be loaded.
 *
 * A lab with dummy interfaces (`dummy: true`) asks once, at the edge (the runtime's planFor),
 * before anything is built; without the driver the lab is refused ({@link DummyMissingError},
 * exit code 2), naming each dummy where the lab states it.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Runner } from "../exec/runner.ts";
import type { LabIssue } from "./issue.ts";
import type { Lab } from "./types.ts";

/** The probe's command line. */
export const DUMMY_PROBE_ARGV: readonly string[] = [
  "unshare",
  "--net",
  "--",
  "ip",
  "link",
  "add",
  "probe0",
  "type",
  "dummy",
];

/** Whether the kernel made a dummy in a throwaway namespace, and what was said when it did not. */
export async function hasDummy(runner: Runner): Promise<{ ok: boolean; detail: string }> {
  try {
    const r = await runner.run([...DUMMY_PROBE_ARGV], { allowFailure: true });
    if (r.code === 0) return { ok: true, detail: "ip made a dummy in a throwaway namespace" };
    const said = r.stderr.trim().split("\n")[0]?.replace(/^Error: /, "").replace(/\.$/, "");
    return { ok: false, detail: said ? `ip: ${said}` : `exit ${r.code}` };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

/** A lab's dummy interfaces need the kernel's dummy driver, which this kernel does not have. */
export class DummyMissingError extends UsageError {
  /**
   * @param issues One per dummy interface of the lab, at its `dummy` field.
   * @param detail What the probe said.
   */
  constructor(readonly issues: LabIssue[], detail: string) {
    super(
      `${issues.map((i) => i.path.join(".")).join(", ")}: ${DUMMY_MISSING} (${detail})`,
      { hint: DUMMY_HINT },
    );
    this.name = "DummyMissingError";
  }
}

/** What is wrong, said at each dummy interface. */
const DUMMY_MISSING =
  "a dummy interface needs the kernel's dummy driver (CONFIG_DUMMY), which this kernel does not have";

/** What to do about it. */
const DUMMY_HINT =
  "load it (modprobe dummy) or use a kernel that has it; or give the address to an interface a link brings";

/**
 * Throws {@link DummyMissingError} when the lab has dummy interfaces and the kernel cannot make
 * one; asks the kernel only when the lab has some.
 */
export async function requireDummy(lab: Lab, runner: Runner): Promise<void> {
  const issues: LabIssue[] = Object.entries(lab.nodes).flatMap(([node, n]) =>
    Object.entries(n.interfaces).filter(([, i]) => i.dummy).map(([ifname]) => ({
      path: ["nodes", node, "interfaces", ifname, "dummy"],
      message: DUMMY_MISSING,
    }))
  );
  if (issues.length === 0) return;
  const probe = await hasDummy(runner);
  if (!probe.ok) throw new DummyMissingError(issues, probe.detail);
}
