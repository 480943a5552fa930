/**
 * Routed and IPv6 labs on the real kernel, with real FRR daemons (root): the OSPF triangle
 * converges (OSPF and OSPFv3), its hosts reach each other and keep doing so with a triangle link
 * down; the BGP pair exchanges its prefixes; the dual-stack router lab proves both families, a
 * SLAAC address and a DHCPv6 lease; `netkit exec NODE -- vtysh` talks to the node's own daemons;
 * `down` leaves no FRR process and no file of the lab behind; bad routed lab files change nothing.
 * A system FRR's /run/frr is never touched (each daemon has a /var of its own), and `down` never
 * signals a process that took a daemon's recorded pid.
 *
 * Run as root: `deno test -A tests/integration/routing_test.ts` (in nk-isolated on a shared host).
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import {
  assertHostUnchanged,
  isRoot,
  netkit,
  sh,
  snapshot,
  useTestState,
} from "../helpers/host.ts";

const stateDir = useTestState("routing");
const P = "t16-";
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };
const FRR_DAEMONS = ["zebra", "ospfd", "ospf6d", "bgpd"];
const BGP_PAIR = new URL("../../examples/labs/bgp-pair.yaml", import.meta.url).pathname;

/** The FRR daemons running inside namespace `ns`: name -> pid. */
async function frrIn(ns: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const pid of (await sh("ip", "netns", "pids", ns)).split("\n").filter(Boolean)) {
    const comm = (await Deno.readTextFile(`/proc/${pid}/comm`).catch(() => "")).trim();
    if (FRR_DAEMONS.includes(comm)) out.set(comm, pid);
  }
  return out;
}

/** What the system's FRR configuration looks like (names and modification times). */
async function etcFrr(): Promise<string> {
  const entries: string[] = [];
  try {
    for await (const e of Deno.readDir("/etc/frr")) {
      const info = await Deno.stat(`/etc/frr/${e.name}`);
      entries.push(`${e.name} ${info.mtime?.getTime()}`);
    }
  } catch {
    // no system FRR configuration
  }
  return entries.sort().join("\n");
}

/** After down: no crash-log directory of the daemons that ran is left in FRR's /var/tmp/frr. */
async function assertNoFrrLeftovers(daemons: Map<string, string>[]) {
  for (const running of daemons) {
    for (const [name, pid] of running) {
      const left = await Deno.stat(`/var/tmp/frr/${name}.${pid}`).then(() => true, () => false);
      assert(!left, `/var/tmp/frr/${name}.${pid} is left`);
      // A zombie has exited: it only waits for the test runner (PID 1 here) to reap it.
      const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
      assert(stat === "" || /\) Z /.test(stat), `${name} (${pid}) still runs`);
    }
  }
}

const passes = (stdout: string) => {
  const checks = stdout.split("\n").filter((l) => /^(PASS|FAIL) /.test(l));
  assert(checks.length > 0, `no check lines in:\n${stdout}`);
  assert(checks.every((l) => l.startsWith("PASS ")), stdout);
};

Deno.test(
  "recipe ospf-triangle: OSPF converges, hosts reach each other, a failed link is routed around, down leaves nothing",
  opts,
  async () => {
    const before = await snapshot();
    const etc = await etcFrr();
    const running: Map<string, string>[] = [];
    try {
      const up = await netkit(["recipe", "ospf-triangle", "--prefix", P]);
      assertEquals(up.code, 0, up.stderr + up.stdout);
      passes(up.stdout);
      for (
        const re of [
          /PASS t16-r1 has a route to 10\.3\.0\.0\/24 by ospf/,
          /PASS t16-r2 has a route to 10\.1\.0\.0\/24 by ospf/,
          /PASS t16-r3 has a route to 2001:db8:1::\/64 by ospf/,
          /PASS t16-h1 -> 10\.3\.0\.10 reachable/,
          /PASS t16-h1 -> 2001:db8:3::10 reachable/,
          /PASS with t16-r1:eth1 down, t16-h1 -> 10\.3\.0\.10 reachable \(within 12s\)/,
          /PASS with t16-r1:eth1 down, t16-h1 -> 2001:db8:3::10 reachable \(within 12s\)/,
        ]
      ) assertMatch(up.stdout, re);

      // One set of daemons per router, inside the router's namespace; none in the hosts.
      for (const r of ["r1", "r2", "r3"]) {
        const daemons = await frrIn(`${P}${r}`);
        assertEquals([...daemons.keys()].sort(), ["ospf6d", "ospfd", "zebra"], r);
        running.push(daemons);
      }
      assertEquals((await frrIn(`${P}h1`)).size, 0);

      // The failover proof put the link back: r1 reaches r3 directly again, over both families.
      const link = await sh("ip", "-n", `${P}r1`, "-o", "addr", "show", "dev", "eth1");
      assertMatch(link, /inet 10\.0\.13\.1\/30/);

      // vtysh through netkit exec talks to r1's own daemons: both neighbours become Full again
      // once the link the failover proof took down is back (a bounded wait: the dead interval
      // is 4 s).
      for (
        const [node, command] of [
          ["r1", "show ip ospf neighbor"],
          ["r2", "show ipv6 ospf6 neighbor"],
        ] as const
      ) {
        let out = "";
        for (let i = 0; i < 75; i++) {
          const vtysh = await netkit(["exec", `${P}${node}`, "--", "vtysh", "-c", command]);
          assertEquals(vtysh.code, 0, vtysh.stderr);
          out = vtysh.stdout;
          if ((out.match(/Full\//g) ?? []).length === 2) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        assertEquals((out.match(/Full\//g) ?? []).length, 2, `${node}: ${out}`);
      }

      // check runs every proof again (the failover too) and passes.
      const again = await netkit(["check", `${P}ospf-triangle`]);
      assertEquals(again.code, 0, again.stdout + again.stderr);
    } finally {
      const down = await netkit(["down", `${P}ospf-triangle`]);
      assertEquals(down.code, 0, down.stderr + down.stdout);
    }
    await assertHostUnchanged(before, "after ospf-triangle and down");
    await assertNoFrrLeftovers(running);
    assertEquals(await etcFrr(), etc, "/etc/frr changed");
    assert(!(await Deno.stat(`${stateDir}/labs/${P}ospf-triangle`).catch(() => false)));
  },
);

Deno.test("bgp-pair: one eBGP session, prefixes exchanged, down leaves nothing", opts, async () => {
  const before = await snapshot();
  const running: Map<string, string>[] = [];
  try {
    const up = await netkit(["up", BGP_PAIR]);
    assertEquals(up.code, 0, up.stderr + up.stdout);
    passes(up.stdout);
    assertMatch(up.stdout, /PASS bp-r1 has a route to 10\.20\.2\.0\/24 by bgp/);
    assertMatch(up.stdout, /PASS bp-r2 has a route to 10\.10\.1\.0\/24 by bgp/);
    assertMatch(up.stdout, /PASS bp-h1 -> 10\.20\.2\.10 reachable/);
    for (const r of ["bp-r1", "bp-r2"]) {
      const daemons = await frrIn(r);
      assertEquals([...daemons.keys()].sort(), ["bgpd", "zebra"], r);
      running.push(daemons);
    }
    const summary = await netkit(["exec", "bp-r2", "--", "vtysh", "-c", "show ip bgp summary"]);
    assertEquals(summary.code, 0, summary.stderr);
    assertMatch(summary.stdout, /local AS number 65002/);
    assertMatch(summary.stdout, /10\.0\.0\.1\s+4\s+65001\s/);
  } finally {
    const down = await netkit(["down", BGP_PAIR]);
    assertEquals(down.code, 0, down.stderr + down.stdout);
  }
  await assertHostUnchanged(before, "after bgp-pair and down");
  await assertNoFrrLeftovers(running);
});

Deno.test(
  "router --ipv6: both families end to end, a SLAAC address, a DHCPv6 lease; down leaves nothing",
  opts,
  async () => {
    const before = await snapshot();
    try {
      const up = await netkit(["recipe", "router", "--ipv6", "--prefix", P]);
      assertEquals(up.code, 0, up.stderr + up.stdout);
      passes(up.stdout);
      for (
        const re of [
          /PASS t16-vm2\/eth0 has a SLAAC address in 2001:db8:100::\/64/,
          /PASS t16-vm2\/eth0 holds a DHCPv6 lease in 2001:db8:100::100-2001:db8:100::1ff/,
          /PASS t16-vm2\/eth0 holds a lease in 10\.0\.0\.151-10\.0\.0\.160/,
          /PASS t16-vm1 -> 2001:db8:200::1 reachable/,
          /PASS t16-vm2 -> 2001:db8:200::1 reachable/,
          /PASS t16-vm1 -> 192\.168\.100\.1 reachable/,
          /PASS t16-wan sees t16-vm1's packets to 192\.168\.100\.1 from 192\.168\.100\.11/,
          /PASS dnsmasq in t16-rt listens on UDP port 547/,
        ]
      ) assertMatch(up.stdout, re);
      // vm2's addresses: one by SLAAC (a /64 from rt's advertisement), one by DHCPv6 (a /128).
      const addr = await sh("ip", "-n", `${P}vm2`, "-6", "-o", "addr", "show", "dev", "eth0");
      assertMatch(addr, /inet6 2001:db8:100:0:[0-9a-f:]+\/64 scope global dynamic/);
      assertMatch(addr, /inet6 2001:db8:100::1[0-9a-f]{2}\/128 scope global/);
      // IPv6 is routed, not translated: rt forwards it and has no IPv6 NAT.
      assertEquals(
        (await sh("ip", "netns", "exec", `${P}rt`, "sysctl", "-n", "net.ipv6.conf.all.forwarding"))
          .trim(),
        "1",
      );
      const status = await netkit(["status", `${P}router`, "--json"]);
      const leases = (JSON.parse(status.stdout) as { leases: { address: string }[] }).leases;
      assert(leases.some((l) => /^2001:db8:100::/.test(l.address)), status.stdout);
    } finally {
      const down = await netkit(["down", `${P}router`]);
      assertEquals(down.code, 0, down.stderr + down.stdout);
    }
    await assertHostUnchanged(before, "after router --ipv6 and down");
  },
);

Deno.test("bad routed lab files: exit 2, FILE:LINE:COLUMN, nothing changed", opts, async () => {
  const before = await snapshot();
  const dir = await Deno.makeTempDir({ prefix: "netkit-t16-" });
  try {
    const good = await Deno.readTextFile(BGP_PAIR);
    const cases: [string, string, RegExp][] = [
      [
        "ospf-iface",
        good.replace(
          "      bgp:\n        asn: 65001",
          "      ospf: { interfaces: [eth0, eth5] }\n      bgp:\n        asn: 65001",
        ),
        /ospf-iface\.yaml:\d+:\d+: OSPF interface "eth5" is not on node "bp-r1"/,
      ],
      [
        "asn",
        good.replace("asn: 65001\n", "asn: 4294967296\n"),
        /asn\.yaml:\d+:\d+: an AS number is 1 to 4294967295/,
      ],
      [
        "neighbor",
        good.replace("address: 10.0.0.2", "address: 10.99.0.2"),
        /neighbor\.yaml:\d+:\d+: BGP neighbor 10\.99\.0\.2 is not in any subnet of node "bp-r1"/,
      ],
      [
        "overlap",
        good.replace("lan: { addresses: [10.10.1.1/24] }", "lan: { addresses: [10.0.0.5/16] }"),
        /overlap\.yaml:\d+:\d+: 10\.0\.0\.5\/16 overlaps 10\.0\.0\.1\/30/,
      ],
      [
        "v6-on-v4",
        good.replace(
          "routes: [{ to: default, via: 10.10.1.1 }]",
          "routes: [{ to: 10.9.0.0/16, via: 2001:db8::1 }]",
        ),
        /v6-on-v4\.yaml:\d+:\d+: gateway 2001:db8::1 is IPv6, but the route to 10\.9\.0\.0\/16 is IPv4/,
      ],
    ];
    for (const [name, text, re] of cases) {
      assert(text !== good, `case ${name} changed nothing`);
      const file = `${dir}/${name}.yaml`;
      await Deno.writeTextFile(file, text);
      const r = await netkit(["up", file]);
      assertEquals(r.code, 2, `${name}: ${r.stdout}${r.stderr}`);
      assertMatch(r.stderr, re);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await assertHostUnchanged(before, "after bad routed lab files");
});

Deno.test(
  "a generated IPv6 chain: routers forward IPv6, the ends reach each other",
  opts,
  async () => {
    const before = await snapshot();
    const dir = await Deno.makeTempDir({ prefix: "netkit-t16-" });
    const file = `${dir}/chain6.yaml`;
    await Deno.writeTextFile(
      file,
      "name: t16-chain6\ngenerate:\n  - chain: { prefix: t16c-, count: 4, subnet: 2001:db8:60::/48 }\n",
    );
    try {
      const up = await netkit(["up", file]);
      assertEquals(up.code, 0, up.stderr + up.stdout);
      assertMatch(up.stdout, /PASS t16c-n1 -> 2001:db8:60:2::2 reachable/);
    } finally {
      const down = await netkit(["down", file]);
      assertEquals(down.code, 0, down.stderr + down.stdout);
      await Deno.remove(dir, { recursive: true });
    }
    await assertHostUnchanged(before, "after the IPv6 chain and down");
  },
);

/** A router pair with OSPF (and OSPFv3), r1 serving DHCP to h1: FRR's daemons, dnsmasq, udhcpc. */
const SYSFRR = `name: t16-sysfrr
nodes:
  t16s-r1:
    role: router
    interfaces:
      eth0: { addresses: [10.0.12.1/30, "2001:db8:12::1/64"] }
      lan: { addresses: [10.1.0.1/24] }
    routing: { ospf: { interfaces: [eth0], passive: [lan], hello: 1, dead: 4 } }
    dhcpServer: { interface: lan, range: [10.1.0.50, 10.1.0.59] }
  t16s-r2:
    role: router
    interfaces:
      eth0: { addresses: [10.0.12.2/30, "2001:db8:12::2/64"] }
      lan: { addresses: [10.2.0.1/24] }
    routing: { ospf: { interfaces: [eth0], passive: [lan], hello: 1, dead: 4 } }
  t16s-h1:
    interfaces: { eth0: { dhcp: true } }
  t16s-h2:
    interfaces: { eth0: { addresses: [10.2.0.10/24] } }
    routes: [{ to: default, via: 10.2.0.1 }]
links:
  - endpoints: [t16s-r1:eth0, t16s-r2:eth0]
  - endpoints: [t16s-h1:eth0, t16s-r1:lan]
  - endpoints: [t16s-h2:eth0, t16s-r2:lan]
expect:
  - route: { node: t16s-r1, to: 10.2.0.0/24, protocol: ospf }
  - ping: { from: t16s-h1, to: 10.2.0.10 }
`;
const SYSFRR_DIR = () => `${stateDir}/labs/t16-sysfrr`;

const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);

/** True while `pid` runs (a zombie has exited: it only waits to be reaped). */
async function alive(pid: number): Promise<boolean> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
  return stat !== "" && !/\) [ZX] /.test(stat);
}

/** Everything under `dir`: each entry's name, type, mode, owner, size, time and (file) content. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (path: string) => {
    for await (const e of Deno.readDir(path)) {
      const p = `${path}/${e.name}`;
      const i = await Deno.lstat(p);
      const content = i.isFile ? await Deno.readTextFile(p) : "";
      out.push(
        `${p} ${e.isDirectory ? "d" : e.isSymlink ? "l" : "f"} ${i.mode?.toString(8)} ` +
          `${i.uid}:${i.gid} ${i.size} ${i.mtime?.getTime()} ${JSON.stringify(content)}`,
      );
      if (e.isDirectory) await walk(p);
    }
  };
  await walk(dir).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  return out.sort();
}

/** Brings the SYSFRR lab up from a temporary file; returns the file (its directory to remove). */
async function upSysFrr(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "netkit-t16-" });
  const file = `${dir}/sysfrr.yaml`;
  await Deno.writeTextFile(file, SYSFRR);
  const up = await netkit(["up", file]);
  assertEquals(up.code, 0, up.stderr + up.stdout);
  passes(up.stdout);
  return file;
}

async function downSysFrr(file: string) {
  const down = await netkit(["down", file]);
  await Deno.remove(file.slice(0, file.lastIndexOf("/")), { recursive: true });
  assertEquals(down.code, 0, down.stderr + down.stdout);
}

Deno.test(
  "a system FRR's /run/frr is never touched: each FRR daemon has a /var of its own, its run files in its node's directory",
  opts,
  async () => {
    const before = await snapshot();
    // A system FRR stands in (only where there is none: a real one's /run/frr is only looked
    // at): its directory belongs to user frr, as the frr package makes it, and holds a marker, a
    // pid file that names a live process and an ospfd's graceful-restart state.
    const made = !(await exists("/run/frr"));
    const systemZebra = new Deno.Command("sleep", { args: ["60"] }).spawn();
    const running: Map<string, string>[] = [];
    try {
      if (made) {
        await Deno.mkdir("/run/frr");
        await Deno.writeTextFile("/run/frr/marker", "a system FRR lives here\n");
        await Deno.writeTextFile("/run/frr/zebra.pid", `${systemZebra.pid}\n`);
        await Deno.writeTextFile("/run/frr/ospfd-gr.json", '{"instances":{"default":{}}}\n');
        const [uid, gid] = [await sh("id", "-u", "frr"), await sh("id", "-g", "frr")].map(Number);
        for (const f of ["", "/marker", "/zebra.pid", "/ospfd-gr.json"]) {
          await Deno.chown(`/run/frr${f}`, uid!, gid!);
        }
      }
      const runFrr = await tree("/run/frr");
      const file = await upSysFrr();
      try {
        assertEquals(await tree("/run/frr"), runFrr, "/run/frr changed while the lab was up");
        const lab = SYSFRR_DIR();
        for (const r of ["t16s-r1", "t16s-r2"]) {
          const daemons = await frrIn(r);
          assertEquals([...daemons.keys()].sort(), ["ospf6d", "ospfd", "zebra"], r);
          running.push(daemons);
          for (const [name, pid] of daemons) {
            // Its /var is a tmpfs of its own, where /var/run/frr is the node's directory.
            const mounts = await Deno.readTextFile(`/proc/${pid}/mountinfo`);
            assertMatch(mounts, /^(\S+ ){4}\/var \S+.* - tmpfs netkit-frr /m, `${r} ${name}`);
            assertEquals(await Deno.readLink(`/proc/${pid}/root/var/run/frr`), `${lab}/frr-${r}`);
            // netkit's record of it: root-only, in the state directory (not the frr-owned one).
            const record = await Deno.stat(`${lab}/frr-${r}.${name}.netkit`);
            assertEquals([record.mode! & 0o777, record.uid], [0o600, 0], `${r} ${name}`);
          }
          // OSPF's graceful-restart state is the node's own.
          for (const f of ["ospfd-gr.json", "ospf6d-gr.json"]) {
            assert(await exists(`${lab}/frr-${r}/${f}`), `${r}: no ${f}`);
          }
        }
        const dnsmasq = await Deno.stat(`${lab}/dnsmasq-t16s-r1@lan.pid.netkit`);
        assertEquals(dnsmasq.mode! & 0o777, 0o600);
      } finally {
        await downSysFrr(file);
      }
      assertEquals(await tree("/run/frr"), runFrr, "/run/frr changed");
      assert(
        await alive(systemZebra.pid),
        "the system's zebra (its pid file's process) was signalled",
      );
      await assertHostUnchanged(before, "after the lab beside a system FRR and down");
      await assertNoFrrLeftovers(running);
      assert(!(await exists(SYSFRR_DIR())), "the lab's state directory is left");
    } finally {
      systemZebra.kill("SIGKILL");
      await systemZebra.status;
      if (made) await Deno.remove("/run/frr", { recursive: true });
    }
  },
);

Deno.test(
  "down never signals a process that took a daemon's recorded pid, and still removes the lab",
  opts,
  async () => {
    const before = await snapshot();
    // Live processes inside the routers' namespaces, to take the daemons' pids. They carry the
    // daemons' names (copies of sleep), so that a stop by pid file and name would hit them.
    const bin = await Deno.makeTempDir({ prefix: "netkit-t16-bin-" });
    const others: Deno.ChildProcess[] = [];
    const stand = async (ns: string, name: string) => {
      await Deno.copyFile(await Deno.realPath("/bin/sleep"), `${bin}/${name}`);
      await Deno.chmod(`${bin}/${name}`, 0o755);
      const child = new Deno.Command("ip", {
        args: ["netns", "exec", ns, `${bin}/${name}`, "60"],
        stdout: "null",
        stderr: "null",
      }).spawn();
      others.push(child);
      for (let i = 0; i < 100; i++) {
        const cmdline = await Deno.readTextFile(`/proc/${child.pid}/cmdline`).catch(() => "");
        if (cmdline === `${bin}/${name}\x0060\x00`) return child.pid;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`${name} did not start in ${ns}`);
    };
    const stopOthers = async () => {
      for (const o of others.splice(0)) {
        o.kill("SIGKILL");
        await o.status;
      }
    };
    try {
      const file = await upSysFrr();
      let dnsmasqPid = 0;
      try {
        const lab = SYSFRR_DIR();
        const s1 = await stand("t16s-r1", "dnsmasq");
        const s2 = await stand("t16s-r2", "zebra");
        const rewrite = async (record: string, pid: number) => {
          const r = JSON.parse(await Deno.readTextFile(record));
          await Deno.writeTextFile(record, JSON.stringify({ ...r, pid }));
        };
        // dnsmasq still runs, but its record's pid now names another live process.
        dnsmasqPid = Number(await Deno.readTextFile(`${lab}/dnsmasq-t16s-r1@lan.pid`));
        assert(await alive(dnsmasqPid));
        await rewrite(`${lab}/dnsmasq-t16s-r1@lan.pid.netkit`, s1);
        // r2's zebra dies, and its pid goes to another process: its pid file and record name it.
        const zebraPid = Number(await Deno.readTextFile(`${lab}/frr-t16s-r2/zebra.pid`));
        Deno.kill(zebraPid, "SIGKILL");
        for (let i = 0; i < 250 && await alive(zebraPid); i++) {
          await new Promise((r) => setTimeout(r, 20));
        }
        assert(!(await alive(zebraPid)), "zebra did not die");
        await Deno.writeTextFile(`${lab}/frr-t16s-r2/zebra.pid`, `${s2}\n`);
        await rewrite(`${lab}/frr-t16s-r2.zebra.netkit`, s2);
      } finally {
        await downSysFrr(file);
      }
      for (const o of others) assert(await alive(o.pid), `down signalled ${o.pid}, not a daemon`);
      // The daemons themselves are gone: dnsmasq found through its pid file, the rest as usual.
      assert(!(await alive(dnsmasqPid)), "dnsmasq still runs");
      await stopOthers(); // they carry daemons' names: the host's snapshot would count them
      await assertHostUnchanged(before, "after down with a recorded pid taken");
      assert(!(await exists(SYSFRR_DIR())), "the lab's state directory is left");
    } finally {
      await stopOthers();
      await Deno.remove(bin, { recursive: true });
    }
  },
);
