/**
 * Link impairments: a slower, lossier, later link, on the traffic *leaving* one interface of a
 * namespace (tc shapes egress; to shape both directions of a link, impair both ends).
 *
 * - **rate** — `tc qdisc replace dev IF root tbf rate R burst B latency 50ms`: a token bucket.
 *   The bucket holds 10 ms of traffic (at least 4 KiB, so that one full frame always fits), and a
 *   packet waits at most 50 ms for tokens before it is dropped, which keeps TCP within a few
 *   percent of the rate (measured with iperf3: 0.96, 9.56 and 95.8 Mbit/s for 1, 10 and 100mbit).
 * - **loss** — with netem: `netem loss L%`. Without netem (a kernel built without
 *   CONFIG_NET_SCH_NETEM, like the machines netkit is developed on): an nftables table of the
 *   namespace's own, `netkit-loss-IF`, whose one rule drops packets leaving IF at random
 *   (`numgen random mod 10000 < N`, so 0.01 % steps), counted, and marked `netkit:<lab>` in its
 *   comment. The table lives in the lab's namespace, never in the host's firewall. Only IP
 *   packets pass the `postrouting` hook, so ARP is never dropped (with netem it can be).
 * - **delay**, **jitter** — netem only (`netem delay D J`). Without netem there is no faithful
 *   substitute, so {@link impair} refuses them ({@link NetemMissingError}) and a lab asking for
 *   them is refused before anything changes.
 *
 * With netem, netem is the root qdisc and tbf its child (`parent 1:1`), so a packet is delayed
 * and dropped first, then paced.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { checkIfname, checkNsName } from "../names.ts";
import { cmd, inNs, type Step } from "../plan/step.ts";
import { finishedBy } from "../plan/finish.ts";
import {
  formatDuration,
  formatPercent,
  formatRate,
  MAX_DELAY_US,
  parseDuration,
  parsePercent,
  parseRate,
} from "../units.ts";

/** What an impairment does to the traffic leaving an interface; at least one field. */
export interface ImpairSettings {
  /** Bits per second, e.g. `10mbit`, `512kbit` (8kbit to 10gbit). @default no limit */
  rate?: string | undefined;
  /** Share of packets dropped, e.g. `5%`, `0.5%`. @default none */
  loss?: string | undefined;
  /** Added one-way delay, e.g. `20ms` (needs netem). @default none */
  delay?: string | undefined;
  /** Random variation of the delay, e.g. `5ms` (needs netem and `delay`). @default none */
  jitter?: string | undefined;
}

/** Options for {@link impair}. */
export interface ImpairOptions extends ImpairSettings {
  /**
   * Whether the kernel has the netem qdisc (see `hasQdisc()` in lib/lab/qdisc.ts): loss then
   * uses netem, and delay and jitter are possible. @default false
   */
  netem?: boolean;
  /**
   * The owning lab, recorded in the drop rule's comment.
   * @default the lab's name in a script's lab (`lab.add`), else "netkit"
   */
  lab?: string;
}

/** Delay or jitter was asked for on a kernel without netem. A {@link UsageError}: exit code 2. */
export class NetemMissingError extends UsageError {
  /**
   * The error for `field`, asked for at `where`.
   *
   * @param field The field that needs netem.
   * @param where Where it was asked for (a lab document path, or an option).
   */
  constructor(readonly field: "delay" | "jitter", where?: string) {
    super(
      `${where ? `${where}: ` : ""}${field} needs the kernel's netem qdisc ` +
        "(CONFIG_NET_SCH_NETEM), which this kernel does not have; rate and loss work without it",
      where ? { where } : {},
    );
    this.name = "NetemMissingError";
  }
}

/** The nftables table (inet family, in the node's namespace) that holds IF's drop rule. */
export function lossTable(ifname: string): string {
  return `netkit-loss-${checkIfname(ifname)}`;
}

const TBF_LATENCY = "50ms";

/** tbf's bucket: 10 ms of traffic, at least 4 KiB (one full frame and then some). */
function tbfBurst(bps: number): number {
  return Math.max(Math.ceil(bps / 800), 4096);
}

/** The argv words of a `tc qdisc replace ... tbf` for `bps`, after `dev IF`. */
function tbf(bps: number): string[] {
  return ["tbf", "rate", formatRate(bps), "burst", String(tbfBurst(bps)), "latency", TBF_LATENCY];
}

/** The settings parsed and checked: numbers, not text. */
interface Parsed {
  bps?: number;
  /** Hundredths of a percent. */
  loss?: number;
  delayUs?: number;
  jitterUs?: number;
}

function parse(settings: ImpairSettings): Parsed {
  const out: Parsed = {};
  if (settings.rate !== undefined) out.bps = parseRate(settings.rate, "rate");
  if (settings.loss !== undefined) out.loss = parsePercent(settings.loss, "loss");
  if (settings.delay !== undefined) {
    out.delayUs = parseDuration(settings.delay, MAX_DELAY_US, "delay");
  }
  if (settings.jitter !== undefined) {
    out.jitterUs = parseDuration(settings.jitter, MAX_DELAY_US, "jitter");
    if (out.delayUs === undefined) {
      throw new UsageError('"jitter" varies a delay: give "delay" too', { where: "jitter" });
    }
  }
  if (Object.values(out).every((v) => v === undefined)) {
    throw new UsageError("An impairment needs at least one of rate, loss, delay, jitter");
  }
  return out;
}

/**
 * The field of `settings` that needs netem (`delay` or `jitter`), if any. Loss does not: it falls
 * back to nftables.
 */
export function netemOnlyField(settings: ImpairSettings): "delay" | "jitter" | undefined {
  return settings.delay !== undefined
    ? "delay"
    : settings.jitter !== undefined
    ? "jitter"
    : undefined;
}

/** One line for people: `rate 10mbit, loss 5% (nftables)`. */
export function describeImpair(settings: ImpairSettings, netem = false): string {
  const p = parse(settings);
  const parts: string[] = [];
  if (p.bps !== undefined) parts.push(`rate ${formatRate(p.bps)}`);
  if (p.loss !== undefined) {
    parts.push(`loss ${formatPercent(p.loss)}${netem ? "" : " (nftables)"}`);
  }
  if (p.delayUs !== undefined) {
    parts.push(
      `delay ${formatDuration(p.delayUs)}` +
        (p.jitterUs !== undefined ? ` ± ${formatDuration(p.jitterUs)}` : ""),
    );
  }
  return parts.join(", ");
}

/**
 * `ip netns exec NS tc qdisc replace dev IF root tbf rate R burst B latency 50ms` for a rate,
 * `... root handle 1: netem delay D J loss L%` (tbf then under `parent 1:1`) with netem, and,
 * without netem, `ip netns exec NS nft add table inet netkit-loss-IF { chain egress { ... oifname
 * "IF" numgen random mod 10000 < N counter drop comment "netkit:LAB"; } }` for loss: the traffic
 * leaving interface IF of namespace NS, slower, lossier or later. Undo: `nft delete table inet
 * netkit-loss-IF` and `tc qdisc del dev IF root` (the interface's default qdisc comes back).
 *
 * @param ns The namespace that holds the interface.
 * @param ifname The interface whose outgoing traffic is impaired.
 * @param options What to do to it, and whether the kernel has netem.
 * @returns The step; it runs nothing.
 * @throws {UsageError} For a bad rate, percentage or duration, and ({@link NetemMissingError})
 *   for delay or jitter without netem.
 * @example A slow, lossy uplink on a kernel without netem
 * ```ts
 * import { impair } from "../../mod.ts";
 * const step = impair("rt", "eth1", { rate: "10mbit", loss: "2%", lab: "router" });
 * step.do.map((a) => "argv" in a ? a.argv.join(" ") : "");
 * // ["ip netns exec rt tc qdisc replace dev eth1 root tbf rate 10mbit burst 12500 latency 50ms",
 * //  "ip netns exec rt nft add table inet netkit-loss-eth1 { chain egress { ... } }"]
 * ```
 */
export function impair(ns: string, ifname: string, options: ImpairOptions): Step {
  checkNsName(ns);
  checkIfname(ifname);
  const p = parse(options);
  const netem = options.netem ?? false;
  const needsNetem = netemOnlyField(options);
  if (needsNetem && !netem) throw new NetemMissingError(needsNetem);
  const tc = (...args: string[]) =>
    cmd(...inNs(ns, ["tc", "qdisc", "replace", "dev", ifname, ...args]));
  const lossy = p.loss !== undefined && p.loss > 0;
  const doActions = [];
  const undo = [];
  let usesTc = false;
  if (netem && (lossy || p.delayUs !== undefined)) {
    const args = ["root", "handle", "1:", "netem"];
    if (p.delayUs !== undefined) {
      args.push("delay", formatDuration(p.delayUs));
      if (p.jitterUs !== undefined) args.push(formatDuration(p.jitterUs));
    }
    if (lossy) args.push("loss", formatPercent(p.loss!));
    doActions.push(tc(...args));
    usesTc = true;
    if (p.bps !== undefined) doActions.push(tc("parent", "1:1", "handle", "10:", ...tbf(p.bps)));
  } else {
    if (p.bps !== undefined) doActions.push(tc("root", ...tbf(p.bps))), usesTc = true;
    if (lossy) {
      const rule = `oifname "${ifname}" numgen random mod 10000 < ${p.loss} counter drop ` +
        `comment "netkit:${options.lab ?? "netkit"}";`;
      doActions.push(cmd(...inNs(ns, [
        "nft",
        "add",
        "table",
        "inet",
        lossTable(ifname),
        `{ chain egress { type filter hook postrouting priority 0; ${rule} }; }`,
      ])));
      undo.push(cmd(...inNs(ns, ["nft", "delete", "table", "inet", lossTable(ifname)])));
    }
  }
  if (usesTc) {
    undo.push(cmd(...inNs(ns, ["tc", "qdisc", "del", "dev", ifname, "root"])));
  }
  const step: Step = {
    key: `impair:${ns}/${ifname}`,
    summary: `impair ${ifname} in ${ns}: ${describeImpair(options, netem)}`,
    do: doActions,
    undo,
  };
  return finishedBy(
    step,
    options.lab === undefined ? (c) => [impair(ns, ifname, { ...options, lab: c.lab })] : undefined,
  );
}

/** What an interface carries now that {@link impairClear} removes. */
export interface ImpairPresent {
  /** A root qdisc of its own (not the interface's default, handle `0:`). */
  qdisc: boolean;
  /** The `netkit-loss-IF` nftables table. */
  lossTable: boolean;
}

/**
 * `ip netns exec NS tc qdisc del dev IF root` and `ip netns exec NS nft delete table inet
 * netkit-loss-IF`, for what is there (`present`): removes an impairment, the interface's default
 * qdisc coming back. Nothing to undo: `down` removes the lab anyway, and the impairment's own
 * step, still in the journal, finds it gone.
 *
 * @example What `netkit impair LAB rt:eth1 --clear` runs after a rate and a loss
 * ```ts
 * import { impairClear } from "../../mod.ts";
 * impairClear("rt", "eth1", { qdisc: true, lossTable: true });
 * ```
 */
export function impairClear(ns: string, ifname: string, present: ImpairPresent): Step {
  checkNsName(ns);
  checkIfname(ifname);
  const doActions = [];
  if (present.lossTable) {
    doActions.push(cmd(...inNs(ns, ["nft", "delete", "table", "inet", lossTable(ifname)])));
  }
  if (present.qdisc) {
    doActions.push(cmd(...inNs(ns, ["tc", "qdisc", "del", "dev", ifname, "root"])));
  }
  return {
    key: `impair-clear:${ns}/${ifname}`,
    summary: `remove the impairment of ${ifname} in ${ns}`,
    do: doActions,
    undo: [],
  };
}
