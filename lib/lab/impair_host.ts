/**
 * What the plan of a lab with impairments and captures needs to know about the host, read once
 * at the edge (the runtime's planFor): whether the kernel has netem (only asked when an
 * impairment has loss, delay or jitter), and whether captures can run at all.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Runner } from "../exec/runner.ts";
import type { Host } from "../host.ts";
import { hasQdisc } from "./qdisc.ts";
import { type ImpairPresent, lossTable } from "../primitives/impair.ts";
import { inNs } from "../plan/step.ts";
import type { Lab } from "./schema.ts";

/** Every `[node, interface, config]` of the lab's nodes. */
function interfacesOf(lab: Lab) {
  return Object.entries(lab.nodes).flatMap(([node, n]) =>
    Object.entries(n.interfaces).map(([ifname, iface]) => [node, ifname, iface] as const)
  );
}

/**
 * `{ netem }` for the plan. Throws {@link UsageError} for a capture in rootless mode: tcpdump
 * drops root with `initgroups()`, which a user namespace of an unprivileged user forbids, and
 * its daemon would die at once, unseen.
 */
export async function hostContextForLab(lab: Lab, host: Host): Promise<{ netem: boolean }> {
  const ifaces = interfacesOf(lab);
  const captured = ifaces.find(([, , i]) => i.capture);
  if (captured && host.rootless) {
    throw new UsageError(
      `nodes.${captured[0]}.interfaces.${captured[1]}.capture: captures need tcpdump, which ` +
        "cannot run in rootless mode (it drops root with initgroups(), forbidden there)",
      { hint: "run the lab as root, or leave out capture" },
    );
  }
  const asksNetem = ifaces.some(([, , i]) =>
    i.impair !== undefined &&
    (i.impair.loss !== undefined || i.impair.delay !== undefined || i.impair.jitter !== undefined)
  );
  return { netem: asksNetem ? (await hasQdisc("netem", host.runner)).ok : false };
}

/**
 * What impairs interface `ifname` of namespace `ns` now: a root qdisc of its own (`tc -j qdisc
 * show`: handle other than `0:`, the default's), and netkit's nftables drop table.
 */
export async function impairPresent(
  ns: string,
  ifname: string,
  runner: Runner,
): Promise<ImpairPresent> {
  const tc = await runner.run(inNs(ns, ["tc", "-j", "qdisc", "show", "dev", ifname]), {
    allowFailure: true,
  });
  const qdiscs = tc.code === 0
    ? JSON.parse(tc.stdout || "[]") as { handle: string; root?: boolean }[]
    : [];
  const nft = await runner.run(inNs(ns, ["nft", "list", "table", "inet", lossTable(ifname)]), {
    allowFailure: true,
  });
  return {
    qdisc: qdiscs.some((q) => q.root && q.handle !== "0:"),
    lossTable: nft.code === 0,
  };
}
