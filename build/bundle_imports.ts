/**
 * What `deno bundle` puts in place of some imports when it makes netkit's bundles (the Makefile's
 * BUILD_BUNDLES): an import map, `DIR/bundle-imports.json`, and the files it names.
 *
 * Why: in Deno, the first `node:` module a program imports loads Node's compatibility layer,
 * 15-25 ms of a command's start (bench/RESULTS.md), and a bundle runs from a file, where every
 * package is plain JavaScript. So, as bundlers for browsers do, the bundles take:
 *
 * - for `node:path`, Node's own POSIX path code as a package (build/node_builtins/path.ts);
 * - for `node:util` (`parseArgs`), the Node.js project's own package of it
 *   (build/node_builtins/util.ts);
 * - for the yaml package, the ES module build it gives platforms other than Node (the same code;
 *   its Node build asks for `node:process` and `node:buffer` as it loads): `DIR/yaml-esm.js`,
 *   made here with `deno bundle --platform=browser`, the one way to pick that build.
 *
 * A checkout (`deno run main.ts`) and the library imported from source keep the built-ins: there
 * they are cheaper than a CommonJS package, which Deno loads through that same layer.
 *
 *   deno run -A build/bundle_imports.ts DIR
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

const ROOT = new URL("../", import.meta.url);

/** The `npm:yaml@X.Y.Z` specifier lib/deps/yaml.ts pins (the one place its version is). */
export function yamlSpecifier(depsSource: string): string {
  const m = /"(npm:yaml@\d+\.\d+\.\d+)"/.exec(depsSource);
  if (!m) throw new Error("lib/deps/yaml.ts names no npm:yaml@X.Y.Z");
  return m[1]!;
}

/** The import map: each specifier, and the file the bundle takes for it. */
export function bundleImports(yaml: string, root: URL = ROOT): { imports: Record<string, string> } {
  return {
    imports: {
      "node:path": new URL("build/node_builtins/path.ts", root).href,
      "node:util": new URL("build/node_builtins/util.ts", root).href,
      [yaml]: "./yaml-esm.js",
    },
  };
}

if (import.meta.main) {
  const [dir] = Deno.args;
  if (!dir) {
    console.error("usage: deno run -A build/bundle_imports.ts DIR");
    Deno.exit(2);
  }
  const root = fromFileUrl(ROOT);
  const yamlEsm = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform=browser",
      "-o",
      join(dir, "yaml-esm.js"),
      "lib/deps/yaml.ts",
    ],
    cwd: root,
    stderr: "inherit",
  }).output();
  if (!yamlEsm.success) Deno.exit(1);
  const yaml = yamlSpecifier(await Deno.readTextFile(join(root, "lib/deps/yaml.ts")));
  await Deno.writeTextFile(
    join(dir, "bundle-imports.json"),
    JSON.stringify(bundleImports(yaml), null, 2) + "\n",
  );
}
