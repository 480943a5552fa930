/**
 * OpenFlow flows, bonds, mirrors and QoS without touching the host: the checked flow subset (and
 * that ovs-ofctl parses every flow it accepts unchanged), the plans of the four recipes as
 * snapshots of their commands and undos, bad lab files reported at FILE:LINE:COL, the typed rows
 * of dump-flows, and the graph's notes.
 */
import { assert, assertEquals, assertMatch, assertThrows } from "../helpers/assert.ts";
import { assertSnapshot } from "../helpers/snapshot.ts";
import {
  getRecipe,
  LabFileError,
  ovsAddBond,
  ovsAddFlow,
  ovsAddMirror,
  ovsSetQos,
  parseLabYaml,
  planLab,
  UsageError,
  validateLab,
} from "../../mod.ts";
import { FlowSyntaxError, parseFlow } from "../../lib/ovs/flow_syntax.ts";
import { flowCookie, labCookieMark, labUuid } from "../../lib/ovs/ids.ts";
import { parseDumpFlows } from "../../lib/ovs/flows.ts";
import { shellLine } from "../../lib/exec/shell.ts";
import { graphText } from "../../lib/lab/graph.ts";
import { sandboxPlan } from "../../lib/lab/sandbox.ts";
import { type Action, shownArgv } from "../../lib/plan/step.ts";

const PORTS = new Set(["h1-p", "h2-p", "a1"]);

Deno.test("parseFlow() accepts netkit's subset and splits it", () => {
  const f = parseFlow("priority=100,icmp,nw_src=10.0.0.1,nw_dst=10.0.0.0/24,actions=drop");
  assertEquals(f, {
    table: 0,
    priority: 100,
    match: ["icmp", "nw_src=10.0.0.1", "nw_dst=10.0.0.0/24"],
    actions: ["drop"],
    ports: [],
  });
  const g = parseFlow("table=1,in_port=h1-p,tcp,tp_dst=80,actions=mod_vlan_vid:5,output:h2-p", {
    ports: PORTS,
  });
  assertEquals([g.table, g.priority, g.ports], [1, 32768, ["h1-p", "h2-p"]]);
  assertEquals(parseFlow("arp,actions=resubmit(,1),NORMAL").actions, ["resubmit(,1)", "NORMAL"]);
  assertEquals(parseFlow("actions=h2-p", { ports: PORTS }).ports, ["h2-p"]);
});

Deno.test("parseFlow() refuses what is not a flow or reaches outside the lab, saying why", () => {
  const cases: [string, RegExp][] = [
    ["-O,actions=drop", /cannot start with "-"/],
    ["--help", /cannot start with "-"/],
    ["priority=100, ip,actions=drop", /character " " is not allowed/],
    ["ip,actions=drop;reboot", /character ";" is not allowed/],
    ["ip,nw_src=$(id),actions=drop", /character "\$" is not allowed/],
    [`ip,actions=drop${",NORMAL".repeat(100)}`, /at most 512/],
    ["", /non-empty/],
    ["ip,nw_src=10.0.0.1", /no "actions="/],
    ["cookie=0x1,ip,actions=drop", /the cookie is netkit's own/],
    ["nw_src=10.0.0.1,actions=drop", /"nw_src" needs an IPv4 or ARP protocol/],
    ["tp_dst=80,actions=drop", /"tp_dst" needs tcp, udp or sctp/],
    ["ip,tp_dst=80,actions=drop", /"tp_dst" needs tcp, udp or sctp/],
    ["ip,nw_src=10.0.0.300,actions=drop", /nw_src=10\.0\.0\.300: expected an IPv4 address/],
    ["priority=70000,ip,actions=drop", /a priority is 0 to 65535/],
    ["ip,icmp,actions=drop", /one protocol/],
    ["ip,ip,actions=drop", /appears twice/],
    ["ip,actions=drop,NORMAL", /"drop" must be the only action/],
    ["ip,actions=output:h9-p", /"h9-p" is not a port of the bridge in this lab/],
    ["in_port=eth0,actions=drop", /"eth0" is not a port of the bridge/],
    ["ip,actions=output:3", /name the port instead/],
    ["ip,actions=LOCAL", /the bridge's own interface, in the host's namespace/],
    ["ip,actions=output:LOCAL", /in the host's namespace/],
    ["ip,actions=CONTROLLER:65535", /OpenFlow controller/],
    ["ip,actions=controller(reason=no_match)", /OpenFlow controller/],
    ["ip,actions=learn(table=1,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[]),NORMAL", /character "\["/],
    ["ip,actions=learn(table=1),NORMAL", /adds flows without the lab's cookie/],
    ["ip,actions=group:1", /OpenFlow group the lab does not make/],
    ["ip,actions=ct(commit),NORMAL", /connection tracking/],
    ["ip,actions=set_field:1->reg0", /character ">"/],
    ["ip,actions=mod_tp_dst:80", /needs tcp, udp or sctp in the match/],
    ["arp,actions=mod_nw_src:10.0.0.1", /needs an IPv4 protocol/],
    ["ip,bogus=1,actions=drop", /unknown or unsupported match field "bogus"/],
    ["ip,actions=exit", /unknown or unsupported action "exit"/],
    ["ip,actions=resubmit(,1", /unbalanced parentheses/],
    // Names from a lab file are data: what a plain object inherits is no protocol, field or action.
    ["constructor,actions=drop", /unknown match word "constructor"/],
    ["ip,constructor=1,actions=drop", /unknown or unsupported match field "constructor"/],
    ["ip,actions=toString:1", /unknown or unsupported action "toString:1"/],
    ["ip,actions=constructor", /unknown or unsupported action "constructor"/],
  ];
  for (const [flow, re] of cases) {
    const error = assertThrows(() => parseFlow(flow, { ports: PORTS }), FlowSyntaxError);
    assertMatch(error.message, re, flow);
    assert(error instanceof UsageError);
  }
});

/** Runs ovs-ofctl parse-flow (offline: it talks to no switch). */
async function parseWithOvsOfctl(flow: string): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command("ovs-ofctl", {
    args: ["parse-flow", flow],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

const hasOvsOfctl = await new Deno.Command("ovs-ofctl", { args: ["--version"] }).output()
  .then((r) => r.success).catch(() => false);

Deno.test(
  "every flow netkit accepts, ovs-ofctl parses as written (no field dropped)",
  { ignore: !hasOvsOfctl },
  async () => {
    const accepted = [
      "priority=100,ip,nw_src=10.0.7.1,nw_dst=10.0.7.2,actions=drop",
      "priority=100,icmp,nw_src=10.0.0.1,icmp_type=8,icmp_code=0,actions=drop",
      "table=1,priority=5,tcp,tp_dst=80,actions=drop",
      "udp,nw_dst=10.0.0.0/255.255.255.0,tp_src=53,actions=NORMAL",
      "priority=7,arp,arp_spa=10.0.0.1,arp_op=1,actions=resubmit(,1),NORMAL",
      "dl_type=0x0800,nw_proto=17,actions=FLOOD",
      "dl_src=02:00:00:00:00:01,dl_vlan=10,actions=strip_vlan,NORMAL",
      "tcp,actions=mod_tp_dst:8080,mod_nw_tos:16,dec_ttl,NORMAL",
      "ipv6,ipv6_src=fd00::1/64,actions=drop",
      "icmp6,icmp_type=128,actions=ALL",
      "ip,nw_ttl=1,actions=IN_PORT",
      "actions=NORMAL",
    ];
    // The ones ovs-ofctl would quietly rewrite are exactly the ones netkit refuses.
    const refused = ["nw_src=10.0.0.1,actions=drop", "ip,nw_src=10.0.0.300,actions=drop"];
    for (const flow of accepted) {
      parseFlow(flow);
      const r = await parseWithOvsOfctl(flow);
      assertEquals(r.code, 0, `${flow}: ${r.out}`);
      assert(!/normalization changed/.test(r.out), `${flow}: ovs-ofctl changed it:\n${r.out}`);
    }
    for (const flow of refused) {
      assertThrows(() => parseFlow(flow), FlowSyntaxError);
      const r = await parseWithOvsOfctl(flow);
      assert(r.code !== 0 || /normalization changed|10\.0\.0\.44/.test(r.out), `${flow}: ${r.out}`);
    }
  },
);

Deno.test("cookies and UUIDs mark the lab's own objects, the same on every run", () => {
  assertMatch(labCookieMark("ovs-flows"), /^[0-9a-f]{8}$/);
  assert(labCookieMark("a") !== labCookieMark("b"));
  assertEquals(flowCookie("a", 0), `0x${labCookieMark("a")}00000001`);
  assertEquals(flowCookie("a", 41), `0x${labCookieMark("a")}0000002a`);
  assertMatch(
    labUuid("x", "mirror", "br0", "m0"),
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  assertEquals(labUuid("x", "m"), labUuid("x", "m"));
  assert(labUuid("x", "m") !== labUuid("y", "m"));
});

Deno.test("the primitives: one step each, with the undo that removes exactly it", () => {
  const flow = ovsAddFlow("br0", "priority=100,icmp,actions=drop", {
    ovsRunDir: "/run/netkit/ovs",
    lab: "demo",
    index: 2,
  });
  const cookie = flowCookie("demo", 2);
  assertEquals(flow.do, [{
    argv: [
      "ovs-ofctl",
      "add-flow",
      "unix:/run/netkit/ovs/br0.mgmt",
      `cookie=${cookie},priority=100,icmp,actions=drop`,
    ],
  }]);
  assertEquals(flow.undo, [{
    argv: ["ovs-ofctl", "del-flows", "unix:/run/netkit/ovs/br0.mgmt", `cookie=${cookie}/-1`],
  }]);
  assertThrows(() => ovsAddFlow("br0", "-h", { ovsRunDir: "/run/x" }), UsageError);
  assertThrows(() => ovsAddFlow("br0", "ip,actions=drop", { ovsRunDir: "relative" }), UsageError);

  const bond = ovsAddBond("br0", "bond0", ["a1", "a2"], { primary: "a1", lab: "demo" });
  assertEquals(bond.do[0], {
    argv: [
      "ovs-vsctl",
      "add-bond",
      "br0",
      "bond0",
      "a1",
      "a2",
      "bond_mode=active-backup",
      "lacp=off",
      "--",
      "set",
      "port",
      "bond0",
      "external_ids:netkit-lab=demo",
      "other_config:bond-primary=a1",
    ],
  });
  assertEquals(bond.undo, [{ argv: ["ovs-vsctl", "--if-exists", "del-port", "br0", "bond0"] }]);
  assertThrows(() => ovsAddBond("br0", "bond0", ["a1"]), UsageError);
  assertThrows(() => ovsAddBond("br0", "bond0", ["a1", "a1"]), UsageError);
  assertThrows(() => ovsAddBond("br0", "bond0", ["a1", "a2"], { primary: "a3" }), UsageError);

  const mirror = ovsAddMirror("br0", "m0", { select: ["h1-p"], output: "mon-p", lab: "demo" });
  const uuid = labUuid("demo", "mirror", "br0", "m0");
  assertMatch(
    shellLine((mirror.do[0] as { argv: string[] }).argv),
    /select-src-port=@s0 select-dst-port=@s0 output-port=@out/,
  );
  assertEquals(mirror.undo, [{
    argv: ["ovs-vsctl", "--if-exists", "remove", "bridge", "br0", "mirrors", uuid],
  }]);
  assertThrows(() => ovsAddMirror("br0", "m0", { select: ["mon-p"], output: "mon-p" }), UsageError);

  const qos = ovsSetQos("s0", { maxRate: 10_000_000, lab: "demo" });
  const q = labUuid("demo", "qos", "s0");
  assertEquals(qos.undo, [{
    argv: [
      "ovs-vsctl",
      "--",
      "--if-exists",
      "clear",
      "port",
      "s0",
      "qos",
      "--",
      "--if-exists",
      "destroy",
      "qos",
      q,
    ],
  }]);
  // deno-lint-ignore no-explicit-any
  assertThrows(() => ovsSetQos("s0", { maxRate: 1e7, type: "linux-hfsc" as any }), UsageError);
  assertThrows(() => ovsSetQos("s0", { maxRate: 10.5 }), UsageError);
});

/** A recipe's plan as text: each step's summary, its commands, and its undo. */
function planText(name: string, options: { sandbox?: boolean } = {}): string {
  const lab = validateLab(getRecipe(name).build());
  let steps = planLab(lab, {
    stateDir: "/run/netkit/labs/" + name,
    datapathType: "netdev",
    ovsRunDir: "/run/netkit/ovs",
  });
  if (options.sandbox) steps = sandboxPlan(steps, { ns: "nk-x" });
  const line = (a: Action) =>
    "write" in a
      ? `write ${a.write}`
      : "remove" in a
      ? `rm -f ${a.remove}`
      : shellLine(shownArgv(a));
  return steps.map((s) =>
    [`# ${s.summary}`, ...s.do.map(line), ...s.undo.map((a) => `undo: ${line(a)}`)].join("\n")
  ).join("\n") + "\n";
}

for (const name of ["ovs-flows", "ovs-bond", "ovs-mirror", "ovs-qos"]) {
  Deno.test(`planLab() builds ${name}: the commands and undos of the snapshot`, async () => {
    await assertSnapshot(`plan-${name}`, planText(name));
  });
}

Deno.test("ovs-bond plan: members join only as the bond, the bond after both are up", () => {
  const text = planText("ovs-bond");
  assert(!/add-port bra a1\b/.test(text) && !/add-port brb b2\b/.test(text), text);
  assert(text.indexOf("ip link set dev a1 up") < text.indexOf("add-bond bra bond0 a1 a2"), text);
});

Deno.test("ovs-flows plan: the flow goes to the bridge's own management socket, last of OVS", () => {
  const text = planText("ovs-flows");
  const flow = text.indexOf("ovs-ofctl add-flow unix:/run/netkit/ovs/br0.mgmt");
  assert(flow > text.lastIndexOf("add-port br0"), text);
  // sandboxed, ovs-ofctl runs unchanged: it reaches the socket by path from any namespace
  assertMatch(
    planText("ovs-flows", { sandbox: true }),
    /^ovs-ofctl add-flow unix:\/run\/netkit\/ovs\/br0\.mgmt /m,
  );
  assertThrows(
    () => planLab(validateLab(getRecipe("ovs-flows").build()), { stateDir: "/tmp/x" }),
    UsageError,
  );
});

/** The first problem of a bad lab file, as FILE:LINE:COL: message. */
function problem(yaml: string): string {
  try {
    parseLabYaml(yaml, "bad.yaml");
  } catch (error) {
    if (error instanceof LabFileError) {
      const p = error.problems[0]!;
      return `${p.file}:${p.line}:${p.column}: ${p.message}`;
    }
    throw error;
  }
  throw new Error("the lab was accepted");
}

const BASE = `name: x
nodes:
  h1: { interfaces: { eth0: { addresses: [10.0.0.1/24] } } }
  h2: { interfaces: { eth0: { addresses: [10.0.0.2/24] } } }
links:
  - endpoints: [h1:eth0, br0:h1-p]
  - endpoints: [h2:eth0, br0:h2-p]
  - endpoints: [br0:a1, br1:b1]
  - endpoints: [br0:a2, br1:b2]
`;

Deno.test("bad OVS features in a lab file: FILE:LINE:COL and why", () => {
  const cases: [string, RegExp][] = [
    [
      `${BASE}bridges:\n  br1: { type: ovs }\n  br0:\n    type: ovs\n    flows:\n      - ip,actions=drop\n      - -O,actions=drop\n`,
      /^bad\.yaml:16:9: a flow cannot start with "-"/,
    ],
    [
      `${BASE}bridges:\n  br1: { type: ovs }\n  br0:\n    type: ovs\n    flows: ["ip,actions=output:b1"]\n`,
      /^bad\.yaml:14:13: output "b1" is not a port of bridge "br0" in this lab \(its ports: a1, a2, h1-p, h2-p\)/,
    ],
    [
      `${BASE}bridges:\n  br1: { type: ovs }\n  br0:\n    type: ovs\n    ports:\n      bond0: { bond: [a1, a3] }\n`,
      /^bad\.yaml:15:27: bond member "a3" is not a link's end at bridge "br0"/,
    ],
    [
      `${BASE}bridges:\n  br1: { type: ovs }\n  br0:\n    type: ovs\n    ports:\n      a1: { qos: { type: linux-hfsc, maxRate: 1000000 } }\n`,
      /^bad\.yaml:15:26: QoS type "linux-hfsc" needs its qdisc in the kernel/,
    ],
    [
      `${BASE}bridges:\n  br1: { type: ovs }\n  br0:\n    type: ovs\n    ports:\n      a1: { qos: { type: egress-policer, maxRate: 1000000 } }\n`,
      /^bad\.yaml:15:26: QoS type "egress-policer" exists only for DPDK ports/,
    ],
    [
      `${BASE}bridges:\n  br1: { type: ovs }\n  br0:\n    type: ovs\n    mirrors:\n      m0: { select: all, output: mon-p }\n`,
      /^bad\.yaml:15:34: mirror output "mon-p" is not a port of bridge "br0"/,
    ],
    [
      `${BASE}bridges:\n  br1: { type: ovs }\n  br0:\n    type: linux\n    flows: ["ip,actions=drop"]\n`,
      /^bad\.yaml:14:5: OpenFlow flows need an OVS bridge \(type: ovs\)/,
    ],
    [
      `${BASE}bridges:\n  br1: { type: ovs }\n  br0: { type: ovs, flows: ["ip,actions=drop"] }\n` +
      `expect:\n  - flow: { bridge: br0, match: "icmp" }\n    ping: { from: h1, to: 10.0.0.2 }\n`,
      /^bad\.yaml:14:33: no flow of bridge "br0" has the match "icmp"/,
    ],
  ];
  for (const [yaml, re] of cases) assertMatch(problem(yaml), re);
});

Deno.test("parseDumpFlows() gives typed rows", () => {
  const text = [
    "NXST_FLOW reply (xid=0x4):",
    ' cookie=0xabcd000000000001, duration=0.124s, table=0, n_packets=3, n_bytes=294, idle_age=0, priority=100,ip,in_port="h1-p",nw_src=10.0.0.0/24 actions=output:"h2-p"',
    " cookie=0xabcd000000000004, duration=0.086s, table=0, n_packets=0, n_bytes=0, idle_age=0, actions=drop",
    " cookie=0x0, duration=1.7s, table=1, n_packets=22, n_bytes=1768, priority=0 actions=NORMAL",
  ].join("\n");
  assertEquals(parseDumpFlows(text), [
    {
      table: 0,
      priority: 100,
      match: 'ip,in_port="h1-p",nw_src=10.0.0.0/24',
      actions: 'output:"h2-p"',
      cookie: "0xabcd000000000001",
      nPackets: 3,
      nBytes: 294,
    },
    {
      table: 0,
      priority: 32768,
      match: "",
      actions: "drop",
      cookie: "0xabcd000000000004",
      nPackets: 0,
      nBytes: 0,
    },
    {
      table: 1,
      priority: 0,
      match: "",
      actions: "NORMAL",
      cookie: "0x0",
      nPackets: 22,
      nBytes: 1768,
    },
  ]);
});

Deno.test("graph draws bonds, mirrors, QoS and flows", () => {
  const text = (name: string) => graphText(validateLab(getRecipe(name).build()));
  assertMatch(text("ovs-bond"), /a1 \[in bond0\] ──── brb \(bridge\)/);
  assertMatch(text("ovs-bond"), /bond bond0 = a1 \+ a2 \(active-backup, lacp off, primary a1\)/);
  assertMatch(text("ovs-mirror"), /mon-p \[mirror m0 out\] ──── mon:eth0/);
  assertMatch(text("ovs-mirror"), /mirror m0: every port -> mon-p/);
  assertMatch(text("ovs-qos"), /s0 \[qos 10 Mbit\/s\] ──── br1 \(bridge\)/);
  assertMatch(
    text("ovs-flows"),
    /flow priority=100,ip,nw_src=10\.0\.7\.1,nw_dst=10\.0\.7\.2,actions=drop/,
  );
});
