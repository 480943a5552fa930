/**
 * Shared by `recipe NAME` and `up FILE`: bring a lab up (or print its plan), prove it, show it.
 *
 * Ctrl-C (SIGINT) or SIGTERM while the lab is being built stops the executor at its next
 * boundary and rolls back: `interrupted: rolled back, nothing left`, exit 130 (SIGINT) or 143
 * (SIGTERM). Once it is built (the proofs, the table), the lab stays up: netkit ends the commands
 * it runs (a proof's ping), says that the lab is up and how to remove it, and exits with the same
 * code.
 *
 * @module
 */
import { checkLab } from "../check/probes.ts";
import { CheckFailedError, ExitCode } from "../errors.ts";
import { InterruptedError, StepError } from "../plan/executor.ts";
import type { Host } from "../host.ts";
import { labStatus, labSummary } from "../lab/status.ts";
import { planCommands, planForHost, upLab } from "../lab/runtime.ts";
import type { Lab } from "../lab/schema.ts";
import { labDir } from "../state.ts";
import { err, out, outJson, progress, progressDone } from "./output.ts";
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
  const interrupt = listenForInterrupt(host, lab.name);
  try {
    await upAndProve(host, lab, flags, interrupt);
  } finally {
    interrupt.close();
  }
}

/** What Ctrl-C or SIGTERM did to `up` (see the module doc). */
interface Interrupt {
  /** Aborted by the first SIGINT or SIGTERM while the lab is being built. */
  signal: AbortSignal;
  /** The signal received, if any. */
  received(): Deno.Signal | undefined;
  /** From now on the lab is up: a signal says so and exits at once. */
  built(): void;
  /** Stops listening. */
  close(): void;
}

/** The exit code of a process a signal ended: 128 + its number. */
const exitCodeOf = (signal: Deno.Signal) => (signal === "SIGINT" ? 130 : 143);

/** The message of an interruption once lab `lab` is up. */
const stillUp = (lab: string, signal: Deno.Signal) =>
  `\ninterrupted (${signal}): lab ${lab} is up; remove it with: netkit down ${lab}\n`;

/**
 * Listens for SIGINT and SIGTERM during `up` of lab `lab` (see the module doc). Once the lab is
 * built, a signal also ends the commands `host`'s runner is running (a proof's ping, inside the
 * lab's namespaces), so that nothing of the command outlives it.
 */
function listenForInterrupt(host: Host, lab: string): Interrupt {
  const controller = new AbortController();
  let received: Deno.Signal | undefined;
  let built = false;
  const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const handler = () => {
      if (built) {
        host.runner.stopRunning?.(signal);
        progressDone();
        err(stillUp(lab, signal));
        Deno.exit(exitCodeOf(signal));
      }
      received ??= signal; // a second signal while rolling back changes nothing
      controller.abort(signal);
    };
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  return {
    signal: controller.signal,
    received: () => received,
    built: () => void (built = true),
    close: () => handlers.forEach(([s, h]) => Deno.removeSignalListener(s, h)),
  };
}

/** Brings `lab` up and proves it, as {@link runLabUp} does; `interrupt` stops the bring-up. */
async function upAndProve(
  host: Host,
  lab: Lab,
  flags: LabUpFlags,
  interrupt: Interrupt,
): Promise<void> {
  const started = performance.now();
  let result: Awaited<ReturnType<typeof upLab>>;
  try {
    result = await upLab(lab, {
      host,
      onProgress: (i, total, step) => progress(`[${i + 1}/${total}] ${step.summary}`),
      signal: interrupt.signal,
    });
  } catch (error) {
    const signal = interrupt.received();
    // A signal to the whole process group (Ctrl-C) also ends the command that was running: its
    // step fails, and the executor rolls back as for an interruption.
    if (
      signal === undefined || !(error instanceof InterruptedError || error instanceof StepError)
    ) {
      throw error;
    }
    progressDone();
    err(
      error.undoErrors.length
        ? `interrupted (${signal}): the rollback failed (${error.message}); remove what is ` +
          `left with: netkit down ${lab.name}\n`
        : `interrupted (${signal}): rolled back, nothing left of lab ${lab.name}\n`,
    );
    throw new ExitCode(exitCodeOf(signal));
  }
  progressDone();
  interrupt.built();
  const signal = interrupt.received();
  if (signal !== undefined) {
    // It came during the last steps: they ran, and the lab is up.
    err(stillUp(lab.name, signal));
    throw new ExitCode(exitCodeOf(signal));
  }
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
