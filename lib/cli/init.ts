/**
 * `netkit init [DIR]`: a directory for one's own lab scripts, where `deno check`, the editor
 * (`deno lsp`) and `netkit run` all see the same typed library. It writes
 *
 * - `deno.json`, whose import map points `"netkit"` at the typed library this very netkit carries
 *   ({@link typedLibraryUrl}); an existing `deno.json` keeps everything else it says;
 * - `lab.ts`, a starter script (never over one that exists).
 *
 * Where the typed library is (the one answer, {@link typedLibraryUrl}), by how netkit runs
 * (lib/cli/run.ts: `libraryUrl`, which `netkit run` maps `"netkit"` to):
 *
 * - from a checkout: its mod.ts, which is its own types;
 * - as a bundle (`make install`, a one-file build that unpacks its bundle): the bundle itself
 *   when its first line names its types (`/* @ts-self-types="./netkit-src/mod.ts" *\/`, written
 *   by tools/ship_types.ts), so checking and running go to the one file; else the library's
 *   source shipped beside it, `netkit-src/mod.ts` (same build, so the same API);
 * - a bundle with neither: refused, saying so (a script could run but not be type-checked).
 *
 * The types are the library's TypeScript source, so `deno check` there fetches the npm packages
 * netkit's types name (once, into Deno's cache), as it does in a checkout.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { UsageError } from "../errors.ts";
import { libraryUrl } from "./run.ts";
import { out } from "./output.ts";

/** Where a bundle keeps the library's typed source, beside itself (tools/ship_types.ts). */
export const TYPES_DIR = "netkit-src";

/** The directive a bundle's first line carries when its types are in {@link TYPES_DIR}. */
export const SELF_TYPES = `/* @ts-self-types="./${TYPES_DIR}/mod.ts" */`;

/** A module's text after its `#!` line, if it has one (the bundle starts with one). */
export const withoutShebang = (text: string): string =>
  text.startsWith("#!") ? text.slice(text.indexOf("\n") + 1) : text;

const readHead = (path: string): string => {
  try {
    const file = Deno.openSync(path);
    try {
      const buf = new Uint8Array(256);
      const n = file.readSync(buf) ?? 0;
      return new TextDecoder().decode(buf.subarray(0, n));
    } finally {
      file.close();
    }
  } catch {
    return "";
  }
};

const isFile = (path: string): boolean => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
};

/**
 * The URL `"netkit"` maps to for type-checking scripts: the typed library this netkit carries
 * (see the module doc). `library` is what `netkit run` maps `"netkit"` to.
 *
 * @throws {UsageError} When this netkit carries no types for its library.
 */
function typedLibraryUrl(library: string = libraryUrl()): string {
  const url = new URL(library);
  if (url.protocol !== "file:" || url.pathname.endsWith(".ts")) return library;
  const bundle = fileURLToPath(url);
  if (withoutShebang(readHead(bundle)).startsWith("/* @ts-self-types=")) return library;
  const source = join(dirname(bundle), TYPES_DIR, "mod.ts");
  if (isFile(source)) return pathToFileURL(source).href;
  throw new UsageError(
    `This netkit's library (${bundle}) carries no types: scripts would run but could not be ` +
      "type-checked",
    { hint: `ship them with: deno run -A tools/ship_types.ts ${dirname(bundle)}` },
  );
}

/** The starter script `netkit init` writes. */
const STARTER = `/**
 * A lab of your own: two namespaces on an Open vSwitch bridge, a DHCP server in one, a client in
 * the other, and a ping. Run it as root with \`netkit run lab.ts\` (or \`deno run -A lab.ts\`);
 * check it with \`deno check lab.ts\`. The lab is removed when the script ends, also on Ctrl-C.
 */
import {
  addAddress,
  createNs,
  dhcp,
  dhcpClient,
  linkUp,
  openLab,
  ovsAddBridge,
  ovsAddPort,
  vethPair,
} from "netkit";

const prefix = Deno.args[0] ?? "my-";
await using lab = await openLab(\`\${prefix}lab\`);
const [server, client, bridge] = [\`\${prefix}srv\`, \`\${prefix}cli\`, \`\${prefix}br\`];
await lab.add(createNs(server), createNs(client), ovsAddBridge(bridge));
for (const ns of [server, client]) {
  await lab.add(
    vethPair(\`\${ns}-p\`, { peer: "eth0", peerNs: ns }),
    ovsAddPort(\`\${ns}-p\`, { bridge }),
    linkUp(\`\${ns}-p\`),
    linkUp("eth0", { ns }),
  );
}
await lab.add(
  addAddress("eth0", "10.123.0.1/24", { ns: server }),
  dhcp(server, {
    interface: "eth0",
    range: ["10.123.0.10", "10.123.0.20"],
    stateDir: lab.stateDir,
  }),
  dhcpClient(client, { interface: "eth0", stateDir: lab.stateDir }),
);
const ping = await lab.ping(client, server);
console.log(ping.reached ? \`\${client} (DHCP) reached \${server}\` : "no reply");
if (!ping.reached) Deno.exitCode = 1;
`;

/** What {@link initDir} did. */
interface InitResult {
  /** The directory. */
  dir: string;
  /** What `"netkit"` maps to. */
  library: string;
  /** The files written (a starter that existed is kept). */
  written: string[];
}

/** The deno.json of `dir` with `"netkit"` mapped to `library` (other settings kept). */
async function denoJson(path: string, library: string): Promise<string> {
  let config: Record<string, unknown> = {};
  try {
    const text = await Deno.readTextFile(path);
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error();
    config = parsed as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new UsageError(`${path}: not a JSON object netkit can add its import to`, {
        hint: `add "imports": { "netkit": "${library}" } to it yourself`,
      });
    }
  }
  const imports = typeof config.imports === "object" && config.imports !== null
    ? config.imports as Record<string, unknown>
    : {};
  return JSON.stringify({ ...config, imports: { ...imports, netkit: library } }, null, 2) + "\n";
}

/** Prepares `dir` for scripts (see the module doc). */
async function initDir(dir: string, library = typedLibraryUrl()): Promise<InitResult> {
  const abs = resolve(dir);
  await Deno.mkdir(abs, { recursive: true });
  const config = join(abs, "deno.json");
  await Deno.writeTextFile(config, await denoJson(config, library));
  const written = [config];
  const starter = join(abs, "lab.ts");
  try {
    await Deno.writeTextFile(starter, STARTER, { createNew: true });
    written.push(starter);
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  return { dir: abs, library, written };
}

/** Runs `netkit init [DIR]`. */
export async function initCommand(dir = "."): Promise<void> {
  const r = await initDir(dir);
  out(
    [
      ...r.written.map((f) => `wrote ${f}`),
      `"netkit" is ${r.library}`,
      "next:",
      ...(r.dir === Deno.cwd() ? [] : [`  cd ${r.dir}`]),
      "  deno check lab.ts        # the types your editor shows (deno lsp)",
      "  sudo netkit run lab.ts   # or: sudo deno run -A lab.ts",
    ].join("\n") + "\n",
  );
}
