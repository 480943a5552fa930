/**
 * Bounds on a lab file's YAML, checked on the parsed document before anything reads its values:
 * one walk, linear in the document, that refuses
 *
 * - a key twice in one mapping (YAML 1.2 says keys are unique; the yaml library's own check,
 *   `uniqueKeys`, compares every key with every earlier one: minutes for 100,000 keys);
 * - nesting deeper than {@link MAX_YAML_DEPTH} levels (every reader of the document recurses);
 * - more than {@link MAX_YAML_ANCHORS} anchors or {@link MAX_YAML_ALIASES} aliases (the yaml
 *   library resolves each alias by scanning every anchor and alias before it);
 * - aliases that repeat more than {@link MAX_ALIAS_VALUES} values in all (a "billion laughs": a
 *   short file whose aliases expand into millions of values), and an alias inside its own anchor.
 *
 * A lab file needs none of this: its deepest value is about six levels down.
 *
 * @module
 */
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node } from "../deps/yaml.ts";
import { printable } from "../reach.ts";

/** How deep a lab file's YAML may nest (a lab's deepest value is about six levels down). */
export const MAX_YAML_DEPTH = 64;
/** How many anchors (`&name`) a lab file may define. */
const MAX_YAML_ANCHORS = 1000;
/** How many aliases (`*name`) a lab file may use. */
const MAX_YAML_ALIASES = 1000;
/** How many values (scalars, mappings, lists) all of a lab file's aliases may repeat in all. */
const MAX_ALIAS_VALUES = 100_000;

/** One problem with the YAML's shape: where it is (an offset into the text) and what. */
interface YamlLimitProblem {
  /** The offset into the text. */
  offset: number;
  /** What is wrong. */
  message: string;
  /** A duplicate key: the document is still read (the last value wins), for its other problems. */
  duplicate?: true;
}

const offsetOf = (node: unknown): number => (node as Node | null)?.range?.[0] ?? 0;

/** A key as the problem shows it: quoted, at most 64 characters, control characters escaped. */
function shownKey(value: unknown): string {
  const text = String(value);
  return printable(JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}...` : text));
}

/**
 * The problems of a parsed YAML document's shape: duplicate keys (each one), and the first of too
 * deep, too many anchors or aliases, or aliases that repeat too much. Linear in the document.
 */
export function yamlLimitProblems(doc: Document.Parsed): YamlLimitProblem[] {
  const problems: YamlLimitProblem[] = [];
  const shape = duplicatesAndDepth(doc, problems);
  if (shape.tooDeep !== undefined) {
    return [{
      offset: shape.tooDeep,
      message: `the YAML nests deeper than ${MAX_YAML_DEPTH} levels (a lab needs about six)`,
    }];
  }
  if (shape.anchors > MAX_YAML_ANCHORS) {
    problems.push({
      offset: shape.tooManyAnchors,
      message: `the file defines ${shape.anchors} anchors (&name); a lab file may define at most ` +
        `${MAX_YAML_ANCHORS}`,
    });
  } else if (shape.aliases > MAX_YAML_ALIASES) {
    problems.push({
      offset: shape.tooManyAliases,
      message: `the file uses ${shape.aliases} aliases (*name); a lab file may use at most ` +
        `${MAX_YAML_ALIASES}`,
    });
  } else if (shape.aliases > 0) {
    const expansion = aliasExpansionProblem(doc.contents);
    if (expansion) problems.push(expansion);
  }
  return problems;
}

interface Shape {
  tooDeep?: number;
  anchors: number;
  aliases: number;
  tooManyAnchors: number;
  tooManyAliases: number;
}

/** One iterative walk: duplicate keys into `problems`, the depth, anchors and aliases counted. */
function duplicatesAndDepth(doc: Document.Parsed, problems: YamlLimitProblem[]): Shape {
  const shape: Shape = { anchors: 0, aliases: 0, tooManyAnchors: 0, tooManyAliases: 0 };
  const stack: [unknown, number][] = [[doc.contents, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== "object") continue;
    if (depth > MAX_YAML_DEPTH) {
      shape.tooDeep = offsetOf(node);
      return shape;
    }
    if ((node as Node).anchor !== undefined && ++shape.anchors === MAX_YAML_ANCHORS + 1) {
      shape.tooManyAnchors = offsetOf(node);
    }
    if (isAlias(node)) {
      if (++shape.aliases === MAX_YAML_ALIASES + 1) shape.tooManyAliases = offsetOf(node);
    } else if (isMap(node)) {
      const keys = new Set<unknown>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key === null ? null : pair.key;
        if (keys.has(key)) {
          problems.push({
            offset: offsetOf(pair.key ?? pair.value),
            message: `duplicate key ${shownKey(key)}: each key may appear once in a mapping`,
            duplicate: true,
          });
        }
        keys.add(key);
        stack.push([pair.value, depth + 1], [pair.key, depth + 1]);
      }
    } else if (isSeq(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) stack.push([node.items[i], depth + 1]);
    } else if (isPair(node)) {
      stack.push([node.value, depth], [node.key, depth]);
    }
  }
  return shape;
}

/**
 * How many values the aliases repeat, in document order (an alias names the last anchor of that
 * name before it); the problem at the alias that crosses {@link MAX_ALIAS_VALUES}, or at an alias
 * inside its own anchor. Recursive: the caller has bounded the depth.
 */
function aliasExpansionProblem(root: unknown): YamlLimitProblem | undefined {
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, number>(); // anchored nodes whose walk is done
  let repeated = 0;
  let problem: YamlLimitProblem | undefined;
  const size = (node: unknown): number => {
    if (problem || node === null || typeof node !== "object") return 0;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target === undefined) return 0; // the yaml library reports the unknown anchor
      const n = sizes.get(target);
      if (n === undefined) {
        problem = {
          offset: offsetOf(node),
          message: `alias *${printable(node.source)} is inside its own anchor: it would repeat ` +
            "without end",
        };
        return 0;
      }
      repeated += n;
      if (repeated > MAX_ALIAS_VALUES) {
        problem = {
          offset: offsetOf(node),
          message: `too many alias expansions: the aliases would repeat more than ` +
            `${MAX_ALIAS_VALUES} values (an alias bomb)`,
        };
      }
      return n;
    }
    const anchor = (node as Node).anchor;
    if (anchor !== undefined) anchors.set(anchor, node as Node);
    let n = isPair(node) ? 0 : 1;
    if (isMap(node) || isSeq(node)) { for (const item of node.items) n += size(item); }
    else if (isPair(node)) n += size(node.key) + size(node.value);
    if (anchor !== undefined) sizes.set(node as Node, n);
    return n;
  };
  size(root);
  return problem;
}
