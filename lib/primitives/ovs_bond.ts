/**
 * OVS bonds: one port made of several interfaces (`ovs-vsctl add-bond`).
 *
 * @module
 */
import { checkIfname } from "../names.ts";
import { cmd, type Step } from "../plan/step.ts";
import { finishedBy } from "../plan/finish.ts";
import { UsageError } from "../errors.ts";

/** How a bond spreads traffic over its members. */
export type BondMode = "active-backup" | "balance-slb";
/** LACP on the bond (`off`: no negotiation). */
export type BondLacp = "off" | "active" | "passive";

/** Options for {@link ovsAddBond}. */
export interface OvsAddBondOptions {
  /**
   * `active-backup`: one member carries everything, another takes over when it fails.
   * `balance-slb`: traffic spread by source MAC (meant for a bond facing a switch that is not
   * bonded itself: between two OVS bonds it needs LACP). @default "active-backup"
   */
  mode?: BondMode | undefined;
  /** LACP negotiation. @default "off" */
  lacp?: BondLacp | undefined;
  /**
   * The member an active-backup bond prefers (`other_config:bond-primary`). Two bonds facing each
   * other should prefer the two ends of the same link. @default undefined (OVS chooses)
   */
  primary?: string | undefined;
  /**
   * The lab that owns the bond; recorded as `external_ids:netkit-lab`.
   * @default the lab's name in a script's lab (`lab.add`), else "netkit"
   */
  lab?: string;
}

/**
 * `ovs-vsctl add-bond BRIDGE BOND MEMBER... bond_mode=MODE lacp=LACP -- set port BOND
 * external_ids:netkit-lab=LAB [other_config:bond-primary=MEMBER]`: a bond of existing interfaces
 * (such as veth ends). Undo: `ovs-vsctl --if-exists del-port BRIDGE BOND`.
 *
 * @throws {UsageError} For fewer than two members, a member named twice, or a primary that is
 *   not a member.
 * @example
 * ```ts
 * import { ovsAddBond } from "../../mod.ts";
 * ovsAddBond("br0", "bond0", ["a1", "a2"], { mode: "active-backup", primary: "a1" });
 * ```
 */
export function ovsAddBond(
  bridge: string,
  bond: string,
  members: readonly string[],
  options: OvsAddBondOptions = {},
): Step {
  checkIfname(bridge);
  checkIfname(bond);
  members.forEach((m) => checkIfname(m));
  if (members.length < 2 || new Set(members).size !== members.length) {
    throw new UsageError(`Bond "${bond}" needs at least two different members`);
  }
  const { mode = "active-backup", lacp = "off", primary } = options;
  if (primary !== undefined && !members.includes(primary)) {
    throw new UsageError(`Bond "${bond}": primary "${primary}" is not one of its members`);
  }
  const set = ["set", "port", bond, `external_ids:netkit-lab=${options.lab ?? "netkit"}`];
  if (primary !== undefined) set.push(`other_config:bond-primary=${primary}`);
  const step: Step = {
    key: `ovs-port:${bridge}/${bond}`,
    summary: `bond ${
      members.join(" + ")
    } as ${bond} on OVS bridge ${bridge} (${mode}, lacp ${lacp})`,
    do: [
      cmd(
        "ovs-vsctl",
        "add-bond",
        bridge,
        bond,
        ...members,
        `bond_mode=${mode}`,
        `lacp=${lacp}`,
        "--",
        ...set,
      ),
    ],
    undo: [cmd("ovs-vsctl", "--if-exists", "del-port", bridge, bond)],
  };
  return finishedBy(
    step,
    options.lab === undefined
      ? (c) => [ovsAddBond(bridge, bond, members, { ...options, lab: c.lab })]
      : undefined,
  );
}
