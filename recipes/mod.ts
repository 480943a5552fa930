/**
 * The recipe registry: one line per recipe.
 *
 * @module
 */
import { UsageError } from "../lib/errors.ts";
import type { Recipe } from "./recipe.ts";
import { ovsVeth } from "./ovs_veth.ts";
import { ovsInternal } from "./ovs_internal.ts";
import { router } from "./router.ts";
import { ovsPatch } from "./ovs_patch.ts";
import { ovsVlan } from "./ovs_vlan.ts";
import { ovsDhcp } from "./ovs_dhcp.ts";
import { ospfTriangle } from "./ospf_triangle.ts";
import { ovsFlows } from "./ovs_flows.ts";
import { ovsBond } from "./ovs_bond.ts";
import { ovsMirror } from "./ovs_mirror.ts";
import { ovsQos } from "./ovs_qos.ts";

export type { Recipe, RecipeOptions } from "./recipe.ts";

/** Every recipe, by name. */
export const recipes: ReadonlyMap<string, Recipe> = new Map(
  [
    ovsVeth,
    ovsInternal,
    router,
    ovsPatch,
    ovsVlan,
    ovsDhcp,
    ospfTriangle,
    ovsFlows,
    ovsBond,
    ovsMirror,
    ovsQos,
  ].map((r) => [r.name, r]),
);

/** The recipe called `name`; an unknown name fails listing the known ones. */
export function getRecipe(name: string): Recipe {
  const recipe = recipes.get(name);
  if (!recipe) {
    throw new UsageError(`Unknown recipe ${JSON.stringify(name)}`, {
      hint: `known recipes: ${[...recipes.keys()].join(", ")}`,
    });
  }
  return recipe;
}
