/**
 * `make bench`: netkit against the hand-optimised iproute2 script (bench/star_iproute2.sh) and
 * Mininet, on a star of N namespaces around one bridge (Linux or OVS userspace), for several N.
 *
 *   deno run -A bench/bench.ts [N ...]          # default: 10 100 250
 *
 * Each run (build, one ping from the first node to the last, teardown) is a fresh process under
 * `unshare --net`: the "root" namespace of the run is a private one, so nothing touches the host's
 * interfaces, and each userspace OVS's `ovs-netdev` tap collides with no other. Contenders
 * alternate (netkit, script, Mininet, netkit, ...); the table shows the median wall time of each.
 * netkit's peak memory is the VmHWM its driver (bench/netkit_star.ts) reports. Every name starts
 * with `bx-`; after each run, whatever a failed run left (namespaces, netkit state) is removed.
 *
 * These are measurements, not tests: nothing here asserts a duration.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";

const HERE = fromFileUrl(new URL(".", import.meta.url));
const ROOT = fromFileUrl(new URL("..", import.meta.url));
const STATE = "/run/netkit-bench";
const ENV = { NETKIT_STATE_DIR: STATE, NETKIT_OVS: "private" };
const TIMEOUT_S = 300;
const decoder = new TextDecoder();

interface Run {
  ms: number;
  ok: boolean;
  out: string;
  err: string;
}

/** Runs argv under `unshare --net` with a time limit; returns its wall time. */
async function timed(argv: string[]): Promise<Run> {
  const t0 = performance.now();
  const r = await new Deno.Command("timeout", {
    args: ["-k", "5", String(TIMEOUT_S), "unshare", "--net", "--", ...argv],
    cwd: ROOT,
    env: ENV,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  return { ms, ok: r.code === 0, out: decoder.decode(r.stdout), err: decoder.decode(r.stderr) };
}

async function quiet(argv: string[]): Promise<string> {
  const r = await new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    cwd: ROOT,
    env: ENV,
    stdout: "piped",
    stderr: "null",
  }).output().catch(() => undefined);
  return r ? decoder.decode(r.stdout) : "";
}

/** Removes what a failed run may have left: netkit's lab, namespaces named bx-. */
async function cleanUp(): Promise<void> {
  await quiet([Deno.execPath(), "run", "-A", "main.ts", "down", "bx-star"]);
  const names = (await quiet(["ip", "netns", "list"])).split("\n")
    .map((l) => l.split(" ")[0] ?? "").filter((n) => n.startsWith("bx-"));
  if (names.length) {
    const p = new Deno.Command("ip", {
      args: ["-force", "-batch", "-"],
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const w = p.stdin.getWriter();
    await w.write(new TextEncoder().encode(names.map((n) => `netns del ${n}\n`).join("")));
    await w.close();
    await p.output();
  }
  await Deno.remove(STATE, { recursive: true }).catch(() => {});
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const sizes = Deno.args.length ? Deno.args.map(Number) : [10, 100, 250];
const kinds = ["linux", "ovs"] as const;
const hasMininet = (await quiet(["sh", "-c", "command -v mn"])).trim() !== "";

// netkit CLI start: median of 10
const starts: number[] = [];
for (let i = 0; i < 10; i++) {
  const t0 = performance.now();
  await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "--version"],
    cwd: ROOT,
    stdout: "null",
  }).output();
  starts.push(performance.now() - t0);
}

interface Row {
  n: number;
  kind: string;
  netkit: number[];
  script: number[];
  mininet: number[];
  mininetNote?: string;
  peakKiB: number[];
  phases: { upMs: number; downMs: number }[];
  failures: string[];
}

const rows: Row[] = [];
for (const n of sizes) {
  for (const kind of kinds) {
    const row: Row = {
      n,
      kind,
      netkit: [],
      script: [],
      mininet: [],
      peakKiB: [],
      phases: [],
      failures: [],
    };
    if (!hasMininet) row.mininetNote = "mn not installed";
    const runs = n >= 250 ? 2 : 3;
    for (let i = 0; i < runs; i++) {
      const nk = await timed([
        Deno.execPath(),
        "run",
        "-A",
        `${HERE}netkit_star.ts`,
        String(n),
        kind,
      ]);
      if (nk.ok) {
        const j = JSON.parse(nk.out.trim().split("\n").at(-1)!);
        row.netkit.push(nk.ms);
        row.peakKiB.push(j.peakKiB);
        row.phases.push({ upMs: j.upMs, downMs: j.downMs });
      } else row.failures.push(`netkit: ${nk.err.trim().split("\n").slice(-3).join(" | ")}`);
      await cleanUp();

      const sc = await timed(["bash", `${HERE}star_iproute2.sh`, String(n), kind]);
      if (sc.ok) row.script.push(sc.ms);
      else row.failures.push(`script: ${sc.err.trim().split("\n").slice(-2).join(" | ")}`);
      await cleanUp();

      if (hasMininet) {
        const mn = await timed(["/usr/bin/python3", `${HERE}mininet_star.py`, String(n), kind]);
        if (mn.ok) row.mininet.push(mn.ms);
        else row.failures.push(`mininet: ${mn.err.trim().split("\n").slice(-2).join(" | ")}`);
        await cleanUp();
      }
    }
    rows.push(row);
    console.error(
      `done: N=${n} ${kind}: netkit ${row.netkit.map((x) => x.toFixed(0)).join("/")} ms, ` +
        `script ${row.script.map((x) => x.toFixed(0)).join("/")} ms, ` +
        `mininet ${row.mininet.map((x) => x.toFixed(0)).join("/")} ms` +
        (row.failures.length ? `; failures: ${row.failures.join("; ")}` : ""),
    );
  }
}

const s = (ms: number[]) => (ms.length ? (median(ms) / 1000).toFixed(2) : "n/a");
const ratio = (a: number[], b: number[]) =>
  a.length && b.length ? (median(a) / median(b)).toFixed(2) : "n/a";
const nproc = (await quiet(["nproc"])).trim();
const kernel = (await quiet(["uname", "-r"])).trim();
console.log(`netkit bench: nproc ${nproc}, kernel ${kernel}, ${new Date().toISOString()}`);
console.log(
  `netkit CLI start (deno run -A main.ts --version, median of 10): ${
    median(starts).toFixed(0)
  } ms\n`,
);
console.log(
  "| N | bridge | netkit s | script s | Mininet s | netkit/script | netkit/Mininet | netkit up / down s | netkit peak MB |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  const up = median(r.phases.map((p) => p.upMs)) / 1000;
  const down = median(r.phases.map((p) => p.downMs)) / 1000;
  console.log(
    `| ${r.n} | ${r.kind} | ${s(r.netkit)} | ${s(r.script)} | ${
      r.mininet.length ? s(r.mininet) : `n/a (${r.mininetNote ?? "failed"})`
    } | ${ratio(r.netkit, r.script)} | ${ratio(r.netkit, r.mininet)} | ${
      r.phases.length ? `${up.toFixed(2)} / ${down.toFixed(2)}` : "n/a"
    } | ${r.peakKiB.length ? (Math.max(...r.peakKiB) / 1024).toFixed(0) : "n/a"} |`,
  );
}
const failed = rows.flatMap((r) => r.failures.map((f) => `N=${r.n} ${r.kind}: ${f}`));
if (failed.length) console.log(`\nfailed runs (not in the medians):\n${failed.join("\n")}`);
console.log(
  `\nMedians of ${
    sizes.some((n) => n >= 250) ? "3 runs (2 for N >= 250)" : "3 runs"
  }; each run is build + one ping + teardown in a fresh process under unshare --net.`,
);
