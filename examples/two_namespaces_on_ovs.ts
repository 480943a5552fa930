/**
 * An ad-hoc lab from a script: two namespaces on an OVS bridge, a ping between them, and
 * everything removed at the end of the scope (also when the ping fails).
 *
 * Run as root: `deno run -A examples/two_namespaces_on_ovs.ts [PREFIX]`
 *
 * @module
 */
import {
  addAddress,
  createNs,
  linkUp,
  openLab,
  ovsAddBridge,
  ovsAddPort,
  ovsShow,
  vethPair,
} from "../mod.ts";

const prefix = Deno.args[0] ?? "ex-";
const bridge = `${prefix}br`;

await using lab = await openLab(`${prefix}example`);
await lab.add(
  createNs(`${prefix}a`),
  createNs(`${prefix}b`),
  ovsAddBridge(bridge), // the datapath this host supports, marked with the lab's name
);
for (const [ns, address] of [[`${prefix}a`, "10.77.0.1/24"], [`${prefix}b`, "10.77.0.2/24"]]) {
  const port = `${ns}-p`;
  await lab.add(
    vethPair(port, { peer: "eth0", peerNs: ns }),
    ovsAddPort(port, { bridge }),
    linkUp(port),
    addAddress("eth0", address!, { ns }),
    linkUp("eth0", { ns }),
  );
}

const show = await ovsShow();
console.log(`${bridge}: ${show.bridges.find((b) => b.name === bridge)?.ports.map((p) => p.name)}`);
const ping = await lab.exec(`${prefix}a`, ["ping", "-c", "2", "-i", "0.2", "-W", "1", "10.77.0.2"]);
console.log(ping.stdout.trim().split("\n").slice(-2).join("\n"));
if (ping.code !== 0) {
  console.error("ping failed");
  Deno.exitCode = 1;
}
