/**
 * ajv, a JSON Schema validator: used by the tests only, to check `netkit schema` independently.
 *
 * @module
 */
export { Ajv2020 } from "npm:ajv@8.20.0/dist/2020.js";
