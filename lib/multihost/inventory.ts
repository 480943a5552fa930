/**
 * The inventory: which machine plays each host role of a multi-host lab. It is the operator's
 * file, named on the command line (`netkit up lab.yaml --hosts hosts.yaml`), and never part of a
 * lab file.
 *
 * Why: a lab file is untrusted input (labs are shared and run as root). If a lab file could say
 * `ssh: root@198.51.100.7`, running someone's lab would log in to machines it names, with the
 * operator's keys, and run commands there as root; if it could say where VXLAN goes, it would
 * make hosts send UDP wherever it likes. So a lab file only *names roles* (`hosts: { h1: {},
 * h2: {} }`, `host: h1` on nodes and bridges); the inventory — written or chosen by the person at
 * the keyboard — maps each role to a machine. `up` refuses a multi-host lab without `--hosts`,
 * and refuses an inventory that leaves one of the lab's roles out.
 *
 * ```yaml
 * sshConfig: ./ssh_config        # optional: `ssh -F FILE` (relative to this file)
 * hosts:
 *   h1: { ssh: root@10.9.0.1, underlay: 10.9.0.1 }
 *   h2: { ssh: root@10.9.0.2, underlay: 10.9.0.2, port: 2222 }
 *   ctl: { local: true, underlay: 10.9.0.254 }   # the machine netkit runs on
 * ```
 *
 * `underlay` is the host's own address on the network that carries the tunnels; `mtu` overrides
 * the underlay MTU read from the interface holding that address; `cache` is where netkit keeps
 * its copy of itself on the host (default `/var/cache/netkit`).
 *
 * @module
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { isMap, LineCounter, parseDocument } from "../deps/yaml.ts";
import * as z from "../deps/zod.ts";
import { UsageError } from "../errors.ts";
import { HostRole, Ipv4 } from "../lab/schema.ts";
import { offsetOfPath } from "../lab/file.ts";

/** The remote cache directory when the inventory names none. */
export const DEFAULT_CACHE = "/var/cache/netkit";

const Destination = z.string().check(
  z.regex(/^([A-Za-z0-9._-]+@)?[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    message: 'an ssh destination is "[USER@]HOST" (letters, digits, ".", "_", "-")',
  }),
);
const AbsPath = z.string().check(z.refine((p) => isAbsolute(p) && !p.includes("\0"), {
  message: "an absolute path",
}));

/** One machine (the schema of {@link HostSpec}). */
const HostEntry = z.strictObject({
  /** `[USER@]HOST` to log in to (a `Host` alias of the ssh config works too). */
  ssh: z.optional(Destination),
  /** The machine netkit runs on (no SSH). */
  local: z.optional(z.literal(true)),
  /** SSH port. */
  port: z.optional(z.int().check(z.minimum(1), z.maximum(65535))),
  /** The host's address on the underlay: tunnels go from and to it. */
  underlay: Ipv4,
  /** The underlay's MTU, when it is not the MTU of the interface holding `underlay`. */
  mtu: z.optional(z.int().check(z.minimum(626), z.maximum(65_535))),
  /** Where netkit keeps its own copy on the host. @default "/var/cache/netkit" */
  cache: z.optional(AbsPath),
}).check(z.refine((h) => (h.ssh === undefined) !== (h.local === undefined), {
  message: 'a host has either "ssh: [USER@]HOST" or "local: true"',
}));

/** The inventory file. */
const InventorySchema = z.strictObject({
  /** `ssh -F FILE` for every host (relative to the inventory file). */
  sshConfig: z.optional(z.string().check(z.minLength(1))),
  hosts: z.record(HostRole, HostEntry),
});

/** One machine of the inventory (see the module doc). */
export interface HostSpec {
  /** `[USER@]HOST` to log in to. */
  ssh?: string;
  /** The machine netkit runs on (no SSH). */
  local?: true;
  /** SSH port. */
  port?: number;
  /** The host's address on the underlay. */
  underlay: string;
  /** The underlay MTU, when not the interface's. */
  mtu?: number;
  /** Where netkit keeps its own copy on the host. @default "/var/cache/netkit" */
  cache?: string;
}

/** A parsed inventory (sshConfig made absolute). */
export interface Inventory {
  /** `ssh -F FILE` for every host. */
  sshConfig?: string;
  /** Each host role's machine. */
  hosts: Record<string, HostSpec>;
}

/**
 * Parses an inventory. Problems are reported as `FILE:LINE:COLUMN: message` (exit code 2).
 *
 * @example
 * ```ts
 * import { parseInventory } from "../../mod.ts";
 * const inv = parseInventory("hosts:\n  h1: { ssh: root@10.9.0.1, underlay: 10.9.0.1 }\n", "hosts.yaml");
 * inv.hosts.h1?.underlay; // "10.9.0.1"
 * ```
 */
export function parseInventory(text: string, file: string): Inventory {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new UsageError(`${at(e.pos[0])}: ${e.message.split("\n")[0]}`, { where: at(e.pos[0]) });
  }
  if (!isMap(doc.contents)) {
    throw new UsageError(`${file}:1:1: an inventory is a mapping with "hosts"`, {
      where: `${file}:1:1`,
    });
  }
  const parsed = InventorySchema.safeParse(doc.toJS({ maxAliasCount: 10 }));
  if (!parsed.success) {
    const messages = parsed.error.issues.map((i) => {
      const path = i.path.map((p) => (typeof p === "symbol" ? String(p) : p));
      const keys = (i as { keys?: string[] }).keys;
      const where = at(offsetOfPath(doc, keys?.length ? [...path, keys[0]!] : path, !!keys));
      return `${where}: ${keys?.length ? `unrecognized key "${keys[0]}"` : i.message}`;
    });
    throw new UsageError(`invalid inventory ${file}:\n${messages.join("\n")}`, {
      where: messages[0]?.split(": ")[0] ?? file,
    });
  }
  const inv = parsed.data as Inventory;
  if (inv.sshConfig !== undefined && !isAbsolute(inv.sshConfig)) {
    inv.sshConfig = resolve(dirname(resolve(file)), inv.sshConfig);
  }
  return inv;
}

/** Reads and parses an inventory file (at most 1 MiB). */
export async function loadInventory(path: string): Promise<Inventory> {
  let text: string;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile || info.size > 1024 * 1024) throw new Error("not a file under 1 MiB");
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new UsageError(
      `Cannot read the inventory ${path}: ${error instanceof Error ? error.message : error}`,
      {
        where: "--hosts",
        hint: "--hosts FILE names a YAML file: hosts: { ROLE: { ssh: ..., underlay: ... } }",
      },
    );
  }
  return parseInventory(text, path);
}

/** How the host is reached, for messages: `root@10.9.0.1` or `local`. */
export function describeHost(spec: HostSpec): string {
  return spec.local ? "local" : `${spec.ssh}${spec.port !== undefined ? `:${spec.port}` : ""}`;
}
