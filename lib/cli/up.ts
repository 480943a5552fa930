/**
 * `netkit up FILE`: bring up the lab a YAML lab file describes (see lib/lab/file.ts), prove it,
 * show it. Running it again on a lab that is up says so and changes nothing.
 *
 * @module
 */
import { loadLabFile } from "../lab/file.ts";
import { type LabUpFlags, runLabUp } from "./lab_up.ts";
import { withSandbox } from "./recipe.ts";

/** Flags of `up`. */
export interface UpFlags {
  hosts?: string;
  sandbox?: true;
  dryRun?: true;
  check?: boolean;
  json?: true;
}

/** Runs `up FILE`. */
export async function upCommand(file: string, flags: UpFlags): Promise<void> {
  const lab = withSandbox(await loadLabFile(file), flags.sandbox);
  if (lab.hosts !== undefined || flags.hosts !== undefined) {
    const multihost = await import("./multihost.ts");
    multihost.refuseStrayHosts(lab, flags.hosts);
    return await multihost.upMultihostCommand(lab, flags);
  }
  const options: LabUpFlags = {
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.check === false ? { check: false } : {}),
    ...(flags.json ? { json: true } : {}),
  };
  await runLabUp(lab, options);
}
