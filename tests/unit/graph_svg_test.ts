/**
 * `netkit graph --format svg`: the picture of every recipe and example lab is well-formed SVG
 * (read back by an XML parser, as a document tool would) that draws every node, link and
 * interface of the lab's one model, laid out without overlaps.
 */
import { assert, assertEquals, assertMatch, assertThrows } from "../helpers/assert.ts";
import { recipes, validateLab } from "../../mod.ts";
import { XMLParser } from "../../lib/deps/fast_xml_parser.ts";
import { labGraph } from "../../lib/lab/graph_model.ts";
import { layoutGraph } from "../../lib/lab/graph_layout.ts";
import { graphSvg, xmlEscape } from "../../lib/lab/graph_svg.ts";
import { loadLabFile } from "../../lib/lab/file.ts";
import type { Lab } from "../../lib/lab/schema.ts";

type XmlNode = Record<string, unknown>;

/** Every element named `tag` in the parsed document, with its attributes (`@_name`). */
function elements(node: unknown, tag: string, found: XmlNode[] = []): XmlNode[] {
  if (Array.isArray(node)) { for (const n of node) elements(n, tag, found); }
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === tag) { for (const e of Array.isArray(v) ? v : [v]) found.push(e as XmlNode); }
      elements(v, tag, found);
    }
  }
  return found;
}

/** The text of every `<tspan>` (the words a reader of the picture sees). */
const words = (doc: unknown) =>
  elements(doc, "tspan").map((t) => String(typeof t === "object" ? t["#text"] ?? "" : t));

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@_" });

async function labs(): Promise<[string, Lab][]> {
  const out: [string, Lab][] = [...recipes.values()].map((r) => [r.name, validateLab(r.build())]);
  for await (const e of Deno.readDir(new URL("../../examples/labs/", import.meta.url))) {
    if (!e.name.endsWith(".yaml") || e.name.startsWith("star-")) continue;
    const path = new URL(`../../examples/labs/${e.name}`, import.meta.url).pathname;
    out.push([e.name, await loadLabFile(path)]);
  }
  return out.sort(([a], [b]) => a.localeCompare(b));
}

const overlap = (a: { x: number; y: number; width: number; height: number }, b: typeof a) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

Deno.test("graphSvg() draws every recipe and example lab as well-formed SVG naming every node", async () => {
  const all = await labs();
  assert(all.length >= recipes.size + 3, `${all.length} labs`);
  for (const [name, lab] of all) {
    const graph = labGraph(lab);
    const layout = await layoutGraph(graph);
    const svg = graphSvg(layout);
    // Well-formed: the parser's validation throws on any error, with its line.
    const doc = parser.parse(svg, true);
    const root = elements(doc, "svg")[0]!;
    assertEquals(root["@_xmlns"], "http://www.w3.org/2000/svg", name);
    const drawnNodes = elements(doc, "g").filter((g) => g["@_data-node"] !== undefined);
    const ids = graph.nodes.map((n) => n.id).sort();
    assertEquals(drawnNodes.map((g) => String(g["@_data-node"])).sort(), ids, name);
    // Each namespace and bridge is named in the picture's own text, and each interface too.
    const text = words(doc);
    for (const n of [...Object.keys(lab.nodes), ...Object.keys(lab.bridges)]) {
      assert(text.includes(n), `${name}: ${n} is not named in the picture`);
    }
    for (const l of graph.links) {
      for (const e of [l.a, l.b]) {
        if (e.ifname) assert(text.some((t) => t.startsWith(e.ifname)), `${name}: ${e.ifname}`);
      }
    }
    const drawnLinks = elements(doc, "g").filter((g) => g["@_data-link"] !== undefined);
    assertEquals(drawnLinks.length, graph.links.length, name);
    // Laid out, not piled up: no two nodes overlap, each inside the picture.
    for (const [i, a] of layout.nodes.entries()) {
      assert(a.x >= 0 && a.y >= 0 && a.x + a.width <= layout.width, `${name}: ${a.node.id}`);
      for (const b of layout.nodes.slice(i + 1)) {
        assert(!overlap(a, b), `${name}: ${a.node.id} overlaps ${b.node.id}`);
      }
    }
    for (const l of layout.links) assert(l.points.length >= 2, `${name}: ${l.link.id} not routed`);
  }
});

Deno.test("graphSvg() draws kinds, VLAN tags, internal ports, bonds and a multi-host lab's tunnel", async () => {
  const svgOf = async (lab: Lab) => graphSvg(await layoutGraph(labGraph(lab)));
  const vlan = await svgOf(validateLab(recipes.get("ovs-vlan")!.build()));
  assertMatch(vlan, /class="node ovs-bridge" data-node="br0"/);
  assertMatch(vlan, /class="node host" data-node="h1"/);
  assertMatch(vlan, />vif1 tag 10</);
  assertMatch(await svgOf(validateLab(recipes.get("router")!.build())), /class="node router"/);
  assertMatch(
    await svgOf(validateLab(recipes.get("ovs-internal")!.build())),
    /class="link internal"/,
  );
  assertMatch(await svgOf(validateLab(recipes.get("ovs-bond")!.build())), />in bond0</);
  const path = new URL("../../examples/labs/two-hosts.yaml", import.meta.url).pathname;
  const two = await svgOf(await loadLabFile(path));
  assertMatch(two, /class="group" data-host="h1"/);
  assertMatch(two, /class="link tunnel"/);
});

Deno.test("graphSvg() escapes the lab's text: a description cannot add markup", async () => {
  const lab = validateLab({
    name: "esc",
    description: `</title><script>alert(1)</script> & "q"`,
    nodes: { a: {}, b: {} },
    links: [{ endpoints: ["a:eth0", "b:eth0"] }],
  });
  const svg = graphSvg(await layoutGraph(labGraph(lab)));
  assert(!svg.includes("<script"), svg);
  assertMatch(svg, /&#60;\/title&#62;&#60;script&#62;/);
  parser.parse(svg, true);
  assertEquals(xmlEscape(`<&>"'`), "&#60;&#38;&#62;&#34;&#39;");
  assertThrows(() => parser.parse(`<svg><g></svg>`, true));
});

Deno.test("docs/router.svg, the picture in docs/pictures.md, is what graph --format svg draws today", async () => {
  const drawn = graphSvg(await layoutGraph(labGraph(validateLab(recipes.get("router")!.build()))));
  const kept = await Deno.readTextFile(new URL("../../docs/router.svg", import.meta.url));
  assertEquals(kept, drawn, "regenerate it: netkit graph router --format svg > docs/router.svg");
});
