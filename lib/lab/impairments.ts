/**
 * What slows down, delays or drops the traffic leaving the interfaces of one namespace, as the
 * kernel has it now, said as a person would (`delay 20 ms ± 5 ms, loss 2%, rate 10 Mbit/s`): the
 * one reader `netkit status` (lib/lab/status.ts) and `netkit ui` (lib/ui/live.ts) share.
 *
 * It reads `tc -j qdisc show` (netem's delay, jitter and loss; tbf's rate; an OVS QoS's htb) and
 * `nft -j list tables` (the `netkit-loss-IF` table netkit uses for loss on a kernel without netem,
 * lib/primitives/impair.ts). What cannot be read (a tool missing, output that is not JSON) impairs
 * nothing.
 *
 * @module
 */
import type { Runner } from "../exec/runner.ts";
import { inNetns } from "../exec/netns_argv.ts";

/** One qdisc of `tc -j qdisc show`. */
interface Qdisc {
  kind: string;
  dev?: string;
  options?: {
    rate?: number;
    delay?: { delay?: number; jitter?: number };
    "loss-random"?: { loss?: number };
  };
}

const ms = (seconds: number) => `${Math.round(seconds * 1e4) / 10} ms`;
const percent = (fraction: number) => `${Math.round(fraction * 1e4) / 100}%`;

/** What a qdisc does, in words; nothing for a qdisc that impairs nothing. */
function describeQdisc(q: Qdisc): string[] {
  const o = q.options ?? {};
  if (q.kind === "tbf") return o.rate ? [`rate ${(o.rate * 8) / 1e6} Mbit/s`] : [];
  // OVS QoS (linux-htb, lib/primitives/ovs_qos.ts): its rate is on a class, not on the qdisc.
  if (q.kind === "htb") return ["OVS QoS (htb)"];
  if (q.kind !== "netem") return [];
  const words: string[] = [];
  if (o.delay?.delay) {
    words.push(`delay ${ms(o.delay.delay)}${o.delay.jitter ? ` ± ${ms(o.delay.jitter)}` : ""}`);
  }
  if (o["loss-random"]?.loss) words.push(`loss ${percent(o["loss-random"].loss)}`);
  return words;
}

/** `text` parsed as JSON, or `empty` when it is not JSON. */
function parsed<T>(text: string, empty: T): T {
  try {
    return JSON.parse(text || "null") ?? empty;
  } catch {
    return empty;
  }
}

/**
 * The impairments of each interface, from the output of `tc -j qdisc show` and of
 * `nft -j list tables` in one namespace: interface name to its impairments in words, joined by
 * ", ". Interfaces that nothing impairs are left out.
 *
 * @example netem with delay and loss, and tbf, on eth1
 * ```ts
 * import { describeImpairments } from "./impairments.ts";
 * const netem = { delay: { delay: 0.02 }, "loss-random": { loss: 0.02 } };
 * const tc = JSON.stringify([
 *   { kind: "netem", dev: "eth1", options: netem },
 *   { kind: "tbf", dev: "eth1", options: { rate: 1250000 } },
 * ]);
 * describeImpairments(tc, ""); // Map { "eth1" => "delay 20 ms, loss 2%, rate 10 Mbit/s" }
 * ```
 */
export function describeImpairments(tcJson: string, nftJson: string): Map<string, string> {
  const byDev = new Map<string, string[]>();
  const add = (dev: string | undefined, words: string[]) => {
    if (dev && words.length) byDev.set(dev, [...(byDev.get(dev) ?? []), ...words]);
  };
  const qdiscs = parsed<Qdisc[]>(tcJson, []);
  for (const q of Array.isArray(qdiscs) ? qdiscs : []) add(q.dev, describeQdisc(q));
  const nft = parsed<{ nftables?: { table?: { name?: string } }[] }>(nftJson, {});
  for (const t of Array.isArray(nft.nftables) ? nft.nftables : []) {
    add(/^netkit-loss-(.+)$/.exec(t.table?.name ?? "")?.[1], ["random loss (nftables)"]);
  }
  return new Map([...byDev].map(([dev, words]) => [dev, words.join(", ")]));
}

/**
 * Reads the impairments of the interfaces of namespace `ns` (undefined: the namespace netkit runs
 * in) with one `tc -j qdisc show` and one `nft -j list tables` there; see
 * {@link describeImpairments}.
 */
export async function readImpairments(
  runner: Runner,
  ns: string | undefined,
): Promise<Map<string, string>> {
  const read = async (argv: string[]) => {
    const r = await runner.run(ns === undefined ? argv : inNetns(ns, argv), { allowFailure: true })
      .catch(() => ({ code: 1, stdout: "" }));
    return r.code === 0 ? r.stdout : "";
  };
  const [tc, nft] = await Promise.all([
    read(["tc", "-j", "qdisc", "show"]),
    read(["nft", "-j", "list", "tables"]),
  ]);
  return describeImpairments(tc, nft);
}
