/**
 * `netkit impair LAB NODE:IFACE [--rate R] [--loss L%] [--delay D] [--jitter J] | --clear` and
 * `netkit link LAB NODE:IFACE down|up`: change a lab that is up. Each builds a small step (see
 * lib/primitives/impair.ts, and for `link` a cut: lib/lab/cut.ts) that the executor runs under the
 * lab's lock, journaled into the lab's journal, so `netkit down LAB` removes it with the rest.
 *
 * An impairment given to `impair` replaces whatever impaired the interface before (what you
 * give is what you get); `--clear` removes it.
 *
 * @module
 */
import type { Host } from "../host.ts";
import { shellLine } from "../exec/shell.ts";
import { changeLab, labEnd } from "../lab/change.ts";
import { checkImpairChange, type ImpairChange, impairPlan } from "../lab/impair_change.ts";
import type { Step } from "../plan/step.ts";
import { cutOf, cutStep } from "../lab/cut.ts";
import { out, outJson } from "./output.ts";

/** Flags of `impair`. */
interface ImpairFlags {
  rate?: string;
  loss?: string;
  delay?: string;
  jitter?: string;
  clear?: true;
  dryRun?: true;
  json?: true;
}

/** The change the flags ask for, each checked with its option named in the error. */
function changeOf(flags: ImpairFlags): ImpairChange {
  return checkImpairChange({
    rate: flags.rate,
    loss: flags.loss,
    delay: flags.delay,
    jitter: flags.jitter,
    clear: flags.clear,
  }, OPTION);
}

/** How the command line spells a field: its option. */
const OPTION = (field: string) => `--${field}`;

/** Prints what ran (or, with --dry-run, what would run). */
function report(
  steps: Step[],
  flags: { dryRun?: true; json?: true },
  done: Record<string, unknown>,
  line: string,
) {
  const commands = steps.flatMap((s) => s.do.flatMap((a) => ("argv" in a ? [a.argv] : [])));
  if (flags.json) return outJson({ ...done, dryRun: flags.dryRun === true, commands });
  if (flags.dryRun) return out(commands.map(shellLine).join("\n") + (commands.length ? "\n" : ""));
  out(`${line}\n`);
}

/** Runs `impair`. */
export async function impairCommand(
  host: Host,
  lab: string,
  end: string,
  flags: ImpairFlags,
): Promise<void> {
  const change = changeOf(flags);
  const { node, ifname } = await labEnd(host, lab, end);
  const { steps, what } = await impairPlan(host, lab, node, ifname, change, OPTION);
  if (!flags.dryRun && steps.length) await changeLab(host, lab, steps);
  report(
    steps,
    flags,
    { lab, node, interface: ifname, ...(flags.clear ? { cleared: true } : { impairment: what }) },
    flags.clear
      ? steps.length
        ? `Cleared the impairment of ${node}:${ifname} in lab ${lab}.`
        : `${node}:${ifname} in lab ${lab} was not impaired: nothing changed.`
      : `Impaired ${node}:${ifname} in lab ${lab} (traffic leaving it): ${what}.\n` +
        `Remove it with: netkit impair ${lab} ${node}:${ifname} --clear (or netkit down ${lab})`,
  );
}

/** Runs `link LAB END down|up`: END a node's interface, or a link's end on a bridge or in root. */
export async function linkCommand(
  host: Host,
  lab: string,
  end: string,
  state: "down" | "up",
  flags: { dryRun?: true; json?: true },
): Promise<void> {
  const { state: up, node, ifname } = await labEnd(host, lab, end, { linkEnds: true });
  const step = cutStep(cutOf(up.lab, `${node}:${ifname}`), state);
  if (!flags.dryRun) await changeLab(host, lab, [step]);
  report(
    [step],
    flags,
    { lab, node, interface: ifname, state },
    `${node}:${ifname} in lab ${lab} is ${state}.`,
  );
}
