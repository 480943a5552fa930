/**
 * Exports stay deliberate (issue 29): every name a module of lib/, recipes/ or tools/ exports is
 * imported by some file of the repository. A name only its own file uses is module-private; an
 * export nobody imports is an API nobody asked for, and it hides dead code from `deno lint`.
 *
 * What counts as an import, read with TypeScript's parser (lib/deps/typescript.ts), in every
 * `.ts` and `.md` file of the repository:
 *
 * - `import { a } from`, `import a from` (`default`), `export { a } from`, `import("./x.ts").A`
 *   in a type, in code and in the code blocks of JSDoc examples and Markdown (`ts`, `js`);
 * - a dynamic import whose names can be read where it is awaited: `(await import(P)).a`,
 *   `const { a } = await import(P)`, `const [{ a }, { b }] = await Promise.all([import(P), …])`
 *   and `import(P).then(({ a }) => …)`.
 *
 * Any other use takes the module whole (`import * as`, `export *`, a dynamic import returned or
 * kept as a value, `typeof import(P)`): every export of it counts as used, and the module must be
 * named in {@link WHOLE} with the reason. A name exported on purpose though nothing imports it
 * is named in {@link EXPORTED}, also with the reason. Entries no longer needed fail the test too,
 * so both lists stay short and true.
 *
 * Run: `deno test -A tests/unit/exports_test.ts` (no root needed, reads files only).
 */
import ts from "../../lib/deps/typescript.ts";
import { assertEquals } from "../helpers/assert.ts";

const ROOT = new URL("../../", import.meta.url);
/** Folders never read: tools, caches, build output. */
const SKIP = new Set([".git", ".tools", "dist", "node_modules", ".deno"]);
/** The folders whose modules' exports are checked. */
const CHECKED = ["lib/", "recipes/", "tools/"];

/** The modules some file takes whole on purpose (all their exports count as used), and why. */
const WHOLE: Record<string, string> = {
  "lib/cli/multihost.ts":
    "lib/cli/multihost_gate.ts returns it whole, so only a multi-host lab loads its commands",
  "lib/lab/types.ts": "mod.ts re-exports every type of the lab description (export type *)",
};

/**
 * Names exported though no file imports them, and why. Only a type in the signature of a function
 * mod.ts exports belongs here: `deno doc --lint mod.ts` wants it public.
 */
const EXPORTED: Record<string, string> = {};

/** A use of module `target` (relative to the root): one exported name, or the whole module. */
interface Use {
  target: string;
  name: string | typeof ALL;
  /** Where: `FILE:LINE` of the importing file. */
  at: string;
}
const ALL = Symbol("the whole module");

/** The `.ts` and `.md` files under `dir` (relative to the root). */
async function files(dir = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(new URL(dir || ".", ROOT))) {
    if (SKIP.has(e.name)) continue;
    if (e.isDirectory) out.push(...await files(`${dir}${e.name}/`));
    else if (/\.(ts|md)$/.test(e.name)) out.push(`${dir}${e.name}`);
  }
  return out.sort();
}

/** The code blocks of JSDoc examples (in a `.ts` file) or of Markdown that import anything. */
function codeBlocks(file: string, text: string): string[] {
  const blocks = text.matchAll(/```(?:ts|typescript|js|javascript)\b[^\n]*\n([\s\S]*?)```/g);
  const code = [...blocks].map((m) => m[1]!);
  return file.endsWith(".ts") ? code.map((c) => c.replace(/^\s*\* ?/gm, "")) : code;
}

/** The module a relative specifier names from `file`, relative to the root; else undefined. */
function resolve(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return undefined;
  const url = new URL(specifier, new URL(file, ROOT));
  return url.href.startsWith(ROOT.href) ? url.href.slice(ROOT.href.length) : undefined;
}

/** The names an object binding pattern (`{ a, b: c }`) takes from the object. */
function bound(pattern: ts.BindingName | undefined): string[] | undefined {
  if (pattern === undefined || !ts.isObjectBindingPattern(pattern)) return undefined;
  const names: string[] = [];
  for (const e of pattern.elements) {
    const key = e.propertyName ?? e.name;
    if (e.dotDotDotToken || !ts.isIdentifier(key)) return undefined; // a rest takes any name
    names.push(key.text);
  }
  return names;
}

/**
 * The names taken from a dynamic `import(P)`, read where it is awaited (see the module doc), or
 * undefined when the module is kept whole.
 */
function dynamicNames(call: ts.CallExpression): string[] | undefined {
  const parent = call.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name.text === "then") {
    const callback = parent.parent;
    if (!ts.isCallExpression(callback)) return undefined;
    const fn = callback.arguments[0];
    if (fn === undefined || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return;
    return bound(fn.parameters[0]?.name);
  }
  if (ts.isAwaitExpression(parent)) return awaitedNames(parent, undefined);
  if (!ts.isArrayLiteralExpression(parent)) return undefined;
  const all = parent.parent; // Promise.all([import(P), ...])
  if (
    !ts.isCallExpression(all) || all.expression.getText() !== "Promise.all" ||
    !ts.isAwaitExpression(all.parent)
  ) return undefined;
  return awaitedNames(all.parent, parent.elements.indexOf(call));
}

/** The names read from an awaited import (at `index` of an awaited array, when given). */
function awaitedNames(
  awaited: ts.AwaitExpression,
  index: number | undefined,
): string[] | undefined {
  let up: ts.Node = awaited.parent;
  while (ts.isParenthesizedExpression(up)) up = up.parent;
  if (index === undefined && ts.isPropertyAccessExpression(up)) return [up.name.text];
  if (!ts.isVariableDeclaration(up)) return undefined;
  if (index === undefined) return bound(up.name);
  if (!ts.isArrayBindingPattern(up.name)) return undefined;
  const element = up.name.elements[index];
  return element !== undefined && ts.isBindingElement(element) ? bound(element.name) : undefined;
}

/** Every use of the repository's modules in one piece of source `text` of `file`. */
function usesIn(file: string, text: string): Use[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const uses: Use[] = [];
  const add = (node: ts.Node, specifier: string, names: string[] | undefined) => {
    const target = resolve(file, specifier);
    if (target === undefined) return;
    const at = `${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
    if (names === undefined) uses.push({ target, name: ALL, at });
    else for (const name of names) uses.push({ target, name, at });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause, names: string[] = [];
      if (clause?.name) names.push("default");
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) {
        add(node, node.moduleSpecifier.text, undefined);
      } else for (const e of bindings?.elements ?? []) names.push((e.propertyName ?? e.name).text);
      add(node, node.moduleSpecifier.text, names);
    } else if (
      ts.isExportDeclaration(node) && node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const clause = node.exportClause;
      const names = clause && ts.isNamedExports(clause)
        ? clause.elements.map((e) => (e.propertyName ?? e.name).text)
        : undefined; // export * (as ns)
      add(node, node.moduleSpecifier.text, names);
    } else if (
      ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      let q = node.qualifier;
      while (q && ts.isQualifiedName(q)) q = q.left;
      add(node, node.argument.literal.text, q ? [q.text] : undefined);
    } else if (
      ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] && ts.isStringLiteral(node.arguments[0])
    ) add(node, node.arguments[0].text, dynamicNames(node));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return uses;
}

/** The names module `text` exports itself (re-exports by `export *` are its target's). */
function exportsOf(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const names: string[] = [];
  for (const st of source.statements) {
    if (ts.isExportDeclaration(st)) {
      const clause = st.exportClause;
      if (clause && ts.isNamedExports(clause)) {
        names.push(...clause.elements.map((e) => e.name.text));
      }
      continue;
    }
    if (ts.isExportAssignment(st)) names.push("default");
    const modifiers = ts.canHaveModifiers(st) ? ts.getModifiers(st) ?? [] : [];
    if (!modifiers.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    if (modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) names.push("default");
    else if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) names.push(d.name.getText(source));
    } else if ("name" in st && st.name && ts.isIdentifier(st.name as ts.Node)) {
      names.push((st.name as ts.Identifier).text);
    }
  }
  return names;
}

/** The repository's uses of each module, and the checked modules' exports. */
async function survey(): Promise<{ uses: Use[]; exported: Map<string, string[]> }> {
  const uses: Use[] = [], exported = new Map<string, string[]>();
  for (const file of await files()) {
    const text = await Deno.readTextFile(new URL(file, ROOT));
    if (file.endsWith(".ts")) {
      uses.push(...usesIn(file, text));
      if (CHECKED.some((d) => file.startsWith(d))) exported.set(file, exportsOf(file, text));
    }
    for (const block of codeBlocks(file, text)) uses.push(...usesIn(file, block));
  }
  return { uses, exported };
}

const { uses, exported } = await survey();

Deno.test("every export of lib/, recipes/ and tools/ is imported by some file", () => {
  const imported = new Map<string, Set<string | typeof ALL>>();
  for (const u of uses) imported.set(u.target, (imported.get(u.target) ?? new Set()).add(u.name));
  const unused: string[] = [];
  for (const [file, names] of exported) {
    const used = imported.get(file) ?? new Set();
    if (used.has(ALL)) continue;
    const never = names.filter((n) => !used.has(n) && !(`${file}: ${n}` in EXPORTED));
    if (never.length > 0) unused.push(`${file}: ${never.join(", ")}`);
  }
  assertEquals(
    unused,
    [],
    "exported, imported by no file: drop `export` where only the file itself uses the name",
  );
});

Deno.test("each name EXPORTED allows is still exported and still imported by no file", () => {
  const stale = Object.keys(EXPORTED).filter((entry) => {
    const [file, name] = entry.split(": ") as [string, string];
    const imported = uses.some((u) => u.target === file && (u.name === name || u.name === ALL));
    return !exported.get(file)?.includes(name) || imported;
  });
  assertEquals(stale, [], "listed in EXPORTED, but not needed there any more");
});

Deno.test("a module is taken whole only where WHOLE says why", () => {
  const whole = new Map<string, string>();
  for (const u of uses) if (u.name === ALL && !whole.has(u.target)) whole.set(u.target, u.at);
  const unlisted = [...whole].filter(([m]) => (exported.get(m)?.length ?? 0) > 0 && !(m in WHOLE));
  assertEquals(
    unlisted.map(([m, at]) => `${at} takes ${m} whole`),
    [],
    "name what is used (import { a }, const { a } = await import(...)) or list the module in WHOLE",
  );
  const stale = Object.keys(WHOLE).filter((m) => !whole.has(m));
  assertEquals(stale, [], "listed in WHOLE, but no file takes it whole any more");
});

Deno.test("usesIn() reads the names of a dynamic import where it is awaited", () => {
  const names = (text: string) =>
    usesIn("lib/a.ts", text).map((u) => `${u.target} ${u.name === ALL ? "*" : u.name}`);
  assertEquals(
    names(
      'const { a, b: c } = await import("./x.ts");\n' +
        'const d = (await import("./x.ts")).d;\n' +
        'const [{ e }, { f }] = await Promise.all([import("./x.ts"), import("../y.ts")]);\n' +
        'import("./x.ts").then(({ default: G }) => new G());\n' +
        'type H = import("./x.ts").H.Inner;\n',
    ),
    [
      "lib/x.ts a",
      "lib/x.ts b",
      "lib/x.ts d",
      "lib/x.ts e",
      "y.ts f",
      "lib/x.ts default",
      "lib/x.ts H",
    ],
  );
  assertEquals(names('export async function m() { return await import("./x.ts"); }'), [
    "lib/x.ts *",
  ]);
  assertEquals(names('import * as x from "./x.ts";\nexport * from "./z.ts";'), [
    "lib/x.ts *",
    "lib/z.ts *",
  ]);
  assertEquals(names('import { join } from "node:path";'), []);
});

Deno.test("exportsOf() lists declarations, export lists and default exports", () => {
  const text = "export const a = 1, b = 2;\nexport function c() {}\nexport interface D {}\n" +
    "export type E = 1;\nexport class F {}\nconst g = 1;\nexport { g as h };\n" +
    'export { i } from "./i.ts";\nexport * from "./j.ts";\nexport default 1;\nconst k = 2;\n';
  const names = exportsOf("lib/a.ts", text);
  assertEquals(names, ["a", "b", "c", "D", "E", "F", "h", "i", "default"]);
});
