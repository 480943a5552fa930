/**
 * The netkit command line. This file only builds the command tree and maps errors to exit codes:
 * 0 success, 1 a command or a proof failed, 2 bad input (nothing was changed on the host).
 *
 * @module
 */
import { Argument, Command, CommanderError, Option } from "@commander-js/extra-typings";
import denoJson from "./deno.json" with { type: "json" };
import { ExitCode, UsageError } from "./lib/errors.ts";
import { err } from "./lib/cli/output.ts";
import { red } from "./lib/cli/render.ts";
import { type Host, readEnvironment, resolveHost } from "./lib/host.ts";
import { ProcessRunner } from "./lib/exec/runner.ts";

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
    .option("--sandbox", "build the lab inside one namespace of its own: nothing in the host's")
    .option("--dry-run", "print the exact commands and change nothing")
    .option("--no-check", "skip the proofs")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  netkit recipe list\n  netkit recipe ovs-internal\n  netkit recipe ovs-veth --prefix t1- --dry-run\n  netkit recipe router --sandbox\n  netkit recipe export ovs-veth --prefix t1- > lab.yaml",
    )
    .action(async (name, second, flags) =>
      (await import("./lib/cli/recipe.ts")).recipeCommand(hostOf(), name, second, flags)
    );

  program.command("up")
    .description("bring up the lab a YAML lab file describes, prove it works, and show it")
    .argument("<file>", "lab file (YAML); see examples/labs/")
    .option("--sandbox", "build the lab inside one namespace of its own: nothing in the host's")
    .option("--dry-run", "print the exact commands and change nothing")
    .option("--no-check", "skip the proofs")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  netkit up examples/labs/bridge-three.yaml\n  netkit up lab.yaml --dry-run\n  netkit up lab.yaml --sandbox",
    )
    .action(async (file, flags) =>
      (await import("./lib/cli/up.ts")).upCommand(hostOf(), file, flags)
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
      "with a recipe that has one (router): the real NIC that joins br-ex",
    )
    .option("--sandbox", "the script builds the lab inside one namespace of its own")
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
    .addHelpText(
      "after",
      "\nExamples:\n  netkit graph router\n  netkit graph lab.yaml --format mermaid",
    )
    .action(async (lab, flags) =>
      (await import("./lib/cli/graph.ts")).graphCommand(hostOf(), lab, flags)
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

if (import.meta.main) {
  if (readEnvironment().rootlessHolder) {
    await (await import("./lib/lab/rootless.ts")).holderMain(); // never returns
  }
  Deno.exit(await main(Deno.args));
}
