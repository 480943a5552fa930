/**
 * `netkit ui`'s web server (Deno's own HTTP server): the page, the pictures of the labs that are
 * up, their live state, details on a click, and with `--control` the page's changes. The labs are
 * those up on this host and the multi-host labs this controller brought up (drawn from their
 * record, a box per host; live from each host's part, lib/ui/live_multihost.ts; the page does not
 * change them).
 *
 * Who may ask, and what:
 *
 * - it listens on 127.0.0.1 only, and answers only requests whose `Host` is `127.0.0.1:PORT` or
 *   `localhost:PORT` (a page elsewhere cannot reach it by DNS rebinding): anything else gets 403;
 * - every request needs the random token printed with the URL (compared in constant time): in
 *   the query (`?token=`, once; the answer sets it as an HttpOnly, SameSite=Strict cookie and sends
 *   the browser to `/` so the URL drops it), the cookie, or the `X-Netkit-Token` header. Without
 *   it: 401, for the page and its script as for the API;
 * - a change is a POST that carries the token in the `X-Netkit-Token` header (which no form or
 *   image of another site can send) and, when the browser says where it comes from (`Origin`), from
 *   this server; without `--control` every change is refused with 403;
 * - every lab, node, link and interface in a request is looked up among the lab's own (a `Map`,
 *   or `Object.hasOwn`); names reach commands only as argv words, never a shell.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Host } from "../host.ts";
import type { Process } from "../exec/runner.ts";
import { listLabs } from "../lab/runtime.ts";
import type { LabState } from "../lab/lab_state.ts";
import { type LabGraph, labGraph } from "../lab/graph_model.ts";
import { listRecords, type MultihostRecord } from "../multihost/record.ts";
import { placement, recordGraph } from "../multihost/picture.ts";
import { LiveReader } from "./live.ts";
import { RemoteLiveReader } from "./live_multihost.ts";
import { linkDetails, nodeDetails } from "./details.ts";
import {
  captureRequest,
  flapLink,
  impairEnd,
  impairSettings,
  nodeEnd,
  startCapture,
} from "./control.ts";
import { APP_CSS, APP_JS, pageHtml } from "./page.ts";

/** Options of {@link startUi}. */
interface UiOptions {
  /** Where the labs are. */
  host: Host;
  /** Show only this lab (it may come and go). @default every lab that is up */
  lab?: string;
  /** Let the page flap links, impair interfaces and capture. @default false */
  control?: boolean;
  /** The port. @default a free one, chosen by the kernel */
  port?: number;
  /** Stops the server. */
  signal: AbortSignal;
}

/** A running server. */
interface UiServer {
  /** The URL to open, with the token. */
  url: string;
  port: number;
  /** Resolves when the server has stopped (after the signal, every request answered). */
  finished: Promise<void>;
}

/** The most labs the page shows live at once. */
const MAX_LABS = 16;
/** The largest request body read. */
const MAX_BODY = 4096;

const enc = new TextEncoder();

/** Whether `a` equals `b`, in time that depends on their length only. */
function sameToken(a: string, b: string): boolean {
  const [x, y] = [enc.encode(a), enc.encode(b)];
  let diff = x.length ^ y.length;
  for (let i = 0; i < y.length; i++) diff |= (x[i % Math.max(1, x.length)] ?? 0) ^ y[i]!;
  return diff === 0;
}

/** A new random token: 32 bytes, hex. */
function newToken(): string {
  return [...crypto.getRandomValues(new Uint8Array(32))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

const SECURITY_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

const reply = (status: number, body: string, type = "text/plain; charset=utf-8") =>
  new Response(body, { status, headers: { ...SECURITY_HEADERS, "content-type": type } });

const jsonReply = (value: unknown, status = 200) =>
  reply(status, JSON.stringify(value), "application/json");

const errorReply = (status: number, message: string) => jsonReply({ error: message }, status);

/** A cookie's value from the request. */
function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.get("cookie") ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return undefined;
}

/**
 * A lab in view: up on this host (its state), or a multi-host lab this controller brought up (its
 * record: its parts are up on other hosts).
 */
type View = { state: LabState; record?: never } | { record: MultihostRecord; state?: never };

/** What both kinds of view have: the lab, its status, when it was brought up. */
const about = (v: View) => v.state ?? v.record;

/** The labs in view, each with its picture's model (kept while the lab stays the same). */
class Labs {
  #host: Host;
  #only: string | undefined;
  #graphs = new Map<string, { createdAt: string; graph: LabGraph; svg?: Promise<unknown> }>();

  constructor(host: Host, only: string | undefined) {
    this.#host = host;
    this.#only = only;
  }

  /** The labs that are up now (the one asked for, or the first {@link MAX_LABS}), by name. */
  async list(): Promise<Map<string, View>> {
    const [states, records] = await Promise.all([
      listLabs({ host: this.#host }),
      listRecords(this.#host.stateRoot),
    ]);
    // A multi-host lab with a part on this very host shows once, as the whole lab.
    const views = new Map<string, View>(records.map((record) => [record.lab.name, { record }]));
    for (const state of states) {
      if (!views.has(state.lab.name)) views.set(state.lab.name, { state });
    }
    const out = new Map(
      [...views].filter(([name]) => this.#only === undefined || name === this.#only)
        .sort(([a], [b]) => a.localeCompare(b)).slice(0, MAX_LABS),
    );
    for (const name of this.#graphs.keys()) if (!out.has(name)) this.#graphs.delete(name);
    return out;
  }

  /** The model of lab `view`'s picture. */
  graph(view: View): LabGraph {
    const { lab, createdAt } = about(view);
    const kept = this.#graphs.get(lab.name);
    if (kept?.createdAt === createdAt) return kept.graph;
    const graph = view.record ? recordGraph(view.record) : labGraph(lab);
    this.#graphs.set(lab.name, { createdAt, graph });
    return graph;
  }

  /** The laid-out picture of lab `view` (the SVG's body, its size, and the model). */
  picture(view: View): Promise<unknown> {
    const graph = this.graph(view);
    const kept = this.#graphs.get(about(view).lab.name)!;
    kept.svg ??= (async () => {
      const [{ layoutGraph }, { svgBody }] = await Promise.all([
        import("../lab/graph_layout.ts"),
        import("../lab/graph_svg.ts"),
      ]);
      const layout = await layoutGraph(graph);
      return { width: layout.width, height: layout.height, svg: svgBody(layout), graph };
    })();
    return kept.svg;
  }
}

/** What a request asks: the API's routes, matched on decoded path segments. */
interface Route {
  method: string;
  parts: string[];
}

/** Everything one running server keeps. */
interface Context {
  options: UiOptions;
  token: string;
  port: number;
  labs: Labs;
  live: LiveReader;
  remote: RemoteLiveReader;
  captures: Set<Process>;
}

async function readBody(req: Request): Promise<unknown> {
  const text = await req.text();
  if (text.length > MAX_BODY) throw new UsageError("Request too large");
  if (text === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError("The request body is not JSON");
  }
}

/** The lab named `name`, up and in view, or a 404. */
async function labOf(ctx: Context, name: string): Promise<View | Response> {
  const view = (await ctx.labs.list()).get(name);
  return view ?? errorReply(404, `No lab ${JSON.stringify(name)} is up`);
}

/** The state API: every lab in view (a multi-host lab with its hosts) and its live state. */
async function stateReply(ctx: Context): Promise<Response> {
  const labs = await ctx.labs.list();
  ctx.live.keepOnly(new Set(labs.keys()));
  ctx.remote.keepOnly(new Set(labs.keys()));
  const live = Object.fromEntries(
    await Promise.all([...labs].map(async ([name, v]) => {
      const graph = ctx.labs.graph(v);
      return [
        name,
        v.state ? await ctx.live.read(v.state, graph) : await ctx.remote.read(v.record, graph),
      ];
    })),
  );
  return jsonReply({
    control: ctx.options.control === true,
    labs: [...labs.values()].map((v) => ({
      name: about(v).lab.name,
      status: about(v).status,
      createdAt: about(v).createdAt,
      ...(v.record ? { hosts: placement(v.record) } : {}),
    })),
    live,
  });
}

/** The API's GETs. */
async function get(ctx: Context, route: Route): Promise<Response> {
  const [api, what, lab, kind, item] = route.parts;
  if (api !== "api") return errorReply(404, "Not found");
  if (what === "state" && route.parts.length === 2) return await stateReply(ctx);
  if (what !== "labs" || lab === undefined) return errorReply(404, "Not found");
  const view = await labOf(ctx, lab);
  if (view instanceof Response) return view;
  if (kind === "picture" && route.parts.length === 4) {
    return jsonReply(await ctx.labs.picture(view));
  }
  const { state, record } = view;
  if (kind === "nodes" && item !== undefined && route.parts.length === 5) {
    if (!Object.hasOwn(about(view).lab.nodes, item)) return errorReply(404, `No node ${item}`);
    if (record) return jsonReply(remoteNode(record, item));
    return jsonReply(await nodeDetails(ctx.options.host, state, item));
  }
  if (kind === "links" && item !== undefined && route.parts.length === 5) {
    const link = ctx.labs.graph(view).links.find((l) => l.id === item);
    if (!link) return errorReply(404, `No link ${item}`);
    // A multi-host lab's ends are on other hosts: the page shows their live state only.
    if (record) {
      return jsonReply({
        link: link.id,
        kind: link.kind,
        ends: [link.a, link.b].map((e) => ({ end: `${e.owner}:${e.ifname}` })),
      });
    }
    return jsonReply(await linkDetails(ctx.options.host, state, link));
  }
  return errorReply(404, "Not found");
}

/** A node of a multi-host lab: where it runs, and how to read it there (nothing is read here). */
function remoteNode(record: MultihostRecord, node: string) {
  const role = record.lab.nodes[node]!.host ?? "";
  const where = placement(record).find((p) => p.role === role);
  return {
    node,
    addresses: [],
    routes: [],
    neighbours: [],
    note: `${node} runs on host ${role} (${where?.machine ?? "not placed"}); the page does not ` +
      `read nodes on other hosts yet: netkit exec ${node} -- ip addr shows it`,
  };
}

/** The API's POSTs: the page's changes (`--control` only). */
async function post(ctx: Context, req: Request, route: Route): Promise<Response> {
  const [api, what, lab, kind, item, action] = route.parts;
  if (api !== "api" || what !== "labs" || kind !== "links" || route.parts.length !== 6) {
    return errorReply(404, "Not found");
  }
  if (!ctx.options.control) {
    return errorReply(403, "This page is read-only: start netkit ui with --control to change labs");
  }
  const view = await labOf(ctx, lab!);
  if (view instanceof Response) return view;
  const link = ctx.labs.graph(view).links.find((l) => l.id === item);
  if (!link) return errorReply(404, `No link ${item}`);
  if (view.record) {
    return errorReply(
      409,
      `Lab ${view.record.lab.name} is a multi-host lab: the page does not change multi-host ` +
        "labs yet (flap, impair and capture work on the labs of this host)",
    );
  }
  const state = view.state;
  const body = await readBody(req);
  const host = ctx.options.host;
  if (action === "state") {
    const want = (body as { state?: unknown }).state;
    if (want !== "down" && want !== "up") throw new UsageError('state is "down" or "up"');
    return jsonReply({ done: await flapLink(host, state, link, want) });
  }
  if (action === "impair") {
    return jsonReply({
      done: await impairEnd(host, state, nodeEnd(state, link), impairSettings(body)),
    });
  }
  if (action === "capture") {
    return capture(ctx, req, state, nodeEnd(state, link), captureRequest(body));
  }
  return errorReply(404, "Not found");
}

/** Streams a capture's pcap; it stops at its count, its time, the page going away, or shutdown. */
function capture(
  ctx: Context,
  req: Request,
  state: LabState,
  end: ReturnType<typeof nodeEnd>,
  request: ReturnType<typeof captureRequest>,
): Response {
  const child = startCapture(ctx.options.host, end, request);
  ctx.captures.add(child);
  const stop = () => child.kill("SIGINT");
  const timer = setTimeout(stop, request.seconds * 1000);
  req.signal.addEventListener("abort", stop);
  child.status.finally(() => {
    clearTimeout(timer);
    req.signal.removeEventListener("abort", stop);
    ctx.captures.delete(child);
  });
  const name = `${state.lab.name}-${end.owner}-${end.ifname}.pcap`.replace(/[^A-Za-z0-9_.-]/g, "_");
  return new Response(child.stdout, {
    headers: {
      ...SECURITY_HEADERS,
      "content-type": "application/vnd.tcpdump.pcap",
      "content-disposition": `attachment; filename="${name}"`,
    },
  });
}

/** Who is asking: a 403 or 401 when they may not, else undefined. */
function refusal(ctx: Context, req: Request, url: URL): Response | undefined {
  const allowed = [`127.0.0.1:${ctx.port}`, `localhost:${ctx.port}`];
  if (!allowed.includes(req.headers.get("host") ?? "")) {
    return reply(403, "Forbidden: this server answers only at 127.0.0.1 and localhost\n");
  }
  const given = [
    url.searchParams.get("token"),
    req.headers.get("x-netkit-token"),
    cookie(req, `netkit-ui-${ctx.port}`),
  ].filter((t): t is string => t !== null && t !== undefined);
  if (!given.some((t) => sameToken(t, ctx.token))) {
    return reply(401, "Unauthorized: open the URL netkit ui printed (it carries the token)\n");
  }
  if (req.method === "POST") {
    const header = req.headers.get("x-netkit-token");
    const origin = req.headers.get("origin");
    if (header === null || !sameToken(header, ctx.token)) {
      return errorReply(403, "A change needs the token in the X-Netkit-Token header");
    }
    if (origin !== null && !allowed.map((h) => `http://${h}`).includes(origin)) {
      return errorReply(403, "A change must come from this page");
    }
  } else if (req.method !== "GET" && req.method !== "HEAD") {
    return reply(405, "Method not allowed\n");
  }
  return undefined;
}

/** Answers one request. */
async function handle(ctx: Context, req: Request): Promise<Response> {
  const url = new URL(req.url);
  const refused = refusal(ctx, req, url);
  if (refused) return refused;
  if (url.pathname === "/" && url.searchParams.has("token")) {
    // The token moves to a cookie, and out of the address bar and the history.
    return new Response(null, {
      status: 303,
      headers: {
        ...SECURITY_HEADERS,
        location: "/",
        "set-cookie": `netkit-ui-${ctx.port}=${ctx.token}; HttpOnly; SameSite=Strict; Path=/`,
      },
    });
  }
  const path = url.pathname;
  if (req.method !== "POST") {
    if (path === "/") {
      return reply(
        200,
        pageHtml(ctx.token, ctx.options.control === true),
        "text/html; charset=utf-8",
      );
    }
    if (path === "/app.js") return reply(200, APP_JS, "text/javascript; charset=utf-8");
    if (path === "/app.css") return reply(200, APP_CSS, "text/css; charset=utf-8");
  }
  let parts: string[];
  try {
    parts = path.split("/").slice(1).map(decodeURIComponent);
  } catch {
    return errorReply(400, "Bad path");
  }
  const route = { method: req.method, parts };
  try {
    return req.method === "POST" ? await post(ctx, req, route) : await get(ctx, route);
  } catch (error) {
    if (error instanceof UsageError) return errorReply(400, error.message);
    return errorReply(500, error instanceof Error ? error.message : String(error));
  }
}

/**
 * Starts `netkit ui`'s server on 127.0.0.1 (see the module doc for who may ask what).
 *
 * @example
 * ```ts ignore
 * import { resolveHost } from "../host.ts";
 * import { startUi } from "./server.ts";
 * const stop = new AbortController();
 * const ui = await startUi({ host: resolveHost(), signal: stop.signal });
 * console.log(ui.url);
 * stop.abort();
 * await ui.finished;
 * ```
 */
export async function startUi(options: UiOptions): Promise<UiServer> {
  const token = newToken();
  const ctx: Context = {
    options,
    token,
    port: 0,
    labs: new Labs(options.host, options.lab),
    live: new LiveReader(options.host),
    remote: new RemoteLiveReader(options.host),
    captures: new Set(),
  };
  const listening = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    signal: options.signal,
    onListen: ({ port }) => listening.resolve(port),
    onError: (error) => errorReply(500, error instanceof Error ? error.message : String(error)),
  }, (req) => handle(ctx, req));
  ctx.port = await Promise.race([
    listening.promise,
    server.finished.then(() => {
      throw new Error("The server stopped before it listened");
    }),
  ]);
  options.signal.addEventListener("abort", () => {
    for (const child of ctx.captures) child.kill("SIGINT");
  });
  return {
    url: `http://127.0.0.1:${ctx.port}/?token=${token}`,
    port: ctx.port,
    // Rounds still asking other hosts end (and close their SSH connections) before it exits.
    finished: server.finished.then(() => ctx.remote.drain()),
  };
}
