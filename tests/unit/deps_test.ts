/**
 * Every third-party version is pinned in one place, lib/deps/ (one file per package, so that a
 * command loads only the packages it uses), with full `npm:pkg@x.y.z` specifiers: a script
 * outside the repository that imports mod.ts by path then needs no import map.
 */
import { assert, assertEquals } from "../helpers/assert.ts";

const ROOT = new URL("../../", import.meta.url);
const SKIP = new Set([".git", ".tools", "dist", "node_modules", ".deno"]);

async function* sources(dir: URL, rel = ""): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    if (SKIP.has(e.name)) continue;
    if (e.isDirectory) yield* sources(new URL(`${e.name}/`, dir), `${rel}${e.name}/`);
    else if (/\.(ts|js)$/.test(e.name)) yield `${rel}${e.name}`;
  }
}

/** The module specifiers a file imports or re-exports (static and literal dynamic imports). */
function specifiers(text: string): string[] {
  const found: string[] = [];
  const code = text.replace(/^\s*(\/\/|\*).*$/gm, ""); // not the examples in comments
  const forms = [
    /\bfrom\s+"([^"\s]+)"/g,
    /\bimport\s*\(\s*"([^"\n]+)"\s*\)/g,
    /^\s*import\s+"([^"\n]+)"/gm,
  ];
  for (const form of forms) for (const m of code.matchAll(form)) found.push(m[1]!);
  return found;
}

Deno.test("only lib/deps/ names third-party packages, each once, with an exact version", async () => {
  const pinned = new Map<string, string>(); // package -> "FILE at VERSION"
  for await (const file of sources(ROOT)) {
    const text = await Deno.readTextFile(new URL(file, ROOT));
    for (const spec of specifiers(text)) {
      if (spec.startsWith(".") || spec.startsWith("node:") || spec.startsWith("data:")) continue;
      if (spec === "netkit") continue; // the library itself, in scripts for netkit run
      assert(
        file.startsWith("lib/deps/"),
        `${file} imports ${JSON.stringify(spec)}: third-party imports go through lib/deps/`,
      );
      const m = /^npm:((?:@[^/@]+\/)?[^/@]+)@(\d+\.\d+\.\d+)(\/.*)?$/.exec(spec);
      assert(m, `${file}: ${JSON.stringify(spec)} is not npm:PACKAGE@X.Y.Z`);
      // One file pins a package, at one version (its subpaths may be imported there too).
      const here = `${file} at ${m[2]}`;
      const first = pinned.get(m[1]!);
      assert(first === undefined || first === here, `${m[1]} is pinned twice: ${first}, ${here}`);
      pinned.set(m[1]!, here);
    }
  }
  assert(pinned.has("zod") && pinned.has("yaml"), [...pinned.keys()].join(", "));
});

Deno.test("deno.json has no import map: nothing resolves only inside the repository", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  assertEquals(config.imports, undefined);
  assertEquals(config.importMap, undefined);
});
