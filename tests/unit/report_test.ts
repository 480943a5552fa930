/** JUnit XML and TAP reports of a lab's proofs, read back the way a CI system reads them. */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { type CheckResult, junitReport, tapReport } from "../../mod.ts";
import { parseTap } from "../helpers/tap.ts";
import { parseJunit } from "../helpers/junit.ts";

const results: CheckResult[] = [
  { name: "vm1 -> 10.0.0.254 reachable", pass: true, evidence: "3 received", ms: 410 },
  {
    name: "wan sees vm1's packets <to> 192.168.100.1 & more # not a directive",
    pass: false,
    evidence: '0 echo request(s) captured\n\x1b[31mred\x1b[0m "quoted" <tag>',
    ms: 1200,
  },
];

Deno.test("junitReport() gives one test case per proof, a failure for the one that failed", () => {
  const xml = junitReport(results, { lab: "router", ms: 2500 });
  assertMatch(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n/);
  // deno-lint-ignore no-control-regex
  assert(!/[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(xml), "no control characters in XML 1.0");
  const doc = parseJunit(xml);
  assertEquals(doc.testsuites.tests, "2");
  assertEquals(doc.testsuites.failures, "1");
  const suite = doc.testsuites.testsuite[0]!;
  assertEquals(suite.name, "netkit router");
  assertEquals(suite.testcase.map((c) => c.name), results.map((r) => r.name));
  assertEquals(suite.testcase.map((c) => c.classname), ["netkit.router", "netkit.router"]);
  assertEquals(suite.testcase[0]!.time, "0.410");
  assertEquals(suite.testcase[0]!.failure, undefined);
  assertEquals(suite.testcase[0]!["system-out"], "3 received");
  const failure = suite.testcase[1]!.failure!;
  assertMatch(
    failure["#text"],
    /^0 echo request\(s\) captured\n\uFFFD\[31mred\uFFFD\[0m "quoted" <tag>$/,
  );
});

Deno.test("junitReport() reports a bring-up that failed as an error case", () => {
  const doc = parseJunit(
    junitReport([], {
      lab: "x",
      error: { name: "bring up lab x", message: "Step 3 failed\nmore" },
    }),
  );
  const c = doc.testsuites.testsuite[0]!.testcase[0]!;
  assertEquals(c.name, "bring up lab x");
  assertEquals(c.error?.message, "Step 3 failed");
  assertEquals(doc.testsuites.errors, "1");
});

Deno.test("tapReport() is TAP 14 a TAP reader counts right, evidence in YAML blocks", () => {
  const tap = tapReport(results, { lab: "router" });
  const parsed = parseTap(tap);
  assertEquals(parsed.plan, 2);
  assertEquals(parsed.points.map((p) => p.ok), [true, false]);
  assertEquals(
    parsed.points[1]!.description,
    "wan sees vm1's packets <to> 192.168.100.1 & more \\# not a directive",
  );
  assertEquals(parsed.points[1]!.directive, undefined);
  assertEquals(parsed.points[1]!.diagnostics.severity, "fail");
  assertMatch(String(parsed.points[1]!.diagnostics.evidence), /^0 echo request\(s\) captured\n/);
  assertEquals(parsed.points[0]!.diagnostics.duration_ms, 410);
});
