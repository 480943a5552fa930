/**
 * Rendering for people: tables (cli-table3). The library returns data; only the CLI prints.
 * Lines without a table are in text.ts, colours in color.ts: neither loads cli-table3, which
 * costs more to load than the rest of a command's start.
 *
 * @module
 */
import Table from "../deps/cli_table3.ts";
import type { LabStatus } from "../lab/status.ts";
import type { GraphEnd, LabGraph } from "../lab/graph_model.ts";
import type { CaptureStatus } from "../lab/captures.ts";
import { useColor } from "./color.ts";
import { readEnvironment } from "../host.ts";
import { upFor } from "./text.ts";

/**
 * The width tables fit: the terminal's columns when standard output is a terminal (else
 * `COLUMNS`, when set to a number); undefined without either, and tables print in full.
 */
function terminalWidth(): number | undefined {
  if (Deno.stdout.isTerminal()) {
    try {
      const { columns } = Deno.consoleSize();
      if (columns > 0) return columns;
    } catch {
      // no size to ask: COLUMNS, if set
    }
  }
  const columns = Number(readEnvironment().columns);
  return Number.isInteger(columns) && columns > 0 ? columns : undefined;
}

/**
 * A table in netkit's style: plain borders, colour only on a terminal. It fits `width` columns
 * (default: {@link terminalWidth}): the widest cells wrap, at spaces where they can, and no line
 * is wider than the terminal; without a width, every cell is printed in full.
 */
export function table(head: string[], options: { width?: number | undefined } = {}): Table.Table {
  const style = { head: useColor() ? ["cyan"] : [], border: useColor() ? ["grey"] : [] };
  const t = new Table({ head, style });
  const width = "width" in options ? options.width : terminalWidth();
  if (width === undefined) return t;
  Object.defineProperty(t, "toString", {
    value: () => {
      const rows = [head, ...[...t].map((r) => (r as unknown[]).map(cellText))];
      const widths = fitWidths(rows, width);
      if (widths === undefined) return Table.prototype.toString.call(t);
      const fitted = new Table({
        head: head.map((h, i) => wrapText(h, widths[i]!)),
        style,
        colWidths: widths.map((w) => w + 2),
      });
      for (const r of rows.slice(1)) fitted.push(r.map((c, i) => wrapText(c, widths[i]!)));
      return fitted.toString();
    },
  });
  return t;
}

/** A cell as text (a number, or a string). */
const cellText = (cell: unknown): string => String(cell ?? "");

// deno-lint-ignore no-control-regex -- colour sequences are what is measured away
const SGR = /\x1b\[[0-9;]*m/g;
/** How many columns `text` takes on a terminal (its colour sequences take none). */
const visible = (text: string) => text.replace(SGR, "").length;

/**
 * The content widths that make a table of `rows` fit `width` columns (borders and padding
 * included), or undefined when it fits as it is. Columns narrower than an equal share keep their
 * width; the others share what is left in proportion to their widths (at least 3 columns each).
 */
export function fitWidths(rows: readonly string[][], width: number): number[] | undefined {
  const n = Math.max(...rows.map((r) => r.length));
  const natural = Array.from(
    { length: n },
    (_, i) => Math.max(1, ...rows.map((r) => Math.max(...(r[i] ?? "").split("\n").map(visible)))),
  );
  const room = width - (3 * n + 1); // a border before each column and after the last; padding
  if (natural.reduce((a, b) => a + b, 0) <= room) return undefined;
  const widths = [...natural];
  let wide = [...natural.keys()];
  let left = room;
  // Columns that fit in an equal share of what is left keep their width, until none does.
  for (let narrow = true; narrow && wide.length;) {
    const share = left / wide.length;
    const fits = wide.filter((i) => natural[i]! <= share);
    narrow = fits.length > 0;
    for (const i of fits) left -= natural[i]!;
    wide = wide.filter((i) => natural[i]! > share);
  }
  const total = wide.reduce((a, i) => a + natural[i]!, 0);
  for (const i of wide) widths[i] = Math.max(3, Math.floor((left * natural[i]!) / total));
  return widths;
}

/**
 * `text` in lines of at most `width` columns: broken at spaces where it can, a longer word cut.
 * A line that fits (colour and all) is kept as it is.
 */
export function wrapText(text: string, width: number): string {
  const lines: string[] = [];
  for (const line of text.split("\n")) {
    if (visible(line) <= width) {
      lines.push(line);
      continue;
    }
    let current = "";
    for (const word of line.replace(SGR, "").split(" ")) {
      const joined = current === "" ? word : `${current} ${word}`;
      if (joined.length <= width) {
        current = joined;
        continue;
      }
      if (current !== "") lines.push(current);
      let rest = word;
      while (rest.length > width) {
        lines.push(rest.slice(0, width));
        rest = rest.slice(width);
      }
      current = rest;
    }
    lines.push(current);
  }
  return lines.join("\n");
}

/** A table of one lab's nodes, interfaces, addresses and bridge ports. */
export function renderStatus(s: LabStatus): string {
  const t = table(["namespace", "interface", "state", "addresses"]);
  for (const n of s.nodes) {
    if (n.interfaces.length === 0) t.push([n.name, "-", "-", "-"]);
    for (const i of n.interfaces) t.push([n.name, i.name, i.state, i.addresses.join(", ") || "-"]);
  }
  const root = s.sandbox === undefined ? "(root)" : `(root: ${s.sandbox})`;
  for (const i of s.rootEnds ?? []) t.push([root, i.name, i.state, i.addresses.join(", ") || "-"]);
  const b = table(["bridge", "type", "ports"]);
  for (const br of s.bridges) {
    b.push([
      br.name,
      br.type,
      br.ports.map((p) => (p.tag === undefined ? p.name : `${p.name} (tag ${p.tag})`)).join(", ") ||
      "-",
    ]);
  }
  const since = s.status === "up" ? upFor(s.createdAt) : `${s.status} since ${s.createdAt}`;
  return `Lab ${s.name} (${since}), mode: ${s.mode}, OVS: ${s.ovs}` +
    (s.sandbox === undefined ? "" : `, sandbox: namespace ${s.sandbox}`) + `\n${t.toString()}\n` +
    (s.bridges.length ? `${b.toString()}\n` : "") + impairmentsTable(s) + leasesTable(s) +
    ovsFeatureTables(s) + capturesTable(s.captures);
}

/** A table of the lab's impairments, or nothing when there are none. */
function impairmentsTable(s: LabStatus): string {
  if (!s.impairments?.length) return "";
  const t = table(["impaired", "traffic leaving it"]);
  for (const i of s.impairments) t.push([`${i.node}:${i.interface}`, i.impairment]);
  return `${t.toString()}\n`;
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

/** The nodes and bridges of a lab's picture: kind, interfaces, notes (`nodes` in the console). */
export function renderNodes(g: LabGraph): string {
  const t = table(["node", "kind", "interfaces", "notes"]);
  for (const n of g.nodes) {
    t.push([n.id, n.kind, n.interfaces.join(", ") || "-", n.notes.join("\n") || "-"]);
  }
  return `${t.toString()}\n`;
}

/** The links of a lab's picture, end to end with addresses (`links` in the console). */
export function renderLinks(g: LabGraph): string {
  const t = table(["end", "addresses", "end", "addresses", "kind"]);
  const side = (e: GraphEnd) => [
    e.ifname ? `${e.owner}:${e.ifname}` : e.owner,
    [...e.addresses, ...(e.tag === undefined ? [] : [`tag ${e.tag}`])].join(", ") || "-",
  ];
  for (const l of g.links) t.push([...side(l.a), ...side(l.b), l.kind]);
  return `${t.toString()}\n`;
}
