/**
 * `netkit exec NODE -- CMD...`: runs a command inside a lab's namespace, with the terminal.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { listLabs } from "../lab/runtime.ts";
import { inNs } from "../plan/step.ts";
import { frrDir } from "../primitives/frr.ts";
import type { Lab } from "../lab/schema.ts";
import { labDir } from "../state.ts";

/** Runs `command` in namespace `node` of a lab that is up; exits with its code. */
export async function execCommand(node: string, command: string[]): Promise<void> {
  const labs = await listLabs();
  if (!labs.some((s) => node in s.lab.nodes)) {
    const known = labs.flatMap((s) => Object.keys(s.lab.nodes));
    throw new UsageError(`No lab that is up has a node "${node}"`, {
      hint: known.length ? `known nodes: ${known.join(", ")}` : "no lab is up",
    });
  }
  const state = labs.find((s) => node in s.lab.nodes)!;
  const [program, ...args] = inNs(node, withVtySocket(state.lab, node, command));
  const status = await new Deno.Command(program!, {
    args,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  })
    .spawn().status;
  if (status.code !== 0) Deno.exit(status.code);
}

/**
 * `vtysh ...` on a node with routing daemons becomes `vtysh --vty_socket DIR ...`: vtysh talks to
 * the node's own FRR daemons, whose sockets live in the lab's state directory (never to the
 * system's FRR). Any other command, or a vtysh that names its socket directory, stays as it is.
 */
export function withVtySocket(lab: Lab, node: string, command: string[]): string[] {
  const [program = "", ...rest] = command;
  if (program.split("/").at(-1) !== "vtysh" || !lab.nodes[node]?.routing) return command;
  if (rest.some((a) => a === "--vty_socket" || a.startsWith("--vty_socket="))) return command;
  return [program, "--vty_socket", frrDir(labDir(lab.name), node), ...rest];
}
