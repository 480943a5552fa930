/**
 * `netkit pingall [LAB]`: every node pings every address of the others (lib/check/pingall.ts),
 * printed as a matrix, addresses down and the nodes that ping across, with a summary such as
 * "28/30 reachable"; `--json` prints the report. Also `pingall` in `netkit console`.
 *
 * @module
 */
import { pingAll, type PingAllReport } from "../check/pingall.ts";
import { UsageError } from "../errors.ts";
import type { Host } from "../host.ts";
import type { LabState } from "../lab/lab_state.ts";
import { listLabs, readLabState } from "../lab/runtime.ts";
import { checkLabName } from "../names.ts";
import { green, red } from "./color.ts";
import { out, outJson } from "./output.ts";
import { table } from "./render.ts";

/**
 * Lab `name` (it must be up), or with no name the one lab that is up. Throws
 * {@link UsageError} when there is none, or several and no name.
 */
export async function upLabNamed(host: Host, name: string | undefined): Promise<LabState> {
  if (name !== undefined) {
    checkLabName(name);
    const state = await readLabState(host, name);
    if (!state || state.status !== "up") {
      const up = (await listLabs({ host })).map((s) => s.lab.name);
      throw new UsageError(`No lab named "${name}" is up`, {
        hint: up.length ? `labs that are up: ${up.join(", ")}` : "no lab is up",
      });
    }
    return state;
  }
  const labs = (await listLabs({ host })).filter((s) => s.status === "up");
  if (labs.length === 1) return labs[0]!;
  throw new UsageError(labs.length ? "Several labs are up: name one" : "No lab is up", {
    hint: labs.length
      ? `labs that are up: ${labs.map((s) => s.lab.name).join(", ")}`
      : "bring one up: netkit recipe NAME, or netkit up FILE",
  });
}

/** The matrix: a row per address, a column per node that pings; the summary below. */
export function renderPingAll(r: PingAllReport): string {
  if (r.targets.length === 0) return `Lab ${r.lab}: no node has an address to ping.\n`;
  const t = table(["address", ...r.nodes]);
  const reached = new Map(r.results.map((x) => [`${x.from} ${x.to}`, x.reached]));
  for (const target of r.targets) {
    t.push([
      `${target.address} (${target.node}:${target.interface})`,
      ...r.nodes.map((from) => {
        if (from === target.node) return "";
        const ok = reached.get(`${from} ${target.address}`);
        return ok === undefined ? "?" : ok ? green("ok") : red("X");
      }),
    ]);
  }
  const summary = `${r.reachable}/${r.total} reachable` + (r.stopped ? " (stopped)" : "");
  return `${t.toString()}\n${r.reachable === r.total ? green(summary) : summary}\n`;
}

/** Runs `pingall`. */
export async function pingallCommand(
  host: Host,
  lab: string | undefined,
  flags: { json?: true },
): Promise<void> {
  const state = await upLabNamed(host, lab);
  const report = await pingAll(host, state.lab);
  if (flags.json) return outJson(report);
  out(renderPingAll(report));
}
