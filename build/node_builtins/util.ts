/**
 * `node:util` in the bundles (build/bundle_imports.ts): its `parseArgs` (the command line,
 * lib/cli/command_line.ts) from the Node.js project's own package of it, plain JavaScript, so
 * that importing it does not load Node's compatibility layer. Exports what netkit's modules import
 * from `node:util`; one that imports more fails the build.
 *
 * @module
 */
export { parseArgs } from "../../lib/deps/parseargs.ts";
