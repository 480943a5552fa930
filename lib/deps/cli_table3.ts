/**
 * cli-table3, the CLI's tables (lib/cli/render.ts).
 *
 * @module
 */
export { default } from "npm:cli-table3@0.6.5";
