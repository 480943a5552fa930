/**
 * containerlab's published topologies (tests/fixtures/containerlab/, copied from containerlab's
 * repository: see its NOTICE.md) read by netkit as untrusted input: none crashes, each is accepted
 * or refused with a problem at its own line, and the ones that need only namespaces are accepted.
 * Also the FRR configuration a topology binds, checked line by line.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { LabFileError, readLabSource } from "../../lib/lab/file.ts";
import { frrConfigProblem, splitFrrConfig } from "../../lib/lab/frr_config.ts";

const ROOT = new URL("../fixtures/containerlab/", import.meta.url).pathname;

/** Every published topology kept as a fixture: files with a top-level `topology:` key. */
async function topologies(dir = ROOT): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}${e.name}`;
    if (e.isDirectory) out.push(...await topologies(`${path}/`));
    else if (
      /\.(ya?ml|gotmpl)$/.test(e.name) && /^topology:/m.test(await Deno.readTextFile(path))
    ) {
      out.push(path.slice(ROOT.length));
    }
  }
  return out.sort();
}

/** The published topologies that need nothing but namespaces (their images ignored). */
const NAMESPACES_ONLY = [
  "lab-examples/frr01/frr01.clab.yml",
  "tests/01-smoke/01-linux-single-node.clab.yml",
  "tests/01-smoke/05-docker-bridge.clab.yml",
  "tests/01-smoke/07-linux-single-node.clab.yml",
  "tests/01-smoke/09-external-ca.clab.yml",
  "tests/01-smoke/10-internal-ca.clab.yml",
  "tests/01-smoke/12-tools-veth.clab.yaml",
  // Two nodes in one namespace (network-mode: container:node1).
  "tests/01-smoke/netmodes.clab.yml",
  "tests/01-smoke/node-filter.clab.yml",
  "tests/01-smoke/single-topo-folder/lab1.clab.yml",
  // Its only exec line shows (ip l show dev eth1): noted, nothing to build.
  "tests/01-smoke/stages-race.clab.yml",
  // A dummy interface with an address (ip l add dev d1 type dummy): built where the kernel has it.
  "tests/06-ext-container/02-shared-namespace-ext.clab.yaml",
];

Deno.test("validate over containerlab's 104 published topologies: none crashes, the namespace-only ones are accepted", async () => {
  const files = await topologies();
  assertEquals(files.length, 104);
  const accepted: string[] = [];
  for (const file of files) {
    try {
      await readLabSource(ROOT + file, { ignoreImages: true });
      accepted.push(file);
    } catch (error) {
      assert(error instanceof LabFileError, `${file}: ${error}`);
      // Each refusal names a line of the topology itself.
      assertMatch(error.message, new RegExp(`${file.replace(/[.]/g, "\\.")}:\\d+:\\d+: `), file);
    }
  }
  assertEquals(accepted, NAMESPACES_ONLY);
  // Without --ignore-images, each is refused for its images, and only for them.
  for (const file of NAMESPACES_ONLY) {
    const e = await readLabSource(ROOT + file).then(() => undefined, (e) => e);
    assert(e instanceof LabFileError, file);
    for (const line of e.message.split("\n").slice(1)) assertMatch(line, /image .* refused/);
  }
});

Deno.test("a Go template topology is refused as one, at its first action", async () => {
  const e = await readLabSource(`${ROOT}lab-examples/templated01/templated01.clab.gotmpl`)
    .then(() => undefined, (e) => e);
  assert(e instanceof LabFileError);
  assertMatch(e.message, /templated01\.clab\.gotmpl:12:1: a Go template: containerlab fills in/);
});

Deno.test("frr01: the routers run FRR from their bound files, addresses and daemons taken", async () => {
  const notices: string[] = [];
  const { lab } = await readLabSource(`${ROOT}lab-examples/frr01/frr01.clab.yml`, {
    ignoreImages: true,
    onNotice: (n) => notices.push(n.message),
  });
  const r1 = lab.nodes["clab-frr01-router1"]!;
  assertEquals(r1.role, "router");
  assertEquals(r1.routing?.daemons, ["ospfd"]);
  assertMatch(r1.routing?.config ?? "", /^router ospf$/m);
  assertEquals(r1.interfaces.eth1?.addresses, ["192.168.1.1/24"]);
  assertEquals(r1.interfaces.eth3?.addresses, ["192.168.11.1/24"]);
  assert(notices.some((n) => /turns on ldpd: not run/.test(n)), notices.join("\n"));
  // router1 and PC1 share 192.168.11.0/24 (router1's address from its frr.conf): a ping proof.
  assert(
    lab.expect.some((e) =>
      "ping" in e && e.ping?.from === "clab-frr01-router1" && e.ping.to === "192.168.11.2"
    ),
  );
});

Deno.test("a bound FRR configuration is checked line by line: each refused line is named", () => {
  const { problems } = splitFrrConfig(
    [
      "hostname r1",
      "log file /var/log/frr.log",
      "log syslog informational",
      "password zebra",
      "line vty",
      " exec-timeout 0 0",
      "!",
      "agentx",
      "debug ospf event",
      "service password-encryption",
      "interface eth1",
      " ip address /etc/shadow",
      " ip ospf area 0",
      "!",
      "router bgp 65001",
      " neighbor 10.0.0.2 remote-as 65002",
      " neighbor 10.0.0.2 password secret",
      "!",
      "ip route 0.0.0.0/0 10.0.0.2",
      "frobnicate now",
    ].join("\n"),
  );
  assertEquals(problems.map((p) => p.line), [2, 3, 4, 6, 8, 9, 10, 12, 17, 19, 20]);
  assertMatch(problems[0]!.message, /log stdout/);
  assertMatch(problems[7]!.message, /"\/etc\/shadow" is not a plain word \(a path\?\)/);
});

Deno.test("log stdout is taken (every daemon's file); a log file, syslog or other log line is refused", () => {
  const taken = splitFrrConfig(
    [
      "hostname r1",
      "log stdout",
      "interface eth1",
      " ip ospf area 0",
      "!",
      "log stdout debugging",
      "router ospf",
      " ospf router-id 10.0.0.1",
    ].join("\n"),
  );
  assertEquals(taken.problems, []);
  for (const d of ["zebra", "ospfd"] as const) {
    assertMatch(taken.configs[d]!, /^log stdout$/m, d);
    assertMatch(taken.configs[d]!, /^log stdout debugging$/m, d);
  }
  assertEquals(frrConfigProblem("log stdout informational\n"), undefined);
  const refused = splitFrrConfig(
    [
      "log file /var/log/frr/zebra.log",
      "log file zebra.log debugging",
      "log syslog",
      "log syslog informational",
      "log monitor",
      "log stdout chatty",
      "log stdout debugging /tmp/x",
      "log stdoutx",
    ].join("\n"),
  );
  assertEquals(refused.problems.map((p) => p.line), [1, 2, 3, 4, 5, 6, 7, 8]);
  for (const p of refused.problems) {
    assertMatch(p.message, /only "log stdout \[LEVEL\]" is taken/, p.text);
  }
  assertEquals(refused.configs.zebra, "\n");
});

Deno.test("OSPF authentication keys in a bound FRR configuration are refused like passwords", () => {
  const { problems } = splitFrrConfig(
    [
      "interface eth1",
      " ip ospf authentication-key s3cret",
      " ip ospf message-digest-key 1 md5 s3cret",
      " ip ospf area 0",
    ].join("\n"),
  );
  assertEquals(problems.map((p) => p.line), [2, 3]);
  for (const p of problems) assertMatch(p.message, /authentication keys are refused/);
});

Deno.test("a bind that leaves the topology's directory is refused, naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/lab`);
    await Deno.writeTextFile(`${dir}/outside.conf`, "hostname x\n");
    await Deno.symlink(`${dir}/outside.conf`, `${dir}/lab/link.conf`);
    const topo = (bind: string) =>
      `name: b\ntopology:\n  nodes:\n    r1:\n      kind: linux\n      binds: [${bind}]\n`;
    for (
      const [bind, why] of [
        ["../outside.conf:/etc/frr/frr.conf", /a path inside the topology's directory/],
        ["/etc/frr/frr.conf:/etc/frr/frr.conf", /a path inside the topology's directory/],
        ["link.conf:/etc/frr/frr.conf", /leads out of the topology's directory/],
        ["data.txt:/data.txt", /reads only FRR's/],
      ] as const
    ) {
      await Deno.writeTextFile(`${dir}/lab/t.clab.yml`, topo(bind));
      const e = await readLabSource(`${dir}/lab/t.clab.yml`).then(() => undefined, (e) => e);
      assert(e instanceof LabFileError, bind);
      assertMatch(e.message, /t\.clab\.yml:6:\d+: /);
      assertMatch(e.message, why);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a keep-alive cmd and sysctls are taken; another cmd is refused at its line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/k.clab.yml`;
    await Deno.writeTextFile(
      file,
      "name: k\ntopology:\n  nodes:\n    n1:\n      kind: linux\n      cmd: sleep infinity\n" +
        "      sysctls: { net.ipv4.ip_forward: 1, net.ipv6.conf.all.disable_ipv6: 0 }\n",
    );
    const notices: string[] = [];
    const { lab } = await readLabSource(file, { onNotice: (n) => notices.push(n.message) });
    assertEquals({ ...lab.nodes["clab-k-n1"]?.sysctls }, {
      "net.ipv4.ip_forward": 1,
      "net.ipv6.conf.all.disable_ipv6": 0,
    });
    assert(notices.some((n) => /cmd "sleep infinity" ignored/.test(n)));
    await Deno.writeTextFile(
      file,
      "name: k\ntopology:\n  nodes:\n    n1:\n      kind: linux\n      cmd: nc -l 80\n",
    );
    const e = await readLabSource(file).then(() => undefined, (e) => e);
    assert(e instanceof LabFileError);
    assertMatch(e.message, /k\.clab\.yml:6:12: cmd "nc -l 80" refused/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
