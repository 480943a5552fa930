/**
 * `netkit run SCRIPT [ARGS...]`: a user's Deno script, with `import { ... } from "netkit"`
 * resolved to the library of the netkit that runs it, so a lab VM with netkit alone (the bundle
 * and the Deno that runs it, as `make install` puts them) can run scripted labs.
 *
 * How: the script runs in the same Deno executable as netkit (`Deno.execPath()`), with `-A` and an
 * import map given inline as a `data:` URL that maps `netkit` to
 *
 * - the bundle unpacked beside the running CLI, when netkit runs as the one file of `make compile`
 *   (build/onefile.ts: the Deno runtime and the bundle in one file, unpacked into a cache entry);
 * - the bundle, when netkit runs as dist/netkit.js (bundle.ts: the bundle is the CLI when run and
 *   the library when imported), so the script and the CLI share one file and one version; when
 *   netkit runs as the code-split CLI `make install` puts beside its bundle, that bundle, built
 *   from the same source at the same time (lib/multihost/program.ts: `selfProgram`);
 * - mod.ts beside this file, when netkit runs from its source tree.
 *
 * The limit: a `deno compile`d netkit (`make compile DENORT_BIN=...`) cannot do this. Its runtime (denort) runs only the modules
 * built into the executable; it has no `deno run` to hand the script to and cannot import a file
 * from disk (denoland/deno#18327). There, `run` refuses in one line and says what works instead.
 *
 * @module
 */
import { ExitCode, UsageError } from "../errors.ts";
import type { Host } from "../host.ts";
import { pathToFileURL } from "node:url";
import { dirname, join, resolve } from "node:path";
import { type SelfProgram, selfProgram } from "../multihost/program.ts";
import { parse, type ParseError } from "../deps/jsonc_parser.ts";

/**
 * The module `import ... from "netkit"` resolves to in a script netkit runs, or that there is
 * none loadable from outside: decided with how a multi-host controller copies itself
 * (`selfProgram()`, lib/multihost/program.ts).
 */
export function libraryUrl(self: SelfProgram = selfProgram()): string {
  if (self.kind === "compiled") {
    throw new UsageError(
      "netkit run needs Deno to load a script, and this netkit is a compiled executable: " +
        "deno compile's runtime runs only the modules built into it and cannot import a file " +
        "from disk",
      {
        hint: "use the one file of plain make compile (build/onefile.ts), " +
          "or run the script with Deno: deno run -A dist/netkit.js run SCRIPT",
      },
    );
  }
  if (self.kind === "onefile" && self.library) return pathToFileURL(self.library).href;
  return self.kind === "bundle"
    ? pathToFileURL(self.path).href
    : new URL("../../mod.ts", import.meta.url).href;
}

/**
 * The argv that runs `script` with `netkit` mapped to `library`; with `library` undefined, the
 * script's own deno.json maps it (see {@link configMapsNetkit}).
 */
function runArgv(script: string, args: string[], library: string | undefined): string[] {
  const importMap = JSON.stringify({ imports: { netkit: library } });
  return [
    Deno.execPath(),
    "run",
    "-A",
    ...(library === undefined
      ? []
      : [`--import-map=data:application/json,${encodeURIComponent(importMap)}`]),
    script,
    ...args,
  ];
}

/**
 * Whether the deno.json Deno finds for `script` (the first `deno.json` or `deno.jsonc` up from
 * the script's directory, as `netkit init` writes it) maps `"netkit"` itself. Then `netkit run`
 * leaves that mapping in charge: the script runs with the library `deno check` and the editor
 * saw (and Deno 2.9 panics when a `--import-map` and the config both map the same name,
 * import_map ext.rs). The file is read as Deno reads it, as JSONC: comments and trailing commas
 * are allowed in either name. A file that is not even JSONC maps nothing (Deno will say why).
 */
export async function configMapsNetkit(script: string): Promise<boolean> {
  for (let dir = dirname(resolve(script));; dir = dirname(dir)) {
    for (const name of ["deno.json", "deno.jsonc"]) {
      const text = await Deno.readTextFile(join(dir, name)).catch(() => undefined);
      if (text === undefined) continue;
      const errors: ParseError[] = [];
      const config = parse(text, errors, { allowTrailingComma: true });
      return errors.length === 0 && typeof config?.imports?.netkit === "string";
    }
    if (dir === dirname(dir)) return false;
  }
}

/** Runs `netkit run SCRIPT ARGS...`; exits with the script's exit code. */
export async function runCommand(host: Host, script: string, args: string[]): Promise<void> {
  const library = libraryUrl();
  try {
    if (!(await Deno.stat(script)).isFile) throw new Deno.errors.NotFound();
  } catch {
    throw new UsageError(`No script ${JSON.stringify(script)}: not a readable file`);
  }
  // The script is the user's own program with the terminal, like `netkit exec`'s command.
  const mapped = await configMapsNetkit(script);
  const status = await host.runner.spawn(runArgv(script, args, mapped ? undefined : library), {
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).status;
  if (status.code !== 0) throw new ExitCode(status.code);
}
