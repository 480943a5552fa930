/**
 * Two namespaces on an Open vSwitch bridge: a DHCP server (dnsmasq) in one, a client in the
 * other, which takes a lease and pings the server. The bridge gets the datapath this host
 * supports, and the lab adds whatever DHCP over it needs.
 *
 * Run as root, from a directory `netkit init` prepared: `netkit run ovs_dhcp.ts [PREFIX]`
 * (or `deno run -A ovs_dhcp.ts [PREFIX]`). The lab is removed when the script ends, also on
 * Ctrl-C or SIGTERM.
 *
 * @module
 */
import {
  addAddress,
  createNs,
  dhcp,
  dhcpClient,
  linkUp,
  openLab,
  ovsAddBridge,
  ovsAddPort,
  vethPair,
} from "netkit";

const prefix = Deno.args[0] ?? "od-";
const [server, client, bridge] = [`${prefix}srv`, `${prefix}cli`, `${prefix}br`];

await using lab = await openLab(`${prefix}lab`);
await lab.add(createNs(server), createNs(client), ovsAddBridge(bridge));
for (const ns of [server, client]) {
  await lab.add(
    vethPair(`${ns}-p`, { peer: "eth0", peerNs: ns }),
    ovsAddPort(`${ns}-p`, { bridge }),
    linkUp(`${ns}-p`),
    linkUp("eth0", { ns }),
  );
}
await lab.add(
  addAddress("eth0", "10.124.0.1/24", { ns: server }),
  dhcp(server, {
    interface: "eth0",
    range: ["10.124.0.10", "10.124.0.20"],
    stateDir: lab.stateDir,
  }),
  dhcpClient(client, { interface: "eth0", stateDir: lab.stateDir }),
);
// `netkit check` runs this proof too, while the lab is up.
await lab.expect({
  lease: { node: client, interface: "eth0", range: ["10.124.0.10", "10.124.0.20"] },
});

const ping = await lab.ping(client, server);
const { stdout } = await lab.exec(client, ["ip", "-4", "-br", "addr", "show", "dev", "eth0"]);
console.log(`lease: ${stdout.trim()}`);
console.log(ping.reached ? `${client} reached ${server} (${ping.address})` : "no reply");
if (!ping.reached) Deno.exitCode = 1;
