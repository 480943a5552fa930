/**
 * `netkit exec NODE [CMD...]`: runs a command inside a lab's namespace, with the terminal; with
 * no command, an interactive shell there. Everything after NODE is the command (a first `--` is
 * dropped), so `netkit exec vm1 ping -c1 10.0.0.2` needs no `--`.
 *
 * The shell is the user's `$SHELL`, else bash, else sh, with a prompt that names the lab and the
 * node (`[LAB:NODE] ~# `) and `NETKIT_LAB`, `NETKIT_NODE` set. bash reads its usual start-up
 * files first and then a small rc file netkit writes for the session (and removes after it),
 * which sets the prompt; any other shell gets the prompt as `PS1` from the environment.
 *
 * What the shell does not get: the lab's node names in `/etc/hosts`. `ip netns exec` would show
 * a `/etc/netns/NODE/hosts` as the node's `/etc/hosts`, but `/etc/netns` is one directory for the
 * whole machine: a node of another lab (or of a sandboxed lab, or of another isolated run) with
 * the same name would see the same file, so netkit could not say the file is its own. Use the
 * addresses (`netkit status LAB`, or `dump` in `netkit console`).
 *
 * Ctrl-C goes to the command (or the shell) in the node; netkit waits for it and exits with its
 * code.
 *
 * @module
 */
import { ExitCode, UsageError } from "../errors.ts";
import { listLabs } from "../lab/runtime.ts";
import { type Host, readEnvironment } from "../host.ts";
import { inNs } from "../plan/step.ts";
import { withVtySocket } from "../lab/vtysh.ts";
import type { LabState } from "../lab/lab_state.ts";
import { which } from "../lab/preflight.ts";
import { labDir } from "../state.ts";

/** The lab that is up and has node `node` (looked up as the lab's own name, never inherited). */
async function labOfNode(host: Host, node: string): Promise<LabState | undefined> {
  return (await listLabs({ host })).find((s) => Object.hasOwn(s.lab.nodes, node));
}

/** Runs `command` (or, when empty, a shell) in namespace `node` of a lab that is up. */
export async function execCommand(host: Host, node: string, command: string[]): Promise<void> {
  const state = await labOfNode(host, node);
  if (!state) {
    const remote = command.length ? command : ["sh", "-i"];
    if (await (await import("./multihost.ts")).execIfMultihost(host, node, remote)) return;
    const known = (await listLabs({ host })).flatMap((s) => Object.keys(s.lab.nodes));
    throw new UsageError(`No lab that is up has a node "${node}"`, {
      hint: known.length ? `known nodes: ${known.join(", ")}` : "no lab is up",
    });
  }
  const dir = labDir(host.stateRoot, state.lab.name);
  const shell = command.length === 0 ? await nodeShell(host, state.lab.name, node) : undefined;
  const argv = shell?.argv ?? withVtySocket(state.lab, node, command, dir);
  // Ctrl-C is for the command in the node: netkit waits for it to end.
  const ignore = () => {};
  Deno.addSignalListener("SIGINT", ignore);
  try {
    const status = await host.runner.spawn(inNs(node, argv), {
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
      ...(shell ? { env: shell.env } : {}),
    }).status;
    if (status.code !== 0) throw new ExitCode(status.code);
  } finally {
    Deno.removeSignalListener("SIGINT", ignore);
    await shell?.cleanup();
  }
}

/** A shell for a node: its argv and environment, and what to remove once it has ended. */
interface NodeShell {
  argv: string[];
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/**
 * bash's rc file for a node's shell: it removes itself once read (so a terminal closed under it
 * leaves nothing behind), then reads the user's own `~/.bashrc`, then sets the prompt. The prompt
 * reads the names from the environment when it is shown (they are never pasted into code).
 */
const BASH_RC = 'command rm -f -- "$NETKIT_RCFILE"; unset NETKIT_RCFILE\n' +
  "[ -f ~/.bashrc ] && . ~/.bashrc\nPS1='[${NETKIT_LAB}:${NETKIT_NODE}] \\w\\$ '\n";

/** The shell program: `$SHELL` when it can run, else bash, else sh. */
function shellProgram(host: Host, wanted: string | undefined): string {
  for (const program of [wanted, "bash", "sh"]) {
    if (program && which(host, program)) return program;
  }
  return "sh";
}

/** The interactive shell for `node` of lab `lab` (see the module doc). */
async function nodeShell(host: Host, lab: string, node: string): Promise<NodeShell> {
  const program = shellProgram(host, readEnvironment().shell);
  const env = { NETKIT_LAB: lab, NETKIT_NODE: node, PS1: `[${lab}:${node}] # ` };
  if (program.split("/").at(-1) !== "bash") {
    return { argv: [program, "-i"], env, cleanup: async () => {} };
  }
  const rc = await Deno.makeTempFile({ prefix: "netkit-bashrc-" });
  await Deno.writeTextFile(rc, BASH_RC);
  return {
    argv: [program, "--rcfile", rc, "-i"],
    env: { ...env, NETKIT_RCFILE: rc },
    cleanup: () => Deno.remove(rc).catch(() => {}),
  };
}
