/**
 * One impairment change to a lab that is up, whoever asks (`netkit impair`, the page of
 * `netkit ui --control`): the settings checked once, and the steps that replace whatever impaired
 * the interface before (what you give is what you get) or clear it.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Host } from "../host.ts";
import type { Step } from "../plan/step.ts";
import {
  describeImpair,
  impair,
  impairClear,
  type ImpairSettings,
  NetemMissingError,
  netemOnlyField,
} from "../primitives/impair.ts";
import { MAX_DELAY_US, parseDuration, parsePercent, parseRate } from "../units.ts";
import { impairPresent } from "./impair_host.ts";
import { hasQdisc } from "./qdisc.ts";

/** What to do to an interface: impair it with these settings, or clear it. */
export interface ImpairChange extends ImpairSettings {
  /** Remove the impairment instead. */
  clear?: boolean | undefined;
}

const FIELDS = ["rate", "loss", "delay", "jitter"] as const;

/**
 * Checks `change` with `netkit impair`'s own parsers and limits; errors name each field as
 * `label` spells it (`--rate` on the command line, `rate` on the page).
 *
 * @throws {UsageError} Nothing to do, clear with settings, a bad value, or jitter without delay.
 */
export function checkImpairChange(
  change: ImpairChange,
  label: (field: string) => string,
): ImpairChange {
  const given = FIELDS.filter((k) => change[k] !== undefined);
  if (change.clear && given.length) {
    throw new UsageError(
      `${label("clear")} removes the impairment: leave out ${given.map(label).join(", ")}`,
    );
  }
  if (!change.clear && !given.length) {
    throw new UsageError(
      `Say what to do: ${FIELDS.map(label).join(", ")}, or ${label("clear")}`,
      { hint: "netkit impair router rt:eth1 --rate 10mbit --loss 2%" },
    );
  }
  if (change.rate !== undefined) parseRate(change.rate, label("rate"));
  if (change.loss !== undefined) parsePercent(change.loss, label("loss"));
  if (change.delay !== undefined) parseDuration(change.delay, MAX_DELAY_US, label("delay"));
  if (change.jitter !== undefined) parseDuration(change.jitter, MAX_DELAY_US, label("jitter"));
  if (change.jitter !== undefined && change.delay === undefined) {
    throw new UsageError(`${label("jitter")} varies a delay: give ${label("delay")} too`, {
      where: label("jitter"),
    });
  }
  return change;
}

/** The steps of an impairment change, and what it does in words. */
interface ImpairPlan {
  /** Clear what is there (if anything), then impair (unless clearing). */
  steps: Step[];
  /** `rate 10mbit, loss 2% (netem)`, or `cleared`. */
  what: string;
}

/**
 * The steps that make `node`'s interface `ifname` in lab `lab` impaired as `change` says (checked
 * by {@link checkImpairChange}): netem where the kernel has it, else tbf and nftables.
 *
 * @throws {NetemMissingError} A delay or jitter on a kernel without netem.
 */
export async function impairPlan(
  host: Host,
  lab: string,
  node: string,
  ifname: string,
  change: ImpairChange,
  label: (field: string) => string,
): Promise<ImpairPlan> {
  const present = await impairPresent(node, ifname, host.runner);
  const steps: Step[] = [];
  if (present.qdisc || present.lossTable) steps.push(impairClear(node, ifname, present));
  if (change.clear) return { steps, what: "cleared" };
  const settings: ImpairSettings = {
    rate: change.rate,
    loss: change.loss,
    delay: change.delay,
    jitter: change.jitter,
  };
  const field = netemOnlyField(settings);
  let netem = false;
  if (field || settings.loss !== undefined) netem = (await hasQdisc("netem", host.runner)).ok;
  if (field && !netem) throw new NetemMissingError(field, label(field));
  steps.push(impair(node, ifname, { ...settings, netem, lab }));
  return { steps, what: describeImpair(settings, netem) };
}
