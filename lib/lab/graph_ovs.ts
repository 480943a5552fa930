/**
 * What `netkit graph` adds for the OVS features: a port's bond, mirror role and QoS beside its
 * line, and per bridge a line for each bond, mirror and flow. Pure: data in, text out.
 *
 * @module
 */
import type { Lab } from "./schema.ts";

type Bridge = Lab["bridges"][string];

const rate = (bps: number) =>
  bps >= 1e9 && bps % 1e9 === 0
    ? `${bps / 1e9} Gbit/s`
    : bps >= 1e6
    ? `${+(bps / 1e6).toFixed(3)} Mbit/s`
    : `${+(bps / 1e3).toFixed(3)} kbit/s`;

/** The note beside port `port` of bridge `br`: `[bond-a]`, `[mirror m0 out]`, `[qos 10 Mbit/s]`. */
export function portNote(br: Bridge | undefined, port: string): string {
  if (!br) return "";
  const notes: string[] = [];
  for (const [name, p] of Object.entries(br.ports)) {
    if (p.bond?.includes(port)) notes.push(`in ${name}`);
  }
  for (const [name, m] of Object.entries(br.mirrors ?? {})) {
    if (m.output === port) notes.push(`mirror ${name} out`);
  }
  const qos = br.ports[port]?.qos;
  if (qos) notes.push(`qos ${rate(qos.maxRate)}`);
  return notes.length ? ` [${notes.join("; ")}]` : "";
}

/** The lines under a bridge's ports: its bonds, mirrors and flows. */
export function bridgeNotes(br: Bridge): string[] {
  const lines: string[] = [];
  for (const [name, p] of Object.entries(br.ports)) {
    if (!p.bond) continue;
    const extra = [p.mode ?? "active-backup", `lacp ${p.lacp ?? "off"}`];
    if (p.primary) extra.push(`primary ${p.primary}`);
    lines.push(`bond ${name} = ${p.bond.join(" + ")} (${extra.join(", ")})`);
  }
  for (const [name, m] of Object.entries(br.mirrors ?? {})) {
    const from = m.select === "all" ? "every port" : m.select.join(", ");
    lines.push(`mirror ${name}: ${from} -> ${m.output}`);
  }
  for (const flow of br.flows ?? []) lines.push(`flow ${flow}`);
  return lines;
}
