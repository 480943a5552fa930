/**
 * `netkit recipe NAME` and `netkit recipe list`.
 *
 * @module
 */
import { getRecipe, recipes } from "../../recipes/mod.ts";
import { validateLab } from "../lab/validate.ts";
import { runLabUp } from "./lab_up.ts";
import { out, outJson } from "./output.ts";
import { table } from "./render.ts";

/** Flags of `recipe`. */
export interface RecipeFlags {
  prefix?: string;
  dryRun?: true;
  check?: boolean;
  json?: true;
}

/** Runs `recipe NAME` (or lists the recipes). */
export async function recipeCommand(name: string, flags: RecipeFlags): Promise<void> {
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
  const recipe = getRecipe(name);
  const lab = validateLab(
    recipe.build(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
    `recipe ${name}`,
  );
  await runLabUp(lab, {
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.check === false ? { check: false } : {}),
    ...(flags.json ? { json: true } : {}),
  });
}
