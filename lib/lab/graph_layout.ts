/**
 * Where everything of a lab's picture goes: the {@link LabGraph} laid out by elkjs (the Eclipse
 * Layout Kernel's layered algorithm, left to right, orthogonal edges). Each interface is a port
 * on its node's border, labelled inside the node with its name and addresses (a bridge port with
 * its VLAN tag and OVS notes); the layout sizes each node to hold its labels, places tunnel and
 * uplink labels on their edges, and in a multi-host lab draws a box per host role around its
 * nodes. The SVG (graph_svg.ts) and the web page (lib/ui/) draw exactly this. elkjs is loaded on
 * the first call only (see lib/deps/elkjs.ts for its cost).
 *
 * Text is measured as monospace: the SVG sets a monospace font, whose advance per character is
 * fixed ({@link CHAR_WIDTH} at {@link FONT_SIZE}), so the layout's sizes hold without a browser.
 *
 * @module
 */
import type { ElkExtendedEdge, ElkNode, ElkPort } from "../deps/elkjs.ts";
import type { GraphEnd, GraphLink, GraphNode, LabGraph } from "./graph_model.ts";

/** The font size of every label, in pixels. */
export const FONT_SIZE = 12;
/** The advance of one character of a monospace font at {@link FONT_SIZE} (0.6 em, rounded up). */
export const CHAR_WIDTH = 7.4;
/** The height of one line of text. */
export const LINE_HEIGHT = 15;

/** A rectangle. */
interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A label: its box and its lines. */
export interface LaidLabel extends Box {
  lines: string[];
}

/** A node, placed. */
interface LaidNode extends Box {
  /** The node of the graph. */
  node: GraphNode;
  /** Its title's box (name and kind). */
  title: LaidLabel;
}

/** A link end, placed: a port on its node's border. */
interface LaidEnd {
  /** `OWNER:IFNAME`. */
  key: string;
  /** The end of the graph. */
  end: GraphEnd;
  /** The port's centre. */
  x: number;
  y: number;
  /** Its label (inside the node), when it has one. */
  label?: LaidLabel;
}

/** A link, placed. */
interface LaidLink {
  /** The link of the graph. */
  link: GraphLink;
  /** Its route, start to end. */
  points: [number, number][];
  /** Its label (tunnels, uplinks), when it has one. */
  label?: LaidLabel;
}

/** The picture, placed. */
export interface GraphLayout {
  /** The graph laid out. */
  graph: LabGraph;
  width: number;
  height: number;
  /** A box per host role of a multi-host lab. */
  groups: (Box & { host: string; title: LaidLabel })[];
  nodes: LaidNode[];
  ends: LaidEnd[];
  links: LaidLink[];
}

const KIND_TITLE: Record<GraphNode["kind"], string> = {
  host: "host",
  router: "router",
  "linux-bridge": "Linux bridge",
  "ovs-bridge": "OVS bridge",
  uplink: "uplink NIC",
  remote: "other host",
  root: "root namespace",
};

const textBox = (lines: string[]) => ({
  width: Math.ceil(Math.max(1, ...lines.map((l) => l.length)) * CHAR_WIDTH) + 4,
  height: lines.length * LINE_HEIGHT + 2,
});

/** The lines of a node's title: its name and its kind (its notes go under the picture). */
function titleLines(node: GraphNode): string[] {
  const kind = KIND_TITLE[node.kind];
  return node.kind === "uplink" || node.kind === "remote"
    ? [node.id.slice(node.id.indexOf(":") + 1), kind]
    : [node.id, kind];
}

/**
 * Which links to lay out against their a-to-b direction, so that the layered layout reads like a
 * path through the lab rather than every namespace on the left: each part of the lab is walked
 * breadth-first from one end of a longest path (a double sweep), each link pointing away from
 * that start; a namespace with a single link points at it (it sits beside what it hangs off),
 * except the far end of the walk.
 */
function reversed(graph: LabGraph): Set<string> {
  const adj = new Map<string, string[]>(graph.nodes.map((n) => [n.id, []]));
  for (const l of graph.links) {
    adj.get(l.a.owner)?.push(l.b.owner);
    adj.get(l.b.owner)?.push(l.a.owner);
  }
  const bfs = (from: string) => {
    const depth = new Map([[from, 0]]);
    const queue = [from];
    for (let i = 0; i < queue.length; i++) {
      for (const next of adj.get(queue[i]!) ?? []) {
        if (!depth.has(next)) depth.set(next, depth.get(queue[i]!)! + 1), queue.push(next);
      }
    }
    return { depth, last: queue.at(-1)! };
  };
  const depth = new Map<string, number>();
  const ends = new Set<string>();
  for (const n of graph.nodes) {
    if (depth.has(n.id)) continue;
    const start = bfs(bfs(n.id).last).depth; // from one end of a longest path
    const [first] = start.keys();
    const far = bfs(first!).last;
    ends.add(first!).add(far);
    for (const [id, d] of start) depth.set(id, d);
  }
  const isLeaf = (id: string) =>
    (adj.get(id)?.length ?? 0) === 1 && !ends.has(id) &&
    graph.nodes.some((n) => n.id === id && (n.kind === "host" || n.kind === "router"));
  const out = new Set<string>();
  for (const l of graph.links) {
    const [da, db] = [depth.get(l.a.owner) ?? 0, depth.get(l.b.owner) ?? 0];
    const backwards = isLeaf(l.a.owner) ? false : isLeaf(l.b.owner) ? true : da > db;
    if (backwards) out.add(l.id);
  }
  return out;
}

/** The lines of an end's label: its name with tag and note, then its addresses. */
function endLines(end: GraphEnd): string[] {
  if (end.ifname === "") return [];
  const first = end.tag === undefined ? end.ifname : `${end.ifname} tag ${end.tag}`;
  return [first, ...(end.note ? [end.note] : []), ...end.addresses];
}

/** The label on a link's middle: a tunnel's VNI, an uplink. */
function linkLines(link: GraphLink): string[] {
  if (link.kind === "tunnel") return [link.vni === undefined ? "tunnel" : `vxlan ${link.vni}`];
  return link.kind === "uplink" ? ["uplink"] : [];
}

const keyOf = (e: GraphEnd) => `${e.owner}:${e.ifname}`;
const portId = (e: GraphEnd) => `p\u0000${keyOf(e)}`;

/** The ELK graph: nodes with their ports (grouped by host role), edges between ports. */
function elkGraph(graph: LabGraph): ElkNode {
  const ports = new Map<string, ElkPort[]>();
  const ends = graph.links.flatMap((l) => [l.a, l.b]);
  for (const e of ends) {
    const lines = endLines(e);
    const port: ElkPort = {
      id: portId(e),
      width: 8,
      height: 8,
      labels: lines.length
        ? [{ id: `l\u0000${keyOf(e)}`, text: lines.join("\n"), ...textBox(lines) }]
        : [],
    };
    if (!ports.has(e.owner)) ports.set(e.owner, []);
    if (!ports.get(e.owner)!.some((p) => p.id === port.id)) ports.get(e.owner)!.push(port);
  }
  const elkNode = (n: GraphNode): ElkNode => {
    const title = titleLines(n);
    const box = textBox(title);
    const mine = ports.get(n.id) ?? [];
    return {
      id: `n\u0000${n.id}`,
      labels: [{ id: `t\u0000${n.id}`, text: title.join("\n"), ...box }],
      ports: mine,
      layoutOptions: {
        "elk.portConstraints": "FREE",
        "elk.nodeSize.constraints": "[PORTS, PORT_LABELS, NODE_LABELS, MINIMUM_SIZE]",
        "elk.nodeSize.minimum": `(${box.width + 24}, ${box.height + 20})`,
        "elk.nodeLabels.placement": "[H_CENTER, V_TOP, INSIDE]",
        "elk.portLabels.placement": "[INSIDE]",
        "elk.spacing.labelPortHorizontal": "6",
        "elk.spacing.labelPortVertical": "2",
        "elk.nodeLabels.padding": "[top=6,left=8,bottom=6,right=8]",
      },
    };
  };
  const top = graph.nodes.filter((n) => n.host === undefined).map(elkNode);
  const places = graph.hostPlaces ?? {};
  const groups = graph.hosts.map((h): ElkNode => {
    // A lab that is up says where each host role runs, under its name.
    const title = [`host ${h}`, ...(Object.hasOwn(places, h) ? [places[h]!] : [])];
    const box = textBox(title);
    return {
      id: `g\u0000${h}`,
      labels: [{ id: `gt\u0000${h}`, text: title.join("\n"), ...box }],
      children: graph.nodes.filter((n) => n.host === h).map(elkNode),
      layoutOptions: {
        "elk.nodeLabels.placement": "[H_LEFT, V_TOP, INSIDE]",
        "elk.padding": `[top=${box.height + 13},left=16,bottom=16,right=16]`,
        "elk.nodeSize.constraints": "[NODE_LABELS]",
      },
    };
  });
  const backwards = reversed(graph);
  const edges: ElkExtendedEdge[] = graph.links.map((l) => {
    const lines = linkLines(l);
    const [from, to] = backwards.has(l.id) ? [l.b, l.a] : [l.a, l.b];
    return {
      id: `e\u0000${l.id}`,
      sources: [portId(from)],
      targets: [portId(to)],
      labels: lines.length
        ? [{
          id: `el\u0000${l.id}`,
          text: lines.join("\n"),
          ...textBox(lines),
          layoutOptions: { "elk.edgeLabels.placement": "CENTER" },
        }]
        : [],
    };
  });
  return {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.hierarchyHandling": "INCLUDE_CHILDREN",
      "elk.json.shapeCoords": "ROOT",
      "elk.json.edgeCoords": "ROOT",
      "elk.edgeRouting": "ORTHOGONAL",
      "elk.spacing.nodeNode": "36",
      "elk.layered.spacing.nodeNodeBetweenLayers": "70",
      "elk.spacing.edgeLabel": "4",
      "elk.padding": "[top=16,left=16,bottom=16,right=16]",
    },
    children: [...top, ...groups],
    edges,
  };
}

const labelOf = (
  l: { x?: number; y?: number; width?: number; height?: number; text?: string },
) => ({
  x: l.x ?? 0,
  y: l.y ?? 0,
  width: l.width ?? 0,
  height: l.height ?? 0,
  lines: (l.text ?? "").split("\n"),
});

const boxOf = (n: ElkNode) => ({
  x: n.x ?? 0,
  y: n.y ?? 0,
  width: n.width ?? 0,
  height: n.height ?? 0,
});

let elk: Promise<{ layout(graph: ElkNode): Promise<ElkNode> }> | undefined;

/**
 * Lays `graph` out.
 *
 * @example
 * ```ts
 * import { getRecipe, validateLab } from "../../mod.ts";
 * import { labGraph } from "./graph_model.ts";
 * import { layoutGraph } from "./graph_layout.ts";
 * const laid = await layoutGraph(labGraph(validateLab(getRecipe("router").build())));
 * console.log(laid.width, laid.height, laid.nodes.length);
 * ```
 */
export async function layoutGraph(graph: LabGraph): Promise<GraphLayout> {
  elk ??= import("../deps/elkjs.ts").then(({ default: ELK }) => new ELK());
  const out = await (await elk).layout(elkGraph(graph));
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const linkById = new Map(graph.links.map((l) => [l.id, l]));
  const endByKey = new Map(graph.links.flatMap((l) => [l.a, l.b]).map((e) => [keyOf(e), e]));
  const layout: GraphLayout = {
    graph,
    width: Math.ceil(out.width ?? 0),
    height: Math.ceil(out.height ?? 0),
    groups: [],
    nodes: [],
    ends: [],
    links: [],
  };
  const visit = (n: ElkNode) => {
    const [kind, id = ""] = n.id.split("\u0000");
    if (kind === "g") {
      layout.groups.push({ ...boxOf(n), host: id, title: labelOf(n.labels?.[0] ?? {}) });
    } else if (kind === "n") {
      layout.nodes.push({ ...boxOf(n), node: byId.get(id)!, title: labelOf(n.labels?.[0] ?? {}) });
      for (const p of n.ports ?? []) {
        const key = p.id.slice(2);
        const label = p.labels?.[0];
        layout.ends.push({
          key,
          end: endByKey.get(key)!,
          x: (p.x ?? 0) + (p.width ?? 0) / 2,
          y: (p.y ?? 0) + (p.height ?? 0) / 2,
          ...(label ? { label: labelOf(label) } : {}),
        });
      }
    }
    for (const c of n.children ?? []) visit(c);
  };
  visit(out);
  for (const e of (out.edges ?? []) as ElkExtendedEdge[]) {
    const link = linkById.get(e.id.slice(2))!;
    const points: [number, number][] = (e.sections ?? []).flatMap((s) => [
      [s.startPoint.x, s.startPoint.y] as [number, number],
      ...(s.bendPoints ?? []).map((b) => [b.x, b.y] as [number, number]),
      [s.endPoint.x, s.endPoint.y] as [number, number],
    ]);
    const label = e.labels?.[0];
    layout.links.push({ link, points, ...(label ? { label: labelOf(label) } : {}) });
  }
  return layout;
}
