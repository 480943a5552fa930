/**
 * One run of the CLI path for bench/bench.ts: what a user types, `netkit up FILE` (build, proofs,
 * output) and then `netkit down LAB`, each a fresh process. Prints one JSON line: each command's
 * wall time (ms) and peak memory (max RSS in KiB, from `/usr/bin/time`; null when it is not
 * installed).
 *
 *   deno run -A bench/netkit_cli.ts NETKIT FILE LAB [UP-OPTION ...]
 *
 * NETKIT is the command: the path of an installed `netkit` (what `make install` puts on PATH), or
 * `checkout` for `deno run -A main.ts` in this repository.
 *
 * With `--json` among the UP-OPTIONs, the line also holds what `up` reported: `buildMs` (the
 * steps), `convergeMs` (the slowest route proof: how long after the build the routes were all
 * there, i.e. routing's convergence) and the proofs that passed of all.
 *
 * bench.ts runs it under `unshare --net` with NETKIT_STATE_DIR and NETKIT_OVS=private set. Exits
 * 1 when `up` fails (a failed proof included) or `down` does.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";

const ROOT = fromFileUrl(new URL("..", import.meta.url));
const [command, file, lab, ...upOptions] = Deno.args;
if (!command || !file || !lab) {
  throw new Error("usage: netkit_cli.ts NETKIT|checkout FILE LAB [UP-OPTION ...]");
}
const netkitArgv = command === "checkout" ? [Deno.execPath(), "run", "-A", "main.ts"] : [command];
const TIME = "/usr/bin/time";
const hasTime = await Deno.stat(TIME).then(() => true, () => false);

/** Runs `netkit ARGS...`; returns its wall time, peak memory and whether it succeeded. */
async function netkit(args: string[]) {
  const rss = await Deno.makeTempFile({ prefix: "bx-rss-" });
  const argv = [...netkitArgv, ...args];
  const [program, ...rest] = hasTime ? [TIME, "-f", "%M", "-o", rss, ...argv] : argv;
  const t0 = performance.now();
  const r = await new Deno.Command(program!, {
    args: rest,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  const peak = Number((await Deno.readTextFile(rss)).trim().split("\n").at(-1));
  await Deno.remove(rss);
  const stdout = new TextDecoder().decode(r.stdout);
  const text = stdout + new TextDecoder().decode(r.stderr);
  return { ms, peakKiB: hasTime && peak > 0 ? peak : null, ok: r.code === 0, text, stdout };
}

/** What `up --json` reported: build time, routing's convergence, proofs passed of all. */
function reported(stdout: string) {
  try {
    const d = JSON.parse(stdout) as {
      ms: number;
      checks: { name: string; pass: boolean; ms: number }[];
    };
    const routes = d.checks.filter((c) => / has a route to /.test(c.name)).map((c) => c.ms);
    return {
      buildMs: d.ms,
      convergeMs: routes.length ? Math.max(...routes) : null,
      proofs: d.checks.length,
      passed: d.checks.filter((c) => c.pass).length,
    };
  } catch {
    return {};
  }
}

const up = await netkit(["up", file, ...upOptions]);
const down = await netkit(["down", lab]);
if (!up.ok) console.error(up.text.trim().split("\n").slice(-6).join("\n"));
if (!down.ok) console.error(down.text.trim().split("\n").slice(-3).join("\n"));
console.log(JSON.stringify({
  upMs: up.ms,
  downMs: down.ms,
  upPeakKiB: up.peakKiB,
  downPeakKiB: down.peakKiB,
  ...(upOptions.includes("--json") ? reported(up.stdout) : {}),
}));
if (!up.ok || !down.ok) Deno.exit(1);
