/**
 * Names from a file are data, not properties (docs/style.md, 2026-12-07). Every object that
 * JavaScript makes with `{}` already has the properties of `Object.prototype` (`constructor`,
 * `toString`, `__proto__`, ...): `name in lab.nodes` is true for them, `lab.nodes[name]` finds a
 * function, and writing `map["__proto__"]` replaces the object's prototype instead of adding a
 * name (zod's records skip such a key, so it would vanish without a word). Two rules keep every
 * name a lab file gives among the lab's own:
 *
 * 1. Those names are refused wherever a lab file gives a name, as a key
 *    ({@link inheritedKeyIssues}, before the schema) or as a value (the schema's names and
 *    endpoints call {@link inheritedNameProblem}).
 * 2. Every map of a parsed lab that is keyed by names (nodes, bridges, interfaces, sysctls, ports,
 *    mirrors, hosts) has no prototype ({@link ownNames}), so a lookup finds only what the lab
 *    defines, whichever way it is written. Code that builds such a map from a file uses
 *    {@link nameMap} or a `Map`, and code that looks a file's name up in a file's object uses
 *    `Object.hasOwn`.
 *
 * @module
 */
import type { Lab } from "./types.ts";

/** The property names every JavaScript object has (`Object.prototype`'s own). */
export const INHERITED_NAMES: ReadonlySet<string> = new Set(
  Object.getOwnPropertyNames(Object.prototype),
);

/** Why `name` cannot be a name in a lab, or undefined when it can. */
export function inheritedNameProblem(name: string): string | undefined {
  return INHERITED_NAMES.has(name)
    ? `"${name}" is a name every JavaScript object already has (Object.prototype): netkit ` +
      "refuses it"
    : undefined;
}

/** A map from names to values with no prototype: only the names put in it are in it. */
export function nameMap<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * Every key of a parsed document (a lab, or a document still to be validated) that is one of
 * {@link INHERITED_NAMES}, as issues at the key. Checked before the schema, which would drop a
 * `__proto__` key of a map silently.
 */
export function inheritedKeyIssues(
  doc: object,
): { path: (string | number)[]; message: string; key: true }[] {
  const issues: { path: (string | number)[]; message: string; key: true }[] = [];
  const seen = new WeakSet<object>(); // aliases share objects, and may make a cycle
  const walk = (value: unknown, path: (string | number)[]): void => {
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) return value.forEach((v, i) => walk(v, [...path, i]));
    for (const key of Object.keys(value)) {
      const problem = inheritedNameProblem(key);
      if (problem) issues.push({ path: [...path, key], message: problem, key: true });
      else walk((value as Record<string, unknown>)[key], [...path, key]);
    }
  };
  walk(doc, []);
  return issues;
}

/**
 * Takes the prototype off every name-keyed map of a parsed lab (in place), so that `name in
 * lab.nodes`, `lab.nodes[name]` and the like find only the lab's own names. Every place that
 * parses a lab with the schema calls it (tests/unit/own_names_test.ts keeps it so).
 *
 * @param lab A lab just parsed by the schema.
 * @returns The same lab.
 */
export function ownNames<T extends Lab>(lab: T): T {
  const own = (map: object | undefined) => {
    if (map !== undefined) Object.setPrototypeOf(map, null);
  };
  own(lab.nodes);
  own(lab.bridges);
  own(lab.hosts);
  for (const node of Object.values(lab.nodes)) {
    own(node.interfaces);
    own(node.sysctls);
  }
  for (const bridge of Object.values(lab.bridges)) {
    own(bridge.ports);
    own(bridge.mirrors);
  }
  return lab;
}
