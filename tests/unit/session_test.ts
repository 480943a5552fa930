/**
 * What a script's lab does to steps before it runs them (lib/plan/finish.ts), what it records of
 * them (lib/lab/record.ts), and the primitives' named-argument forms.
 */
import { assertEquals, assertMatch } from "../helpers/assert.ts";
import {
  addAddress,
  bridgeAttach,
  createNs,
  dhcp,
  dhcpChecksumFill,
  dhcpClient,
  ipForward,
  linkUp,
  ovsAddBridge,
  ovsAddInternalPort,
  ovsAddPort,
  snat,
  validateLab,
  vethPair,
} from "../../mod.ts";
import { finishSteps } from "../../lib/plan/finish.ts";
import { LabRecord } from "../../lib/lab/record.ts";

const context = { lab: "scr", datapathType: "netdev" as const };
const argvs = (steps: { do: unknown[] }[]) => JSON.stringify(steps.map((s) => s.do));

Deno.test("finishSteps() marks a step built without a lab with the lab's name", () => {
  const [bridge, port, nat] = finishSteps(
    [
      ovsAddBridge("br1"),
      ovsAddPort("v1", { bridge: "br1" }),
      snat("rt", { source: "10.0.0.0/24", toSource: "1.2.3.4" }),
    ],
    context,
  );
  assertMatch(argvs([bridge!]), /external_ids:netkit-lab=scr/);
  assertMatch(argvs([bridge!]), /datapath_type=netdev/);
  assertEquals(bridge!.undo, [{ ovsRemove: "bridge", name: "br1", lab: "scr" }]);
  assertMatch(argvs([port!]), /external_ids:netkit-lab=scr/);
  assertMatch(argvs([nat!]), /"netkit:scr"/);
});

Deno.test("finishSteps() keeps what the caller said, and steps with nothing left open", () => {
  const given = ovsAddBridge("br1", { lab: "mine", datapathType: "system" });
  const plain = createNs("a");
  const [bridge, ns] = finishSteps([given, plain], context);
  assertEquals(bridge, given);
  assertEquals(ns, plain);
  const [half] = finishSteps([ovsAddBridge("br1", { datapathType: "system" })], context);
  assertMatch(argvs([half!]), /netkit-lab=scr.*datapath_type=system/);
});

Deno.test("finishSteps() puts a DHCP server's checksum rule before it, once, on netdev only", () => {
  const server = () =>
    dhcp("rt", { interface: "eth0", range: ["10.0.0.2", "10.0.0.9"], stateDir: "/s" });
  const fill = "mangle:rt/POSTROUTING/dhcp-checksum/eth0";
  const netdev = finishSteps([server()], context);
  assertEquals(netdev.map((s) => s.key), [fill, "daemon:dnsmasq@rt/eth0"]);
  assertMatch(argvs(netdev), /"netkit:scr","-j","CHECKSUM"/);
  const system = finishSteps([server()], { ...context, datapathType: "system" });
  assertEquals(system.map((s) => s.key), ["daemon:dnsmasq@rt/eth0"]);
  // Already there: added by the script itself, or by an earlier lab.add().
  const mine = finishSteps([dhcpChecksumFill("rt", "eth0"), server()], context);
  assertEquals(mine.map((s) => s.key), [fill, "daemon:dnsmasq@rt/eth0"]);
  const again = finishSteps([server()], context, new Set([fill]));
  assertEquals(again.map((s) => s.key), ["daemon:dnsmasq@rt/eth0"]);
  // A step the script gave twice still runs twice (and fails the way it would anyway).
  assertEquals(finishSteps([createNs("a"), createNs("a")], context).length, 2);
});

Deno.test("the named forms build the same steps as the deprecated positional ones", () => {
  assertEquals(ovsAddPort("v1", { bridge: "br1", tag: 10 }), ovsAddPort("br1", "v1", { tag: 10 }));
  assertEquals(ovsAddInternalPort("t1", { bridge: "br1" }), ovsAddInternalPort("br1", "t1"));
  assertEquals(
    bridgeAttach("v1", { bridge: "br0", ns: "x" }),
    bridgeAttach("v1", "br0", { ns: "x" }),
  );
  assertEquals(
    vethPair("v1", { peer: "eth0", peerNs: "a" }),
    vethPair("v1", "eth0", { peerNs: "a" }),
  );
  assertEquals(
    dhcpClient("a", { interface: "eth0", stateDir: "/s" }),
    dhcpClient("a", "eth0", { stateDir: "/s" }),
  );
});

Deno.test("LabRecord describes what the steps built as a lab that validates", () => {
  const record = new LabRecord();
  const steps = [
    createNs("a"),
    createNs("rt"),
    ovsAddBridge("br1"),
    vethPair("a-p", { peer: "eth0", peerNs: "a" }),
    ovsAddPort("a-p", { bridge: "br1", tag: 10 }),
    vethPair("rt-p", { peer: "eth0", peerNs: "rt" }),
    ovsAddPort("rt-p", { bridge: "br1", tag: 10 }),
    linkUp("eth0", { ns: "a" }),
    addAddress("eth0", "10.0.0.2/24", { ns: "a" }),
    addAddress("eth0", "10.0.0.1/24", { ns: "rt" }),
    ipForward("rt"),
    snat("rt", { source: "10.0.0.0/24", toSource: "1.2.3.4" }),
    vethPair("lonely", { peer: "alone" }), // no owner a lab file could name: left out
  ];
  const changed = finishSteps(steps, context).map((s) => record.note(s));
  assertEquals(changed.filter((c) => !c).length, 1, "linkUp changes no description");
  const lab = validateLab(record.toLab("scr"));
  assertEquals(Object.keys(lab.nodes), ["a", "rt"]);
  assertEquals(lab.nodes.rt!.role, "router");
  assertEquals(lab.nodes.a!.interfaces.eth0!.addresses, ["10.0.0.2/24"]);
  assertEquals(lab.nodes.rt!.nat, [{
    type: "snat",
    source: "10.0.0.0/24",
    notDestination: "10.0.0.0/24",
    toSource: "1.2.3.4",
  }]);
  assertEquals(lab.links.map((l) => l.endpoints), [["br1:a-p", "a:eth0"], ["br1:rt-p", "rt:eth0"]]);
  assertEquals(lab.bridges.br1!.ports["a-p"]!.tag, 10);
  // A script's lab opened again starts from what it recorded.
  assertEquals(validateLab(LabRecord.from(lab).toLab("scr")), lab);
});
