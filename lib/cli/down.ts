/**
 * `netkit down LAB` or `netkit down FILE`: with a lab file (a path ending in .yaml/.yml, or an
 * existing file), the lab's name is read from it; only the name needs to be valid, so a file
 * edited since the lab came up still removes it.
 *
 * @module
 */
import type { Host } from "../host.ts";
import { downLab } from "../lab/teardown.ts";
import { checkLabName, isLabFileArg } from "../names.ts";
import { multihostCommands } from "./multihost_gate.ts";
import { out, outJson } from "./output.ts";

/** Removes a lab. */
export async function downCommand(host: Host, arg: string, flags: { json?: true }): Promise<void> {
  // The YAML reader loads only for a file argument: most removals name a lab.
  const lab = (await isLabFileArg(arg))
    ? await (await import("../lab/file.ts")).readLabName(arg)
    : checkLabName(arg);
  const multihost = await multihostCommands(host, lab);
  if (await multihost?.downIfMultihost(host, lab, flags.json === true)) return;
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
