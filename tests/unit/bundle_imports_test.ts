/**
 * build/bundle_imports.ts: the bundles take plain-JavaScript stand-ins for the Node built-ins
 * netkit imports. Every name netkit's modules import from them, the stand-in has; the yaml entry
 * is the version lib/deps/yaml.ts pins.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { bundleImports, yamlSpecifier } from "../../build/bundle_imports.ts";

const ROOT = new URL("../../", import.meta.url);

/** The names netkit's bundled modules (main.ts, mod.ts, lib/, recipes/) import from `module`. */
async function namesImported(module: string): Promise<Set<string>> {
  const names = new Set<string>();
  const form = new RegExp(`import\\s*\\{([^}]*)\\}\\s*from\\s*"${module}"`, "g");
  const read = async (file: URL) => {
    for (const m of (await Deno.readTextFile(file)).matchAll(form)) {
      for (const part of m[1]!.split(",").map((p) => p.trim())) {
        if (part && !part.startsWith("type ")) names.add(part.split(/\s+as\s+/)[0]!);
      }
    }
  };
  const walk = async (dir: URL) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(new URL(`${e.name}/`, dir));
      else if (e.name.endsWith(".ts")) await read(new URL(e.name, dir));
    }
  };
  for (const f of ["main.ts", "mod.ts", "bundle.ts"]) await read(new URL(f, ROOT));
  for (const d of ["lib/", "recipes/"]) await walk(new URL(d, ROOT));
  return names;
}

Deno.test("each stand-in has every name netkit's bundled modules import from its built-in", async () => {
  const map = bundleImports(
    yamlSpecifier(await Deno.readTextFile(new URL("lib/deps/yaml.ts", ROOT))),
  );
  for (const builtin of ["node:path", "node:util"]) {
    const standIn = await import(map.imports[builtin]!);
    const wanted = await namesImported(builtin);
    assert(wanted.size > 0, builtin);
    for (const name of wanted) assert(name in standIn, `${map.imports[builtin]} lacks ${name}`);
  }
});

Deno.test("the stand-in for node:path gives node:path's answers", async () => {
  const standIn = await import("../../build/node_builtins/path.ts");
  const node = await import("node:path");
  for (
    const p of ["/run/netkit/labs/x/../y", "a//b/./c/", "", ".", "/", "lab\\file.yaml", "../x"]
  ) {
    assertEquals(standIn.normalize(p || "."), node.normalize(p || "."), p);
    assertEquals(standIn.join("/d", p), node.join("/d", p), p);
    assertEquals(standIn.dirname(p), node.dirname(p), p);
    assertEquals(standIn.basename(p, ".yaml"), node.basename(p, ".yaml"), p);
    assertEquals(standIn.isAbsolute(p), node.isAbsolute(p), p);
    assertEquals(standIn.resolve(p), node.resolve(p), p);
    assertEquals(standIn.relative("/run", p), node.relative("/run", p), p);
  }
});

Deno.test("the stand-in for node:path resolves an absolute path when the working directory is gone", async () => {
  const standIn = await import("../../build/node_builtins/path.ts");
  const here = Deno.cwd();
  const gone = await Deno.makeTempDir({ prefix: "netkit-cwd-" });
  try {
    Deno.chdir(gone);
    await Deno.remove(gone);
    assertEquals(standIn.resolve("/run/netkit", "lab.yaml"), "/run/netkit/lab.yaml");
    assertEquals(standIn.resolve("x", "/abs"), "/abs");
  } finally {
    Deno.chdir(here);
  }
});

Deno.test("the yaml entry is the version lib/deps/yaml.ts pins", async () => {
  const pinned = await Deno.readTextFile(new URL("lib/deps/yaml.ts", ROOT));
  assertEquals(yamlSpecifier(pinned), /"(npm:yaml@[^"]+)"/.exec(pinned)![1]);
  assertEquals(bundleImports("npm:yaml@1.2.3").imports["npm:yaml@1.2.3"], "./yaml-esm.js");
});
