/**
 * File paths, POSIX only (netkit runs on Linux): `node:path`'s functions, with its results.
 *
 * Why not `node:path` itself: in Deno, the first `node:` module a program imports loads Node's
 * compatibility layer, and a command's start pays for it (measured, bench/RESULTS.md: 6 ms for
 * `node:path` alone, 15-25 ms with the rest of that layer). path-browserify is the same POSIX
 * code as plain JavaScript. `resolve` starts from `Deno.cwd()`: the package's own would read
 * Node's `process`, which loads that layer too.
 *
 * @example
 * ```ts
 * import { join, resolve } from "./path.ts";
 * join("/run/netkit", "lab", "../x"); // "/run/netkit/x"
 * resolve("/etc", "hosts"); // "/etc/hosts"
 * ```
 *
 * @module
 */
import path from "./deps/path_browserify.ts";

/** Joins path segments and normalizes the result (`node:path`'s `join`). */
export const join: (...segments: string[]) => string = path.join;
/** The directory part of a path (`node:path`'s `dirname`). */
export const dirname: (p: string) => string = path.dirname;
/** The last part of a path, less `suffix` when it ends with it (`node:path`'s `basename`). */
export const basename: (p: string, suffix?: string) => string = path.basename;
/** Whether a path starts at the root. */
export const isAbsolute: (p: string) => boolean = path.isAbsolute;
/** A path with `.`, `..` and repeated slashes resolved (`node:path`'s `normalize`). */
export const normalize: (p: string) => string = path.normalize;

/** An absolute path: the segments resolved right to left, from the working directory. */
export function resolve(...segments: string[]): string {
  return path.resolve(Deno.cwd(), ...segments);
}
