/**
 * OpenFlow flows on an OVS bridge, through the bridge's own management socket
 * (`unix:<OVS run dir>/<bridge>.mgmt`): the same for netkit's private OVS, a sandboxed lab's own
 * and the system's, since each keeps its sockets in its run directory. Every flow carries the
 * lab's cookie (lib/ovs/ids.ts), so its undo deletes that flow and no other.
 *
 * @module
 */
import { checkIfname } from "../names.ts";
import { cmd, type Step } from "../plan/step.ts";
import { finishedBy } from "../plan/finish.ts";
import { flowCookie } from "../ovs/ids.ts";
import { ovsMgmtSocket } from "../ovs/target.ts";
import { parseFlow } from "../ovs/flow_syntax.ts";
import { UsageError } from "../errors.ts";

/** Options for {@link ovsAddFlow}. */
export interface OvsAddFlowOptions {
  /** The run directory of the OVS the bridge lives in (where `<bridge>.mgmt` is). */
  ovsRunDir: string;
  /**
   * The lab that owns the flow: the upper half of its cookie.
   * @default the lab's name in a script's lab (`lab.add`), else "netkit"
   */
  lab?: string;
  /** The flow's position among the bridge's flows (0-based): the lower half of its cookie. @default 0 */
  index?: number;
  /**
   * The bridge's ports the flow may name. @default undefined (any interface name; numbers and
   * reserved ports are refused all the same)
   */
  ports?: ReadonlySet<string>;
}

/**
 * `ovs-ofctl add-flow unix:RUN/BRIDGE.mgmt cookie=COOKIE,FLOW`: adds one OpenFlow flow, written
 * in netkit's checked subset (see lib/ovs/flow_syntax.ts), marked with the lab's cookie.
 * Undo: `ovs-ofctl del-flows unix:RUN/BRIDGE.mgmt cookie=COOKIE/-1`, which deletes exactly that
 * flow (never the bridge's others).
 *
 * @throws {UsageError} When the flow is outside netkit's subset (the message says why).
 * @example Drop ICMP from 10.0.0.1 on br1 of netkit's private OVS
 * ```ts
 * import { ovsAddFlow } from "../../mod.ts";
 * ovsAddFlow("br1", "priority=100,icmp,nw_src=10.0.0.1,actions=drop", {
 *   ovsRunDir: "/run/netkit/ovs",
 *   lab: "demo",
 * });
 * ```
 */
export function ovsAddFlow(bridge: string, flow: string, options: OvsAddFlowOptions): Step {
  checkIfname(bridge);
  if (typeof options.ovsRunDir !== "string" || !options.ovsRunDir.startsWith("/")) {
    throw new UsageError("An OpenFlow flow needs the OVS run directory (an absolute path)", {
      hint: "the run directory of the OVS the lab uses, e.g. /run/netkit/ovs",
    });
  }
  parseFlow(flow, { bridge, ports: options.ports });
  const lab = options.lab ?? "netkit";
  const cookie = flowCookie(lab, options.index ?? 0);
  const socket = ovsMgmtSocket(options.ovsRunDir, bridge);
  const step: Step = {
    key: `ovs-flow:${bridge}/${cookie}`,
    summary: `add OpenFlow flow ${cookie} to ${bridge}: ${flow}`,
    do: [cmd("ovs-ofctl", "add-flow", socket, `cookie=${cookie},${flow}`)],
    undo: [cmd("ovs-ofctl", "del-flows", socket, `cookie=${cookie}/-1`)],
  };
  return finishedBy(
    step,
    options.lab === undefined
      ? (c) => [ovsAddFlow(bridge, flow, { ...options, lab: c.lab })]
      : undefined,
  );
}
