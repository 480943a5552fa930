/**
 * Sandbox mode (`--sandbox`, `sandbox: true`): the whole lab lives inside one parent network
 * namespace P that netkit creates for it, so that nothing is created in the host's root
 * namespace. Lab namespaces stay named namespaces (`/run/netns`), and everything the plan would
 * put in the root namespace — bridges, root-side veth ends, OVS and its daemons — goes into P.
 *
 * It is a pure transformation of the plan ({@link sandboxPlan}):
 *
 * - `createNs(P)` comes first, so its undo (`ip netns delete P`) runs last;
 * - a root-namespace `ip ARGS` becomes `ip -n P ARGS`; `ip netns add|delete|exec` of the lab's own
 *   namespaces and `ip -n NODE ...` stay as they are, except that a link moved back "to the root"
 *   (`... netns 1`) goes back to P instead;
 * - any other root-namespace command gets `ip netns exec P`, except those that touch no network
 *   namespace (`ovs-vsctl` talks to a Unix socket, `pkill` to processes);
 * - a lab with OVS bridges gets its own ovsdb-server and ovs-vswitchd, started inside P with their
 *   files in the lab's state directory, and stopped by their undo (the same steps as netkit's
 *   private OVS: lib/ovs/daemons.ts). Two userspace ovs-vswitchd
 *   only clash over the `ovs-netdev` device when they share a network namespace, so this one
 *   never meets netkit's per-host private OVS or the system's.
 *
 * @module
 */
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { checkNsName, fnv1a32, NAME_MAX_BYTES } from "../names.ts";
import { type OvsTarget, ovsTarget } from "../ovs/target.ts";
import { type Action, isRun, type Step } from "../plan/step.ts";
import { ovsDaemonSteps } from "../ovs/daemons.ts";
import { createNs } from "../primitives/netns.ts";
import { HostConflictError, hostNamespaces } from "./preflight.ts";
import { hostNamesOf } from "../reach.ts";
import type { Lab } from "./schema.ts";

/** Commands that act on no network namespace: they run unchanged in a sandboxed plan. */
const NETNS_FREE = new Set(["ovs-vsctl", "ovs-appctl", "ovs-ofctl", "pkill"]);

/**
 * The parent namespace of sandboxed lab `lab`: `nk-<lab>`, or, when that is over 32 bytes,
 * `nk-<first 20 bytes of lab>-<8 hex digits of a hash of lab>` (distinct labs, distinct names).
 */
export function sandboxNsName(lab: string): string {
  const plain = `nk-${lab}`;
  if (new TextEncoder().encode(plain).length <= NAME_MAX_BYTES) return checkNsName(plain);
  return checkNsName(`nk-${lab.slice(0, 20)}-${fnv1a32(lab).toString(16).padStart(8, "0")}`);
}

/** The parent namespace of `lab` when it is sandboxed, else undefined. */
export function sandboxOf(lab: Lab): string | undefined {
  return lab.sandbox ? sandboxNsName(lab.name) : undefined;
}

/** The run directory of a sandboxed lab's own OVS. */
export function sandboxOvsDir(stateDir: string): string {
  return join(stateDir, "ovs");
}

/** A sandboxed lab's own OVS (whether or not it runs). */
export function sandboxOvsTarget(stateDir: string): OvsTarget {
  return ovsTarget("sandbox", sandboxOvsDir(stateDir));
}

/** Rewrites one action of the plan to run in the parent namespace `ns` (see the module doc). */
export function sandboxAction(action: Action, ns: string): Action {
  if (!isRun(action)) return action;
  const a = action.argv;
  if (a[0] === "ip") {
    if (a[1] === "-n") {
      return { argv: a.map((w, i) => (w === "1" && a[i - 1] === "netns" ? ns : w)) };
    }
    if (a[1] === "netns") return action;
    return { argv: ["ip", "-n", ns, ...a.slice(1)] };
  }
  if (NETNS_FREE.has(a[0] ?? "")) return action;
  return { argv: ["ip", "netns", "exec", ns, ...a] };
}

/**
 * The steps that start a sandboxed lab's own ovsdb-server and ovs-vswitchd inside `ns`, their
 * files in `dir`: the same steps as netkit's private OVS (lib/ovs/daemons.ts), run in `ns`.
 */
function sandboxOvsSteps(ns: string, dir: string, schema: string): Step[] {
  return ovsDaemonSteps(dir, { ns, schema });
}

/** Options for {@link sandboxPlan}. */
interface SandboxPlanOptions {
  /** The parent namespace (see {@link sandboxNsName}). */
  ns: string;
  /** When the lab uses OVS: where its own OVS keeps its files, and OVS's schema file. */
  ovs?: { dir: string; schema: string } | undefined;
}

/**
 * Turns a lab's plan into its sandboxed plan: the parent namespace first, the lab's own OVS next
 * (when `options.ovs`), then every step with its actions rewritten by {@link sandboxAction}.
 * A step that needs the host's root namespace itself (a real uplink) cannot be sandboxed.
 */
export function sandboxPlan(steps: readonly Step[], options: SandboxPlanOptions): Step[] {
  const { ns } = options;
  for (const step of steps) {
    if (step.key.startsWith("uplink:")) {
      throw new UsageError("A sandboxed lab cannot use the host's real uplink", {
        hint: "leave --sandbox out, or simulate the upstream (the default)",
      });
    }
    if (step.key === `netns:${ns}`) {
      throw new UsageError(`A node is named "${ns}", the name of the lab's sandbox namespace`, {
        hint: "rename the node",
      });
    }
  }
  const parent = createNs(ns);
  return [
    { ...parent, summary: `create the sandbox namespace ${ns}` },
    ...(options.ovs ? sandboxOvsSteps(ns, options.ovs.dir, options.ovs.schema) : []),
    ...steps.map((s) => ({
      ...s,
      do: s.do.map((a) => sandboxAction(a, ns)),
      undo: s.undo.map((a) => sandboxAction(a, ns)),
    })),
  ];
}

/**
 * Throws {@link UsageError} when a namespace a sandboxed lab would create (its nodes and its
 * parent namespace) already exists. Nothing else can clash: the rest lives inside the parent.
 */
export async function requireNoSandboxConflicts(lab: Lab, ns: string): Promise<void> {
  const existing = await hostNamespaces();
  const wanted = new Map([[ns, ["sandbox"]], ...hostNamesOf(lab).namespaces]);
  const conflicts = [...wanted].filter(([n]) => existing.has(n))
    .map(([n, path]) => ({ what: `namespace "${n}"`, path }));
  if (conflicts.length) throw new HostConflictError(lab.name, conflicts);
}
