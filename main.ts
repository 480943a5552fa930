/**
 * The netkit command line. This file only builds the command tree and maps errors to exit codes:
 * 0 success, 1 a command or a proof failed, 2 bad input (nothing was changed on the host).
 *
 * @module
 */
import { Argument, Command, CommanderError, Option } from "./lib/deps/commander.ts";
import denoJson from "./deno.json" with { type: "json" };
import { ExitCode, UsageError } from "./lib/errors.ts";
import { err } from "./lib/cli/output.ts";
import { red } from "./lib/cli/color.ts";
import { type Host, readEnvironment, resolveHost } from "./lib/host.ts";
import { ProcessRunner } from "./lib/exec/runner.ts";

const IGNORE_IMAGES =
  "containerlab topologies: build linux nodes that name an image anyway (as namespaces)";

/**
 * Builds the command tree. Subcommands load their modules only when they run. The host context
 * (lib/host.ts) is resolved once, before the action, from the environment and the global flags,
 * and handed to the action.
 */
export function buildCli(): Command {
  const env = readEnvironment();
  const runner = new ProcessRunner();
  let overrides: Partial<Host> = { runner };
  let host: Host | undefined;
  const hostOf = (): Host => (host ??= resolveHost(overrides, env));
  const program = new Command()
    .name("netkit")
    .description("Build, prove and remove Linux network labs: namespaces, veth, bridges, OVS.")
    .version(denoJson.version, "-V, --version")
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => err(s) })
    .exitOverride()
    .option(
      "--rootless",
      "run in a user + network namespace of your own (the default when not root, if allowed)",
    )
    .hook("preAction", async (_program, action) => {
      // Rootless mode: forced, inside its namespaces, or by default for a user who is not root.
      const rootless = program.opts().rootless === true || Deno.uid() !== 0 || env.rootlessInner;
      overrides = { rootless, runner };
      if (rootless) {
        const fromRootless = await (await import("./lib/cli/rootless.ts")).rootlessPreAction(
          program as unknown as Command,
          action as unknown as Command,
          env,
          runner,
        );
        overrides = { ...overrides, ...fromRootless };
      }
    });

  program.command("recipe")
    .description(
      "bring up a tutorial's lab, prove it works, and show it (or: recipe list, recipe export NAME)",
    )
    .argument("<name>", 'recipe name, "list", or "export"')
    .argument("[recipe]", "with export: the recipe to print as a YAML lab file")
    .option("--prefix <prefix>", "prefix for every host-visible name (namespaces, bridges, links)")
    .option(
      "--uplink <iface>",
      "router only: a real NIC joins br-ex, its address and routes moving to br-ex (restored on down)",
    )
    .option("--ipv6", "router only: the dual-stack variant (IPv6 routed, SLAAC, DHCPv6)")
    .option("--sandbox", "build the lab inside one namespace of its own: nothing in the host's")
    .option("--dry-run", "print the exact commands and change nothing")
    .option("--no-check", "skip the proofs")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  netkit recipe list\n  netkit recipe ovs-internal\n  netkit recipe ovs-veth --prefix t1- --dry-run\n  netkit recipe router --sandbox\n  netkit recipe router --ipv6\n  netkit recipe export ovs-veth --prefix t1- > lab.yaml",
    )
    .action(async (name, second, flags) =>
      (await import("./lib/cli/recipe.ts")).recipeCommand(hostOf(), name, second, flags)
    );

  program.command("up")
    .description("bring up the lab a YAML lab file describes, prove it works, and show it")
    .argument("<file>", "lab file (YAML) or containerlab topology (.clab.yml); see examples/")
    .option(
      "--uplink <iface>",
      "allow the file's bridges.NAME.uplink: IFACE, a real NIC (its addresses and routes move in)",
    )
    .option(
      "--hosts <file>",
      "multi-host labs: your inventory (YAML) of the machines that play the lab's host roles",
    )
    .option("--sandbox", "build the lab inside one namespace of its own: nothing in the host's")
    .option("--dry-run", "print the exact commands and change nothing")
    .option("--no-check", "skip the proofs")
    .option("--ignore-images", IGNORE_IMAGES)
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  netkit up examples/labs/bridge-three.yaml\n  netkit up lab.yaml --dry-run\n  netkit up lab.yaml --sandbox\n  netkit up router.yaml --uplink ens3\n  netkit up examples/clab/routed.clab.yml --ignore-images\n  netkit up examples/labs/two-hosts.yaml --hosts hosts.yaml\n\nA lab file may place nodes on host roles (hosts: { h1: {}, h2: {} }, host: h1); the machines\nthat play them come only from --hosts FILE, never from the lab file (see README, Multi-host).",
    )
    .action(async (file, flags) =>
      (await import("./lib/cli/up.ts")).upCommand(hostOf(), file, flags)
    );

  program.command("part")
    .description("what a multi-host controller runs on each host over SSH (JSON; see README)")
    .argument("<action>", "up (the part on stdin), down, status, check")
    .argument("[lab]", "lab name")
    .addHelpText(
      "after",
      "\nExample (what `netkit status LAB` on the controller runs on each host):\n  netkit part status two-hosts",
    )
    .action(async (action, lab) =>
      (await import("./lib/cli/part.ts")).partCommand(hostOf(), action, lab)
    );

  program.command("down")
    .description("remove a lab: everything it created, and only that")
    .argument("<lab>", "lab name (as shown by status), or the lab file it came up from")
    .option("--json", "print the result as JSON")
    .addHelpText("after", "\nExamples:\n  netkit down ovs-internal\n  netkit down lab.yaml")
    .action(async (lab, flags) =>
      (await import("./lib/cli/down.ts")).downCommand(hostOf(), lab, flags)
    );

  program.command("status")
    .alias("ls")
    .description("list the labs that are up, or show one in detail")
    .argument("[lab]", "lab name")
    .option("--json", "print the result as JSON")
    .addHelpText("after", "\nExamples:\n  netkit status\n  netkit status ovs-internal --json")
    .action(async (lab, flags) =>
      (await import("./lib/cli/status.ts")).statusCommand(hostOf(), lab, flags)
    );

  program.command("check")
    .description("run a lab's proofs again; exit 1 when one fails")
    .argument("<lab>", "lab name")
    .option("--json", "print the result as JSON")
    .addHelpText("after", "\nExample:\n  netkit check ovs-internal")
    .action(async (lab, flags) =>
      (await import("./lib/cli/check.ts")).checkCommand(hostOf(), lab, flags)
    );

  program.command("test")
    .description(
      "run a lab's proofs for CI (--junit, --tap); --up: bring it up, test it, remove it",
    )
    .argument("<lab>", "lab name, or lab file (YAML)")
    .option("--up", "bring the lab file's lab up first and remove it afterwards, whatever happens")
    .option("--sandbox", "with --up: build the lab inside one namespace of its own")
    .option("--junit <file>", "also write the results as JUnit XML to this file")
    .option("--tap", "print the results as TAP version 14")
    .option("--json", "print the results as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  netkit test router\n  netkit test lab.yaml --up --junit report.xml\n  netkit test lab.yaml --up --tap",
    )
    .action(async (lab, flags) =>
      (await import("./lib/cli/test.ts")).testCommand(hostOf(), lab, flags)
    );

  program.command("impair")
    .description("slow down, drop or delay the traffic leaving an interface of a lab that is up")
    .argument("<lab>", "lab name")
    .argument("<interface>", "NODE:IFACE, an interface of one of the lab's nodes")
    .option("--rate <rate>", "bits per second: 10mbit, 512kbit (tbf)")
    .option("--loss <percent>", "share of packets dropped: 5%, 0.5% (netem, else nftables)")
    .option("--delay <duration>", "added delay: 20ms (needs netem)")
    .option("--jitter <duration>", "variation of the delay: 5ms (needs netem and --delay)")
    .option("--clear", "remove the impairment")
    .option("--dry-run", "print the exact commands and change nothing")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  netkit impair router rt:eth1 --rate 10mbit --loss 2%\n  netkit impair router rt:eth1 --clear",
    )
    .action(async (lab, end, flags) =>
      (await import("./lib/cli/impair.ts")).impairCommand(hostOf(), lab, end, flags)
    );

  program.command("link")
    .description("take an interface of a lab that is up down, or up again (a link flap)")
    .argument("<lab>", "lab name")
    .argument("<interface>", "NODE:IFACE, an interface of one of the lab's nodes")
    .addArgument(new Argument("<state>", "down or up").choices(["down", "up"]))
    .option("--dry-run", "print the exact command and change nothing")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  netkit link router rt:eth1 down\n  netkit link router rt:eth1 up",
    )
    .action(async (lab, end, state, flags) =>
      (await import("./lib/cli/impair.ts")).linkCommand(
        hostOf(),
        lab,
        end,
        state as "down" | "up",
        flags,
      )
    );

  program.command("capture")
    .description("capture packets on an interface of a lab that is up (tcpdump in its namespace)")
    .argument("<lab>", "lab name")
    .argument("<interface>", "NODE:IFACE, an interface of one of the lab's nodes")
    .option("-w, --write <file>", "write pcap to this file, or - for standard output")
    .option("-c, --count <n>", "stop after this many packets")
    .option("--filter <bpf>", "a tcpdump (BPF) filter expression, e.g. 'icmp or arp'")
    .addHelpText(
      "after",
      "\nExamples:\n  netkit capture router wan:eth0\n  netkit capture router wan:eth0 -w - | wireshark -k -i -\n  netkit capture router rt:eth1 -w up.pcap -c 100 --filter icmp",
    )
    .action(async (lab, end, flags) =>
      (await import("./lib/cli/capture.ts")).captureCommand(hostOf(), lab, end, flags)
    );

  program.command("exec")
    .description("run a command inside a lab namespace")
    .argument("<node>", "namespace of a lab that is up")
    .argument("<command...>", "the command and its arguments (after --)")
    .addHelpText("after", "\nExample:\n  netkit exec ns1 -- ping -c1 10.0.0.2")
    .action(async (node, command) =>
      (await import("./lib/cli/exec.ts")).execCommand(hostOf(), node, command)
    );

  program.command("clean")
    .description("remove every lab netkit recorded on this host, and its private OVS")
    .option("--json", "print the result as JSON")
    .addHelpText("after", "\nExample:\n  netkit clean")
    .action(async (flags) => (await import("./lib/cli/clean.ts")).cleanCommand(hostOf(), flags));

  program.command("export")
    .description("print a recipe or lab file as one POSIX sh script (plain ip/ovs-vsctl/...)")
    .argument("<lab>", "recipe name, or lab file (YAML)")
    .addOption(new Option("--format <format>", "output format").choices(["sh"]).default("sh"))
    .option("--teardown", "print the script that removes the lab instead")
    .option("--prefix <prefix>", "with a recipe: prefix for every host-visible name")
    .option(
      "--uplink <iface>",
      "the real NIC that joins br-ex (router), or that a lab file's bridges.NAME.uplink may take",
    )
    .option("--sandbox", "the script builds the lab inside one namespace of its own")
    .option("--ignore-images", IGNORE_IMAGES)
    .addHelpText(
      "after",
      "\nExamples:\n  netkit export ovs-veth --format sh > lab.sh\n  netkit export lab.yaml --format sh --teardown > lab-down.sh",
    )
    .action(async (lab, flags) =>
      (await import("./lib/cli/export.ts")).exportCommand(hostOf(), lab, flags)
    );

  program.command("graph")
    .description("draw a lab (up, a recipe, or a lab file) as text, Mermaid or Graphviz dot")
    .argument("<lab>", "lab name, recipe name, or lab file")
    .option("--format <format>", "text, mermaid or dot", "text")
    .option("--prefix <prefix>", "prefix for a recipe's names")
    .option("--ignore-images", IGNORE_IMAGES)
    .addHelpText(
      "after",
      "\nExamples:\n  netkit graph router\n  netkit graph lab.yaml --format mermaid",
    )
    .action(async (lab, flags) =>
      (await import("./lib/cli/graph.ts")).graphCommand(hostOf(), lab, flags)
    );

  program.command("validate")
    .description("check lab files (and containerlab topologies) without root; changes nothing")
    .argument("<files...>", "lab files (YAML) or containerlab topologies (.clab.yml)")
    .option("--ignore-images", IGNORE_IMAGES)
    .option("-q, --quiet", "print only the problems")
    .option("--json", "print a verdict per file as JSON")
    .addHelpText(
      "after",
      "\nExit code: 0 when every file is valid, 2 when one is not (each problem: FILE:LINE:COL: message).\n\nExamples:\n  netkit validate examples/labs/*.yaml\n  netkit validate --quiet lab.yaml other.yaml   # in CI or a pre-commit hook",
    )
    .action(async (files, flags) =>
      (await import("./lib/cli/validate.ts")).validateCommand(files, flags)
    );

  program.command("schema")
    .description("print the lab file's JSON Schema (for editors and CI)")
    .addHelpText(
      "after",
      "\nExamples:\n  netkit schema > lab.schema.json\n  # then, first line of a lab file: # yaml-language-server: $schema=lab.schema.json",
    )
    .action(async () => (await import("./lib/cli/schema.ts")).schemaCommand());

  program.command("run")
    .description('run a Deno script whose `import ... from "netkit"` is this netkit\'s library')
    .argument("<script>", "the script file (TypeScript or JavaScript)")
    .argument("[args...]", "arguments for the script")
    .allowUnknownOption()
    .addHelpText(
      "after",
      '\nThe script runs with all permissions, in the Deno that runs netkit; "netkit" resolves to the\nlibrary of this netkit (its mod.ts, or its one-file bundle), so it needs no import map.\nOptions after SCRIPT go to the script; put -- before them if one is -h, --help or --rootless.\n\nExamples:\n  netkit run my-lab.ts\n  netkit run my-lab.ts -- --prefix t1-',
    )
    .action(async (script, args) =>
      (await import("./lib/cli/run.ts")).runCommand(hostOf(), script, args)
    );

  program.command("ovs")
    .description("the Open vSwitch netkit uses: status, or start/stop its private instance")
    .addArgument(new Argument("<action>", "what to do").choices(["status", "start", "stop"]))
    .option("--json", "print the result as JSON")
    .addHelpText("after", "\nExamples:\n  netkit ovs status\n  netkit ovs stop")
    .action(async (action, flags) =>
      (await import("./lib/cli/ovs.ts")).ovsCommand(hostOf(), action, flags)
    );

  program.command("doctor")
    .description("check that this host can run netkit: root, tools, OVS, kernel features")
    .option("--json", "print the result as JSON")
    .addHelpText("after", "\nExamples:\n  netkit doctor\n  netkit doctor --json")
    .action(async (flags) => (await import("./lib/cli/doctor.ts")).doctorCommand(hostOf(), flags));

  program.command("completions")
    .description("print a shell completion script (subcommands, options, recipes, labs)")
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh", "fish"]))
    .addHelpText(
      "after",
      "\nExamples:\n  source <(netkit completions bash)\n  netkit completions fish > ~/.config/fish/completions/netkit.fish",
    )
    .action(async (shell, _flags, cmd) =>
      (await import("./lib/cli/completions.ts")).completionsCommand(
        shell,
        cmd.parent as unknown as Command,
        denoJson.version,
      )
    );

  program.command("man")
    .description("print netkit's manual page (roff), made from these command definitions")
    .addHelpText("after", "\nExamples:\n  netkit man | man -l -\n  netkit man > netkit.1")
    .action(async (_flags, cmd) =>
      (await import("./lib/cli/man.ts")).manCommand(
        cmd.parent as unknown as Command,
        denoJson.version,
      )
    );

  return program as unknown as Command;
}

/** Runs the CLI with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(args, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof ExitCode) return error.code;
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
      if (error.code === "commander.help") return 0;
      return 2;
    }
    if (error instanceof UsageError) {
      err(`${red("netkit: error:")} ${error.message}\n`);
      if (error.where && !error.message.includes(error.where)) err(`  where: ${error.where}\n`);
      if (error.hint) err(`  hint: ${error.hint}\n`);
      return 2;
    }
    err(`${red("netkit: error:")} ${error instanceof Error ? error.message : String(error)}\n`);
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
