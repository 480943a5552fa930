/**
 * The lab as an SVG picture: {@link GraphLayout} (the lab's one model, laid out by elkjs) drawn as
 * a standalone SVG document for documents (`netkit graph --format svg`), and the very same
 * drawing inside `netkit ui`'s page, where the live state is added by class and text on the
 * elements this names:
 *
 * - `g.node[data-node=ID]` (class `host`, `router`, `linux-bridge`, `ovs-bridge`, `uplink`,
 *   `remote`), with the node's title and notes (`<title>`, a tooltip);
 * - `g.link[data-link=ID][data-a=END][data-b=END]` (class `veth`, `internal`, `uplink`, `tunnel`)
 *   with its path (`path.wire`, and a wider invisible `path.hit` to click) and an empty
 *   `text.rate.tx` and `text.rate.rx` on its longest segment;
 * - `g.end[data-end=OWNER:IFNAME]`: a port (a dot on the node's border) and its label.
 *
 * Every text of the lab is escaped; nothing else of the lab reaches the document.
 *
 * @module
 */
import {
  CHAR_WIDTH,
  FONT_SIZE,
  type GraphLayout,
  type LaidLabel,
  LINE_HEIGHT,
} from "./graph_layout.ts";
import type { GraphNode } from "./graph_model.ts";

/** `s` as XML character data or an attribute value. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const n1 = (v: number) => Math.round(v * 10) / 10;

/** The style of the picture (also the page's, lib/ui/page.ts adds the live states). */
export const SVG_STYLE = `
svg.netkit { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: ${FONT_SIZE}px; }
.node rect { stroke: #334; stroke-width: 1.2; }
.node.host rect { fill: #e8f1fb; }
.node.router rect { fill: #fdebd3; stroke-width: 2; }
.node.linux-bridge rect { fill: #e7f5e6; }
.node.ovs-bridge rect { fill: #efe6f7; stroke-width: 2.4; }
.node.uplink rect { fill: #fff; stroke-dasharray: 4 3; }
.node.remote rect { fill: #f3f3f3; stroke-dasharray: 4 3; }
.node .title { font-weight: bold; }
.node .kind, .end .addr { fill: #556; }
.notes text { fill: #444; white-space: pre; }
.group rect { fill: none; stroke: #99a; stroke-dasharray: 6 4; }
.group text { fill: #667; font-weight: bold; }
.link path { fill: none; }
.link .hit { stroke: transparent; stroke-width: 12; }
.link .wire { stroke: #445; stroke-width: 1.6; }
.link.internal .wire { stroke-dasharray: 2 3; }
.link.tunnel .wire { stroke: #26a; stroke-dasharray: 8 4; stroke-width: 2; }
.link.uplink .wire { stroke: #a62; }
.link .label { fill: #236; }
.link .rate { fill: #236; font-size: ${FONT_SIZE - 2}px; }
.end circle { fill: #4a4; stroke: #234; }
`;

/** Lines of text at a label's box, one `<tspan>` each; `cls` for each line by index. */
function textOf(
  label: LaidLabel,
  cls: (i: number) => string,
  anchor: "start" | "middle" = "start",
) {
  const x = anchor === "middle" ? label.x + label.width / 2 : label.x + 2;
  const spans = label.lines.map((line, i) =>
    `<tspan x="${n1(x)}" y="${n1(label.y + (i + 1) * LINE_HEIGHT - 3)}" class="${cls(i)}">${
      xmlEscape(line)
    }</tspan>`
  );
  return `<text text-anchor="${anchor}">${spans.join("")}</text>`;
}

/** A node's outline: a box, rounder for a router, square for a bridge. */
function outline(n: { x: number; y: number; width: number; height: number }, node: GraphNode) {
  const r = node.kind === "router" ? 14 : node.kind.endsWith("bridge") ? 2 : 6;
  return `<rect x="${n1(n.x)}" y="${n1(n.y)}" width="${n1(n.width)}" height="${n1(n.height)}" ` +
    `rx="${r}"/>`;
}

/** The middle of the longest segment of a route. */
function longestMiddle(points: [number, number][]): [number, number] {
  let best: [number, number] = points[0] ?? [0, 0];
  let length = -1;
  for (let i = 1; i < points.length; i++) {
    const [[x0, y0], [x1, y1]] = [points[i - 1]!, points[i]!];
    const d = Math.hypot(x1 - x0, y1 - y0);
    if (d > length) [length, best] = [d, [(x0 + x1) / 2, (y0 + y1) / 2]];
  }
  return best;
}

/** The drawing's elements (no `<svg>` around them): groups, links, nodes, ends. */
export function svgBody(layout: GraphLayout): string {
  const out: string[] = [];
  for (const g of layout.groups) {
    out.push(
      `<g class="group" data-host="${xmlEscape(g.host)}"><rect x="${n1(g.x)}" y="${n1(g.y)}" ` +
        `width="${n1(g.width)}" height="${n1(g.height)}" rx="8"/>${textOf(g.title, () => "")}</g>`,
    );
  }
  for (const l of layout.links) {
    const d = l.points.map(([x, y], i) => `${i ? "L" : "M"}${n1(x)} ${n1(y)}`).join(" ");
    // The live rates go on the longest segment: sent above it, received below.
    const [mx, my] = longestMiddle(l.points);
    out.push(
      `<g class="link ${l.link.kind}" data-link="${xmlEscape(l.link.id)}" ` +
        `data-a="${xmlEscape(`${l.link.a.owner}:${l.link.a.ifname}`)}" ` +
        `data-b="${xmlEscape(`${l.link.b.owner}:${l.link.b.ifname}`)}">` +
        `<title>${xmlEscape(`${l.link.kind} ${l.link.id}`)}</title>` +
        `<path class="hit" d="${d}"/><path class="wire" d="${d}"/>` +
        (l.label ? textOf(l.label, () => "label") : "") +
        `<text class="rate tx" x="${n1(mx)}" y="${n1(my - 4)}" text-anchor="middle"></text>` +
        `<text class="rate rx" x="${n1(mx)}" y="${n1(my + 12)}" text-anchor="middle"></text></g>`,
    );
  }
  for (const n of layout.nodes) {
    const tip = [n.node.id, ...n.node.notes].join("\n");
    out.push(
      `<g class="node ${n.node.kind}" data-node="${xmlEscape(n.node.id)}">` +
        `<title>${xmlEscape(tip)}</title>${outline(n, n.node)}` +
        textOf(n.title, (i) => (i === 0 ? "title" : "kind"), "middle") + `</g>`,
    );
  }
  for (const e of layout.ends) {
    out.push(
      `<g class="end" data-end="${xmlEscape(e.key)}">` +
        `<circle cx="${n1(e.x)}" cy="${n1(e.y)}" r="4"/>` +
        (e.label ? textOf(e.label, (i) => (i === 0 ? "ifname" : "addr")) : "") + `</g>`,
    );
  }
  return out.join("\n");
}

/**
 * The lab's picture as a standalone SVG document.
 *
 * @example
 * ```ts
 * import { getRecipe, validateLab } from "../../mod.ts";
 * import { labGraph } from "./graph_model.ts";
 * import { layoutGraph } from "./graph_layout.ts";
 * import { graphSvg } from "./graph_svg.ts";
 * const svg = graphSvg(await layoutGraph(labGraph(validateLab(getRecipe("router").build()))));
 * console.log(svg.length > 0);
 * ```
 */
export function graphSvg(layout: GraphLayout): string {
  const { graph } = layout;
  const title = `lab ${graph.name}${graph.description ? `: ${graph.description}` : ""}`;
  // Under the picture: what each node does (NAT, DHCP, routing, routes, bonds, mirrors, flows).
  const notes = graph.nodes.flatMap((n) =>
    n.notes.map((note, i) => `${i ? " ".repeat(n.id.length) : n.id}  ${note}`)
  );
  const top = layout.height + (notes.length ? 8 : 0);
  const width = Math.ceil(Math.max(layout.width, ...notes.map((l) => l.length * CHAR_WIDTH + 36)));
  const height = Math.ceil(top + notes.length * LINE_HEIGHT + (notes.length ? 16 : 0));
  const footer = notes.length
    ? `<g class="notes">${
      textOf({ x: 16, y: top, width: width - 32, height: 0, lines: notes }, () => "note")
    }</g>`
    : "";
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" class="netkit" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" data-lab="${xmlEscape(graph.name)}">
<title>${xmlEscape(title)}</title>
<style>${SVG_STYLE}</style>
<rect width="100%" height="100%" fill="#fff"/>
${svgBody(layout)}
${footer}
</svg>
`;
}
