/**
 * `netkit part up|down|status|check LAB`: what a multi-host controller runs on each host over
 * SSH (see lib/multihost/). Every answer is JSON on standard output. These act
 * on this host's own part only, never on a multi-host record, so a host that is also the
 * controller does not loop.
 *
 * @module
 */
import { checkLab } from "../check/probes.ts";
import { ExitCode, UsageError } from "../errors.ts";
import { linesOf } from "../exec/runner.ts";
import type { Host } from "../host.ts";
import { readLabState } from "../lab/runtime.ts";
import { downLab } from "../lab/teardown.ts";
import { labStatus } from "../lab/status.ts";
import { type PartMessage, servePart } from "../multihost/part.ts";
import { checkLabName } from "../names.ts";
import { labDir } from "../state.ts";
import { outLine } from "./output.ts";

/** Runs `part ACTION [LAB]` on this host. */
export async function partCommand(
  host: Host,
  action: string,
  lab: string | undefined,
): Promise<void> {
  if (action === "up") {
    const code = await servePart(host, {
      lines: linesOf(Deno.stdin.readable),
      send: (message: PartMessage) => Promise.resolve(void outLine(message)),
    });
    if (code !== 0) throw new ExitCode(code);
    return;
  }
  if (lab === undefined) throw new UsageError(`part ${action} needs a lab name`);
  checkLabName(lab);
  try {
    if (action === "down") {
      outLine(await downLab(lab, { host }));
    } else if (action === "status") {
      const state = await readLabState(host, lab);
      outLine(state ? await labStatus(host, state) : null);
    } else if (action === "check") {
      const state = await readLabState(host, lab);
      if (!state) throw new UsageError(`Lab "${lab}" is not up on this host`);
      outLine(
        await checkLab(state.lab, {
          host,
          stateDir: labDir(host.stateRoot, lab),
          ovs: state.ovs,
        }),
      );
    } else {
      throw new UsageError(`Unknown part action "${action}"`, { hint: "up, down, status, check" });
    }
  } catch (error) {
    outLine({ error: error instanceof Error ? error.message : String(error) });
    throw new ExitCode(error instanceof UsageError ? 2 : 1);
  }
}
