/**
 * `netkit recipe NAME`, `netkit recipe list` and `netkit recipe export NAME` (the recipe as a YAML
 * lab file, for `netkit up FILE`).
 *
 * @module
 */
import { recipes } from "../../recipes/mod.ts";
import { UsageError } from "../errors.ts";
import type { Host } from "../host.ts";
import { labToYaml } from "../lab/file.ts";
import { labFromArg } from "./lab_arg.ts";
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

/** Runs `recipe NAME` (or lists the recipes, or exports one as a lab file). */
export async function recipeCommand(
  host: Host,
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
    const lab = await labFromArg(second, flags, "recipe");
    if (flags.json) return outJson(lab);
    const recipe = recipes.get(second)!;
    const again = ["netkit recipe export", second];
    if (flags.prefix !== undefined) again.push("--prefix", flags.prefix);
    if (flags.uplink !== undefined) again.push("--uplink", flags.uplink);
    if (flags.ipv6) again.push("--ipv6");
    if (flags.sandbox) again.push("--sandbox");
    return out(labToYaml(lab, [
      `netkit lab file: recipe ${recipe.name} (${recipe.teaches}), made by: ${again.join(" ")}`,
      `Bring it up: netkit up FILE${
        flags.uplink === undefined ? "" : ` --uplink ${flags.uplink}`
      }    Remove it: netkit down FILE`,
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
      teaches: r.teaches,
    }));
    if (flags.json) return outJson(list);
    const t = table(["recipe", "what it builds and proves", "teaches"]);
    for (const r of list) t.push([r.name, r.description, r.teaches]);
    return out(t.toString() + "\n");
  }
  const lab = await labFromArg(name, flags, "recipe");
  await runLabUp(host, lab, {
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.check === false ? { check: false } : {}),
    ...(flags.json ? { json: true } : {}),
  });
}
