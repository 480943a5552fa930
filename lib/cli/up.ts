/**
 * `netkit up FILE`: bring up the lab a YAML lab file describes (see lib/lab/file.ts), prove it,
 * show it. Running it again on a lab that is up says so and changes nothing.
 *
 * @module
 */
import type { Host } from "../host.ts";
import { labFromArg } from "./lab_arg.ts";
import { type LabUpFlags, runLabUp } from "./lab_up.ts";

/** Flags of `up`. */
export interface UpFlags {
  sandbox?: true;
  dryRun?: true;
  check?: boolean;
  json?: true;
}

/** Runs `up FILE`. */
export async function upCommand(host: Host, file: string, flags: UpFlags): Promise<void> {
  const lab = await labFromArg(file, flags, "file");
  const options: LabUpFlags = {
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.check === false ? { check: false } : {}),
    ...(flags.json ? { json: true } : {}),
  };
  await runLabUp(host, lab, options);
}
