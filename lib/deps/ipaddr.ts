/**
 * ipaddr.js, address arithmetic (lib/addr.ts).
 *
 * @module
 */
export { default } from "npm:ipaddr.js@2.5.0";
