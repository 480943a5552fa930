/**
 * `deno run -A tools/ship_types.ts DIR`: gives the bundle in DIR (`DIR/netkit.js`, as `make
 * install` puts it in PREFIX/lib/netkit) the types of its library, so a script that imports
 * `"netkit"` type-checks against the very build it runs with (`netkit init`, lib/cli/init.ts):
 *
 * - copies the library's TypeScript source (every local module mod.ts imports, as `deno info`
 *   lists them) to `DIR/netkit-src/`, replacing what was there;
 * - makes the bundle's first line `/* @ts-self-types="./netkit-src/mod.ts" *\/` (once), so that
 *   Deno type-checks an import of the bundle against that source and runs the bundle.
 *
 * A one-file build that unpacks its bundle runs this on the directory it unpacks from.
 *
 * @module
 */
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { SELF_TYPES, TYPES_DIR, withoutShebang } from "../lib/cli/init.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));

/** The repository's files mod.ts's types need (relative paths). */
async function libraryFiles(): Promise<string[]> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", join(REPO, "mod.ts")],
    cwd: REPO,
    stdout: "piped",
  }).output();
  if (r.code !== 0) throw new Error("deno info mod.ts failed");
  const info = JSON.parse(new TextDecoder().decode(r.stdout)) as {
    modules: { specifier: string }[];
  };
  return info.modules
    .map((m) => m.specifier)
    .filter((s) => s.startsWith("file://"))
    .map((s) => relative(REPO, fileURLToPath(s)))
    .filter((p) => !p.startsWith(".."))
    .sort();
}

/** Ships the types into `dir` (see the module doc); returns how many files it copied. */
async function shipTypes(dir: string): Promise<number> {
  const bundle = join(dir, "netkit.js");
  const text = await Deno.readTextFile(bundle);
  const target = join(dir, TYPES_DIR);
  await Deno.remove(target, { recursive: true }).catch(() => {});
  const files = await libraryFiles();
  for (const file of files) {
    await Deno.mkdir(join(target, dirname(file)), { recursive: true });
    await Deno.copyFile(join(REPO, file), join(target, file));
  }
  const body = withoutShebang(text);
  if (!body.startsWith(SELF_TYPES)) {
    // After the bundle's `#!` line, which must stay the first.
    const shebang = text.slice(0, text.length - body.length);
    const tmp = `${bundle}.tmp-${Deno.pid}`;
    const mode = ((await Deno.stat(bundle)).mode ?? 0o644) & 0o777;
    await Deno.writeTextFile(tmp, `${shebang}${SELF_TYPES}\n${body}`, { mode });
    await Deno.chmod(tmp, mode);
    await Deno.rename(tmp, bundle);
  }
  return files.length;
}

if (import.meta.main) {
  const dir = Deno.args[0];
  if (!dir) {
    console.error("usage: deno run -A tools/ship_types.ts DIR  (DIR holds netkit.js)");
    Deno.exit(2);
  }
  const n = await shipTypes(dir);
  console.log(`ship_types: ${n} files in ${join(dir, TYPES_DIR)}, ${join(dir, "netkit.js")} typed`);
}
