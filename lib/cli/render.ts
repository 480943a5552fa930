/**
 * Rendering for people: tables (cli-table3). The library returns data; only the CLI prints.
 * Lines without a table are in text.ts, colours in color.ts: neither loads cli-table3, which
 * costs more to load than the rest of a command's start.
 *
 * @module
 */
import Table from "../deps/cli_table3.ts";
import type { LabStatus } from "../lab/status.ts";
import { useColor } from "./color.ts";

/** A table in netkit's style: plain borders, colour only on a terminal. */
export function table(head: string[]): Table.Table {
  return new Table({
    head,
    style: { head: useColor() ? ["cyan"] : [], border: useColor() ? ["grey"] : [] },
  });
}

/** A table of one lab's nodes, interfaces, addresses and bridge ports. */
export function renderStatus(s: LabStatus): string {
  const t = table(["namespace", "interface", "state", "addresses"]);
  for (const n of s.nodes) {
    if (n.interfaces.length === 0) t.push([n.name, "-", "-", "-"]);
    for (const i of n.interfaces) t.push([n.name, i.name, i.state, i.addresses.join(", ") || "-"]);
  }
  const b = table(["bridge", "type", "ports"]);
  for (const br of s.bridges) {
    b.push([
      br.name,
      br.type,
      br.ports.map((p) => (p.tag === undefined ? p.name : `${p.name} (tag ${p.tag})`)).join(", ") ||
      "-",
    ]);
  }
  return `Lab ${s.name} (${s.status}), OVS: ${s.ovs}` +
    (s.sandbox === undefined ? "" : `, sandbox: namespace ${s.sandbox}`) + `\n${t.toString()}\n` +
    (s.bridges.length ? `${b.toString()}\n` : "") + leasesTable(s);
}

function leasesTable(s: LabStatus): string {
  if (s.leases.length === 0) return "";
  const t = table(["DHCP client", "address", "router", "lease time", "server"]);
  for (const l of s.leases) {
    t.push([`${l.node}/${l.interface}`, l.address, l.router || "-", `${l.leaseTime}s`, l.server]);
  }
  return `${t.toString()}\n`;
}
