/**
 * Lab files: a lab description written in YAML, read with positions so that every problem (a YAML
 * syntax error, a wrong type, an unknown key, a name over 15 bytes, a link to a node that does not
 * exist) is reported as `FILE:LINE:COLUMN: message`, the way compilers report, so an editor can
 * jump to it.
 *
 * The YAML library keeps every node's source range; an issue's document path (from zod or from
 * validate.ts's cross-checks) is walked through the parsed document to the node it names. A path
 * that ends at something absent (a missing key) points at the nearest parent that exists. Problems
 * about a key (an unknown key, a bad name) point at the key; problems about a value point at the
 * value, or at its key when the value is a whole mapping or list.
 *
 * Limits: a file over 1 MiB is refused before it is parsed; then, before any value is read,
 * duplicate keys (errors, as YAML 1.2 says), deep nesting, too many anchors or aliases and aliases
 * that would repeat too much (a billion laughs) are refused by one linear walk
 * (lib/lab/yaml_limits.ts), and yaml's own `maxAliasCount` stays as a second line. An error lists
 * at most {@link MAX_PROBLEMS} problems; every document path is found through an index of each
 * mapping's keys, so mapping 100,000 problems back to the file costs no more than reading it.
 *
 * @module
 */
import {
  Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  visit,
  type YAMLMap,
} from "../deps/yaml.ts";
import { UsageError } from "../errors.ts";
import type { Lab } from "./schema.ts";
import {
  type DocPath,
  type LabIssue,
  LabValidationError,
  validateLab,
  type ValidateOptions,
} from "./validate.ts";
import { LabSchema } from "./schema.ts";
import { expandGenerators } from "./expand.ts";
import { MAX_YAML_DEPTH, yamlLimitProblems } from "./yaml_limits.ts";
import { type ClabOptions, clabToLab, isClabDocument, isClabFileName } from "./clab.ts";
import type { BoundFileReader } from "./clab_frr.ts";
import { FRR_CONFIG_MAX_BYTES } from "./frr_config.ts";
import { dirname, isAbsolute, join, resolve } from "node:path";

/** The largest lab file netkit reads, in bytes (1 MiB). */
export const MAX_LAB_FILE_BYTES = 1024 * 1024;
/** How many alias expansions a lab file may make (yaml's `maxAliasCount`). */
const MAX_ALIAS_COUNT = 100;

/** One problem in a lab file, with its 1-based position. */
export interface LabFileProblem {
  /** The file, as it was named. */
  file: string;
  /** The line, from 1. */
  line: number;
  /** The column, from 1. */
  column: number;
  /** What is wrong (or, for a notice, what is ignored) and why. */
  message: string;
  /** The document path, for problems found after parsing. */
  path?: DocPath;
}

/** Options for reading a lab file (or a containerlab topology). */
export interface LabFileOptions extends ClabOptions, ValidateOptions {
  /** Called with each thing a containerlab topology holds that netkit ignores. */
  onNotice?: (notice: LabFileProblem) => void;
}

/** The most problems one {@link LabFileError} lists; a last line counts the rest. */
const MAX_PROBLEMS = 100;

/** A lab file is unreadable or invalid. Nothing was changed on the host. Exit code 2. */
export class LabFileError extends UsageError {
  /** The problems, in file order: at most {@link MAX_PROBLEMS}, then one that counts the rest. */
  readonly problems: LabFileProblem[];
  /**
   * Makes the error from its problems.
   *
   * @param file The lab file.
   * @param problems Every problem, in file order.
   */
  constructor(readonly file: string, problems: LabFileProblem[]) {
    const rest = problems[MAX_PROBLEMS];
    const shown = rest === undefined ? problems : [
      ...problems.slice(0, MAX_PROBLEMS),
      {
        file: rest.file,
        line: rest.line,
        column: rest.column,
        message: `and ${problems.length - MAX_PROBLEMS} more problems from here on (the first ` +
          `${MAX_PROBLEMS} are shown)`,
      },
    ];
    const lines = shown.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`);
    super(
      `invalid lab file ${file} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${
        lines.join("\n")
      }`,
      { where: lines[0]?.split(": ")[0] ?? file },
    );
    this.problems = shown;
    this.name = "LabFileError";
  }
}

const enc = new TextEncoder();

function tooBig(file: string, bytes: number): LabFileError {
  return new LabFileError(file, [{
    file,
    line: 1,
    column: 1,
    message: `the file is ${bytes} bytes; a lab file may be at most ${MAX_LAB_FILE_BYTES} bytes ` +
      "(1 MiB)",
  }]);
}

/** Reads a lab file as text: refuses missing files, directories, huge files and non-UTF-8. */
async function readLabText(path: string): Promise<string> {
  const fail = (message: string) =>
    new LabFileError(path, [{ file: path, line: 1, column: 1, message }]);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw fail("no such file");
    if (error instanceof Deno.errors.PermissionDenied) throw fail("permission denied");
    throw error;
  }
  if (!info.isFile) throw fail("not a regular file");
  if (info.size > MAX_LAB_FILE_BYTES) throw tooBig(path, info.size);
  const file = await Deno.open(path);
  try {
    // Read at most one byte past the limit: a file that grew after stat is still refused.
    const buf = new Uint8Array(MAX_LAB_FILE_BYTES + 1);
    let n = 0;
    while (n < buf.length) {
      const got = await file.read(buf.subarray(n));
      if (got === null) break;
      n += got;
    }
    if (n > MAX_LAB_FILE_BYTES) throw tooBig(path, n);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(0, n));
    } catch {
      throw fail("the file is not UTF-8 text");
    }
  } finally {
    file.close();
  }
}

interface Parsed {
  doc: Document.Parsed;
  lines: LineCounter;
  value: unknown;
  /** Duplicate keys: reported with the lab's other problems, in one pass. */
  duplicates: LabFileProblem[];
}

/** Parses YAML with positions; YAML errors and alias bombs become {@link LabFileError}. */
function parseYaml(text: string, file: string): Parsed {
  const size = enc.encode(text).length;
  if (size > MAX_LAB_FILE_BYTES) throw tooBig(file, size);
  const lines = new LineCounter();
  // Duplicate keys are found by yamlLimitProblems: the library's own check (uniqueKeys) compares
  // every key with every earlier one of its mapping.
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: false,
    strict: true,
  });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const duplicates: LabFileProblem[] = [];
  if (doc.errors.length) {
    const problems = doc.errors.map((e) => {
      const [start = 0] = e.pos;
      // Too deep for the library itself: the same words as the depth walk (yaml_limits.ts) uses.
      let message = e.code === "RESOURCE_EXHAUSTION"
        ? `the YAML nests deeper than ${MAX_YAML_DEPTH} levels (a lab needs about six)`
        : e.message.replace(/\s+at line \d+, column \d+.*$/s, "");
      if (e.code === "DUPLICATE_KEY") {
        // The key as written (a bounded look: many duplicates must not make this quadratic).
        const key = /^\s*("[^"\n]*"|'[^'\n]*'|[^:,{}[\]\n]*?)\s*(:|$)/m
          .exec(text.slice(start, start + 1024))?.[1];
        message = key
          ? `duplicate key ${key.startsWith('"') ? key : JSON.stringify(key)}: each key may ` +
            "appear once in a mapping"
          : "duplicate key: each key may appear once in a mapping";
      }
      return { file, ...at(start), message };
    });
    // A duplicate key leaves a document (the last value wins) whose other problems are found
    // too; any other YAML error leaves none worth checking.
    if (doc.errors.some((e) => e.code !== "DUPLICATE_KEY")) throw new LabFileError(file, problems);
    duplicates.push(...problems);
  }
  const limits = yamlLimitProblems(doc).map((p) => ({
    problem: { file, ...at(p.offset), message: p.message },
    duplicate: p.duplicate === true,
  }));
  // A duplicate key leaves a document (the last value wins) whose other problems are found too;
  // a document too deep or with too many aliases is not read any further.
  if (limits.some((l) => !l.duplicate)) throw new LabFileError(file, limits.map((l) => l.problem));
  duplicates.push(...limits.map((l) => l.problem));
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    let offset = 0;
    visit(doc, {
      Alias(_, node) {
        offset = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    throw new LabFileError(file, [{
      file,
      ...at(offset),
      message: `too many alias expansions (more than ${MAX_ALIAS_COUNT}): ${
        error instanceof Error ? error.message : String(error)
      }`,
    }]);
  }
  return { doc, lines, value, duplicates };
}

const keyText = (key: unknown): string =>
  isScalar(key) ? String(key.value) : isAlias(key) ? String(key.source) : String(key);

/** Each mapping's pairs by key, made once per mapping: an issue's path is found in its depth. */
const pairsByKey = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  let index = pairsByKey.get(map);
  if (index === undefined) {
    index = new Map();
    for (const pair of map.items) {
      const text = keyText(pair.key);
      if (!index.has(text)) index.set(text, pair);
    }
    pairsByKey.set(map, index);
  }
  return index.get(key);
}

/**
 * The source offset a document path points at: the node it names, or the nearest parent that
 * exists. `wantKey`: point at the last element's key rather than its value.
 */
export function offsetOfPath(doc: Document, path: DocPath, wantKey = false): number {
  let node: unknown = doc.contents;
  let keyNode: Node | undefined;
  let best = (doc.contents as Node | null)?.range?.[0] ?? 0;
  let found = true;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = pairOf(node, String(segment));
      if (!pair) {
        found = false;
        break;
      }
      keyNode = isScalar(pair.key) || isAlias(pair.key) ? pair.key as Node : undefined;
      node = pair.value;
      best = keyNode?.range?.[0] ?? best;
    } else if (isSeq(node) && Number.isInteger(Number(segment))) {
      const item = node.items[Number(segment)];
      if (item === undefined) {
        found = false;
        break;
      }
      keyNode = undefined;
      node = item;
      best = (item as Node).range?.[0] ?? best;
    } else {
      found = false;
      break;
    }
  }
  if (!found) return best;
  const range = (node as Node | null)?.range;
  const isEmpty = isScalar(node) && (node.value === null || node.value === "") &&
    range != null && range[0] === range[1];
  if (keyNode?.range && (wantKey || isMap(node) || isSeq(node) || isEmpty || !range)) {
    return keyNode.range[0];
  }
  return range?.[0] ?? best;
}

/** A lab file, parsed and validated, with the way back from a document path to the file. */
export interface LabSource {
  /** The validated lab, defaults filled in. */
  lab: Lab;
  /** The file's name, as problems are reported under. */
  file: string;
  /** The problems `issues` (paths in the lab) as one error pointing into the file. */
  errorAt(issues: LabIssue[]): LabFileError;
}

function errorAt(
  parsed: Parsed,
  file: string,
  issues: LabIssue[],
  origin: (path: DocPath) => DocPath = (path) => path,
): LabFileError {
  const problems = [
    ...parsed.duplicates,
    ...issues.map((issue) => problemAt(parsed, file, issue, origin)),
  ];
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return new LabFileError(file, problems);
}

/** One issue (a path in the lab, mapped back through `origin`) at its line and column. */
function problemAt(
  parsed: Parsed,
  file: string,
  issue: LabIssue,
  origin: (path: DocPath) => DocPath = (path) => path,
): LabFileProblem {
  const mapped = origin(issue.path);
  const wantKey = mapped === issue.path && issue.key === true;
  const { line, col } = parsed.lines.linePos(offsetOfPath(parsed.doc, mapped, wantKey));
  return { file, line, column: col, message: issue.message, path: issue.path };
}

/**
 * Parses and validates a lab written in YAML, and keeps the way back into the text (for problems
 * found later, such as preflight's conflicts with the host). A containerlab topology (a file named
 * `*.clab.yml`, or a document with `topology:`) is read as a netkit lab first (see
 * lib/lab/clab.ts), its problems reported at its own lines.
 *
 * @throws {LabFileError} When the YAML or the lab is invalid.
 */
export function parseLabSource(
  text: string,
  file: string,
  options: LabFileOptions = {},
): LabSource {
  const template = goTemplateAt(text, file);
  if (template) throw new LabFileError(file, [template]);
  const parsed = parseYaml(text, file);
  if (parsed.value === null || parsed.value === undefined) {
    throw new LabFileError(file, [{
      file,
      line: 1,
      column: 1,
      message: 'the file holds no lab: it needs at least "name" (see examples/labs/)',
    }]);
  }
  if (isClabFileName(file) || isClabDocument(parsed.value)) {
    const clab = clabToLab(parsed.value, options);
    for (const notice of clab.notices) options.onNotice?.(problemAt(parsed, file, notice));
    if (clab.problems.length) throw errorAt(parsed, file, clab.problems);
    try {
      const lab = validateLab(clab.lab, `file ${file}`, options);
      if (parsed.duplicates.length) throw new LabValidationError([], `file ${file}`);
      return { lab, file, errorAt: (issues) => errorAt(parsed, file, issues, clab.origin) };
    } catch (error) {
      if (!(error instanceof LabValidationError)) throw error;
      throw errorAt(parsed, file, error.issues, clab.origin);
    }
  }
  try {
    const expanded = expandGenerators(parsed.value);
    if (expanded.issues.length) throw new LabValidationError(expanded.issues, `file ${file}`);
    const lab = validateLab(expanded.doc, `file ${file}`, options);
    if (parsed.duplicates.length) throw new LabValidationError([], `file ${file}`);
    return { lab, file, errorAt: (issues) => errorAt(parsed, file, issues) };
  } catch (error) {
    if (!(error instanceof LabValidationError)) throw error;
    throw errorAt(parsed, file, error.issues);
  }
}

/**
 * Parses and validates a lab written in YAML. Every problem is reported with `file:line:column`.
 * A containerlab topology (a file named `*.clab.yml`, or a document with `topology:`) is read as
 * a netkit lab first (see lib/lab/clab.ts), its problems reported at its own lines.
 *
 * @param text The YAML text.
 * @param file The name to report problems under (a path, or e.g. `<stdin>`).
 * @param options What the command line allows beyond what the lab creates (`--uplink`),
 *   containerlab's images, and where notices go; see {@link LabFileOptions}.
 * @returns The validated lab, defaults filled in.
 * @throws {LabFileError} When the YAML or the lab is invalid (a {@link UsageError}: exit code 2).
 * @example Parse a small lab
 * ```ts
 * import { parseLabYaml } from "../../mod.ts";
 * const lab = parseLabYaml(
 *   [
 *     "name: pair",
 *     "nodes:",
 *     "  a: { interfaces: { eth0: { addresses: [10.9.0.1/24] } } }",
 *     "  b: { interfaces: { eth0: { addresses: [10.9.0.2/24] } } }",
 *     "links:",
 *     "  - endpoints: [a:eth0, b:eth0]",
 *   ].join("\n"),
 *   "pair.yaml",
 * );
 * lab.nodes.a?.interfaces.eth0?.addresses; // ["10.9.0.1/24"]
 * ```
 */
export function parseLabYaml(text: string, file: string, options: LabFileOptions = {}): Lab {
  return parseLabSource(text, file, options).lab;
}

/**
 * Reads, parses and validates a lab file, keeping the way back into it (see
 * {@link parseLabSource}).
 */
export async function readLabSource(
  path: string,
  options: LabFileOptions = {},
): Promise<LabSource> {
  return parseLabSource(await readLabText(path), path, {
    readBound: boundFileReader(path),
    ...options,
  });
}

/**
 * A containerlab topology written as a Go template (`{{ ... }}`, `*.clab.gotmpl`): the place of
 * its first action, with a message that says so (instead of a YAML error about the braces).
 */
function goTemplateAt(text: string, file: string): LabFileProblem | undefined {
  const at = text.indexOf("{{");
  if (at < 0 || !(/\.gotmpl$/i.test(file) || isClabFileName(file) || /^topology:/m.test(text))) {
    return undefined;
  }
  const before = text.slice(0, at).split("\n");
  return {
    file,
    line: before.length,
    column: before.at(-1)!.length + 1,
    message: "a Go template: containerlab fills in {{ ... }} from its _vars file before it reads " +
      "the topology; netkit reads topologies as written (write the filled-in topology to a " +
      ".clab.yml file and give netkit that)",
  };
}

/**
 * The reader of the files a containerlab topology binds (FRR's `frr.conf`, `daemons`): a path
 * relative to the topology's directory that stays inside it (no `..`, no absolute path, no
 * symbolic link out of it), a regular file of at most 64 KiB of UTF-8.
 */
function boundFileReader(topology: string): BoundFileReader {
  const dir = dirname(resolve(topology));
  return (path) => {
    if (path === "" || isAbsolute(path) || path.split("/").includes("..")) {
      throw new Error(
        `${JSON.stringify(path)} refused: a bound file is a path inside the topology's directory`,
      );
    }
    let real: string;
    try {
      real = Deno.realPathSync(join(dir, path));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw new Error(`${path}: no such file`);
      throw error;
    }
    if (!real.startsWith(Deno.realPathSync(dir) + "/")) {
      throw new Error(`${path} refused: it leads out of the topology's directory`);
    }
    const info = Deno.statSync(real);
    if (!info.isFile) throw new Error(`${path}: not a regular file`);
    if (info.size > FRR_CONFIG_MAX_BYTES) {
      throw new Error(`${path}: more than ${FRR_CONFIG_MAX_BYTES} bytes`);
    }
    return new TextDecoder("utf-8", { fatal: true }).decode(Deno.readFileSync(real));
  };
}

/**
 * Reads, parses and validates a lab file. Files over 1 MiB are refused.
 *
 * @param path The lab file (YAML), or a containerlab topology (`*.clab.yml`).
 * @param options What the command line allows beyond what the lab creates: a bridge's `uplink`
 *   is refused unless `options.uplinks` names that NIC (`--uplink NIC`); containerlab's images,
 *   and where notices go (see {@link LabFileOptions}).
 * @returns The validated lab, defaults filled in.
 * @throws {LabFileError} When the file cannot be read or is invalid, each problem with
 *   `file:line:column` (a {@link UsageError}: exit code 2).
 * @example Read a lab file (then `upLab(lab)` brings it up)
 * ```ts
 * import { loadLabFile } from "../../mod.ts";
 * const lab = await loadLabFile("examples/labs/bridge-three.yaml");
 * console.log(Object.keys(lab.nodes));
 * ```
 */
export async function loadLabFile(path: string, options: LabFileOptions = {}): Promise<Lab> {
  return (await readLabSource(path, options)).lab;
}

/**
 * Reads only the lab name from a lab file (for `down FILE`): the rest of the file may have
 * changed since the lab came up, and the lab must still be removable.
 */
export async function readLabName(path: string): Promise<string> {
  const text = await readLabText(path);
  const { doc, lines, value, duplicates } = parseYaml(text, path);
  if (duplicates.length) throw new LabFileError(path, duplicates);
  const name = value !== null && typeof value === "object" && "name" in value
    ? (value as { name: unknown }).name
    : undefined;
  const checked = LabSchema.shape.name.safeParse(name);
  if (checked.success) return checked.data;
  const { line, col } = lines.linePos(offsetOfPath(doc, ["name"]));
  throw new LabFileError(path, [{
    file: path,
    line,
    column: col,
    message: name === undefined
      ? '"name" is missing'
      : checked.error.issues.map((i) => i.message).join("; "),
    path: ["name"],
  }]);
}

const DEFAULTS: Record<string, unknown> = {
  role: "host",
  dhcp: false,
  internal: false,
  reach: true,
};
/** Paths (with `*` for a name) whose keys are names, not fields: kept even when empty. */
const RECORDS = new Set([
  "nodes",
  "bridges",
  "nodes.*.interfaces",
  "nodes.*.sysctls",
  "bridges.*.ports",
]);

function compact(value: unknown, path: string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => compact(v, [...path, "[]"]));
  if (value === null || typeof value !== "object") return value;
  const isRecord = RECORDS.has(path.join("."));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const c = compact(v, [...path, isRecord ? "*" : k]);
    if (!isRecord) {
      if (c === undefined || DEFAULTS[k] === c) continue;
      if (Array.isArray(c) && c.length === 0) continue;
      if (c !== null && typeof c === "object" && Object.keys(c).length === 0) continue;
    }
    out[k] = c;
  }
  return out;
}

/**
 * A lab as YAML lab file text, without the fields that hold their defaults. Parsing the text
 * back ({@link parseLabYaml}) gives the same lab.
 *
 * @param lab A validated lab.
 * @param header Comment lines for the top of the file.
 */
export function labToYaml(lab: Lab, header: string[] = []): string {
  const doc = new Document(compact(lab, []));
  visit(doc, {
    Seq(_, node) {
      if (node.items.length > 0 && node.items.every((i) => isScalar(i))) node.flow = true;
    },
    Map(_, node, path) {
      if (
        path.length > 1 && node.items.length > 0 && node.items.length <= 4 &&
        node.items.every((p) => isScalar(p.value))
      ) node.flow = true;
    },
  });
  if (header.length) doc.commentBefore = header.map((l) => ` ${l}`).join("\n");
  return doc.toString({ lineWidth: 100, flowCollectionPadding: true });
}
