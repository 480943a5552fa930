/**
 * After `deno bundle`: two rewrites that keep what a command does not use out of its start.
 *
 * 1. Every dynamic import of a chunk (`import("./up-HASH.js")`: a command's module, elkjs, ...)
 *    becomes an import of a URL computed at run time. `deno run` reads and parses every module a
 *    program can import, dynamic imports with a literal specifier included, before it starts; an
 *    import whose specifier is computed is read only when it runs. A command runs one command's
 *    modules: `netkit --version` no longer parses the other commands' 1.4 MB, nor elkjs's 3.9 MB
 *    (for `graph --format svg` and `netkit ui` only; read at every start it cost every command
 *    7-20 ms). Measured (bench/RESULTS.md): `--version` 29 -> 24 ms, `down` 42 -> 35 ms.
 * 2. The `require` that the bundle gives CommonJS packages (for the Node built-ins they ask for)
 *    is made when one first calls it, not at start. `deno bundle` writes it as
 *    `createRequire(import.meta.url)` of `node:module` at the top of the chunk of shared helpers,
 *    which every chunk imports; loading `node:module` loads Node's compatibility layer, about
 *    15 ms of every command's start (`netkit --version`: 48 -> 33 ms), although most commands
 *    never require a built-in. `process.getBuiltinModule` gives the same `node:module` on demand.
 *
 *   deno run -A tools/defer_chunks.ts DIR|FILE
 *
 * Exits 1 when a rewrite finds nothing to rewrite in a code-split build (a Deno that bundles
 * differently): the start would quietly get slower again.
 *
 * @module
 */
import { join } from "node:path";

/** Rewrites every `import("./CHUNK.js")` in the scripts of `path`; returns how many it rewrote. */
export function deferChunks(path: string): number {
  const literal = /import\("\.\/([A-Za-z0-9_-]+\.js)"\)/g;
  let rewritten = 0;
  for (const file of scripts(path)) {
    const text = Deno.readTextFileSync(file);
    const out = text.replace(literal, (_, chunk: string) => {
      rewritten++;
      return `import(new URL(${JSON.stringify(`./${chunk}`)}, import.meta.url).href)`;
    });
    if (out !== text) Deno.writeTextFileSync(file, out);
  }
  return rewritten;
}

/** What `deno bundle` writes at the top of the helpers' chunk (or of a one-file bundle). */
const EAGER_REQUIRE =
  'import { createRequire as __deno_internal_createRequire } from "node:module";\n' +
  "var __require = __deno_internal_createRequire(import.meta.url);\n";

/** The same `require`, made on its first call. */
const LAZY_REQUIRE = "var __deno_internal_require;\n" +
  "var __require = (id) => (__deno_internal_require ??= globalThis.process.getBuiltinModule(" +
  '"node:module").createRequire(import.meta.url))(id);\n';

/**
 * Makes the bundle's `require` in the scripts of `path` (a directory of chunks, or one file) on
 * first use; returns how many scripts it rewrote.
 */
export function lazyRequire(path: string): number {
  let rewritten = 0;
  for (const file of scripts(path)) {
    const text = Deno.readTextFileSync(file);
    if (!text.includes(EAGER_REQUIRE)) continue;
    Deno.writeTextFileSync(file, text.replace(EAGER_REQUIRE, LAZY_REQUIRE));
    rewritten++;
  }
  return rewritten;
}

/** The .js files of a directory, or the one file. */
function scripts(path: string): string[] {
  if (Deno.statSync(path).isFile) return [path];
  return [...Deno.readDirSync(path)]
    .filter((e) => e.isFile && e.name.endsWith(".js"))
    .map((e) => join(path, e.name));
}

if (import.meta.main) {
  const [path, ...rest] = Deno.args;
  if (!path || rest.length) {
    console.error("usage: deno run -A tools/defer_chunks.ts DIR|FILE");
    Deno.exit(2);
  }
  if (lazyRequire(path) === 0) {
    console.error(`defer_chunks: no createRequire of node:module in ${path}`);
    Deno.exit(1);
  }
  if (deferChunks(path) === 0 && Deno.statSync(path).isDirectory) {
    console.error(`defer_chunks: no dynamic import of a chunk in ${path}`);
    Deno.exit(1);
  }
}
