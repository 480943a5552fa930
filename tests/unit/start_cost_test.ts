/**
 * What a command loads before it does anything: in Deno the first `node:` module a program imports
 * loads Node's compatibility layer, 15-25 ms of every command's start (bench/RESULTS.md). The CLI's
 * start and its everyday commands import none (lib/path.ts, lib/deps/parseargs.ts say how); the
 * YAML reader's CommonJS package may still ask for built-ins where a lab file is read.
 */
import { assertEquals } from "../helpers/assert.ts";

const ROOT = new URL("../../", import.meta.url);

interface Dependency {
  code?: { specifier: string };
  isDynamic?: boolean;
}
interface InfoModule {
  specifier: string;
  dependencies?: Dependency[];
}

/** The `node:` modules that the modules `entry` imports statically (code, not types) import. */
async function nodeImportsOf(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const modules = new Map<string, InfoModule>();
  for (const m of (JSON.parse(new TextDecoder().decode(out.stdout)).modules as InfoModule[])) {
    modules.set(m.specifier, m);
  }
  const found = new Set<string>();
  const seen = new Set<string>();
  const visit = (specifier: string) => {
    if (seen.has(specifier)) return;
    seen.add(specifier);
    for (const d of modules.get(specifier)?.dependencies ?? []) {
      if (!d.code || d.isDynamic) continue;
      const to = d.code.specifier;
      if (to.startsWith("node:")) found.add(`${specifier.slice(ROOT.href.length)} imports ${to}`);
      else if (to.startsWith(ROOT.href)) visit(to);
    }
  };
  visit(new URL(entry, ROOT).href);
  return [...found].sort();
}

for (
  const entry of [
    "main.ts", // every command's start: --version, --help, the command line
    "lib/cli/up.ts",
    "lib/cli/down.ts",
    "lib/cli/status.ts",
    "lib/cli/validate.ts",
    "lib/cli/exec.ts",
  ]
) {
  Deno.test(`${entry} and what it imports statically import no node: module`, async () => {
    assertEquals(await nodeImportsOf(entry), []);
  });
}
