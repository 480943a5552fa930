/**
 * yaml, YAML with source positions (lib/lab/file.ts).
 *
 * @module
 */
export * from "npm:yaml@2.9.1";
