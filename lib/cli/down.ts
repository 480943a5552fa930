/**
 * `netkit down LAB`.
 *
 * @module
 */
import { downLab } from "../lab/runtime.ts";
import { checkLabName } from "../names.ts";
import { out, outJson } from "./output.ts";

/** Removes a lab. */
export async function downCommand(lab: string, flags: { json?: true }): Promise<void> {
  checkLabName(lab);
  const r = await downLab(lab);
  if (flags.json) return outJson({ lab, ...r });
  out(
    r.removed
      ? `Removed lab ${lab} (${r.undone} steps undone)${
        r.stoppedOvs ? "; stopped netkit's private OVS" : ""
      }.\n`
      : `Lab ${lab} is not up: nothing to remove.\n`,
  );
}
