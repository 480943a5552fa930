/**
 * path-browserify, Node's own POSIX `path` code as plain JavaScript: `node:path` in the bundles
 * (build/node_builtins/path.ts).
 *
 * @module
 */
// @ts-types="npm:@types/path-browserify@1.0.3"
export { default } from "npm:path-browserify@1.0.1";
