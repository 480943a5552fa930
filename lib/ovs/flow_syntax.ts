/**
 * The OpenFlow flows a lab file may hold, checked before anything runs. A flow reaches
 * `ovs-ofctl add-flow` as one argv word, so no shell ever sees it; still, a lab file is untrusted,
 * and `ovs-ofctl` is lenient in ways that hurt: it reads a word that starts with `-` as an option,
 * silently drops a field whose protocol is missing (`nw_src=10.0.0.1,actions=drop` becomes
 * "drop every packet"), and takes `10.0.0.300` for `10.0.0.44`. So netkit accepts a strict subset,
 * written `FIELD=VALUE,…,actions=ACTION,…` without spaces:
 *
 * - **Flow settings**: `priority=0..65535`, `table=0..254`. `cookie` is netkit's own (it marks the
 *   lab's flows, see lib/ovs/ids.ts); timeouts and flags are refused.
 * - **Match**: one protocol word (`ip`, `icmp`, `tcp`, `udp`, `sctp`, `arp`, `rarp`, `ipv6`,
 *   `icmp6`, `tcp6`, `udp6`, `sctp6`), then `in_port`, `dl_src`, `dl_dst`, `dl_type`, `dl_vlan`,
 *   `dl_vlan_pcp`, `nw_src`, `nw_dst`, `nw_proto`, `nw_tos`, `ip_dscp`, `nw_ecn`, `nw_ttl`,
 *   `tp_src`, `tp_dst`, `icmp_type`, `icmp_code`, `arp_spa`, `arp_tpa`, `arp_sha`, `arp_tha`,
 *   `arp_op`, `ipv6_src`, `ipv6_dst`. A field that needs a protocol (IPv4 fields need an IPv4
 *   protocol, ports need tcp/udp/sctp, ...) must have it.
 * - **Actions**: `drop` (alone), `NORMAL`, `FLOOD`, `ALL`, `IN_PORT`, `output:PORT` (or a bare
 *   port name), `mod_vlan_vid`, `mod_vlan_pcp`, `strip_vlan`, `push_vlan`, `pop_vlan`,
 *   `mod_dl_src`, `mod_dl_dst`, `mod_nw_src`, `mod_nw_dst`, `mod_nw_tos`, `mod_nw_ttl`,
 *   `mod_tp_src`, `mod_tp_dst`, `dec_ttl`, `resubmit(,TABLE)`. An action that rewrites a
 *   header needs that header's protocol in the match.
 *
 * What could reach outside the lab is refused, each with its reason: `controller` (packets to an
 * OpenFlow controller; a lab has none), `LOCAL` as an output (the bridge's own interface, in the
 * host's namespace), `learn` (it adds flows without the lab's cookie, which `down` could not find),
 * `sample` (to a collector), `enqueue`/`set_queue`/`meter`/`group` (objects the lab does not make),
 * `ct` (connection tracking). Ports are named, never numbered, and must be ports of the flow's own
 * bridge in the lab: every port of a lab's bridge is the lab's own, so a flow cannot send a packet
 * anywhere the lab does not own.
 *
 * @module
 */
import ipaddr from "../deps/ipaddr.ts";
import { UsageError } from "../errors.ts";

/** The longest flow netkit accepts, in characters. */
const MAX_FLOW_CHARS = 512;

/** A flow that netkit refuses; the message says which part and why. */
export class FlowSyntaxError extends UsageError {
  constructor(readonly flow: string, readonly reason: string) {
    super(`Invalid OpenFlow flow ${JSON.stringify(flow)}: ${reason}`);
    this.name = "FlowSyntaxError";
  }
}

/** Options for {@link parseFlow}. */
interface ParseFlowOptions {
  /**
   * The interface names of the bridge's ports that the flow may name (`in_port=`, `output:`).
   * @default undefined (any valid interface name; reserved words and numbers are still refused)
   */
  ports?: ReadonlySet<string> | undefined;
  /** The bridge, for messages. @default "the bridge" */
  bridge?: string | undefined;
}

/** A checked flow, split into its parts. */
export interface ParsedFlow {
  /** The OpenFlow table. @default 0 */
  table: number;
  /** The priority. @default 32768 (OpenFlow's default) */
  priority: number;
  /** The match, one `field` or `field=value` per entry, as written (priority and table left out). */
  match: string[];
  /** The actions, as written. */
  actions: string[];
  /** The ports the flow names (`in_port`, outputs). */
  ports: string[];
}

type Family = "ip" | "ipv6" | "arp";
type L4 = "tcp" | "udp" | "sctp" | "icmp" | "icmp6" | undefined;

const PROTOCOLS: Record<string, { family: Family; l4: L4 }> = {
  ip: { family: "ip", l4: undefined },
  icmp: { family: "ip", l4: "icmp" },
  tcp: { family: "ip", l4: "tcp" },
  udp: { family: "ip", l4: "udp" },
  sctp: { family: "ip", l4: "sctp" },
  arp: { family: "arp", l4: undefined },
  rarp: { family: "arp", l4: undefined },
  ipv6: { family: "ipv6", l4: undefined },
  icmp6: { family: "ipv6", l4: "icmp6" },
  tcp6: { family: "ipv6", l4: "tcp" },
  udp6: { family: "ipv6", l4: "udp" },
  sctp6: { family: "ipv6", l4: "sctp" },
};

/** Reserved OpenFlow port words: ovs-ofctl reads them before port names. */
const RESERVED = new Set([
  "local",
  "controller",
  "normal",
  "flood",
  "all",
  "in_port",
  "table",
  "none",
  "any",
  "unset",
]);

const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
const NUMBER = /^(0x[0-9a-fA-F]+|\d+)$/;
const IFNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

const toNumber = (s: string) => (NUMBER.test(s) ? Number(s) : NaN);

function inRange(value: string, min: number, max: number): boolean {
  const n = toNumber(value);
  return Number.isInteger(n) && n >= min && n <= max;
}

function isIpv4(value: string): boolean {
  const [addr = "", mask, extra] = value.split("/");
  if (extra !== undefined || !ipaddr.IPv4.isValidFourPartDecimal(addr)) return false;
  if (mask === undefined) return true;
  if (/^\d{1,2}$/.test(mask)) return Number(mask) <= 32;
  return ipaddr.IPv4.isValidFourPartDecimal(mask);
}

function isIpv6(value: string): boolean {
  const [addr = "", prefix, extra] = value.split("/");
  if (extra !== undefined || !ipaddr.IPv6.isValid(addr) || addr.includes("%")) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= 128);
}

function isMac(value: string): boolean {
  const [addr = "", mask, extra] = value.split("/");
  return extra === undefined && MAC.test(addr) && (mask === undefined || MAC.test(mask));
}

/** A port number with an optional `/0xMASK` (tp_src, tp_dst). */
function isL4Port(value: string): boolean {
  const [port = "", mask, extra] = value.split("/");
  return extra === undefined && inRange(port, 0, 65535) &&
    (mask === undefined || inRange(mask, 0, 65535));
}

interface FieldRule {
  /** Checks the value; returns a description of what was expected when it does not pass. */
  value: (v: string) => boolean;
  expected: string;
  /** The protocol the field needs, checked against the flow's protocol word. */
  needs?: (family: Family | undefined, l4: L4) => boolean;
  needsText?: string;
}

const FIELDS: Record<string, FieldRule> = {
  dl_src: { value: isMac, expected: "a MAC address (with an optional /MASK)" },
  dl_dst: { value: isMac, expected: "a MAC address (with an optional /MASK)" },
  dl_type: { value: (v) => inRange(v, 0x600, 0xffff), expected: "an EtherType such as 0x0800" },
  dl_vlan: { value: (v) => inRange(v, 0, 4095) || v === "0xffff", expected: "a VLAN id 0-4095" },
  dl_vlan_pcp: { value: (v) => inRange(v, 0, 7), expected: "a priority 0-7" },
  nw_src: {
    value: isIpv4,
    expected: "an IPv4 address with an optional /PREFIX",
    needs: (f) => f === "ip" || f === "arp",
    needsText: "an IPv4 or ARP protocol (ip, icmp, tcp, udp, sctp, arp)",
  },
  nw_dst: {
    value: isIpv4,
    expected: "an IPv4 address with an optional /PREFIX",
    needs: (f) => f === "ip" || f === "arp",
    needsText: "an IPv4 or ARP protocol (ip, icmp, tcp, udp, sctp, arp)",
  },
  nw_proto: {
    value: (v) => inRange(v, 0, 255),
    expected: "a protocol number 0-255",
    needs: (f, l4) => (f === "ip" || f === "ipv6") && l4 === undefined,
    needsText: "ip or ipv6 (and no tcp/udp/icmp word, which sets it already)",
  },
  nw_tos: {
    value: (v) => inRange(v, 0, 255) && toNumber(v) % 4 === 0,
    expected: "a multiple of 4 from 0 to 252",
    needs: (f) => f === "ip" || f === "ipv6",
    needsText: "an IP protocol",
  },
  ip_dscp: {
    value: (v) => inRange(v, 0, 63),
    expected: "a DSCP value 0-63",
    needs: (f) => f === "ip" || f === "ipv6",
    needsText: "an IP protocol",
  },
  nw_ecn: {
    value: (v) => inRange(v, 0, 3),
    expected: "an ECN value 0-3",
    needs: (f) => f === "ip" || f === "ipv6",
    needsText: "an IP protocol",
  },
  nw_ttl: {
    value: (v) => inRange(v, 0, 255),
    expected: "a TTL 0-255",
    needs: (f) => f === "ip" || f === "ipv6",
    needsText: "an IP protocol",
  },
  tp_src: {
    value: isL4Port,
    expected: "a port 0-65535 (with an optional /MASK)",
    needs: (_, l4) => l4 === "tcp" || l4 === "udp" || l4 === "sctp",
    needsText: "tcp, udp or sctp",
  },
  tp_dst: {
    value: isL4Port,
    expected: "a port 0-65535 (with an optional /MASK)",
    needs: (_, l4) => l4 === "tcp" || l4 === "udp" || l4 === "sctp",
    needsText: "tcp, udp or sctp",
  },
  icmp_type: {
    value: (v) => inRange(v, 0, 255),
    expected: "an ICMP type 0-255",
    needs: (_, l4) => l4 === "icmp" || l4 === "icmp6",
    needsText: "icmp or icmp6",
  },
  icmp_code: {
    value: (v) => inRange(v, 0, 255),
    expected: "an ICMP code 0-255",
    needs: (_, l4) => l4 === "icmp" || l4 === "icmp6",
    needsText: "icmp or icmp6",
  },
  arp_spa: {
    value: isIpv4,
    expected: "an IPv4 address",
    needs: (f) => f === "arp",
    needsText: "arp or rarp",
  },
  arp_tpa: {
    value: isIpv4,
    expected: "an IPv4 address",
    needs: (f) => f === "arp",
    needsText: "arp or rarp",
  },
  arp_sha: { value: isMac, expected: "a MAC address", needs: (f) => f === "arp", needsText: "arp" },
  arp_tha: { value: isMac, expected: "a MAC address", needs: (f) => f === "arp", needsText: "arp" },
  arp_op: {
    value: (v) => inRange(v, 0, 65535),
    expected: "an ARP opcode",
    needs: (f) => f === "arp",
    needsText: "arp or rarp",
  },
  ipv6_src: {
    value: isIpv6,
    expected: "an IPv6 address with an optional /PREFIX",
    needs: (f) => f === "ipv6",
    needsText: "an IPv6 protocol (ipv6, icmp6, tcp6, udp6, sctp6)",
  },
  ipv6_dst: {
    value: isIpv6,
    expected: "an IPv6 address with an optional /PREFIX",
    needs: (f) => f === "ipv6",
    needsText: "an IPv6 protocol (ipv6, icmp6, tcp6, udp6, sctp6)",
  },
};
const IPV4_ACTION = {
  expected: "an IPv4 address",
  needs: (f: Family | undefined) => f === "ip",
  needsText: "an IPv4 protocol (ip, icmp, tcp, udp, sctp)",
};
const IP_ACTION = {
  needs: (f: Family | undefined) => f === "ip" || f === "ipv6",
  needsText: "an IP protocol",
};
const L4_ACTION = {
  expected: "a port 0-65535",
  needs: (_: Family | undefined, l4: L4) => l4 === "tcp" || l4 === "udp" || l4 === "sctp",
  needsText: "tcp, udp or sctp",
};

/** Actions that take a value after `:`, with the check of that value. */
const VALUE_ACTIONS: Record<string, FieldRule> = {
  mod_vlan_vid: { value: (v) => inRange(v, 1, 4095), expected: "a VLAN id 1-4095" },
  mod_vlan_pcp: { value: (v) => inRange(v, 0, 7), expected: "a priority 0-7" },
  push_vlan: { value: (v) => v === "0x8100" || v === "0x88a8", expected: "0x8100 or 0x88a8" },
  mod_dl_src: { value: (v) => MAC.test(v), expected: "a MAC address" },
  mod_dl_dst: { value: (v) => MAC.test(v), expected: "a MAC address" },
  mod_nw_src: { ...IPV4_ACTION, value: (v) => ipaddr.IPv4.isValidFourPartDecimal(v) },
  mod_nw_dst: { ...IPV4_ACTION, value: (v) => ipaddr.IPv4.isValidFourPartDecimal(v) },
  mod_nw_tos: {
    ...IP_ACTION,
    value: (v) => inRange(v, 0, 255) && toNumber(v) % 4 === 0,
    expected: "a multiple of 4 from 0 to 252",
  },
  mod_nw_ttl: { ...IP_ACTION, value: (v) => inRange(v, 0, 255), expected: "a TTL 0-255" },
  mod_tp_src: { ...L4_ACTION, value: (v) => inRange(v, 0, 65535) },
  mod_tp_dst: { ...L4_ACTION, value: (v) => inRange(v, 0, 65535) },
};

const PLAIN_ACTIONS = new Set(["normal", "flood", "all", "in_port", "strip_vlan", "pop_vlan"]);
const PLAIN_ACTIONS_CASED = new Set(["dec_ttl"]);

/** Actions that reach outside the lab, or objects it does not make: the reason for each. */
const REFUSED_ACTIONS: Record<string, string> = {
  controller:
    "it sends packets to an OpenFlow controller, outside the lab (netkit's bridges have none)",
  local: "LOCAL is the bridge's own interface, in the host's namespace: outside the lab",
  learn: "it adds flows without the lab's cookie, which down could not find and remove",
  sample: "it sends packet samples to a collector outside the lab",
  enqueue: "it needs QoS queues the lab does not make",
  set_queue: "it needs QoS queues the lab does not make",
  meter: "it needs an OpenFlow meter the lab does not make",
  group: "it needs an OpenFlow group the lab does not make",
  ct: "connection tracking is not part of netkit's flow subset",
};

const ALLOWED_FIELDS = `priority, table, a protocol word (${
  Object.keys(PROTOCOLS).join(", ")
}), in_port, ${Object.keys(FIELDS).join(", ")}`;
const ALLOWED_ACTIONS = "drop, NORMAL, FLOOD, ALL, IN_PORT, output:PORT, " +
  `${Object.keys(VALUE_ACTIONS).map((a) => `${a}:…`).join(", ")}, strip_vlan, pop_vlan, dec_ttl, ` +
  "resubmit(,TABLE)";

/**
 * The entry named `key` of one of the tables above. A name from a lab file is data: `constructor`
 * or `toString` is no entry, whatever a plain object inherits.
 */
function entry<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Splits on commas outside parentheses. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) parts.push(text.slice(start, i)), start = i + 1;
    if (depth < 0) return [];
  }
  parts.push(text.slice(start));
  return depth === 0 ? parts : [];
}

/** What the readers of one flow share: the flow read so far, and how to refuse it. */
interface FlowState {
  options: ParseFlowOptions;
  /** Throws the {@link FlowSyntaxError} for this flow. */
  fail: (reason: string) => never;
  table: number;
  priority: number;
  /** The protocol the match names (its word, or `dl_type`). */
  family: Family | undefined;
  l4: L4;
  /** The `dl_type` value, which stands for a protocol word. */
  dlType: number | undefined;
  match: string[];
  ports: string[];
}

/** The flow settings, and the match fields that are not {@link FIELDS}: what each one reads. */
const MATCH_SETTINGS: Record<string, (flow: FlowState, value: string, token: string) => void> = {
  priority: (flow, value) => {
    if (!inRange(value, 0, 65535)) flow.fail(`priority=${value}: a priority is 0 to 65535`);
    flow.priority = toNumber(value);
  },
  table: (flow, value) => {
    if (!inRange(value, 0, 254)) flow.fail(`table=${value}: a table is 0 to 254`);
    flow.table = toNumber(value);
  },
  cookie: (flow) => flow.fail("the cookie is netkit's own: it marks the lab's flows"),
  in_port: (flow, value, token) => {
    readPort(flow, value, "in_port");
    flow.match.push(token);
  },
};

/** The protocol each `dl_type` stands for (others: none). */
const DL_TYPE_FAMILY: ReadonlyMap<number, Family> = new Map([
  [0x0800, "ip"],
  [0x86dd, "ipv6"],
  [0x0806, "arp"],
  [0x8035, "arp"],
]);

/**
 * One kind of action: returns true when `action` is of its kind (and passes, or it throws),
 * false to leave it to the next reader.
 */
type ActionReader = (flow: FlowState, action: string, actions: readonly string[]) => boolean;

/** The kinds of action, in the order they are tried: the first that reads an action takes it. */
const ACTION_READERS: readonly ActionReader[] = [
  readDrop,
  readRefusedAction,
  readPlainAction,
  readOutput,
  readResubmit,
  readValueAction,
  readBarePort,
];

/**
 * Checks one flow against netkit's subset (see the module doc) and splits it into its parts.
 *
 * @param text The flow as written in the lab, e.g. `priority=100,icmp,nw_src=10.0.0.1,actions=drop`.
 * @param options The bridge's ports the flow may name.
 * @returns The parsed flow.
 * @throws {FlowSyntaxError} Saying which part is refused and why (a {@link UsageError}: exit 2).
 * @example
 * ```ts
 * import { parseFlow } from "./flow_syntax.ts";
 * parseFlow("priority=100,icmp,nw_src=10.0.0.1,actions=drop").priority; // 100
 * ```
 */
export function parseFlow(text: string, options: ParseFlowOptions = {}): ParsedFlow {
  const fail = (reason: string): never => {
    throw new FlowSyntaxError(String(text), reason);
  };
  checkFlowText(text, fail);
  const at = text.startsWith("actions=") ? 0 : text.indexOf(",actions=") + 1;
  if (at === 0 && !text.startsWith("actions=")) {
    fail('it has no "actions=" (write the match, then ",actions=…" last)');
  }
  const flow: FlowState = {
    options,
    fail,
    table: 0,
    priority: 32768,
    family: undefined,
    l4: undefined,
    dlType: undefined,
    match: [],
    ports: [],
  };
  readMatch(flow, text.slice(0, Math.max(0, at - 1)));
  settleProtocol(flow);
  checkFieldNeeds(flow);
  const actions = readActions(flow, text.slice(at + "actions=".length));
  const { table, priority, match, ports } = flow;
  return { table, priority, match, actions, ports };
}

/** The flow as a whole: a string, not too long, not an option, only the characters flows use. */
function checkFlowText(text: string, fail: (reason: string) => never): void {
  if (typeof text !== "string" || text.length === 0) fail("a flow is a non-empty string");
  if (text.length > MAX_FLOW_CHARS) {
    fail(`it is ${text.length} characters; a flow is at most ${MAX_FLOW_CHARS}`);
  }
  if (text.startsWith("-")) fail('a flow cannot start with "-" (ovs-ofctl would read an option)');
  const bad = /[^A-Za-z0-9_=,.:/()+-]/.exec(text);
  if (bad) {
    fail(
      `character ${JSON.stringify(bad[0])} is not allowed (a flow is FIELD=VALUE,…,actions=…: ` +
        "letters, digits and _ = , . : / ( ) + -, no spaces)",
    );
  }
}

/** A port the flow names (`in_port=`, `output:`): by name, never a number or reserved word. */
function readPort(flow: FlowState, name: string, what: string): void {
  const { options, fail } = flow;
  if (NUMBER.test(name)) {
    fail(
      `${what} ${name}: name the port instead (numbers depend on the order OVS added ports)`,
    );
  }
  if (RESERVED.has(name.toLowerCase())) {
    fail(`${what} "${name}": ovs-ofctl reads it as a reserved port, not as a port of the lab`);
  }
  if (!IFNAME.test(name)) fail(`${what} "${name}" is not an interface name`);
  if (options.ports && !options.ports.has(name)) {
    const where = options.bridge === undefined ? "the bridge" : `bridge "${options.bridge}"`;
    fail(
      `${what} "${name}" is not a port of ${where} in this lab (its ports: ${
        [...options.ports].sort().join(", ") || "none"
      })`,
    );
  }
  flow.ports.push(name);
}

/** The match: comma-separated protocol words and `field=value`s, each at most once. */
function readMatch(flow: FlowState, matchText: string): void {
  const seen = new Set<string>();
  const tokens = matchText === "" ? [] : matchText.split(",");
  for (const token of tokens) {
    if (token === "") flow.fail("an empty field (two commas in a row)");
    const eq = token.indexOf("=");
    const key = eq < 0 ? token : token.slice(0, eq);
    if (seen.has(key)) flow.fail(`"${key}" appears twice`);
    seen.add(key);
    if (eq < 0) readProtocolWord(flow, key);
    else if (Object.hasOwn(MATCH_SETTINGS, key)) {
      MATCH_SETTINGS[key]!(flow, token.slice(eq + 1), token);
    } else readField(flow, key, token.slice(eq + 1), token);
  }
}

/** A word without `=`: the flow's one protocol (see {@link PROTOCOLS}). */
function readProtocolWord(flow: FlowState, word: string): void {
  const proto = entry(PROTOCOLS, word);
  if (!proto) {
    flow.fail(`unknown match word "${word}" (netkit allows: ${ALLOWED_FIELDS})`);
  }
  if (flow.family !== undefined) flow.fail(`"${word}": a flow names one protocol`);
  flow.family = proto!.family, flow.l4 = proto!.l4;
  flow.match.push(word);
}

/** A match field of {@link FIELDS}, with its value checked. */
function readField(flow: FlowState, key: string, value: string, token: string): void {
  const rule = entry(FIELDS, key);
  if (!rule) {
    flow.fail(`unknown or unsupported match field "${key}" (netkit allows: ${ALLOWED_FIELDS})`);
  }
  if (!rule!.value(value)) flow.fail(`${key}=${value}: expected ${rule!.expected}`);
  if (key === "dl_type") flow.dlType = toNumber(value);
  flow.match.push(token);
}

/** A `dl_type` stands for the protocol word, so the flow has one or the other. */
function settleProtocol(flow: FlowState): void {
  if (flow.dlType === undefined) return;
  if (flow.family !== undefined) flow.fail('"dl_type" and a protocol word together: use one');
  flow.family = DL_TYPE_FAMILY.get(flow.dlType);
}

/** Every field that needs a protocol has it (else ovs-ofctl would drop the field silently). */
function checkFieldNeeds(flow: FlowState): void {
  for (const token of flow.match) {
    const key = token.split("=")[0]!;
    const rule = entry(FIELDS, key);
    if (rule?.needs && !rule.needs(flow.family, flow.l4)) {
      flow.fail(
        `"${key}" needs ${rule.needsText} before it in the match: without one, ovs-ofctl drops ` +
          "the field and the flow matches far more than written",
      );
    }
  }
}

/** The actions: each one read by the first of {@link ACTION_READERS} that knows its kind. */
function readActions(flow: FlowState, actionText: string): string[] {
  if (actionText === "") flow.fail('"actions=" is empty (use actions=drop to drop)');
  const actions = splitTop(actionText);
  if (actions.length === 0) flow.fail("unbalanced parentheses in the actions");
  for (const action of actions) {
    if (action === "") flow.fail("an empty action (two commas in a row)");
    if (!ACTION_READERS.some((read) => read(flow, action, actions))) {
      flow.fail(`unknown or unsupported action "${action}" (netkit allows: ${ALLOWED_ACTIONS})`);
    }
  }
  return actions;
}

/** `drop`, which must be alone. */
function readDrop(flow: FlowState, action: string, actions: readonly string[]): boolean {
  if (action !== "drop") return false;
  if (actions.length > 1) flow.fail('"drop" must be the only action');
  return true;
}

/** What reaches outside the lab ({@link REFUSED_ACTIONS}): refused, with the reason. */
function readRefusedAction(flow: FlowState, action: string): boolean {
  const lower = action.toLowerCase();
  const head = lower.split(/[:(=]/)[0]!;
  if (lower === "output:local" || head === "local") {
    flow.fail(`${action}: ${REFUSED_ACTIONS.local}`);
  }
  const refused = entry(REFUSED_ACTIONS, head);
  if (refused) flow.fail(`action "${action}" is refused: ${refused}`);
  return false;
}

/** An action without a value (`NORMAL`, `strip_vlan`, `dec_ttl`, ...). */
function readPlainAction(_flow: FlowState, action: string): boolean {
  return PLAIN_ACTIONS.has(action.toLowerCase()) || PLAIN_ACTIONS_CASED.has(action);
}

/** `output:PORT`, a port of the bridge. */
function readOutput(flow: FlowState, action: string): boolean {
  if (!action.toLowerCase().startsWith("output:")) return false;
  readPort(flow, action.slice("output:".length), "output");
  return true;
}

/** `resubmit(,TABLE)`. */
function readResubmit(flow: FlowState, action: string): boolean {
  const resubmit = /^resubmit\(,(\d+)\)$/.exec(action);
  if (!resubmit) return false;
  if (!inRange(resubmit[1]!, 0, 254)) flow.fail(`${action}: a table is 0 to 254`);
  return true;
}

/** `NAME:VALUE` of {@link VALUE_ACTIONS}, its value checked and its protocol in the match. */
function readValueAction(flow: FlowState, action: string): boolean {
  const colon = action.indexOf(":");
  if (colon <= 0) return false;
  const rule = entry(VALUE_ACTIONS, action.slice(0, colon));
  if (!rule) {
    flow.fail(`unknown or unsupported action "${action}" (netkit allows: ${ALLOWED_ACTIONS})`);
  }
  const value = action.slice(colon + 1);
  if (!rule!.value(value)) flow.fail(`${action}: expected ${rule!.expected}`);
  if (rule!.needs && !rule!.needs(flow.family, flow.l4)) {
    flow.fail(`"${action}" needs ${rule!.needsText} in the match`);
  }
  return true;
}

/** A bare port name of the bridge, which outputs to it. */
function readBarePort(flow: FlowState, action: string): boolean {
  if (!IFNAME.test(action) || /[()=]/.test(action) || !flow.options.ports?.has(action)) {
    return false;
  }
  flow.ports.push(action);
  return true;
}

/** The match of a flow as a canonical key: its fields sorted (priority and table left out). */
export function matchKey(fields: readonly string[]): string {
  return [...fields].sort().join(",");
}
