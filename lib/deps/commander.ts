/**
 * commander with its typings, the command line (main.ts).
 *
 * @module
 */
export * from "npm:@commander-js/extra-typings@15.1.0";
