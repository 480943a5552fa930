/**
 * `netkit schema`: the lab file's JSON Schema (generated from the zod schemas that validate lab
 * files; see lib/lab/json_schema.ts), for editors and CI.
 *
 * @module
 */
import { labJsonSchema } from "../lab/json_schema.ts";
import { outJson } from "./output.ts";

/** Prints the JSON Schema. */
export function schemaCommand(): void {
  outJson(labJsonSchema());
}
