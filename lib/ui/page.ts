/**
 * `netkit ui`'s page: one HTML document, its script and its style, shipped inside netkit as
 * strings (so `deno bundle` and `deno compile` carry them like any module, and nothing is fetched
 * from the internet). The script is plain JavaScript for any current browser, no framework: the
 * pictures are drawn by the server (lib/lab/graph_svg.ts, the same SVG as `netkit graph --format
 * svg`), and the script only asks `/api/state` every second and sets classes and text on the
 * picture's elements (`g.end[data-end]`, `g.link[data-link]`, `text.rate`), shows what a click
 * asks for, and with `--control` sends the page's changes (the token in `X-Netkit-Token`).
 *
 * @module
 */
import { SVG_STYLE } from "../lab/graph_svg.ts";

/** The page, for the token holder: the token goes in a meta tag for the script's POSTs. */
export function pageHtml(token: string, control: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="netkit-token" content="${token.replace(/[^0-9a-f]/g, "")}">
<title>netkit ui</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body data-control="${control}">
<header><h1>netkit ui</h1><span id="mode">${
    control ? "control: the page may change labs" : "read-only"
  }</span><span id="conn">connecting…</span></header>
<main>
<div id="labs"><p id="empty" hidden>No labs are up. A lab that comes up appears here.</p></div>
<aside id="panel"><p class="hint">Click a node or a link.</p></aside>
</main>
</body>
</html>
`;
}

/** The page's style: the picture's (graph_svg.ts) and the live states on it. */
export const APP_CSS = `${SVG_STYLE}
body { margin: 0; font-family: system-ui, sans-serif; color: #222; background: #f6f7f9; }
header { display: flex; gap: 1.5em; align-items: baseline; padding: .5em 1em; background: #223; color: #eee; }
header h1 { font-size: 1.1em; margin: 0; }
#conn.bad { color: #f88; }
main { display: flex; align-items: flex-start; gap: 1em; padding: 1em; }
#labs { flex: 1; min-width: 0; }
section.lab { background: #fff; border: 1px solid #ccd; border-radius: 6px; margin-bottom: 1em; padding: .5em 1em; }
section.lab h2 { font-size: 1em; margin: .2em 0 .5em; }
section.lab .picture { overflow: auto; }
section.lab .ovs { font-size: .85em; }
aside#panel { width: 26em; background: #fff; border: 1px solid #ccd; border-radius: 6px; padding: .5em 1em;
  max-height: 85vh; overflow: auto; font-size: .9em; }
aside pre { white-space: pre-wrap; font-size: .85em; background: #f3f3f6; padding: .4em; }
table { border-collapse: collapse; } td, th { padding: 1px 6px; text-align: left; border-bottom: 1px solid #eee; }
.node, .link { cursor: pointer; }
.node:hover rect, .link:hover .wire { filter: brightness(.9); stroke-width: 3; }
.selected rect, .selected .wire { stroke: #d60 !important; stroke-width: 3 !important; }
.end.down circle, .end.missing circle { fill: #d22; }
.link.down .wire { stroke: #d22; stroke-dasharray: 5 4; }
.end.impaired circle { fill: #e90; }
.link.impaired .rate { fill: #b60; }
.controls button { margin: 2px; }
.controls input { width: 6em; }
.error { color: #b00; }
`;

/** The page's script. */
export const APP_JS = String.raw`"use strict";
const TOKEN = document.querySelector('meta[name="netkit-token"]').content;
const CONTROL = document.body.dataset.control === "true";
const SVGNS = "http://www.w3.org/2000/svg";
const shown = new Map(); // lab name -> { section, createdAt, graph }
let lastLive = {};
let selected = null; // { lab, kind: "node"|"link", id }

function api(path, body) {
  const init = { headers: { "x-netkit-token": TOKEN } };
  if (body !== undefined) {
    init.method = "POST";
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(path, init);
}
const enc = encodeURIComponent;
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
};
function rate(bps) {
  if (!bps) return "0";
  const u = [[1e9, "G"], [1e6, "M"], [1e3, "k"]].find(([n]) => bps >= n);
  return u ? +(bps / u[0]).toFixed(1) + " " + u[1] + "b/s" : bps + " b/s";
}

async function addLab(lab) {
  const r = await api("/api/labs/" + enc(lab.name) + "/picture");
  if (!r.ok) return;
  const pic = await r.json();
  const section = el("section", { class: "lab", "data-lab": lab.name });
  const where = lab.hosts ? " on " + lab.hosts.length + " hosts: " + lab.hosts.map((h) => h.role + " " + h.machine).join(", ") : "";
  section.append(el("h2", {}, "lab " + lab.name + " (" + lab.status + ")" + where));
  const holder = el("div", { class: "picture" });
  const svg = document.createElementNS(SVGNS, "svg");
  svg.setAttribute("class", "netkit");
  svg.setAttribute("width", pic.width);
  svg.setAttribute("height", pic.height);
  svg.setAttribute("viewBox", "0 0 " + pic.width + " " + pic.height);
  svg.innerHTML = pic.svg;
  holder.append(svg);
  section.append(el("p", { class: "error live-error", hidden: "" }), holder, el("div", { class: "ovs" }));
  for (const g of svg.querySelectorAll("g.node")) {
    g.addEventListener("click", () => select(lab.name, "node", g.dataset.node, g));
  }
  for (const g of svg.querySelectorAll("g.link")) {
    g.addEventListener("click", () => select(lab.name, "link", g.dataset.link, g));
  }
  document.getElementById("labs").append(section);
  shown.set(lab.name, { section, createdAt: lab.createdAt, graph: pic.graph });
}

function setText(node, text) {
  if (node && node.textContent !== text) node.textContent = text;
}

function applyLive(name, live) {
  const v = shown.get(name);
  if (!v) return;
  const ends = live.ends || {};
  for (const g of v.section.querySelectorAll("g.end")) {
    const e = ends[g.dataset.end];
    g.classList.toggle("down", !!e && e.state === "down");
    g.classList.toggle("missing", !!e && e.state === "missing");
    g.classList.toggle("up", !!e && e.state === "up");
    g.classList.toggle("impaired", !!e && !!e.impaired);
  }
  for (const g of v.section.querySelectorAll("g.link")) {
    const a = ends[g.dataset.a], b = ends[g.dataset.b];
    const down = [a, b].some((e) => e && e.state !== "up");
    g.classList.toggle("down", down);
    g.classList.toggle("impaired", [a, b].some((e) => e && e.impaired));
    const e = a || b;
    let tx = "", rx = "";
    if (down) tx = "down";
    else if (e && (e.txBps || e.rxBps)) { tx = "→ " + rate(e.txBps); rx = "← " + rate(e.rxBps); }
    const imp = [a, b].filter((x) => x && x.impaired).map((x) => x.impaired);
    if (imp.length) rx = (rx ? rx + " " : "") + imp.join("; ");
    setText(g.querySelector("text.rate.tx"), tx);
    setText(g.querySelector("text.rate.rx"), rx);
  }
  renderOvs(v.section.querySelector(".ovs"), live.ovs || {});
  const failed = v.section.querySelector(".live-error");
  failed.hidden = !live.error;
  setText(failed, live.error ? "cannot read its hosts: " + live.error : "");
  if (selected && selected.lab === name && selected.kind === "link") renderLinkLive();
}

function renderOvs(box, ovs) {
  const parts = [];
  if (ovs.flows && ovs.flows.length) {
    const t = el("table", {}, el("tr", {}, el("th", {}, "bridge"), el("th", {}, "flow"), el("th", {}, "actions"), el("th", {}, "packets")));
    for (const f of ovs.flows) {
      t.append(el("tr", {}, el("td", {}, f.bridge), el("td", {}, "priority=" + f.priority + (f.match ? "," + f.match : "")), el("td", {}, f.actions), el("td", {}, String(f.nPackets))));
    }
    parts.push(el("h3", {}, "flows"), t);
  }
  for (const b of ovs.bonds || []) {
    parts.push(el("p", {}, "bond " + b.name + " (" + b.mode + ", lacp " + b.lacp + "): " +
      b.members.map((m) => m.name + " " + m.link).join(", ") + (b.active ? "; active " + b.active : "")));
  }
  for (const m of ovs.mirrors || []) {
    parts.push(el("p", {}, "mirror " + m.name + ": " + (m.select === "all" ? "every port" : m.select.join(", ")) +
      " -> " + m.output + (m.txPackets !== undefined ? " (" + m.txPackets + " packets)" : "")));
  }
  for (const q of ovs.qos || []) parts.push(el("p", {}, "qos " + q.port + ": " + q.type + (q.maxRate ? " " + rate(q.maxRate) : "")));
  box.replaceChildren(...parts);
}

function select(lab, kind, id, g) {
  for (const s of document.querySelectorAll(".selected")) s.classList.remove("selected");
  g.classList.add("selected");
  selected = { lab, kind, id };
  return kind === "node" ? showNode(lab, id) : showLink(lab, id);
}

const panel = () => document.getElementById("panel");
const pre = (v) => el("pre", {}, typeof v === "string" ? v : JSON.stringify(v, null, 1));

async function showNode(lab, node) {
  const p = panel();
  p.replaceChildren(el("h2", {}, node), el("p", {}, "reading…"));
  const r = await api("/api/labs/" + enc(lab) + "/nodes/" + enc(node));
  const d = await r.json();
  if (!r.ok) return p.replaceChildren(el("p", { class: "error" }, d.error || String(r.status)));
  const n = shown.get(lab)?.graph.nodes.find((x) => x.id === node);
  const out = [el("h2", { "data-details": node }, node), el("p", {}, n ? n.kind + (n.host ? " on host " + n.host : "") : "")];
  if (n && n.notes.length) out.push(el("ul", {}, ...n.notes.map((x) => el("li", {}, x))));
  if (d.note) return p.replaceChildren(...out, el("p", { class: "hint" }, d.note));
  out.push(el("h3", {}, "addresses"));
  const addrs = [];
  for (const i of d.addresses) for (const a of i.addr_info || []) addrs.push(i.ifname + " " + i.operstate + " " + a.local + "/" + a.prefixlen);
  out.push(pre(addrs.join("\n")));
  out.push(el("h3", {}, "routes"), pre(d.routes.map((x) => [x.dst, x.gateway ? "via " + x.gateway : "", x.dev ? "dev " + x.dev : "", x.protocol || ""].join(" ").trim()).join("\n")));
  out.push(el("h3", {}, "neighbours"), pre(d.neighbours.map((x) => [x.dst, x.lladdr || "", x.dev, (x.state || []).join(",")].join(" ")).join("\n")));
  if (d.frr) {
    out.push(el("h3", {}, "FRR neighbours"));
    for (const [k, v] of Object.entries(d.frr)) out.push(el("h4", {}, k), pre(v));
  }
  p.replaceChildren(...out);
}

async function showLink(lab, id) {
  const p = panel();
  p.replaceChildren(el("h2", {}, id), el("p", {}, "reading…"));
  const r = await api("/api/labs/" + enc(lab) + "/links/" + enc(id));
  const d = await r.json();
  if (!r.ok) return p.replaceChildren(el("p", { class: "error" }, d.error || String(r.status)));
  const out = [el("h2", { "data-details": id }, id), el("p", {}, d.kind), el("div", { id: "linklive" })];
  for (const e of d.ends) {
    out.push(el("h3", {}, e.end));
    const s = e.link && e.link.stats64;
    out.push(s ? pre("state " + e.link.operstate + "\nrx " + s.rx.bytes + " bytes " + s.rx.packets + " packets " + s.rx.errors + " errors " + s.rx.dropped + " dropped\ntx " + s.tx.bytes + " bytes " + s.tx.packets + " packets " + s.tx.errors + " errors " + s.tx.dropped + " dropped") : el("p", {}, "not on this host"));
  }
  if (CONTROL) out.push(controls(lab, id));
  else out.push(el("p", { class: "hint" }, "Read-only: start netkit ui with --control to flap, impair or capture."));
  p.replaceChildren(...out);
  renderLinkLive();
}

function renderLinkLive() {
  const box = document.getElementById("linklive");
  const v = selected && shown.get(selected.lab);
  if (!box || !v) return;
  const g = [...v.section.querySelectorAll("g.link")].find((x) => x.dataset.link === selected.id);
  if (!g) return;
  const live = (lastLive[selected.lab] || {}).ends || {};
  const line = (k) => live[k] && live[k].host !== undefined ? k + ": " + live[k].state + " (host " + live[k].host + ")" + (live[k].impaired ? ", " + live[k].impaired : "") : live[k] ? k + ": " + live[k].state + ", → " + rate(live[k].txBps) + ", ← " + rate(live[k].rxBps) + (live[k].impaired ? ", " + live[k].impaired : "") : k + ": -";
  box.replaceChildren(pre(line(g.dataset.a) + "\n" + line(g.dataset.b)));
}

function controls(lab, id) {
  const base = "/api/labs/" + enc(lab) + "/links/" + enc(id) + "/";
  const msg = el("p", { class: "result" });
  const send = async (what, body) => {
    msg.textContent = "…";
    const r = await api(base + what, body);
    const d = await r.json().catch(() => ({}));
    msg.textContent = r.ok ? d.done : "refused: " + (d.error || r.status);
    msg.className = r.ok ? "result" : "result error";
  };
  const button = (text, fn, attrs = {}) => {
    const b = el("button", attrs, text);
    b.addEventListener("click", fn);
    return b;
  };
  const field = (name, ph) => el("input", { name, placeholder: ph });
  const rateI = field("rate", "10mbit"), lossI = field("loss", "2%"), delayI = field("delay", "20ms"), jitterI = field("jitter", "5ms");
  const countI = el("input", { name: "count", value: "1000" }), secsI = el("input", { name: "seconds", value: "30" });
  const capMsg = el("span");
  let abort = null;
  const startCap = async () => {
    abort = new AbortController();
    const chunks = [];
    let n = 0;
    capMsg.textContent = "capturing…";
    try {
      const r = await fetch(base + "capture", { method: "POST", signal: abort.signal, headers: { "x-netkit-token": TOKEN, "content-type": "application/json" }, body: JSON.stringify({ count: Number(countI.value), seconds: Number(secsI.value) }) });
      if (!r.ok) { capMsg.textContent = "refused: " + ((await r.json().catch(() => ({}))).error || r.status); return; }
      const reader = r.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value); n += value.length;
        capMsg.textContent = "capturing… " + n + " bytes";
      }
    } catch (e) { /* stopped */ }
    const a = el("a", { href: URL.createObjectURL(new Blob(chunks, { type: "application/vnd.tcpdump.pcap" })), download: lab + ".pcap" }, "download pcap (" + n + " bytes)");
    capMsg.replaceChildren(a);
    abort = null;
  };
  return el("div", { class: "controls" },
    el("h3", {}, "change"),
    button("link down", () => send("state", { state: "down" }), { "data-action": "down" }),
    button("link up", () => send("state", { state: "up" }), { "data-action": "up" }),
    el("h4", {}, "impair (traffic leaving the first end)"),
    rateI, lossI, delayI, jitterI,
    button("apply", () => send("impair", { rate: rateI.value, loss: lossI.value, delay: delayI.value, jitter: jitterI.value })),
    button("clear", () => send("impair", { clear: true })),
    el("h4", {}, "capture (first end)"), "packets ", countI, " seconds ", secsI,
    button("start", () => { if (!abort) startCap(); }), button("stop", () => abort && abort.abort()), capMsg,
    msg);
}

function setConn(text, bad) {
  const c = document.getElementById("conn");
  c.textContent = text;
  c.classList.toggle("bad", bad);
}

async function tick() {
  let state;
  try {
    const r = await api("/api/state");
    if (!r.ok) throw new Error("HTTP " + r.status);
    state = await r.json();
  } catch (e) {
    setConn("disconnected (" + e.message + ")", true);
    return;
  }
  setConn("live, " + new Date().toLocaleTimeString(), false);
  const names = new Set(state.labs.map((l) => l.name));
  for (const [name, v] of shown) {
    if (!names.has(name)) { v.section.remove(); shown.delete(name); }
  }
  for (const lab of state.labs) {
    const v = shown.get(lab.name);
    if (v && v.createdAt === lab.createdAt) continue;
    if (v) { v.section.remove(); shown.delete(lab.name); }
    await addLab(lab);
  }
  document.getElementById("empty").hidden = state.labs.length > 0;
  lastLive = state.live;
  for (const [name, live] of Object.entries(state.live)) applyLive(name, live);
  document.body.dataset.ready = "true";
}

(async () => {
  for (;;) {
    const t = Date.now();
    await tick();
    await new Promise((r) => setTimeout(r, Math.max(100, 1000 - (Date.now() - t))));
  }
})();
`;
