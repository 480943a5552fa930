/**
 * A router with SNAT: host `h1` (10.0.0.0/24, on a Linux bridge) reaches `ext` (192.168.100.0/24)
 * through router `rt`, which rewrites h1's address to its own. `ext` has no route back to
 * 10.0.0.0/24, so every reply h1 gets proves the translation.
 *
 * ```
 *   h1 [eth0 10.0.0.2]--[h1-p] br (Linux) [rt-p]--[eth0 10.0.0.1] rt
 *   rt [eth1 192.168.100.1]--[eth0 192.168.100.2] ext
 * ```
 *
 * Run as root: `netkit run router_snat.ts [PREFIX]` (or `deno run -A router_snat.ts [PREFIX]`).
 *
 * @module
 */
import {
  addAddress,
  addRoute,
  bridgeAttach,
  createNs,
  ipForward,
  linkUp,
  linuxBridge,
  openLab,
  snat,
  vethPair,
} from "netkit";

const prefix = Deno.args[0] ?? "rs-";
const [h1, rt, ext, br] = [`${prefix}h1`, `${prefix}rt`, `${prefix}ext`, `${prefix}br`];

await using lab = await openLab(`${prefix}lab`);
await lab.add(createNs(h1), createNs(rt), createNs(ext), linuxBridge(br), ipForward(rt));
for (const ns of [h1, rt]) {
  await lab.add(
    vethPair(`${ns}-p`, { peer: "eth0", peerNs: ns }),
    bridgeAttach(`${ns}-p`, { bridge: br }),
    linkUp("eth0", { ns }),
  );
}
await lab.add(
  vethPair("eth1", { peer: "eth0", ns: rt, peerNs: ext }),
  linkUp("eth1", { ns: rt }),
  linkUp("eth0", { ns: ext }),
  addAddress("eth0", "10.0.0.2/24", { ns: h1 }),
  addAddress("eth0", "10.0.0.1/24", { ns: rt }),
  addAddress("eth1", "192.168.100.1/24", { ns: rt }),
  addAddress("eth0", "192.168.100.2/24", { ns: ext }),
  addRoute("default", { ns: h1, via: "10.0.0.1" }),
  snat(rt, { source: "10.0.0.0/24", toSource: "192.168.100.1", outInterface: "eth1" }),
);
await lab.expect({
  snat: {
    from: h1,
    to: "192.168.100.2",
    observer: ext,
    interface: "eth0",
    source: "192.168.100.1",
  },
});

const ping = await lab.ping(h1, "192.168.100.2");
const rules = await lab.exec(rt, ["iptables", "-t", "nat", "-S", "POSTROUTING"]);
console.log(rules.stdout.split("\n").filter((l) => l.includes("SNAT")).join("\n"));
console.log(ping.reached ? `${h1} reached ${ping.address} through SNAT` : "no reply");
if (!ping.reached) Deno.exitCode = 1;
