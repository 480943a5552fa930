/**
 * `node:path` in the bundles (build/bundle_imports.ts): Node's own POSIX path code as plain
 * JavaScript (path-browserify), so that importing it does not load Node's compatibility layer.
 * `resolve` and `relative` start from `Deno.cwd()` when no segment is absolute (as Node's does):
 * the package's would read Node's `process`, which loads that layer too. Exports what netkit's modules import from `node:path`; one that
 * imports more fails the build (esbuild: "No matching export").
 *
 * @module
 */
import path from "../../lib/deps/path_browserify.ts";

/** Joins path segments and normalizes the result. */
export const join: (...segments: string[]) => string = path.join;
/** The directory part of a path. */
export const dirname: (p: string) => string = path.dirname;
/** The last part of a path, less `suffix` when it ends with it. */
export const basename: (p: string, suffix?: string) => string = path.basename;
/** Whether a path starts at the root. */
export const isAbsolute: (p: string) => boolean = path.isAbsolute;
/** A path with `.`, `..` and repeated slashes resolved. */
export const normalize: (p: string) => string = path.normalize;

/** An absolute path: the segments resolved right to left, from the working directory. */
export function resolve(...segments: string[]): string {
  // The working directory only when it is needed: it may be gone (a deleted directory).
  if (segments.some((s) => path.isAbsolute(s))) return path.resolve(...segments);
  return path.resolve(Deno.cwd(), ...segments);
}

/** The path from `from` to `to`, both resolved from the working directory first. */
export function relative(from: string, to: string): string {
  return path.relative(resolve(from), resolve(to));
}
