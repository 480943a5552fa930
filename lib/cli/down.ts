/**
 * `netkit down LAB` or `netkit down FILE`: with a lab file (a path ending in .yaml/.yml, or an
 * existing file), the lab's name is read from it; only the name needs to be valid, so a file
 * edited since the lab came up still removes it. A lab name that names no lab is an error (exit 2,
 * most likely a typo); a lab file whose lab is not up is nothing to remove.
 *
 * A journal line that is not an undo netkit writes for the lab's own objects is not run
 * (lib/lab/journal_check.ts): each one is named on stderr, and in `--json` under `skipped`.
 *
 * @module
 */
import type { Host } from "../host.ts";
import { downLab } from "../lab/teardown.ts";
import { UsageError } from "../errors.ts";
import { checkLabName, checkPrefix, isLabFileArg } from "../names.ts";
import { listLabNames } from "../state.ts";
import { multihostCommands } from "./multihost_gate.ts";
import type { SkippedLine } from "../lab/journal_check.ts";
import { err, out, outJson } from "./output.ts";
import { yellow } from "./color.ts";

/** Names each journal line that `down` did not run, on stderr. */
export function warnSkipped(lab: string, skipped: readonly SkippedLine[]): void {
  for (const s of skipped) {
    err(
      `${yellow("netkit: warning:")} lab ${lab}: journal line ${s.line} not run: ${s.reason}\n`,
    );
  }
}

/** Removes a lab. */
export async function downCommand(
  host: Host,
  arg: string,
  flags: { json?: true; prefix?: string },
): Promise<void> {
  // The YAML reader loads only for a file argument: most removals name a lab.
  const file = await isLabFileArg(arg);
  if (flags.prefix !== undefined && !file) {
    throw new UsageError("--prefix applies to a lab file: name a lab that is up by its own name", {
      where: "--prefix",
    });
  }
  const lab = file
    ? checkLabName(
      checkPrefix(flags.prefix ?? "") + await (await import("../lab/file.ts")).readLabName(arg),
    )
    : checkLabName(arg);
  const multihost = await multihostCommands(host, lab);
  if (await multihost?.downIfMultihost(host, lab, flags.json === true)) return;
  const r = await downLab(lab, { host });
  warnSkipped(lab, r.skipped);
  if (!r.removed && !file) {
    // A name that names no lab: most likely mistyped (exit 2; nothing was there to change).
    const known = await listLabNames(host.stateRoot);
    throw new UsageError(`No lab named "${lab}" is up: nothing to remove`, {
      hint: known.length
        ? `labs netkit knows: ${known.join(", ")}`
        : "no lab is up (netkit status)",
    });
  }
  if (flags.json) return outJson({ lab, ...r });
  out(
    r.removed
      ? `Removed lab ${lab} (${r.undone} steps undone)${
        r.stoppedOvs ? "; stopped netkit's private OVS" : ""
      }.\n`
      : `Lab ${lab} is not up: nothing to remove.\n`,
  );
}
