/**
 * path-browserify, Node's own POSIX `path` code as plain JavaScript (lib/path.ts).
 *
 * @module
 */
// @ts-types="npm:@types/path-browserify@1.0.3"
export { default } from "npm:path-browserify@1.0.1";
