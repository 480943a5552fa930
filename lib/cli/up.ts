/**
 * `netkit up FILE`: bring up the lab a YAML lab file describes (see lib/lab/file.ts), prove it,
 * show it. Running it again on a lab that is up says so and changes nothing.
 *
 * A lab file may touch only what it creates (lib/reach.ts). The one exception is a host NIC as
 * a bridge's `uplink`, and only when the command line names that same NIC: `--uplink NIC`.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { type LabSource, readLabSource } from "../lab/file.ts";
import { HostConflictError } from "../lab/preflight.ts";
import { type LabUpFlags, runLabUp } from "./lab_up.ts";
import { withSandbox } from "./recipe.ts";

/** Flags of `up`. */
export interface UpFlags {
  sandbox?: true;
  dryRun?: true;
  check?: boolean;
  json?: true;
  /** Host NICs the lab file may take as a bridge's uplink (`--uplink NIC`, repeatable). */
  uplink?: string[];
}

/**
 * Reads a lab file for a command that builds it (`up`, `export`): a bridge's `uplink` only when
 * `uplinks` (the command line's `--uplink`) names it, and every `--uplink` used by the lab.
 */
export async function readLabFileFor(
  file: string,
  uplinks: readonly string[] = [],
): Promise<LabSource> {
  const source = await readLabSource(file, { uplinks });
  const used = new Set(Object.values(source.lab.bridges).flatMap((b) => b.uplink ?? []));
  const unused = uplinks.filter((nic) => !used.has(nic));
  if (unused.length) {
    throw new UsageError(
      `--uplink ${unused[0]}: no bridge of ${file} has uplink: ${unused[0]}`,
      { hint: "--uplink NIC allows a lab file's bridges.NAME.uplink: NIC; leave it out otherwise" },
    );
  }
  return source;
}

/** Runs `up FILE`. */
export async function upCommand(file: string, flags: UpFlags): Promise<void> {
  const source = await readLabFileFor(file, flags.uplink);
  const lab = withSandbox(source.lab, flags.sandbox);
  const options: LabUpFlags = {
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.check === false ? { check: false } : {}),
    ...(flags.json ? { json: true } : {}),
  };
  try {
    await runLabUp(lab, options);
  } catch (error) {
    // A name the host already has: point at the line of the file that names it.
    if (error instanceof HostConflictError) {
      throw source.errorAt(error.conflicts.map((c) => ({
        path: c.path,
        message: `${c.what} already exists on this host: netkit never adopts or deletes what ` +
          "it did not create (remove it yourself, or rename it in the file)",
      })));
    }
    throw error;
  }
}
