/**
 * Open vSwitch changes (ovs-vsctl), each marked with `external_ids:netkit-lab=<lab>` so that what
 * netkit made can be told from what it did not. When netkit runs its private OVS, the executor adds
 * `--db=unix:<run dir>/db.sock` to every `ovs-vsctl` call.
 *
 * @module
 */
import { checkIfname } from "../names.ts";
import { cmd, type Step } from "../plan/step.ts";
import { UsageError } from "../errors.ts";
import { finishedBy } from "../plan/finish.ts";

/** Options shared by the OVS primitives. */
export interface OvsMarkOptions {
  /**
   * The lab that owns the object; recorded as `external_ids:netkit-lab`.
   * @default the lab's name when added to a script's lab (`lab.add`), else "netkit"
   */
  lab?: string;
}

/** Options for {@link ovsAddBridge}. */
export interface OvsAddBridgeOptions extends OvsMarkOptions {
  /**
   * The datapath: `netdev` (userspace, works without the openvswitch kernel module) or `system`
   * (the kernel module).
   * @default the one this host supports when added to a script's lab (`lab.add`): `system`
   * with the openvswitch kernel module loaded, else `netdev`; outside a lab, OVS's own (`system`)
   */
  datapathType?: "netdev" | "system" | undefined;
}

/** Options for {@link ovsAddPort} and {@link ovsAddInternalPort}. */
export interface OvsAddPortOptions extends OvsMarkOptions {
  /** VLAN tag for an access port (1 to 4094). @default undefined (untagged) */
  tag?: number | undefined;
}

/** {@link OvsAddPortOptions} with the bridge named: `ovsAddPort("veth-a", { bridge: "br1" })`. */
export interface OvsPortOnBridgeOptions extends OvsAddPortOptions {
  /** The OVS bridge the port joins. */
  bridge: string;
}

/** The (port, bridge, options) of either calling form of {@link ovsAddPort}. */
function portArgs(
  first: string,
  second: string | OvsPortOnBridgeOptions,
  options: OvsAddPortOptions,
): [string, string, OvsAddPortOptions] {
  if (typeof second === "string") return [second, first, options]; // (bridge, port, options)
  const { bridge, ...rest } = second;
  return [first, bridge, rest];
}

function checkTag(tag: number | undefined): void {
  if (tag !== undefined && (!Number.isInteger(tag) || tag < 1 || tag > 4094)) {
    throw new UsageError(`Invalid VLAN tag ${tag}: use a whole number from 1 to 4094`);
  }
}

const mark = (lab = "netkit") => `external_ids:netkit-lab=${lab}`;

/**
 * `ovs-vsctl add-br NAME -- set bridge NAME [datapath_type=netdev] external_ids:netkit-lab=LAB`.
 * Undo: removes the bridge only if it still carries that mark (see `OvsRemoveAction`:
 * `ovs-vsctl find Bridge name=NAME external_ids:netkit-lab=LAB`, then `ovs-vsctl remove
 * Open_vSwitch . bridges UUID`).
 *
 * @example
 * ```ts
 * import { ovsAddBridge } from "../../mod.ts";
 * ovsAddBridge("br1", { datapathType: "netdev" });
 * ```
 */
export function ovsAddBridge(name: string, options: OvsAddBridgeOptions = {}): Step {
  checkIfname(name);
  const set = ["set", "bridge", name, mark(options.lab)];
  if (options.datapathType) set.push(`datapath_type=${options.datapathType}`);
  const step: Step = {
    key: `ovs-bridge:${name}`,
    summary: `create OVS bridge ${name}`,
    do: [cmd("ovs-vsctl", "add-br", name, "--", ...set)],
    undo: [{ ovsRemove: "bridge", name, lab: options.lab ?? "netkit" }],
  };
  return finishedBy(
    step,
    options.lab === undefined || options.datapathType === undefined
      ? (
        c,
      ) => [
        ovsAddBridge(name, {
          ...options,
          lab: options.lab ?? c.lab,
          datapathType: options.datapathType ?? c.datapathType,
        }),
      ]
      : undefined,
  );
}

/**
 * `ovs-vsctl del-br NAME`. No undo.
 *
 * @example
 * ```ts
 * import { ovsDelBridge } from "../../mod.ts";
 * ovsDelBridge("br1");
 * ```
 */
export function ovsDelBridge(name: string): Step {
  checkIfname(name);
  return {
    key: `ovs-bridge-delete:${name}`,
    summary: `delete OVS bridge ${name}`,
    do: [cmd("ovs-vsctl", "del-br", name)],
    undo: [],
  };
}

function addPort(
  bridge: string,
  port: string,
  options: OvsAddPortOptions,
  internal: boolean,
): Step {
  checkIfname(bridge);
  checkIfname(port);
  checkTag(options.tag);
  const argv = ["ovs-vsctl", "add-port", bridge, port];
  if (options.tag !== undefined) argv.push(`tag=${options.tag}`);
  argv.push("--", "set", "port", port, mark(options.lab));
  if (internal) argv.push("--", "set", "interface", port, "type=internal");
  const step: Step = {
    key: `ovs-port:${bridge}/${port}`,
    summary: `add ${internal ? "internal " : ""}port ${port} to OVS bridge ${bridge}` +
      (options.tag === undefined ? "" : ` (tag ${options.tag})`),
    do: [cmd(...argv)],
    undo: [{ ovsRemove: "port", name: port, bridge, lab: options.lab ?? "netkit" }],
  };
  return finishedBy(
    step,
    options.lab === undefined
      ? (c) => [addPort(bridge, port, { ...options, lab: c.lab }, internal)]
      : undefined,
  );
}

/**
 * `ovs-vsctl add-port BRIDGE PORT [tag=N] -- set port PORT external_ids:netkit-lab=LAB`: attaches
 * an existing interface (such as a veth end). Undo: removes the port from BRIDGE only if it still
 * carries the mark (see `OvsRemoveAction`).
 *
 * @param port The interface that becomes the port.
 * @param options The bridge it joins, and the port's VLAN tag.
 * @example veth-ns1 joins br1 as an access port of VLAN 10
 * ```ts
 * import { ovsAddPort } from "../../mod.ts";
 * ovsAddPort("veth-ns1", { bridge: "br1", tag: 10 });
 * ```
 */
export function ovsAddPort(port: string, options: OvsPortOnBridgeOptions): Step;
/**
 * @deprecated Name the bridge: `ovsAddPort(port, { bridge })`. Two names in a row are easy to
 * swap (`bridgeAttach` takes the port first), and types cannot tell them apart.
 */
export function ovsAddPort(bridge: string, port: string, options?: OvsAddPortOptions): Step;
export function ovsAddPort(
  first: string,
  second: string | OvsPortOnBridgeOptions,
  options: OvsAddPortOptions = {},
): Step {
  const [port, bridge, rest] = portArgs(first, second, options);
  return addPort(bridge, port, rest, false);
}

/**
 * `ovs-vsctl add-port BRIDGE PORT -- set interface PORT type=internal`: a port whose interface OVS
 * creates (a tap device with the userspace datapath), ready to be moved into a namespace.
 * Undo: removes the port only if it still carries the mark (see `OvsRemoveAction`).
 *
 * @param port The port (and the interface OVS creates for it).
 * @param options The bridge it joins, and the port's VLAN tag.
 * @example
 * ```ts
 * import { ovsAddInternalPort } from "../../mod.ts";
 * ovsAddInternalPort("tap1", { bridge: "br1" });
 * ```
 */
export function ovsAddInternalPort(port: string, options: OvsPortOnBridgeOptions): Step;
/** @deprecated Name the bridge: `ovsAddInternalPort(port, { bridge })`. */
export function ovsAddInternalPort(bridge: string, port: string, options?: OvsAddPortOptions): Step;
export function ovsAddInternalPort(
  first: string,
  second: string | OvsPortOnBridgeOptions,
  options: OvsAddPortOptions = {},
): Step {
  const [port, bridge, rest] = portArgs(first, second, options);
  return addPort(bridge, port, rest, true);
}

/**
 * `ovs-vsctl del-port BRIDGE PORT`. No undo.
 *
 * @example
 * ```ts
 * import { ovsDelPort } from "../../mod.ts";
 * ovsDelPort("br1", "tap1");
 * ```
 */
export function ovsDelPort(bridge: string, port: string): Step {
  checkIfname(bridge);
  checkIfname(port);
  return {
    key: `ovs-port-delete:${bridge}/${port}`,
    summary: `delete port ${port} from OVS bridge ${bridge}`,
    do: [cmd("ovs-vsctl", "del-port", bridge, port)],
    undo: [],
  };
}

/**
 * `ovs-vsctl set port PORT tag=N`: makes PORT an access port of VLAN N.
 * Undo: `ovs-vsctl remove port PORT tag N`.
 *
 * @example
 * ```ts
 * import { ovsSetTag } from "../../mod.ts";
 * ovsSetTag("vif1", 10);
 * ```
 */
export function ovsSetTag(port: string, tag: number): Step {
  checkIfname(port);
  checkTag(tag);
  return {
    key: `ovs-tag:${port}`,
    summary: `tag port ${port} with VLAN ${tag}`,
    do: [cmd("ovs-vsctl", "set", "port", port, `tag=${tag}`)],
    undo: [cmd("ovs-vsctl", "remove", "port", port, "tag", String(tag))],
  };
}

/**
 * `ovs-vsctl remove port PORT tag N`: makes PORT untagged again. Undo sets the tag back.
 *
 * @example
 * ```ts
 * import { ovsRemoveTag } from "../../mod.ts";
 * ovsRemoveTag("vif1", 10);
 * ```
 */
export function ovsRemoveTag(port: string, tag: number): Step {
  const set = ovsSetTag(port, tag);
  return {
    key: `ovs-untag:${port}`,
    summary: `remove VLAN ${tag} from port ${port}`,
    do: set.undo,
    undo: set.do,
  };
}
