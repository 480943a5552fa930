/**
 * `netkit test LAB|FILE [--up] [--junit FILE.xml] [--tap] [--json]`: runs a lab's proofs for a
 * CI job. `--up` (with a lab file) brings the lab up first and removes it afterwards — also when
 * a proof fails, the bring-up fails, or netkit is interrupted (SIGINT, SIGTERM: the report is
 * still written, naming the interruption). Exit 0 when every proof passed, 1 when one failed or
 * the lab could not be brought up, 2 for bad input (nothing changed).
 *
 * Without `--up`, the lab must be up: a lab name runs the proofs it came up with, a lab file
 * runs the file's proofs against the lab of that name.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { checkLab, type CheckResult } from "../check/probes.ts";
import { junitReport, tapReport } from "../check/report.ts";
import { CheckFailedError, UsageError } from "../errors.ts";
import type { Host } from "../host.ts";
import { labFromArg } from "./lab_arg.ts";
import { readLabState, upLab } from "../lab/runtime.ts";
import { downLab } from "../lab/teardown.ts";
import type { Lab } from "../lab/schema.ts";
import { checkLabName, isLabFileArg } from "../names.ts";
import { labDir, writeAtomic } from "../state.ts";
import { err, out, outJson, progress, progressDone } from "./output.ts";
import { green, red } from "./color.ts";
import { renderChecks } from "./text.ts";

/** Flags of `test`. */
interface TestFlags {
  up?: true;
  sandbox?: true;
  junit?: string;
  tap?: true;
  json?: true;
}

/** The lab to test and whether it must already be up. */
async function labToTest(host: Host, arg: string, flags: TestFlags): Promise<Lab> {
  if (await isLabFileArg(arg)) return await labFromArg(arg, { sandbox: flags.sandbox }, "file");
  checkLabName(arg);
  if (flags.up) {
    throw new UsageError("--up needs a lab file: it brings the lab up from it", {
      hint: `netkit recipe export RECIPE > lab.yaml && netkit test lab.yaml --up`,
    });
  }
  const state = await readLabState(host, arg);
  if (!state) {
    throw new UsageError(`Lab "${arg}" is not up`, { hint: "netkit status lists the labs" });
  }
  return state.lab;
}

/** Refuses a --junit path whose directory does not exist, before anything is brought up. */
async function checkReportPath(path: string): Promise<void> {
  const dir = dirname(resolve(path));
  const info = await Deno.stat(dir).catch(() => undefined);
  if (!info?.isDirectory) {
    throw new UsageError(`Cannot write the JUnit report: ${dir} is not a directory`, {
      where: "--junit",
    });
  }
}

/** Runs `test`. */
export async function testCommand(host: Host, arg: string, flags: TestFlags): Promise<void> {
  if (flags.tap && flags.json) {
    throw new UsageError("--tap and --json both print the results: choose one");
  }
  if (flags.sandbox && !flags.up) {
    throw new UsageError("--sandbox is for --up: a lab that is up stays as it came up");
  }
  if (flags.junit !== undefined) await checkReportPath(flags.junit);
  const lab = await labToTest(host, arg, flags);
  const state = await readLabState(host, lab.name);
  if (flags.up && state) {
    throw new UsageError(`Lab "${lab.name}" is already up: --up would remove it afterwards`, {
      hint: `test it as it is: netkit test ${lab.name}`,
    });
  }
  if (!flags.up && state?.status !== "up") {
    throw new UsageError(`Lab "${lab.name}" is not up`, {
      hint: `bring it up, test it and remove it in one go: netkit test ${arg} --up`,
    });
  }

  const started = new Date();
  const t0 = performance.now();
  let results: CheckResult[] = [];
  let error: { name: string; message: string } | undefined;
  let removal: string | undefined;
  let phase = `bring up lab ${lab.name}`;

  // Removal happens once: after the proofs, or on a signal (waiting for a bring-up in progress).
  let bringUp: Promise<unknown> = Promise.resolve();
  let ours = false; // a bring-up of ours started and got past its preflight
  let removed: Promise<void> | undefined;
  const remove = () =>
    removed ??= (async () => {
      await bringUp.catch(() => {});
      if (!ours) return;
      try {
        const r = await downLab(lab.name, { host });
        removal = r.removed ? `Removed lab ${lab.name} (${r.undone} steps undone).` : undefined;
      } catch (e) {
        error ??= {
          name: `remove lab ${lab.name}`,
          message: e instanceof Error ? e.message : String(e),
        };
      }
    })();

  const report = async () => {
    const ms = Math.round(performance.now() - t0);
    const options = { lab: lab.name, started, ms, ...(error ? { error } : {}) };
    if (flags.junit !== undefined) await writeAtomic(flags.junit, junitReport(results, options));
    if (flags.json) {
      outJson({ lab: lab.name, ms, results, ...(error ? { error } : {}) });
    } else if (flags.tap) {
      out(tapReport(results, options));
    } else {
      progressDone();
      if (results.length) out(renderChecks(results));
      const failed = results.filter((r) => !r.pass).length;
      if (error) out(`${red("ERROR")} ${error.name}: ${error.message}\n`);
      out(
        `${failed || error ? red("FAILED") : green("PASSED")}: ${
          results.length - failed
        } of ${results.length} proof(s) of lab ${lab.name} passed in ${
          (ms / 1000).toFixed(1)
        } s.\n`,
      );
      if (removal) out(`${removal}\n`);
    }
    if (flags.junit !== undefined && (flags.tap || flags.json)) {
      err(`JUnit report: ${flags.junit}\n`);
    } else if (flags.junit !== undefined) out(`JUnit report: ${flags.junit}\n`);
  };

  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const onSignal = (signal: Deno.Signal) => async () => {
    error ??= { name: "netkit test", message: `interrupted by ${signal}` };
    if (flags.up) await remove();
    await report().catch(() => {});
    Deno.exit(signal === "SIGINT" ? 130 : 143);
  };
  const handlers = signals.map((s) => [s, onSignal(s)] as const);
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  try {
    if (flags.up) {
      const up = upLab(lab, {
        host,
        onProgress: (i, total, step) => {
          if (!flags.tap && !flags.json) progress(`[${i + 1}/${total}] ${step.summary}`);
        },
      });
      ours = true;
      bringUp = up;
      try {
        await up;
      } catch (e) {
        // Bad input or a conflict: refused before anything changed, and not ours to remove.
        if (e instanceof UsageError) ours = false, bringUp = Promise.resolve();
        throw e;
      }
    }
    phase = `run the proofs of lab ${lab.name}`;
    const now = (await readLabState(host, lab.name))!;
    results = await checkLab(lab, {
      host,
      stateDir: labDir(host.stateRoot, lab.name),
      ovs: now.ovs,
    });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    error = { name: phase, message: e instanceof Error ? e.message : String(e) };
  } finally {
    if (flags.up) await remove();
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  }
  await report();
  const failed = results.filter((r) => !r.pass).length;
  if (error) throw new CheckFailedError(`${error.name}: ${error.message.split("\n")[0]}`);
  if (failed) throw new CheckFailedError(`${failed} of ${results.length} proof(s) failed`);
}
