/**
 * `netkit recipe NAME`, `netkit recipe list` and `netkit recipe export NAME` (the recipe as a YAML
 * lab file, for `netkit up FILE`).
 *
 * @module
 */
import { getRecipe, type Recipe, type RecipeOptions, recipes } from "../../recipes/mod.ts";
import { UsageError } from "../errors.ts";
import { labToYaml } from "../lab/file.ts";
import { validateLab } from "../lab/validate.ts";
import type { Lab } from "../lab/schema.ts";
import { runLabUp } from "./lab_up.ts";
import { out, outJson } from "./output.ts";
import { table } from "./render.ts";

/** Flags of `recipe`. */
export interface RecipeFlags {
  prefix?: string;
  uplink?: string;
  ipv6?: true;
  sandbox?: true;
  dryRun?: true;
  check?: boolean;
  json?: true;
}

/** The lab, sandboxed when `sandbox` (`--sandbox`; see lib/lab/sandbox.ts). */
export function withSandbox<T extends object>(lab: T, sandbox: boolean | undefined): T {
  return sandbox ? { ...lab, sandbox: true } : lab;
}

/** The recipe's options from the flags; `--uplink` only where the recipe takes one. */
function buildOptions(recipe: Recipe, flags: RecipeFlags): RecipeOptions {
  if (flags.uplink !== undefined && !recipe.uplink) {
    throw new UsageError(`Recipe "${recipe.name}" has no uplink`, {
      hint: `recipes with one: ${
        [...recipes.values()].filter((r) => r.uplink).map((r) => r.name).join(", ")
      }`,
    });
  }
  if (flags.ipv6 && !recipe.ipv6) {
    throw new UsageError(`Recipe "${recipe.name}" has no --ipv6 variant`, {
      hint: `recipes with one: ${
        [...recipes.values()].filter((r) => r.ipv6).map((r) => r.name).join(", ")
      }`,
    });
  }
  return {
    ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
    ...(flags.uplink !== undefined ? { uplink: flags.uplink } : {}),
    ...(flags.ipv6 ? { ipv6: true } : {}),
  };
}

/** The recipe's lab for these flags, validated. */
function recipeLab(recipe: Recipe, flags: RecipeFlags): Lab {
  return validateLab(
    withSandbox(recipe.build(buildOptions(recipe, flags)), flags.sandbox),
    `recipe ${recipe.name}`,
  );
}

/** Runs `recipe NAME` (or lists the recipes, or exports one as a lab file). */
export async function recipeCommand(
  name: string,
  second: string | undefined,
  flags: RecipeFlags,
): Promise<void> {
  if (name === "export") {
    if (second === undefined) {
      throw new UsageError("recipe export needs a recipe name", {
        hint: "netkit recipe export ovs-veth --prefix t1- > lab.yaml",
      });
    }
    const recipe = getRecipe(second);
    const lab = recipeLab(recipe, flags);
    if (flags.json) return outJson(lab);
    const again = ["netkit recipe export", second];
    if (flags.prefix !== undefined) again.push("--prefix", flags.prefix);
    if (flags.uplink !== undefined) again.push("--uplink", flags.uplink);
    if (flags.ipv6) again.push("--ipv6");
    if (flags.sandbox) again.push("--sandbox");
    return out(labToYaml(lab, [
      `netkit lab file: recipe ${recipe.name} (${recipe.source}), made by: ${again.join(" ")}`,
      "Bring it up: netkit up FILE    Remove it: netkit down FILE",
    ]));
  }
  if (second !== undefined) {
    throw new UsageError(`Unexpected argument ${JSON.stringify(second)}`, {
      hint: "only recipe export takes a second name: netkit recipe export NAME",
    });
  }
  if (name === "list") {
    const list = [...recipes.values()].map((r) => ({
      name: r.name,
      description: r.description,
      source: r.source,
    }));
    if (flags.json) return outJson(list);
    const t = table(["recipe", "what it builds and proves", "from"]);
    for (const r of list) t.push([r.name, r.description, r.source]);
    return out(t.toString() + "\n");
  }
  const lab = recipeLab(getRecipe(name), flags);
  await runLabUp(lab, {
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.check === false ? { check: false } : {}),
    ...(flags.json ? { json: true } : {}),
  });
}
