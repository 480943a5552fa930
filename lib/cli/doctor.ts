/**
 * `netkit doctor`: what netkit needs, what this host has, and what to install.
 *
 * @module
 */
import { doctor, type DoctorStatus } from "../doctor.ts";
import { CheckFailedError } from "../errors.ts";
import type { Host } from "../host.ts";
import { out, outJson } from "./output.ts";
import { dim, green, red, yellow } from "./color.ts";
import { table } from "./render.ts";

const LABEL: Record<DoctorStatus, (s: string) => string> = {
  ok: green,
  warn: yellow,
  fail: red,
  skip: dim,
};

/** Prints the report; exits 1 (via {@link CheckFailedError}) when netkit cannot work here. */
export async function doctorCommand(host: Host, flags: { json?: true }): Promise<void> {
  const report = await doctor(host);
  if (flags.json) {
    outJson(report);
  } else {
    const t = table(["check", "status", "detail", "fix"]);
    for (const r of report.rows) {
      t.push([r.check, LABEL[r.status](r.status.toUpperCase()), r.detail, r.fix ?? ""]);
    }
    const warnings = report.rows.filter((r) => r.status === "warn").length;
    out(
      `${t.toString()}\n${
        report.ok
          ? `netkit can work here${
            warnings ? ` (${warnings} warning(s): some labs or features will not work)` : ""
          }.`
          : "netkit cannot work here: fix the FAIL rows."
      }\n`,
    );
  }
  if (!report.ok) {
    const failed = report.rows.filter((r) => r.status === "fail").map((r) => r.check);
    throw new CheckFailedError(`netkit cannot work here: ${failed.join(", ")} failed`);
  }
}
