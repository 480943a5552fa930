/**
 * `netkit check LAB`.
 *
 * @module
 */
import { checkLab } from "../check/probes.ts";
import type { Host } from "../host.ts";
import { CheckFailedError, UsageError } from "../errors.ts";
import { readLabState } from "../lab/runtime.ts";
import { checkLabName } from "../names.ts";
import { labDir } from "../state.ts";
import { out, outJson } from "./output.ts";
import { multihostCommands } from "./multihost_gate.ts";
import { renderProofs } from "./text.ts";

/** Runs a lab's proofs. */
export async function checkCommand(
  host: Host,
  lab: string,
  flags: { json?: true },
): Promise<void> {
  checkLabName(lab);
  const multihost = await multihostCommands(host, lab);
  if (await multihost?.checkIfMultihost(host, lab, flags.json === true)) return;
  const state = await readLabState(host, lab);
  if (!state) {
    throw new UsageError(`Lab "${lab}" is not up`, { hint: "netkit status lists the labs" });
  }
  const results = await checkLab(state.lab, {
    host,
    stateDir: labDir(host.stateRoot, lab),
    ovs: state.ovs,
  });
  if (flags.json) outJson(results);
  else out(renderProofs(results));
  const failed = results.filter((r) => !r.pass).length;
  if (failed) throw new CheckFailedError(`${failed} of ${results.length} check(s) failed`);
}
