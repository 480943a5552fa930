/**
 * `netkit up FILE`: bring up the lab a YAML lab file describes (see lib/lab/file.ts), prove it,
 * show it. Running it again on a lab that is up says so and changes nothing.
 *
 * A lab file may touch only what it creates (lib/reach.ts). The one exception is a host NIC as
 * a bridge's `uplink`, and only when the command line names that same NIC: `--uplink NIC`.
 *
 * A lab whose nodes are placed on host roles (`hosts:`) goes over several machines, those the
 * command line's `--hosts INVENTORY` names (lib/cli/multihost.ts).
 *
 * @module
 */
import type { Host } from "../host.ts";
import { HostConflictError } from "../lab/preflight.ts";
import { DummyMissingError } from "../lab/dummy_probe.ts";
import { labSourceFromArg } from "./lab_arg.ts";
import { type LabUpFlags, runLabUp } from "./lab_up.ts";

/** Flags of `up`. */
export interface UpFlags {
  /** The inventory of a multi-host lab's machines (`--hosts FILE`, lib/multihost/inventory.ts). */
  hosts?: string;
  sandbox?: true;
  dryRun?: true;
  check?: boolean;
  ignoreImages?: true;
  json?: true;
  /** The host NIC the lab file's bridges may take as uplink (`--uplink NIC`). */
  uplink?: string;
  /** What the lab file may run on the uplink's LAN (`--uplink-allow ospf,bgp`). */
  uplinkAllow?: string;
  /** Before every host-visible name (`--prefix P`, lib/lab/prefix.ts). */
  prefix?: string;
}

/** Runs `up FILE`. */
export async function upCommand(host: Host, file: string, flags: UpFlags): Promise<void> {
  const { lab, source } = await labSourceFromArg(file, flags, "file");
  if (lab.hosts !== undefined) {
    return await (await import("./multihost.ts")).upMultihostCommand(host, lab, flags, source);
  }
  const options: LabUpFlags = {
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.check === false ? { check: false } : {}),
    ...(flags.json ? { json: true } : {}),
  };
  try {
    await runLabUp(host, lab, options);
  } catch (error) {
    // A name the host already has: point at the line of the file that names it.
    if (error instanceof HostConflictError && source) {
      throw source.errorAt(error.conflicts.map((c) => ({
        path: c.path,
        message: `${c.what} already exists on this host: netkit never adopts or deletes what ` +
          "it did not create (remove it yourself, or rename it in the file)",
      })));
    }
    // A dummy interface on a kernel without the dummy driver: point at each line that asks.
    if (error instanceof DummyMissingError && source) throw source.errorAt(error.issues);
    throw error;
  }
}
