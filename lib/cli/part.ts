/**
 * `netkit part up|down|status|check LAB`: what a multi-host controller runs on each host over
 * SSH (hidden from help; see lib/multihost/). Every answer is JSON on standard output. These act
 * on this host's own part only, never on a multi-host record, so a host that is also the
 * controller does not loop.
 *
 * @module
 */
import { checkLab } from "../check/probes.ts";
import { ExitCode, UsageError } from "../errors.ts";
import { downLab, readLabState } from "../lab/runtime.ts";
import { labStatus } from "../lab/status.ts";
import { type PartMessage, servePart } from "../multihost/part.ts";
import { checkLabName } from "../names.ts";
import { labDir } from "../state.ts";

const enc = new TextEncoder();

/** Writes one JSON line; false when the reader is gone. */
function sendLine(value: unknown): boolean {
  const data = enc.encode(JSON.stringify(value) + "\n");
  try {
    for (let n = 0; n < data.length;) n += Deno.stdout.writeSync(data.subarray(n));
    return true;
  } catch {
    return false; // the controller or its connection went away: part.ts decides what follows
  }
}

async function* stdinLines(): AsyncIterableIterator<string> {
  let rest = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    for (let nl = rest.indexOf("\n"); nl >= 0; nl = rest.indexOf("\n")) {
      yield rest.slice(0, nl);
      rest = rest.slice(nl + 1);
    }
  }
  if (rest) yield rest;
}

/** Runs `part ACTION [LAB]`. */
export async function partCommand(action: string, lab: string | undefined): Promise<void> {
  if (action === "up") {
    const code = await servePart({
      lines: stdinLines(),
      send: (message: PartMessage) => Promise.resolve(void sendLine(message)),
    });
    if (code !== 0) throw new ExitCode(code);
    return;
  }
  if (lab === undefined) throw new UsageError(`part ${action} needs a lab name`);
  checkLabName(lab);
  try {
    if (action === "down") {
      sendLine(await downLab(lab));
    } else if (action === "status") {
      const state = await readLabState(lab);
      sendLine(state ? await labStatus(state) : null);
    } else if (action === "check") {
      const state = await readLabState(lab);
      if (!state) throw new UsageError(`Lab "${lab}" is not up on this host`);
      sendLine(await checkLab(state.lab, { stateDir: labDir(lab), ovs: state.ovs }));
    } else {
      throw new UsageError(`Unknown part action "${action}"`, { hint: "up, down, status, check" });
    }
  } catch (error) {
    sendLine({ error: error instanceof Error ? error.message : String(error) });
    throw new ExitCode(error instanceof UsageError ? 2 : 1);
  }
}
