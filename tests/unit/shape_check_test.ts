/**
 * tools/shape_check.ts, the shape `make lint` keeps: run as `make lint` runs it, on small
 * projects written into a temporary directory: one with an import cycle, one with a function
 * that is too long, and a clean one.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { withTempDir } from "../helpers/temp.ts";

const ROOT = new URL("../../", import.meta.url);
const CHECKER = new URL("tools/shape_check.ts", ROOT).pathname;

/** Writes `files` (path relative to `dir` -> text) into `dir`. */
async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(`${dir}/${path.slice(0, path.lastIndexOf("/") + 1) || "."}`, {
      recursive: true,
    });
    await Deno.writeTextFile(`${dir}/${path}`, text);
  }
}

/** Runs the checker on `dir`; its exit code and standard output. */
async function check(dir: string, ...args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHECKER, dir, ...args],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(r.stdout);
  return { code: r.code, out: out + new TextDecoder().decode(r.stderr) };
}

/** A function whose body (from `{` to `}`) is `lines` lines long. */
function fn(name: string, lines: number): string {
  const body = Array.from({ length: lines - 2 }, (_, i) => `  const v${i} = ${i};`);
  return [`export function ${name}(): void {`, ...body, "}", ""].join("\n");
}

/** A small clean project: main.ts -> lib/a.ts -> lib/b.ts, a function of exactly 120 lines. */
const CLEAN = {
  "main.ts": 'import { a } from "./lib/a.ts";\nconsole.log(a());\n',
  "lib/a.ts": 'import { b } from "./b.ts";\nexport const a = () => b + 1;\n',
  "lib/b.ts": "export const b = 1;\n",
  "lib/fits.ts": fn("fits", 120),
  "recipes/r.ts": "export const r = () => 1;\n",
};

Deno.test("shape_check passes a project without cycles or long functions", async () => {
  await withTempDir("netkit-shape-", async (dir) => {
    await writeFiles(dir, CLEAN);
    const r = await check(dir);
    assertEquals(r.code, 0, r.out);
    assertMatch(r.out, /^shape: 5 modules, 0 import cycles, 0 functions over 120 lines$/m);
  });
});

Deno.test("shape_check fails on an import cycle, type-only imports included", async () => {
  await withTempDir("netkit-shape-", async (dir) => {
    await writeFiles(dir, {
      ...CLEAN,
      // lib/b.ts reaches up for a type of lib/a.ts, which imports lib/b.ts.
      "lib/a.ts":
        'import { b } from "./b.ts";\nexport type A = number;\nexport const a = () => b;\n',
      "lib/b.ts": 'import type { A } from "./a.ts";\nexport const b: A = 1;\n',
    });
    const r = await check(dir);
    assertEquals(r.code, 1, r.out);
    assertMatch(r.out, /^import cycle among 2 modules: lib\/a\.ts lib\/b\.ts$/m);
    assertMatch(r.out, /^ {2}lib\/a\.ts:1 imports lib\/b\.ts$/m);
    assertMatch(r.out, /^ {2}lib\/b\.ts:1 imports lib\/a\.ts$/m);
    assertMatch(r.out, /^shape: 5 modules, 1 import cycles, 0 functions over 120 lines$/m);
  });
});

Deno.test("shape_check finds a cycle in a module main.ts and mod.ts do not reach", async () => {
  await withTempDir("netkit-shape-", async (dir) => {
    await writeFiles(dir, {
      ...CLEAN,
      "recipes/x.ts": 'import { y } from "./y.ts";\nexport const x = () => y;\n',
      "recipes/y.ts": 'import { x } from "./x.ts";\nexport const y = () => x;\n',
    });
    const r = await check(dir);
    assertEquals(r.code, 1, r.out);
    assertMatch(r.out, /^import cycle among 2 modules: recipes\/x\.ts recipes\/y\.ts$/m);
  });
});

Deno.test("shape_check fails on a function over 120 lines, and --max-fn moves the limit", async () => {
  await withTempDir("netkit-shape-", async (dir) => {
    await writeFiles(dir, {
      ...CLEAN,
      "lib/long.ts": "/** Too long. */\n" + fn("tooLong", 121),
      "main.ts": CLEAN["main.ts"] + "const handler = () => {\n" + "  1;\n".repeat(125) + "};\n" +
        "handler();\n",
    });
    const r = await check(dir);
    assertEquals(r.code, 1, r.out);
    assertMatch(r.out, /^long function: lib\/long\.ts:2 tooLong \(121 lines\)$/m);
    assertMatch(r.out, /^long function: main\.ts:3 handler \(127 lines\)$/m);
    assert(!r.out.includes("fits"), r.out); // exactly 120 lines is allowed
    assertMatch(r.out, /^shape: 6 modules, 0 import cycles, 2 functions over 120 lines$/m);

    const wider = await check(dir, "--max-fn", "130");
    assertEquals(wider.code, 0, wider.out);
    assertMatch(wider.out, /^shape: 6 modules, 0 import cycles, 0 functions over 130 lines$/m);
    const bad = await check(dir, "--max-fn", "many");
    assertEquals(bad.code, 2, bad.out);
  });
});
