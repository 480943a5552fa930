/**
 * vtysh for a lab's router: the argv that makes `vtysh` talk to one node's own FRR daemons, whose
 * vty sockets live in the lab's state directory (lib/primitives/frr.ts: `frrDir`), never to the
 * system's FRR. `netkit exec`, `netkit console` and `netkit ui`'s node details all run vtysh
 * through it.
 *
 * @module
 */
import { frrDir } from "../primitives/frr.ts";
import type { Lab } from "./schema.ts";

/**
 * `vtysh ...` on a node with routing daemons becomes `vtysh --vty_socket DIR ...`: vtysh talks to
 * the node's own FRR daemons, whose sockets live in the lab's state directory (never to the
 * system's FRR). Any other command, or a vtysh that names its socket directory, stays as it is.
 * `stateDir` is the lab's state directory.
 *
 * @example
 * ```ts
 * import { withVtySocket } from "./vtysh.ts";
 * import { validateLab } from "./validate.ts";
 * import { getRecipe } from "../../recipes/mod.ts";
 * const lab = validateLab(getRecipe("ospf-triangle").build());
 * withVtySocket(lab, "r1", ["vtysh", "-c", "show ip route"], "/run/netkit/labs/ospf-triangle");
 * // ["vtysh", "--vty_socket", "/run/netkit/labs/ospf-triangle/frr-r1", "-c", "show ip route"]
 * ```
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
