/**
 * The house's shape, checked (`make lint`): no import cycle among netkit's own modules, and no
 * function longer than `--max-fn` lines (default 120) in lib/, recipes/ and main.ts.
 *
 * Imports point down: a module never imports, directly or through others, a module that imports
 * it (types included, `import type` too: a type a low module needs lives at its level or below).
 * The graph is Deno's own (`deno info --json`) from main.ts and mod.ts, plus every module of
 * lib/ and recipes/ they do not reach; a cycle is a strongly connected component of it (Tarjan's
 * algorithm), reported as one loop of imports with the line of each. A function's length is the
 * number of lines of its body, as TypeScript's parser sees it; every kind of function counts
 * (declarations, methods, constructors, accessors, arrow functions, function expressions).
 *
 * Usage: `deno run -A tools/shape_check.ts [ROOT] [--max-fn N]`. Prints each problem as
 * `FILE:LINE`, then `shape: N modules, C import cycles, F functions over M lines`; exits 1 when
 * C or F is not 0, 2 on a bad argument.
 *
 * @module
 */
import ts from "../lib/deps/typescript.ts";

/** One import of a module: the module it imports and the line (1-based) of the import. */
interface ImportEdge {
  /** The imported module, relative to the root (`lib/reach.ts`). */
  to: string;
  /** The line of the import statement in the importing module. */
  line: number;
}

/** A function longer than allowed. */
interface LongFunction {
  /** The file, relative to the root. */
  file: string;
  /** The line where the function starts (1-based). */
  line: number;
  /** Its name, or `(anonymous)`. */
  name: string;
  /** The lines of its body. */
  lines: number;
}

/** What {@link checkShape} found. */
interface Shape {
  /** The project's modules in the graph. */
  modules: number;
  /** Each import cycle: the modules in it, and one loop of imports through them. */
  cycles: { modules: string[]; loop: { from: string; to: string; line: number }[] }[];
  /** The functions longer than the limit, longest first. */
  long: LongFunction[];
}

/** The folders whose modules always join the graph and whose functions are measured. */
const SOURCE_DIRS = ["lib", "recipes"];
/** The entry points the graph starts from, when they exist. */
const ENTRIES = ["main.ts", "mod.ts"];

interface InfoDependency {
  code?: { specifier?: string; span?: { start: { line: number } } };
  type?: { specifier?: string; span?: { start: { line: number } } };
}
interface InfoModule {
  specifier: string;
  dependencies?: InfoDependency[];
}

/** The `.ts` files under `dir` (relative to `root`), sorted. */
async function tsFiles(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(`${root}/${dir}`));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return out;
    throw error;
  }
  for (const e of entries) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await tsFiles(root, rel));
    else if (e.isFile && /\.tsx?$/.test(e.name) && !/\.d\.ts$/.test(e.name)) out.push(rel);
  }
  return out.sort();
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** `deno info --json FILE`'s modules. */
async function denoInfo(root: string, file: string): Promise<InfoModule[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", file],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  if (!out.success) {
    throw new Error(`deno info ${file} failed: ${text.decode(out.stderr).trim()}`);
  }
  return (JSON.parse(text.decode(out.stdout)) as { modules?: InfoModule[] }).modules ?? [];
}

/**
 * The import graph of the project's own modules under `root` (paths relative to it), from
 * main.ts and mod.ts, plus the modules of lib/ and recipes/ those do not reach.
 */
async function importGraph(root: string): Promise<Map<string, ImportEdge[]>> {
  const base = new URL(`file://${await Deno.realPath(root)}/`).href;
  const own = (specifier: string | undefined) =>
    specifier?.startsWith(base) ? decodeURIComponent(specifier.slice(base.length)) : undefined;
  const graph = new Map<string, ImportEdge[]>();
  const add = (modules: InfoModule[]) => {
    for (const m of modules) {
      const from = own(m.specifier);
      if (from === undefined || graph.has(from)) continue;
      const edges: ImportEdge[] = [];
      for (const d of m.dependencies ?? []) {
        // A dependency may be code, a type (import type), or both: each is an edge.
        for (const r of [d.code, d.type]) {
          const to = own(r?.specifier);
          if (to !== undefined) edges.push({ to, line: (r?.span?.start.line ?? 0) + 1 });
        }
      }
      graph.set(from, edges);
    }
  };
  const roots = [];
  for (const e of ENTRIES) if (await exists(`${root}/${e}`)) roots.push(e);
  for (const d of SOURCE_DIRS) roots.push(...await tsFiles(root, d));
  for (const file of roots) if (!graph.has(file)) add(await denoInfo(root, file));
  return graph;
}

/** The strongly connected components with a cycle (two modules or more, or a self-import). */
function cyclicComponents(graph: Map<string, ImportEdge[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>(), found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const { to } of graph.get(v) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(v, Math.min(low.get(v)!, index.get(to)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    const selfImport = (graph.get(v) ?? []).some((e) => e.to === v);
    if (component.length > 1 || selfImport) found.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** The shortest loop of imports through the component's first module, inside the component. */
function loopOf(
  component: string[],
  graph: Map<string, ImportEdge[]>,
): { from: string; to: string; line: number }[] {
  const start = component[0]!;
  const inside = new Set(component);
  const cameFrom = new Map<string, { from: string; line: number }>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i]!;
    for (const { to, line } of graph.get(v) ?? []) {
      if (!inside.has(to) || cameFrom.has(to)) continue;
      cameFrom.set(to, { from: v, line });
      if (to === start) i = queue.length; // back at the start: the loop is closed
      else queue.push(to);
    }
  }
  const loop: { from: string; to: string; line: number }[] = [];
  let at = start;
  do {
    const step = cameFrom.get(at)!;
    loop.unshift({ from: step.from, to: at, line: step.line });
    at = step.from;
  } while (at !== start);
  return loop;
}

/** The name a function goes by: its own, or the variable or property it is assigned to. */
function nameOf(node: ts.FunctionLikeDeclaration): string {
  if (ts.isConstructorDeclaration(node)) return "constructor";
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (
    (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent)) && parent.name
  ) return parent.name.getText();
  return "(anonymous)";
}

/** The functions of one source text whose body is longer than `maxLines` lines. */
function longFunctions(file: string, text: string, maxLines: number): LongFunction[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const out: LongFunction[] = [];
  const walk = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const body = node.body as ts.Node;
      const lines = lineOf(body.getEnd()) - lineOf(body.getStart(source)) + 1;
      if (lines > maxLines) {
        const fn = node as ts.FunctionLikeDeclaration;
        out.push({ file, line: lineOf(node.getStart(source)), name: nameOf(fn), lines });
      }
    }
    ts.forEachChild(node, walk);
  };
  walk(source);
  return out;
}

/** Checks the project at `root`: its import cycles and its functions over `maxFn` lines. */
async function checkShape(root: string, maxFn: number): Promise<Shape> {
  const graph = await importGraph(root);
  const cycles = cyclicComponents(graph).map((c) => ({ modules: c, loop: loopOf(c, graph) }));
  const files = [...await Promise.all(SOURCE_DIRS.map((d) => tsFiles(root, d)))].flat();
  if (await exists(`${root}/main.ts`)) files.push("main.ts");
  const long: LongFunction[] = [];
  for (const file of files) {
    long.push(...longFunctions(file, await Deno.readTextFile(`${root}/${file}`), maxFn));
  }
  long.sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file) || a.line - b.line);
  return { modules: graph.size, cycles, long };
}

/** The command line: `[ROOT] [--max-fn N]`. */
function parseArgs(args: string[]): { root: string; maxFn: number } {
  let root = ".", maxFn = 120;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--max-fn" || a.startsWith("--max-fn=")) {
      const value = a.includes("=") ? a.slice(a.indexOf("=") + 1) : args[++i];
      if (value === undefined || !/^[1-9]\d*$/.test(value)) {
        throw new TypeError(`--max-fn needs a whole number of lines, got ${value ?? "nothing"}`);
      }
      maxFn = Number(value);
    } else if (a.startsWith("-")) throw new TypeError(`unknown option ${a}`);
    else root = a;
  }
  return { root, maxFn };
}

if (import.meta.main) {
  let options: { root: string; maxFn: number };
  try {
    options = parseArgs(Deno.args);
  } catch (error) {
    console.error(`shape_check: ${(error as Error).message}`);
    console.error("usage: deno run -A tools/shape_check.ts [ROOT] [--max-fn N]");
    Deno.exit(2);
  }
  const shape = await checkShape(options.root, options.maxFn).catch((error: Error) => {
    console.error(`shape_check: ${error.message}`); // e.g. deno info could not read a module
    Deno.exit(1);
  });
  for (const { modules, loop } of shape.cycles) {
    console.log(`import cycle among ${modules.length} modules: ${modules.join(" ")}`);
    for (const e of loop) console.log(`  ${e.from}:${e.line} imports ${e.to}`);
  }
  for (const f of shape.long) {
    console.log(`long function: ${f.file}:${f.line} ${f.name} (${f.lines} lines)`);
  }
  console.log(
    `shape: ${shape.modules} modules, ${shape.cycles.length} import cycles, ` +
      `${shape.long.length} functions over ${options.maxFn} lines`,
  );
  if (shape.cycles.length > 0 || shape.long.length > 0) Deno.exit(1);
}
