/**
 * FRR configuration written by someone else (a lab's `routing.config`, a containerlab node's bound
 * `frr.conf`), checked line by line before any FRR daemon reads it, and split into the files of
 * the daemons netkit runs (zebra, ospfd, ospf6d, bgpd: lib/primitives/frr.ts).
 *
 * The configuration is untrusted input. FRR's configuration language can write files
 * (`log file PATH`, `debug ... `, `write`), talk to the host (`log syslog`, `agentx`), hold
 * secrets (`password`) or open a vty to the network (`line vty` with settings), so netkit takes
 * only routing and interface configuration, from an allow-list: every line must match one of
 * the forms below in its section, every word must be plain (letters, digits, `.:_-,+`, or a
 * prefix such as `10.0.0.0/24`: no path, no quote, no shell character), and anything else is
 * refused naming its line. `!` comments and blank lines are dropped.
 *
 * | section                       | lines taken                                                  |
 * | ----------------------------- | ------------------------------------------------------------ |
 * | top level                     | `frr version`, `frr defaults`, `hostname`, `[no] ip(v6) forwarding`, `log stdout [LEVEL]`, `service integrated-vtysh-config` (dropped), `ip prefix-list`, `ipv6 prefix-list`, `bgp as-path access-list`, `ip as-path access-list`, `route-map NAME (permit\|deny) N` (a section), `line vty` (only with nothing in it; dropped) |
 * | `interface IF`                | `ip address`, `ipv6 address`, `description`, `[no] shutdown`, `[no] link-detect`, `ip ospf ...`, `ipv6 ospf6 ...`, `bandwidth` |
 * | `router ospf`                 | `[ospf] router-id`, `network P area A`, `[no] passive-interface`, `area ...`, `redistribute ...`, `default-information ...`, `timers ...`, `auto-cost ...`, `log-adjacency-changes`, `maximum-paths`, `distance` |
 * | `router ospf6`                | the same, `ospf6 router-id`, `interface IF area A`           |
 * | `router bgp ASN`              | `bgp ...`, `no bgp ...`, `neighbor ...` (no password), `network`, `redistribute`, `timers bgp`, `maximum-paths`, `address-family ...`/`exit-address-family`, `aggregate-address`, `distance` |
 * | `route-map`                   | `match ...`, `set ...`, `on-match ...`, `description`        |
 *
 * @module
 */
import { type FrrDaemon, frrDaemon, frrSetup } from "../primitives/frr.ts";
import type { Step } from "../plan/step.ts";
import { ifnameProblem } from "../reach.ts";

/** A problem of one line (1-based) of an FRR configuration. */
interface FrrLineProblem {
  /** The line number, from 1. */
  line: number;
  /** The line as written (trimmed). */
  text: string;
  /** Why it is refused. */
  message: string;
}

/** An FRR configuration, checked and split per daemon. */
interface FrrConfigSplit {
  /** Each daemon's configuration file; zebra's always. */
  configs: Partial<Record<FrrDaemon, string>>;
  /** The lines refused. */
  problems: FrrLineProblem[];
  /** `interface IF` + `ip address CIDR` pairs (IPv4 and IPv6), in order. */
  addresses: { iface: string; cidr: string; line: number }[];
}

/** The most bytes of configuration read. */
export const FRR_CONFIG_MAX_BYTES = 65_536;

type Section = "top" | "interface" | "ospf" | "ospf6" | "bgp" | "route-map" | "line";

/** A plain word: no path, quote, or shell character; a `/` only in a prefix. */
const WORD = /^[A-Za-z0-9_.:,+-]+$/;
const PREFIX = /^[0-9A-Fa-f.:]+\/\d{1,3}$/;
const plain = (w: string) => WORD.test(w) || PREFIX.test(w);

/** FRR's log levels. */
const LOG_LEVELS =
  "emergencies|alerts|critical|errors|warnings|notifications|informational|debugging";
/**
 * The one log line taken: `log stdout [LEVEL]`, the daemon's standard output. Every other `log`
 * line is refused ({@link REFUSED}): `log file PATH` writes a file, `log syslog` talks to the
 * host, and the rest (`log monitor`, `log facility`, `log record-priority`, ...) are left to
 * FRR's defaults.
 */
const LOG_STDOUT = new RegExp(`^log stdout( (${LOG_LEVELS}))?$`);

/** Each section's allowed lines: a pattern on the line, and the daemon(s) that read it. */
const FORMS: Record<Section, [RegExp, FrrDaemon[]][]> = {
  top: [
    [/^frr (version|defaults) \S+$/, ["zebra", "ospfd", "ospf6d", "bgpd"]],
    [/^hostname \S+$/, ["zebra", "ospfd", "ospf6d", "bgpd"]],
    [/^(no )?(ip|ipv6) forwarding$/, ["zebra"]],
    [LOG_STDOUT, ["zebra", "ospfd", "ospf6d", "bgpd"]],
    [/^ip prefix-list .+$/, ["ospfd", "bgpd"]],
    [/^ipv6 prefix-list .+$/, ["ospf6d", "bgpd"]],
    [/^(bgp|ip) as-path access-list .+$/, ["bgpd"]],
  ],
  interface: [
    [/^(ip|ipv6) address \S+$/, ["zebra"]],
    [/^description( .*)?$/, ["zebra"]],
    [/^(no )?(shutdown|link-detect)$/, ["zebra"]],
    [/^bandwidth \d+$/, ["zebra"]],
    [/^(no )?ip ospf .+$/, ["ospfd"]],
    [/^(no )?ipv6 ospf6 .+$/, ["ospf6d"]],
  ],
  ospf: [
    [/^(ospf )?router-id \S+$/, ["ospfd"]],
    [/^network \S+ area \S+$/, ["ospfd"]],
    [/^(no )?passive-interface \S+$/, ["ospfd"]],
    [
      /^(area|redistribute|default-information|timers|auto-cost|maximum-paths|distance) .+$/,
      ["ospfd"],
    ],
    [/^(no )?log-adjacency-changes( detail)?$/, ["ospfd"]],
  ],
  ospf6: [
    [/^(ospf6 )?router-id \S+$/, ["ospf6d"]],
    [/^interface \S+ area \S+$/, ["ospf6d"]],
    [
      /^(area|redistribute|default-information|timers|auto-cost|maximum-paths|distance) .+$/,
      ["ospf6d"],
    ],
    [/^(no )?log-adjacency-changes( detail)?$/, ["ospf6d"]],
  ],
  bgp: [
    [/^(no )?bgp .+$/, ["bgpd"]],
    [/^(no )?neighbor .+$/, ["bgpd"]],
    [/^(network|redistribute|aggregate-address|maximum-paths|distance) .+$/, ["bgpd"]],
    [/^timers bgp \d+ \d+$/, ["bgpd"]],
    [/^address-family (ipv4|ipv6|l2vpn)( \w+)?$/, ["bgpd"]],
    [/^exit-address-family$/, ["bgpd"]],
  ],
  "route-map": [
    [/^(match|set|on-match|description|call) .+$/, ["ospfd", "ospf6d", "bgpd"]],
  ],
  line: [],
};

/** What each daemon reads of a section header. */
const SECTION_OF: [RegExp, Section, FrrDaemon[]][] = [
  [/^interface \S+$/, "interface", ["zebra", "ospfd", "ospf6d"]],
  [/^router ospf$/, "ospf", ["ospfd"]],
  [/^router ospf6$/, "ospf6", ["ospf6d"]],
  [/^router bgp \d+$/, "bgp", ["bgpd"]],
  [/^route-map \S+ (permit|deny) \d+$/, "route-map", ["ospfd", "ospf6d", "bgpd"]],
  [/^line vty$/, "line", []],
];

/**
 * Why a whole kind of line is refused, by its first words. Checked before the forms (a form such
 * as `neighbor ...` would take a password), so a refusal leaves out what a form means to take.
 */
const REFUSED: [{ test(line: string): boolean }, string][] = [
  [/\bpassword\b/, "passwords are refused: a lab holds no secrets"],
  [
    /\b(authentication-key|message-digest-key)\b/,
    "authentication keys are refused: a lab holds no secrets",
  ],
  [
    { test: (line) => /^log /.test(line) && !LOG_STDOUT.test(line) },
    'only "log stdout [LEVEL]" is taken: a log file or syslog would write outside the lab',
  ],
  [/^debug /, "debug output is refused: it is written to files outside the lab"],
  [/^agentx$/, "AgentX talks to the host's SNMP daemon"],
  [/^service /, "service settings are refused (they change how FRR runs, not routing)"],
  [/^(write|copy|run|do|start-shell|script|lua) /, "a command, not configuration"],
  [
    /^(ip|ipv6) route /,
    "static routes need staticd, which netkit does not run (use routes: in the lab)",
  ],
  [/^vrf /, "VRFs need a VRF device, which netkit does not make"],
  [/^mpls /, "MPLS is not run"],
];

/** Dropped without a word: they say nothing about routing. */
const DROPPED = [/^service integrated-vtysh-config$/, /^end$/];

/** Options for {@link splitFrrConfig}. */
interface SplitFrrOptions {
  /**
   * Leaves out of zebra's file the `ip address` lines this says the lab sets itself (netkit
   * adds those addresses; zebra is not told twice).
   */
  labSets?: (iface: string, cidr: string) => boolean;
}

/**
 * Checks an FRR configuration line by line and splits it per daemon (see the module doc).
 *
 * @example
 * ```ts
 * import { splitFrrConfig } from "./frr_config.ts";
 * const s = splitFrrConfig("interface eth1\n ip ospf area 0\n!\nrouter ospf\n network 10.0.0.0/24 area 0\n");
 * s.configs.ospfd; // "interface eth1\n ip ospf area 0\n!\nrouter ospf\n network 10.0.0.0/24 area 0\n!\n"
 * ```
 */
export function splitFrrConfig(text: string, options: SplitFrrOptions = {}): FrrConfigSplit {
  const out: Record<FrrDaemon, string[]> = { zebra: [], ospfd: [], ospf6d: [], bgpd: [] };
  const problems: FrrLineProblem[] = [];
  const addresses: FrrConfigSplit["addresses"] = [];
  if (new TextEncoder().encode(text).length > FRR_CONFIG_MAX_BYTES) {
    problems.push({ line: 1, text: "", message: `more than ${FRR_CONFIG_MAX_BYTES} bytes` });
    return { configs: {}, problems, addresses };
  }
  let section: Section = "top";
  let header: { text: string; daemons: FrrDaemon[]; written: Set<FrrDaemon> } | undefined;
  let iface = "";
  const close = () => {
    for (const d of header?.written ?? []) out[d].push("!");
    header = undefined;
    section = "top";
  };
  const put = (daemons: FrrDaemon[], line: string) => {
    for (const d of daemons) {
      if (header && !header.written.has(d)) {
        out[d].push(header.text);
        header.written.add(d);
      }
      out[d].push(header ? ` ${line}` : line);
    }
  };
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    const indented = /^\s/.test(raw);
    const problem = (message: string) => problems.push({ line: i + 1, text: line, message });
    if (line === "" || line.startsWith("!") || line.startsWith("#")) {
      if (line.startsWith("!") && !indented) close();
      return;
    }
    // A control character (an escape sequence, a NUL) is refused; tabs are white space.
    // deno-lint-ignore no-control-regex
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(line)) return problem("control characters");
    if (/^(exit|exit-vrf|end)$/.test(line) && section !== "top") return close();
    if (DROPPED.some((re) => re.test(line))) return;
    const refused = REFUSED.find(([re]) => re.test(line));
    if (refused) return problem(refused[1]);
    const words = line.split(/\s+/);
    const isDescription = /^description( |$)/.test(line);
    const bad = isDescription ? undefined : words.find((w) => !plain(w));
    if (bad !== undefined) {
      return problem(
        `${JSON.stringify(bad)} is not a plain word${
          bad.includes("/") ? " (a path?)" : ""
        }: netkit takes routing and interface configuration only`,
      );
    }
    if (isDescription && /["'`$\\;|&<>]/.test(line)) return problem("quotes or shell characters");
    // A section's line, when in a section and the line is one of its forms.
    if (section !== "top") {
      if (section === "line") return problem('"line vty" is taken only with nothing in it');
      const form = FORMS[section].find(([re]) => re.test(line));
      if (form) {
        if (section === "interface" && /^(ip|ipv6) address /.test(line)) {
          addresses.push({ iface, cidr: words[2]!, line: i + 1 });
          if (options.labSets?.(iface, words[2]!)) return;
        }
        return put(form[1], line);
      }
      if (indented || section === "bgp" && /^(neighbor|address-family)/.test(line)) {
        return problem(`not taken inside "${header?.text ?? section}": ${allowedIn(section)}`);
      }
      close();
    }
    const opens = SECTION_OF.find(([re]) => re.test(line));
    if (opens) {
      section = opens[1];
      header = { text: line, daemons: opens[2], written: new Set() };
      if (section === "interface") {
        iface = words[1]!;
        const why = iface === "lo" ? undefined : ifnameProblem(iface);
        if (why) return problem(why);
      }
      return;
    }
    const form = FORMS.top.find(([re]) => re.test(line));
    if (form) return put(form[1], line);
    problem(`not routing or interface configuration netkit takes (${allowedIn("top")})`);
  });
  close();
  const configs: Partial<Record<FrrDaemon, string>> = {};
  for (const d of Object.keys(out) as FrrDaemon[]) {
    const body = out[d].filter((l) => !/^(frr |hostname |log )/.test(l));
    if (d === "zebra" || body.length > 0) configs[d] = out[d].join("\n") + "\n";
  }
  // A daemon is run for what only it reads: a section of its own or its interface lines.
  for (const d of ["ospfd", "ospf6d", "bgpd"] as const) {
    const own = out[d].some((l) => /^router /.test(l) || /^ (no )?ip(v6)? ospf6? /.test(l));
    if (!own) delete configs[d];
  }
  return { configs, problems, addresses };
}

function allowedIn(section: Section): string {
  const names: Record<Section, string> = {
    top: "hostname, interface, router ospf|ospf6|bgp, route-map, prefix-lists, forwarding",
    interface: "ip/ipv6 address, description, shutdown, ip ospf, ipv6 ospf6, bandwidth",
    ospf: "router-id, network, passive-interface, area, redistribute, timers, ...",
    ospf6: "router-id, interface IF area A, area, redistribute, timers, ...",
    bgp: "bgp, neighbor, network, redistribute, timers bgp, address-family, ...",
    "route-map": "match, set, on-match, call, description",
    line: "nothing",
  };
  return `in this section netkit takes ${names[section]}`;
}

/** The FRR daemons netkit can run beside zebra. */
const RUNNABLE = new Set(["ospfd", "ospf6d", "bgpd"]);

/** FRR's `daemons` file, read (never sourced): which daemons it turns on. */
interface FrrDaemonsFile {
  /** The daemons it turns on that netkit runs (`ospfd`, `ospf6d`, `bgpd`). */
  enabled: Set<FrrDaemon>;
  /** Daemons it turns on that netkit does not run (`ldpd=yes`). */
  notRun: string[];
  /** Lines that are not `NAME=VALUE` or a comment. */
  problems: FrrLineProblem[];
}

/**
 * Reads FRR's `daemons` file as data: `NAME=yes|no` lines turn daemons on or off; other
 * `NAME=VALUE` settings (`*_options`, `vtysh_enable`, `MAX_FDS`) are about how FRR's init script
 * starts the daemons, which netkit does itself, so they are skipped. The file is never run.
 */
export function readFrrDaemons(text: string): FrrDaemonsFile {
  const enabled = new Set<FrrDaemon>();
  const notRun: string[] = [];
  const problems: FrrLineProblem[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const m = /^([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (!m) {
      problems.push({
        line: i + 1,
        text: line,
        message: "expected NAME=VALUE (the file is read, never run)",
      });
      return;
    }
    const [, name, value] = m as unknown as [string, string, string];
    if (value !== "yes" || name === "vtysh_enable" || name === "zebra" || name === "staticd") {
      return;
    }
    if (/d$/.test(name) && !name.includes("_")) {
      if (RUNNABLE.has(name)) enabled.add(name as FrrDaemon);
      else notRun.push(name);
    }
  });
  return { enabled, notRun, problems };
}

/**
 * Why an FRR configuration (a lab's `routing.config`) is refused, naming its first bad lines, or
 * undefined when every line is taken.
 */
export function frrConfigProblem(text: string): string | undefined {
  const { problems } = splitFrrConfig(text);
  if (problems.length === 0) return undefined;
  return problems.slice(0, 3).map((p) =>
    `config line ${p.line} ${JSON.stringify(p.text)}: ${p.message}`
  )
    .join("; ");
}

/** Options for {@link frrConfigSteps}. */
interface FrrConfigStepsOptions extends SplitFrrOptions {
  /** The lab's state directory. */
  stateDir: string;
  /** The daemons to run beside zebra. @default those the configuration needs */
  daemons?: FrrDaemon[] | undefined;
}

/**
 * The steps of one FRR router run from a configuration as written (checked already: see
 * {@link frrConfigProblem}): its files, split per daemon ({@link splitFrrConfig}), zebra, then
 * each daemon that the configuration needs and `daemons` allows, the same way as netkit's own
 * routers (lib/primitives/frr.ts: a `/var` of its own, every file in the node's directory).
 *
 * @throws {TypeError} When a line is refused (validation refuses it before).
 */
export function frrConfigSteps(ns: string, config: string, options: FrrConfigStepsOptions): Step[] {
  const split = splitFrrConfig(config, options);
  if (split.problems.length) {
    throw new TypeError(`FRR configuration of ${ns} refused: ${frrConfigProblem(config)}`);
  }
  const configs = split.configs;
  for (const d of ["ospfd", "ospf6d", "bgpd"] as const) {
    if (options.daemons !== undefined && !options.daemons.includes(d)) delete configs[d];
  }
  const stateDir = options.stateDir;
  return [
    frrSetup(ns, { stateDir, configs }),
    ...(Object.keys(configs) as FrrDaemon[]).map((d) => frrDaemon(ns, d, { stateDir })),
  ];
}

/** The longest OSPF dead interval a configuration sets, else FRR's 40 s; 0 without OSPF. */
export function configDeadInterval(config: string): number {
  if (!/^router ospf6?\s*$/m.test(config)) return 0;
  const set = [...config.matchAll(/dead-interval (\d+)/g)].map((m) => Number(m[1]));
  return set.length ? Math.max(...set) : 40;
}
