/**
 * A lab's proofs as reports a CI system reads: JUnit XML (GitLab, Jenkins, GitHub test
 * reporters: one test case per proof, its evidence as output, a failed proof as a `<failure>`)
 * and TAP 14 (one `ok`/`not ok` line per proof, the evidence as a YAML block). Pure: they return
 * text, the CLI writes it.
 *
 * @module
 */
import { XMLBuilder } from "../deps/fast_xml_parser.ts";
import { stringify } from "../deps/yaml.ts";
import type { CheckResult } from "./probes.ts";

/** What a report covers. */
export interface ReportOptions {
  /** The lab's name: the test suite's name. */
  lab: string;
  /** When the run started. @default now */
  started?: Date;
  /** The whole run's duration, in milliseconds (bring-up and removal included). */
  ms?: number;
  /**
   * An error that stopped the run before or after the proofs (a bring-up that failed): reported
   * as one more test case, in error.
   */
  error?: { name: string; message: string };
}

/** XML 1.0 cannot carry most control characters, escaped or not: they become U+FFFD. */
function xmlText(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "\uFFFD");
}

const seconds = (ms: number | undefined) => ((ms ?? 0) / 1000).toFixed(3);

/**
 * The results as a JUnit XML document: `<testsuites>` holding one `<testsuite name="netkit
 * LAB">`, one `<testcase>` per proof (class name `netkit.LAB`), a `<failure>` for each that
 * failed, its evidence in `<system-out>`.
 *
 * @example
 * ```ts
 * import { junitReport } from "../../mod.ts";
 * junitReport([{ name: "vm1 -> 10.0.0.254 reachable", pass: true, evidence: "3 received" }], {
 *   lab: "router",
 * });
 * ```
 */
export function junitReport(results: readonly CheckResult[], options: ReportOptions): string {
  const failures = results.filter((r) => !r.pass).length;
  const classname = `netkit.${options.lab}`;
  const cases: Record<string, unknown>[] = results.map((r) => ({
    "@name": xmlText(r.name),
    "@classname": classname,
    "@time": seconds(r.ms),
    ...(r.pass ? {} : {
      failure: {
        "@message": xmlText(`${r.name} failed`),
        "@type": "ProofFailed",
        "#text": xmlText(r.evidence),
      },
    }),
    "system-out": xmlText(r.evidence),
  }));
  if (options.error) {
    cases.push({
      "@name": xmlText(options.error.name),
      "@classname": classname,
      "@time": seconds(0),
      error: {
        "@message": xmlText(options.error.message.split("\n")[0] ?? ""),
        "@type": "Error",
        "#text": xmlText(options.error.message),
      },
    });
  }
  const suite = {
    "@name": `netkit ${options.lab}`,
    "@tests": String(cases.length),
    "@failures": String(failures),
    "@errors": String(options.error ? 1 : 0),
    "@skipped": "0",
    "@time": seconds(options.ms),
    "@timestamp": (options.started ?? new Date()).toISOString().replace(/\.\d+Z$/, ""),
    testcase: cases,
  };
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: "@",
    format: true,
    suppressEmptyNode: true,
  });
  return builder.build({
    "?xml": { "@version": "1.0", "@encoding": "UTF-8" },
    testsuites: {
      "@name": "netkit",
      "@tests": suite["@tests"],
      "@failures": suite["@failures"],
      "@errors": suite["@errors"],
      "@time": suite["@time"],
      testsuite: suite,
    },
  });
}

/** A test point's description: one line, no `#` (which would start a TAP directive). */
function tapDescription(text: string): string {
  return text.replace(/\s+/g, " ").replaceAll("\\", "\\\\").replaceAll("#", "\\#");
}

/**
 * The results as TAP version 14: the plan, then `ok N - NAME` or `not ok N - NAME` with the
 * evidence (and, for a failure, `severity: fail`) in a YAML block.
 *
 * @example
 * ```ts
 * import { tapReport } from "../../mod.ts";
 * tapReport([{ name: "rt -> 192.168.100.1 reachable", pass: false, evidence: "100% loss" }], {
 *   lab: "router",
 * }); // "TAP version 14\n1..1\nnot ok 1 - rt -> 192.168.100.1 reachable\n  ---\n ..."
 * ```
 */
export function tapReport(results: readonly CheckResult[], options: ReportOptions): string {
  const lines = ["TAP version 14", `1..${results.length + (options.error ? 1 : 0)}`];
  const point = (n: number, pass: boolean, name: string, data: Record<string, unknown>) => {
    lines.push(`${pass ? "ok" : "not ok"} ${n} - ${tapDescription(name)}`);
    const yaml = stringify(data, { lineWidth: 0 }).trimEnd().split("\n");
    lines.push("  ---", ...yaml.map((l) => `  ${l}`), "  ...");
  };
  results.forEach((r, i) =>
    point(i + 1, r.pass, r.name, {
      ...(r.pass ? {} : { severity: "fail" }),
      evidence: r.evidence,
      ...(r.ms !== undefined ? { duration_ms: r.ms } : {}),
    })
  );
  if (options.error) {
    point(results.length + 1, false, options.error.name, {
      severity: "fail",
      message: options.error.message,
    });
  }
  return lines.join("\n") + "\n";
}
