/**
 * `make compile` where `deno compile` has no runtime to embed: netkit as one self-contained file
 * for a lab VM without Deno. The file is build/onefile.sh (a POSIX sh launcher, its placeholders
 * filled in) followed by a gzip'd tar of
 *
 * - `deno`: the Deno runtime for the target (the `deno` npm package's per-platform binary);
 * - `netkit.js`: the one-file bundle (bundle.ts), the library `netkit run` hands a script;
 * - `netkit-cli/`: the CLI's code-split build (main.ts), what runs (a command loads only the
 *   modules it needs, like the launcher `make install` writes).
 *
 * The launcher carries every file's SHA-256 (its manifest), and the cache entry it unpacks into is
 * named by the SHA-256 of that manifest: the same content gives the same entry, whatever file it
 * came from. The tar is reproducible (sorted names, fixed owner, modes and times), so a rebuild
 * of the same sources and runtime gives the same file.
 *
 *   deno run -A build/onefile.ts --target TARGET --runtime DENO --bundle JS --cli DIR --out FILE
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createHash } from "node:crypto";
import { join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };

/** `uname -m` of each target `make compile` builds. */
export const ONEFILE_ARCH: Record<string, string> = {
  "x86_64-unknown-linux-gnu": "x86_64",
  "aarch64-unknown-linux-gnu": "aarch64",
};

/** What goes into one file. */
export interface OneFileInputs {
  /** A Rust-style target triple, a key of {@link ONEFILE_ARCH}. */
  target: string;
  /** The Deno executable for that target. */
  runtime: string;
  /** The one-file bundle (dist/netkit.js). */
  bundle: string;
  /** The directory of the CLI's code-split build (dist/netkit-cli). */
  cli: string;
}

/** What {@link buildOneFile} made. */
export interface OneFile {
  /** The cache entry's name: the SHA-256 of the manifest. */
  hash: string;
  /** Bytes of the whole file. */
  size: number;
}

async function sha256(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

async function run(argv: string[], cwd?: string): Promise<Uint8Array> {
  const out = await new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    ...(cwd ? { cwd } : {}),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`${argv.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return out.stdout;
}

/** The launcher with every placeholder filled in; `start` is where the payload begins (1-based). */
export function launcher(template: string, fields: Record<string, string>): string {
  let text = template;
  for (const [key, value] of Object.entries(fields)) text = text.replaceAll(`@${key}@`, value);
  const left = text.match(/@NK_[A-Z]+@/);
  if (left) throw new Error(`build/onefile.sh: no value for ${left[0]}`);
  return text;
}

/** Builds the one file for `inputs` into `out` (written under a temporary name, then renamed). */
export async function buildOneFile(inputs: OneFileInputs, out: string): Promise<OneFile> {
  const arch = ONEFILE_ARCH[inputs.target];
  if (!arch) throw new Error(`unknown target ${inputs.target}`);
  const stage = await Deno.makeTempDir({ prefix: "netkit-onefile-" });
  try {
    await Deno.copyFile(inputs.runtime, join(stage, "deno"));
    await Deno.copyFile(inputs.bundle, join(stage, "netkit.js"));
    await Deno.mkdir(join(stage, "netkit-cli"));
    const chunks = [...Deno.readDirSync(inputs.cli)].filter((e) => e.isFile).map((e) => e.name);
    if (!chunks.includes("main.js")) throw new Error(`${inputs.cli} has no main.js`);
    for (const c of chunks) await Deno.copyFile(join(inputs.cli, c), join(stage, "netkit-cli", c));
    const files = ["deno", "netkit.js", ...chunks.sort().map((c) => `netkit-cli/${c}`)];
    const manifest = [];
    for (const f of files) {
      await Deno.chmod(join(stage, f), f === "deno" ? 0o500 : 0o400);
      manifest.push(`${await sha256(join(stage, f))}  ./${f}`);
    }
    await Deno.chmod(join(stage, "netkit-cli"), 0o700);
    const hash = createHash("sha256").update(manifest.join("\n")).digest("hex");
    const tar = [
      "tar",
      "--sort=name",
      "--mtime=@0",
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "--no-recursion",
      "-cf",
      "-",
      "-C",
      stage,
      "netkit-cli",
      ...files,
    ];
    const payload = await run(["bash", "-c", 'set -o pipefail; "$@" | gzip -6 -n', "bash", ...tar]);
    const template = await Deno.readTextFile(new URL("./onefile.sh", import.meta.url));
    const fields = {
      NK_VERSION: denoJson.version,
      NK_TARGET: inputs.target,
      NK_ARCH: arch,
      NK_HASH: hash,
      NK_FILES: files.join(" "),
      NK_MANIFEST: manifest.join("\n"),
    };
    // The payload starts right after the launcher, whose length depends on that number.
    let start = 0;
    let text = "";
    for (let next = 1; next !== start;) {
      start = next;
      text = launcher(template, { ...fields, NK_START: String(start) });
      next = new TextEncoder().encode(text).length + 1;
    }
    const head = new TextEncoder().encode(text);
    const whole = new Uint8Array(head.length + payload.length);
    whole.set(head);
    whole.set(payload, head.length);
    const tmp = `${out}.tmp-${Deno.pid}`;
    await Deno.writeFile(tmp, whole, { mode: 0o755 });
    await Deno.chmod(tmp, 0o755);
    await Deno.rename(tmp, out);
    return { hash, size: whole.length };
  } finally {
    await Deno.remove(stage, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      target: { type: "string" },
      runtime: { type: "string" },
      bundle: { type: "string" },
      cli: { type: "string" },
      out: { type: "string" },
    },
  });
  const { target, runtime, bundle, cli, out } = values;
  if (!target || !runtime || !bundle || !cli || !out) {
    console.error(
      "usage: onefile.ts --target TARGET --runtime DENO --bundle JS --cli DIR --out FILE",
    );
    Deno.exit(2);
  }
  const made = await buildOneFile({ target, runtime, bundle, cli }, out);
  console.log(`${out}: ${(made.size / 1e6).toFixed(1)} MB, cache entry ${made.hash.slice(0, 16)}…`);
}
