/**
 * Shared by `recipe NAME` and `up FILE`: bring a lab up (or print its plan), prove it, show it.
 *
 * @module
 */
import { checkLab } from "../check/probes.ts";
import { CheckFailedError } from "../errors.ts";
import type { Host } from "../host.ts";
import { labStatus, labSummary } from "../lab/status.ts";
import { planCommands, planForHost, upLab } from "../lab/runtime.ts";
import type { Lab } from "../lab/schema.ts";
import { labDir } from "../state.ts";
import { out, outJson, progress, progressDone } from "./output.ts";
import { green } from "./color.ts";
import { renderProofs, renderSummary } from "./text.ts";

/**
 * Above this many namespaces, `up` prints a summary instead of the full table (which
 * `netkit status LAB` prints), and does not read the lab's state from the host at all.
 */
const SUMMARY_ABOVE = 20;

/** Options of `recipe NAME` and `up FILE`. */
export interface LabUpFlags {
  dryRun?: boolean;
  check?: boolean;
  json?: boolean;
}

/** Brings `lab` up, runs its proofs, prints what was built. */
export async function runLabUp(host: Host, lab: Lab, flags: LabUpFlags): Promise<void> {
  if (flags.dryRun) {
    const { steps, ovs, sandbox } = await planForHost(host, lab);
    const commands = planCommands(steps, ovs);
    if (flags.json) return outJson({ lab: lab.name, ovs: ovs ?? null, commands });
    if (sandbox !== undefined) {
      out(`# sandbox: everything outside the lab's namespaces lives in namespace ${sandbox}\n`);
    }
    if (ovs?.kind === "sandbox") {
      out(
        `# OVS: the lab's own ovsdb-server/ovs-vswitchd in ${ovs.runDir}, run inside ${sandbox}\n`,
      );
    }
    if (ovs?.kind === "private") {
      out(
        `# OVS: netkit's private ovsdb-server/ovs-vswitchd in ${ovs.runDir} (started if needed)\n`,
      );
    }
    const { shellLine } = await import("../exec/shell.ts"); // loaded for dry-run only
    out(commands.map(shellLine).join("\n") + "\n");
    return;
  }
  const started = performance.now();
  const result = await upLab(lab, {
    host,
    onProgress: (i, total, step) => progress(`[${i + 1}/${total}] ${step.summary}`),
  });
  progressDone();
  const ms = Math.round(performance.now() - started);
  const state = result.state;
  const checks = flags.check === false
    ? []
    : await checkLab(lab, { host, stateDir: labDir(host.stateRoot, lab.name), ovs: state.ovs });
  if (flags.json) {
    outJson({
      lab: lab.name,
      already: result.already,
      steps: result.steps.length,
      ms,
      checks,
      status: await labStatus(host, state),
    });
  } else {
    out(
      result.already
        ? `Lab ${lab.name} is already up: nothing changed.\n`
        : `${green("Up")}: lab ${lab.name}, ${result.steps.length} steps in ${ms} ms.\n`,
    );
    out(
      Object.keys(lab.nodes).length > SUMMARY_ABOVE
        ? renderSummary(labSummary(lab))
        : (await import("./render.ts")).renderStatus(await labStatus(host, state)),
    );
    if (checks.length) out(renderProofs(checks));
    out(`Remove it with: netkit down ${lab.name}\n`);
  }
  const failed = checks.filter((c) => !c.pass);
  if (failed.length) {
    throw new CheckFailedError(`${failed.length} of ${checks.length} check(s) failed`);
  }
}
