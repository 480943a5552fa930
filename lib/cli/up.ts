/**
 * `netkit up FILE`: bring up the lab a YAML lab file describes (see lib/lab/file.ts), prove it,
 * show it. Running it again on a lab that is up says so and changes nothing.
 *
 * @module
 */
import { loadLabFile } from "../lab/file.ts";
import { type LabUpFlags, runLabUp } from "./lab_up.ts";
import { printNotice } from "./output.ts";
import { withSandbox } from "./recipe.ts";

/** Flags of `up`. */
export interface UpFlags {
  sandbox?: true;
  dryRun?: true;
  check?: boolean;
  ignoreImages?: true;
  json?: true;
}

/** Runs `up FILE`. */
export async function upCommand(file: string, flags: UpFlags): Promise<void> {
  const loaded = await loadLabFile(file, {
    ...(flags.ignoreImages ? { ignoreImages: true } : {}),
    onNotice: printNotice,
  });
  const lab = withSandbox(loaded, flags.sandbox);
  const options: LabUpFlags = {
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.check === false ? { check: false } : {}),
    ...(flags.json ? { json: true } : {}),
  };
  await runLabUp(lab, options);
}
