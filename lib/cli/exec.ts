/**
 * `netkit exec NODE -- CMD...`: runs a command inside a lab's namespace, with the terminal.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { listLabs } from "../lab/runtime.ts";
import type { Host } from "../host.ts";
import { inNs } from "../plan/step.ts";
import { frrDir } from "../primitives/frr.ts";
import type { Lab } from "../lab/schema.ts";
import { labDir } from "../state.ts";

/** Runs `command` in namespace `node` of a lab that is up; exits with its code. */
export async function execCommand(host: Host, node: string, command: string[]): Promise<void> {
  const labs = await listLabs({ host });
  if (!labs.some((s) => Object.hasOwn(s.lab.nodes, node))) {
    if (await (await import("./multihost.ts")).execIfMultihost(host, node, command)) return;
    const known = labs.flatMap((s) => Object.keys(s.lab.nodes));
    throw new UsageError(`No lab that is up has a node "${node}"`, {
      hint: known.length ? `known nodes: ${known.join(", ")}` : "no lab is up",
    });
  }
  const state = labs.find((s) => Object.hasOwn(s.lab.nodes, node))!;
  const dir = labDir(host.stateRoot, state.lab.name);
  const status = await host.runner.spawn(inNs(node, withVtySocket(state.lab, node, command, dir)), {
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).status;
  if (status.code !== 0) Deno.exit(status.code);
}

/**
 * `vtysh ...` on a node with routing daemons becomes `vtysh --vty_socket DIR ...`: vtysh talks to
 * the node's own FRR daemons, whose sockets live in the lab's state directory (never to the
 * system's FRR). Any other command, or a vtysh that names its socket directory, stays as it is.
 * `stateDir` is the lab's state directory.
 */
export function withVtySocket(
  lab: Lab,
  node: string,
  command: string[],
  stateDir: string,
): string[] {
  const [program = "", ...rest] = command;
  if (program.split("/").at(-1) !== "vtysh" || !lab.nodes[node]?.routing) return command;
  if (rest.some((a) => a === "--vty_socket" || a.startsWith("--vty_socket="))) return command;
  return [program, "--vty_socket", frrDir(stateDir, node), ...rest];
}
