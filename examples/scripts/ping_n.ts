/**
 * N namespaces on one Linux bridge, built in a loop, then every one pings every other (Mininet's
 * `pingall`): how long the build took, and the ping matrix's loss.
 *
 * Run as root: `netkit run ping_n.ts [N] [PREFIX]` (N from 2 to 200, default 8).
 *
 * @module
 */
import { addAddress, bridgeAttach, createNs, linkUp, linuxBridge, openLab, vethPair } from "netkit";

const n = Number(Deno.args[0] ?? 8);
if (!Number.isInteger(n) || n < 2 || n > 200) throw new RangeError("N is a whole number, 2 to 200");
const prefix = Deno.args[1] ?? "pn-";
const bridge = `${prefix}br`;

const started = performance.now();
await using lab = await openLab(`${prefix}lab`);
await lab.add(linuxBridge(bridge));
for (let i = 1; i <= n; i++) {
  const ns = `${prefix}h${i}`;
  await lab.add(
    createNs(ns),
    vethPair(`${ns}-p`, { peer: "eth0", peerNs: ns }),
    bridgeAttach(`${ns}-p`, { bridge }),
    addAddress("eth0", `10.125.${Math.floor(i / 250)}.${i % 250 + 1}/16`, { ns }),
    linkUp("eth0", { ns }),
  );
}
const built = performance.now() - started;
const all = await lab.pingAll();
const slowest = Math.max(...all.results.map((r) => r.rttMs ?? 0));
console.log(`built ${n} namespaces in ${built.toFixed(0)} ms`);
console.log(
  `pingall: ${all.results.length} pings, ${all.lossPercent}% lost, slowest ${slowest} ms`,
);
if (all.lossPercent > 0) Deno.exitCode = 1;
