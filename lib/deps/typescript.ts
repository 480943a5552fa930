/**
 * TypeScript's compiler API, for its parser only: tools/shape_check.ts measures the length of
 * every function with it (`make lint`). Nothing in netkit's library or CLI imports it.
 *
 * @module
 */
export { default } from "npm:typescript@5.9.3";
