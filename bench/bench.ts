/**
 * `make bench`: netkit against the hand-optimised iproute2 script (bench/star_iproute2.sh) and
 * Mininet, on a star of N namespaces around one bridge (Linux or OVS userspace), for several N;
 * then a chain against a star, a 300-namespace lab beside containerlab's published figure, a
 * leaf-spine fabric (4 spines x 32 leaves x 4 hosts, eBGP by FRR: up with its proofs, and BGP's
 * convergence), and the CLI's start time. Writes the figures into bench/RESULTS.md (between its markers) and prints
 * them.
 *
 *   deno run -A bench/bench.ts [N ...] [--runs K] [--no-mininet] [--no-write]
 *                                                  # default: 10 100 250 1000
 *
 * Contenders, each a fresh process per run (build, one ping from the first node to the last,
 * teardown):
 *
 * - netkit CLI (bench/netkit_cli.ts): `netkit up FILE` (build, proofs, output) then
 *   `netkit down LAB`, two processes of the `netkit` that `make install` puts on PATH (installed
 *   into a temporary PREFIX for the run), FILE a `generate: star` lab file; peak memory is
 *   `/usr/bin/time`'s max RSS of `up`;
 * - the same from a checkout: `deno run -A main.ts up FILE`, `deno run -A main.ts down LAB`;
 * - netkit library (bench/netkit_star.ts): `upLab`, one ping, `downLab` in one process; peak
 *   memory is its VmHWM;
 * - the script (bench/star_iproute2.sh) and Mininet (bench/mininet_star.py).
 *
 * Every run is under `unshare --net`: the "root" namespace of the run is a private one, so
 * nothing touches the host's interfaces, and each userspace OVS's `ovs-netdev` tap collides with
 * no other. Contenders alternate (CLI, library, script, Mininet, CLI, ...). Each cell shows the
 * median and the range of the runs; a ratio is the median of the ratios of the same run. Every
 * name starts with `bx-`; after each run, whatever a failed run left is removed.
 *
 * Before each run the machine settles (under 10 % CPU busy, at most 10 s; then the kernel's
 * `netns` workqueue idle, at most 30 s): the kernel tears down a removed namespace after its
 * process exits, and that work is not billed to the next contender.
 *
 * These are measurements, not tests: nothing here asserts a duration.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { sleep } from "../lib/units.ts";

const HERE = fromFileUrl(new URL(".", import.meta.url));
const ROOT = fromFileUrl(new URL("..", import.meta.url));
const STATE = "/run/netkit-bench";
const ENV = { NETKIT_STATE_DIR: STATE, NETKIT_OVS: "private" };
const TIMEOUT_S = 300;
const RESULTS = `${HERE}RESULTS.md`;
const BEGIN = "<!-- bench.ts writes from here -->";
const END = "<!-- bench.ts writes up to here -->";
const decoder = new TextDecoder();

const flags = { runs: 0, mininet: true, write: true };
const sizes: number[] = [];
for (let i = 0; i < Deno.args.length; i++) {
  const a = Deno.args[i]!;
  if (a === "--runs") flags.runs = Number(Deno.args[++i]);
  else if (a === "--no-mininet") flags.mininet = false;
  else if (a === "--no-write") flags.write = false;
  else sizes.push(Number(a));
}
if (!sizes.length) sizes.push(10, 100, 250, 1000);
const runsFor = (n: number) => flags.runs || (n >= 250 ? 2 : 3);

interface Run {
  ms: number;
  ok: boolean;
  out: string;
  err: string;
}

/** The contender running now (its `timeout`), stopped first when the bench is interrupted. */
let running: Deno.ChildProcess | undefined;

/** Runs argv under `unshare --net` with a time limit; returns its wall time. */
async function timed(argv: string[]): Promise<Run> {
  const t0 = performance.now();
  running = new Deno.Command("timeout", {
    args: ["-k", "5", String(TIMEOUT_S), "unshare", "--net", "--", ...argv],
    cwd: ROOT,
    // A contender's temporary files (netkit_cli.ts's peak-memory files) go into the run's own
    // directory, which the run removes even when a contender was killed.
    env: { ...ENV, TMPDIR: tmp },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const r = await running.output();
  running = undefined;
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

/** Removes what a failed run may have left: netkit's labs, namespaces named bx-. */
async function cleanUp(): Promise<void> {
  await removeLeftovers();
  await settled();
}

/**
 * netkit's labs, the namespaces named bx- (a namespace a contender named outlives it: its
 * /run/netns mount is the host's) and netkit's state.
 */
async function removeLeftovers(): Promise<void> {
  for (const lab of ["bx-star", "bx-chain", "bx-fabric"]) {
    await quiet([Deno.execPath(), "run", "-A", "main.ts", "down", lab]);
  }
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

/** The CPU time counters of /proc/stat: [busy, total] jiffies. */
async function cpuTimes(): Promise<[number, number]> {
  const line = (await Deno.readTextFile("/proc/stat")).split("\n")[0]!;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1)
    .map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return [busy, busy + idle! + iowait!];
}

/**
 * Whether the kernel is destroying removed network namespaces now: a kernel worker runs the
 * `netns` workqueue (its name reads `kworker/...+netns` while it works). Seen from the host's
 * /proc only; elsewhere this says false.
 */
async function destroyingNamespaces(): Promise<boolean> {
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const comm = await Deno.readTextFile(`/proc/${entry.name}/comm`).catch(() => "");
    if (comm.startsWith("kworker/") && comm.includes("+netns")) return true;
  }
  return false;
}

/**
 * Waits until the machine is idle: a namespace removed by one contender is torn down by the
 * kernel after its process exits (its devices, its bridge ports, the namespace itself), and that
 * work must not be billed to the next contender. Idle: under 10 % of the CPUs busy over 0.2 s
 * (at most 10 s), then the kernel's `netns` workqueue idle twice in a row 0.1 s apart (at most
 * 30 s). Measured: after 1,000 namespaces on a bridge were removed, that worker ran for 0.6 s
 * with the CPUs mostly idle (it waits for RCU grace periods), and back-to-back runs at N=1000
 * slowed from 1.9 s to 2.5-2.8 s while it was behind.
 */
async function settled(): Promise<void> {
  const cpuDeadline = performance.now() + 10_000;
  while (performance.now() < cpuDeadline) {
    const [b0, t0] = await cpuTimes();
    await sleep(200);
    const [b1, t1] = await cpuTimes();
    if (t1 > t0 && (b1 - b0) / (t1 - t0) < 0.1) break;
  }
  const nsDeadline = performance.now() + 30_000;
  let idle = 0;
  while (idle < 2 && performance.now() < nsDeadline) {
    idle = (await destroyingNamespaces()) ? 0 : idle + 1;
    if (idle < 2) await sleep(100);
  }
}

const lastLine = (text: string) => JSON.parse(text.trim().split("\n").at(-1)!);
const tail = (r: Run, n = 3) => (r.err || r.out).trim().split("\n").slice(-n).join(" | ");
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
/** "median (min–max)" in seconds, or n/a. */
const secs = (ms: number[], digits = 2) => {
  if (!ms.length) return "n/a";
  const f = (x: number) => (x / 1000).toFixed(digits);
  const lo = Math.min(...ms), hi = Math.max(...ms);
  return ms.length === 1 ? f(ms[0]!) : `${f(median(ms))} (${f(lo)}–${f(hi)})`;
};
const times = (xs: number[], digits = 2) => {
  if (!xs.length) return "n/a";
  const f = (x: number) => x.toFixed(digits);
  return xs.length === 1
    ? f(xs[0]!)
    : `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
};
const loadavg = async () =>
  (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");

const tmp = await Deno.makeTempDir({ prefix: "bx-labs-" });
// Interrupted (Ctrl-C, kill): stop the contender that runs (`timeout` passes the signal on; the
// script's trap and netkit's own handling remove what they can), then remove what it left (its
// namespaces outlive it), the lab files, the installed netkit and netkit's state, like the end of
// a full run does.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    if (running) {
      running.kill("SIGTERM");
      await running.status;
    }
    await removeLeftovers();
    Deno.removeSync(tmp, { recursive: true });
    Deno.exit(signal === "SIGINT" ? 130 : 143);
  });
}
/** The `netkit` users run: make install's, into a temporary PREFIX. */
const NETKIT = `${tmp}/prefix/bin/netkit`;
{
  const r = await new Deno.Command("make", {
    args: ["-s", "--no-print-directory", "install", `PREFIX=${tmp}/prefix`],
    cwd: ROOT,
    env: { MAKEFLAGS: "" },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (r.code !== 0) throw new Error(`make install: ${decoder.decode(r.stderr)}`);
}
/** A lab file `lab` made by one generator; returns its path. */
async function labFile(lab: string, generator: string): Promise<string> {
  const file = await Deno.makeTempFile({ dir: tmp, suffix: ".yaml" });
  await Deno.writeTextFile(file, `name: ${lab}\ngenerate:\n  - ${generator}\n`);
  return file;
}
const starFile = (n: number, kind: string) =>
  labFile("bx-star", `star: { prefix: bx-, count: ${n}, bridge: ${kind} }`);

interface Cli {
  upMs: number;
  downMs: number;
  upPeakKiB: number | null;
  /** With `up --json`: the build, routing's convergence after it, proofs passed of all. */
  buildMs?: number;
  convergeMs?: number | null;
  proofs?: number;
  passed?: number;
}

/** One CLI run: up FILE [OPTION...], down LAB, by the installed netkit or from the checkout. */
async function cliRun(
  file: string,
  lab: string,
  failures: string[],
  upOptions: string[] = [],
  from: "installed" | "checkout" = "installed",
): Promise<Cli | undefined> {
  const r = await timed([
    Deno.execPath(),
    "run",
    "-A",
    `${HERE}netkit_cli.ts`,
    from === "installed" ? NETKIT : "checkout",
    file,
    lab,
    ...upOptions,
  ]);
  await cleanUp();
  if (!r.ok) {
    failures.push(`CLI (${from}): ${tail(r)}`);
    return undefined;
  }
  return lastLine(r.out) as Cli;
}

const hasMininet = flags.mininet && (await quiet(["sh", "-c", "command -v mn"])).trim() !== "";
const loadBefore = await loadavg();
const started = new Date();

// CLI start: 10 runs each, installed and from the checkout, alternating
const starts = { installed: [] as number[], checkout: [] as number[] };
for (let i = 0; i < 10; i++) {
  for (
    const [from, argv] of [
      ["installed", [NETKIT, "--version"]],
      ["checkout", [Deno.execPath(), "run", "-A", "main.ts", "--version"]],
    ] as const
  ) {
    const t0 = performance.now();
    await new Deno.Command(argv[0], { args: argv.slice(1), cwd: ROOT, stdout: "null" }).output();
    starts[from].push(performance.now() - t0);
  }
}

interface Row {
  n: number;
  kind: string;
  cli: Cli[];
  /** The same from the checkout (`deno run -A main.ts`). */
  checkout: Cli[];
  lib: number[];
  libPeakKiB: number[];
  script: number[];
  /** Script runs that built and tore down the star but whose one ping never got through. */
  scriptPingFailed: number[];
  mininet: number[];
  /** CLI up+down / script, per run where both succeeded. */
  ratioScript: number[];
  ratioCheckout: number[];
  ratioMininet: number[];
  mininetNote?: string;
  failures: string[];
}

// Mininet's OVS switch (ovsbr, datapath=user) builds the star but its ping never gets through
// from N=100 on (measured before: bench/RESULTS.md); after N=10 only its Linux bridge runs.
const MININET_OVS_MAX = 10;

const rows: Row[] = [];
for (const n of sizes) {
  for (const kind of ["linux", "ovs"] as const) {
    const row: Row = {
      n,
      kind,
      cli: [],
      checkout: [],
      lib: [],
      libPeakKiB: [],
      script: [],
      scriptPingFailed: [],
      mininet: [],
      ratioScript: [],
      ratioCheckout: [],
      ratioMininet: [],
      failures: [],
    };
    const mininet = hasMininet && (kind === "linux" || n <= MININET_OVS_MAX);
    if (!hasMininet) row.mininetNote = flags.mininet ? "mn not installed" : "not run";
    else if (!mininet) row.mininetNote = `not run: its ping fails from N=100 on`;
    const file = await starFile(n, kind);
    for (let i = 0; i < runsFor(n); i++) {
      const cli = await cliRun(file, "bx-star", row.failures);
      if (cli) row.cli.push(cli);
      const checkout = await cliRun(file, "bx-star", row.failures, [], "checkout");
      if (checkout) row.checkout.push(checkout);

      const lib = await timed([
        Deno.execPath(),
        "run",
        "-A",
        `${HERE}netkit_star.ts`,
        `${n}`,
        kind,
      ]);
      if (lib.ok) {
        row.lib.push(lib.ms);
        row.libPeakKiB.push(lastLine(lib.out).peakKiB);
      } else row.failures.push(`library: ${tail(lib)}`);
      await cleanUp();

      const sc = await timed(["bash", `${HERE}star_iproute2.sh`, String(n), kind]);
      if (sc.ok) row.script.push(sc.ms);
      else if (/ping .* failed/.test(sc.err)) row.scriptPingFailed.push(sc.ms);
      else row.failures.push(`script: ${tail(sc, 2)}`);
      await cleanUp();
      if (cli && sc.ok) row.ratioScript.push((cli.upMs + cli.downMs) / sc.ms);
      if (checkout && sc.ok) row.ratioCheckout.push((checkout.upMs + checkout.downMs) / sc.ms);

      // Mininet at 1,000 namespaces takes minutes: once.
      if (mininet && (n < 1000 || i === 0)) {
        const mn = await timed(["/usr/bin/python3", `${HERE}mininet_star.py`, String(n), kind]);
        if (mn.ok) row.mininet.push(mn.ms);
        else row.failures.push(`mininet: ${tail(mn, 2)}`);
        await cleanUp();
        if (cli && mn.ok) row.ratioMininet.push((cli.upMs + cli.downMs) / mn.ms);
      }
    }
    rows.push(row);
    const sums = (cs: Cli[]) => cs.map((c) => (c.upMs + c.downMs).toFixed(0)).join("/");
    console.error(
      `done: N=${n} ${kind}: CLI ${sums(row.cli)} ms (checkout ${sums(row.checkout)})` +
        ` ms, library ${row.lib.map((x) => x.toFixed(0)).join("/")} ms, script ${
          row.script.map((x) => x.toFixed(0)).join("/")
        } ms, mininet ${row.mininet.map((x) => x.toFixed(0)).join("/")} ms` +
        (row.failures.length ? `; failures: ${row.failures.join("; ")}` : ""),
    );
  }
}

// chain against star at 250 nodes, both without their proof: a chain's end-to-end ping cannot
// cross 249 routers with ping's default TTL of 64. 300 namespaces (proof included) for the
// containerlab comparison.
const extras: { label: string; n: number; runs: Cli[]; failures: string[] }[] = [];
for (
  const [label, n, file, lab, options] of [
    [
      "chain (routers in a line), up --no-check",
      250,
      await labFile("bx-chain", "chain: { prefix: bx-, count: 250 }"),
      "bx-chain",
      ["--no-check"],
    ],
    ["star (Linux bridge), up --no-check", 250, await starFile(250, "linux"), "bx-star", [
      "--no-check",
    ]],
    ["star (Linux bridge)", 300, await starFile(300, "linux"), "bx-star", []],
  ] as const
) {
  const extra = { label, n, runs: [] as Cli[], failures: [] as string[] };
  for (let i = 0; i < 2; i++) {
    const cli = await cliRun(file, lab, extra.failures, [...options]);
    if (cli) extra.runs.push(cli);
  }
  extras.push(extra);
  console.error(
    `done: ${label} N=${n}: ${
      extra.runs.map((c) => `${c.upMs.toFixed(0)}+${c.downMs.toFixed(0)}`).join(" / ")
    } ms`,
  );
}

// A leaf-spine fabric: 4 spines, 32 leaves, 4 hosts per leaf (164 namespaces, 36 FRR routers
// with zebra and bgpd), up with its 191 proofs; `up --json` says when the routes were there.
const FABRIC = "clos: { prefix: bx-, spines: 4, leaves: 32, hostsPerLeaf: 4 }";
const fabric = { runs: [] as Cli[], failures: [] as string[] };
const fabricFile = await labFile("bx-fabric", FABRIC);
for (let i = 0; i < 2; i++) {
  const cli = await cliRun(fabricFile, "bx-fabric", fabric.failures, ["--json"]);
  if (cli) fabric.runs.push(cli);
}
console.error(
  `done: fabric: ${
    fabric.runs.map((c) => `${c.upMs.toFixed(0)}+${c.downMs.toFixed(0)}`).join(" / ")
  } ms`,
);
await Deno.remove(tmp, { recursive: true });

const nproc = (await quiet(["nproc"])).trim();
const kernel = (await quiet(["uname", "-r"])).trim();
const mb = (kib: (number | null)[]) => {
  const xs = kib.filter((x): x is number => x !== null && x > 0);
  return xs.length ? (Math.max(...xs) / 1024).toFixed(0) : "n/a";
};
const perNs = (r: Row) => times(r.cli.map((c) => (c.upMs + c.downMs) / r.n), 1);
/** What each namespace added since the previous N of the same bridge: (T(N) - T(N')) / (N - N'). */
const marginal = (r: Row) => {
  const prev = rows.filter((p) => p.kind === r.kind && p.n < r.n && p.cli.length).at(-1);
  if (!prev || !r.cli.length) return "–";
  const total = (x: Row) => median(x.cli.map((c) => c.upMs + c.downMs));
  return ((total(r) - total(prev)) / (r.n - prev.n)).toFixed(1);
};
const lines: string[] = [];
const say = (s = "") => lines.push(s);
say(
  `Run: ${started.toISOString()}, nproc ${nproc}, kernel ${kernel}; load average before ${loadBefore}, after ${await loadavg()}.`,
);
say();
say(
  `CLI start (\`netkit --version\`, 10 runs): installed median ${
    median(starts.installed).toFixed(0)
  } ms, best ${Math.min(...starts.installed).toFixed(0)} ms; from the checkout ` +
    `(\`deno run -A main.ts --version\`) median ${median(starts.checkout).toFixed(0)} ms, best ${
      Math.min(...starts.checkout).toFixed(0)
    } ms.`,
);
say();
say(
  "Each cell: median (range) of the runs. CLI: the installed `netkit` (make install); checkout: " +
    "`deno run -A main.ts`. Ratios: the median of each run's own ratio. Marginal: " +
    "(T(N) - T(previous N)) / (N - previous N), the cost of one more namespace without the fixed costs.",
);
say();
say(
  "| N | bridge | CLI up+down s | checkout s | library s | script s | Mininet s | CLI/script | checkout/script | CLI/Mininet | CLI ms per namespace | marginal ms per namespace | CLI up / down s | CLI peak MB | library peak MB |",
);
say("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  say(
    `| ${r.n} | ${r.kind} | ${secs(r.cli.map((c) => c.upMs + c.downMs))} | ${
      secs(r.checkout.map((c) => c.upMs + c.downMs))
    } | ${secs(r.lib)} | ${
      r.script.length || !r.scriptPingFailed.length
        ? secs(r.script)
        : `${secs(r.scriptPingFailed)}, its ping failed`
    } | ${r.mininet.length ? secs(r.mininet) : `n/a (${r.mininetNote ?? "failed"})`} | ${
      times(r.ratioScript)
    } | ${times(r.ratioCheckout)} | ${times(r.ratioMininet, 3)} | ${perNs(r)} | ${marginal(r)} | ${
      r.cli.length
        ? `${(median(r.cli.map((c) => c.upMs)) / 1000).toFixed(2)} / ${
          (median(r.cli.map((c) => c.downMs)) / 1000).toFixed(2)
        }`
        : "n/a"
    } | ${mb(r.cli.map((c) => c.upPeakKiB))} | ${mb(r.libPeakKiB)} |`,
  );
}
say();
say("CLI path, 2 runs each:");
say();
say("| lab | N | up s | down s | up ms per node | down ms per node |");
say("|---|---|---|---|---|---|");
for (const e of extras) {
  say(
    `| ${e.label} | ${e.n} | ${secs(e.runs.map((c) => c.upMs))} | ${
      secs(e.runs.map((c) => c.downMs))
    } | ${times(e.runs.map((c) => c.upMs / e.n), 1)} | ${
      times(e.runs.map((c) => c.downMs / e.n), 1)
    } |`,
  );
}
const clab = extras.find((e) => e.n === 300);
if (clab && clab.runs.length) {
  say();
  say(
    "containerlab's published figure beside netkit's 300-namespace lab. The work differs: " +
      "containerlab starts 306 containers (images, cgroups, mounts, a process each; 6 run FRR), " +
      "netkit creates 300 network namespaces with a veth pair each and no processes.",
  );
  say();
  say("| | deploy s | destroy s | machine |");
  say("|---|---|---|---|");
  say("| containerlab (published): 300 Linux containers + 6 FRR | 39 | 37 | 16 cores |");
  say(
    `| netkit CLI: 300 namespaces on a Linux bridge, proofs included | ${
      secs(clab.runs.map((c) => c.upMs))
    } | ${secs(clab.runs.map((c) => c.downMs))} | ${nproc} cores |`,
  );
}
if (fabric.runs.length) {
  const of = (key: "buildMs" | "convergeMs") => fabric.runs.map((c) => c[key] ?? 0);
  say();
  say(
    `A leaf-spine fabric (\`generate: - ${FABRIC}\`): 164 namespaces, 256 links, 36 FRR routers ` +
      "(zebra, bgpd), eBGP with ECMP. Up: build, BGP, then the proofs (pings across every leaf, one " +
      "ECMP route per leaf with a nexthop per spine, a spine's links cut). BGP converged: the " +
      "slowest route proof, from the end of the build. 2 runs.",
  );
  say();
  say("| up s (proofs included) | build s | BGP converged s | proofs passed | down s |");
  say("|---|---|---|---|---|");
  say(
    `| ${secs(fabric.runs.map((c) => c.upMs))} | ${secs(of("buildMs"))} | ${
      secs(of("convergeMs"))
    } | ${fabric.runs.map((c) => `${c.passed}/${c.proofs}`).join(", ")} | ${
      secs(fabric.runs.map((c) => c.downMs))
    } |`,
  );
}
const failed = [
  ...rows.flatMap((r) => r.failures.map((f) => `N=${r.n} ${r.kind}: ${f}`)),
  ...extras.flatMap((e) => e.failures.map((f) => `${e.label} N=${e.n}: ${f}`)),
  ...fabric.failures.map((f) => `fabric: ${f}`),
];
if (failed.length) {
  say();
  say("Failed runs (not in the figures):");
  say();
  for (const f of failed) say(`- ${f}`);
}
const text = lines.join("\n") + "\n";
console.log(text);
if (flags.write) {
  const old = await Deno.readTextFile(RESULTS).catch(() => "# netkit benchmark results\n");
  const [head, rest] = old.includes(BEGIN) ? old.split(BEGIN) as [string, string] : [old, ""];
  const after = rest.includes(END) ? rest.split(END)[1]! : "\n";
  await Deno.writeTextFile(RESULTS, `${head}${BEGIN}\n\n${text}\n${END}${after}`);
  // the tables as deno fmt lays them out, so that `make lint` stays clean
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", RESULTS], stdout: "null" })
    .output();
  console.error(`bench: wrote ${RESULTS}`);
}
