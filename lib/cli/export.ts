/**
 * `netkit export NAME|FILE --format sh [--teardown]`: one POSIX sh script that builds the lab (a
 * recipe, or a lab file) with plain ip/ovs-vsctl/iptables/dnsmasq commands, or removes it again.
 * Changes nothing on the host.
 *
 * @module
 */
import { getRecipe } from "../../recipes/mod.ts";
import { UsageError } from "../errors.ts";
import { isLabFileArg, loadLabFile } from "../lab/file.ts";
import { readLabFileFor } from "./up.ts";
import type { Lab } from "../lab/schema.ts";
import { exportLabScript } from "../lab/script.ts";
import { validateLab } from "../lab/validate.ts";
import { out } from "./output.ts";
import { withSandbox } from "./recipe.ts";

/** Flags of `export`. */
export interface ExportFlags {
  format: string;
  teardown?: true;
  prefix?: string;
  sandbox?: true;
  /** Host NICs a lab file's bridges may take as uplink (`--uplink NIC`). */
  uplink?: string[];
}

/**
 * A lab from a lab file or a recipe name (with its prefix). `uplinks`: the NICs the command line
 * names with `--uplink`, or `"any"` for a command that neither builds the lab nor writes a
 * script that does (`graph`).
 */
export async function labFromArg(
  arg: string,
  prefix?: string,
  uplinks: readonly string[] | "any" = [],
): Promise<Lab> {
  if (await isLabFileArg(arg)) {
    if (prefix !== undefined) {
      throw new UsageError("--prefix applies to recipes, not to lab files", {
        hint:
          "edit the names in the file, or export a recipe: netkit recipe export NAME --prefix P",
      });
    }
    if (uplinks === "any") return await loadLabFile(arg, { uplinks });
    return (await readLabFileFor(arg, uplinks)).lab;
  }
  if (uplinks !== "any" && uplinks.length) {
    throw new UsageError("--uplink applies to lab files here", {
      hint: "for the router recipe: netkit recipe export router --uplink NIC",
    });
  }
  const recipe = getRecipe(arg);
  return validateLab(
    recipe.build(prefix !== undefined ? { prefix } : {}),
    `recipe ${arg}`,
  );
}

/** Runs `export`. */
export async function exportCommand(target: string, flags: ExportFlags): Promise<void> {
  if (flags.format !== "sh") {
    throw new UsageError(`Unknown export format ${JSON.stringify(flags.format)}`, {
      hint: "use --format sh",
    });
  }
  const lab = withSandbox(await labFromArg(target, flags.prefix, flags.uplink), flags.sandbox);
  const command = ["netkit", "export", target, "--format", "sh"];
  if (flags.prefix !== undefined) command.push("--prefix", flags.prefix);
  for (const nic of flags.uplink ?? []) command.push("--uplink", nic);
  if (flags.sandbox) command.push("--sandbox");
  out(
    await exportLabScript(lab, {
      command: command.join(" "),
      ...(flags.teardown ? { teardown: true } : {}),
    }),
  );
}
