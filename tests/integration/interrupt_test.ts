/**
 * Ctrl-C or SIGTERM during `netkit up` of a 500-namespace star, on the real kernel: at whatever
 * moment it comes, it leaves either the whole lab (and says that it is up and how to remove it)
 * or nothing (and says it rolled back) — never a part of it.
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
import { withTempDir } from "../helpers/temp.ts";

const stateDir = useTestState("interrupt");
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const COUNT = 500;
const LAB = "t9-star";

// A star of 500 namespaces on one Linux bridge. Its second proof (a ping nobody answers, which
// must stay unanswered) keeps the proofs running for a moment, long enough to interrupt them.
const STAR = `name: ${LAB}
generate:
  - star: { prefix: t9-, count: ${COUNT}, bridge: linux, subnet: 10.90.0.0/16 }
expect:
  - ping: { from: t9-h1, to: 10.90.255.250 }
    reach: false
`;

/** A small seeded PRNG (mulberry32), so that a failing trial can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The lab's status in its lab.json, or undefined while there is none. */
async function status(): Promise<string | undefined> {
  const text = await Deno.readTextFile(`${stateDir}/labs/${LAB}/lab.json`).catch(() => "");
  return /"status": "(\w+)"/.exec(text)?.[1];
}

/** Waits (at most 30 s) until the lab's status is `want`, or the process has ended. */
async function until(want: string, ended: () => boolean): Promise<boolean> {
  for (const t0 = performance.now(); performance.now() - t0 < 30_000; await sleep(5)) {
    if ((await status()) === want) return true;
    if (ended()) return false;
  }
  throw new Error(`lab ${LAB} never reached status ${want}`);
}

/**
 * Waits (at most 15 s) until no interface of the star is left in the root namespace: the kernel
 * destroys removed namespaces, and with them their veth pairs, in the background, and 500 of them
 * can take it more than the second that `assertHostUnchanged` allows.
 */
async function starLinksGone(context: string): Promise<void> {
  for (const t0 = performance.now(); performance.now() - t0 < 15_000; await sleep(50)) {
    if (!/^\d+: t9-/m.test(await sh("ip", "-o", "link", "show"))) return;
  }
  throw new Error(`${context}: the star's interfaces are still there 15 s after down`);
}

const starNamespaces = async () =>
  (await sh("ip", "netns", "list")).split("\n").filter((l) => /^t9-h\d+\b/.test(l)).length;

/** `netkit up FILE` in a session of its own (so that a signal can go to its process group). */
function up(file: string) {
  const child = new Deno.Command("setsid", {
    args: [Deno.execPath(), "run", "-A", "--no-check", MAIN, "up", file],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let ended = false;
  const output = child.output().then((r) => {
    ended = true;
    const dec = new TextDecoder();
    return { ...r, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
  });
  return { child, output, ended: () => ended };
}

Deno.test(
  "SIGINT or SIGTERM at any moment of a 500-namespace up: the whole lab and a message, or nothing",
  opts,
  async () => {
    const seed = Number(Deno.env.get("NETKIT_INTERRUPT_SEED") ?? 20261207);
    const random = prng(seed);
    const before = await snapshot();
    await withTempDir("netkit-interrupt-", async (dir) => {
      const file = `${dir}/star.yaml`;
      await Deno.writeTextFile(file, STAR);
      // How long the build takes here: from lab.json "starting" to "up".
      const calibration = up(file);
      await until("starting", calibration.ended);
      const t0 = performance.now();
      await until("up", calibration.ended);
      const build = performance.now() - t0;
      const done = await calibration.output;
      assertEquals(done.code, 0, done.stderr);
      assertEquals((await netkit(["down", LAB])).code, 0);

      // Moments spread over the build and a little past it; then one during the proofs.
      const trials = Number(Deno.env.get("NETKIT_INTERRUPT_TRIALS") ?? 6);
      const moments = Array.from({ length: trials }, (_, i) => ({
        after: "starting",
        ms: Math.round(build * (i + random()) / trials * 1.2),
      }));
      moments.push({ after: "up", ms: 0 });
      const seen = { rolledBack: 0, up: 0 };
      for (const [i, moment] of moments.entries()) {
        const signal: Deno.Signal = i % 2 === 0 ? "SIGINT" : "SIGTERM";
        const context =
          `seed ${seed}, trial ${i}: ${signal} ${moment.ms} ms after "${moment.after}"`;
        const run = up(file);
        if (await until(moment.after, run.ended)) {
          await sleep(moment.ms);
          // SIGINT as Ctrl-C sends it, to the whole process group; SIGTERM to netkit alone.
          Deno.kill(signal === "SIGINT" ? -run.child.pid : run.child.pid, signal);
        }
        const r = await run.output;
        const left = await starNamespaces();
        if (r.code === 0) {
          assertEquals(left, COUNT, `${context}: finished, yet not all of it is up`);
        } else if (left === COUNT) {
          assertEquals(r.code, signal === "SIGINT" ? 130 : 143, `${context}: ${r.stderr}`);
          assertMatch(
            r.stderr,
            new RegExp(
              `interrupted \\(${signal}\\): lab ${LAB} is up; remove it with: netkit down ${LAB}`,
            ),
            context,
          );
          seen.up++;
        } else {
          assertEquals(left, 0, `${context}: ${left} of ${COUNT} namespaces left\n${r.stderr}`);
          assertEquals(r.code, signal === "SIGINT" ? 130 : 143, `${context}: ${r.stderr}`);
          assertMatch(
            r.stderr,
            new RegExp(`interrupted \\(${signal}\\): rolled back, nothing left of lab ${LAB}`),
            context,
          );
          assertEquals(await status(), undefined, `${context}: its state is left`);
          seen.rolledBack++;
        }
        // By its file: a lab name that names no lab (rolled back) is an error, a file is not.
        const down = await netkit(["down", file]);
        assertEquals(down.code, 0, `${context}: ${down.stderr}`);
        await starLinksGone(context);
        await assertHostUnchanged(before, context);
      }
      console.log(
        `interrupt trials (seed ${seed}, build ${Math.round(build)} ms): ${seen.rolledBack} ` +
          `rolled back, ${seen.up} left up with the message, ${
            moments.length - seen.rolledBack - seen.up
          } finished first`,
      );
      // The moments cover the build: some interrupted it, and the last one the proofs.
      assert(seen.rolledBack >= 1, "no trial interrupted the build");
      assert(seen.up >= 1, "no trial interrupted the proofs");
    });
  },
);
