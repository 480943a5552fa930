/**
 * Routed and IPv6 labs without touching the host: the FRR steps and the configuration they
 * write, OSPFv3 beside OSPF when IPv6 is used, the dual-stack router's dnsmasq and dhclient, which
 * labs count as IPv6 labs, and every bad input refused with its place and reason.
 */
import { assert, assertEquals, assertMatch, assertThrows } from "../helpers/assert.ts";
import {
  bgpConfig,
  getRecipe,
  labUsesIpv6,
  LabValidationError,
  ospfConfig,
  parseLabYaml,
  planLab,
  validateLab,
} from "../../mod.ts";
import { shownArgv, type Step, type WriteAction } from "../../lib/plan/step.ts";
import { FRR_RUN_SCRIPT } from "../../lib/primitives/frr.ts";
import { withVtySocket } from "../../lib/lab/vtysh.ts";
import { nodeDetails } from "../../lib/ui/details.ts";
import { resolveHost } from "../../lib/host.ts";
import { RecordingRunner } from "../../lib/exec/runner.ts";
import { LabFileError } from "../../lib/lab/file.ts";

const plan = (name: string, options: Record<string, unknown> = {}) =>
  planLab(validateLab(getRecipe(name).build(options)), { stateDir: "/tmp/x" });
const argvs = (steps: Step[]) =>
  steps.flatMap((s) => s.do).flatMap((a) => ("argv" in a ? [a.argv.join(" ")] : []));
const written = (steps: Step[], path: string) =>
  steps.flatMap((s) => s.do).find((a): a is WriteAction => "write" in a && a.write === path)
    ?.content ?? "";

Deno.test("ospf-triangle plan: FRR daemons in each router's namespace, files in the lab's", () => {
  const steps = plan("ospf-triangle");
  const cmds = argvs(steps);
  for (const r of ["r1", "r2", "r3"]) {
    const dir = `/tmp/x/frr-${r}`;
    assert(cmds.includes(`install -d -o frr -g frr -m 0755 ${dir}`), cmds.join("\n"));
    for (const d of ["zebra", "ospfd", "ospf6d"]) {
      // Through the node's run script, in a mount namespace of its own (a private /var).
      const start = cmds.find((c) =>
        c.startsWith(
          `ip netns exec ${r} unshare --mount --propagation private sh /tmp/x/frr-${r}.sh ${dir} ` +
            `/usr/lib/frr/${d} `,
        )
      );
      assert(start, `no ${d} in ${r}`);
      for (
        const part of [
          `-f ${dir}/${d}.conf`,
          `-i ${dir}/${d}.pid`,
          `-z ${dir}/zserv.api`,
          `--vty_socket ${dir}`,
          "-P 0",
          "-d",
        ]
      ) assert(start.includes(part), `${start} lacks ${part}`);
    }
    // zebra first, then the protocol daemons.
    const keys = steps.map((s) => s.key);
    assert(keys.indexOf(`daemon:zebra@${r}`) < keys.indexOf(`daemon:ospfd@${r}`));
    assert(keys.indexOf(`frr-dir:${r}`) < keys.indexOf(`daemon:zebra@${r}`));
    assertEquals(written(steps, `/tmp/x/frr-${r}.sh`), FRR_RUN_SCRIPT);
  }
  // Hosts run no daemon; nothing touches the system's /etc/frr.
  assert(!cmds.some((c) => /ip netns exec h\d \/usr\/lib\/frr/.test(c)));
  assert(!JSON.stringify(steps).includes("/etc/frr"));
  // Routers forward both families; every node keeps IPv6 addresses across link down.
  assert(cmds.includes("ip netns exec r2 sysctl -q -w net.ipv6.conf.all.forwarding=1"));
  assert(cmds.includes("ip netns exec h1 sysctl -q -w net.ipv6.conf.all.keep_addr_on_down=1"));
});

Deno.test("ospf-triangle plan: a daemon step records its daemon, stops only that one and removes its files", () => {
  const step = plan("ospf-triangle").find((s) => s.key === "daemon:ospfd@r1")!;
  assertEquals(step.pidFile, "/tmp/x/frr-r1/ospfd.pid");
  // The record lives in the (root-owned) state directory, not in the frr-owned node directory.
  const record = "/tmp/x/frr-r1.ospfd.netkit";
  assertEquals(step.do.at(-1), {
    recordDaemon: "/tmp/x/frr-r1/ospfd.pid",
    program: "ospfd",
    record,
  });
  assertEquals(step.undo[0], { stopDaemon: "/tmp/x/frr-r1/ospfd.pid", program: "ospfd", record });
  assertEquals(shownArgv(step.undo[0]!).join(" "), "pkill -F /tmp/x/frr-r1/ospfd.pid -x ospfd");
  const removed = step.undo.flatMap((a) => ("remove" in a ? [a.remove] : []));
  for (const f of ["ospfd.pid", "ospfd.vty", "ospfd.log", "ospfd-gr.json"]) {
    assert(removed.includes(`/tmp/x/frr-r1/${f}`), `${f} is not removed: ${removed}`);
  }
  assert(!JSON.stringify(step).includes("pidwait"), "the wait is the stop's own");
});

Deno.test("ospf-triangle plan: r1's ospfd and ospf6d configuration", () => {
  const steps = plan("ospf-triangle");
  const ospfd = written(steps, "/tmp/x/frr-r1/ospfd.conf");
  for (
    const line of [
      "hostname r1",
      "interface eth0",
      " ip ospf area 0.0.0.0",
      " ip ospf hello-interval 1",
      " ip ospf dead-interval 4",
      " ip ospf network point-to-point",
      "router ospf",
      " ospf router-id 10.0.12.1",
      " passive-interface eth2",
    ]
  ) assert(ospfd.split("\n").includes(line), `ospfd.conf lacks ${JSON.stringify(line)}:\n${ospfd}`);
  // eth2 leads to a host: passive, and no point-to-point statement after it.
  const eth2 = ospfd.split("interface eth2")[1]!.split("!")[0]!;
  assert(!eth2.includes("point-to-point"), eth2);
  const ospf6d = written(steps, "/tmp/x/frr-r1/ospf6d.conf");
  for (
    const line of [
      " ipv6 ospf6 area 0.0.0.0",
      " ipv6 ospf6 passive",
      "router ospf6",
      " ospf6 router-id 10.0.12.1",
    ]
  ) assert(ospf6d.split("\n").includes(line), `ospf6d.conf lacks ${line}:\n${ospf6d}`);
});

Deno.test("bgp-pair: bgpd's configuration, the session and the announced network", () => {
  const lab = parseLabYaml(
    Deno.readTextFileSync(new URL("../../examples/labs/bgp-pair.yaml", import.meta.url)),
    "bgp-pair.yaml",
  );
  const steps = planLab(lab, { stateDir: "/tmp/x" });
  const conf = written(steps, "/tmp/x/frr-bp-r1/bgpd.conf").split("\n");
  for (
    const line of [
      "router bgp 65001",
      " neighbor 10.0.0.2 remote-as 65002",
      " no bgp ebgp-requires-policy",
      " address-family ipv4 unicast",
      "  network 10.10.1.0/24",
      "  neighbor 10.0.0.2 activate",
    ]
  ) assert(conf.includes(line), `bgpd.conf lacks ${line}`);
  assert(!argvs(steps).some((c) => c.includes("ospfd")), "bgp-pair runs no ospfd");
  assertEquals(labUsesIpv6(lab), false);
});

Deno.test("frr configuration: a value that could start a new line is refused", () => {
  assertThrows(
    () => ospfConfig("r1", "10.0.0.1", { interfaces: [{ name: "eth0\nrouter bgp 1" }] }),
    Error,
  );
  assertThrows(
    () =>
      bgpConfig("r1", "10.0.0.1", {
        asn: 1,
        neighbors: [{ address: "10.0.0.2\n!", asn: 2 }],
      }),
    TypeError,
  );
});

Deno.test("labUsesIpv6(): the router lab does not, its --ipv6 variant and ospf-triangle do", () => {
  assertEquals(labUsesIpv6(validateLab(getRecipe("router").build())), false);
  assertEquals(labUsesIpv6(validateLab(getRecipe("router").build({ ipv6: true }))), true);
  assertEquals(labUsesIpv6(validateLab(getRecipe("ospf-triangle").build())), true);
  for (const name of ["ovs-veth", "ovs-internal", "ovs-patch", "ovs-vlan", "ovs-dhcp"]) {
    assertEquals(labUsesIpv6(validateLab(getRecipe(name).build())), false, name);
  }
});

Deno.test("router --ipv6 plan: RA and DHCPv6 in rt's dnsmasq, dhclient in vm2, v6 routed", () => {
  const cmds = argvs(plan("router", { ipv6: true }));
  const dnsmasq = cmds.find((c) => c.startsWith("ip netns exec rt dnsmasq "))!;
  for (
    const part of [
      "--dhcp-range=10.0.0.151,10.0.0.160,43200",
      "--enable-ra",
      "--dhcp-range=::,constructor:eth0,ra-only,64",
      "--dhcp-range=2001:db8:100::100,2001:db8:100::1ff,64,43200",
    ]
  ) assert(dnsmasq.includes(part), `${dnsmasq} lacks ${part}`);
  assert(cmds.some((c) => /^ip netns exec vm2 dhclient -6 -1 -sf \S+ -cf \S+ .* eth0$/.test(c)));
  assert(cmds.includes("ip netns exec rt sysctl -q -w net.ipv6.conf.all.forwarding=1"));
  assert(cmds.includes("ip -n vm1 route add ::/0 via 2001:db8:100::254"));
  assert(cmds.includes("ip -n wan route add 2001:db8:100::/64 via 2001:db8:200::11"));
  assert(cmds.includes("ip -n rt addr add 2001:db8:100::254/64 dev eth0 nodad"));
  // No NAT for IPv6.
  assert(!cmds.some((c) => c.includes("ip6tables")));
  // The plain router lab is unchanged: no IPv6 sysctl, no RA.
  const plain = argvs(plan("router"));
  assert(!plain.some((c) => c.includes("ipv6") || c.includes("--enable-ra")), plain.join("\n"));
});

Deno.test("netkit exec NODE -- vtysh is pointed at the node's own sockets", () => {
  const lab = validateLab(getRecipe("ospf-triangle").build());
  const dir = "/run/netkit/labs/ospf-triangle";
  const out = withVtySocket(lab, "r1", ["vtysh", "-c", "show ip ospf neighbor"], dir);
  assertEquals(out[0], "vtysh");
  assertEquals(out[1], "--vty_socket");
  assertEquals(out[2], "/run/netkit/labs/ospf-triangle/frr-r1");
  assertEquals(out.slice(3), ["-c", "show ip ospf neighbor"]);
  // Hosts and other commands are left alone.
  assertEquals(withVtySocket(lab, "h1", ["vtysh"], dir), ["vtysh"]);
  assertEquals(withVtySocket(lab, "r1", ["ip", "route"], dir), ["ip", "route"]);
});

Deno.test("netkit ui's node details ask FRR through the same vtysh argv as netkit exec", async () => {
  const lab = validateLab(getRecipe("ospf-triangle").build());
  const host = resolveHost({ stateRoot: "/run/netkit", runner: new RecordingRunner() });
  const state = { lab, status: "up", createdAt: "2026-01-01T00:00:00Z" } as const;
  await nodeDetails(host, state, "r1");
  const vtysh = (host.runner as RecordingRunner).commands.map((c) => c.argv)
    .filter((argv) => argv.includes("vtysh"));
  const dir = "/run/netkit/labs/ospf-triangle";
  assertEquals(vtysh, [
    withVtySocket(lab, "r1", ["vtysh", "-c", "show ip ospf neighbor json"], dir),
  ]);
});

/** A routed lab to break, one field at a time. */
const base = () => ({
  name: "bad",
  nodes: {
    r1: {
      role: "router" as string,
      interfaces: {
        eth0: { addresses: ["10.0.12.1/30", "2001:db8:12::1/64"] },
        eth1: { addresses: ["10.1.0.1/24"] },
      },
      routing: {
        ospf: { interfaces: ["eth0"], passive: ["eth1"] } as Record<string, unknown>,
        bgp: { asn: 65001, neighbors: [{ address: "10.0.12.2", asn: 65002 }] } as Record<
          string,
          unknown
        >,
      },
      nat: [] as unknown[],
      dhcpServer: undefined as unknown,
    },
    r2: { interfaces: { eth0: { addresses: ["10.0.12.2/30"] } } },
    h1: { interfaces: { eth0: { addresses: ["10.1.0.10/24"] } } },
  },
  links: [
    { endpoints: ["r1:eth0", "r2:eth0"] },
    { endpoints: ["h1:eth0", "r1:eth1"] },
  ],
});

function rejects(change: (lab: ReturnType<typeof base>) => void, path: string, message: RegExp) {
  const lab = base();
  change(lab);
  const error = assertThrows(() => validateLab(lab), LabValidationError);
  const issue = error.issues.find((i) => i.path.join(".") === path);
  assert(issue, `no issue at ${path}:\n${error.message}`);
  assertMatch(issue.message, message);
}

Deno.test("validateLab() accepts the routed lab the bad cases start from", () => {
  validateLab(base());
});

Deno.test("validateLab() refuses bad routing and IPv6 input, saying where and why", () => {
  rejects(
    (l) => (l.nodes.r1.routing.ospf.interfaces = ["eth0", "eth7"]),
    "nodes.r1.routing.ospf.interfaces.1",
    /OSPF interface "eth7" is not on node "r1"/,
  );
  rejects(
    (l) => (l.nodes.r1.routing.bgp.asn = 4294967296),
    "nodes.r1.routing.bgp.asn",
    /an AS number is 1 to 4294967295/,
  );
  rejects(
    (l) => (l.nodes.r1.routing.bgp.asn = 0),
    "nodes.r1.routing.bgp.asn",
    /an AS number is 1 to 4294967295/,
  );
  rejects(
    (l) => (l.nodes.r1.routing.bgp.neighbors = [{ address: "10.9.9.9", asn: 65002 }]),
    "nodes.r1.routing.bgp.neighbors.0.address",
    /BGP neighbor 10\.9\.9\.9 is not in any subnet of node "r1"/,
  );
  rejects(
    (l) => (l.nodes.r1.interfaces.eth1.addresses = ["10.0.12.5/24"]),
    "nodes.r1.interfaces.eth1.addresses.0",
    /10\.0\.12\.5\/24 overlaps 10\.0\.12\.1\/30 .*distinct prefixes/,
  );
  rejects(
    (l) => (l.nodes.r1.nat = [{ type: "snat", source: "2001:db8::/64", toSource: "10.0.12.1" }]),
    "nodes.r1.nat.0.source",
    /2001:db8::\/64 is IPv6, but this field takes IPv4 only/,
  );
  rejects(
    (l) => (l.nodes.r1.dhcpServer = { interface: "eth1", range: ["2001:db8::10", "2001:db8::20"] }),
    "nodes.r1.dhcpServer.range.0",
    /is IPv6, but this field takes IPv4 only/,
  );
  rejects(
    (l) => (l.nodes.r1.role = "host"),
    "nodes.r1.role",
    /runs routing daemons: it needs "role: router"/,
  );
  rejects(
    (l) => (l.nodes.r1.routing.ospf.dead = 1),
    "nodes.r1.routing.ospf.dead",
    /dead interval \(1 s\) must be longer than the hello interval/,
  );
  rejects(
    (l) => (l.nodes.r1.dhcpServer = { interface: "eth1", slaac: true }),
    "nodes.r1.dhcpServer.slaac",
    /SLAAC needs a \/64/,
  );
  rejects(
    (
      l,
    ) => ((l.nodes.h1 as Record<string, unknown>).routes = [{
      to: "10.9.0.0/24",
      via: "2001:db8::1",
    }]),
    "nodes.h1.routes.0.via",
    /gateway 2001:db8::1 is IPv6, but the route to 10\.9\.0\.0\/24 is IPv4/,
  );
});

Deno.test("a bad routed lab file: FILE:LINE:COLUMN for each problem", () => {
  const text = [
    "name: bad",
    "nodes:",
    "  r1:",
    "    role: router",
    "    interfaces:",
    "      eth0: { addresses: [10.0.12.1/30] }",
    "    routing:",
    "      ospf: { interfaces: [eth0, eth9] }",
    "      bgp: { asn: 5000000000, neighbors: [{ address: 10.7.0.1, asn: 2 }] }",
    "    nat: [{ type: masquerade, source: 2001:db8::/64, outInterface: eth0 }]",
    "  r2: { interfaces: { eth0: { addresses: [10.0.12.2/30] } } }",
    "links:",
    "  - endpoints: [r1:eth0, r2:eth0]",
    "",
  ].join("\n");
  const error = assertThrows(() => parseLabYaml(text, "bad.yaml"), LabFileError);
  assertMatch(error.message, /bad\.yaml:9:19: an AS number is 1 to 4294967295/);
  assertMatch(error.message, /bad\.yaml:10:39: 2001:db8::\/64 is IPv6, but this field takes IPv4/);
  const again = assertThrows(
    () =>
      parseLabYaml(
        text.replace("5000000000", "65001").replace("2001:db8::/64", "10.0.12.0/30"),
        "bad.yaml",
      ),
    LabFileError,
  );
  assertMatch(again.message, /bad\.yaml:8:34: OSPF interface "eth9" is not on node "r1"/);
  assertMatch(again.message, /bad\.yaml:9:49: BGP neighbor 10\.7\.0\.1 is not in any subnet/);
});

Deno.test("star() and chain() allocate IPv6 subnets too", async () => {
  const { chain, star } = await import("../../mod.ts");
  const s = validateLab(star({ prefix: "s-", count: 3, subnet: "2001:db8:50::/64" }));
  assertEquals(s.nodes["s-h3"]?.interfaces.eth0?.addresses, ["2001:db8:50::3/64"]);
  const c = validateLab(chain({ prefix: "c-", count: 3, subnet: "2001:db8:60::/48" }));
  assertEquals(c.nodes["c-n2"]?.interfaces.right?.addresses, ["2001:db8:60:1::1/64"]);
  assertEquals(c.expect, [{ ping: { from: "c-n1", to: "2001:db8:60:1::2" }, reach: true }]);
  assert(labUsesIpv6(c));
  const cmds = argvs(planLab(c, { stateDir: "/tmp/x" }));
  assert(cmds.includes("ip -n c-n1 route add ::/0 via 2001:db8:60::2"), cmds.join("\n"));
  assert(cmds.includes("ip netns exec c-n2 sysctl -q -w net.ipv6.conf.all.forwarding=1"));
});
