/**
 * A lab as a picture: a box per bridge with the links that reach it, then the links between
 * namespaces, in plain text for the terminal (boxes and lines, like a hand-drawn figure), and the
 * same graph as Mermaid or Graphviz dot for documents. Pure: data in, text out.
 *
 * @module
 */
import type { Lab } from "./schema.ts";
import { sandboxOf } from "./sandbox.ts";
import { type GraphEnd, type GraphLink, labGraph } from "./graph_model.ts";

/** What an end carries: its addresses, or `dhcp`. */
const addrs = (e: GraphEnd) => e.addresses.join(", ");

/** An end's port note, ` [in bond0]`, or nothing. */
const noteOf = (e: GraphEnd) => (e.note ? ` [${e.note}]` : "");

/** The links drawn as lines between two of the lab's own nodes (veth pairs, internal ports). */
const drawnLinks = (lab: Lab) =>
  labGraph(lab).links.filter((l) => l.kind !== "uplink" && !l.b.owner.startsWith("remote:"));

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
  const graph = labGraph(lab);
  const edges = drawnLinks(lab);
  const isBridge = (id: string) => Object.hasOwn(lab.bridges, id);
  const lines: string[] = [`lab ${lab.name}${lab.description ? `: ${lab.description}` : ""}`];
  const sandbox = sandboxOf(lab);
  if (sandbox !== undefined) lines.push(`sandbox: the bridges live in namespace ${sandbox}`);
  lines.push("");
  const drawn = new Set<string>();
  for (const node of graph.nodes.filter((n) => isBridge(n.id))) {
    const bridge = node.id;
    // A link between two bridges shows in both boxes, seen from each side.
    const mine: GraphLink[] = edges.flatMap((e) =>
      e.b.owner === bridge
        ? [e]
        : e.a.owner === bridge && isBridge(e.b.owner)
        ? [{ ...e, a: e.b, b: e.a }]
        : []
    );
    const rows = mine.map((e) => {
      const left = e.kind === "internal" ? `${e.b.ifname} (internal)` : e.b.ifname;
      const right = isBridge(e.a.owner) ? `${e.a.owner} (bridge)` : `${e.a.owner}:${e.a.ifname}`;
      drawn.add(e.a.owner);
      return [
        `${left}${e.b.tag === undefined ? "" : ` tag ${e.b.tag}`}${noteOf(e.b)}`,
        right,
        addrs(e.a),
      ];
    });
    const w0 = Math.max(4, ...rows.map((r) => r[0]!.length));
    const w1 = Math.max(4, ...rows.map((r) => r[1]!.length));
    const body = [
      ...rows.map((r) => `${r[0]!.padEnd(w0)} ──── ${r[1]!.padEnd(w1)}  ${r[2]}`.trimEnd()),
      ...node.notes,
    ];
    const title = ` ${bridge} (${node.kind === "ovs-bridge" ? "OVS" : "Linux bridge"}) `;
    const width = Math.max(title.length + 2, ...body.map((b) => b.length + 2));
    lines.push(`┌─${title}${"─".repeat(width - title.length - 1)}┐`);
    for (const b of body.length ? body : ["(no ports)"]) lines.push(`│ ${b.padEnd(width - 1)}│`);
    lines.push(`└${"─".repeat(width)}┘`, "");
  }
  const direct = edges.filter((e) => !isBridge(e.b.owner) && !isBridge(e.a.owner));
  for (const e of direct) {
    lines.push(
      `${e.a.owner}:${e.a.ifname} ${addrs(e.a)} ════ ${e.b.owner}:${e.b.ifname} ${addrs(e.b)}`
        .replace(/ +/g, " "),
    );
    drawn.add(e.a.owner).add(e.b.owner);
  }
  if (direct.length) lines.push("");
  const spaces = graph.nodes.filter((n) => n.kind === "host" || n.kind === "router");
  for (const n of spaces) if (n.notes.length) lines.push(`${n.id}: ${n.notes.join("; ")}`);
  const lonely = spaces.filter((n) => !drawn.has(n.id)).map((n) => n.id);
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
  const graph = labGraph(lab);
  const ends = new Map(
    graph.links.flatMap((l) => [l.a, l.b]).map((e) => [`${e.owner}:${e.ifname}`, e]),
  );
  for (const n of graph.nodes.filter((n) => n.kind === "host" || n.kind === "router")) {
    const ifs = n.interfaces.map((i) => `${i} ${addrs(ends.get(`${n.id}:${i}`)!)}`.trim());
    out.push(`  ${mermaidId(n.id)}["${[n.id, ...ifs].join("<br/>")}"]`);
  }
  for (const n of graph.nodes.filter((n) => n.kind.endsWith("-bridge"))) {
    out.push(`  ${mermaidId(n.id)}{{"${n.id} (${n.kind === "ovs-bridge" ? "ovs" : "linux"})"}}`);
  }
  for (const e of drawnLinks(lab)) {
    out.push(
      `  ${mermaidId(e.a.owner)} ---|"${e.a.ifname} / ${e.b.ifname}${noteOf(e.a)}${noteOf(e.b)}"| ${
        mermaidId(e.b.owner)
      }`,
    );
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
  const graph = labGraph(lab);
  for (const n of graph.nodes.filter((n) => n.kind === "host" || n.kind === "router")) {
    out.push(`  ${dotQuote(n.id)} [shape=box];`);
  }
  for (const n of graph.nodes.filter((n) => n.kind.endsWith("-bridge"))) {
    const type = n.kind === "ovs-bridge" ? "ovs" : "linux";
    out.push(`  ${dotQuote(n.id)} [shape=hexagon, label=${dotQuote(`${n.id}\n${type}`)}];`);
  }
  for (const e of drawnLinks(lab)) {
    const label = [e.a.ifname, addrs(e.a), "/", e.b.ifname].filter(Boolean).join(" ") +
      noteOf(e.a) + noteOf(e.b);
    out.push(`  ${dotQuote(e.a.owner)} -- ${dotQuote(e.b.owner)} [label=${dotQuote(label)}];`);
  }
  out.push("}");
  return out.join("\n") + "\n";
}
