/**
 * @pkgjs/parseargs, the Node.js project's own `util.parseArgs` as a package: `node:util`'s
 * `parseArgs` in the bundles (build/node_builtins/util.ts). It predates `allowNegative`, so
 * lib/cli/command_line.ts declares `--no-X` forms as options of their own. Typed by `node:util`'s
 * declaration (a type-only import: nothing loads).
 *
 * @module
 */
import type { parseArgs as nodeParseArgs } from "node:util";
// This module is where third-party specifiers live (tests/unit/deps_test.ts), imports included.
// deno-lint-ignore no-import-prefix
import parseargs from "npm:@pkgjs/parseargs@0.11.0";

/** `util.parseArgs` of Node 18.11 (tokens included, `allowNegative` not). */
export const parseArgs: typeof nodeParseArgs = parseargs.parseArgs;
