/**
 * zod, schema validation (lib/lab/schema.ts).
 *
 * @module
 */
export { z } from "npm:zod@4.6.7";
