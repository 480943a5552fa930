/**
 * The one way a command-line argument and its flags become a validated lab: a recipe name
 * (with `--prefix` and `--uplink`) or a lab file, then `--sandbox`. Used by `recipe`, `up`,
 * `export`, `graph` and rootless mode's pre-check, so they all read the same flags the same way.
 *
 * @module
 */
import { getRecipe, type Recipe, type RecipeOptions, recipes } from "../../recipes/mod.ts";
import { UsageError } from "../errors.ts";
import { isLabFileArg, loadLabFile } from "../lab/file.ts";
import type { Lab } from "../lab/schema.ts";
import { validateLab } from "../lab/validate.ts";

/** The flags that shape a lab. */
export interface LabFlags {
  /** `--prefix P`: a recipe's host-visible names start with P. */
  prefix?: string | undefined;
  /** `--uplink IFACE`: a recipe's real uplink NIC. */
  uplink?: string | undefined;
  /** `--sandbox`: the lab lives inside one namespace of its own (lib/lab/sandbox.ts). */
  sandbox?: boolean | undefined;
}

/** What an argument may name: a recipe, a lab file, or either (a file when one exists). */
export type LabArgKind = "recipe" | "file" | "recipe or file";

/** The recipe's options from the flags; `--uplink` only where the recipe takes one. */
function recipeOptions(recipe: Recipe, flags: LabFlags): RecipeOptions {
  if (flags.uplink !== undefined && !recipe.uplink) {
    throw new UsageError(`Recipe "${recipe.name}" has no uplink`, {
      hint: `recipes with one: ${
        [...recipes.values()].filter((r) => r.uplink).map((r) => r.name).join(", ")
      }`,
    });
  }
  return {
    ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
    ...(flags.uplink !== undefined ? { uplink: flags.uplink } : {}),
  };
}

/** Marks `lab` sandboxed when `sandbox` is set. */
function withSandbox<T extends object>(lab: T, sandbox: boolean | undefined): T {
  return sandbox ? { ...lab, sandbox: true } : lab;
}

/**
 * The lab that `arg` and `flags` describe, validated.
 *
 * @throws {UsageError} An unknown recipe, a bad lab file, or a flag that does not apply.
 */
export async function labFromArg(arg: string, flags: LabFlags, kind: LabArgKind): Promise<Lab> {
  const file = kind === "file" || (kind === "recipe or file" && await isLabFileArg(arg));
  if (file) {
    for (const [flag, value] of [["--prefix", flags.prefix], ["--uplink", flags.uplink]]) {
      if (value === undefined) continue;
      throw new UsageError(`${flag} applies to recipes, not to lab files`, {
        hint: "edit the file, or start from a recipe: netkit recipe export NAME --prefix P",
      });
    }
    return withSandbox(await loadLabFile(arg), flags.sandbox);
  }
  const recipe = getRecipe(arg);
  return validateLab(
    withSandbox(recipe.build(recipeOptions(recipe, flags)), flags.sandbox),
    `recipe ${recipe.name}`,
  );
}
