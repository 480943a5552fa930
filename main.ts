/**
 * The netkit command line: every subcommand's grammar and action (read by the parser, `--help`,
 * the completion scripts and the manual page; see lib/cli/command_line.ts), and the exit codes:
 * 0 success, 1 a command or a proof failed, 2 bad input (nothing was changed on the host).
 *
 * @module
 */
import denoJson from "./deno.json" with { type: "json" };
import { ExitCode, UsageError } from "./lib/errors.ts";
import { err, out, printError } from "./lib/cli/output.ts";
import { type Host, readEnvironment, resolveHost } from "./lib/host.ts";
import { ProcessRunner } from "./lib/exec/runner.ts";
import {
  type CliCommand,
  type CliFlags,
  type CliProgram,
  CommandLineError,
  parseCommandLine,
} from "./lib/cli/command_line.ts";
import type { RecipeFlags } from "./lib/cli/recipe.ts";
import type { PartFlags } from "./lib/cli/part.ts";
import type { UpFlags } from "./lib/cli/up.ts";

const IGNORE_IMAGES =
  "containerlab topologies: build linux nodes that name an image anyway (as namespaces)";
const JSON_OPTION = { flags: "--json", description: "print the result as JSON" };
const SANDBOX_OPTION = {
  flags: "--sandbox",
  description: "build the lab inside one namespace of its own: nothing in the host's",
};
const DRY_RUN_OPTION = {
  flags: "--dry-run",
  description: "print the exact commands and change nothing",
};
const NO_CHECK_OPTION = { flags: "--no-check", description: "skip the proofs" };
const LAB_ARGUMENT = { name: "lab", description: "lab name", required: true };
/** A node's interface, the second argument of impair, link and capture. */
const INTERFACE_ARGUMENT = {
  name: "interface",
  description: "NODE:IFACE, an interface of one of the lab's nodes",
  required: true,
};
const IGNORE_IMAGES_OPTION = { flags: "--ignore-images", description: IGNORE_IMAGES };
/** The names are lib/uplink_lan.ts's UPLINK_PROTOCOLS (not imported: it would slow every start). */
const UPLINK_ALLOW_OPTION = {
  flags: "--uplink-allow <protocols>",
  description: "with --uplink: what the lab may run on the uplink's LAN, the real network " +
    "(comma-separated: dhcp, ra, ospf, bgp, proxy-arp, proxy-ndp)",
};

/** What a command's action gets: its arguments, its options, and the host (resolved once). */
interface CommandCall {
  args: string[];
  flags: CliFlags;
  /** The host context (lib/host.ts), resolved on first use. */
  host(): Host;
}

/** A subcommand: its grammar (lib/cli/command_line.ts) and its action, loaded when it runs. */
interface NetkitCommand extends CliCommand {
  run(call: CommandCall): Promise<void>;
}

/** A command's parsed options as its module's flags type (the options declared here match it). */
const as = <T>(flags: CliFlags): T => flags as unknown as T;

/**
 * Every subcommand: the one place its arguments, options, help and action are written. The
 * parser, `--help`, the completion scripts and the manual page are all made from this list.
 */
const COMMANDS: NetkitCommand[] = [
  {
    name: "recipe",
    description:
      "bring up a ready-made lab, prove it works, and show it (or: recipe list, recipe export NAME)",
    args: [
      { name: "name", description: 'recipe name, "list", or "export"', required: true },
      {
        name: "recipe",
        description: "with export: the recipe to print as a YAML lab file",
        required: false,
      },
    ],
    options: [
      {
        flags: "--prefix <prefix>",
        description: "prefix for every host-visible name (namespaces, bridges, links)",
      },
      {
        flags: "--uplink <iface>",
        description:
          "router only: a real NIC joins br-ex, its address and routes moving to br-ex (restored on down)",
      },
      {
        flags: "--ipv6",
        description: "router only: the dual-stack variant (IPv6 routed, SLAAC, DHCPv6)",
      },
      SANDBOX_OPTION,
      DRY_RUN_OPTION,
      NO_CHECK_OPTION,
      JSON_OPTION,
    ],
    helpAfter:
      "Examples:\n  netkit recipe list\n  netkit recipe ovs-internal\n  netkit recipe ovs-veth --prefix t1- --dry-run\n  netkit recipe router --sandbox\n  netkit recipe router --ipv6\n  netkit recipe export ovs-veth --prefix t1- > lab.yaml",
    run: async ({ args, flags, host }) =>
      (await import("./lib/cli/recipe.ts")).recipeCommand(
        host(),
        args[0]!,
        args[1],
        as<RecipeFlags>(flags),
      ),
  },
  {
    name: "up",
    description: "bring up the lab a YAML lab file describes, prove it works, and show it",
    args: [{
      name: "file",
      description: "lab file (YAML) or containerlab topology (.clab.yml); see examples/",
      required: true,
    }],
    options: [
      {
        flags: "--prefix <prefix>",
        description:
          "prefix for every host-visible name (lab, namespaces, bridges, root-side link ends): run two copies side by side",
      },
      {
        flags: "--uplink <iface>",
        description:
          "allow the file's bridges.NAME.uplink: IFACE, a real NIC (its addresses and routes move in)",
      },
      UPLINK_ALLOW_OPTION,
      {
        flags: "--hosts <file>",
        description:
          "multi-host labs: your inventory (YAML) of the machines that play the lab's host roles",
      },
      SANDBOX_OPTION,
      DRY_RUN_OPTION,
      NO_CHECK_OPTION,
      IGNORE_IMAGES_OPTION,
      JSON_OPTION,
    ],
    helpAfter:
      "Examples:\n  netkit up examples/labs/bridge-three.yaml\n  netkit up lab.yaml --dry-run\n  netkit up lab.yaml --sandbox\n  netkit up lab.yaml --prefix t1-\n  netkit up router.yaml --uplink ens3\n  netkit up examples/clab/routed.clab.yml --ignore-images\n  netkit up examples/labs/two-hosts.yaml --hosts hosts.yaml\n\nA lab file may place nodes on host roles (hosts: { h1: {}, h2: {} }, host: h1); the machines\nthat play them come only from --hosts FILE, never from the lab file (see docs/multi-host.md).",
    run: async ({ args, flags, host }) =>
      (await import("./lib/cli/up.ts")).upCommand(host(), args[0]!, as<UpFlags>(flags)),
  },
  {
    name: "part",
    description:
      "what a multi-host controller runs on each host over SSH (JSON; see docs/multi-host.md)",
    args: [
      {
        name: "action",
        description: "up (the part on stdin), down, status, check, vnis",
        required: true,
      },
      { name: "lab", description: "lab name", required: false },
    ],
    options: [
      {
        flags: "--tunnels <list>",
        description: "up: the part's tunnels, VNI:LOCAL:REMOTE:PORT[,...]; any other is refused",
      },
      {
        flags: "--uplinks <list>",
        description: "up: the NICs its bridges may take as uplink, NIC[,...]; any other is refused",
      },
      {
        flags: "--uplink-allow <protocols>",
        description: "up: with --uplinks, what may run on their LANs (as up's --uplink-allow)",
      },
    ],
    helpAfter:
      "Example (what `netkit status LAB` on the controller runs on each host):\n  netkit part status two-hosts",
    run: async ({ args, flags, host }) =>
      (await import("./lib/cli/part.ts")).partCommand(
        host(),
        args[0]!,
        args[1],
        as<PartFlags>(flags),
      ),
  },
  {
    name: "down",
    description: "remove a lab: everything it created, and only that",
    args: [{
      name: "lab",
      description: "lab name (as shown by status), or the lab file it came up from",
      required: true,
    }],
    options: [
      { flags: "--prefix <prefix>", description: "with a lab file: the prefix it came up with" },
      JSON_OPTION,
    ],
    helpAfter:
      "Examples:\n  netkit down ovs-internal\n  netkit down lab.yaml\n  netkit down lab.yaml --prefix t1-",
    run: async ({ args, flags, host }) =>
      (await import("./lib/cli/down.ts")).downCommand(host(), args[0]!, flags),
  },
  {
    name: "status",
    aliases: ["ls"],
    description: "list the labs that are up, or show one in detail",
    args: [{ name: "lab", description: "lab name", required: false }],
    options: [JSON_OPTION],
    helpAfter: "Examples:\n  netkit status\n  netkit status ovs-internal --json",
    run: async ({ args, flags, host }) =>
      (await import("./lib/cli/status.ts")).statusCommand(host(), args[0], flags),
  },
  {
    name: "check",
    description: "run a lab's proofs again; exit 1 when one fails",
    args: [LAB_ARGUMENT],
    options: [JSON_OPTION],
    helpAfter: "Example:\n  netkit check ovs-internal",
    run: async ({ args, flags, host }) =>
      (await import("./lib/cli/check.ts")).checkCommand(host(), args[0]!, flags),
  },
  {
    name: "test",
    description:
      "run a lab's proofs for CI (--junit, --tap); --up: bring it up, test it, remove it",
    args: [{ name: "lab", description: "lab name, or lab file (YAML)", required: true }],
    options: [
      {
        flags: "--up",
        description: "bring the lab file's lab up first and remove it afterwards, whatever happens",
      },
      {
        flags: "--sandbox",
        description: "with --up: build the lab inside one namespace of its own",
      },
      { flags: "--junit <file>", description: "also write the results as JUnit XML to this file" },
      { flags: "--tap", description: "print the results as TAP version 14" },
      { flags: "--json", description: "print the results as JSON" },
    ],
    helpAfter:
      "Examples:\n  netkit test router\n  netkit test lab.yaml --up --junit report.xml\n  netkit test lab.yaml --up --tap",
    run: async ({ args, flags, host }) =>
      (await import("./lib/cli/test.ts")).testCommand(host(), args[0]!, flags),
  },
  {
    name: "impair",
    description: "slow down, drop or delay the traffic leaving an interface of a lab that is up",
    args: [
      LAB_ARGUMENT,
      INTERFACE_ARGUMENT,
    ],
    options: [
      { flags: "--rate <rate>", description: "bits per second: 10mbit, 512kbit (tbf)" },
      {
        flags: "--loss <percent>",
        description: "share of packets dropped: 5%, 0.5% (netem, else nftables)",
      },
      { flags: "--delay <duration>", description: "added delay: 20ms (needs netem)" },
      {
        flags: "--jitter <duration>",
        description: "variation of the delay: 5ms (needs netem and --delay)",
      },
      { flags: "--clear", description: "remove the impairment" },
      DRY_RUN_OPTION,
      JSON_OPTION,
    ],
    helpAfter:
      "Examples:\n  netkit impair router rt:eth1 --rate 10mbit --loss 2%\n  netkit impair router rt:eth1 --clear",
    run: async ({ args, flags, host }) =>
      (await import("./lib/cli/impair.ts")).impairCommand(host(), args[0]!, args[1]!, flags),
  },
  {
    name: "link",
    description: "take an interface of a lab that is up down, or up again (a link flap)",
    args: [
      LAB_ARGUMENT,
      {
        ...INTERFACE_ARGUMENT,
        description: "NODE:IFACE, or the end of one of the lab's links on a bridge or in the " +
          "root namespace (BRIDGE:PORT, root:IFNAME)",
      },
      { name: "state", description: "down or up", required: true, choices: ["down", "up"] },
    ],
    options: [
      { flags: "--dry-run", description: "print the exact command and change nothing" },
      JSON_OPTION,
    ],
    helpAfter: "Examples:\n  netkit link router rt:eth1 down\n  netkit link router rt:eth1 up",
    run: async ({ args, flags, host }) =>
      (await import("./lib/cli/impair.ts")).linkCommand(
        host(),
        args[0]!,
        args[1]!,
        args[2] as "down" | "up",
        flags,
      ),
  },
  {
    name: "capture",
    description: "capture packets on an interface of a lab that is up (tcpdump in its namespace)",
    args: [
      LAB_ARGUMENT,
      INTERFACE_ARGUMENT,
    ],
    options: [
      {
        flags: "-w, --write <file>",
        description: "write pcap to this file, or - for standard output",
      },
      { flags: "-c, --count <n>", description: "stop after this many packets" },
      {
        flags: "--filter <bpf>",
        description: "a tcpdump (BPF) filter expression, e.g. 'icmp or arp'",
      },
    ],
    helpAfter:
      "Examples:\n  netkit capture router wan:eth0\n  netkit capture router wan:eth0 -w - | wireshark -k -i -\n  netkit capture router rt:eth1 -w up.pcap -c 100 --filter icmp",
    run: async ({ args, flags, host }) =>
      (await import("./lib/cli/capture.ts")).captureCommand(host(), args[0]!, args[1]!, flags),
  },
  {
    name: "exec",
    description: "run a command inside a node of a lab that is up, or open a shell there",
    args: [
      { name: "node", description: "namespace of a lab that is up", required: true },
      {
        name: "command",
        description: "the command and its arguments (everything after NODE); none: a shell",
        required: false,
        variadic: true,
      },
    ],
    options: [],
    passThrough: true,
    helpAfter:
      "With no command, an interactive shell in the node ($SHELL, else bash, else sh) whose\nprompt names the lab and the node; exit (or Ctrl-D) leaves it.\n\nExamples:\n  netkit exec ns1\n  netkit exec ns1 ping -c1 10.0.0.2\n  netkit exec rt -- vtysh -c 'show ip route'",
    run: async ({ args, host }) =>
      (await import("./lib/cli/exec.ts")).execCommand(host(), args[0]!, args.slice(1)),
  },
  {
    name: "console",
    description: "a prompt inside a lab that is up: run commands in its nodes, pingall, flap links",
    args: [{
      name: "lab",
      description: "lab name (default: the one lab that is up)",
      required: false,
    }],
    options: [],
    helpAfter:
      "At the prompt: NODE CMD... runs a command in a node; pingall, nodes, links, dump, status,\ncheck, link NODE:IF down|up, impair NODE:IF ..., capture NODE:IF ..., help, exit.\nTab completes; Ctrl-C stops the running command; Ctrl-D leaves.\n\nExamples:\n  netkit console\n  netkit console router\n  netkit:router> vm1 ping -c1 rt",
    run: async ({ args, host }) =>
      (await import("./lib/cli/console.ts")).consoleCommand(host(), args[0], {
        netkit: (words) => main(words),
      }),
  },
  {
    name: "pingall",
    description: "every node of a lab pings every address of the others: a reachability matrix",
    args: [{
      name: "lab",
      description: "lab name (default: the one lab that is up)",
      required: false,
    }],
    options: [JSON_OPTION],
    helpAfter: "Examples:\n  netkit pingall router\n  netkit pingall router --json",
    run: async ({ args, flags, host }) =>
      (await import("./lib/cli/pingall.ts")).pingallCommand(host(), args[0], flags),
  },
  {
    name: "clean",
    description: "remove every lab netkit recorded on this host, and its private OVS",
    args: [],
    options: [JSON_OPTION],
    helpAfter: "Example:\n  netkit clean",
    run: async ({ flags, host }) =>
      (await import("./lib/cli/clean.ts")).cleanCommand(host(), flags),
  },
  {
    name: "export",
    description: "print a lab (up, a recipe, or a lab file) as one POSIX sh script (plain ip, ...)",
    args: [{ name: "lab", description: "lab name, recipe name, or lab file", required: true }],
    options: [
      { flags: "--format <format>", description: "output format", choices: ["sh"], default: "sh" },
      { flags: "--teardown", description: "print the script that removes the lab instead" },
      {
        flags: "--prefix <prefix>",
        description: "prefix for every host-visible name (a recipe's or a lab file's)",
      },
      {
        flags: "--uplink <iface>",
        description:
          "the real NIC that joins br-ex (router), or that a lab file's bridges.NAME.uplink may take",
      },
      UPLINK_ALLOW_OPTION,
      {
        flags: "--sandbox",
        description: "the script builds the lab inside one namespace of its own",
      },
      IGNORE_IMAGES_OPTION,
    ],
    helpAfter:
      "Examples:\n  netkit export ovs-veth --format sh > lab.sh\n  netkit export lab.yaml --format sh --teardown > lab-down.sh",
    run: async ({ args, flags, host }) =>
      (await import("./lib/cli/export.ts")).exportCommand(host(), args[0]!, as(flags)),
  },
  {
    name: "graph",
    description: "draw a lab (up, a recipe, or a lab file) as text, Mermaid, Graphviz dot or SVG",
    args: [{ name: "lab", description: "lab name, recipe name, or lab file", required: true }],
    options: [
      { flags: "--format <format>", description: "text, mermaid, dot or svg", default: "text" },
      { flags: "--prefix <prefix>", description: "prefix for a recipe's or a lab file's names" },
      IGNORE_IMAGES_OPTION,
    ],
    helpAfter:
      "Examples:\n  netkit graph router\n  netkit graph lab.yaml --format mermaid\n  netkit graph router --format svg > router.svg",
    run: async ({ args, flags, host }) =>
      (await import("./lib/cli/graph.ts")).graphCommand(host(), args[0]!, as(flags)),
  },
  {
    name: "ui",
    description: "a live picture of the labs that are up, in the browser (127.0.0.1, with a token)",
    args: [{ name: "lab", description: "show only this lab", required: false }],
    options: [
      { flags: "--port <port>", description: "listen on this port (default: a free one)" },
      { flags: "--no-open", description: "do not open a browser; just print the URL" },
      {
        flags: "--control",
        description: "let the page flap links, impair interfaces and capture (default: read-only)",
      },
    ],
    helpAfter:
      "The first line printed is the URL, with a token every request needs; Ctrl-C stops it.\n\nExamples:\n  netkit ui\n  netkit ui router --no-open --port 8080\n  netkit ui router --control",
    run: async ({ args, flags, host }) =>
      (await import("./lib/cli/ui.ts")).uiCommand(host(), args[0], as(flags)),
  },
  {
    name: "validate",
    description: "check lab files (and containerlab topologies) without root; changes nothing",
    args: [{
      name: "files",
      description: "lab files (YAML) or containerlab topologies (.clab.yml)",
      required: true,
      variadic: true,
    }],
    options: [
      IGNORE_IMAGES_OPTION,
      { flags: "-q, --quiet", description: "print only the problems" },
      { flags: "--json", description: "print a verdict per file as JSON" },
    ],
    helpAfter:
      "Exit code: 0 when every file is valid, 2 when one is not (each problem: FILE:LINE:COL: message).\n\nExamples:\n  netkit validate examples/labs/*.yaml\n  netkit validate --quiet lab.yaml other.yaml   # in CI or a pre-commit hook",
    run: async ({ args, flags }) =>
      (await import("./lib/cli/validate.ts")).validateCommand(args, flags),
  },
  {
    name: "schema",
    description: "print the lab file's JSON Schema (for editors and CI)",
    args: [],
    options: [],
    helpAfter:
      "Examples:\n  netkit schema > lab.schema.json\n  # then, first line of a lab file: # yaml-language-server: $schema=lab.schema.json",
    run: async () => (await import("./lib/cli/schema.ts")).schemaCommand(),
  },
  {
    name: "init",
    description:
      'prepare a directory for lab scripts: deno.json mapping "netkit", a starter lab.ts',
    args: [{ name: "dir", description: "the directory (created if missing)", required: false }],
    options: [],
    helpAfter:
      'deno.json maps "netkit" to the typed library of this netkit, so deno check, your editor\n(deno lsp) and netkit run see the same API; an existing deno.json keeps its other settings and\nan existing lab.ts is kept.\n\nExamples:\n  netkit init my-labs\n  cd my-labs && deno check lab.ts && sudo netkit run lab.ts',
    run: async ({ args }) => (await import("./lib/cli/init.ts")).initCommand(args[0]),
  },
  {
    name: "run",
    description: 'run a Deno script whose `import ... from "netkit"` is this netkit\'s library',
    args: [
      { name: "script", description: "the script file (TypeScript or JavaScript)", required: true },
      { name: "args", description: "arguments for the script", required: false, variadic: true },
    ],
    options: [],
    passThrough: true,
    helpAfter:
      'The script runs with all permissions, in the Deno that runs netkit; "netkit" resolves to the\nlibrary of this netkit (its mod.ts, or its one-file bundle), so it needs no import map.\nEverything after SCRIPT goes to the script (a first -- is dropped).\n\nExamples:\n  netkit run my-lab.ts\n  netkit run my-lab.ts --prefix t1-',
    run: async ({ args, host }) =>
      (await import("./lib/cli/run.ts")).runCommand(host(), args[0]!, args.slice(1)),
  },
  {
    name: "ovs",
    description: "the Open vSwitch netkit uses: status, or start/stop its private instance",
    args: [{
      name: "action",
      description: "what to do",
      required: true,
      choices: ["status", "start", "stop"],
    }],
    options: [JSON_OPTION],
    helpAfter: "Examples:\n  netkit ovs status\n  netkit ovs stop",
    run: async ({ args, flags, host }) =>
      (await import("./lib/cli/ovs.ts")).ovsCommand(
        host(),
        args[0] as "status" | "start" | "stop",
        flags,
      ),
  },
  {
    name: "doctor",
    description: "check that this host can run netkit: root, tools, OVS, kernel features",
    args: [],
    options: [JSON_OPTION],
    helpAfter: "Examples:\n  netkit doctor\n  netkit doctor --json",
    run: async ({ flags, host }) =>
      (await import("./lib/cli/doctor.ts")).doctorCommand(host(), flags),
  },
  {
    name: "completions",
    description: "print a shell completion script (subcommands, options, recipes, labs)",
    args: [{
      name: "shell",
      description: "the shell",
      required: true,
      choices: ["bash", "zsh", "fish"],
    }],
    options: [],
    helpAfter:
      "Examples:\n  source <(netkit completions bash)\n  netkit completions fish > ~/.config/fish/completions/netkit.fish",
    run: async ({ args }) =>
      (await import("./lib/cli/completions.ts")).completionsCommand(
        args[0]!,
        NETKIT,
        denoJson.version,
      ),
  },
  {
    name: "man",
    description: "print netkit's manual page (roff), made from these command definitions",
    args: [],
    options: [],
    helpAfter: "Examples:\n  netkit man | man -l -\n  netkit man > netkit.1",
    run: async () => (await import("./lib/cli/man.ts")).manCommand(NETKIT, denoJson.version),
  },
];

/** netkit's command line: every command, and the options of them all. */
export const NETKIT: CliProgram = {
  name: "netkit",
  description: "Build, prove and remove Linux network labs: namespaces, veth, bridges, OVS.",
  version: denoJson.version,
  globalOptions: [{
    flags: "--rootless",
    description:
      "run in a user + network namespace of your own (the default when not root, if allowed)",
  }],
  commands: COMMANDS,
};

/**
 * Runs the command `args` name. The host context (lib/host.ts) is resolved once, before the
 * action, from the environment and `--rootless`: in rootless mode (forced, inside its namespaces,
 * or by default for a user who is not root) the command may run inside the user's namespaces
 * instead (lib/cli/rootless.ts).
 */
async function runCommand(args: readonly string[]): Promise<void> {
  const call = parseCommandLine(NETKIT, args);
  if (call.kind === "version") return out(`${call.text}\n`);
  if (call.kind === "help") return out(call.text);
  const env = readEnvironment();
  const runner = new ProcessRunner();
  const forced = call.global.rootless === true;
  const rootless = forced || Deno.uid() !== 0 || env.rootlessInner;
  const overrides: Partial<Host> = {
    rootless,
    runner,
    ...(rootless
      ? await (await import("./lib/cli/rootless.ts")).rootlessPreAction(
        { name: call.command.name, args: call.args, flags: call.flags, forced },
        env,
        runner,
      )
      : {}),
  };
  let host: Host | undefined;
  const command = call.command as NetkitCommand;
  await command.run({
    args: call.args,
    flags: call.flags,
    host: () => (host ??= resolveHost(overrides, env)),
  });
}

/** Runs the CLI with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  try {
    await runCommand(args);
    return 0;
  } catch (error) {
    if (error instanceof ExitCode) return error.code;
    if (error instanceof CommandLineError) {
      printError(error.message);
      err(`\n${error.help}`);
      return 2;
    }
    if (error instanceof UsageError) {
      printError(error.message);
      if (error.where && !error.message.includes(error.where)) err(`  where: ${error.where}\n`);
      if (error.hint) err(`  hint: ${error.hint}\n`);
      return 2;
    }
    printError(error instanceof Error ? error.message : String(error));
    return 1;
  }
}

/** netkit as a process: the rootless holder, or the CLI with `Deno.args`; exits with its code. */
export async function runMain(): Promise<never> {
  if (readEnvironment().rootlessHolder) {
    await (await import("./lib/lab/rootless.ts")).holderMain(); // never returns
  }
  Deno.exit(await main(Deno.args));
}

if (import.meta.main) await runMain();
