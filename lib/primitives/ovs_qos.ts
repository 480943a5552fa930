/**
 * QoS on an OVS port: `linux-htb` with a `max-rate`, which OVS applies as a Linux `htb` qdisc on
 * the port's device and which therefore limits what the bridge sends out of that port.
 *
 * Why only this type. With the userspace datapath (`netdev`, what netkit uses without the
 * openvswitch kernel module) OVS sends a frame out of a veth port through a packet socket, which
 * passes the device's qdisc: `linux-htb` shapes it (measured here: 9.3 Mbit/s for a 10 Mbit/s
 * rate). The other types are refused with their reason ({@link qosRefusal}):
 * `egress-policer`/`trtcm-policer` exist only for DPDK ports; the other `linux-*` types need their
 * qdisc in the kernel and OVS only logs a warning when it is missing (this machine has no hfsc or
 * netem); an internal port's tap is written to directly (no qdisc) and lives in a lab namespace
 * OVS cannot reach; and ingress policing (`ingress_policing_rate`) needs the kernel's `cls_basic`
 * and police action, which OVS also only warns about when missing.
 *
 * @module
 */
import { checkIfname } from "../names.ts";
import { cmd, type Step } from "../plan/step.ts";
import { finishedBy } from "../plan/finish.ts";
import { UsageError } from "../errors.ts";
import { labUuid } from "../ovs/ids.ts";

/** A QoS type netkit applies. */
export type QosType = "linux-htb";
/** The QoS types netkit applies. */
const QOS_TYPES: readonly QosType[] = ["linux-htb"];

/**
 * Why netkit refuses QoS `type` on a port, or undefined when it applies it. One line, for
 * validation messages.
 */
export function qosRefusal(type: string, options: { internal?: boolean } = {}): string | undefined {
  if (options.internal && type === "linux-htb") {
    return "an internal port's tap is written to directly (no qdisc) and lives in its node's " +
      "namespace, out of OVS's reach: put the QoS on a veth port";
  }
  if ((QOS_TYPES as readonly string[]).includes(type)) return undefined;
  if (type === "egress-policer" || type === "trtcm-policer") {
    return `QoS type "${type}" exists only for DPDK ports (netdev-dpdk); a lab's ports are ` +
      "Linux devices: use type linux-htb";
  }
  if (/^linux-(hfsc|sfq|codel|fq_codel|netem|noop)$/.test(type)) {
    return `QoS type "${type}" needs its qdisc in the kernel, and OVS fails silently without it ` +
      "(this datapath's proven type is linux-htb): use type linux-htb";
  }
  return `unknown QoS type ${JSON.stringify(type)} (netkit applies: ${QOS_TYPES.join(", ")})`;
}

/** Options for {@link ovsSetQos}. */
export interface OvsSetQosOptions {
  /** The QoS type. @default "linux-htb" */
  type?: QosType;
  /** The most the bridge sends out of the port, in bits per second (`other-config:max-rate`). */
  maxRate: number;
  /**
   * The lab that owns the QoS row: `external_ids:netkit-lab`, and part of its UUID.
   * @default the lab's name in a script's lab (`lab.add`), else "netkit"
   */
  lab?: string;
}

/**
 * `ovs-vsctl -- --id=UUID create qos type=linux-htb other-config:max-rate=BPS
 * external_ids:netkit-lab=LAB -- set port PORT qos=UUID`, the UUID derived from the lab and port.
 * Undo: `ovs-vsctl -- --if-exists clear port PORT qos -- --if-exists destroy qos UUID` (a QoS row
 * outlives its port unless destroyed).
 *
 * @throws {UsageError} For a type netkit does not apply (see {@link qosRefusal}) or a rate that
 *   is not a whole number of bits per second from 8000 to 100 Gbit/s.
 * @example Limit what br0 sends to h2 to 10 Mbit/s
 * ```ts
 * import { ovsSetQos } from "../../mod.ts";
 * ovsSetQos("h2-p", { maxRate: 10_000_000, lab: "demo" });
 * ```
 */
export function ovsSetQos(port: string, options: OvsSetQosOptions): Step {
  checkIfname(port);
  const type = options.type ?? "linux-htb";
  const refusal = qosRefusal(type);
  if (refusal) throw new UsageError(`Cannot set QoS on port "${port}": ${refusal}`);
  const rate = options.maxRate;
  if (!Number.isInteger(rate) || rate < 8000 || rate > 100_000_000_000) {
    throw new UsageError(
      `Invalid max-rate ${rate} for port "${port}": a whole number of bits per second, ` +
        "8000 to 100000000000",
    );
  }
  const lab = options.lab ?? "netkit";
  const uuid = labUuid(lab, "qos", port);
  const step: Step = {
    key: `ovs-qos:${port}`,
    summary: `shape what OVS sends out of ${port} to ${rate} bit/s (${type})`,
    do: [
      cmd(
        "ovs-vsctl",
        "--",
        `--id=${uuid}`,
        "create",
        "qos",
        `type=${type}`,
        `other-config:max-rate=${rate}`,
        `external_ids:netkit-lab=${lab}`,
        "--",
        "set",
        "port",
        port,
        `qos=${uuid}`,
      ),
    ],
    undo: [
      cmd(
        "ovs-vsctl",
        "--",
        "--if-exists",
        "clear",
        "port",
        port,
        "qos",
        "--",
        "--if-exists",
        "destroy",
        "qos",
        uuid,
      ),
    ],
  };
  return finishedBy(
    step,
    options.lab === undefined ? (c) => [ovsSetQos(port, { ...options, lab: c.lab })] : undefined,
  );
}
