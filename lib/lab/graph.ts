/**
 * A lab as a picture: a box per bridge with the links that reach it, then the links between
 * namespaces, in plain text for the terminal (in the spirit of seed 003's ASCII figure), and the
 * same graph as Mermaid or Graphviz dot for documents. Pure: data in, text out.
 *
 * @module
 */
import type { Lab } from "./schema.ts";
import { layoutOf } from "./validate.ts";
import { sandboxOf } from "./sandbox.ts";
import { bridgeNotes, portNote } from "./graph_ovs.ts";

/** One edge of the lab graph: a veth pair or an internal port. */
export interface LabEdge {
  /** A node or bridge name. */
  a: string;
  /** The interface at `a`. */
  aIf: string;
  b: string;
  bIf: string;
  kind: "veth" | "internal";
}

/** The edges of the lab: every veth pair, and every OVS internal port moved into a node. */
export function labEdges(lab: Lab): LabEdge[] {
  const edges: LabEdge[] = lab.links.map((l) => {
    const [a = "", aIf = ""] = l.endpoints[0].split(":");
    const [b = "", bIf = ""] = l.endpoints[1].split(":");
    return { a, aIf, b, bIf, kind: "veth" };
  });
  for (const [bridge, br] of Object.entries(lab.bridges)) {
    for (const [port, p] of Object.entries(br.ports)) {
      if (p.internal && p.node) {
        edges.push({ a: p.node, aIf: port, b: bridge, bIf: port, kind: "internal" });
      }
    }
  }
  return edges;
}

/** What a node's interface carries: addresses, or `dhcp`. */
function ifaceLabel(lab: Lab, node: string, ifname: string): string {
  const iface = lab.nodes[node]?.interfaces[ifname];
  if (!iface) return "";
  return [...(iface.dhcp ? ["dhcp"] : []), ...iface.addresses, ...(iface.dhcp6 ? ["dhcpv6"] : [])]
    .join(", ");
}

function nodeNotes(lab: Lab, name: string): string {
  const n = lab.nodes[name];
  if (!n) return "";
  const notes: string[] = [];
  if (n.role === "router") notes.push("router (forwarding on)");
  for (const r of n.nat) {
    notes.push(`${r.type} ${r.source}${r.toSource ? ` -> ${r.toSource}` : ""}`);
  }
  const d = n.dhcpServer;
  if (d?.range) notes.push(`dhcp server ${d.range[0]}-${d.range[1]}`);
  if (d?.range6) notes.push(`dhcpv6 server ${d.range6[0]}-${d.range6[1]}`);
  if (d?.slaac) notes.push(`router advertisements (SLAAC) on ${d.interface}`);
  const ospf = n.routing?.ospf;
  if (ospf) {
    notes.push(
      `ospf area ${ospf.area} on ${ospf.interfaces.join(", ")}` +
        (ospf.passive?.length ? ` (passive: ${ospf.passive.join(", ")})` : ""),
    );
  }
  const bgp = n.routing?.bgp;
  if (bgp) {
    notes.push(
      `bgp as ${bgp.asn}, neighbors ${
        bgp.neighbors.map((x) => `${x.address} (as ${x.asn})`).join(", ")
      }` +
        (bgp.networks?.length ? `, announces ${bgp.networks.join(", ")}` : ""),
    );
  }
  for (const r of n.routes) notes.push(`route ${r.to}${r.via ? ` via ${r.via}` : ""}`);
  return notes.join("; ");
}

/** Normalises an edge so that its bridge side (if any) comes second. */
function bridgeSecond(lab: Lab, e: LabEdge): LabEdge {
  return e.a in lab.bridges && !(e.b in lab.bridges)
    ? { a: e.b, aIf: e.bIf, b: e.a, bIf: e.aIf, kind: e.kind }
    : e;
}

/**
 * The lab as a box-and-line diagram for the terminal.
 *
 * @example
 * ```ts
 * import { getRecipe, validateLab } from "../../mod.ts";
 * import { graphText } from "./graph.ts";
 * console.log(graphText(validateLab(getRecipe("ovs-internal").build())));
 * ```
 */
export function graphText(lab: Lab): string {
  const edges = labEdges(lab).map((e) => bridgeSecond(lab, e));
  const lines: string[] = [`lab ${lab.name}${lab.description ? `: ${lab.description}` : ""}`];
  const sandbox = sandboxOf(lab);
  if (sandbox !== undefined) lines.push(`sandbox: the bridges live in namespace ${sandbox}`);
  lines.push("");
  const drawn = new Set<string>();
  for (const [bridge, br] of Object.entries(lab.bridges)) {
    // A link between two bridges shows in both boxes, seen from each side.
    const mine = edges.flatMap((e) =>
      e.b === bridge
        ? [e]
        : e.a === bridge && e.b in lab.bridges
        ? [{ a: e.b, aIf: e.bIf, b: e.a, bIf: e.aIf, kind: e.kind }]
        : []
    );
    const rows = mine.map((e) => {
      const tag = br.ports[e.bIf]?.tag;
      const left = e.kind === "internal" ? `${e.bIf} (internal)` : e.bIf;
      const right = e.a in lab.bridges ? `${e.a} (bridge)` : `${e.a}:${e.aIf}`;
      drawn.add(e.a);
      return [
        `${left}${tag === undefined ? "" : ` tag ${tag}`}${portNote(br, e.bIf)}`,
        right,
        e.a in lab.nodes ? ifaceLabel(lab, e.a, e.aIf) : "",
      ];
    });
    const w0 = Math.max(4, ...rows.map((r) => r[0]!.length));
    const w1 = Math.max(4, ...rows.map((r) => r[1]!.length));
    const body = [
      ...rows.map((r) => `${r[0]!.padEnd(w0)} ──── ${r[1]!.padEnd(w1)}  ${r[2]}`.trimEnd()),
      ...bridgeNotes(br),
    ];
    const title = ` ${bridge} (${br.type === "ovs" ? "OVS" : "Linux bridge"}) `;
    const width = Math.max(title.length + 2, ...body.map((b) => b.length + 2));
    lines.push(`┌─${title}${"─".repeat(width - title.length - 1)}┐`);
    for (const b of body.length ? body : ["(no ports)"]) lines.push(`│ ${b.padEnd(width - 1)}│`);
    lines.push(`└${"─".repeat(width)}┘`, "");
  }
  const direct = edges.filter((e) => !(e.b in lab.bridges) && !(e.a in lab.bridges));
  for (const e of direct) {
    lines.push(
      `${e.a}:${e.aIf} ${ifaceLabel(lab, e.a, e.aIf)} ════ ${e.b}:${e.bIf} ${
        ifaceLabel(lab, e.b, e.bIf)
      }`.replace(/ +/g, " "),
    );
    drawn.add(e.a).add(e.b);
  }
  if (direct.length) lines.push("");
  const notes = Object.keys(lab.nodes).map((n) => [n, nodeNotes(lab, n)] as const)
    .filter(([, note]) => note);
  for (const [n, note] of notes) lines.push(`${n}: ${note}`);
  const lonely = Object.keys(lab.nodes).filter((n) => !drawn.has(n));
  if (lonely.length) lines.push(`not linked: ${lonely.join(", ")}`);
  return lines.join("\n").trimEnd() + "\n";
}

const mermaidId = (s: string) => s.replace(/[^A-Za-z0-9_]/g, "_");

/**
 * The lab as a Mermaid flowchart: namespaces as boxes, bridges as hexagons.
 *
 * @example
 * ```ts
 * import { getRecipe, validateLab } from "../../mod.ts";
 * import { graphMermaid } from "./graph.ts";
 * console.log(graphMermaid(validateLab(getRecipe("ovs-veth").build())));
 * ```
 */
export function graphMermaid(lab: Lab): string {
  const out = ["graph LR"];
  const layout = layoutOf(lab);
  for (const n of Object.keys(lab.nodes)) {
    const ifs = [...(layout.nodeIfaces.get(n) ?? [])].map((i) =>
      `${i} ${ifaceLabel(lab, n, i)}`.trim()
    );
    out.push(`  ${mermaidId(n)}["${[n, ...ifs].join("<br/>")}"]`);
  }
  for (const [b, br] of Object.entries(lab.bridges)) {
    out.push(`  ${mermaidId(b)}{{"${b} (${br.type})"}}`);
  }
  for (const e of labEdges(lab)) {
    const note = `${portNote(lab.bridges[e.a], e.aIf)}${portNote(lab.bridges[e.b], e.bIf)}`;
    out.push(`  ${mermaidId(e.a)} ---|"${e.aIf} / ${e.bIf}${note}"| ${mermaidId(e.b)}`);
  }
  return out.join("\n") + "\n";
}

const dotQuote = (s: string) =>
  `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`;

/**
 * The lab as a Graphviz (dot) graph.
 *
 * @example
 * ```ts
 * import { getRecipe, validateLab } from "../../mod.ts";
 * import { graphDot } from "./graph.ts";
 * console.log(graphDot(validateLab(getRecipe("ovs-veth").build())));
 * ```
 */
export function graphDot(lab: Lab): string {
  const out = [`graph ${dotQuote(lab.name)} {`, "  rankdir=LR;"];
  for (const n of Object.keys(lab.nodes)) out.push(`  ${dotQuote(n)} [shape=box];`);
  for (const [b, br] of Object.entries(lab.bridges)) {
    out.push(`  ${dotQuote(b)} [shape=hexagon, label=${dotQuote(`${b}\n${br.type}`)}];`);
  }
  for (const e of labEdges(lab)) {
    const note = `${portNote(lab.bridges[e.a], e.aIf)}${portNote(lab.bridges[e.b], e.bIf)}`;
    const label = [e.aIf, ifaceLabel(lab, e.a, e.aIf), "/", e.bIf].filter(Boolean).join(" ") +
      note;
    out.push(`  ${dotQuote(e.a)} -- ${dotQuote(e.b)} [label=${dotQuote(label)}];`);
  }
  out.push("}");
  return out.join("\n") + "\n";
}
