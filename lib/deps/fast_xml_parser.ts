/**
 * fast-xml-parser: writes the JUnit report of `netkit test --junit` (lib/check/report.ts); the
 * tests read it back the way a CI system does.
 *
 * @module
 */
export { XMLBuilder, XMLParser } from "npm:fast-xml-parser@5.12.1";
