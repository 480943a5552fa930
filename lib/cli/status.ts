/**
 * `netkit status [LAB]`.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Host } from "../host.ts";
import { listLabs, readLabState } from "../lab/runtime.ts";
import { labStatus } from "../lab/status.ts";
import { checkLabName } from "../names.ts";
import { out, outJson } from "./output.ts";
import { multihostCommands } from "./multihost_gate.ts";
import { capturesTable, renderStatus, table } from "./render.ts";
import { upFor } from "./text.ts";
import { keptCaptures } from "../lab/captures.ts";

/** Lists labs, or shows one. */
export async function statusCommand(
  host: Host,
  lab: string | undefined,
  flags: { json?: true },
): Promise<void> {
  if (lab === undefined) {
    const labs = (await listLabs({ host })).map((s) => ({
      name: s.lab.name,
      status: s.status,
      nodes: Object.keys(s.lab.nodes).length,
      bridges: Object.keys(s.lab.bridges).length,
      ovs: s.ovs?.kind ?? "none",
      mode: s.sandbox !== undefined ? "sandbox" : host.rootless ? "rootless" : "host",
      createdAt: s.createdAt,
    }));
    // Multi-host labs this machine controls (each host also lists its own part).
    const { listRecords } = await import("../multihost/record.ts");
    for (const r of await listRecords(host.stateRoot)) {
      labs.push({
        name: r.lab.name,
        status: r.status,
        nodes: Object.keys(r.lab.nodes).length,
        bridges: Object.keys(r.lab.bridges).length,
        ovs: `${Object.keys(r.hosts).length} hosts`,
        mode: "multi-host",
        createdAt: r.createdAt,
      });
    }
    if (flags.json) return outJson(labs);
    // Captures of labs that are down, kept until `netkit clean`.
    const kept = (await keptCaptures(host.stateRoot)).filter((c) =>
      !labs.some((l) => l.name === c.lab)
    );
    const keptText = kept.length
      ? `Captures kept after down (netkit clean removes them):\n${capturesTable(kept)}`
      : "";
    if (labs.length === 0) return out(`No labs are up.\n${keptText}`);
    const t = table(["lab", "status", "mode", "nodes", "bridges", "ovs", "since"]);
    for (const l of labs) {
      const since = l.status === "up" ? upFor(l.createdAt) : l.createdAt;
      t.push([l.name, l.status, l.mode, l.nodes, l.bridges, l.ovs, since]);
    }
    return out(t.toString() + "\n" + keptText);
  }
  checkLabName(lab);
  const multihost = await multihostCommands(host, lab);
  if (await multihost?.statusIfMultihost(host, lab, flags.json === true)) return;
  const state = await readLabState(host, lab);
  if (!state) {
    throw new UsageError(`Lab "${lab}" is not up`, { hint: "netkit status lists the labs" });
  }
  const s = await labStatus(host, state);
  if (flags.json) return outJson(s);
  out(renderStatus(s));
}
