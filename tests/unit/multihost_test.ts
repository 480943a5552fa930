import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertThrows,
} from "../helpers/assert.ts";
import { LabFileError, parseLabYaml } from "../../lib/lab/file.ts";
import { planLab } from "../../lib/lab/plan.ts";
import { validateLab } from "../../lib/lab/validate.ts";
import { parseInventory } from "../../lib/multihost/inventory.ts";
import { overlaps, splitLab, vniBase, vniClashes } from "../../lib/multihost/split.ts";
import { type PartMessage, servePart, type ServePartOptions } from "../../lib/multihost/part.ts";
import { partCommand } from "../../lib/cli/part.ts";
import { vxlanSourceFilter } from "../../lib/primitives/vxlan.ts";
import { resolveHost } from "../../lib/host.ts";
import { SshRunner } from "../../lib/exec/ssh_runner.ts";
import { RecordingRunner } from "../../lib/exec/runner.ts";
import { UsageError } from "../../lib/errors.ts";
import { partUpArgv, requireInventory } from "../../lib/multihost/runtime.ts";
import { programAt } from "../../lib/multihost/program.ts";
import { hostNamesOf, layoutOf, tunnelName } from "../../lib/reach.ts";

const TWO = [
  "name: mh",
  "hosts: { h1: {}, h2: {} }",
  "nodes:",
  "  a: { host: h1, interfaces: { eth0: { addresses: [10.60.0.1/24] } } }",
  "  b: { host: h2, interfaces: { eth0: { addresses: [10.60.0.2/24] } } }",
  "  c: { host: h2, interfaces: { eth0: { addresses: [10.60.0.3/24] } } }",
  "bridges:",
  "  br: { type: linux, host: h2 }",
  "links:",
  "  - endpoints: [a:eth0, b:eth0]",
  "  - endpoints: [c:eth0, br:c-p]",
  "expect:",
  "  - ping: { from: a, to: 10.60.0.2 }",
].join("\n");

const underlay = {
  h1: { address: "10.251.0.1", mtu: 1500 },
  h2: { address: "10.251.0.2", mtu: 9000 },
};

Deno.test("splitLab() turns a link between hosts into one VXLAN end on each host", () => {
  const split = splitLab(parseLabYaml(TWO, "mh.yaml"), underlay);
  assertEquals(split.mtu, 1450); // the smallest underlay MTU − 50
  assertEquals(Object.keys(split.parts).sort(), ["h1", "h2"]);
  const vni = vniBase("mh");
  assertEquals(split.parts.h1!.tunnels, [
    { end: "a:eth0", vni, local: "10.251.0.1", remote: "10.251.0.2", port: 4789 },
  ]);
  assertEquals(split.parts.h2!.tunnels, [
    { end: "b:eth0", vni, local: "10.251.0.2", remote: "10.251.0.1", port: 4789 },
  ]);
  assertEquals(split.parts.h2!.links, [{ endpoints: ["c:eth0", "br:c-p"] }]);
  assertEquals(split.parts.h1!.expect.length, 1);
  assertEquals(Object.keys(split.parts.h2!.nodes).sort(), ["b", "c"]);
  // Each part is a valid single-host lab with nothing of the other host in it.
  for (const part of Object.values(split.parts)) {
    // Its tunnels only with the controller's opt-in (lib/reach.ts), never as a lab file.
    assertMatch(
      assertThrows(() => validateLab(part), UsageError).message,
      /tunnels: a lab file cannot name tunnels/,
    );
    const again = validateLab(part, "part", { tunnels: true });
    assertEquals(again.hosts, undefined);
    assert(Object.values(again.nodes).every((n) => n.host === undefined));
  }
});

Deno.test("planLab() creates a part's VXLAN end in its node, with the lab MTU everywhere", () => {
  const split = splitLab(parseLabYaml(TWO, "mh.yaml"), underlay);
  const lines = planLab(split.parts.h2!, { stateDir: "/x" }).flatMap((s) =>
    s.do.map((a) => ("argv" in a ? a.argv.join(" ") : ""))
  );
  assert(
    lines.includes(
      `ip link add name eth0 netns b mtu 1450 type vxlan id ${
        vniBase("mh")
      } local 10.251.0.2 remote 10.251.0.1 dstport 4789`,
    ),
    lines.join("\n"),
  );
  assert(lines.includes("ip -n c link set dev eth0 mtu 1450"), lines.join("\n"));
  assert(lines.includes("ip link set dev c-p mtu 1450"), lines.join("\n"));
});

Deno.test("a lab file with a node on an unknown host fails at that line", () => {
  const text = TWO.replace("b: { host: h2", "b: { host: h3");
  const error = assertThrows(() => parseLabYaml(text, "mh.yaml"), LabFileError);
  assertMatch(error.message, /mh\.yaml:5:\d+: unknown host "h3" \(known: h1, h2\)/);
});

Deno.test("a lab file cannot name machines, tunnels, or leave a node without a host", () => {
  const ssh = TWO.replace(
    "hosts: { h1: {}, h2: {} }",
    "hosts: { h1: { ssh: root@192.0.2.1 }, h2: {} }",
  );
  assertMatch(
    assertThrows(() => parseLabYaml(ssh, "mh.yaml"), LabFileError).message,
    /mh\.yaml:2:\d+: unrecognized key "ssh"/,
  );
  const tunnels = TWO +
    "\ntunnels: [{ end: a:eth0, vni: 5, local: 192.0.2.1, remote: 198.51.100.1 }]";
  assertMatch(
    assertThrows(() => parseLabYaml(tunnels, "mh.yaml"), LabFileError).message,
    /cannot name tunnels/,
  );
  const homeless = TWO.replace("c: { host: h2, ", "c: { ");
  assertMatch(
    assertThrows(() => parseLabYaml(homeless, "mh.yaml"), LabFileError).message,
    /node "c" needs "host: ROLE" \(one of: h1, h2\)/,
  );
});

Deno.test("a lab that places things on hosts needs --hosts with every role", () => {
  const lab = parseLabYaml(TWO, "mh.yaml");
  assertMatch(
    assertThrows(() => requireInventory(lab, undefined), UsageError).message,
    /--hosts FILE/,
  );
  const inv = parseInventory(
    "hosts:\n  h1: { ssh: root@10.251.0.1, underlay: 10.251.0.1 }\n",
    "i.yaml",
  );
  assertMatch(assertThrows(() => requireInventory(lab, inv), UsageError).message, /role h2/);
});

Deno.test("parseInventory() reports problems with FILE:LINE:COL", () => {
  const error = assertThrows(
    () =>
      parseInventory(
        "hosts:\n  h1: { ssh: root@10.9.0.1, underlay: 10.9.0.1 }\n  h2: { ssh: '-oProxyCommand=x', underlay: 10.9.0.2 }\n",
        "hosts.yaml",
      ),
    UsageError,
  );
  assertMatch(error.message, /hosts\.yaml:3:\d+: an ssh destination is/);
  const both = assertThrows(
    () => parseInventory("hosts:\n  h1: { underlay: 10.9.0.1 }\n", "hosts.yaml"),
    UsageError,
  );
  assertMatch(both.message, /either "ssh: \[USER@\]HOST" or "local: true"/);
});

Deno.test("overlaps() finds lab addresses inside an underlay network", () => {
  const lab = parseLabYaml(TWO.replace("10.60.0.3/24", "10.251.0.77/24"), "mh.yaml");
  assertEquals(overlaps(lab, { h1: "10.251.0.1/24" }), [
    {
      path: ["nodes", "c", "interfaces", "eth0", "addresses", 0],
      cidr: "10.251.0.77/24",
      host: "h1",
      underlay: "10.251.0.1/24",
    },
  ]);
  assertEquals(overlaps(parseLabYaml(TWO, "mh.yaml"), { h1: "10.251.0.1/24" }), []);
});

Deno.test("the lab's own mtu must fit the underlay", () => {
  const lab = parseLabYaml(TWO + "\nmtu: 1460", "mh.yaml");
  assertMatch(assertThrows(() => splitLab(lab, underlay), UsageError).message, /at most 1450/);
  assertEquals(splitLab(parseLabYaml(TWO + "\nmtu: 1400", "mh.yaml"), underlay).mtu, 1400);
});

Deno.test("SshRunner quotes every remote word and shares one connection", async () => {
  const local = new RecordingRunner();
  const runner = new SshRunner({ destination: "root@10.9.0.1", configFile: "/k/ssh_config" }, {
    local,
    controlDir: "/tmp/c",
  });
  const argv = runner.argvFor(["ip", "netns", "exec", "a", "sh", "-c", "echo $HOME; rm -rf /"]);
  assertEquals(argv.slice(0, 3), ["ssh", "-F", "/k/ssh_config"]);
  assert(argv.includes("ControlMaster=auto") && argv.includes("ControlPath=/tmp/c/%C"));
  assertEquals(argv.at(-2), "root@10.9.0.1");
  assertEquals(argv.at(-3), "--");
  assertEquals(argv.at(-1), "'ip' 'netns' 'exec' 'a' 'sh' '-c' 'echo $HOME; rm -rf /'");
  assertThrows(() =>
    new SshRunner({ destination: "-oProxyCommand=x" }, { local, controlDir: "/c" })
  );
  // The one Runner interface: the ssh command goes through the local runner, run or spawned.
  await runner.run(["ip", "-j", "addr", "show"]);
  runner.spawn(["netkit", "part", "up"], { stdin: "piped" });
  assertEquals(local.commands.map((c) => [c.argv.at(-1), c.spawned ?? false]), [
    ["'ip' '-j' 'addr' 'show'", false],
    ["'netkit' 'part' 'up'", true],
  ]);
});

Deno.test("a part's bridge-side VXLAN end is a root-namespace name that preflight checks", () => {
  const split = splitLab(
    parseLabYaml(
      TWO.replace("a:eth0, b:eth0", "a:eth0, br:a-p]\n  - endpoints: [b:eth0, br:b-p"),
      "mh.yaml",
    ),
    underlay,
  );
  const part = validateLab(split.parts.h2!, "part", { tunnels: true });
  assertEquals(hostNamesOf(part).links.get("a-p"), ["tunnels", 0, "end"]);
  assert(layoutOf(part).rootIfaces.has("a-p"));
});

Deno.test("every proof runs on one host: a TCP proof between hosts is refused at its line", () => {
  const text = TWO + "\n  - tcp: { from: a, to: 10.60.0.3, port: 80, listen: c }";
  const error = assertThrows(() => parseLabYaml(text, "mh.yaml"), LabFileError);
  assertMatch(error.message, /mh\.yaml:14:\d+: this proof spans hosts h1, h2/);
});

Deno.test("a lab may declare at most 256 host roles", () => {
  const roles = Array.from({ length: 257 }, (_, i) => `r${i}: {}`).join(", ");
  const text = TWO.replace("hosts: { h1: {}, h2: {} }", `hosts: { h1: {}, h2: {}, ${roles} }`);
  assertMatch(
    assertThrows(() => parseLabYaml(text, "mh.yaml"), LabFileError).message,
    /mh\.yaml:2:\d+: the lab has 259 host roles; a lab may have at most 256/,
  );
});

Deno.test("programAt: the installed code-split CLI stands for the one-file bundle beside it", () => {
  const at = (path: string, ...present: string[]) =>
    programAt(new URL(`file://${path}`), (p) => present.includes(p));
  const bundle = "/opt/nk/lib/netkit/netkit.js";
  assertEquals(at("/opt/nk/lib/netkit/netkit-cli/chunk-AB12.js", bundle), {
    kind: "bundle",
    path: bundle,
  });
  assertEquals(at(bundle), { kind: "bundle", path: bundle });
  // Without its bundle beside it, a chunk is only itself (a copied directory, not an install).
  assertEquals(at("/opt/nk/lib/netkit/netkit-cli/main.js"), {
    kind: "bundle",
    path: "/opt/nk/lib/netkit/netkit-cli/main.js",
  });
  assertEquals(at("/src/netkit/lib/multihost/program.ts"), {
    kind: "source",
    path: "/src/netkit/main.ts",
  });
});

Deno.test("a part's plan first lets its VXLAN in only from the other ends, undone last", () => {
  const split = splitLab(parseLabYaml(TWO, "mh.yaml"), underlay);
  const steps = planLab(split.parts.h1!, { stateDir: "/x" });
  const vni = vniBase("mh");
  assertEquals(steps[0]!.do.map((a) => ("argv" in a ? a.argv : [])), [
    ["nft", "create", "table", "inet", "netkit-vxlan-mh"],
    [
      "nft",
      "add",
      "table",
      "inet",
      "netkit-vxlan-mh",
      "{ chain input { type filter hook input priority 0; policy accept; udp dport 4789 " +
      `@th,96,24 ${vni} ip saddr != 10.251.0.2 counter drop comment "netkit:mh"; }; }`,
    ],
  ]);
  assertEquals(steps[0]!.undo, [{ argv: ["nft", "delete", "table", "inet", "netkit-vxlan-mh"] }]);
  // Before the VXLAN end exists; a lab without tunnels has no filter.
  assert(steps.findIndex((s) => s.summary.startsWith("create VXLAN")) > 0);
  const single = planLab(
    validateLab({
      name: "one",
      nodes: { a: { interfaces: { eth0: { addresses: ["10.60.0.1/24"] } } } },
      bridges: { br: { type: "linux" } },
      links: [{ endpoints: ["a:eth0", "br:a-p"] }],
    }),
    { stateDir: "/x" },
  );
  assert(!single.some((s) => s.key.startsWith("nft:")));
});

Deno.test("vxlanSourceFilter() keeps each nft argument under the kernel's 128 KiB", () => {
  const tunnels = Array.from({ length: 1200 }, (_, i) => ({ vni: 4096 + i, remote: "10.9.0.2" }));
  const step = vxlanSourceFilter("big", tunnels);
  const adds = step.do.slice(1).map((a) => ("argv" in a ? a.argv.at(-1)! : ""));
  assertEquals(adds.length, 3);
  assert(adds.every((text) => new TextEncoder().encode(text).length < 128 * 1024));
  assertEquals(adds.join(" ").match(/counter drop/g)?.length, 1200);
});

Deno.test("vniClashes() finds a host's VXLAN device or another lab with the lab's VNI", () => {
  const split = splitLab(parseLabYaml(TWO, "mh.yaml"), underlay);
  const vni = vniBase("mh");
  assertEquals(
    vniClashes("mh", split.tunnels, {
      h1: [{ vni, port: 4789, lab: "mh" }, { vni, port: 8472, device: "flannel.1" }],
      h2: [{ vni: vni + 1, port: 4789, lab: "other" }],
    }),
    [],
    "this lab's own part, another port, another VNI: no clash",
  );
  assertEquals(
    vniClashes("mh", split.tunnels, {
      h1: [{ vni, port: 4789, device: "vx0" }],
      h2: [{ vni, port: 4789, lab: "other" }],
    }),
    [
      { host: "h1", vni, port: 4789, by: { vni, port: 4789, device: "vx0" } },
      { host: "h2", vni, port: 4789, by: { vni, port: 4789, lab: "other" } },
    ],
  );
});

/** A `part up` conversation with `lines` from the controller; returns the code and answers. */
async function converse(lines: string[], options: ServePartOptions) {
  const sent: PartMessage[] = [];
  const host = resolveHost({ runner: new RecordingRunner(), stateRoot: "/nonexistent/netkit" });
  const code = await servePart(host, {
    lines: (async function* () {
      yield* lines;
    })(),
    send: (m) => Promise.resolve(void sent.push(m)),
  }, options);
  return { code, sent };
}

Deno.test("part up refuses tunnels and uplinks its command line does not name", async () => {
  const split = splitLab(parseLabYaml(TWO, "mh.yaml"), underlay);
  const part = split.parts.h1!;
  const request = JSON.stringify({ part });
  const named = part.tunnels!.map(tunnelName);
  assertEquals(named, [`${vniBase("mh")}:10.251.0.1:10.251.0.2:4789`]);
  for (const tunnels of [[], [named[0]!.replace("10.251.0.2", "10.251.0.9")]]) {
    const { code, sent } = await converse([request], { tunnels });
    assertEquals(code, 2);
    const error = sent[0] && "error" in sent[0] ? sent[0].error : undefined;
    assertEquals(error?.usage, true);
    assertMatch(
      error?.message ?? "",
      new RegExp(
        `tunnels\\.0: tunnel a:eth0 \\(VNI ${vniBase("mh")}, UDP to 10\\.251\\.0\\.2 ` +
          `port 4789\\) is not named on the command line: only --tunnels ${named[0]} allows it`,
      ),
    );
  }
  // A NIC as a bridge's uplink: only when --uplinks names it (the part's `uplinks` are ignored).
  const uplinked = JSON.stringify({
    part: { ...part, bridges: { br: { type: "linux", uplink: "eth9" } } },
    uplinks: ["eth9"],
  });
  const { code, sent } = await converse([uplinked], { tunnels: named, uplinks: ["eth8"] });
  assertEquals(code, 2);
  assertMatch(JSON.stringify(sent[0]), /uplink \\"eth9\\" would move a network interface/);
  // What the controller runs: the part's own tunnels and uplinks, nothing else.
  const withUplink = validateLab(
    { ...part, bridges: { br: { type: "linux", uplink: "eth9" } } },
    "part",
    { tunnels: true, uplinks: ["eth9"] },
  );
  assertEquals(partUpArgv(["netkit"], withUplink, ["eth9", "eth7"]), [
    "netkit",
    "part",
    "up",
    "--tunnels",
    named[0]!,
    "--uplinks",
    "eth9",
  ]);
  assertEquals(partUpArgv(["netkit"], split.parts.h2!, ["eth9"]).slice(3), [
    "--tunnels",
    `${vniBase("mh")}:10.251.0.2:10.251.0.1:4789`,
  ]);
  // The command line itself: a tunnel that is not VNI:LOCAL:REMOTE:PORT is refused up front.
  const bad = await assertRejects(
    () => partCommand(resolveHost(), "up", undefined, { tunnels: "4097:10.0.0.1" }),
    UsageError,
  );
  assertEquals(bad.message, '--tunnels: "4097:10.0.0.1" is not VNI:LOCAL:REMOTE:PORT');
});
