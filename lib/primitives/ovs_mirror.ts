/**
 * OVS port mirrors: a copy of the traffic of some (or all) ports of a bridge, sent out of one
 * port, where a monitor namespace can capture it.
 *
 * @module
 */
import { checkIfname } from "../names.ts";
import { cmd, type Step } from "../plan/step.ts";
import { finishedBy } from "../plan/finish.ts";
import { UsageError } from "../errors.ts";
import { labUuid } from "../ovs/ids.ts";

/** Options for {@link ovsAddMirror}. */
export interface OvsAddMirrorOptions {
  /** `"all"`: every port of the bridge; or the ports whose traffic (both ways) is copied. */
  select: "all" | readonly string[];
  /** The port the copies leave by. OVS keeps it out of normal forwarding. */
  output: string;
  /**
   * The lab that owns the mirror: `external_ids:netkit-lab`, and part of its UUID.
   * @default the lab's name in a script's lab (`lab.add`), else "netkit"
   */
  lab?: string;
}

/**
 * `ovs-vsctl -- --id=@out get port OUTPUT [-- --id=@sN get port PORT]... -- --id=UUID create
 * mirror name=NAME (select-all=true | select-src-port=@s… select-dst-port=@s…)
 * output-port=@out external_ids:netkit-lab=LAB -- add bridge BRIDGE mirrors UUID`, with a UUID
 * derived from the lab, bridge and name (lib/ovs/ids.ts).
 * Undo: `ovs-vsctl --if-exists remove bridge BRIDGE mirrors UUID` (OVS then drops the row):
 * exactly this mirror, whatever other mirrors share its name.
 *
 * @throws {UsageError} When the output port is also selected, or no port is selected.
 * @example Copy everything on br0 to mon-p
 * ```ts
 * import { ovsAddMirror } from "../../mod.ts";
 * ovsAddMirror("br0", "m0", { select: "all", output: "mon-p", lab: "demo" });
 * ```
 */
export function ovsAddMirror(bridge: string, name: string, options: OvsAddMirrorOptions): Step {
  checkIfname(bridge);
  checkIfname(name, `mirror ${name}`);
  checkIfname(options.output);
  const lab = options.lab ?? "netkit";
  const selected = options.select === "all" ? [] : [...options.select];
  selected.forEach((p) => checkIfname(p));
  if (options.select !== "all" && selected.length === 0) {
    throw new UsageError(`Mirror "${name}" selects no port`, { hint: "use select: all" });
  }
  if (selected.includes(options.output)) {
    throw new UsageError(`Mirror "${name}": output port "${options.output}" is also selected`);
  }
  const uuid = labUuid(lab, "mirror", bridge, name);
  const gets = ["--", "--id=@out", "get", "port", options.output];
  selected.forEach((p, i) => gets.push("--", `--id=@s${i}`, "get", "port", p));
  const refs = selected.map((_, i) => `@s${i}`).join(",");
  const select = options.select === "all"
    ? ["select-all=true"]
    : [`select-src-port=${refs}`, `select-dst-port=${refs}`];
  const step: Step = {
    key: `ovs-mirror:${bridge}/${name}`,
    summary: `mirror ${
      options.select === "all" ? "every port" : selected.join(", ")
    } of ${bridge} to ${options.output} (${name})`,
    do: [
      cmd(
        "ovs-vsctl",
        ...gets,
        "--",
        `--id=${uuid}`,
        "create",
        "mirror",
        `name=${name}`,
        ...select,
        "output-port=@out",
        `external_ids:netkit-lab=${lab}`,
        "--",
        "add",
        "bridge",
        bridge,
        "mirrors",
        uuid,
      ),
    ],
    undo: [cmd("ovs-vsctl", "--if-exists", "remove", "bridge", bridge, "mirrors", uuid)],
  };
  return finishedBy(
    step,
    options.lab === undefined
      ? (c) => [ovsAddMirror(bridge, name, { ...options, lab: c.lab })]
      : undefined,
  );
}
