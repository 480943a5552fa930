/**
 * Whether a lab named on the command line is a multi-host lab, decided by its record's path
 * (lib/state.ts: `multihostRecordFile`): the multi-host commands (lib/cli/multihost.ts, with the
 * SSH runner, the inventory reader and their packages) load only for such a lab, so `down`,
 * `status`, `check` and `graph` of a lab on this host never load them.
 *
 * @module
 */
import type { Host } from "../host.ts";
import { multihostRecordFile, pathExists } from "../state.ts";

/** The multi-host commands when `lab` has a multi-host record on this controller, else undefined. */
export async function multihostCommands(
  host: Host,
  lab: string,
): Promise<typeof import("./multihost.ts") | undefined> {
  if (!(await pathExists(multihostRecordFile(host.stateRoot, lab)))) return undefined;
  return await import("./multihost.ts");
}
