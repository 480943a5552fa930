/**
 * What `down` checks before it runs a line of a lab's journal: the journal is data that netkit
 * wrote, not a list of commands to obey. Every undo action of every line must be one that
 * netkit's steps write (the table below), and every object it names must be the lab's own: a
 * namespace the lab created, an interface or OVS bridge or port it created in the host's root
 * namespace, the host NIC it took as an uplink (`--uplink`), a file in its state directory, an
 * OVS row carrying its mark, a NAT rule carrying its comment, a sysctl that the lab file could
 * have set (lib/reach.ts). A line that fails is reported and skipped, never run.
 *
 * The forms (in the root namespace unless `ip -n NS` / `ip netns exec NS` names one of the lab's):
 *
 * - `ip netns delete NS`: NS one of the lab's namespaces.
 * - `ip link delete dev X`; `ip link set dev X up|down|nomaster|name Y|netns T`: inside the lab's
 *   namespaces any interface; in the root namespace only the lab's own (`nomaster` also the
 *   uplink NIC); T one of the lab's namespaces, or `1` (the root) for one of the lab's interfaces.
 * - `ip addr del CIDR dev X` (also on the lab's root interfaces); `ip -4|-6 addr flush dev X
 *   [scope global]`, `ip route del ...` (inside the lab's namespaces only).
 * - `ip addr add CIDR dev NIC`, `ip route replace TO via GW dev NIC`: NIC the lab's uplink.
 * - `ip netns exec NS sysctl [-q] -w K=V`: keys and values a lab file may set.
 * - `ip netns exec NS iptables -w -t nat|mangle -D CHAIN ... -m comment --comment netkit:LAB ...`
 *   with only the options netkit's rules use.
 * - `ip netns exec NS tc qdisc del dev X root`, `ip netns exec NS nft delete table inet
 *   netkit-loss-X`.
 * - `[ip netns exec NS] rmdir P`, `{ remove: P }`, `{ stopDaemon: P, program: PROG, record?: R,
 *   named?: F }`: P (and R, the daemon's record, lib/exec/daemon.ts) in the lab's state directory,
 *   F (the file a capture's tcpdump names) in the lab's capture directory, PROG a daemon netkit
 *   starts. Stopping a daemon by its pid file alone (`pkill -F P -x PROG`, `timeout N
 *   pidwait -F P -x PROG`) is refused: a pid file may name a process that has taken the pid
 *   since, and every daemon netkit starts, packet captures included, is noted and stopped by its
 *   record. (No release of netkit wrote those forms; a lab brought up by a development build
 *   from before this rule is best taken down by that build.)
 * - `ovs-vsctl`: `del-port BR P`, `del-br BR`, `set port P tag=N`, `remove port P tag N`, `clear
 *   port P tag|qos`, `remove bridge BR mirrors UUID`: the lab's bridges and ports. `destroy qos
 *   UUID` only after `clear port P qos` in the same transaction, P the lab's port and UUID the one
 *   netkit derives for P and one of the lab's marks (lib/ovs/ids.ts `labUuid`): any other QoS row,
 *   someone else's included, is not the lab's to destroy. `{ ovsRemove, name, bridge, lab }`: the
 *   lab's bridge or port, the lab's mark.
 * - `nft delete table inet netkit-vxlan-LAB`: a multi-host part's VXLAN source filter, the lab's.
 * - `ovs-ofctl del-flows unix:RUNDIR/BR.mgmt cookie=0xMARKNNNNNNNN/-1`: the lab's bridge in the
 *   lab's OVS, a cookie of the lab's.
 *
 * The check is one pass over the journal with a few set lookups per action: it costs nothing next
 * to the undo itself, even for labs of thousands of namespaces.
 *
 * The same parser records, instead of checking, what a script's ad-hoc lab (lib/session.ts)
 * creates ({@link recordOwned}), so that its journal is checked against those names.
 *
 * @module
 */
import { normalize } from "node:path";
import { IFNAME_MAX_BYTES, NAME_MAX_BYTES } from "../names.ts";
import { labCookieMark, labUuid } from "../ovs/ids.ts";
import {
  hostNamesOf,
  ifnameProblem,
  nsNameProblem,
  printable,
  sysctlKeyProblem,
  sysctlValueProblem,
} from "../reach.ts";
import type { Lab } from "./schema.ts";
import type { JournalEntry, JournalRecord } from "../plan/journal.ts";
import { type Action, shownArgv } from "../plan/step.ts";

/** The daemons netkit starts (and whose undo stops them, `{ stopDaemon, program }`). */
const DAEMONS: ReadonlySet<string> = new Set([
  "dnsmasq",
  "busybox", // udhcpc runs as a busybox applet
  "udhcpc",
  "dhclient",
  "tcpdump",
  "zebra",
  "ospfd",
  "ospf6d",
  "bgpd",
  "staticd",
  "watchfrr",
  "ovsdb-server",
  "ovs-vswitchd",
]);

/** Names that the lab owns, as lists (what lab.json keeps for a script's lab). */
export interface OwnedNames {
  /** Namespaces. */
  namespaces?: string[];
  /** Interfaces in the host's root namespace (bridges, root-side veth ends, internal ports). */
  links?: string[];
  /** OVS bridges and ports. */
  ovs?: string[];
  /** Host NICs taken as a bridge's uplink. */
  uplinks?: string[];
  /** Marks (`external_ids:netkit-lab=MARK`, `--comment netkit:MARK`) besides the lab's name. */
  marks?: string[];
}

/** What a lab owns: all that its journal may act on. */
interface JournalScope {
  /** The lab's name: the NAT comment `netkit:LAB` and the OVS mark. */
  lab: string;
  /** Namespaces the lab created (inside them, undo may act on any interface). */
  namespaces: Set<string>;
  /** Interfaces the lab created in the host's root namespace. */
  links: Set<string>;
  /** OVS bridges and ports the lab created. */
  ovs: Set<string>;
  /** Host NICs the lab took as a bridge's uplink: undo puts their addresses and routes back. */
  uplinks: Set<string>;
  /** Marks the lab's OVS rows and NAT rules carry (its name; a script's lab, its steps' too). */
  marks: Set<string>;
  /** Directories whose files are the lab's (its state directory): absolute, normalized. */
  dirs: string[];
  /** The directory of the lab's packet captures (`captures/LAB`), whose files tcpdump names. */
  captures?: string | undefined;
  /** The run directory of the OVS the lab's bridges live in (their `BR.mgmt` sockets). */
  ovsRunDir?: string | undefined;
  /** The upper 32 bits (8 hex digits) of the lab's flow cookies (lib/ovs/ids.ts). */
  cookieMark?: string | undefined;
}

/** The scope of lab `lab` whose state directory is `dir`, owning `owned`. */
export function journalScope(
  lab: string,
  dir: string,
  owned: OwnedNames = {},
  more: Pick<JournalScope, "ovsRunDir" | "cookieMark" | "captures"> = {},
): JournalScope {
  return {
    lab,
    namespaces: new Set(owned.namespaces),
    links: new Set(owned.links),
    ovs: new Set(owned.ovs),
    uplinks: new Set(owned.uplinks),
    marks: new Set([lab, ...(owned.marks ?? [])]),
    dirs: [dir],
    ...more,
  };
}

/** What `lab.json` says about where the lab lives, besides the lab itself. */
interface RecordedPlace {
  /** A sandboxed lab's parent namespace. */
  sandbox?: string | undefined;
  /** The run directory of its OVS. */
  ovsRunDir?: string | undefined;
  /** What a script's lab created (lib/session.ts). */
  owns?: OwnedNames | undefined;
  /** The directory of its packet captures (not recorded: derived from the state root). */
  captures?: string | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The scope of lab `name` whose state directory is `dir`, from what its `lab.json` records: `lab`
 * (not checked against the lab schema: `down` does not load it; read the way the reach rules
 * read a lab file, lib/reach.ts: `hostNamesOf`) and `place`. Its namespaces are its nodes (and
 * its sandbox); its root interfaces, its bridges, their root-side link and tunnel ends and
 * internal ports; its OVS names, those and every port of its bridges; its uplinks, the NICs
 * its bridges name as `uplink`. Throws a `TypeError` when `lab` is not shaped like a lab.
 */
export function labJournalScope(
  name: string,
  dir: string,
  lab: unknown,
  place: RecordedPlace = {},
): JournalScope {
  const owned = place.owns ?? {};
  if (
    !isObject(lab) || !isObject(lab.nodes) || !isObject(lab.bridges) || !Array.isArray(lab.links)
  ) {
    throw new TypeError("lab: not shaped like a lab");
  }
  const names = hostNamesOf(lab as unknown as Lab);
  const bridges = Object.values(lab.bridges).filter(isObject);
  const ports = bridges.flatMap((b) => (isObject(b.ports) ? Object.keys(b.ports) : []));
  const uplinks = bridges.flatMap((b) => (typeof b.uplink === "string" ? [b.uplink] : []));
  const links = [...names.links.keys()];
  const flows = bridges.some((b) => Array.isArray(b.flows) && b.flows.length > 0);
  return journalScope(name, dir, {
    namespaces: [
      ...names.namespaces.keys(),
      ...(place.sandbox !== undefined ? [place.sandbox] : []),
      ...(owned.namespaces ?? []),
    ],
    links: [...links, ...(owned.links ?? [])],
    ovs: [...links, ...ports, ...(owned.ovs ?? [])],
    uplinks: [...uplinks, ...(owned.uplinks ?? [])],
    marks: owned.marks ?? [],
  }, {
    ovsRunDir: place.ovsRunDir,
    cookieMark: flows ? labCookieMark(name) : undefined,
    captures: place.captures,
  });
}

/** The scope's names as lists (for lab.json). */
export function ownedNamesOf(scope: JournalScope): OwnedNames {
  const marks = [...scope.marks].filter((m) => m !== scope.lab);
  return {
    namespaces: [...scope.namespaces],
    links: [...scope.links],
    ovs: [...scope.ovs],
    uplinks: [...scope.uplinks],
    ...(marks.length ? { marks } : {}),
  };
}

/** A journal line that `down` did not run, and why. */
export interface SkippedLine {
  /** Its 1-based line number in `journal.jsonl`. */
  line: number;
  /** Why it was skipped (names the action, its words escaped). */
  reason: string;
}

/** The journal split into what may run and what is skipped. */
interface CheckedJournal {
  /** Entries every action of which passed, in journal order. */
  entries: JournalEntry[];
  /** Lines that did not. */
  skipped: SkippedLine[];
}

/**
 * Checks every line of a journal against the lab's `scope` (see the module doc): one pass.
 *
 * @example A line that netkit never writes is skipped
 * ```ts
 * import { checkJournal, journalScope } from "./journal_check.ts";
 * const scope = journalScope("demo", "/run/netkit/labs/demo", { namespaces: ["a"] });
 * const { entries, skipped } = checkJournal([
 *   { line: 1, value: { key: "netns:a", undo: [{ argv: ["ip", "netns", "delete", "a"] }] } },
 *   { line: 2, value: { key: "x:y", undo: [{ argv: ["rm", "-rf", "/"] }] } },
 * ], scope);
 * // entries: the first line's; skipped: [{ line: 2, reason: '"rm -rf /": ...' }]
 * ```
 */
export function checkJournal(
  records: readonly JournalRecord[],
  scope: JournalScope,
): CheckedJournal {
  const entries: JournalEntry[] = [];
  const skipped: SkippedLine[] = [];
  const check = new Check(scope, false);
  for (const { line, value } of records) {
    const problem = entryProblem(value, check);
    if (problem === undefined) entries.push(value as JournalEntry);
    else skipped.push({ line, reason: problem });
  }
  return { entries, skipped };
}

/**
 * Adds to `scope` the names that `actions` (a step's undo, written by a script's own steps) act
 * on, checking everything else as {@link checkJournal} would. Returns why an action is not one
 * netkit's journal accepts, or undefined.
 */
export function recordOwned(actions: readonly Action[], scope: JournalScope): string | undefined {
  const check = new Check(scope, true);
  for (const action of actions) {
    const problem = actionProblem(action, check);
    if (problem !== undefined) return `${describe(action)}: ${problem}`;
  }
  return undefined;
}

/** Why journal value `value` is not an entry netkit writes for this lab, or undefined. */
function entryProblem(value: unknown, check: Check): string | undefined {
  if (!isObject(value) || typeof value.key !== "string" || !Array.isArray(value.undo)) {
    return "not a journal entry netkit writes ({ key, undo: [...] })";
  }
  if (value.pidFile !== undefined) {
    const p = typeof value.pidFile === "string" ? check.path(value.pidFile) : "not a path";
    if (p) return `pidFile: ${p}`;
  }
  for (const action of value.undo) {
    const problem = actionProblem(action, check);
    if (problem !== undefined) return `${describe(action)}: ${problem}`;
  }
  return undefined;
}

/** An action as a person reads it, escaped and cut short. */
function describe(action: unknown): string {
  let text: string;
  try {
    text = shownArgv(action as Action).join(" ");
  } catch {
    text = JSON.stringify(action) ?? String(action);
  }
  const shown = printable(text);
  return JSON.stringify(shown.length > 120 ? `${shown.slice(0, 117)}...` : shown);
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROL = /[\0-\x1f\x7f]/;

/**
 * The name checks, against the scope, or (recording) adding to it: the grammar below asks this
 * one object, so recording and checking cannot drift apart.
 */
class Check {
  /** Interface names already found well formed (a journal repeats them). */
  readonly #wellFormed = new Set<string>();
  /** Namespace names already found well formed. */
  readonly #wellFormedNs = new Set<string>();

  constructor(readonly scope: JournalScope, readonly recording: boolean) {}

  /** A namespace of the lab. */
  namespace(name: string | undefined): string | undefined {
    if (!this.#wellFormedNs.has(name!)) {
      const bad = nameProblem(name, NAME_MAX_BYTES, "namespace") ?? nsNameProblem(name!);
      if (bad) return bad;
      this.#wellFormedNs.add(name!);
    }
    return this.#member(this.scope.namespaces, name!, "a namespace");
  }

  /** An interface of the lab: any (well-named) one inside its namespaces; else its own. */
  link(name: string | undefined, ns: string | undefined, uplinkToo = false): string | undefined {
    const bad = this.#ifname(name);
    if (bad || ns !== undefined) return bad;
    if (uplinkToo && this.scope.uplinks.has(name!)) return undefined;
    return this.#member(this.scope.links, name!, "an interface in the root namespace");
  }

  /** The lab's uplink NIC (in the root namespace), or any interface inside its namespaces. */
  uplink(name: string | undefined, ns: string | undefined): string | undefined {
    const bad = this.#ifname(name);
    if (bad || ns !== undefined) return bad;
    return this.#member(this.scope.uplinks, name!, "an uplink NIC");
  }

  /** An OVS bridge or port of the lab. */
  ovs(name: string | undefined): string | undefined {
    return this.#ifname(name) ?? this.#member(this.scope.ovs, name!, "an OVS bridge or port");
  }

  /** An OVS mark of the lab. */
  mark(lab: unknown): string | undefined {
    if (typeof lab !== "string") return "no lab mark";
    const bad = nameProblem(lab, NAME_MAX_BYTES, "lab");
    return bad ?? this.#member(this.scope.marks, lab, "a mark (OVS external_ids, NAT comment)");
  }

  /** A file or directory inside the lab's state directory. */
  path(p: unknown): string | undefined {
    if (typeof p !== "string" || !p.startsWith("/") || normalize(p) !== p) {
      return `${JSON.stringify(printable(String(p)))} is not a normalized absolute path`;
    }
    if (p.endsWith("/") || CONTROL.test(p)) return "not a file name";
    if (this.scope.dirs.some((d) => p.startsWith(`${d}/`))) return undefined;
    return `${JSON.stringify(printable(p))} is outside the lab's state directory`;
  }

  /**
   * A file in the lab's capture directory: what a `stopDaemon`'s `named` may be (the file the
   * daemon's command line must name; anything else could pick another daemon of the host).
   */
  capture(p: unknown): string | undefined {
    const dir = this.scope.captures;
    if (typeof p !== "string" || !p.startsWith("/") || normalize(p) !== p) {
      return `${JSON.stringify(printable(String(p)))} is not a normalized absolute path`;
    }
    if (dir !== undefined && p.startsWith(`${dir}/`) && !CONTROL.test(p)) return undefined;
    return `${JSON.stringify(printable(p))} is not a file of the lab's captures`;
  }

  /** Why `name` is not a well-formed interface name (lib/reach.ts), or undefined. */
  #ifname(name: string | undefined): string | undefined {
    if (this.#wellFormed.has(name!)) return undefined;
    const bad = ifname(name);
    if (bad === undefined) this.#wellFormed.add(name!);
    return bad;
  }

  #member(set: Set<string>, name: string, what: string): string | undefined {
    if (set.has(name)) return undefined;
    if (this.recording) return set.add(name), undefined;
    return `${JSON.stringify(name)} is not ${what} of lab ${this.scope.lab}`;
  }
}

function nameProblem(name: unknown, max: number, what: string): string | undefined {
  // NAME admits ASCII only: a name's length is its length in bytes.
  if (typeof name !== "string" || name.length > max || !NAME.test(name)) {
    return `${JSON.stringify(printable(String(name)))} is not a ${what} name`;
  }
  return undefined;
}

function ifname(name: string | undefined): string | undefined {
  return nameProblem(name, IFNAME_MAX_BYTES, "interface") ?? ifnameProblem(name!);
}

/** The fields of each kind of undo action netkit writes, but the one that names the kind. */
const MORE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  argv: [],
  remove: [],
  stopDaemon: ["program", "record", "named"],
  ovsRemove: ["name", "bridge", "lab"],
};

/** Why `action` is not an undo action netkit writes for this lab, or undefined. */
function actionProblem(action: unknown, check: Check): string | undefined {
  if (!isObject(action)) return "not an action";
  // Exactly one kind's fields: the executor picks the kind by the first field it knows, so an
  // action with two (`remove` and `write`) would pass as one and run as the other.
  const fields = Object.keys(action);
  const kinds = fields.filter((k) => Object.hasOwn(MORE_FIELDS, k));
  const kind = kinds.length === 1 ? kinds[0]! : undefined;
  if (kind === undefined || fields.some((k) => k !== kind && !MORE_FIELDS[kind]!.includes(k))) {
    return "not an undo action netkit writes";
  }
  if (kind === "argv") {
    const argv = action.argv;
    if (!Array.isArray(argv) || argv.length === 0 || argv.some((w) => typeof w !== "string")) {
      return "argv is not a list of words";
    }
    if (CONTROL.test(argv.join(" "))) return "a control character in argv";
    return argvProblem(argv as string[], check);
  }
  if (kind === "remove") return check.path(action.remove);
  if (kind === "stopDaemon") {
    if (!DAEMONS.has(action.program as string)) return "not a daemon netkit starts";
    const record = action.record === undefined ? undefined : check.path(action.record);
    const named = action.named === undefined ? undefined : check.capture(action.named);
    return check.path(action.stopDaemon) ?? record ?? named;
  }
  if (action.ovsRemove !== "bridge" && action.ovsRemove !== "port") return "not a bridge or port";
  const bridge = action.ovsRemove === "port" ? check.ovs(action.bridge as string) : undefined;
  return check.mark(action.lab) ?? check.ovs(action.name as string) ?? bridge;
}

type Words = readonly string[];

/** `true` when `words` are exactly `shape`, where `*` stands for any one word. */
function is(words: Words, ...shape: string[]): boolean {
  return words.length === shape.length && shape.every((s, i) => s === "*" || s === words[i]);
}

const NOT_NETKITS = "not an undo netkit writes";

/** A run action's argv (see the table in the module doc). */
function argvProblem(argv: Words, check: Check): string | undefined {
  const [program, ...rest] = argv;
  switch (program) {
    case "ip":
      return ipProblem(rest, check);
    case "pkill":
      return BY_PID_FILE;
    case "timeout":
      return rest[1] === "pidwait" ? BY_PID_FILE : NOT_A_PROGRAM("timeout");
    case "rmdir":
      return rest.length === 1 ? check.path(rest[0]) : NOT_NETKITS;
    case "ovs-vsctl":
      return vsctlProblem(rest, check);
    case "ovs-ofctl":
      return ofctlProblem(rest, check);
    case "nft":
      return vxlanFilterProblem(rest, check);
    default:
      return NOT_A_PROGRAM(program);
  }
}

const NOT_A_PROGRAM = (program: string | undefined) =>
  `${JSON.stringify(printable(program ?? ""))} is not a program netkit's undo runs`;

/** Why `pkill -F PIDFILE` and `pidwait -F PIDFILE` are refused (see the module doc). */
const BY_PID_FILE = "a daemon stopped by its pid file alone; netkit stops its daemons by their " +
  "record ({ stopDaemon, program })";

/** `nft delete table inet netkit-vxlan-LAB`: the lab's own VXLAN source filter (vxlan.ts). */
function vxlanFilterProblem(words: Words, check: Check): string | undefined {
  if (!is(words, "delete", "table", "inet", "*") || !words[3]!.startsWith("netkit-vxlan-")) {
    return NOT_NETKITS;
  }
  return check.mark(words[3]!.slice("netkit-vxlan-".length));
}

/** `ip ...` after the program name. */
function ipProblem(words: Words, check: Check): string | undefined {
  if (words[0] === "netns") {
    if (words.length === 3 && (words[1] === "delete" || words[1] === "del")) {
      return check.namespace(words[2]);
    }
    if (words[1] === "exec") {
      return check.namespace(words[2]) ?? inNsProblem(words.slice(3), words[2]!, check);
    }
    return NOT_NETKITS;
  }
  if (words[0] === "-n") {
    return check.namespace(words[1]) ?? ipCommandProblem(words.slice(2), words[1]!, check);
  }
  return ipCommandProblem(words, undefined, check);
}

/** Where an `ip` address or route word is only an address, a prefix or `default`. */
const ADDRESS = /^(default|[0-9A-Fa-f.:]+(\/\d{1,3})?)$/;
/** The words of a route specification that netkit writes (`ip route del TO via GW [dev X]`). */
const ROUTE_WORD = /^(default|via|dev|metric|proto|table|src|[0-9A-Za-z_.:/-]+)$/;

/** One `ip` command in namespace `ns` (undefined: the root namespace). */
function ipCommandProblem(words: Words, ns: string | undefined, check: Check): string | undefined {
  const w = words[0] === "-4" || words[0] === "-6" ? words.slice(1) : words;
  const family = w !== words;
  const [object, verb] = w;
  if (object === "link" && !family) {
    if (is(w, "link", "*", "dev", "*") && (verb === "delete" || verb === "del")) {
      return check.link(w[3], ns);
    }
    if (verb !== "set" || w[2] !== "dev") return NOT_NETKITS;
    if (is(w, "link", "set", "dev", "*", "nomaster")) return check.link(w[3], ns, true);
    if (is(w, "link", "set", "dev", "*", "*") && (w[4] === "up" || w[4] === "down")) {
      return check.link(w[3], ns);
    }
    if (is(w, "link", "set", "dev", "*", "name", "*")) {
      return check.link(w[3], ns) ?? check.link(w[5], ns);
    }
    if (is(w, "link", "set", "dev", "*", "netns", "*")) {
      // Back to the root namespace (an OVS internal port), or into another lab namespace.
      if (w[5] === "1") return check.link(w[3], undefined);
      return check.link(w[3], ns) ?? check.namespace(w[5]);
    }
    return NOT_NETKITS;
  }
  if (object === "addr") {
    if (is(w, "addr", "del", "*", "dev", "*") && !family && ADDRESS.test(w[2]!)) {
      return check.link(w[4], ns, true);
    }
    if (is(w, "addr", "add", "*", "dev", "*") && !family && ADDRESS.test(w[2]!)) {
      return check.uplink(w[4], ns);
    }
    const flush = is(w, "addr", "flush", "dev", "*") ||
      is(w, "addr", "flush", "dev", "*", "scope", "global");
    if (flush && family && ns !== undefined) return check.link(w[3], ns);
    return NOT_NETKITS;
  }
  if (object === "route" && !family) {
    if (
      verb === "del" && ns !== undefined && w.length > 2 &&
      w.slice(2).every((x) => ROUTE_WORD.test(x))
    ) {
      return undefined;
    }
    if (
      is(w, "route", "replace", "*", "via", "*", "dev", "*") && ADDRESS.test(w[2]!) &&
      ADDRESS.test(w[4]!)
    ) {
      return check.uplink(w[6], ns);
    }
  }
  return NOT_NETKITS;
}

/** A command run inside lab namespace `ns` (`ip netns exec NS ...`). */
function inNsProblem(words: Words, ns: string, check: Check): string | undefined {
  const [program, ...rest] = words;
  switch (program) {
    case "sysctl":
      return sysctlProblem(rest);
    case "iptables":
      return iptablesProblem(rest, check);
    case "tc":
      return is(rest, "qdisc", "del", "dev", "*", "root") ? check.link(rest[3], ns) : NOT_NETKITS;
    case "nft":
      if (is(rest, "delete", "table", "inet", "*") && /^netkit-loss-/.test(rest[3]!)) {
        return check.link(rest[3]!.slice("netkit-loss-".length), ns);
      }
      return vxlanFilterProblem(rest, check); // a sandboxed part's filter, in its sandbox
    case "rmdir":
      return rest.length === 1 ? check.path(rest[0]) : NOT_NETKITS;
    case "timeout":
      return rest[1] === "pidwait" ? BY_PID_FILE : NOT_A_PROGRAM(program);
    default:
      return NOT_A_PROGRAM(program);
  }
}

/** `sysctl [-q] -w KEY=VALUE...`: keys and values a lab file may set (lib/reach.ts). */
function sysctlProblem(words: Words): string | undefined {
  const sets = words.filter((w) => w !== "-q");
  if (sets[0] !== "-w" || sets.length < 2) return NOT_NETKITS;
  for (const set of sets.slice(1)) {
    const at = set.indexOf("=");
    if (at <= 0) return NOT_NETKITS;
    const key = set.slice(0, at);
    const problem = sysctlKeyProblem(key) ?? sysctlValueProblem(key, set.slice(at + 1));
    if (problem) return problem;
  }
  return undefined;
}

/** The options of the rules netkit writes (lib/primitives/nat.ts, dhcp.ts), after the chain. */
const IPTABLES_OPTIONS: ReadonlySet<string> = new Set([
  "-s",
  "-d",
  "!",
  "-o",
  "-p",
  "--sport",
  "-m",
  "--comment",
  "-j",
  "--to-source",
  "--checksum-fill",
]);
/** A value in such a rule: an address, a network, a port, a name, a target. */
const IPTABLES_VALUE = /^[A-Za-z0-9_.:/-]+$/;

/**
 * `iptables -w -t nat|mangle -D CHAIN OPTIONS... -m comment --comment netkit:LAB ...`: deletes
 * one rule that carries the lab's mark, written with no option but those netkit's rules use.
 */
function iptablesProblem(words: Words, check: Check): string | undefined {
  if (!is(words.slice(0, 4), "-w", "-t", "*", "-D") || !["nat", "mangle"].includes(words[2]!)) {
    return NOT_NETKITS;
  }
  const [chain, ...rest] = words.slice(4);
  if (!/^[A-Z]+$/.test(chain ?? "")) return NOT_NETKITS;
  const foreign = rest.find((w) =>
    w.startsWith("-") ? !IPTABLES_OPTIONS.has(w) : w !== "!" && !IPTABLES_VALUE.test(w)
  );
  if (foreign !== undefined) return `${JSON.stringify(printable(foreign))}: ${NOT_NETKITS}`;
  const at = rest.findIndex((w, i) => w === "--comment" && rest[i - 1] === "comment");
  const mark = /^netkit:(.*)$/.exec(rest[at + 1] ?? "");
  if (at < 0 || !mark) return "not a rule marked netkit:LAB";
  return check.mark(mark[1]);
}

/** The OVS row UUIDs netkit makes (lib/ovs/ids.ts). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `ovs-vsctl` commands (separated by `--`), each one of the table's; `destroy qos UUID` only
 * after `clear port PORT qos` (see {@link qosRowProblem}).
 */
function vsctlProblem(words: Words, check: Check): string | undefined {
  const commands: string[][] = [[]];
  for (const w of words) w === "--" ? commands.push([]) : commands.at(-1)!.push(w);
  /** The port whose QoS an earlier command of this transaction clears. */
  let clearedQos: string | undefined;
  for (const command of commands) {
    const c = command[0] === "--if-exists" ? command.slice(1) : command;
    if (c.length === 0) continue;
    const problem = is(c, "destroy", "qos", "*")
      ? qosRowProblem(c[2]!, clearedQos, check)
      : vsctlCommandProblem(c, check);
    if (problem !== undefined) return problem;
    if (is(c, "clear", "port", "*", "qos")) clearedQos = c[2];
  }
  return undefined;
}

/**
 * `destroy qos UUID` after `clear port PORT qos` (lib/primitives/ovs_qos.ts): UUID must be the
 * one netkit derives for PORT, already checked as the lab's, and one of the lab's marks
 * (`labUuid(MARK, "qos", PORT)`, lib/ovs/ids.ts), so no other QoS row can be named. The mark is
 * not in the command, so a script's step cannot add one here: its QoS rows carry the lab's name
 * or a mark its other steps recorded.
 */
function qosRowProblem(uuid: string, port: string | undefined, check: Check): string | undefined {
  if (port === undefined) return "destroy qos without clearing the lab's port's qos first";
  for (const mark of check.scope.marks) if (labUuid(mark, "qos", port) === uuid) return undefined;
  return `${JSON.stringify(printable(uuid))} is not the QoS row of port ${
    JSON.stringify(port)
  } of lab ${check.scope.lab}`;
}

function vsctlCommandProblem(c: Words, check: Check): string | undefined {
  if (is(c, "del-port", "*", "*")) return check.ovs(c[1]) ?? check.ovs(c[2]);
  if (is(c, "del-br", "*")) return check.ovs(c[1]);
  if (is(c, "set", "port", "*", "*") && /^tag=\d{1,4}$/.test(c[3]!)) return check.ovs(c[2]);
  if (is(c, "remove", "port", "*", "tag", "*") && /^\d{1,4}$/.test(c[4]!)) return check.ovs(c[2]);
  if (is(c, "clear", "port", "*", "*") && (c[3] === "tag" || c[3] === "qos")) {
    return check.ovs(c[2]);
  }
  if (is(c, "remove", "bridge", "*", "mirrors", "*") && UUID.test(c[4]!)) return check.ovs(c[2]);
  return NOT_NETKITS;
}

/** `ovs-ofctl del-flows unix:RUNDIR/BR.mgmt cookie=0xMARKNNNNNNNN/-1`: one flow of the lab's. */
function ofctlProblem(words: Words, check: Check): string | undefined {
  const { ovsRunDir, cookieMark } = check.scope;
  if (!is(words, "del-flows", "*", "*") || ovsRunDir === undefined) return NOT_NETKITS;
  const socket = /^unix:(.*)\/([^/]+)\.mgmt$/.exec(words[1]!);
  if (!socket || socket[1] !== ovsRunDir) return "not a bridge socket of the lab's OVS";
  const cookie = /^cookie=0x([0-9a-f]{8})[0-9a-f]{8}\/-1$/.exec(words[2]!);
  if (!cookie || cookieMark === undefined || cookie[1] !== cookieMark) {
    return "not a flow cookie of the lab";
  }
  return check.ovs(socket[2]);
}
