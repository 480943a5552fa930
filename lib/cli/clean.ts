/**
 * `netkit clean`: removes every lab recorded on this host (each from its own journal), stops
 * the private OVS, and removes the packet captures kept after `down`. The safe counterpart of `mn -c`: it removes only what netkit recorded, never
 * anything found by name pattern.
 *
 * @module
 */
import { type Host, requireRoot } from "../host.ts";
import { downLab, stopUnusedPrivateOvs } from "../lab/teardown.ts";
import { listLabNames, pruneStateRoot } from "../state.ts";
import { out, outJson } from "./output.ts";
import { warnSkipped } from "./down.ts";
import { removeCaptures } from "../lab/captures.ts";

/**
 * Removes every lab netkit recorded on this host: one per directory of the state root whose name
 * is a lab name. The name inside a lab's `lab.json` is never used as a path (a damaged or
 * tampered state fails that lab's `down`, which is reported; the others go on).
 */
export async function cleanCommand(host: Host, flags: { json?: true }): Promise<void> {
  requireRoot("netkit clean");
  const known = await listLabNames(host.stateRoot);
  const removed: string[] = [];
  const failed: { lab: string; error: string }[] = [];
  for (const name of known) {
    try {
      const r = await downLab(name, { host });
      warnSkipped(name, r.skipped);
      if (r.removed) removed.push(name);
    } catch (error) {
      failed.push({ lab: name, error: error instanceof Error ? error.message : String(error) });
    }
  }
  const stoppedOvs = await stopUnusedPrivateOvs(host);
  const captures = await removeCaptures(host.stateRoot);
  await pruneStateRoot(host.stateRoot);
  if (flags.json) outJson({ removed, failed, stoppedOvs, captures });
  else {
    out(
      removed.length
        ? `Removed ${removed.length} lab(s): ${removed.join(", ")}.\n`
        : "No labs to remove.\n",
    );
    if (stoppedOvs) out("Stopped netkit's private OVS.\n");
    if (captures) out(`Removed ${captures} kept packet capture(s).\n`);
  }
  if (failed.length) {
    throw new Error(failed.map((f) => `${f.lab}: ${f.error}`).join("\n"));
  }
}
