/**
 * `generate:` in a lab file: many similar nodes in a few lines. Each entry runs one generator of
 * generate.ts (`star`, `chain`) or generate_fabric.ts (`clos`, `tree`, `ring`, `mesh`) and merges
 * what it makes into the lab, beside anything written by hand:
 *
 * ```yaml
 * name: big
 * generate:
 *   - star: { prefix: s-, count: 250, bridge: ovs, subnet: 10.50.0.0/16 }
 *   - chain: { prefix: c-, count: 5 }
 *   - clos: { prefix: f-, spines: 2, leaves: 4, hostsPerLeaf: 2 }
 * ```
 *
 * What the entries make adds up with the nodes written by hand: once the lab would have more
 * than {@link LAB_LIMITS}.nodes nodes, the entry that crosses the bound is refused and nothing
 * further is generated (so a short file cannot expand into millions of objects). Each entry's
 * `count` is at most 4096 (a ring's 1024, a mesh's 64); a fabric has at most 16 spines, 256
 * leaves and 16 hosts per leaf, a tree a depth of 12 and a fanout of 64.
 *
 * @module
 */
import * as z from "../deps/zod.ts";
import { UsageError } from "../errors.ts";
import { LAB_LIMITS } from "../reach.ts";
import { chain, star } from "./generate.ts";
import { clos, mesh, ring, tree } from "./generate_fabric.ts";
import { HostRole, type LabInput } from "./schema.ts";
import type { LabIssue } from "./validate.ts";

const Prefix = z.optional(z.string().check(z.maxLength(12)));
const Count = z.int().check(z.minimum(1), z.maximum(4096));
const between = (min: number, max: number) => z.int().check(z.minimum(min), z.maximum(max));
/** Multi-host labs: the host role every node (and bridge) of the entry goes on. */
/** Multi-host labs: the host role every node (and the bridge) goes on. */
const Host = z.optional(HostRole);

/** Each generator: the schema of its options, how many nodes it makes, and the generator. */
const GENERATORS = {
  star: {
    options: z.strictObject({
      prefix: Prefix,
      count: Count,
      bridge: z.optional(z.enum(["linux", "ovs"])),
      subnet: z.optional(z.string()),
      host: Host,
    }),
    nodes: (o: { count: number }) => o.count,
    make: star,
  },
  chain: {
    options: z.strictObject({
      prefix: Prefix,
      count: Count,
      subnet: z.optional(z.string()),
      host: Host,
    }),
    nodes: (o: { count: number }) => o.count,
    make: chain,
  },
  clos: {
    options: z.strictObject({
      prefix: Prefix,
      spines: between(1, 16),
      leaves: between(1, 256),
      hostsPerLeaf: z.optional(between(0, 16)),
      fabricSubnet: z.optional(z.string()),
      hostSubnet: z.optional(z.string()),
      spineAsn: z.optional(between(1, 4_294_967_295)),
      leafAsn: z.optional(between(1, 4_294_967_295)),
      host: Host,
    }),
    nodes: (o: { spines: number; leaves: number; hostsPerLeaf?: number | undefined }) =>
      o.spines + o.leaves * (1 + (o.hostsPerLeaf ?? 1)),
    make: clos,
  },
  tree: {
    options: z.strictObject({
      prefix: Prefix,
      depth: between(1, 12),
      fanout: between(1, 64),
      subnet: z.optional(z.string()),
      host: Host,
    }),
    nodes: (o: { depth: number; fanout: number }) => {
      let total = 0;
      for (let l = 0, width = 1; l <= o.depth && total <= LAB_LIMITS.nodes; l++) {
        total += width;
        width *= o.fanout;
      }
      return total;
    },
    make: tree,
  },
  ring: {
    options: z.strictObject({
      prefix: Prefix,
      count: between(3, 1024),
      subnet: z.optional(z.string()),
      host: Host,
    }),
    nodes: (o: { count: number }) => o.count,
    make: ring,
  },
  mesh: {
    options: z.strictObject({
      prefix: Prefix,
      count: between(2, 64),
      subnet: z.optional(z.string()),
      host: Host,
    }),
    nodes: (o: { count: number }) => o.count,
    make: mesh,
  },
} as const;

type Kind = keyof typeof GENERATORS;
const KINDS = Object.keys(GENERATORS) as Kind[];

const Generator = z.union(
  KINDS.map((kind) => z.strictObject({ [kind]: GENERATORS[kind].options })) as unknown as [
    z.ZodMiniObject,
    z.ZodMiniObject,
  ],
);

/** The `generate:` list of a lab file (also part of the lab file's JSON Schema). */
export const GenerateSchema = z.array(Generator);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** An entry's kind and its options (host role apart). */
function entryOf(entry: Obj): { kind: Kind; options: Obj; host: string | undefined } {
  const kind = KINDS.find((k) => Object.hasOwn(entry, k))!;
  const { host, ...options } = entry[kind] as Obj;
  return { kind, options: strip(options), host: host as string | undefined };
}

/** Runs generator `kind` with `options` (checked by its schema already). */
function make(kind: Kind, options: Obj): LabInput {
  return (GENERATORS[kind].make as unknown as (o: Obj) => LabInput)(options);
}

/**
 * Expands the `generate:` entries of a lab document (parsed YAML) into nodes, bridges, links and
 * expectations. Returns the document without `generate`, and the problems found (with paths).
 * A document without `generate` comes back as it is.
 */
export function expandGenerators(doc: unknown): { doc: unknown; issues: LabIssue[] } {
  if (!isObj(doc) || !("generate" in doc)) return { doc, issues: [] };
  const { generate, ...rest } = doc;
  // Count first: every entry makes at least one node.
  if (Array.isArray(generate) && generate.length > LAB_LIMITS.nodes) {
    return {
      doc: rest,
      issues: [{
        path: ["generate"],
        message: `${generate.length} generate entries would make at least ${generate.length} ` +
          `nodes; a lab may have at most ${LAB_LIMITS.nodes} (README: What a lab file can and ` +
          "cannot do)",
      }],
    };
  }
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
  for (const [k, entry] of (parsed.data as Obj[]).entries()) {
    const { kind, options, host } = entryOf(entry);
    const count = (GENERATORS[kind].nodes as (o: Obj) => number)(options);
    if (nodes + count > LAB_LIMITS.nodes) {
      issues.push({
        path: ["generate", k, kind, ...(Object.hasOwn(options, "count") ? ["count"] : [])],
        message: `with this entry the lab would have ${nodes + count} nodes; a lab may have at ` +
          `most ${LAB_LIMITS.nodes} (README: What a lab file can and cannot do)`,
      });
      break;
    }
    nodes += count;
    let made: LabInput;
    try {
      made = make(kind, options);
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
function strip(o: Obj): Obj {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
