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
import type { Lab } from "../lab/schema.ts";
import { exportLabScript } from "../lab/script.ts";
import { validateLab } from "../lab/validate.ts";
import { out, printNotice } from "./output.ts";
import { withSandbox } from "./recipe.ts";

/** Flags of `export`. */
export interface ExportFlags {
  format: string;
  teardown?: true;
  prefix?: string;
  sandbox?: true;
  ignoreImages?: true;
}

/** A lab from a lab file or a recipe name (with its prefix). */
export async function labFromArg(
  arg: string,
  prefix?: string,
  options: { ignoreImages?: true } = {},
): Promise<Lab> {
  if (await isLabFileArg(arg)) {
    if (prefix !== undefined) {
      throw new UsageError("--prefix applies to recipes, not to lab files", {
        hint:
          "edit the names in the file, or export a recipe: netkit recipe export NAME --prefix P",
      });
    }
    return await loadLabFile(arg, { ...options, onNotice: printNotice });
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
  const images = flags.ignoreImages ? { ignoreImages: true as const } : {};
  const lab = withSandbox(await labFromArg(target, flags.prefix, images), flags.sandbox);
  const command = ["netkit", "export", target, "--format", "sh"];
  if (flags.prefix !== undefined) command.push("--prefix", flags.prefix);
  if (flags.sandbox) command.push("--sandbox");
  if (flags.ignoreImages) command.push("--ignore-images");
  out(
    await exportLabScript(lab, {
      command: command.join(" "),
      ...(flags.teardown ? { teardown: true } : {}),
    }),
  );
}
