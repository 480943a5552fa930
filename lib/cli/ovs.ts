/**
 * `netkit ovs status|start|stop`.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { listLabs } from "../lab/runtime.ts";
import { requireRoot } from "../lab/preflight.ts";
import {
  MANUAL_USER,
  ovsStatus,
  privateRunDir,
  releasePrivateOvs,
  startPrivateOvs,
} from "../ovs/instance.ts";
import { out, outJson } from "./output.ts";

/** Shows, starts or stops the OVS netkit uses. */
export async function ovsCommand(action: string, flags: { json?: true }): Promise<void> {
  if (action === "start") {
    requireRoot("Starting OVS");
    const t = await startPrivateOvs();
    return flags.json ? outJson(t) : out(`netkit's private OVS runs: ${t.db}\n`);
  }
  if (action === "stop") {
    requireRoot("Stopping OVS");
    const stopped = await releasePrivateOvs(undefined, MANUAL_USER);
    const running = await Deno.stat(privateRunDir()).then(() => true, () => false);
    if (!stopped && running) {
      const users = (await listLabs()).filter((s) => s.ovs?.kind === "private");
      throw new UsageError("The private OVS is still used by labs, so it keeps running", {
        hint: `remove them first with netkit down${
          users.length ? ` (${users.map((s) => s.lab.name).join(", ")})` : ""
        }`,
      });
    }
    return flags.json ? outJson({ stopped }) : out(
      stopped ? "Stopped netkit's private OVS.\n" : "netkit's private OVS was not running.\n",
    );
  }
  const s = await ovsStatus();
  if (flags.json) return outJson(s);
  out(
    s.kind === "none"
      ? `No Open vSwitch answers; netkit starts its own when a lab needs one (datapath ${s.datapathType}).\n`
      : `OVS: ${s.kind} at ${s.db} (run dir ${s.runDir}); pids ${
        JSON.stringify(s.pids)
      }; datapath for new bridges: ${s.datapathType}\n`,
  );
}
