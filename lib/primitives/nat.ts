/**
 * Source NAT inside a router namespace, with iptables.
 *
 * Why iptables rather than nft: most guides to SNAT teach exactly these iptables commands, so the
 * rule a learner reads in `--dry-run` is the one they already know; each rule's undo is the same rule with
 * `-D`, so removal is exact; and on Debian 12 `iptables` is iptables-nft, so the rule lives in
 * nf_tables anyway. Every rule carries `-m comment --comment netkit:<lab>` as its owner mark. The
 * rules live in the router's namespace, never in the host's firewall.
 *
 * @module
 */
import { networkOf, parseCidr, parseIp } from "../addr.ts";
import { checkIfname, checkNsName } from "../names.ts";
import { cmd, inNs, type Step } from "../plan/step.ts";
import { finishedBy } from "../plan/finish.ts";

/** Options for {@link snat}. */
export interface SnatOptions {
  /** Packets from this network are translated, e.g. `10.0.0.0/24`. */
  source: string;
  /** The address they leave with, e.g. `192.168.100.11`. */
  toSource: string;
  /** Leave packets to this network alone. @default the source network */
  notDestination?: string;
  /** Only packets leaving through this interface. @default any */
  outInterface?: string;
  /**
   * The owning lab, recorded in the rule's comment.
   * @default the lab's name in a script's lab (`lab.add`), else "netkit"
   */
  lab?: string;
}

function rule(
  ns: string,
  op: "-A" | "-D",
  match: string[],
  target: string[],
  lab: string,
): string[] {
  return inNs(ns, [
    "iptables",
    "-w",
    "-t",
    "nat",
    op,
    "POSTROUTING",
    ...match,
    "-m",
    "comment",
    "--comment",
    `netkit:${lab}`,
    ...target,
  ]);
}

function matchOf(source: string, notDestination?: string, outInterface?: string): string[] {
  const m = ["-s", networkOf(source)];
  if (notDestination !== undefined) m.push("!", "-d", networkOf(notDestination));
  if (outInterface !== undefined) m.push("-o", outInterface);
  return m;
}

/**
 * `ip netns exec NS iptables -t nat -A POSTROUTING -s SRC ! -d SRC -j SNAT --to-source ADDR`:
 * a SNAT rule, inside the router namespace. Undo deletes the same rule (`-D`).
 *
 * @example The router lab's rule
 * ```ts
 * import { snat } from "../../mod.ts";
 * snat("rt", { source: "10.0.0.0/24", toSource: "192.168.100.11" });
 * ```
 */
export function snat(ns: string, options: SnatOptions): Step {
  checkNsName(ns);
  parseCidr(options.source);
  parseIp(options.toSource);
  if (options.outInterface !== undefined) checkIfname(options.outInterface);
  const lab = options.lab ?? "netkit";
  const match = matchOf(
    options.source,
    options.notDestination ?? options.source,
    options.outInterface,
  );
  const target = ["-j", "SNAT", "--to-source", options.toSource];
  const step: Step = {
    key: `nat:${ns}/POSTROUTING/snat/${networkOf(options.source)}`,
    summary: `SNAT ${networkOf(options.source)} to ${options.toSource} in ${ns}`,
    do: [cmd(...rule(ns, "-A", match, target, lab))],
    undo: [cmd(...rule(ns, "-D", match, target, lab))],
  };
  return finishedBy(
    step,
    options.lab === undefined ? (c) => [snat(ns, { ...options, lab: c.lab })] : undefined,
  );
}

/** Options for {@link masquerade}. */
export interface MasqueradeOptions {
  /** Packets from this network are translated. */
  source: string;
  /** The interface they leave through (its address is used). */
  outInterface: string;
  /** Leave packets to this network alone. @default the source network */
  notDestination?: string;
  /**
   * The owning lab.
   * @default the lab's name in a script's lab (`lab.add`), else "netkit"
   */
  lab?: string;
}

/**
 * `ip netns exec NS iptables -t nat -A POSTROUTING -s SRC ! -d SRC -o IF -j MASQUERADE`: like
 * {@link snat}, with the address taken from the outgoing interface. Undo deletes the rule.
 *
 * @example
 * ```ts
 * import { masquerade } from "../../mod.ts";
 * masquerade("rt", { source: "10.0.0.0/24", outInterface: "eth1" });
 * ```
 */
export function masquerade(ns: string, options: MasqueradeOptions): Step {
  checkNsName(ns);
  parseCidr(options.source);
  checkIfname(options.outInterface);
  const lab = options.lab ?? "netkit";
  const match = matchOf(
    options.source,
    options.notDestination ?? options.source,
    options.outInterface,
  );
  const step: Step = {
    key: `nat:${ns}/POSTROUTING/masquerade/${networkOf(options.source)}`,
    summary: `masquerade ${networkOf(options.source)} out of ${options.outInterface} in ${ns}`,
    do: [cmd(...rule(ns, "-A", match, ["-j", "MASQUERADE"], lab))],
    undo: [cmd(...rule(ns, "-D", match, ["-j", "MASQUERADE"], lab))],
  };
  return finishedBy(
    step,
    options.lab === undefined ? (c) => [masquerade(ns, { ...options, lab: c.lab })] : undefined,
  );
}
