/**
 * `netkit ovs status|start|stop`.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { type Host, requireRoot } from "../host.ts";
import { listLabs } from "../lab/runtime.ts";
import { MANUAL_USER, ovsStatus, releasePrivateOvs, startPrivateOvs } from "../ovs/instance.ts";
import { out, outJson } from "./output.ts";

/** Shows, starts or stops the OVS netkit uses. */
export async function ovsCommand(
  host: Host,
  action: string,
  flags: { json?: true },
): Promise<void> {
  if (action === "start") {
    requireRoot("Starting OVS");
    const t = await startPrivateOvs(host);
    return flags.json ? outJson(t) : out(`netkit's private OVS runs: ${t.db}\n`);
  }
  if (action === "stop") {
    requireRoot("Stopping OVS");
    const stopped = await releasePrivateOvs(host, MANUAL_USER);
    const running = await Deno.stat(host.privateOvsDir).then(() => true, () => false);
    if (!stopped && running) {
      const users = (await listLabs({ host })).filter((s) => s.ovs?.kind === "private");
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
  const s = await ovsStatus(host);
  if (flags.json) return outJson(s);
  out(
    s.kind === "none"
      ? `No Open vSwitch answers; netkit starts its own when a lab needs one (datapath ${s.datapathType}).\n`
      : `OVS: ${s.kind} at ${s.db} (run dir ${s.runDir}); pids ${
        JSON.stringify(s.pids)
      }; datapath for new bridges: ${s.datapathType}\n`,
  );
}
