/**
 * What the controller remembers of a multi-host lab: `$NETKIT_STATE_DIR/multihost/<lab>.json`
 * (the whole lab, the machines from the inventory, the tunnels and the lab MTU). Each host keeps
 * its own part as an ordinary lab with its own journal; this record is only how `down`,
 * `status`, `check` and `exec` on the controller find the hosts again. It is written before any
 * host is touched (`starting`), so a controller that crashed mid-way still finds every host.
 *
 * @module
 */
import { join } from "node:path";
import type { Lab } from "../lab/schema.ts";
import { pruneStateRoot, readJson, stateRoot, writeAtomic } from "../state.ts";
import type { HostSpec } from "./inventory.ts";
import type { TunnelLink } from "./split.ts";

/** One host of a multi-host lab, as the controller reaches it. */
export interface RecordHost {
  spec: HostSpec;
  /** The argv prefix that runs netkit there. */
  program: string[];
  /** The underlay network (`address/prefix`) and MTU read from the host. */
  underlay: string;
  underlayMtu: number;
}

/** The controller's record of a multi-host lab. */
export interface MultihostRecord {
  lab: Lab;
  status: "starting" | "up";
  /** `ssh -F FILE` of the inventory, if any. */
  sshConfig?: string;
  hosts: Record<string, RecordHost>;
  tunnels: TunnelLink[];
  /** The MTU of every lab interface (the smallest underlay MTU − 50). */
  mtu: number;
  underlayMtu: number;
  createdAt: string;
}

/** The directory of the controller's records. */
export function recordDir(): string {
  return join(stateRoot(), "multihost");
}

const fileOf = (lab: string) => join(recordDir(), `${lab}.json`);

/** The record of multi-host lab `lab`, or undefined. */
export function readRecord(lab: string): Promise<MultihostRecord | undefined> {
  return readJson<MultihostRecord>(fileOf(lab));
}

/** Writes a record (atomically). */
export async function writeRecord(record: MultihostRecord): Promise<void> {
  await Deno.mkdir(recordDir(), { recursive: true, mode: 0o700 });
  await writeAtomic(fileOf(record.lab.name), JSON.stringify(record, null, 2));
}

/** Removes a record, and the state directories once they are empty. */
export async function removeRecord(lab: string): Promise<void> {
  await Deno.remove(fileOf(lab)).catch(() => {});
  await Deno.remove(recordDir()).catch(() => {}); // fails while not empty: fine
  await pruneStateRoot();
}

/** Every multi-host lab this controller knows. */
export async function listRecords(): Promise<MultihostRecord[]> {
  const out: MultihostRecord[] = [];
  try {
    for await (const e of Deno.readDir(recordDir())) {
      if (!e.isFile || !e.name.endsWith(".json")) continue;
      const r = await readRecord(e.name.slice(0, -5));
      if (r) out.push(r);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return out.sort((a, b) => a.lab.name.localeCompare(b.lab.name));
}
