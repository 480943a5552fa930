/**
 * `netkit up FILE`: bring up the lab a YAML lab file describes (see lib/lab/file.ts), prove it,
 * show it. Running it again on a lab that is up says so and changes nothing.
 *
 * @module
 */
import { loadLabFile } from "../lab/file.ts";
import { type LabUpFlags, runLabUp } from "./lab_up.ts";

/** Flags of `up`. */
export interface UpFlags {
  dryRun?: true;
  check?: boolean;
  json?: true;
}

/** Runs `up FILE`. */
export async function upCommand(file: string, flags: UpFlags): Promise<void> {
  const lab = await loadLabFile(file);
  const options: LabUpFlags = {
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.check === false ? { check: false } : {}),
    ...(flags.json ? { json: true } : {}),
  };
  await runLabUp(lab, options);
}
