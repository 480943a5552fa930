/**
 * `netkit export NAME|FILE --format sh [--teardown]`: one POSIX sh script that builds the lab (a
 * recipe, a lab file, or a lab that is up — a script's too — as its state records it) with plain
 * ip/ovs-vsctl/iptables/dnsmasq commands, or removes it again.
 * Changes nothing on the host.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Host } from "../host.ts";
import { exportLabScript } from "../lab/script.ts";
import { labFromArg } from "./lab_arg.ts";
import { recipes } from "../../recipes/mod.ts";
import { checkLabName, isLabFileArg } from "../names.ts";
import { readLabState } from "../lab/runtime.ts";
import type { Lab } from "../lab/types.ts";
import { out } from "./output.ts";

/** Flags of `export`. */
interface ExportFlags {
  format: string;
  teardown?: true;
  prefix?: string;
  /** The router recipe's real NIC, or the one a lab file's bridges may take (`--uplink NIC`). */
  uplink?: string;
  /** What the lab file may run on the uplink's LAN (`--uplink-allow ospf,bgp`). */
  uplinkAllow?: string;
  sandbox?: true;
  ignoreImages?: true;
}

/**
 * The lab called `name` that is up, as its state records it — a script's lab (`openLab`) included
 * — when `name` is neither a recipe nor a lab file; undefined otherwise. Flags that shape a recipe
 * or a file do not apply to it.
 */
async function upLabNamed(host: Host, name: string, flags: ExportFlags): Promise<Lab | undefined> {
  if (recipes.has(name) || await isLabFileArg(name)) return undefined;
  try {
    checkLabName(name);
  } catch {
    return undefined; // not a lab name: labFromArg says what it is not
  }
  const state = await readLabState(host, name);
  if (state === undefined) return undefined;
  const shaping = (["prefix", "uplink", "uplinkAllow", "sandbox", "ignoreImages"] as const)
    .filter((f) => flags[f] !== undefined);
  if (shaping.length) {
    throw new UsageError(
      `--${shaping[0]} shapes a recipe or a lab file: lab "${name}" is up and exported as it is`,
    );
  }
  return state.lab;
}

/** Runs `export`. */
export async function exportCommand(host: Host, target: string, flags: ExportFlags): Promise<void> {
  if (flags.format !== "sh") {
    throw new UsageError(`Unknown export format ${JSON.stringify(flags.format)}`, {
      hint: "use --format sh",
    });
  }
  const lab = await upLabNamed(host, target, flags) ??
    await labFromArg(target, flags, "recipe or file");
  const command = ["netkit", "export", target, "--format", "sh"];
  if (flags.prefix !== undefined) command.push("--prefix", flags.prefix);
  if (flags.uplink !== undefined) command.push("--uplink", flags.uplink);
  if (flags.uplinkAllow !== undefined) command.push("--uplink-allow", flags.uplinkAllow);
  if (flags.sandbox) command.push("--sandbox");
  if (flags.ignoreImages) command.push("--ignore-images");
  out(
    await exportLabScript(host, lab, {
      command: command.join(" "),
      ...(flags.teardown ? { teardown: true } : {}),
    }),
  );
}
