/**
 * What a lab may touch (lib/reach.ts): names that tools read as something else, sysctls of the
 * node's own only, printable text, the uplink opt-in, untag on the lab's own ports, the size
 * bounds, and the names preflight checks on the host. The same rules on the real `ip` and the
 * real kernel: tests/integration/attacks_test.ts.
 */
import { assert, assertEquals, assertMatch, assertThrows } from "../helpers/assert.ts";
import {
  chain,
  type LabInput,
  LabValidationError,
  parseLabYaml,
  sysctl,
  UsageError,
  validateLab,
  vethPair,
} from "../../mod.ts";
import {
  hostNamesOf,
  ifnameProblem,
  LAB_LIMITS,
  nsNameProblem,
  printable,
  sysctlKeyProblem,
  sysctlValueProblem,
  textProblem,
} from "../../lib/reach.ts";
import { terminalSafe } from "../../lib/cli/output.ts";
import { dhcpClientFiles, dhcpFiles } from "../../lib/primitives/dhcp.ts";
import { LabFileError } from "../../lib/lab/file.ts";
import { ipToNumber } from "../../lib/addr.ts";

Deno.test("ifnameProblem() refuses every name iproute2 reads as an interface index", () => {
  for (const name of ["if1", "if2", "if02", "if2x", "if-1", "if-4294967294", "if1.0", "if0"]) {
    assertMatch(ifnameProblem(name) ?? "", /interface with index/, name);
  }
  for (const name of ["1", "42", "007"]) assertMatch(ifnameProblem(name) ?? "", /all digits/, name);
  for (const name of ["lo", "all", "default", "any", "ovs-netdev", "ovs-system", "sit0", "gre0"]) {
    assertMatch(ifnameProblem(name) ?? "", /reserved/, name);
  }
  for (const name of ["eth0", "if", "ifa", "iface1", "ifb0", "If2", "veth-if2", "lo0", "x1"]) {
    assertEquals(ifnameProblem(name), undefined, name);
  }
});

Deno.test("nsNameProblem() refuses namespace names iproute2 reads as a process ID", () => {
  for (const name of ["1", "123", "0x1f", "0X1F", "017"]) {
    assertMatch(nsNameProblem(name) ?? "", /process ID/, name);
  }
  for (const name of ["ns1", "1a", "0x", "0xg", "h-1"]) {
    assertEquals(nsNameProblem(name), undefined);
  }
});

Deno.test("the primitives refuse the same names (a script gets the rule too)", () => {
  assertThrows(() => vethPair("if2", "eth0", { peerNs: "ns1" }), UsageError);
  assertThrows(() => vethPair("veth-a", "eth0", { peerNs: "1" }), UsageError);
  assertThrows(() => sysctl("ns1", "kernel.core_pattern", "|/tmp/x"), UsageError);
  assertThrows(() => sysctl("ns1", "net.ipv4.ip_forward", "1\n0"), UsageError);
  sysctl("ns1", "net.ipv4.conf.all.rp_filter", "2"); // the node's own: fine
});

Deno.test("sysctlKeyProblem() allows only the node's own net.* keys", () => {
  const refused: [string, RegExp][] = [
    ["kernel.core_pattern", /not a network namespace setting.*kernel\.\* changes the whole host/],
    ["vm.overcommit_memory", /not a network namespace setting/],
    ["fs.protected_symlinks", /not a network namespace setting/],
    ["net", /names one setting/],
    ["-pnet.ipv4.ip_forward", /starts with "-"/],
    ["net.ipv4.-w", /segment that starts with "-"/],
    ["net/ipv4/ip_forward", /holds "\/"/],
    ["net.ipv4.../../kernel", /holds "\/"/],
    ["net..ipv4.ip_forward", /empty segment/],
    ["net.ipv4.ip_forward.", /empty segment/],
    [".net.ipv4.ip_forward", /empty segment/],
    ["net.ipv4.conf.*.forwarding", /only letters, digits/],
    ["net.ipv4.ip_forward=1", /only letters, digits/],
    ["", /empty/],
    [`net.${"x".repeat(300)}`, /over 200 bytes/],
    ["net.core.netdev_max_backlog", /host-wide/],
    ["net.core.bpf_jit_enable", /host-wide/],
    ["net.core.rmem_max", /read-only/],
    ["net.ipv4.tcp_mem", /host-wide/],
    ["net.ipv4.route.gc_thresh", /host-wide/],
    ["net.ipv4.neigh.default.gc_thresh3", /host-wide/],
    ["net.ipv6.neigh.default.gc_thresh1", /host-wide/],
    ["net.ipv4.conf.eth0.mc_forwarding", /read-only/],
    ["net.netfilter.nf_conntrack_max", /read-only/],
    ["net.netfilter.nf_hooks_lwtunnel", /never be turned off/],
    ["net.nf_conntrack_max", /host-wide/],
  ];
  for (const [key, why] of refused) assertMatch(sysctlKeyProblem(key) ?? "", why, key);
  for (
    const key of [
      "net.ipv4.ip_forward",
      "net.ipv4.conf.all.rp_filter",
      "net.ipv4.conf.eth0.proxy_arp",
      "net.ipv4.conf.My_If-1.forwarding",
      "net.ipv6.conf.all.disable_ipv6",
      "net.ipv4.neigh.default.base_reachable_time_ms",
      "net.ipv4.neigh.eth0.gc_stale_time",
      "net.ipv4.route.min_pmtu",
      "net.ipv6.route.gc_thresh",
      "net.core.somaxconn",
      "net.ipv4.ip_local_port_range",
      "net.netfilter.nf_conntrack_tcp_timeout_established",
      "net.bridge.bridge-nf-call-iptables",
      "net.ipv4.tcp_congestion_control",
    ]
  ) assertEquals(sysctlKeyProblem(key), undefined, key);
});

Deno.test("sysctlValueProblem() allows whole numbers and short printable text", () => {
  assertEquals(sysctlValueProblem("net.ipv4.ip_forward", 1), undefined);
  assertEquals(sysctlValueProblem("net.ipv4.ip_local_port_range", "20000 30000"), undefined);
  assertEquals(sysctlValueProblem("net.ipv4.tcp_congestion_control", "cubic"), undefined);
  assertMatch(sysctlValueProblem("net.ipv4.ip_forward", 1.5) ?? "", /whole number/);
  assertMatch(sysctlValueProblem("net.ipv4.ip_forward", "1\n0") ?? "", /U\+000A/);
  assertMatch(sysctlValueProblem("net.ipv4.ip_forward", "1\t0") ?? "", /U\+0009/);
  assertMatch(sysctlValueProblem("net.ipv4.ip_forward", "\x1b[2J") ?? "", /U\+001B/);
  assertMatch(sysctlValueProblem("net.ipv4.ip_forward", "é") ?? "", /printable ASCII/);
  assertMatch(sysctlValueProblem("net.ipv4.ip_forward", "1".repeat(257)) ?? "", /at most 256/);
  assertMatch(
    sysctlValueProblem("net.ipv4.tcp_congestion_control", "bbr") ?? "",
    /kernel module tcp_bbr/,
  );
});

Deno.test("textProblem() and printable(): nothing a terminal would obey", () => {
  assertEquals(textProblem("A lab.\nTwo lines,\ttabbed."), undefined);
  for (const c of ["\x1b", "\x07", "\r", "\x7f", "\x9b", "\u202e", "\u2066", "\u2028"]) {
    assertMatch(textProblem(`a${c}b`) ?? "", /control character U\+/, JSON.stringify(c));
  }
  assertMatch(textProblem("x".repeat(1001)) ?? "", /at most 1000/);
  assertEquals(printable("a\x1b]0;owned\x07b\n\tc"), "a\\u001b]0;owned\\u0007b\n\tc");
  assertEquals(printable("\u202eevil"), "\\u202eevil");
  // The CLI writes netkit's own colours and progress, and escapes everything else.
  assertEquals(terminalSafe("\x1b[32mUp\x1b[0m: lab \x1b[2J"), "\x1b[32mUp\x1b[0m: lab \\u001b[2J");
  assertEquals(terminalSafe("\r\x1b[2K[1/3] step\r"), "\r\x1b[2K[1/3] step\\u000d");
  // Escapes stay valid JSON inside JSON strings.
  assertEquals(JSON.parse(terminalSafe(JSON.stringify({ d: "a\x9bb" }))), { d: "a\x9bb" });
});

const pair = (extra: Partial<LabInput> = {}): LabInput => ({
  name: "t",
  nodes: { a: { interfaces: { eth0: { addresses: ["10.9.0.1/24"] } } } },
  bridges: { br: { type: "linux" } },
  links: [{ endpoints: ["a:eth0", "br:a-p"] }],
  ...extra,
});

const issuesOf = (input: unknown, options = {}) => {
  try {
    validateLab(input, "lab", options);
    return [];
  } catch (error) {
    if (!(error instanceof LabValidationError)) throw error;
    return error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  }
};

Deno.test("validateLab(): a bridge's uplink only with --uplink for that NIC", () => {
  const lab = pair({ bridges: { br: { type: "linux", uplink: "ens3" } } });
  const [refused, ...rest] = issuesOf(lab);
  assertEquals(rest, []);
  assertMatch(refused ?? "", /^bridges\.br\.uplink: uplink "ens3" would move .*--uplink ens3/);
  assertEquals(issuesOf(lab, { uplinks: ["ens4"] }).length, 1);
  assertEquals(issuesOf(lab, { uplinks: ["ens3"] }), []);
  assertEquals(issuesOf(lab, { uplinks: "any" }), []);
});

Deno.test("validateLab(): no DHCP server on the LAN of an uplink, also through a bridge link", () => {
  const dhcp = {
    interfaces: { eth0: { addresses: ["10.9.0.1/24"] } },
    dhcpServer: { interface: "eth0", range: ["10.9.0.10", "10.9.0.20"] as [string, string] },
  };
  const direct = pair({
    nodes: { a: dhcp },
    bridges: { br: { type: "linux", uplink: "ens3" } },
  });
  assertMatch(
    issuesOf(direct, { uplinks: ["ens3"] }).join("\n"),
    /^nodes\.a\.dhcpServer\.interface: a DHCP server on "eth0" would answer the real network/,
  );
  const twoHops = pair({
    nodes: { a: dhcp },
    bridges: { br: { type: "linux" }, up: { type: "linux", uplink: "ens3" } },
    links: [{ endpoints: ["a:eth0", "br:a-p"] }, { endpoints: ["br:s0", "up:s1"] }],
  });
  assertEquals(issuesOf(twoHops, { uplinks: ["ens3"] }).length, 1);
  const apart = pair({
    nodes: { a: dhcp },
    bridges: { br: { type: "linux" }, up: { type: "linux", uplink: "ens3" } },
  });
  assertEquals(issuesOf(apart, { uplinks: ["ens3"] }), []);
});

Deno.test("validateLab(): on an uplink's LAN, what speaks needs --uplink-allow by name", () => {
  const router = (node: Record<string, unknown>, extra: Partial<LabInput> = {}) =>
    pair({
      nodes: {
        a: {
          role: "router",
          interfaces: {
            eth0: { addresses: ["10.9.0.1/24"] },
            eth1: { addresses: ["10.8.0.1/24"] },
          },
          ...node,
        },
        b: { interfaces: { eth0: { addresses: ["10.8.0.2/24"] } } },
      },
      bridges: { br: { type: "linux", uplink: "ens3" } },
      links: [{ endpoints: ["a:eth0", "br:a-p"] }, { endpoints: ["a:eth1", "b:eth0"] }],
      ...extra,
    });
  const up = { uplinks: ["ens3"] };
  const ospf = router({ routing: { ospf: { interfaces: ["eth1", "eth0"] } } });
  assertMatch(
    issuesOf(ospf, up).join("\n"),
    /^nodes\.a\.routing\.ospf\.interfaces\.1: OSPF on "eth0" would speak to the real network's routers: bridge "br" shares a LAN with uplink "ens3"; .*add --uplink-allow ospf to the command line/,
  );
  assertEquals(issuesOf(ospf, { ...up, uplinkAllow: ["ospf"] }), []);
  assertEquals(issuesOf(ospf, { ...up, uplinkAllow: ["bgp", "dhcp"] }).length, 1);
  assertEquals(issuesOf(ospf, { uplinks: "any", uplinkAllow: "any" }), [], "a picture");
  // Passive interfaces send nothing; OSPF on the lab's own side is the lab's business.
  const passive = router({ routing: { ospf: { interfaces: ["eth1"], passive: ["eth0"] } } });
  assertEquals(issuesOf(passive, up), []);
  // BGP: only a neighbor in a subnet of the interface on the LAN.
  const bgp = (address: string) =>
    router({ routing: { bgp: { asn: 1, neighbors: [{ address, asn: 2 }] } } });
  assertMatch(issuesOf(bgp("10.9.0.9"), up).join(), /BGP neighbor 10\.9\.0\.9 \(through "eth0"\)/);
  assertEquals(issuesOf(bgp("10.8.0.2"), up), []);
  // Proxy ARP/NDP: on the LAN's interface, all or default; off (0) or elsewhere is fine.
  const sysctls = (key: string, value: string | number) => router({ sysctls: { [key]: value } });
  for (const key of ["eth0", "all", "default"].map((i) => `net.ipv4.conf.${i}.proxy_arp`)) {
    assertMatch(issuesOf(sysctls(key, 1), up).join(), /--uplink-allow proxy-arp /, key);
    assertEquals(issuesOf(sysctls(key, 0), up), [], key);
    assertEquals(issuesOf(sysctls(key, 1), { ...up, uplinkAllow: ["proxy-arp"] }), [], key);
  }
  assertEquals(issuesOf(sysctls("net.ipv4.conf.eth1.proxy_arp", 1), up), []);
  assertMatch(
    issuesOf(sysctls("net.ipv4.conf.eth0.proxy_arp_pvlan", "2"), up).join(),
    /proxy-arp/,
  );
  assertMatch(
    issuesOf(sysctls("net.ipv6.conf.all.proxy_ndp", 1), up).join(),
    /answer neighbor solicitations .* --uplink-allow proxy-ndp /,
  );
  // A node with no interface on the LAN may proxy for its own networks.
  const apart = router({ sysctls: { "net.ipv4.conf.all.proxy_arp": 1 } }, {
    links: [{ endpoints: ["a:eth0", "b:eth1"] }, { endpoints: ["a:eth1", "b:eth0"] }],
  });
  assertEquals(issuesOf(apart, up).filter((i) => /proxy/.test(i)), []);
  // Router advertisements: slaac, or range6 (which also serves DHCPv6).
  const dnsmasq = (dhcpServer: Record<string, unknown>) =>
    router({
      interfaces: {
        eth0: { addresses: ["10.9.0.1/24", "2001:db8::1/64"] },
        eth1: { addresses: ["10.8.0.1/24"] },
      },
      dhcpServer: { interface: "eth0", ...dhcpServer },
    });
  assertMatch(issuesOf(dnsmasq({ slaac: true }), up).join(), /--uplink-allow ra /);
  assertMatch(
    issuesOf(dnsmasq({ range6: ["2001:db8::10", "2001:db8::20"] }), up).join(),
    /--uplink-allow dhcp,ra /,
  );
  assertMatch(
    issuesOf(dnsmasq({ range6: ["2001:db8::10", "2001:db8::20"] }), {
      ...up,
      uplinkAllow: ["ra"],
    }).join(),
    /--uplink-allow dhcp /,
  );
});

Deno.test("validateLab(): untag only a port of the lab's own OVS bridges, with its own tag", () => {
  const vlan = (untag: { port: string; tag: number }, type: "ovs" | "linux" = "ovs") => ({
    name: "v",
    nodes: {
      h1: { interfaces: { eth0: { addresses: ["10.9.0.1/24"] } } },
      h2: { interfaces: { eth0: { addresses: ["10.9.0.2/24"] } } },
    },
    bridges: { br: { type, ports: type === "ovs" ? { v1: { tag: 10 } } : {} } },
    links: [{ endpoints: ["h1:eth0", "br:v1"] }, { endpoints: ["h2:eth0", "br:v2"] }],
    expect: [{ untag, ping: { from: "h1", to: "10.9.0.2" } }],
  });
  assertEquals(issuesOf(vlan({ port: "v1", tag: 10 })), []);
  assertMatch(issuesOf(vlan({ port: "eth9", tag: 10 })).join(), /not a port of one of the lab's/);
  assertMatch(issuesOf(vlan({ port: "v1", tag: 20 })).join(), /has tag 10 in the lab, not 20/);
  assertMatch(issuesOf(vlan({ port: "v2", tag: 10 })).join(), /"v2" has no tag in the lab/);
  assertMatch(issuesOf(vlan({ port: "v1", tag: 10 }, "linux")).join(), /not a port of one/);
});

Deno.test("validateLab(): a lab over the size bounds says only that", () => {
  const nodes = Object.fromEntries(
    Array.from({ length: LAB_LIMITS.nodes + 1 }, (_, i) => [`n${i}`, {}]),
  );
  assertEquals(issuesOf({ name: "big", nodes }), [
    "nodes: the lab has 4097 nodes; a lab may have at most 4096 (docs/security.md: What a lab file can and cannot do)",
  ]);
  const expect = Array.from({ length: 257 }, () => ({ ping: { from: "a", to: "10.0.0.1" } }));
  assertMatch(issuesOf({ name: "many", expect }).join(), /^expect: the lab has 257 expectations/);
});

Deno.test("generate: entries add up, and stop at the one that crosses the bound", () => {
  const text = [
    "name: big",
    "generate:",
    "  - chain: { prefix: a-, count: 4000 }",
    "  - star: { prefix: b-, count: 96 }",
    "  - star: { prefix: c-, count: 1 }",
    "  - star: { prefix: d-, count: 4096 }",
  ].join("\n");
  const e = assertThrows(() => parseLabYaml(text, "big.yaml"), LabFileError);
  assertEquals(e.problems.length, 1);
  assertMatch(e.message, /big\.yaml:5:\d+: with this entry the lab would have 4097 nodes/);
  // Nodes written by hand count too.
  const mixed = "name: m\nnodes: { x: {} }\ngenerate:\n  - star: { count: 4096 }\n";
  assertMatch(
    assertThrows(() => parseLabYaml(mixed, "m.yaml"), LabFileError).message,
    /m\.yaml:4:\d+: .*4097 nodes/,
  );
  // The largest chain is within every bound, and quick.
  const started = performance.now();
  const lab = parseLabYaml("name: c\ngenerate:\n  - chain: { count: 4096 }\n", "c.yaml");
  assert(performance.now() - started < 5000);
  const routes = Object.values(lab.nodes).reduce((n, node) => n + node.routes.length, 0);
  assertEquals(routes, 28_649);
});

/**
 * Where a packet from `from` to `to` goes, hop by hop, by longest-prefix match over each node's
 * connected subnets and routes (what the kernel does with these routes).
 */
function reaches(lab: ReturnType<typeof validateLab>, from: string, to: string): boolean {
  const subnets = (node: string) =>
    Object.values(lab.nodes[node]!.interfaces).flatMap((i) => i.addresses);
  const prefixOf = (cidr: string) => Number(cidr.split("/")[1]);
  const inCidr = (ip: string, cidr: string) => {
    const bits = prefixOf(cidr);
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return ((ipToNumber(ip) & mask) >>> 0) === ((ipToNumber(cidr.split("/")[0]!) & mask) >>> 0);
  };
  const owner = new Map<string, string>();
  for (const node of Object.keys(lab.nodes)) {
    for (const a of subnets(node)) owner.set(a.split("/")[0]!, node);
  }
  let at = from;
  for (let hops = 0; hops <= Object.keys(lab.nodes).length; hops++) {
    if (owner.get(to) === at) return true;
    const connected = subnets(at).filter((s) => inCidr(to, s));
    if (connected.length) return owner.has(to) && connected.some((s) => inCidr(to, s));
    const routes = lab.nodes[at]!.routes.map((r) => ({
      cidr: r.to === "default" ? "0.0.0.0/0" : r.to,
      via: r.via!,
    })).filter((r) => inCidr(to, r.cidr)).sort((a, b) => prefixOf(b.cidr) - prefixOf(a.cidr));
    const via = routes[0]?.via;
    if (via === undefined) return false;
    at = owner.get(via)!;
  }
  return false; // a loop
}

Deno.test("chain(): every node reaches every other address, with N·log N routes", () => {
  for (const count of [2, 3, 4, 5, 8, 13, 33]) {
    const lab = validateLab(chain({ count }));
    const addresses = Object.values(lab.nodes).flatMap((n) =>
      Object.values(n.interfaces).flatMap((i) => i.addresses.map((a) => a.split("/")[0]!))
    );
    for (const from of Object.keys(lab.nodes)) {
      for (const to of addresses) assert(reaches(lab, from, to), `${count}: ${from} -> ${to}`);
    }
    const routes = Object.values(lab.nodes).reduce((n, node) => n + node.routes.length, 0);
    assert(routes <= count * (1 + Math.log2(count)), `${count} nodes: ${routes} routes`);
  }
});

Deno.test("hostNamesOf(): bridges, root-side ends and OVS internal ports, moved or not", () => {
  const lab = validateLab({
    name: "h",
    nodes: { a: {}, b: { interfaces: { in0: { createAs: "tmp-in0" } } } },
    bridges: {
      br: { type: "ovs", ports: { tap1: { internal: true, node: "a" }, tap2: { internal: true } } },
      lb: { type: "linux" },
    },
    links: [{ endpoints: ["b:in0", "lb:b-p"] }, { endpoints: ["br:s0", "lb:s1"] }],
  });
  const names = hostNamesOf(lab);
  assertEquals([...names.namespaces.keys()], ["a", "b"]);
  assertEquals([...names.links.keys()].sort(), ["b-p", "br", "lb", "s0", "s1", "tap1", "tap2"]);
  assertEquals(names.links.get("tap1"), ["bridges", "br", "ports", "tap1"]);
  assertEquals(names.links.get("b-p"), ["links", 0, "endpoints", 1]);
});

Deno.test("daemon files: two (namespace, interface) pairs never share a file", () => {
  const [x, y] = [dhcpFiles("/s", "a-b", "c"), dhcpFiles("/s", "a", "b-c")];
  assert(x.pid !== y.pid && x.leases !== y.leases, `${x.pid} ${y.pid}`);
  assertEquals(x.pid, "/s/dnsmasq-a-b@c.pid");
  assert(dhcpClientFiles("/s", "a-b", "c").lease !== dhcpClientFiles("/s", "a", "b-c").lease);
});
