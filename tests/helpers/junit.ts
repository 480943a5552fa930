/**
 * Reads a JUnit XML report the way a CI system (Jenkins, GitLab) does, with fast-xml-parser.
 *
 * @module
 */
import { XMLParser } from "../../lib/deps/fast_xml_parser.ts";

/** Parses JUnit XML as Jenkins or GitLab would: every suite and case as arrays. */
export function parseJunit(xml: string) {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    isArray: (name) => ["testsuite", "testcase"].includes(name),
  });
  return parser.parse(xml) as {
    testsuites: {
      tests: string;
      failures: string;
      errors: string;
      testsuite: {
        name: string;
        tests: string;
        failures: string;
        testcase: {
          name: string;
          classname: string;
          time: string;
          failure?: { message: string; "#text": string };
          error?: { message: string; "#text": string };
          "system-out"?: string;
        }[];
      }[];
    };
  };
}
