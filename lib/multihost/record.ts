/**
 * What the controller remembers of a multi-host lab: `<state root>/multihost/<lab>.json`
 * (the whole lab, the machines from the inventory, the tunnels and the lab MTU). Each host keeps
 * its own part as an ordinary lab with its own journal; this record is only how `down`,
 * `status`, `check` and `exec` on the controller find the hosts again. It is written before any
 * host is touched (`starting`), so a controller that crashed mid-way still finds every host.
 *
 * @module
 */
import { type Lab, LabSchema } from "../lab/schema.ts";
import { DamagedStateError } from "../lab/lab_state.ts";
import { ownNames } from "../lab/own_names.ts";
import {
  multihostRecordDir,
  multihostRecordFile,
  pruneStateRoot,
  readJson,
  writeAtomic,
} from "../state.ts";
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

const fileOf = multihostRecordFile;

/**
 * The record of multi-host lab `lab` under the state root `root`, or undefined. `lab` must be a
 * lab name (never a path); a record that does not pass the lab schema, or names another lab, is
 * not acted on ({@link DamagedStateError}).
 */
export async function readRecord(root: string, lab: string): Promise<MultihostRecord | undefined> {
  const path = fileOf(root, lab);
  const raw = await readJson<MultihostRecord>(path);
  if (raw === undefined) return undefined;
  const checked = LabSchema.safeParse(raw?.lab);
  if (!checked.success || checked.data.name !== lab || typeof raw.hosts !== "object") {
    throw new DamagedStateError(lab, path, "not a multi-host record of this lab");
  }
  return { ...raw, lab: ownNames(checked.data) };
}

/** Writes a record (atomically). */
export async function writeRecord(root: string, record: MultihostRecord): Promise<void> {
  await Deno.mkdir(multihostRecordDir(root), { recursive: true, mode: 0o700 });
  await writeAtomic(fileOf(root, record.lab.name), JSON.stringify(record, null, 2));
}

/** Removes a record, and the state directories once they are empty. */
export async function removeRecord(root: string, lab: string): Promise<void> {
  await Deno.remove(fileOf(root, lab)).catch(() => {});
  await Deno.remove(multihostRecordDir(root)).catch(() => {}); // fails while not empty: fine
  await pruneStateRoot(root);
}

/** Every multi-host lab this controller knows (a damaged record is left out). */
export async function listRecords(root: string): Promise<MultihostRecord[]> {
  const out: MultihostRecord[] = [];
  try {
    for await (const e of Deno.readDir(multihostRecordDir(root))) {
      if (!e.isFile || !e.name.endsWith(".json")) continue;
      const name = e.name.slice(0, -5);
      if (!LabSchema.shape.name.safeParse(name).success) continue;
      const r = await readRecord(root, name).catch(() => undefined);
      if (r) out.push(r);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return out.sort((a, b) => a.lab.name.localeCompare(b.lab.name));
}
