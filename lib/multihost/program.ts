/**
 * The same netkit on every host. The controller (where `netkit up` runs) copies itself to each
 * host that does not have this very build yet, into a cache directory there (default
 * `/var/cache/netkit`), and runs it from there:
 *
 * - a compiled netkit (`deno compile`) copies its own executable, and the one file of
 *   `make compile` (build/onefile.ts: the Deno runtime and the bundle behind a sh launcher) copies
 *   that one file;
 * - a bundle (`dist/netkit.js`, or the one `make install` puts beside its code-split CLI) or a
 *   source checkout copies the bundle (built once per source state into the controller's cache)
 *   and the Deno runtime it runs under (this very `deno`), so the host needs nothing installed but
 *   sshd and the tools a lab uses (ip, ovs, dnsmasq).
 *
 * A cached file's name holds what identifies it (the bundle's SHA-256, the runtime's version and
 * target). A file counts as there when its SHA-256 on the host is the controller's; a copy is
 * checked the same way before it takes its name (lib/multihost/remote_file.ts). Hosts whose
 * architecture differs from the controller's are refused.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { createHash } from "node:crypto";
import { UsageError } from "../errors.ts";
import type { Runner } from "../exec/runner.ts";
import type { SshRunner } from "../exec/ssh_runner.ts";
import { ensureRemoteFiles } from "./remote_file.ts";

/** How this netkit runs. */
export interface SelfProgram {
  kind: "source" | "bundle" | "compiled" | "onefile";
  /** main.ts (source), the bundle file, the executable, or the one file. */
  path: string;
  /** The one file's bundle, unpacked in its cache entry: the library `netkit run` hands a script. */
  library?: string;
}

/**
 * Where the one file of `make compile` (build/onefile.sh) says it runs from: the file itself and
 * the cache entry it unpacked into (`NETKIT_ONEFILE`, `NETKIT_ONEFILE_ENTRY`).
 */
interface OneFileOrigin {
  file: string;
  entry: string;
}

/**
 * The directory of the code-split CLI that `make install` puts beside the one-file bundle
 * (`<lib>/netkit-cli/main.js` and its chunks, beside `<lib>/netkit.js`): a command loads only the
 * modules it needs, where the one-file bundle evaluates all of them first.
 */
const SPLIT_CLI_DIR = "netkit-cli";

/**
 * How this netkit runs and where its code lives: the one place that decides it (`netkit run`
 * asks it too, lib/cli/run.ts).
 */
export function selfProgram(): SelfProgram {
  const file = Deno.env.get("NETKIT_ONEFILE");
  const entry = Deno.env.get("NETKIT_ONEFILE_ENTRY");
  // Inherited by a program netkit started, these name another netkit: they count only when this
  // process is the entry's own runtime.
  const origin = file && entry && Deno.execPath() === join(entry, "deno")
    ? { file, entry }
    : undefined;
  return programAt(new URL(import.meta.url), fileExists, origin);
}

/**
 * How a netkit whose modules are at `url` runs. `deno compile` runs the embedded modules from a
 * virtual directory named `deno-compile-<name>`; in the one-file bundle every module shares the
 * bundle's URL (a `.js` file), whether it runs as the CLI or is imported as the library; a module
 * of the installed code-split CLI ({@link SPLIT_CLI_DIR}) stands for the one-file bundle beside
 * that directory, which is the same build's library and what a multi-host controller copies. A
 * module inside the cache entry of the one file (`onefile`) stands for that file.
 */
export function programAt(
  url: URL,
  exists: (path: string) => boolean = fileExists,
  onefile?: OneFileOrigin,
): SelfProgram {
  if (url.pathname.includes("/deno-compile-")) return { kind: "compiled", path: Deno.execPath() };
  if (onefile && url.pathname.startsWith(`${onefile.entry}/`)) {
    return { kind: "onefile", path: onefile.file, library: join(onefile.entry, "netkit.js") };
  }
  if (url.pathname.endsWith(".js")) {
    const dir = dirname(url.pathname);
    const beside = join(dirname(dir), "netkit.js");
    if (basename(dir) === SPLIT_CLI_DIR && exists(beside)) return { kind: "bundle", path: beside };
    return { kind: "bundle", path: url.pathname };
  }
  return { kind: "source", path: new URL("../../main.ts", url).pathname };
}

function fileExists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The argv that runs this netkit on this machine (for a `local` host role). */
export function localArgv(self: SelfProgram = selfProgram()): string[] {
  if (self.kind === "compiled" || self.kind === "onefile") return [self.path];
  if (self.kind === "bundle") {
    return [Deno.execPath(), "run", "-A", "--no-config", "--no-lock", self.path];
  }
  const config = new URL("../../deno.json", import.meta.url).pathname;
  return [Deno.execPath(), "run", "-A", "--config", config, self.path];
}

/** A file to have on a host. */
interface RemoteFile {
  local: string;
  remote: string;
}

/** What to copy to a host and how to run it there. */
interface RemoteProgram {
  files: RemoteFile[];
  /** The argv prefix that runs netkit on the host. */
  argv: string[];
}

async function sha256File(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

/** A hash of the source tree (main.ts, mod.ts, deno.json, lib/, recipes/). */
async function sourceHash(root: string): Promise<string> {
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(join(root, dir))) {
      const rel = join(dir, e.name);
      if (e.isDirectory) await walk(rel);
      else if (e.name.endsWith(".ts")) files.push(rel);
    }
  };
  await walk("lib");
  await walk("recipes").catch(() => {});
  files.push("main.ts", "mod.ts", "deno.json");
  files.sort();
  const hash = createHash("sha256");
  for (const f of files) {
    hash.update(`${f}\0`).update(await Deno.readFile(join(root, f))).update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * The bundle of this netkit: the running bundle itself, or (from a source checkout) one built
 * with `deno bundle` into `cacheDir`, once per state of the source. A compiled netkit or the one
 * file carries its own: its path.
 */
export async function ensureBundle(
  self: SelfProgram,
  cacheDir: string,
  runner: Runner,
): Promise<string> {
  if (self.kind !== "source") return self.path;
  const root = new URL("../../", import.meta.url).pathname;
  const out = join(cacheDir, `netkit-src-${await sourceHash(root)}.js`);
  try {
    await Deno.stat(out);
    return out;
  } catch {
    // not built yet
  }
  await Deno.mkdir(cacheDir, { recursive: true });
  // Ends in .js: deno bundle picks the output's module format by its extension, and only an ES
  // module gets the createRequire shim that the npm packages' CommonJS (yaml's) needs.
  const tmp = `${out.slice(0, -".js".length)}.tmp-${Deno.pid}.js`;
  await runner.run([
    Deno.execPath(),
    "bundle",
    "--quiet",
    "--platform=deno",
    "--config",
    join(root, "deno.json"),
    "-o",
    tmp,
    join(root, "main.ts"),
  ], { env: { NO_COLOR: "1" } });
  await Deno.rename(tmp, out);
  return out;
}

/** What a host needs to run this netkit, cached under `remoteCache`. */
export async function remoteProgram(
  self: SelfProgram,
  bundle: string | undefined,
  remoteCache: string,
): Promise<RemoteProgram> {
  if (self.kind === "onefile") {
    const remote = join(remoteCache, `netkit-${(await sha256File(self.path)).slice(0, 16)}`);
    return { files: [{ local: self.path, remote }], argv: [remote] };
  }
  if (self.kind === "compiled") {
    const size = (await Deno.stat(self.path)).size;
    const remote = join(remoteCache, `netkit-${Deno.version.deno}-${size}`);
    return { files: [{ local: self.path, remote }], argv: [remote] };
  }
  const runtime = join(remoteCache, `deno-${Deno.version.deno}-${Deno.build.target}`);
  const script = join(remoteCache, `netkit-${(await sha256File(bundle!)).slice(0, 16)}.js`);
  return {
    files: [{ local: Deno.execPath(), remote: runtime }, { local: bundle!, remote: script }],
    argv: [
      "env",
      "DENO_NO_UPDATE_CHECK=1",
      "NO_COLOR=1",
      runtime,
      "run",
      "-A",
      "--no-config",
      "--no-lock",
      script,
    ],
  };
}

/** `uname -m` names for Deno's architectures. */
const MACHINE: Record<string, string> = { x86_64: "x86_64", aarch64: "aarch64" };

/**
 * Makes sure the host has every file of `program`, each checked by its SHA-256 there (copying
 * what is missing or different, lib/multihost/remote_file.ts), and runs the same architecture.
 * Returns how many files were copied.
 */
export async function provision(
  runner: SshRunner,
  role: string,
  program: RemoteProgram,
): Promise<number> {
  const machine = (await runner.run(["uname", "-m"])).stdout.trim();
  if (machine !== MACHINE[Deno.build.arch]) {
    throw new UsageError(
      `Host ${role} is ${machine}; this netkit runs on ${Deno.build.arch} and cannot copy itself there`,
      { hint: "run netkit up from a controller of the same architecture" },
    );
  }
  return await ensureRemoteFiles(runner, role, program.files);
}
