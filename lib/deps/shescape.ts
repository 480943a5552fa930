/**
 * shescape, shell quoting for dry-run and export (lib/exec/shell.ts).
 *
 * @module
 */
export { Shescape } from "npm:shescape@3.0.2";
