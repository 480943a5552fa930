/**
 * The plan's Open vSwitch features beyond ports and tags: bonds, QoS, mirrors and OpenFlow flows,
 * in that order, after every port exists (a mirror or a flow may name any port; a flow may name a
 * bond's members). Teardown runs in reverse: the lab's flows go first, then mirrors, QoS and
 * bonds, then ports and bridges.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Step } from "../plan/step.ts";
import { ovsAddBond } from "../primitives/ovs_bond.ts";
import { ovsAddFlow } from "../primitives/ovs_flows.ts";
import { ovsAddMirror } from "../primitives/ovs_mirror.ts";
import { ovsSetQos } from "../primitives/ovs_qos.ts";
import type { Lab } from "./schema.ts";
import { bondMembers, bridgeInterfaces } from "./validate_ovs.ts";

/** True when `ifname` is a member of one of the bonds of bridge `bridge` (no port of its own). */
export function isBondMember(lab: Lab, bridge: string, ifname: string): boolean {
  const b = lab.bridges[bridge];
  return b !== undefined && bondMembers(b).has(ifname);
}

/**
 * The steps for the lab's bonds, QoS, mirrors and flows. `ovsRunDir` is where the OVS the lab
 * uses keeps its bridges' management sockets (needed only when the lab has flows).
 */
export function planOvsFeatures(lab: Lab, ovsRunDir: string | undefined): Step[] {
  const steps: Step[] = [];
  const owner = { lab: lab.name };
  const ovsBridges = Object.entries(lab.bridges).filter(([, b]) => b.type === "ovs");
  for (const [name, bridge] of ovsBridges) {
    for (const [port, p] of Object.entries(bridge.ports)) {
      if (p.bond === undefined) continue;
      steps.push(ovsAddBond(name, port, p.bond, {
        ...owner,
        mode: p.mode,
        lacp: p.lacp,
        primary: p.primary,
      }));
    }
  }
  for (const [, bridge] of ovsBridges) {
    for (const [port, p] of Object.entries(bridge.ports)) {
      if (p.qos !== undefined) {
        steps.push(ovsSetQos(port, { ...owner, type: "linux-htb", maxRate: p.qos.maxRate }));
      }
    }
  }
  for (const [name, bridge] of ovsBridges) {
    for (const [mirror, m] of Object.entries(bridge.mirrors ?? {})) {
      steps.push(ovsAddMirror(name, mirror, { ...owner, select: m.select, output: m.output }));
    }
  }
  for (const [name, bridge] of ovsBridges) {
    const flows = bridge.flows ?? [];
    if (flows.length === 0) continue;
    if (ovsRunDir === undefined) {
      throw new UsageError(`The plan needs the OVS run directory for the flows of "${name}"`, {
        hint: "plan with the runtime's planForHost(), which knows the OVS the lab uses",
      });
    }
    const ports = bridgeInterfaces(lab, name);
    flows.forEach((flow, index) =>
      steps.push(ovsAddFlow(name, flow, { ...owner, ovsRunDir, index, ports }))
    );
  }
  return steps;
}
