/**
 * `netkit ui` in a real browser (root, Debian's chromium driven headless by puppeteer-core): the
 * router recipe's lab appears on the open page when it comes up; every node and link is drawn;
 * `netkit link` taking rt:eth1 down shows on the page within 2 s, and up again; the token is
 * needed for everything (401 without it, 403 for a foreign Host); the page cannot change anything
 * without `--control`, and with it flaps the link itself; the lab going down disappears from the
 * page; Ctrl-C stops the server with exit code 0. Whatever happens, the browser and the servers
 * are gone and the lab is down at the end.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import {
  assertHostUnchanged,
  isRoot,
  netkit,
  sh,
  snapshot,
  useTestState,
} from "../helpers/host.ts";
import puppeteer, { type Browser, type Page } from "../../lib/deps/puppeteer_core.ts";
import { labGraph } from "../../lib/lab/graph_model.ts";
import { recipes, validateLab } from "../../mod.ts";

useTestState("ui");
const CHROMIUM = "/usr/bin/chromium";
const hasChromium = await Deno.stat(CHROMIUM).then(() => true, () => false);
const opts = { ignore: !isRoot || !hasChromium, sanitizeResources: false, sanitizeOps: false };
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

const LAB = "ui-router";
const RT = "ui-rt";
const LINK = `${RT}:eth1--ui-br-ex:ui-link-ex-br`;
const linkSel = `g.link[data-link="${LINK}"]`;

/** A running `netkit ui`. */
interface Ui {
  url: string;
  port: number;
  token: string;
  child: Deno.ChildProcess;
  /** Ctrl-C, and its exit code (bounded: SIGKILL after 10 s, then code -1). */
  stop(): Promise<number>;
}

/** Starts `netkit ui --no-open ARGS` and reads the URL from its first line (within 20 s). */
async function startUi(args: string[]): Promise<Ui> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", MAIN, "ui", "--no-open", ...args],
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = setTimeout(() => child.kill("SIGKILL"), 20_000);
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) break;
    text += value;
  }
  clearTimeout(deadline);
  // Keep reading what it prints after, so it never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done);
  })().catch(() => {});
  const url = text.split("\n")[0]!;
  const m = /^http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{64})$/.exec(url);
  assert(m, `the first line is the URL with its token: ${JSON.stringify(text)}`);
  let stopped: Promise<number> | undefined;
  return {
    url,
    port: Number(m[1]),
    token: m[2]!,
    child,
    stop() {
      stopped ??= (async () => {
        try {
          child.kill("SIGINT");
        } catch { /* already gone */ }
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        const status = await child.status;
        clearTimeout(timer);
        return status.signal === "SIGKILL" ? -1 : status.code;
      })();
      return stopped;
    },
  };
}

/** A raw HTTP/1.1 GET (so the Host header is exactly `host`); its status code. */
async function rawGet(port: number, path: string, host: string, token?: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const head = [`GET ${path} HTTP/1.1`, `Host: ${host}`, "Connection: close"];
    if (token) head.push(`X-Netkit-Token: ${token}`);
    await conn.write(new TextEncoder().encode(head.join("\r\n") + "\r\n\r\n"));
    const buf = new Uint8Array(256);
    const n = await conn.read(buf) ?? 0;
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(new TextDecoder().decode(buf.subarray(0, n)))?.[1]);
  } finally {
    conn.close();
  }
}

/** Waits until `fn` holds in the page; the time it took, in ms (fails after `ms`). */
async function within(page: Page, ms: number, what: string, fn: string): Promise<number> {
  const t0 = performance.now();
  try {
    await page.waitForFunction(fn, { timeout: ms, polling: 50 });
  } catch {
    throw new Error(`the page did not show ${what} within ${ms} ms`);
  }
  return performance.now() - t0;
}

/** Whether the page draws the link as down. */
const linkDown = `document.querySelector('${linkSel}')?.classList.contains("down") === true`;
const linkUp = `document.querySelector('${linkSel}')?.classList.contains("down") === false && ` +
  `document.querySelector('g.end[data-end="${RT}:eth1"]')?.classList.contains("up") === true`;

/** Clicks the middle of the link's line, as a person would. */
async function clickLink(page: Page): Promise<void> {
  const at = await page.$eval(`${linkSel} path.hit`, (p) => {
    // deno-lint-ignore no-explicit-any -- SVG DOM types are not in Deno's lib
    const path = p as any;
    const m = path.getScreenCTM();
    const pt = path.getPointAtLength(path.getTotalLength() / 2);
    return { x: m.a * pt.x + m.c * pt.y + m.e, y: m.b * pt.x + m.d * pt.y + m.f };
  });
  await page.mouse.click(at.x, at.y);
}

/** rt:eth1 as the kernel has it: administratively up or not. */
async function eth1AdminUp(): Promise<boolean> {
  const row = JSON.parse(await sh("ip", "-n", RT, "-j", "link", "show", "dev", "eth1") || "[]")[0];
  return (row?.flags ?? []).includes("UP");
}

async function postFlap(ui: Ui, state: string, token: string | undefined): Promise<Response> {
  return await fetch(
    `http://127.0.0.1:${ui.port}/api/labs/${LAB}/links/${encodeURIComponent(LINK)}/state`,
    {
      method: "POST",
      headers: token ? { "x-netkit-token": token } : {},
      body: JSON.stringify({ state }),
    },
  );
}

async function checkTokens(ui: Ui): Promise<void> {
  const base = `http://127.0.0.1:${ui.port}`;
  for (const path of ["/", "/app.js", "/api/state", `/api/labs/${LAB}/picture`]) {
    const r = await fetch(base + path);
    await r.body?.cancel();
    assertEquals(r.status, 401, `${path} without the token`);
    const wrong = await fetch(`${base}${path}?token=${"0".repeat(64)}`);
    await wrong.body?.cancel();
    assertEquals(wrong.status, 401, `${path} with a wrong token`);
  }
  const ok = await fetch(`${base}/api/state`, { headers: { "x-netkit-token": ui.token } });
  assertEquals(ok.status, 200);
  assertEquals((await ok.json()).control, false);
  // DNS rebinding: the right token under a foreign name is refused.
  assertEquals(await rawGet(ui.port, "/api/state", `evil.example:${ui.port}`, ui.token), 403);
  assertEquals(await rawGet(ui.port, "/api/state", `localhost:${ui.port}`, ui.token), 200);
  // Changes: without --control refused even with the token; without the header, refused too.
  const ro = await postFlap(ui, "down", ui.token);
  assertEquals(ro.status, 403);
  assertMatch((await ro.json()).error, /--control/);
  const noHeader = await postFlap(ui, "down", undefined);
  await noHeader.body?.cancel();
  assertEquals(noHeader.status, 401);
  assert(await eth1AdminUp(), "nothing changed");
}

/** The page shows every node and link of the lab's model, each with a size. */
async function checkDrawn(page: Page): Promise<void> {
  const graph = labGraph(validateLab(recipes.get("router")!.build({ prefix: "ui-" })));
  for (const n of graph.nodes) {
    const box = await (await page.$(`g.node[data-node="${n.id}"]`))?.boundingBox();
    assert(box && box.width > 20 && box.height > 10, `node ${n.id} drawn: ${JSON.stringify(box)}`);
  }
  for (const l of graph.links) {
    const box = await (await page.$(`g.link[data-link="${l.id}"]`))?.boundingBox();
    assert(box && box.width + box.height > 10, `link ${l.id} drawn`);
  }
  const texts = await page.$$eval("g.node text", (els) => els.map((e) => e.textContent));
  for (const n of graph.nodes) assert(texts.some((t) => t?.startsWith(n.id)), n.id);
}

Deno.test(
  "netkit ui shows the router lab live in a real browser; its token and --control hold",
  opts,
  async () => {
    const before = await snapshot();
    const servers: Ui[] = [];
    let browser: Browser | undefined;
    const shots = await Deno.makeTempDir({ prefix: "netkit-ui-test-" });
    try {
      // Read-only, for one lab, opened before the lab is up.
      const ui = await startUi([LAB]);
      servers.push(ui);
      browser = await puppeteer.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
      });
      const page = await browser.newPage();
      await page.setViewport({ width: 1800, height: 900 });
      await page.goto(ui.url);
      assertEquals(new URL(page.url()).search, "", "the token left the address bar");
      await within(page, 10_000, "the empty page", `document.body.dataset.ready === "true"`);
      await within(page, 1_000, "no lab yet", `document.getElementById("empty").hidden === false`);

      const up = await netkit(["recipe", "router", "--prefix", "ui-", "--no-check"]);
      assertEquals(up.code, 0, up.stderr);
      await within(page, 10_000, "the lab appearing", `!!document.querySelector('${linkSel}')`);
      await checkDrawn(page);
      await checkTokens(ui);
      await within(page, 3_000, "rt:eth1 up", linkUp);
      const png = await page.screenshot({ path: `${shots}/router.png`, fullPage: true });
      assertEquals([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(""), "PNG");
      assert(png.length > 10_000, `a screenshot with content: ${png.length} bytes`);

      // netkit link, from the command line: the page follows within 2 s.
      assertEquals((await netkit(["link", LAB, `${RT}:eth1`, "down"])).code, 0);
      const downMs = await within(page, 2_000, "rt:eth1 down", linkDown);
      assertEquals((await netkit(["link", LAB, `${RT}:eth1`, "up"])).code, 0);
      const upMs = await within(page, 2_000, "rt:eth1 up again", linkUp);
      console.log(
        `page saw the link down after ${downMs.toFixed(0)} ms, up after ${upMs.toFixed(0)} ms`,
      );

      // A click shows the link's counters, and no control on a read-only page.
      await clickLink(page);
      await within(page, 5_000, "the link's details", `!!document.querySelector('[data-details]')`);
      assertEquals(await page.$('button[data-action="down"]'), null);
      assertMatch(await page.$eval("#panel", (e) => e.textContent ?? ""), /rx \d+ bytes/);
      await page.click(`g.node[data-node="${RT}"] rect`);
      await within(
        page,
        5_000,
        "rt's details",
        `document.querySelector('#panel')?.textContent?.includes("192.168.100.11")`,
      );
      assertEquals(await ui.stop(), 0, "Ctrl-C stops the server cleanly");

      // With --control, for every lab: the page flaps the link itself.
      const control = await startUi(["--control"]);
      servers.push(control);
      await page.goto(control.url);
      await within(page, 10_000, "the lab", `!!document.querySelector('${linkSel}')`);
      await within(page, 3_000, "rt:eth1 up", linkUp);
      await clickLink(page);
      await page.waitForSelector('button[data-action="down"]', { timeout: 5_000 });
      await page.click('button[data-action="down"]');
      await within(page, 5_000, "the link down after the click", linkDown);
      assert(!(await eth1AdminUp()), "the page's flap took rt:eth1 down in the kernel");
      await page.click('button[data-action="up"]');
      await within(page, 5_000, "the link up after the click", linkUp);
      assert(await eth1AdminUp());

      // The lab going down disappears from the page.
      assertEquals((await netkit(["down", LAB])).code, 0);
      await within(
        page,
        5_000,
        "the lab gone",
        `!document.querySelector('section[data-lab="${LAB}"]')`,
      );
      assertEquals(await control.stop(), 0);
    } finally {
      const pid = browser?.process()?.pid;
      await browser?.close().catch(() => {});
      for (const s of servers) await s.stop();
      await netkit(["down", LAB]);
      await Deno.remove(shots, { recursive: true }).catch(() => {});
      if (pid !== undefined) {
        assert(
          !(await Deno.stat(`/proc/${pid}`).then(() => true, () => false)),
          "chromium is gone",
        );
      }
    }
    await assertHostUnchanged(before, "ui");
  },
);
