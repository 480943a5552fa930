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
import { describe, HostRole, type LabInput } from "./schema.ts";
import type { LabIssue } from "./validate.ts";

const d = describe;
const Prefix = d(
  z.optional(z.string().check(z.maxLength(12))),
  "Prepended to the names of what it makes (at most 12 bytes).",
);
const Count = d(z.int().check(z.minimum(1), z.maximum(4096)), "How many nodes (1 to 4096).");
const between = (min: number, max: number) => z.int().check(z.minimum(min), z.maximum(max));
/** Multi-host labs: the host role every node (and the bridge) of the entry goes on. */
const Host = d(
  z.optional(HostRole),
  "Multi-host labs: the host role every node (and the bridge) goes on.",
);
const Subnet = (what: string) => d(z.optional(z.string()), what);

/**
 * Each generator: the schema of its options (with what it makes, for editors), how many nodes it
 * makes, and the generator.
 */
const GENERATORS = {
  star: {
    description: "count nodes on one bridge, each with an address of subnet.",
    options: z.strictObject({
      prefix: Prefix,
      count: Count,
      bridge: d(
        z.optional(z.enum(["linux", "ovs"])),
        "The type of the bridge in the middle (default linux).",
      ),
      subnet: Subnet(
        "The subnet the nodes' addresses come from, .1, .2, ... (default 10.50.0.0/16).",
      ),
      host: Host,
    }),
    nodes: (o: { count: number }) => o.count,
    make: star,
  },
  chain: {
    description: "count nodes in a line, each linked to the next, inner ones routing.",
    options: z.strictObject({
      prefix: Prefix,
      count: Count,
      subnet: Subnet(
        "Each link takes the next /30 (IPv6: /64) of this subnet (default 10.60.0.0/16).",
      ),
      host: Host,
    }),
    nodes: (o: { count: number }) => o.count,
    make: chain,
  },
  clos: {
    description: "A leaf-spine fabric: eBGP between leaves and spines (RFC 7938), ECMP, " +
      "hosts on every leaf.",
    options: z.strictObject({
      prefix: Prefix,
      spines: d(between(1, 16), "How many spines (1 to 16)."),
      leaves: d(between(1, 256), "How many leaves (1 to 256)."),
      hostsPerLeaf: d(z.optional(between(0, 16)), "Hosts behind each leaf (default 1)."),
      fabricSubnet: Subnet("The /30 point-to-point links between leaves and spines come from it."),
      hostSubnet: Subnet("Each leaf's host subnet comes from it."),
      spineAsn: d(z.optional(between(1, 4_294_967_295)), "The spines' AS number."),
      leafAsn: d(z.optional(between(1, 4_294_967_295)), "The first leaf's AS number (one each)."),
      host: Host,
    }),
    nodes: (o: { spines: number; leaves: number; hostsPerLeaf?: number | undefined }) =>
      o.spines + o.leaves * (1 + (o.hostsPerLeaf ?? 1)),
    make: clos,
  },
  tree: {
    description:
      "Mininet's tree: depth levels of routers, fanout children each, hosts at the leaves.",
    options: z.strictObject({
      prefix: Prefix,
      depth: d(between(1, 12), "How many levels below the root (1 to 12)."),
      fanout: d(between(1, 64), "Children of each router (1 to 64)."),
      subnet: Subnet("The subnet the tree's addresses come from."),
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
    description: "count routers in a ring, each linked to the next, routed the shorter way.",
    options: z.strictObject({
      prefix: Prefix,
      count: d(between(3, 1024), "How many routers (3 to 1024)."),
      subnet: Subnet("The links' subnets come from it."),
      host: Host,
    }),
    nodes: (o: { count: number }) => o.count,
    make: ring,
  },
  mesh: {
    description: "count routers, every pair linked.",
    options: z.strictObject({
      prefix: Prefix,
      count: d(between(2, 64), "How many routers (2 to 64)."),
      subnet: Subnet("The links' subnets come from it."),
      host: Host,
    }),
    nodes: (o: { count: number }) => o.count,
    make: mesh,
  },
} as const;

type Kind = keyof typeof GENERATORS;
const KINDS = Object.keys(GENERATORS) as Kind[];

const Generator = z.union(
  KINDS.map((kind) =>
    z.strictObject({ [kind]: d(GENERATORS[kind].options, GENERATORS[kind].description) })
  ) as unknown as [z.ZodMiniObject, z.ZodMiniObject],
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
          `nodes; a lab may have at most ${LAB_LIMITS.nodes} (docs/security.md: What a lab file ` +
          "can and cannot do)",
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
          `most ${LAB_LIMITS.nodes} (docs/security.md: What a lab file can and cannot do)`,
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
