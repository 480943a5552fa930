/**
 * What netkit remembers of a lab on a host: `lab.json` in the lab's state directory, beside its
 * journal; the lock that bring-up, removal and one-off changes take turns on; and the executor for
 * where the lab lives (its OVS and sandbox, both from that state).
 *
 * `lab.json` is checked before netkit acts on it. This module checks what every command acts on:
 * the lab's name, its status, the OVS it names (a Unix socket under an absolute run directory)
 * and its sandbox namespace. That is all `down` needs, so removing a lab never loads the lab
 * schema. Reading the whole state (lib/lab/runtime.ts: `readLabState`) also checks the lab
 * itself against the lab schema.
 *
 * @module
 */
import { join } from "node:path";
import type { Host } from "../host.ts";
import { checkLabName, checkNsName } from "../names.ts";
import type { OvsTarget } from "../ovs/target.ts";
import { labDir, makeLabDir, readJson, withFileLock } from "../state.ts";
import { Executor, type ExecutorOptions } from "../plan/executor.ts";
import type { Lab } from "./schema.ts";
import type { OwnedNames } from "./journal_check.ts";

/** What netkit remembers of a lab on the host (`lab.json`). */
export interface LabState {
  /** The lab as it was brought up. */
  lab: Lab;
  /** `starting` until every step ran; a crash leaves it so, and `down` still works. */
  status: "starting" | "up";
  /** The OVS the lab's bridges live in, if any. */
  ovs?: OvsTarget;
  /** A sandboxed lab's parent namespace (lib/lab/sandbox.ts). */
  sandbox?: string;
  /** When the bring-up started (ISO 8601). */
  createdAt: string;
  /**
   * What a script's ad-hoc lab (lib/session.ts) created, recorded before each of its steps ran:
   * the names its journal may act on besides the lab's own (lib/lab/journal_check.ts).
   */
  owns?: OwnedNames;
}

/** The parts of a lab's state that removing it acts on, checked (see the module doc). */
export type LabStateHeader = Omit<LabState, "lab">;

/** A lab's `lab.json` is not what netkit wrote: netkit does not act on it. Exit code 1. */
export class DamagedStateError extends Error {
  constructor(readonly lab: string, readonly path: string, reason: string) {
    super(
      `The state of lab "${lab}" (${path}) is not what netkit wrote (${reason}); netkit does ` +
        "not act on it. Its journal, journal.jsonl beside it, lists what the lab created",
    );
    this.name = "DamagedStateError";
  }
}

/**
 * Runs `fn` holding lab `lab`'s lock (bring-up, removal and one-off changes take turns). Makes
 * the lab's directory (mode 0711) if needed, after checking that the state directories are
 * root's alone (lib/state.ts: `checkStateDir`, else its `UnsafeStateError`).
 */
export async function withLock<T>(host: Host, lab: string, fn: () => Promise<T>): Promise<T> {
  const dir = await makeLabDir(host.stateRoot, lab);
  return await withFileLock(join(dir, "lock"), fn);
}

/** `lab.json` of lab `name` as read from disk (unchecked), or undefined when there is none. */
interface RawLabState {
  /** The parsed JSON. */
  raw: unknown;
  /** Where it was read from. */
  path: string;
}

/**
 * Reads lab `name`'s `lab.json` without checking it; undefined when the lab is not up. `name`
 * must be a lab name (lib/state.ts: `labDir` refuses anything else).
 */
export async function readRawLabState(host: Host, name: string): Promise<RawLabState | undefined> {
  const path = join(labDir(host.stateRoot, name), "lab.json");
  const raw = await readJson<unknown>(path);
  return raw === undefined ? undefined : { raw, path };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const OVS_KINDS: readonly unknown[] = ["system", "private", "sandbox"];

/** Why `ovs` is not an OVS target netkit wrote, or undefined when it is one. */
function ovsTargetProblem(ovs: unknown): string | undefined {
  if (!isRecord(ovs)) return "ovs: not an object";
  const extra = Object.keys(ovs).filter((k) => !["kind", "db", "runDir"].includes(k));
  if (extra.length) return `ovs: unknown key ${JSON.stringify(extra[0])}`;
  if (!OVS_KINDS.includes(ovs.kind)) return "ovs.kind: not system, private or sandbox";
  if (typeof ovs.db !== "string" || !/^unix:\/\S*$/.test(ovs.db)) {
    return "ovs.db: not a unix: socket path";
  }
  if (
    typeof ovs.runDir !== "string" || !/^\/\S*$/.test(ovs.runDir) ||
    ovs.runDir.split("/").includes("..")
  ) {
    return "ovs.runDir: not an absolute path without ..";
  }
  return undefined;
}

const OWNED_KEYS: readonly string[] = ["namespaces", "links", "ovs", "uplinks", "marks"];

/** Why `owns` is not a record of owned names netkit writes, or undefined. */
function ownedNamesProblem(owns: unknown): string | undefined {
  if (!isRecord(owns)) return "not an object";
  for (const [key, names] of Object.entries(owns)) {
    if (!OWNED_KEYS.includes(key)) return `unknown key ${JSON.stringify(key)}`;
    if (!Array.isArray(names) || names.some((n) => typeof n !== "string")) {
      return `${key}: not a list of names`;
    }
  }
  return undefined;
}

/** Why `value` is not a name `check` accepts, or undefined. */
function nameProblem(value: unknown, check: (name: string) => string): string | undefined {
  try {
    check(value as string);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * The checked header of lab `name`'s state `raw` read from `path`: its name is `name`, its
 * status, OVS and sandbox are what netkit writes. Throws {@link DamagedStateError} otherwise.
 */
export function checkLabStateHeader(raw: unknown, name: string, path: string): LabStateHeader {
  const damaged = (reason: string) => new DamagedStateError(name, path, reason);
  if (!isRecord(raw) || !isRecord(raw.lab)) throw damaged("lab: not an object");
  if (raw.lab.name !== name) {
    throw damaged(
      nameProblem(raw.lab.name, checkLabName) ?? `it names lab ${JSON.stringify(raw.lab.name)}`,
    );
  }
  const { status, ovs, sandbox, createdAt } = raw;
  if (status !== "starting" && status !== "up") throw damaged("status: not starting or up");
  if (typeof createdAt !== "string") throw damaged("createdAt: not a string");
  const ovsProblem = ovs === undefined ? undefined : ovsTargetProblem(ovs);
  if (ovsProblem) throw damaged(ovsProblem);
  const sandboxProblem = sandbox === undefined ? undefined : nameProblem(sandbox, checkNsName);
  if (sandboxProblem) throw damaged(`sandbox: ${sandboxProblem}`);
  const owns = raw.owns;
  const ownsProblem = owns === undefined ? undefined : ownedNamesProblem(owns);
  if (ownsProblem) throw damaged(`owns: ${ownsProblem}`);
  return {
    status,
    createdAt,
    ...(ovs !== undefined ? { ovs: ovs as OvsTarget } : {}),
    ...(sandbox !== undefined ? { sandbox: sandbox as string } : {}),
    ...(owns !== undefined ? { owns: owns as OwnedNames } : {}),
  };
}

/**
 * The checked header of lab `name`'s state (see {@link checkLabStateHeader}), or undefined when
 * the lab is not up. `name` must be a lab name (never a path).
 */
export async function readLabStateHeader(
  host: Host,
  name: string,
): Promise<LabStateHeader | undefined> {
  const read = await readRawLabState(host, name);
  return read && checkLabStateHeader(read.raw, name, read.path);
}

/** The executor for a lab: its OVS, and its sandbox's parent namespace if any. */
export function labExecutor(
  host: Host,
  where: { ovs?: OvsTarget | undefined; sandbox?: string | undefined },
  more: Omit<ExecutorOptions, "runner" | "ovs" | "hostNs"> = {},
): Executor {
  return new Executor({ runner: host.runner, ovs: where.ovs, hostNs: where.sandbox, ...more });
}
