/**
 * A lab whose shape is wrong somewhere, mended just enough for the checks across the lab to run
 * on the parts that parsed: so one run reports a typo and a gateway outside every subnet
 * together, instead of the second only after the first is fixed.
 *
 * The mending, on a copy of the document:
 * - an unknown key is renamed to the key it was meant to be (when the hint is sure of one and the
 *   object lacks it), or dropped: the schema would ignore neither, so nothing else changes;
 * - any other problem marks its *unit* (a node, a bridge, a host role, a link, a proof) as
 *   broken: a broken link or proof is left out, a broken node, bridge or host role is replaced by
 *   an empty one of its kind, so the names that refer to it still resolve.
 *
 * Then the checks' problems about a broken unit (at its path, naming it or a bad name in quotes,
 * or about an interface a left-out link would have made) are left out: they would be about what the mending made up, not about the file. When the document
 * cannot be mended (a whole collection of the wrong type, or still failing after a few rounds),
 * there is no partial lab and only the shape's problems are reported.
 *
 * Each round is one parse and one pass over the issues, and there are at most three.
 *
 * @module
 */
import type { DocPath, LabIssue } from "./issue.ts";
import { type Lab, LabSchema } from "./schema.ts";
import { type SchemaIssue, schemaIssues } from "./schema_issues.ts";
import { ownNames } from "./own_names.ts";

/** A lab mended from a document that failed the schema (see the module doc). */
interface PartialLab {
  /** The mended lab, parsed by the schema. */
  lab: Lab;
  /**
   * A problem found in the mended lab, placed in the document (its list indexes those of the
   * file), or undefined when it is about the mending rather than the file.
   */
  place(issue: LabIssue): LabIssue | undefined;
}

const NAMED = new Set(["nodes", "bridges", "hosts"]);
const LISTED = ["links", "expect"];
/** Top-level fields that can be dropped without changing what other parts mean. */
const DROPPABLE = new Set(["description", "sandbox", "mtu"]);
const MAX_ROUNDS = 3;

type Doc = Record<string, unknown>;
/** For each list that lost items: the index in the file of each item left. */
type Back = Map<string, number[]>;
const isObject = (v: unknown): v is Doc => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The lab mended from `input` (see the module doc), or undefined when it cannot be.
 *
 * @param input The document that failed the schema.
 * @param issues Its problems, from {@link schemaIssues}.
 */
export function partialLab(input: unknown, issues: readonly SchemaIssue[]): PartialLab | undefined {
  if (!isObject(input)) return undefined;
  let doc: Doc;
  try {
    doc = structuredClone(input);
  } catch {
    return undefined;
  }
  const broken = new Set<string>(); // "nodes\0a", "links\03"
  let current = issues;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    for (const issue of current) {
      if (!mend(doc, issue, broken)) return undefined;
    }
    replaceBroken(doc, broken);
    const { view, back } = withoutBrokenItems(doc, broken);
    const parsed = LabSchema.safeParse(view);
    if (parsed.success) return { lab: ownNames(parsed.data), place: placer(doc, broken, back) };
    current = schemaIssues(parsed.error.issues, view, LabSchema)
      .map((i) => ({ ...i, path: inFile(i.path, back) }));
  }
  return undefined;
}

/** A path in the mended document as a path in the file. */
function inFile(path: DocPath, back: Back): DocPath {
  const [top, index] = path;
  const map = typeof top === "string" ? back.get(top) : undefined;
  if (!map || typeof index !== "number") return path;
  return [top!, map[index] ?? index, ...path.slice(2)];
}

/** Mends one problem in `doc`, or marks its unit broken; false when it cannot be mended. */
function mend(doc: Doc, issue: SchemaIssue, broken: Set<string>): boolean {
  const { path } = issue;
  if (issue.unknownKey !== undefined) {
    const parent = objectAt(doc, path.slice(0, -1));
    const key = String(path.at(-1));
    if (parent && Object.hasOwn(parent, key)) {
      if (issue.unknownKey && !Object.hasOwn(parent, issue.unknownKey)) {
        parent[issue.unknownKey] = parent[key];
      }
      delete parent[key];
    }
    return true;
  }
  const [top, unit] = path;
  if (typeof top !== "string") return false;
  if (path.length === 1 && DROPPABLE.has(top)) {
    delete doc[top];
    return true;
  }
  if (path.length === 1 && top === "name") {
    doc.name = "lab"; // a placeholder: no check reads the name
    return true;
  }
  if (unit === undefined || (!NAMED.has(top) && !LISTED.includes(top))) return false;
  broken.add(`${top}\0${unit}`);
  if (issue.key) broken.add(`name\0${String(path.at(-1))}`); // a bad name: said once
  const collection = doc[top];
  if (issue.key && path.length === 2 && isObject(collection)) delete collection[unit]; // a bad name
  return true;
}

/** The object at `path` in `doc`, by own properties only. */
function objectAt(doc: Doc, path: DocPath): Doc | undefined {
  let value: unknown = doc;
  for (const segment of path) {
    if (!isObject(value) && !Array.isArray(value)) return undefined;
    if (!Object.hasOwn(value, segment)) return undefined;
    value = (value as Doc)[segment];
  }
  return isObject(value) ? value : undefined;
}

/** Replaces broken nodes, bridges and host roles by empty ones of their kind. */
function replaceBroken(doc: Doc, broken: ReadonlySet<string>): void {
  for (const entry of broken) {
    const [top = "", unit = ""] = entry.split("\0");
    const collection = doc[top];
    if (NAMED.has(top) && isObject(collection) && Object.hasOwn(collection, unit)) {
      const old = collection[unit];
      collection[unit] = top === "bridges"
        ? { type: isObject(old) && old.type === "ovs" ? "ovs" : "linux" }
        : {};
    }
  }
}

/** `doc` without its broken links and proofs, and the way back to the file's indexes. */
function withoutBrokenItems(doc: Doc, broken: ReadonlySet<string>): { view: Doc; back: Back } {
  const view = { ...doc };
  const back: Back = new Map();
  for (const top of LISTED) {
    const list = doc[top];
    if (!Array.isArray(list) || !list.some((_, i) => broken.has(`${top}\0${i}`))) continue;
    const kept = list.map((_, i) => i).filter((i) => !broken.has(`${top}\0${i}`));
    view[top] = kept.map((i) => list[i]);
    back.set(top, kept);
  }
  return { view, back };
}

/** Places a problem of the mended lab in the file; none at, or naming, a broken unit. */
function placer(doc: Doc, broken: ReadonlySet<string>, back: Back): PartialLab["place"] {
  const names: string[] = [];
  const linkEnds = new Set<string>(); // "OWNER:IFNAME" of the links left out
  for (const entry of broken) {
    const [top = "", unit = ""] = entry.split("\0");
    if (NAMED.has(top) || top === "name") names.push(`"${unit}"`);
    const link = top === "links" && Array.isArray(doc.links) ? doc.links[Number(unit)] : undefined;
    if (isObject(link) && Array.isArray(link.endpoints)) {
      for (const end of link.endpoints) if (typeof end === "string") linkEnds.add(end);
    }
  }
  const ifnames = new Set([...linkEnds].map((end) => end.slice(end.indexOf(":") + 1)));
  return (issue) => {
    const path = inFile(issue.path, back);
    const [top, unit, field, ifname] = path;
    if (typeof top === "string" && broken.has(`${top}\0${unit}`)) return undefined;
    if (names.some((n) => issue.message.includes(n))) return undefined;
    // What a link left out would have put into a node or a bridge is missing there.
    if ((field === "interfaces" || field === "ports") && ifnames.has(String(ifname))) {
      return undefined;
    }
    return { ...issue, path };
  };
}
