/**
 * containerlab topologies read as netkit labs: what maps (kinds, links, exec lines, inherited
 * settings), what is refused (containers, images, shell, the host's own network) and what is
 * ignored with a notice, each at the topology's own line and column. No root needed.
 *
 * @module
 */
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import {
  LabFileError,
  type LabFileProblem,
  loadLabFile,
  parseLabYaml,
} from "../../lib/lab/file.ts";

const EXAMPLES = new URL("../../examples/clab/", import.meta.url).pathname;

/** The problems of a topology that must fail, as "LINE:COLUMN: message". */
function problems(text: string, ignoreImages = true): string[] {
  const error = assertThrows(
    () => parseLabYaml(text, "topo.clab.yml", { ignoreImages }),
    LabFileError,
  );
  return error.problems.map((p) => `${p.line}:${p.column}: ${p.message}`);
}

/** Asserts that one problem matches `pattern`. */
function assertProblem(text: string, pattern: RegExp, ignoreImages = true): void {
  const all = problems(text, ignoreImages);
  assert(all.some((p) => pattern.test(p)), `no problem matches ${pattern}:\n${all.join("\n")}`);
}

const PAIR = (exec1: string[], extra = "") =>
  `name: pair
topology:
  nodes:
    n1:
      kind: linux
      exec:
${exec1.map((l) => `        - ${l}`).join("\n")}
    n2:
      kind: linux
${extra}
  links:
    - endpoints: ["n1:eth1", "n2:eth1"]
`;

Deno.test("linux-pair.clab.yml: nodes, a link, addresses and a ping per peer", async () => {
  const notices: LabFileProblem[] = [];
  const lab = await loadLabFile(`${EXAMPLES}linux-pair.clab.yml`, {
    ignoreImages: true,
    onNotice: (n) => notices.push(n),
  });
  assertEquals(lab.name, "linux-pair");
  // Namespaces are named as containerlab names its containers: clab-LAB-NODE.
  assertEquals(Object.keys(lab.nodes), ["clab-linux-pair-n1", "clab-linux-pair-n2"]);
  assertEquals(lab.nodes["clab-linux-pair-n1"]?.interfaces.eth1?.addresses, ["192.168.0.1/30"]);
  assertEquals(lab.links, [{ endpoints: ["clab-linux-pair-n1:eth1", "clab-linux-pair-n2:eth1"] }]);
  assertEquals(lab.expect, [
    { ping: { from: "clab-linux-pair-n1", to: "192.168.0.2" }, reach: true },
  ]);
  // containerlab's MTU for a veth link.
  assertEquals(lab.mtu, 9500);
  assertEquals(notices.map((n) => `${n.line}:${n.column}`), ["14:14", "20:14"]);
  assert(notices.every((n) => /image .* ignored/.test(n.message)));
});

Deno.test("bridge.clab.yml: a Linux bridge, the kind's image once, mgmt ignored", async () => {
  const notices: string[] = [];
  const lab = await loadLabFile(`${EXAMPLES}bridge.clab.yml`, {
    ignoreImages: true,
    onNotice: (n) => notices.push(`${n.line}:${n.column}: ${n.message}`),
  });
  assertEquals(lab.bridges["br-clab"]?.type, "linux");
  assertEquals(lab.links.length, 3);
  assertEquals(lab.expect.map((e) => "ping" in e ? e.ping : undefined), [
    { from: "clab-bridge-hosts-h1", to: "10.10.0.2" },
    { from: "clab-bridge-hosts-h1", to: "10.10.0.3" },
  ]);
  assertEquals(notices, [
    '9:1: "mgmt" is ignored: a netkit lab has no management network',
    '16:14: image "alpine:3" ignored: nodes h1, h2, h3 run this host\'s programs',
  ]);
});

Deno.test("routed.clab.yml: defaults, OVS, the veth link form, sysctl and routes", async () => {
  const lab = await loadLabFile(`${EXAMPLES}routed.clab.yml`, { ignoreImages: true });
  assertEquals(lab.bridges.sw1?.type, "ovs");
  const node = (n: string) => lab.nodes[`clab-routed-${n}`];
  assertEquals(node("r1")?.role, "router");
  assertEquals(node("h1")?.routes, [{ to: "default", via: "10.1.0.1" }]);
  assertEquals(node("h2")?.routes, [{ to: "10.1.0.0/24", via: "10.2.0.1", dev: "eth1" }]);
  assertEquals(lab.links[2], { endpoints: ["clab-routed-r1:eth2", "clab-routed-h2:eth1"] });
  assertEquals(lab.expect.length, 2);
});

Deno.test("a container image is refused, once per place it is written, unless ignored", () => {
  const text = PAIR(["ip addr add 10.0.0.1/24 dev eth1"], "      image: alpine:3");
  assertEquals(problems(text, false), [
    '10:14: image "alpine:3" refused: netkit builds namespaces, not containers (node n2 would ' +
    "run this host's programs, not the image's); --ignore-images builds it anyway",
  ]);
  parseLabYaml(text, "topo.clab.yml", { ignoreImages: true });
});

Deno.test("kinds that need a container, and kind host, are refused at the kind", () => {
  const srl = `name: x
topology:
  nodes:
    srl1:
      kind: nokia_srlinux
      image: ghcr.io/nokia/srlinux
    ceos:
      kind: arista_ceos
`;
  const all = problems(srl);
  assert(
    all.includes(
      '5:13: netkit builds namespaces, not containers; kind "nokia_srlinux" needs a container ' +
        "(netkit builds kinds linux, bridge and ovs-bridge)",
    ),
    all.join("\n"),
  );
  assert(
    all.some((p) =>
      p.startsWith('8:13: netkit builds namespaces, not containers; kind "arista_ceos"')
    ),
  );
  assertProblem(
    "name: x\ntopology:\n  nodes:\n    h:\n      kind: host\n",
    /^5:13: kind host is this machine's own network/,
  );
  assertProblem("name: x\ntopology:\n  nodes:\n    h: {}\n", /^4:5: node "h" has no kind/);
});

Deno.test("exec lines are parsed, never run: shell syntax and other commands are refused", () => {
  for (
    const [line, why] of [
      ["ip addr add 10.0.0.1/24 dev eth1; reboot", /"eth1;" is shell syntax/],
      ["ip addr add 10.0.0.1/24 dev $(id)", /"\$\(id\)" is shell syntax/],
      ["bash -c id", /netkit runs no commands from a topology; it reads only: ip \[-4\|-6\] addr/],
      ["ip -4 addr add 2001:db8::1/64 dev eth1", /2001:db8::1\/64 is not an IPv4 address/],
      ["ip -6 route add 10.1.0.0/16 via 10.0.0.2", /10\.1\.0\.0\/16 is not an IPv6 address/],
      ["ip route add 2001:db8:9::/48 via 10.0.0.2", /not of the family of 2001:db8:9::\/48/],
      ["ip -br link set eth1 up", /option -br is not supported/],
      ["ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev eth1", /it reads only: ip/],
      ["ip link add vx0 type vxlan id 5", /ip link add reads only type dummy/],
      ["ip link add d1 d2 type dummy", /expected ip link add \[name\] NAME type dummy/],
      ["ip addr add 10.0.0.300/24 dev eth1", /10\.0\.0\.300 is not an IPv4 address/],
      ["ip addr add 10.0.0.1/24 dev eth1 label x", /"label" is not supported/],
      ["ip route add default via 10.0.0.999", /Invalid IPv4 address "10\.0\.0\.999"/],
      ["ip link set eth1 mtu 9000", /expected ip link set \[dev\] IF up/],
      ["ip link set eth7 up", /no link puts interface "eth7" into node "n1"/],
      ["sysctl -w a", /expected sysctl -w KEY=VALUE/],
    ] as const
  ) {
    const text = PAIR([line]);
    const all = problems(text);
    assert(all.some((p) => p.startsWith("7:11: ") && why.test(p)), `${line}:\n${all.join("\n")}`);
  }
});

Deno.test("an exec address on an interface no link brings is reported at its exec line", () => {
  assertProblem(
    PAIR(["ip addr add 10.0.0.1/24 dev eth9"]),
    /^7:11: no link or internal port puts interface "eth9" into node "clab-pair-n1"/,
  );
  assertProblem(
    PAIR(["ip addr add 10.0.0.1/24 dev eth1", "ip route add 10.5.0.0/16 via 10.9.0.1"]),
    /^8:11: gateway 10\.9\.0\.1 is outside every subnet of node "clab-pair-n1"/,
  );
});

Deno.test("a host: endpoint is a veth end in the root namespace, named by the file", () => {
  const topo = (ep: string) =>
    `name: x\ntopology:\n  nodes:\n    n1: { kind: linux }\n  links:\n    - endpoints: ["${ep}", "n1:eth1"]\n`;
  const lab = parseLabYaml(topo("host:veth-x"), "topo.clab.yml");
  assertEquals(lab.links, [{ endpoints: ["root:veth-x", "clab-x-n1:eth1"] }]);
  // Its name follows the rules of every root-side name, and is refused at the endpoint.
  assertProblem(topo("host:if3"), /^6:19: invalid interface name: iproute2 reads "if3"/);
  assertProblem(topo("host:lo"), /^6:19: invalid interface name: "lo" is reserved/);
  // Two ends of one name in the root namespace.
  assertProblem(
    `name: x\ntopology:\n  nodes:\n    n1: { kind: linux }\n  links:\n` +
      `    - endpoints: ["n1:eth1", "host:hx"]\n    - endpoints: ["n1:eth2", "host:hx"]\n`,
    /^7:30: interface "hx" is defined twice in the root namespace/,
  );
});

Deno.test("ip link add NAME type dummy is a dummy interface of the node, addressed and up", () => {
  const lab = parseLabYaml(
    PAIR(["ip link add lo1 type dummy", "ip addr add 10.255.0.1/32 dev lo1", "ip link set lo1 up"]),
    "topo.clab.yml",
  );
  assertEquals(lab.nodes["clab-pair-n1"]!.interfaces.lo1, {
    addresses: ["10.255.0.1/32"],
    dhcp: false,
    dummy: true,
  });
  // A dummy with the name of a link's end: refused at the exec line.
  assertProblem(
    PAIR(["ip link add eth1 type dummy"]),
    /^7:11: interface "eth1" is defined twice in node "clab-pair-n1"/,
  );
});

Deno.test("links to the management network or a NIC are refused", () => {
  const topo = (ep: string) =>
    `name: x\ntopology:\n  nodes:\n    n1: { kind: linux }\n  links:\n    - endpoints: ["n1:eth1", "${ep}"]\n`;
  assertProblem(topo("mgmt-net:n1-eth1"), /management network/);
  assertProblem(topo("macvlan:enp0s3"), /real NIC/);
  assertProblem(topo("n9:eth1"), /node "n9" is not in topology\.nodes/);
  assertProblem(
    "name: x\ntopology:\n  nodes:\n    n1: { kind: linux }\n  links:\n    - type: vxlan\n      endpoint: { node: n1, interface: eth1 }\n",
    /^6:13: link type "vxlan" is not supported/,
  );
});

Deno.test("container settings and unknown keys are refused at the key", () => {
  assertProblem(
    PAIR(["ip addr add 10.0.0.1/24 dev eth1"], "      env:\n        A: b"),
    /^10:7: "env" is not supported: netkit builds namespaces, not containers/,
  );
  // A bind other than FRR's configuration is refused at the bind.
  assertProblem(
    PAIR(["ip addr add 10.0.0.1/24 dev eth1"], "      binds:\n        - /etc:/etc"),
    /^11:11: bind "\/etc:\/etc" refused: netkit builds namespaces, not containers/,
  );
  assertProblem(
    `colour: blue\n${PAIR(["ip link set eth1 up"])}`,
    /^1:1: unrecognized key "colour"/,
  );
  assertProblem(
    "name: x\ntopology:\n  nodes: {}\n  stages: {}\n",
    /^4:3: unrecognized key "stages"/,
  );
});

Deno.test("the lab's own validation points into the topology: a bad name, a long interface", () => {
  assertProblem(
    PAIR(["ip link set eth1 up"]).replace("name: pair", "name: a/b"),
    /^1:7: a lab name uses letters, digits/,
  );
  assertProblem(
    PAIR(["ip addr add 10.0.0.1/24 dev eth1"]).replace(
      '"n1:eth1", "n2:eth1"',
      '"n1:eth1", "n2:an-interface-name-too-long"',
    ),
    /^12:30: .*over 15 bytes/,
  );
});

Deno.test("a topology not named .clab.yml is recognised by its topology key", () => {
  const lab = parseLabYaml(PAIR(["ip addr add 10.0.0.1/24 dev eth1"]), "lab.yaml");
  assertEquals(lab.name, "pair");
});

Deno.test("exec lines of defaults, kind, group and node all apply, in containerlab's order", () => {
  const lab = parseLabYaml(
    `name: merged
topology:
  defaults:
    exec: [sysctl -w net.ipv4.conf.all.rp_filter=0]
  kinds:
    linux:
      exec: [sysctl -w net.ipv4.ip_forward=1]
  groups:
    edge:
      exec: [ip route add default via 10.0.0.2]
  nodes:
    n1:
      kind: linux
      group: edge
      exec: [ip addr add 10.0.0.1/24 dev eth1]
    n2:
      kind: linux
      exec: [ip addr add 10.0.0.2/24 dev eth1]
  links:
    - endpoints: [n1:eth1, n2:eth1]
`,
    "merged.clab.yml",
  );
  for (const n of ["clab-merged-n1", "clab-merged-n2"]) {
    assertEquals({ ...lab.nodes[n]?.sysctls }, { "net.ipv4.conf.all.rp_filter": "0" }, n);
    assertEquals(lab.nodes[n]?.role, "router", n);
  }
  assertEquals(lab.nodes["clab-merged-n1"]?.routes, [{ to: "default", via: "10.0.0.2" }]);
  assertEquals(lab.nodes["clab-merged-n2"]?.routes, []);
  assertEquals(lab.nodes["clab-merged-n1"]?.interfaces.eth1?.addresses, ["10.0.0.1/24"]);
});

Deno.test("an exec line no node takes is refused at its line, once", () => {
  const all = problems(`name: untaken
topology:
  defaults:
    kind: linux
  kinds:
    nokia_srlinux:
      exec: [ip addr add 10.0.0.9/24 dev e1-1]
  groups:
    spare:
      exec:
        - ip route add default via 10.0.0.254
  nodes:
    n1: {}
    n2: {}
`);
  assertEquals(all, [
    '7:14: exec line "ip addr add 10.0.0.9/24 dev e1-1" refused: no node netkit builds is of ' +
    "kind nokia_srlinux",
    '11:11: exec line "ip route add default via 10.0.0.254" refused: no node netkit builds is ' +
    "in group spare",
  ]);
  // A bad line two nodes inherit: refused once.
  assertEquals(
    problems(`name: twice
topology:
  defaults:
    kind: linux
    exec: [reboot]
  nodes:
    n1: {}
    n2: {}
`).length,
    1,
  );
});

Deno.test("names from the topology are its own: __proto__ is a name, Object.prototype untouched", () => {
  const polluted = () => Object.keys(Object.prototype).length + ("addresses" in {} ? 1 : 0);
  const before = polluted();
  const exec = (line: string) =>
    `name: own
topology:
  nodes:
    n1:
      kind: linux
      exec:
        - ip addr add 10.0.0.1/24 dev eth1
        - ${line}
    n2: { kind: linux }
  links:
    - endpoints: [n1:eth1, n2:eth1]
`;
  for (const line of ["ip addr add 10.0.0.3/24 dev __proto__", "sysctl -w __proto__=1"]) {
    const all = problems(exec(line));
    assertEquals(all.length, 1, all.join("\n"));
    assert(all[0]!.startsWith("8:11: "), all[0]);
    assert(all[0]!.includes('"__proto__" is a name every JavaScript object already has'), all[0]);
  }
  // A node, an endpoint or a special endpoint named like a property of every object.
  for (const name of ["constructor", "toString", "__proto__"]) {
    const link = problems(
      PAIR(["ip addr add 10.0.0.1/24 dev eth1"]).replace(
        '"n1:eth1", "n2:eth1"',
        `"${name}:eth1", "n2:eth1"`,
      ),
    );
    assertEquals(link.length, 1, link.join("\n"));
    assert(link[0]!.endsWith(`node "${name}" is not in topology.nodes`), link[0]);
  }
  assertEquals(polluted(), before);
});

Deno.test("ip abbreviations, -6 and IPv6 addresses are read; lines that only show are noted", () => {
  const notices: string[] = [];
  const lab = parseLabYaml(
    PAIR(
      [
        "ip a a 10.0.0.1/24 dev eth1",
        "ip -6 addr add 2001:db8::1/64 dev eth1",
        "ip l s eth1 up",
        "ip r add 10.9.0.0/16 via 10.0.0.2",
        "ip -6 r add 2001:db8:9::/48 via 2001:db8::2",
        "ip -6 route add default dev eth1",
        "ip a",
        "ip -br link show dev eth1",
        "ip -6 route",
      ],
      "      exec: [ip addr add 10.0.0.2/24 dev eth1, ip addr add 2001:db8::2/64 dev eth1]",
    ),
    "topo.clab.yml",
    { onNotice: (n) => notices.push(`${n.line}:${n.column}: ${n.message}`) },
  );
  const n1 = lab.nodes["clab-pair-n1"]!;
  assertEquals(n1.interfaces.eth1?.addresses, ["10.0.0.1/24", "2001:db8::1/64"]);
  assertEquals(n1.routes, [
    { to: "10.9.0.0/16", via: "10.0.0.2" },
    { to: "2001:db8:9::/48", via: "2001:db8::2" },
    { to: "::/0", dev: "eth1" },
  ]);
  assertEquals(notices, [
    '13:11: exec line "ip a" ignored: it only shows',
    '14:11: exec line "ip -br link show dev eth1" ignored: it only shows',
    '15:11: exec line "ip -6 route" ignored: it only shows',
  ]);
  // Each family's peer gets a ping.
  assertEquals(lab.expect.map((e) => "ping" in e ? e.ping?.to : undefined), [
    "10.0.0.2",
    "2001:db8::2",
  ]);
});

Deno.test("group comes from the node, else its kind's entry in kinds, else defaults", () => {
  const topo = (kinds: string) =>
    `name: groups
topology:
  defaults:
    kind: linux
    group: edge
${kinds}
  groups:
    core:
      exec: [sysctl -w net.ipv4.ip_forward=1]
    edge:
      exec: [ip route add default via 10.0.0.2]
  nodes:
    n1:
      group: edge
      exec: [ip addr add 10.0.0.1/24 dev eth1]
    n2:
      exec: [ip addr add 10.0.0.2/24 dev eth1, ip route add 10.9.0.0/16 via 10.0.0.1]
  links:
    - endpoints: [n1:eth1, n2:eth1]
`;
  // Without a group in kinds, n2 is in the defaults' group, edge.
  const a = parseLabYaml(
    topo("  kinds:\n    linux: {}\n").replace(/\n {4}core:\n.*\n/, "\n"),
    "g.clab.yml",
  );
  assertEquals(a.nodes["clab-groups-n2"]?.routes, [
    { to: "default", via: "10.0.0.2" }, // the group's exec lines run before the node's
    { to: "10.9.0.0/16", via: "10.0.0.1" },
  ]);
  // With kinds.linux.group, n2 is in core (a router); n1 names edge itself.
  const b = parseLabYaml(topo("  kinds:\n    linux:\n      group: core\n"), "g.clab.yml");
  assertEquals(b.nodes["clab-groups-n2"]?.role, "router");
  assertEquals(b.nodes["clab-groups-n2"]?.routes, [{ to: "10.9.0.0/16", via: "10.0.0.1" }]);
  assertEquals(b.nodes["clab-groups-n1"]?.role, "host");
  assertEquals(b.nodes["clab-groups-n1"]?.routes, [{ to: "default", via: "10.0.0.2" }]);
});

Deno.test("network-mode container:OTHER puts a node's links and exec lines in OTHER's namespace", () => {
  const lab = parseLabYaml(
    `name: shared
topology:
  nodes:
    a:
      kind: linux
      network-mode: container:b
      exec: [ip addr add 10.0.0.1/24 dev eth1]
    b:
      kind: linux
      exec: [ip addr add 10.0.1.1/24 dev eth2]
    c:
      kind: linux
      exec: [ip addr add 10.0.0.2/24 dev eth1, ip addr add 10.0.1.2/24 dev eth2]
  links:
    - endpoints: [a:eth1, c:eth1]
    - endpoints: [b:eth2, c:eth2]
`,
    "shared.clab.yml",
  );
  assertEquals(Object.keys(lab.nodes), ["clab-shared-b", "clab-shared-c"]);
  assertEquals(Object.keys(lab.nodes["clab-shared-b"]!.interfaces).sort(), ["eth1", "eth2"]);
  assertEquals(lab.links[0], { endpoints: ["clab-shared-b:eth1", "clab-shared-c:eth1"] });
  for (
    const [mode, why] of [
      ["host", /network-mode "host" is not supported: netkit reads container:NODE/],
      ["container:ext", /node "ext" is not in topology\.nodes/],
      ["container:a", /node "a" shares another node's namespace itself/],
    ] as const
  ) {
    assertProblem(
      `name: m\ntopology:\n  nodes:\n    a: { kind: linux, network-mode: container:c }\n` +
        `    b: { kind: linux, network-mode: "${mode}" }\n    c: { kind: linux }\n`,
      new RegExp(`^5:\\d+: .*${why.source}`),
    );
  }
  assertProblem(
    `name: m\ntopology:\n  nodes:\n    br: { kind: bridge, network-mode: container:c }\n` +
      `    c: { kind: linux }\n`,
    /^4:\d+: network-mode on a bridge/,
  );
});

Deno.test("links get containerlab's MTU (9500) or their own; links that differ are refused", () => {
  const topo = (mtu1: string, mtu2: string) =>
    `name: mtu\ntopology:\n  nodes:\n    a: { kind: linux }\n    b: { kind: linux }\n  links:\n` +
    `    - endpoints: [a:eth1, b:eth1]\n${mtu1}    - endpoints: [a:eth2, b:eth2]\n${mtu2}`;
  assertEquals(parseLabYaml(topo("", ""), "t.clab.yml").mtu, 9500);
  assertEquals(
    parseLabYaml(topo("      mtu: 1500\n", "      mtu: 1500\n"), "t.clab.yml").mtu,
    1500,
  );
  assertProblem(
    topo("", "      mtu: 1500\n"),
    /^9:12: MTU 1500 differs from the first link's 9500: a netkit lab gives all its links one MTU/,
  );
  assertProblem(topo("      mtu: 100\n", ""), /^8:12: mtu is a whole number from 576 to 65535/);
});

Deno.test("namespaces are named as containerlab names containers; prefix changes it", () => {
  const names = (prefix: string) =>
    Object.keys(
      parseLabYaml(
        PAIR(["ip link set eth1 up"]).replace("name: pair", `name: pair\n${prefix}`),
        "t.clab.yml",
      ).nodes,
    );
  assertEquals(names(""), ["clab-pair-n1", "clab-pair-n2"]);
  assertEquals(names('prefix: ""'), ["n1", "n2"]);
  assertEquals(names("prefix: __lab-name"), ["pair-n1", "pair-n2"]);
  assertEquals(names("prefix: lab"), ["lab-pair-n1", "lab-pair-n2"]);
  // A bridge keeps its name, as in containerlab.
  const lab = parseLabYaml(
    "name: b\ntopology:\n  nodes:\n    n1: { kind: linux }\n    br1: { kind: bridge }\n" +
      "  links:\n    - endpoints: [n1:eth1, br1:p1]\n",
    "t.clab.yml",
  );
  assertEquals(Object.keys(lab.bridges), ["br1"]);
  assertEquals(lab.links[0], { endpoints: ["clab-b-n1:eth1", "br1:p1"] });
  assertProblem(
    PAIR(["ip link set eth1 up"]).replace("name: pair", "name: a-rather-long-lab-name-here"),
    /^4:5: namespace "clab-a-rather-long-lab-name-here-n1" \(containerlab's name for node "n1"\) is over 32 bytes: .*prefix: ""/,
  );
});
