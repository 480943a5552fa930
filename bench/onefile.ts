/**
 * `make bench`, the one file (`make compile`, build/onefile.ts) beside the installed launcher
 * (`make install LAUNCHER=1`: a sh script that runs the bundle with the Deno installed beside it):
 *
 * - first start: `FILE --version` on an empty cache (unpacking and checking every file), 3 runs,
 *   each with a fresh cache directory;
 * - warm start: `FILE --version` from its cache entry, and the launcher's `netkit --version`,
 *   8 blocks of 5 runs each, the two alternating block by block; per start, the wall time and
 *   the CPU time (user + system, of every process of the start: bash's `times`), which a busy
 *   machine disturbs less.
 *
 * Writes the figures into bench/RESULTS.md (between its markers, unless --no-write) and prints
 * them. These are measurements, not tests: nothing here asserts a duration.
 *
 *   deno run -A bench/onefile.ts [--no-write]
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";

const ROOT = fromFileUrl(new URL("..", import.meta.url));
const RESULTS = `${ROOT}bench/RESULTS.md`;
const BEGIN = "<!-- onefile.ts writes from here -->";
const END = "<!-- onefile.ts writes up to here -->";
const FILE = `${ROOT}dist/netkit-${Deno.build.arch}-unknown-linux-gnu`;
const write = !Deno.args.includes("--no-write");

async function timed(argv: string[], env: Record<string, string> = {}): Promise<number> {
  const t0 = performance.now();
  const r = await new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  if (!r.success) throw new Error(`${argv.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
  return ms;
}

/** `argv --version` 5 times in one bash; per start: wall and CPU time (ms), one entry per block. */
function block(program: string, env: Record<string, string> = {}) {
  const wall: number[] = [];
  const cpu: number[] = [];
  const script = 'for i in 1 2 3 4 5; do "$0" --version >/dev/null || exit 1; done; times';
  return {
    wall,
    cpu,
    async run() {
      const t0 = performance.now();
      const r = await new Deno.Command("bash", { args: ["-c", script, program], env }).output();
      wall.push((performance.now() - t0) / 5);
      if (!r.success) throw new Error(`${program}: ${new TextDecoder().decode(r.stderr)}`);
      // times: the shell's user and system time, then its children's.
      const children = new TextDecoder().decode(r.stdout).trim().split("\n").at(-1)!;
      const [user, sys] = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) =>
        Number(m[1]) * 60_000 + Number(m[2]) * 1000
      );
      cpu.push((user! + sys!) / 5);
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cell = (xs: number[]) =>
  `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)})`;

try {
  await Deno.stat(FILE);
} catch {
  console.error(`bench/onefile.ts: no ${FILE}: run make compile first`);
  Deno.exit(1);
}
const tmp = await Deno.makeTempDir({ prefix: "netkit-bench-onefile-" });
try {
  const install = await new Deno.Command("make", {
    args: [
      "-s",
      "--no-print-directory",
      "-C",
      ROOT,
      "install",
      `PREFIX=${tmp}/prefix`,
      "LAUNCHER=1",
    ],
    env: { MAKEFLAGS: "" },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!install.success) throw new Error(new TextDecoder().decode(install.stderr));
  const launcher = `${tmp}/prefix/bin/netkit`;

  const first: number[] = [];
  for (let i = 0; i < 3; i++) {
    first.push(await timed([FILE, "--version"], { NETKIT_CACHE_DIR: `${tmp}/cache-${i}` }));
  }
  const cache = { NETKIT_CACHE_DIR: `${tmp}/cache-0` };
  const warm = { onefile: block(FILE, cache), launcher: block(launcher) };
  await warm.onefile.run(); // both warm before the blocks that count
  await warm.launcher.run();
  warm.onefile.wall.length = warm.onefile.cpu.length = 0;
  warm.launcher.wall.length = warm.launcher.cpu.length = 0;
  for (let i = 0; i < 8; i++) {
    await warm.onefile.run();
    await warm.launcher.run();
  }
  const size = (await Deno.stat(FILE)).size;
  const text = [
    `One file (\`make compile\`, ${FILE.slice(ROOT.length)}, ${(size / 1e6).toFixed(1)} MB), ` +
    `\`--version\`, median (range), on ${new Date().toISOString().slice(0, 10)}:`,
    "",
    "| start | wall time | CPU time |",
    "| ----- | --------- | -------- |",
    `| one file, first start (unpacks, checks every file; 3 runs) | ${cell(first)} | |`,
    `| one file, warm (from its cache entry; 40 runs)    | ${cell(warm.onefile.wall)} | ${
      cell(warm.onefile.cpu)
    } |`,
    `| installed launcher (\`make install LAUNCHER=1\`; 40 runs) | ${cell(warm.launcher.wall)} | ${
      cell(warm.launcher.cpu)
    } |`,
  ].join("\n");
  console.log(text);
  if (write) {
    const results = await Deno.readTextFile(RESULTS);
    const block = `${BEGIN}\n\n${text}\n\n${END}`;
    const updated = results.includes(BEGIN)
      ? results.replace(new RegExp(`${BEGIN}[\\s\\S]*${END}`), block)
      : `${results.trimEnd()}\n\n## One file: first and warm start\n\n${block}\n`;
    await Deno.writeTextFile(RESULTS, updated);
  }
} finally {
  await Deno.remove(tmp, { recursive: true });
}
