/**
 * The lab file reference, docs/lab-file-reference.md, generated from the lab file's JSON Schema
 * (`labJsonSchema()`, the same schema `netkit schema` prints and `netkit validate` enforces): every
 * key with its type, its default and its description, one table per object. Never edited by hand;
 * `make docs` rewrites it and tests/unit/lab_reference_test.ts checks that the file is this
 * program's output, so it cannot drift from what netkit accepts.
 *
 * Usage: `deno run -A tools/lab_reference.ts > docs/lab-file-reference.md`.
 *
 * @module
 */
import { labJsonSchema } from "../lib/lab/json_schema.ts";

/** A JSON Schema node, as far as the reference reads it. */
type Schema = Record<string, unknown>;

/** One object of the schema, placed at its path in a lab file (`nodes.<node>.interfaces.<interface>`). */
interface Section {
  /** Where in a lab file: dotted keys, `<node>` for a name, `[]` for a list's items. */
  path: string;
  /** The form of a list item it is, or is inside of (`ping`), when the items take several forms. */
  form?: string | undefined;
  /** Whether it is one of those forms itself (an item of `expect`), not an object inside one. */
  alternative: boolean;
  /** The object's own description, when it has one. */
  description?: string;
  /** The object's schema (with `properties`). */
  schema: Schema;
}

/** What a name in a map stands for, by the map's key (`nodes` → `<node>`). */
const NAME_OF: Record<string, string> = {
  nodes: "node",
  interfaces: "interface",
  bridges: "bridge",
  ports: "port",
  mirrors: "mirror",
  hosts: "role",
  sysctls: "key",
};

/** Names the patterns the schema uses for names and addresses, instead of printing the regex. */
const PATTERN_NAMES: Record<string, string> = {
  "^[A-Za-z0-9][A-Za-z0-9_.-]*$": "name",
  "^[A-Za-z0-9][A-Za-z0-9_.-]*:[A-Za-z0-9][A-Za-z0-9_.-]*$": "OWNER:NAME",
  "^[A-Za-z0-9][A-Za-z0-9_.-]*(:[A-Za-z0-9][A-Za-z0-9_.-]*)?$": "NODE or NODE:NAME",
  "^(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}$":
    "IPv4 address",
};

const isObject = (v: unknown): v is Schema =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const props = (s: Schema): Record<string, Schema> =>
  isObject(s.properties) ? s.properties as Record<string, Schema> : {};
const alternatives = (s: Schema): Schema[] =>
  Array.isArray(s.anyOf) ? (s.anyOf as unknown[]).filter(isObject) : [];
const hasKeys = (s: Schema): boolean => Object.keys(props(s)).length > 0;
const code = (v: unknown): string => "`" + (typeof v === "string" ? v : JSON.stringify(v)) + "`";

/** A number's bounds (`1 to 4096`), leaving out JavaScript's safe-integer limits. */
function bounds(s: Schema): string {
  const wide = (n: unknown) => typeof n === "number" && Math.abs(n) >= Number.MAX_SAFE_INTEGER;
  const min = s.minimum ?? s.exclusiveMinimum;
  const max = s.maximum ?? s.exclusiveMaximum;
  const lo = min === undefined || wide(min)
    ? undefined
    : `${s.exclusiveMinimum !== undefined ? ">" : "≥"} ${min}`;
  const hi = max === undefined || wide(max)
    ? undefined
    : `${s.exclusiveMaximum !== undefined ? "<" : "≤"} ${max}`;
  return [lo, hi].filter((x) => x !== undefined).join(", ");
}

/** The constraints on a string or list: its pattern by name, its length. */
function limits(s: Schema): string[] {
  const out: string[] = [];
  if (typeof s.pattern === "string") {
    out.push(PATTERN_NAMES[s.pattern] ?? `matching ${code(s.pattern)}`);
  }
  if (typeof s.maxLength === "number") out.push(`at most ${s.maxLength} characters`);
  if (typeof s.minItems === "number" && s.minItems > 0 && s.minItems !== s.maxItems) {
    out.push(`at least ${s.minItems}`);
  }
  if (typeof s.maxItems === "number" && s.minItems !== s.maxItems) {
    out.push(`at most ${s.maxItems}`);
  }
  const b = bounds(s);
  if (b) out.push(b);
  return out;
}

/** The type of a schema node, in words (`list of string`, `map of <node> to object`, `"linux" or "ovs"`). */
export function typeOf(s: Schema, key = "name"): string {
  if (s.const !== undefined) return code(s.const);
  if (Array.isArray(s.enum)) return s.enum.map(code).join(" or ");
  const alts = alternatives(s);
  if (alts.length > 0 && alts.every(hasKeys)) {
    return `object, one of: ${alts.map((a) => code(formName(a))).join(", ")}`;
  }
  if (alts.length > 0) return alts.map((a) => typeOf(a, key)).join(" or ");
  const t = s.type;
  let base: string;
  if (Array.isArray(t)) base = t.join(" or ");
  else if (t === "array") base = arrayType(s, key);
  else if (t === "object" && !hasKeys(s) && isObject(s.additionalProperties)) {
    base = `map of ${code(`<${NAME_OF[key] ?? "name"}>`)} to ${typeOf(s.additionalProperties)}`;
  } else base = typeof t === "string" ? t : "any";
  const l = limits(s);
  return l.length > 0 ? `${base} (${l.join(", ")})` : base;
}

/** A list's type: a fixed pair (`[string, string]`) or `list of ITEM`. */
function arrayType(s: Schema, key: string): string {
  if (Array.isArray(s.prefixItems)) {
    return `[${(s.prefixItems as unknown[]).filter(isObject).map((i) => typeOf(i)).join(", ")}]`;
  }
  return isObject(s.items) ? `list of ${typeOf(s.items, key)}` : "list";
}

/** The object a key leads to, if it documents keys of its own: itself, a map's value, a list's item. */
function inner(s: Schema, key: string): { suffix: string; schema: Schema } | undefined {
  if (hasKeys(s) || alternatives(s).some(hasKeys)) return { suffix: "", schema: s };
  if (isObject(s.additionalProperties)) {
    const r = inner(s.additionalProperties, key);
    return r && { suffix: `.<${NAME_OF[key] ?? "name"}>${r.suffix}`, schema: r.schema };
  }
  if (isObject(s.items)) {
    const r = inner(s.items, key);
    return r && { suffix: `[]${r.suffix}`, schema: r.schema };
  }
  return undefined;
}

/** Every object of the schema, in the order a reader meets them, each at its path. */
function sections(root: Schema): Section[] {
  const out: Section[] = [];
  const visit = (path: string, s: Schema, form: string | undefined, alternative: boolean) => {
    const alts = alternatives(s).filter(hasKeys);
    if (!hasKeys(s) && alts.length > 0) {
      for (const a of alts) visit(path, a, formName(a), true);
      return;
    }
    out.push({
      path,
      form,
      alternative,
      ...(typeof s.description === "string" && { description: s.description }),
      schema: s,
    });
    for (const [key, child] of Object.entries(props(s))) {
      const r = inner(child, key);
      if (r) {
        visit(
          path === "" ? `${key}${r.suffix}` : `${path}.${key}${r.suffix}`,
          r.schema,
          form,
          false,
        );
      }
    }
  };
  visit("", root, undefined, false);
  return out;
}

/** A section on the page: its headings and the anchor that links to it use. */
interface Placed {
  section: Section;
  headings: string[];
}

/**
 * Headings for the sections: `## path` the first time a path comes, `### path: form` for each
 * form of a list item; an object that a later form has again (`expect[].ping`) is left out when
 * it is the same, and gets `### path in the form F` when it differs.
 */
function place(all: Section[]): { placed: Placed[]; anchors: Map<Schema, string> } {
  const placed: Placed[] = [];
  const anchors = new Map<Schema, string>();
  const printed = new Map<string, string>(); // path + JSON of a printed schema → its anchor
  const seen = new Set<string>();
  for (const sec of all) {
    const title = sec.path === "" ? "Top level" : code(sec.path);
    const key = sec.path + JSON.stringify(sec.schema);
    const same = printed.get(key);
    if (same !== undefined) {
      anchors.set(sec.schema, same);
      continue;
    }
    const headings = seen.has(sec.path) ? [] : [`## ${title}`];
    if (sec.alternative) headings.push(`### ${title}: ${code(sec.form)}`);
    else if (seen.has(sec.path)) headings.push(`### ${title} in the ${code(sec.form)} form`);
    seen.add(sec.path);
    const anchor = slug((headings[headings.length - 1] ?? title).replace(/^#+ /, ""));
    printed.set(key, anchor);
    anchors.set(sec.schema, anchor);
    placed.push({ section: sec, headings });
  }
  return { placed, anchors };
}

/** A list item's form, by the keys it requires (`ping`, or `ping + failover`). */
function formName(s: Schema): string {
  const req = Array.isArray(s.required) ? s.required as string[] : [];
  return req.length > 0 ? req.join(" + ") : Object.keys(props(s))[0] ?? "object";
}

/** A table cell: no line breaks, and `|` escaped so it stays one cell. */
const cell = (text: string) => text.replace(/\s*\n\s*/g, " ").replaceAll("|", "\\|");

/** One section as a table: key, type, required or default, description (and where its keys are). */
function table(sec: Section, anchors: Map<Schema, string>): string[] {
  const required = new Set(
    Array.isArray(sec.schema.required) ? sec.schema.required as string[] : [],
  );
  const rows = Object.entries(props(sec.schema)).map(([key, s]) => {
    const r = inner(s, key);
    const anchor = r && anchors.get(r.schema);
    const where = sec.path === "" ? `${key}${r?.suffix}` : `${sec.path}.${key}${r?.suffix}`;
    const desc = (typeof s.description === "string" ? s.description : "") +
      (anchor ? ` See [${code(where)}](#${anchor}).` : "");
    const dflt = required.has(key) ? "required" : s.default !== undefined ? code(s.default) : "";
    return `| ${code(key)} | ${cell(typeOf(s, key))} | ${cell(dflt)} | ${cell(desc.trim())} |`;
  });
  return ["| key | type | default | description |", "| --- | --- | --- | --- |", ...rows];
}

/** GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
function slug(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

/** The reference as Markdown, from the lab file's JSON Schema (by default netkit's own). */
export function labReference(root: Schema = labJsonSchema()): string {
  const lines = [
    "# Lab file reference",
    "",
    "<!-- Generated by tools/lab_reference.ts from the lab file's JSON Schema (make docs). Do not edit. -->",
    "",
    "Every key a lab file takes, generated from the JSON Schema that `netkit schema` prints (and",
    "`schema/lab.schema.json` holds), which is itself generated from the schema `netkit validate`",
    "checks. A path reads as in the file: `nodes.<node>.interfaces.<interface>` is an interface of a",
    "node, `expect[]` an item of the list `expect`. What JSON Schema cannot say (links to nodes that",
    "exist, addresses inside their subnet, the bounds on a lab's size) is in [Lab files](lab-file.md)",
    "and [What a lab file can and cannot do](security.md).",
  ];
  const { placed, anchors } = place(sections(root));
  for (const { section, headings } of placed) {
    for (const h of headings) lines.push("", h);
    if (section.path !== "" && section.description !== undefined) {
      lines.push("", section.description);
    }
    lines.push("", ...table(section, anchors));
  }
  return lines.join("\n") + "\n";
}

if (import.meta.main) {
  await Deno.stdout.write(new TextEncoder().encode(labReference()));
}
