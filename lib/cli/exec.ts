/**
 * `netkit exec NODE -- CMD...`: runs a command inside a lab's namespace, with the terminal.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { listLabs } from "../lab/runtime.ts";
import type { Host } from "../host.ts";
import { inNs } from "../plan/step.ts";

/** Runs `command` in namespace `node` of a lab that is up; exits with its code. */
export async function execCommand(host: Host, node: string, command: string[]): Promise<void> {
  const labs = await listLabs({ host });
  if (!labs.some((s) => node in s.lab.nodes)) {
    const known = labs.flatMap((s) => Object.keys(s.lab.nodes));
    throw new UsageError(`No lab that is up has a node "${node}"`, {
      hint: known.length ? `known nodes: ${known.join(", ")}` : "no lab is up",
    });
  }
  const status = await host.runner.spawn(inNs(node, command), {
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).status;
  if (status.code !== 0) Deno.exit(status.code);
}
