/**
 * Rendering for people: tables (cli-table3). The library returns data; only the CLI prints.
 * Lines without a table are in text.ts, colours in color.ts: neither loads cli-table3, which
 * costs more to load than the rest of a command's start.
 *
 * @module
 */
import Table from "../deps/cli_table3.ts";
import type { LabStatus } from "../lab/status.ts";
import type { CaptureStatus } from "../lab/captures.ts";
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
    (s.bridges.length ? `${b.toString()}\n` : "") + leasesTable(s) + ovsFeatureTables(s) +
    capturesTable(s.captures);
}

/** A table of packet captures (for status), or nothing when there are none. */
export function capturesTable(captures: CaptureStatus[]): string {
  if (captures.length === 0) return "";
  const t = table(["capture", "file", "bytes", "tcpdump"]);
  for (const c of captures) {
    t.push([`${c.node}/${c.interface}`, c.file, c.bytes, c.running ? "running" : "stopped"]);
  }
  return `${t.toString()}\n`;
}

/** Tables of the lab's OpenFlow flows, bonds, mirrors and QoS (those it has). */
function ovsFeatureTables(s: LabStatus): string {
  const out: string[] = [];
  if (s.flows?.length) {
    const t = table(["flow on", "table", "priority", "match", "actions", "packets"]);
    for (const f of s.flows) {
      t.push([f.bridge, f.table, f.priority, f.match || "(any)", f.actions, f.nPackets]);
    }
    out.push(t.toString());
  }
  if (s.bonds?.length) {
    const t = table(["bond", "bridge", "mode", "lacp", "members (link)", "active"]);
    for (const b of s.bonds) {
      t.push([
        b.name,
        b.bridge,
        b.mode,
        b.lacp,
        b.members.map((m) => `${m.name} (${m.link})`).join(", "),
        b.active ?? "-",
      ]);
    }
    out.push(t.toString());
  }
  if (s.mirrors?.length) {
    const t = table(["mirror", "bridge", "select", "output", "copied"]);
    for (const m of s.mirrors) {
      t.push([
        m.name,
        m.bridge,
        m.select === "all" ? "all" : m.select.join(", "),
        m.output,
        m.txPackets === undefined ? "-" : `${m.txPackets} packets`,
      ]);
    }
    out.push(t.toString());
  }
  if (s.qos?.length) {
    const t = table(["QoS on port", "type", "max-rate"]);
    for (const q of s.qos) {
      t.push([q.port, q.type, q.maxRate === undefined ? "-" : `${q.maxRate / 1e6} Mbit/s`]);
    }
    out.push(t.toString());
  }
  return out.map((t) => `${t}\n`).join("");
}

function leasesTable(s: LabStatus): string {
  if (s.leases.length === 0) return "";
  const t = table(["DHCP client", "address", "router", "lease time", "server"]);
  for (const l of s.leases) {
    t.push([`${l.node}/${l.interface}`, l.address, l.router || "-", `${l.leaseTime}s`, l.server]);
  }
  return `${t.toString()}\n`;
}
