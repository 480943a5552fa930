/** tools/defer_chunks.ts: only the named chunks' dynamic imports are deferred, nothing else. */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { withTempDir } from "../helpers/temp.ts";
import { deferChunks } from "../../tools/defer_chunks.ts";

Deno.test("the named chunk's dynamic import becomes a computed URL; the others stay", async () => {
  await withTempDir("netkit-defer-", async (dir) => {
    // A static import of another chunk (spelled in two parts: tests/unit/deps_test.ts reads
    // every test's text for import specifiers).
    const staticImport = "import { x } fr" + 'om "./chunk-ZZ.js";';
    const source = 'const a = () => import("./elkjs-FYQA7GBB.js");\n' +
      `const b = () => import("./graph-AB12CD34.js");\n${staticImport}\n`;
    await Deno.writeTextFile(`${dir}/chunk-1.js`, source);
    await Deno.writeTextFile(`${dir}/notes.txt`, 'import("./elkjs-FYQA7GBB.js")');
    assertEquals(deferChunks(dir, ["elkjs"]), 1);
    const out = await Deno.readTextFile(`${dir}/chunk-1.js`);
    assertMatch(out, /import\(new URL\("\.\/elkjs-FYQA7GBB\.js", import\.meta\.url\)\.href\)/);
    assertMatch(out, /import\("\.\/graph-AB12CD34\.js"\)/);
    assert(out.includes(staticImport), out);
    assertEquals(await Deno.readTextFile(`${dir}/notes.txt`), 'import("./elkjs-FYQA7GBB.js")');
    assertEquals(deferChunks(dir, ["elkjs"]), 0); // done once: nothing literal is left
  });
});
