/**
 * After `deno bundle --code-splitting`: the dynamic imports of the chunks named on the command line
 * (by the name esbuild gives them, e.g. `elkjs`) become imports of a URL computed at run time.
 *
 * Why: `deno run` reads and parses every module a program can import, dynamic imports with a
 * literal specifier included, before it starts. elkjs (3.9 MB once bundled) is for `graph --format
 * svg` and `netkit ui` only; read at every start it cost every command about 7-20 ms (a trivial
 * program beside it: 14 -> 34 ms). An import whose specifier is computed is read only when it runs.
 *
 *   deno run -A tools/defer_chunks.ts DIR NAME...
 *
 * @module
 */
import { join } from "node:path";

/** Rewrites `import("./NAME-HASH.js")` in the chunks of `dir`; returns how many it rewrote. */
export function deferChunks(dir: string, names: readonly string[]): number {
  const literal = new RegExp(`import\\("\\./((?:${names.join("|")})-[A-Za-z0-9]+\\.js)"\\)`, "g");
  let rewritten = 0;
  for (const entry of Deno.readDirSync(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".js")) continue;
    const path = join(dir, entry.name);
    const text = Deno.readTextFileSync(path);
    const out = text.replace(literal, (_, file: string) => {
      rewritten++;
      return `import(new URL(${JSON.stringify(`./${file}`)}, import.meta.url).href)`;
    });
    if (out !== text) Deno.writeTextFileSync(path, out);
  }
  return rewritten;
}

if (import.meta.main) {
  const [dir, ...names] = Deno.args;
  if (!dir || !names.length || names.some((n) => !/^[A-Za-z0-9_-]+$/.test(n))) {
    console.error("usage: deno run -A tools/defer_chunks.ts DIR NAME...");
    Deno.exit(2);
  }
  const n = deferChunks(dir, names);
  if (n === 0) {
    console.error(`defer_chunks: no dynamic import of ${names.join(", ")} in ${dir}`);
    Deno.exit(1);
  }
}
