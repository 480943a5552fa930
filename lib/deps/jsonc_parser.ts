/**
 * jsonc-parser (Microsoft's, the one VS Code reads its settings with): JSON with comments and
 * trailing commas, the way Deno reads a `deno.json` or `deno.jsonc` (lib/cli/run.ts).
 *
 * @module
 */
export { parse, type ParseError } from "npm:jsonc-parser@3.3.1";
