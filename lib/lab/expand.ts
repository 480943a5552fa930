/**
 * `generate:` in a lab file: many similar nodes in a few lines. Each entry runs one generator of
 * generate.ts (`star` or `chain`) and merges what it makes into the lab, beside anything written
 * by hand:
 *
 * ```yaml
 * name: big
 * generate:
 *   - star: { prefix: s-, count: 250, bridge: ovs, subnet: 10.50.0.0/16 }
 *   - chain: { prefix: c-, count: 5 }
 * ```
 *
 * What the entries make adds up with the nodes written by hand: once the lab would have more
 * than {@link LAB_LIMITS}.nodes nodes, the entry that crosses the bound is refused and nothing
 * further is generated (so a short file cannot expand into millions of objects). Each entry's
 * `count` is at most 4096.
 *
 * @module
 */
import * as z from "../deps/zod.ts";
import { UsageError } from "../errors.ts";
import { LAB_LIMITS } from "../reach.ts";
import { chain, star } from "./generate.ts";
import { describe, HostRole, type LabInput } from "./schema.ts";
import type { LabIssue } from "./validate.ts";

const Prefix = describe(
  z.optional(z.string().check(z.maxLength(12))),
  "Prepended to the names of what it makes (at most 12 bytes).",
);
const Count = describe(z.int().check(z.minimum(1), z.maximum(4096)), "How many nodes (1 to 4096).");
const Generator = z.union([
  z.strictObject({
    star: describe(
      z.strictObject({
        prefix: Prefix,
        count: Count,
        bridge: describe(
          z.optional(z.enum(["linux", "ovs"])),
          "The type of the bridge in the middle (default linux).",
        ),
        subnet: describe(
          z.optional(z.string()),
          "The subnet the nodes' addresses come from, .1, .2, ... (default 10.50.0.0/16).",
        ),
        /** Multi-host labs: the host role every node and the bridge go on. */
        host: describe(
          z.optional(HostRole),
          "Multi-host labs: the host role every node and the bridge go on.",
        ),
      }),
      "count nodes on one bridge, each with an address of subnet.",
    ),
  }),
  z.strictObject({
    chain: describe(
      z.strictObject({
        prefix: Prefix,
        count: Count,
        subnet: describe(
          z.optional(z.string()),
          "Each link takes the next /30 (IPv6: /64) of this subnet (default 10.60.0.0/16).",
        ),
        host: describe(z.optional(HostRole), "Multi-host labs: the host role every node goes on."),
      }),
      "count nodes in a line, each linked to the next, inner ones routing.",
    ),
  }),
]);

/** The `generate:` list of a lab file (also part of the lab file's JSON Schema). */
export const GenerateSchema = z.array(Generator);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Expands the `generate:` entries of a lab document (parsed YAML) into nodes, bridges, links and
 * expectations. Returns the document without `generate`, and the problems found (with paths).
 * A document without `generate` comes back as it is.
 */
export function expandGenerators(doc: unknown): { doc: unknown; issues: LabIssue[] } {
  if (!isObj(doc) || !("generate" in doc)) return { doc, issues: [] };
  const { generate, ...rest } = doc;
  const parsed = GenerateSchema.safeParse(generate);
  if (!parsed.success) {
    return {
      doc: rest,
      issues: parsed.error.issues.map((i) => ({
        path: ["generate", ...i.path.map((p) => (typeof p === "symbol" ? String(p) : p))],
        message: i.message,
      })),
    };
  }
  // Copies made once and filled in place: many entries cost no more than one big one.
  const out: Obj = { ...rest };
  for (const key of ["nodes", "bridges"] as const) {
    out[key] = { ...(isObj(out[key]) ? out[key] : {}) };
  }
  for (const key of ["links", "expect"] as const) {
    out[key] = [...(Array.isArray(out[key]) ? out[key] as unknown[] : [])];
  }
  const issues: LabIssue[] = [];
  let nodes = isObj(rest.nodes) ? Object.keys(rest.nodes).length : 0;
  for (const [k, entry] of parsed.data.entries()) {
    const kind = "star" in entry ? "star" : "chain";
    const count = "star" in entry ? entry.star.count : entry.chain.count;
    if (nodes + count > LAB_LIMITS.nodes) {
      issues.push({
        path: ["generate", k, kind, "count"],
        message: `with this entry the lab would have ${nodes + count} nodes; a lab may have at ` +
          `most ${LAB_LIMITS.nodes} (README: What a lab file can and cannot do)`,
      });
      break;
    }
    nodes += count;
    let made: LabInput;
    const host = "star" in entry ? entry.star.host : entry.chain.host;
    try {
      if ("star" in entry) {
        const { host: _, ...options } = entry.star;
        made = star(strip(options));
      } else {
        const { host: _, ...options } = entry.chain;
        made = chain(strip(options));
      }
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      issues.push({ path: ["generate", k], message: error.message });
      continue;
    }
    if (host !== undefined) {
      for (const v of [...Object.values(made.nodes ?? {}), ...Object.values(made.bridges ?? {})]) {
        v.host = host;
      }
    }
    for (const key of ["nodes", "bridges"] as const) {
      const mine = out[key] as Obj;
      for (const [name, value] of Object.entries(made[key] ?? {})) {
        if (Object.hasOwn(mine, name)) {
          issues.push({ path: ["generate", k], message: `"${name}" is defined twice` });
        }
        mine[name] = value;
      }
    }
    for (const key of ["links", "expect"] as const) {
      (out[key] as unknown[]).push(...(made[key] ?? []));
    }
  }
  return { doc: out, issues };
}

/** Drops keys whose value is undefined (the generators' options are exact). */
function strip<T extends Obj>(
  o: T,
): { [K in keyof T]-?: Exclude<T[K], undefined> } & { count: number } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}
