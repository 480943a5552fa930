/**
 * zod's issues as a person at the keyboard wants to read them: at the key that is wrong, in
 * netkit's words, and with a hint where one is cheap to give.
 *
 * - An unknown key names the closest known key of that same object, when one is close:
 *   `unrecognized key "adresses" (did you mean "addresses"?)`. The candidates are only the few
 *   keys of that object (found by walking the schema along the issue's path), and the distance
 *   is bounded, so a file of thousands of typos still costs a linear amount of work.
 * - A value outside an enum names its field, the value and the choices:
 *   `bridges.br0.type: "linx" is not one of linux, ovs`.
 * - A misspelled required key is one problem, not two: the unknown key's hint names it, and
 *   `"from" is missing` for the same object is left out.
 *
 * @module
 */
import * as z from "../deps/zod.ts";
import type { DocPath, LabIssue } from "./issue.ts";

/** A schema issue, with what the repair of a partial lab (lib/lab/partial.ts) needs. */
export interface SchemaIssue extends LabIssue {
  /** An unknown key: the known key it is closest to, or "" when none is close. */
  unknownKey?: string;
}

/** The subset of a zod issue this module reads. */
interface ZodIssueLike {
  code?: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
  values?: unknown[];
  issues?: ZodIssueLike[];
  errors?: ZodIssueLike[][];
  params?: Record<string, unknown> | undefined;
}

/** `nodes.ns1.interfaces.eth0` style. */
export function formatPath(path: DocPath): string {
  return path.length === 0 ? "(top level)" : path.map(String).join(".");
}

/**
 * The issues of one failed parse of `schema`, in netkit's words (see the module doc).
 *
 * @param issues zod's issues (`safeParse(...).error.issues`).
 * @param input What was parsed, to quote the bad value of an enum.
 * @param schema The schema that was parsed, to find the known keys of an object.
 */
export function schemaIssues(
  issues: readonly ZodIssueLike[],
  input: unknown,
  schema: z.ZodMiniType,
): SchemaIssue[] {
  const all = issues.flatMap((i) => convert(i, [], { input, schema }));
  // A required key that is missing because it is misspelled: the unknown key says so already.
  const meant = new Set(
    all.filter((i) => i.unknownKey).map((i) =>
      `${formatPath(i.path.slice(0, -1))}\0${i.unknownKey}`
    ),
  );
  return all.filter((i) =>
    !(i.missing && meant.has(`${formatPath(i.path.slice(0, -1))}\0${i.path.at(-1)}`))
  ).map(({ missing: _, ...i }) => i);
}

interface Context {
  readonly input: unknown;
  readonly schema: z.ZodMiniType;
}

type Converted = SchemaIssue & { missing?: true };

/** zod's message, with the reason spelled out where zod only says "Invalid key in record". */
function keyMessage(issue: ZodIssueLike, key: PropertyKey | undefined): string {
  const inner = issue.issues ?? [];
  return `invalid name ${JSON.stringify(String(key))}: ${inner.map((i) => i.message).join("; ")}`
    .replace(`: ${JSON.stringify(String(key))} is`, ": it is");
}

/**
 * One zod issue as issues that point at the offending key: an unknown key becomes one issue per
 * key, a bad record key (a name) carries its own messages, and a union (the kinds of `expect`)
 * reports the branch that came closest.
 */
function convert(issue: ZodIssueLike, prefix: DocPath, c: Context): Converted[] {
  const path = [...prefix, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
  if (issue.code === "unrecognized_keys" && issue.keys?.length) {
    const known = knownKeys(c.schema, path);
    return issue.keys.map((k) => {
      const near = closest(k, known) ?? "";
      return {
        path: [...path, k],
        message: `unrecognized key "${k}"${near ? ` (did you mean "${near}"?)` : ""}`,
        key: true,
        unknownKey: near,
      };
    });
  }
  if (issue.code === "invalid_key" && issue.issues?.length) {
    return [{ path, message: keyMessage(issue, issue.path.at(-1)), key: true }];
  }
  if (issue.code === "custom" && issue.params?.key === true) {
    return [{ path, message: issue.message, key: true }];
  }
  if (issue.code === "invalid_union" && issue.errors?.length) {
    // The branch whose keys fit (a proof's kind is its keys), then the one with fewest issues.
    const misfits = (b: ZodIssueLike[]) =>
      b.filter((i) => i.code === "unrecognized_keys" && i.path.length === 0).length;
    const best = issue.errors.reduce((a, b) =>
      misfits(b) < misfits(a) || (misfits(b) === misfits(a) && b.length < a.length) ? b : a
    );
    return best.flatMap((i) => convert(i, path, c));
  }
  const value = valueAt(c.input, path);
  if (issue.code === "invalid_value" && issue.values?.length && path.length > 0) {
    const choices = issue.values.map(String).join(", ");
    return value.found
      ? [{ path, message: `${formatPath(path)}: ${quote(value.value)} is not one of ${choices}` }]
      : [{
        path,
        message: `"${String(path.at(-1))}" is missing (one of ${choices})`,
        missing: true,
      }];
  }
  if (!value.found && path.length > 0 && /received undefined$/.test(issue.message)) {
    return [{ path, message: `"${String(path.at(-1))}" is missing`, missing: true }];
  }
  return [{ path, message: issue.message }];
}

/** A value as the lab file would spell it: strings quoted, the rest as JSON. */
function quote(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The value at `path` in `input`, by own properties only. */
function valueAt(input: unknown, path: DocPath): { found: boolean; value?: unknown } {
  let value = input;
  for (const segment of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, segment)) {
      return { found: false };
    }
    value = (value as Record<string, unknown>)[segment];
  }
  return { found: true, value };
}

/** What the schema walk reads of a zod schema's definition. */
interface Def {
  type: string;
  shape?: Record<string, z.ZodMiniType>;
  innerType?: z.ZodMiniType;
  in?: z.ZodMiniType;
  valueType?: z.ZodMiniType;
  element?: z.ZodMiniType;
  items?: z.ZodMiniType[];
  rest?: z.ZodMiniType | null;
  options?: z.ZodMiniType[];
}

const defOf = (s: z.ZodMiniType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schemas `s` stands for once wrappers (optional, default, a union's branches) are off. */
function unwrap(s: z.ZodMiniType, depth = 0): z.ZodMiniType[] {
  const def = defOf(s);
  if (depth > 8) return [s];
  if (def.type === "union" && def.options) return def.options.flatMap((o) => unwrap(o, depth + 1));
  const inner = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
  return inner ? unwrap(inner, depth + 1) : [s];
}

/** The keys the object at `path` may have: the union of every schema that may describe it. */
function knownKeys(schema: z.ZodMiniType, path: DocPath): string[] {
  let level = [schema];
  for (const segment of path) {
    const next: z.ZodMiniType[] = [];
    for (const s of level.flatMap((l) => unwrap(l))) {
      const def = defOf(s);
      const child = def.type === "object"
        ? (def.shape && Object.hasOwn(def.shape, segment) ? def.shape[segment] : undefined)
        : def.type === "record"
        ? def.valueType
        : def.type === "array"
        ? def.element
        : def.type === "tuple"
        ? (def.items?.[Number(segment)] ?? def.rest ?? undefined)
        : undefined;
      if (child) next.push(child);
    }
    level = next;
  }
  const keys = new Set<string>();
  for (const s of level.flatMap((l) => unwrap(l))) {
    for (const k of Object.keys(defOf(s).shape ?? {})) keys.add(k);
  }
  return [...keys];
}

/**
 * The known key closest to `word`, if it is close: within one edit for short words, two for
 * longer ones, three at most (a swap of two letters counts as one edit), case ignored.
 */
function closest(word: string, known: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  const bound = Math.min(3, Math.max(1, Math.floor(w.length / 3)));
  let best: string | undefined;
  let bestDistance = bound + 1;
  for (const k of known) {
    if (Math.abs(k.length - w.length) >= bestDistance || w.length > 64) continue;
    const d = editDistance(w, k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/** The optimal-string-alignment distance: insertions, deletions, changes, swaps of neighbours. */
function editDistance(a: string, b: string): number {
  const rows = [new Array<number>(b.length + 1).fill(0).map((_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      }
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}
