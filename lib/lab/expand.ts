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
 * @module
 */
import { z } from "zod";
import { UsageError } from "../errors.ts";
import { chain, star } from "./generate.ts";
import type { LabInput } from "./schema.ts";
import type { LabIssue } from "./validate.ts";

const Prefix = z.string().max(12).optional();
const Count = z.number().int().min(1).max(4096);
const Generator = z.union([
  z.strictObject({
    star: z.strictObject({
      prefix: Prefix,
      count: Count,
      bridge: z.enum(["linux", "ovs"]).optional(),
      subnet: z.string().optional(),
      /** Multi-host labs: the host role every node and the bridge go on. */
      host: z.string().optional(),
    }),
  }),
  z.strictObject({
    chain: z.strictObject({
      prefix: Prefix,
      count: Count,
      subnet: z.string().optional(),
      host: z.string().optional(),
    }),
  }),
]);

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
  const parsed = z.array(Generator).safeParse(generate);
  if (!parsed.success) {
    return {
      doc: rest,
      issues: parsed.error.issues.map((i) => ({
        path: ["generate", ...i.path.map((p) => (typeof p === "symbol" ? String(p) : p))],
        message: i.message,
      })),
    };
  }
  const out: Obj = { ...rest };
  const issues: LabIssue[] = [];
  parsed.data.forEach((entry, k) => {
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
      return;
    }
    if (host !== undefined) {
      for (const v of [...Object.values(made.nodes ?? {}), ...Object.values(made.bridges ?? {})]) {
        v.host = host;
      }
    }
    for (const key of ["nodes", "bridges"] as const) {
      const mine = isObj(out[key]) ? out[key] as Obj : {};
      for (const name of Object.keys(made[key] ?? {})) {
        if (name in mine) {
          issues.push({ path: ["generate", k], message: `"${name}" is defined twice` });
        }
      }
      out[key] = { ...mine, ...made[key] };
    }
    for (const key of ["links", "expect"] as const) {
      out[key] = [...(Array.isArray(out[key]) ? out[key] as unknown[] : []), ...(made[key] ?? [])];
    }
  });
  return { doc: out, issues };
}

/** Drops keys whose value is undefined (the generators' options are exact). */
function strip<T extends Obj>(
  o: T,
): { [K in keyof T]-?: Exclude<T[K], undefined> } & { count: number } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}
