/**
 * `make multihost-demo`: a lab over two machines, on one machine. Two simulated hosts (network +
 * mount namespaces, each with its own /run and Debian's sshd on an underlay bridge) play the
 * roles of examples/labs/two-hosts.yaml; netkit, run here as the controller, logs in to both with
 * a throwaway key, brings the lab up (its links between the hosts become VXLAN tunnels), proves
 * it, shows it, takes it down, and the simulated hosts are removed. Run it as root, ideally
 * inside a namespace of its own (the Makefile uses `unshare`).
 *
 * @module
 */
import {
  simulatedHost,
  throwawayKeys,
  underlayBridge,
  writeInventory,
} from "../tests/helpers/simhost.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const LAB = new URL("./labs/two-hosts.yaml", import.meta.url).pathname;

async function netkit(...args: string[]): Promise<void> {
  console.log(`\n$ netkit ${args.join(" ")}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) throw new Error(`netkit ${args.join(" ")} exited ${code}`);
}

console.log("Simulated hosts h1 (10.251.0.1) and h2 (10.251.0.2) on underlay bridge nk-underlay");
await using underlay = await underlayBridge("nk-underlay", "10.251.0");
await using keys = await throwawayKeys();
await using h1 = await simulatedHost("h1", underlay, keys, { octet: 1 });
await using h2 = await simulatedHost("h2", underlay, keys, { octet: 2 });
const inventory = await writeInventory(keys, [h1, h2]);
console.log(
  `Inventory (yours, on the command line; the lab file only names roles):\n${await Deno
    .readTextFile(inventory)}`,
);
try {
  await netkit("up", LAB, "--hosts", inventory);
  await netkit("exec", "a", "--", "ping", "-c1", "-M", "do", "-s", "1422", "10.60.0.3");
  await netkit("graph", "two-hosts");
} finally {
  await netkit("down", "two-hosts");
}
console.log("\nEverything is removed: the lab from both hosts, then the simulated hosts.");
