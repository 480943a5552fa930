/**
 * A reader of TAP version 14 output (as a CI system's TAP consumer reads it): the version line,
 * the plan, test points with their directives, and each point's YAML diagnostics block.
 *
 * @module
 */
import { parse } from "../../lib/deps/yaml.ts";

/** One test point. */
export interface TapPoint {
  ok: boolean;
  id: number;
  description: string;
  /** `SKIP` or `TODO` when the point carries a directive. */
  directive?: string;
  diagnostics: Record<string, unknown>;
}

/** Parses TAP 14; throws on anything a strict consumer would reject. */
export function parseTap(text: string): { plan: number; points: TapPoint[] } {
  const lines = text.split("\n");
  if (lines[0] !== "TAP version 14") throw new Error(`not TAP 14: ${lines[0]}`);
  let plan = -1;
  const points: TapPoint[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const p = /^1\.\.(\d+)$/.exec(line);
    if (p) {
      plan = Number(p[1]);
      continue;
    }
    const m = /^(ok|not ok) (\d+)(?: - (.*))?$/.exec(line);
    if (!m) throw new Error(`line ${i + 1} is not TAP: ${line}`);
    // A directive starts at an unescaped "#".
    const rest = m[3] ?? "";
    const d = /^((?:[^#\\]|\\.)*?)\s*#\s*(SKIP|TODO)\b/i.exec(rest);
    const point: TapPoint = {
      ok: m[1] === "ok",
      id: Number(m[2]),
      description: d ? d[1]! : rest,
      diagnostics: {},
      ...(d ? { directive: d[2]!.toUpperCase() } : {}),
    };
    if (lines[i + 1] === "  ---") {
      const end = lines.indexOf("  ...", i + 2);
      if (end < 0) throw new Error(`unterminated YAML block after line ${i + 1}`);
      point.diagnostics = parse(lines.slice(i + 2, end).map((l) => l.slice(2)).join("\n")) ?? {};
      i = end;
    }
    points.push(point);
  }
  if (plan !== points.length) throw new Error(`plan 1..${plan}, but ${points.length} points`);
  points.forEach((p, k) => {
    if (p.id !== k + 1) throw new Error(`point ${k + 1} numbered ${p.id}`);
  });
  return { plan, points };
}
