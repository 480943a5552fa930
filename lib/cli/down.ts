/**
 * `netkit down LAB` or `netkit down FILE`: with a lab file (a path ending in .yaml/.yml, or an
 * existing file), the lab's name is read from it; only the name needs to be valid, so a file
 * edited since the lab came up still removes it.
 *
 * @module
 */
import type { Host } from "../host.ts";
import { isLabFileArg, readLabName } from "../lab/file.ts";
import { downLab } from "../lab/runtime.ts";
import { checkLabName } from "../names.ts";
import { out, outJson } from "./output.ts";

/** Removes a lab. */
export async function downCommand(host: Host, arg: string, flags: { json?: true }): Promise<void> {
  const lab = (await isLabFileArg(arg)) ? await readLabName(arg) : checkLabName(arg);
  if (await (await import("./multihost.ts")).downIfMultihost(host, lab, flags.json === true)) {
    return;
  }
  const r = await downLab(lab, { host });
  if (flags.json) return outJson({ lab, ...r });
  out(
    r.removed
      ? `Removed lab ${lab} (${r.undone} steps undone)${
        r.stoppedOvs ? "; stopped netkit's private OVS" : ""
      }.\n`
      : `Lab ${lab} is not up: nothing to remove.\n`,
  );
}
