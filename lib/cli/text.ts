/**
 * What the CLI prints without a table: proofs, one per line, and a big lab's summary.
 *
 * @module
 */
import type { CheckResult } from "../check/probes.ts";
import type { LabSummary } from "../lab/status.ts";
import { dim, green, red } from "./color.ts";

/** One line per proof: PASS/FAIL, what, evidence. */
export function renderChecks(results: CheckResult[]): string {
  return results.map((r) =>
    `${r.pass ? green("PASS") : red("FAIL")} ${r.name}\n     ${dim(r.evidence)}`
  ).join("\n") + "\n";
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * A few lines instead of the full table, for a big lab: what it is made of and its bridges;
 * `netkit status LAB` prints the full table.
 */
export function renderSummary(s: LabSummary): string {
  const bridges = s.bridges.map((b) =>
    `  ${b.name} (${b.type === "ovs" ? "OVS" : "Linux bridge"}): ${plural(b.ports, "port")}\n`
  );
  return `Lab ${s.name}: ${plural(s.namespaces, "namespace")}, ${plural(s.links, "veth pair")}, ` +
    `${plural(s.bridges.length, "bridge")}${bridges.length ? ":" : ""}\n${bridges.join("")}` +
    `The full table: netkit status ${s.name}\n`;
}

/** How many proofs {@link renderProofs} lists one by one; above it, only the failed ones. */
export const PROOFS_LISTED = 20;

/** The proofs, one by one; for many, the count that passed and each one that failed. */
export function renderProofs(results: CheckResult[]): string {
  if (results.length <= PROOFS_LISTED) return renderChecks(results);
  const failed = results.filter((r) => !r.pass);
  const line = `${failed.length ? red("FAIL") : green("PASS")} ${
    results.length - failed.length
  } of ${results.length} proofs passed\n`;
  return line + (failed.length ? renderChecks(failed) : "");
}

/**
 * How long ago `since` (ISO 8601) was, as `up` says it: `up 40 s`, `up 5 min`, `up 2 h 5 min`,
 * `up 3 days`.
 */
export function upFor(since: string, now: number = Date.now()): string {
  const s = Math.max(0, Math.floor((now - Date.parse(since)) / 1000));
  if (Number.isNaN(s)) return since;
  if (s < 60) return `up ${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `up ${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `up ${h} h${min % 60 ? ` ${min % 60} min` : ""}`;
  return `up ${Math.floor(h / 24)} days`;
}
