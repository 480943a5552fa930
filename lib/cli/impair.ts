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
import { UsageError } from "../errors.ts";
import type { Host } from "../host.ts";
import { shellLine } from "../exec/shell.ts";
import { changeLab, labEnd } from "../lab/change.ts";
import { impairPresent } from "../lab/impair_host.ts";
import { hasQdisc } from "../lab/qdisc.ts";
import type { Step } from "../plan/step.ts";
import {
  describeImpair,
  impair,
  impairClear,
  type ImpairSettings,
  NetemMissingError,
  netemOnlyField,
} from "../primitives/impair.ts";
import { cutOf, cutStep } from "../lab/cut.ts";
import { MAX_DELAY_US, parseDuration, parsePercent, parseRate } from "../units.ts";
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

/** The settings from the flags, each checked with its option named in the error. */
function settingsOf(flags: ImpairFlags): ImpairSettings {
  const given = (["rate", "loss", "delay", "jitter"] as const).filter((k) =>
    flags[k] !== undefined
  );
  if (flags.clear && given.length) {
    throw new UsageError(`--clear removes the impairment: leave out --${given.join(", --")}`);
  }
  if (!flags.clear && !given.length) {
    throw new UsageError("Say what to do: --rate, --loss, --delay, --jitter, or --clear", {
      hint: "netkit impair router rt:eth1 --rate 10mbit --loss 2%",
    });
  }
  if (flags.rate !== undefined) parseRate(flags.rate, "--rate");
  if (flags.loss !== undefined) parsePercent(flags.loss, "--loss");
  if (flags.delay !== undefined) parseDuration(flags.delay, MAX_DELAY_US, "--delay");
  if (flags.jitter !== undefined) parseDuration(flags.jitter, MAX_DELAY_US, "--jitter");
  if (flags.jitter !== undefined && flags.delay === undefined) {
    throw new UsageError("--jitter varies a delay: give --delay too", { where: "--jitter" });
  }
  return { rate: flags.rate, loss: flags.loss, delay: flags.delay, jitter: flags.jitter };
}

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
  const settings = settingsOf(flags);
  const { node, ifname } = await labEnd(host, lab, end);
  const runner = host.runner;
  const present = await impairPresent(node, ifname, runner);
  const steps: Step[] = [];
  if (present.qdisc || present.lossTable) steps.push(impairClear(node, ifname, present));
  let netem = false;
  if (!flags.clear) {
    const field = netemOnlyField(settings);
    if (field || settings.loss !== undefined) netem = (await hasQdisc("netem", runner)).ok;
    if (field && !netem) throw new NetemMissingError(field, `--${field}`);
    steps.push(impair(node, ifname, { ...settings, netem, lab }));
  }
  if (!flags.dryRun && steps.length) await changeLab(host, lab, steps);
  const what = flags.clear ? "cleared" : describeImpair(settings, netem);
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

/** Runs `link LAB NODE:IFACE down|up`. */
export async function linkCommand(
  host: Host,
  lab: string,
  end: string,
  state: "down" | "up",
  flags: { dryRun?: true; json?: true },
): Promise<void> {
  const { state: up, node, ifname } = await labEnd(host, lab, end);
  const step = cutStep(cutOf(up.lab, `${node}:${ifname}`), state);
  if (!flags.dryRun) await changeLab(host, lab, [step]);
  report(
    [step],
    flags,
    { lab, node, interface: ifname, state },
    `${node}:${ifname} in lab ${lab} is ${state}.`,
  );
}
