/**
 * Impairments, captures and the new proofs without touching the host: the units' parsers, lab
 * file validation (every bad value at its FILE:LINE:COLUMN), the plans' exact commands and
 * undos, and the executor running a one-off impairment against a recording runner.
 */
import { assert, assertEquals, assertMatch, assertThrows } from "../helpers/assert.ts";
import { withTempDir } from "../helpers/temp.ts";
import {
  capture,
  Executor,
  impair,
  impairClear,
  linkDown,
  NetemMissingError,
  planLab,
  RecordingRunner,
  UsageError,
  validateLab,
} from "../../mod.ts";
import { LabFileError, parseLabYaml } from "../../lib/lab/file.ts";
import { Journal } from "../../lib/plan/journal.ts";
import {
  formatDuration,
  formatPercent,
  formatRate,
  parseDuration,
  parsePercent,
  parseRate,
} from "../../lib/units.ts";
import { shellLine } from "../../lib/exec/shell.ts";
import { describeImpairments } from "../../lib/lab/impairments.ts";
import { labStatus } from "../../lib/lab/status.ts";
import { LiveReader } from "../../lib/ui/live.ts";
import type { Host } from "../../lib/host.ts";
import type { LabState } from "../../lib/lab/lab_state.ts";
import type { LabGraph } from "../../lib/lab/graph_model.ts";
import { checkImpairChange, type ImpairChange } from "../../lib/lab/impair_change.ts";
import { impairSettings } from "../../lib/ui/control.ts";

const argv = (step: { do: unknown[] }) =>
  (step.do as { argv?: string[] }[]).map((a) => a.argv?.join(" ") ?? "");

Deno.test("parseRate() reads tc's bit units and refuses bytes, words and the absurd", () => {
  assertEquals(parseRate("10mbit"), 10_000_000);
  assertEquals(parseRate("1.5mbit"), 1_500_000);
  assertEquals(parseRate("512kbit"), 512_000);
  assertEquals(parseRate("1gbit"), 1_000_000_000);
  assertEquals(formatRate(1_500_000), "1500kbit");
  assertEquals(formatRate(10_000_000), "10mbit");
  for (
    const bad of [
      "10",
      "10 mbit",
      "10Mbit",
      "fast",
      "-1mbit",
      "1e3kbit",
      "4kbit",
      "11gbit",
      "0.5bit",
    ]
  ) {
    assertThrows(() => parseRate(bad), UsageError);
  }
  const bytes = assertThrows(() => parseRate("10mbps"), UsageError);
  assertMatch(bytes.message, /bytes per second.*10mbit/);
});

Deno.test("parsePercent() and parseDuration() take what tc and people write", () => {
  assertEquals(parsePercent("5%"), 500);
  assertEquals(parsePercent("0.5%"), 50);
  assertEquals(parsePercent("0.25%"), 25);
  assertEquals(parsePercent("100%"), 10000);
  assertEquals(formatPercent(50), "0.5%");
  assertEquals(formatPercent(25), "0.25%");
  for (const bad of ["5", "101%", "0.125%", "-1%", "5 %", "five%"]) {
    assertThrows(() => parsePercent(bad), UsageError);
  }
  assertEquals(parseDuration("20ms"), 20_000);
  assertEquals(parseDuration("1.5s"), 1_500_000);
  assertEquals(parseDuration("500us"), 500);
  assertEquals(formatDuration(1_500_000), "1500ms");
  assertEquals(formatDuration(2_000_000), "2s");
  for (const bad of ["20", "20 ms", "1m", "11min", "0.5us"]) {
    assertThrows(() => parseDuration(bad), UsageError);
  }
  assertThrows(() => parseDuration("11s", 10_000_000), UsageError);
});

const LAB = (iface: string, expect = "") =>
  `name: imp
nodes:
  a:
    interfaces:
      eth0:
${iface}
  b:
    interfaces:
      eth0: { addresses: [10.9.0.2/24] }
links:
  - endpoints: [a:eth0, b:eth0]
${expect}`;

/** Every problem of a lab file that must fail, as "LINE:COLUMN: message". */
function problems(text: string): string[] {
  const error = assertThrows(() => parseLabYaml(text, "lab.yaml"), LabFileError);
  assert(error instanceof UsageError, "exit code 2");
  return error.problems.map((p) => `${p.line}:${p.column}: ${p.message}`);
}

Deno.test("a bad rate, percentage or duration in a lab file is reported at its line and column", () => {
  assertEquals(problems(LAB("        impair: { rate: 10mbps }")), [
    '6:25: "10mbps": tc\'s "bps" means bytes per second; write bits per second, e.g. 10mbit (times 8 for the same speed)',
  ]);
  assertEquals(problems(LAB("        impair: { loss: 150% }")), ['6:25: "150%" is over 100%']);
  assertEquals(problems(LAB("        impair: { loss: 5 }")), [
    "6:25: 5 is not a percentage: expected e.g. 5% or 0.5% (0% to 100%, at most two decimals)",
  ]);
  assertEquals(problems(LAB("        impair: { delay: 20 }")), [
    "6:26: 20 is not a duration: expected a number and us, ms or s, e.g. 20ms",
  ]);
  assertEquals(problems(LAB("        impair: { delay: 1h }")), [
    '6:26: "1h" is not a duration: expected a number and us, ms or s, e.g. 20ms',
  ]);
  assertEquals(problems(LAB("        impair: { jitter: 5ms }")), [
    '6:9: "jitter" varies a delay: add "delay" too',
  ]);
  assertEquals(problems(LAB("        impair: {}")), [
    "6:9: an impairment needs at least one of rate, loss, delay, jitter",
  ]);
  assertEquals(problems(LAB("        impair: { rate: 10mbit, burst: 9k }")), [
    '6:33: unrecognized key "burst"',
  ]);
  assertEquals(problems(LAB("        capture: yes please")), [
    "6:18: Invalid input: expected boolean, received string",
  ]);
});

Deno.test("the new proofs are validated like the rest", () => {
  const base = "        addresses: [10.9.0.1/24]";
  const expect = (line: string) => problems(LAB(base, `expect:\n  - ${line}\n`));
  assertMatch(expect("tcp: { from: a, to: 10.9.0.2, port: 70000 }")[0]!, /^13:41: Too big/);
  assertMatch(
    expect("tcp: { from: a, to: 10.9.0.2, port: 80, listen: nowhere }")[0]!,
    /^13:5: node "nowhere" does not exist/,
  );
  assertMatch(
    expect("link: { node: a, interface: eth9 }")[0]!,
    /^13:33: node "a" has no interface "eth9"/,
  );
  assertMatch(
    expect("link: { node: a, interface: eth0, state: sideways }")[0]!,
    /^13:46: expect\.0\.link\.state: "sideways" is not one of up, down$/,
  );
  assertMatch(
    expect("route: { node: a, to: 10.9.0.0/33 }")[0]!,
    /^13:27: expected an IPv4 address with prefix/,
  );
  assertMatch(
    expect("route: { node: a, to: default, dev: eth7 }")[0]!,
    /^13:41: node "a" has no interface "eth7"/,
  );
  assertMatch(
    problems(LAB(base, "expect:\n  - ping: { from: a, to: 10.9.0.2 }\n    within: soon\n"))[0]!,
    /^14:13: "soon" is not a duration/,
  );
  assertMatch(
    problems(LAB(base, "expect:\n  - ping: { from: a, to: 10.9.0.2 }\n    within: 11min\n"))[0]!,
    /^14:13: "11min" is not a duration/,
  );
  const lab = parseLabYaml(
    LAB(
      base,
      "expect:\n  - tcp: { from: a, to: 10.9.0.2, port: 80, listen: b }\n  - route: { node: a, to: 10.9.0.0/24 }\n  - link: { node: a, interface: eth0 }\n    within: 5s\n",
    ),
    "lab.yaml",
  );
  assertEquals(lab.expect.length, 3);
  assertEquals(lab.expect[2], {
    link: { node: "a", interface: "eth0", state: "up" },
    within: "5s",
  });
});

Deno.test("impair() without netem: tbf for the rate, an nftables drop rule of the lab's own for loss", () => {
  const step = impair("rt", "eth1", { rate: "10mbit", loss: "2.5%", lab: "router" });
  assertEquals(argv(step), [
    "ip netns exec rt tc qdisc replace dev eth1 root tbf rate 10mbit burst 12500 latency 50ms",
    'ip netns exec rt nft add table inet netkit-loss-eth1 { chain egress { type filter hook postrouting priority 0; oifname "eth1" numgen random mod 10000 < 250 counter drop comment "netkit:router"; }; }',
  ]);
  assertEquals(step.undo.map((a) => ("argv" in a ? a.argv.join(" ") : "")), [
    "ip netns exec rt nft delete table inet netkit-loss-eth1",
    "ip netns exec rt tc qdisc del dev eth1 root",
  ]);
  // A slow rate still gets a bucket one full frame fits in.
  assertMatch(argv(impair("a", "eth0", { rate: "64kbit" }))[0]!, / burst 4096 /);
  // What an exported script shows: the rule is one quoted word.
  assertMatch(
    shellLine((step.do[1] as { argv: string[] }).argv),
    /netkit-loss-eth1 '\{ chain egress/,
  );
});

Deno.test("impair() with netem: netem at the root, tbf under it", () => {
  const step = impair("rt", "eth1", {
    rate: "1mbit",
    loss: "1%",
    delay: "20ms",
    jitter: "5ms",
    netem: true,
  });
  assertEquals(argv(step), [
    "ip netns exec rt tc qdisc replace dev eth1 root handle 1: netem delay 20ms 5ms loss 1%",
    "ip netns exec rt tc qdisc replace dev eth1 parent 1:1 handle 10: tbf rate 1mbit burst 4096 latency 50ms",
  ]);
  assertEquals(step.undo.length, 1);
});

Deno.test("impair() refuses delay and jitter without netem, and bad values, before anything runs", () => {
  const e = assertThrows(() => impair("rt", "eth1", { delay: "20ms" }), NetemMissingError);
  assert(e instanceof UsageError);
  assertMatch(e.message, /^delay needs the kernel's netem qdisc/);
  assertThrows(() => impair("rt", "eth1", { rate: "10 mbit" }), UsageError);
  assertThrows(() => impair("rt", "eth1", {}), UsageError);
  assertThrows(() => impair("rt", "eth1", { jitter: "1ms", netem: true }), UsageError);
  assertThrows(() => impair("rt", "this-name-is-too-long", { rate: "1mbit" }), UsageError);
});

Deno.test("planLab() refuses delay without netem in one line naming where it was asked for", () => {
  const lab = parseLabYaml(
    LAB("        addresses: [10.9.0.1/24]\n        impair: { delay: 20ms }"),
    "l.yaml",
  );
  const e = assertThrows(() => planLab(lab, { stateDir: "/tmp/x" }), NetemMissingError);
  assertEquals(e.message.split("\n").length, 1);
  assertMatch(
    e.message,
    /^nodes\.a\.interfaces\.eth0\.impair\.delay: delay needs the kernel's netem/,
  );
  const steps = planLab(lab, { stateDir: "/tmp/x", netem: true });
  assert(steps.some((s) => s.key === "impair:a/eth0"));
});

Deno.test("planLab(): a capture starts before the interface has an address, an impairment after it is up", () => {
  const lab = parseLabYaml(
    LAB("        addresses: [10.9.0.1/24]\n        capture: true\n        impair: { rate: 1mbit }"),
    "l.yaml",
  );
  const steps = planLab(lab, {
    stateDir: "/run/netkit/labs/imp",
    captureDir: "/run/netkit/captures/imp",
  });
  const keys = steps.map((s) => s.key);
  const at = (key: string) => keys.indexOf(key);
  assert(at("link:a/eth0") < at("daemon:tcpdump@a/eth0"), keys.join("\n"));
  assert(at("daemon:tcpdump@a/eth0") < at("addr:a/eth0/10.9.0.1/24"), keys.join("\n"));
  assert(at("up:a/eth0") < at("impair:a/eth0"), keys.join("\n"));
  const cap = steps[at("daemon:tcpdump@a/eth0")]!;
  assertEquals(argv(cap), [
    "ip -n a link set dev eth0 up",
    "mkdir -p /run/netkit/captures/imp/a",
    "ip netns exec a busybox start-stop-daemon -S -b -m -p /run/netkit/labs/imp/tcpdump-a@eth0.pid -x tcpdump -- -i eth0 -U -s 1600 -c 50000 --immediate-mode -w /run/netkit/captures/imp/a/eth0.pcap",
    "",
  ]);
  assertEquals(cap.pidFile, "/run/netkit/labs/imp/tcpdump-a@eth0.pid");
  // Noted once it runs, like netkit's other daemons, so that its undo stops only that process.
  // tcpdump's command line names its pcap file, not its pid file: that is how it is told apart.
  assertEquals(cap.do.at(-1), {
    recordDaemon: "/run/netkit/labs/imp/tcpdump-a@eth0.pid",
    program: "tcpdump",
    named: "/run/netkit/captures/imp/a/eth0.pcap",
  });
  // The undo stops tcpdump (checked against the record) and keeps the pcap file.
  assertEquals(cap.undo, [
    {
      stopDaemon: "/run/netkit/labs/imp/tcpdump-a@eth0.pid",
      program: "tcpdump",
      named: "/run/netkit/captures/imp/a/eth0.pcap",
    },
    { remove: "/run/netkit/labs/imp/tcpdump-a@eth0.pid" },
  ]);
  // The pcap path comes from netkit, never from the lab file: a capture is a boolean.
  assertEquals(capture("a", "eth0", { dir: "/d", stateDir: "/s" }).do.length, 4);
});

Deno.test("a one-off impairment runs through the executor and its undo goes into the journal first", async () => {
  await withTempDir("netkit-journal-", async (dir) => {
    const runner = new RecordingRunner();
    const journal = new Journal(`${dir}/journal.jsonl`);
    const steps = [
      impairClear("rt", "eth1", { qdisc: true, lossTable: false }),
      impair("rt", "eth1", { rate: "5mbit" }),
      linkDown("eth1", { ns: "rt" }),
    ];
    await new Executor({ runner, journal }).apply(steps);
    assertEquals(runner.commands.map((c) => c.argv.join(" ")), [
      "ip netns exec rt tc qdisc del dev eth1 root",
      "ip netns exec rt tc qdisc replace dev eth1 root tbf rate 5mbit burst 6250 latency 50ms",
      "nsenter --net=/run/netns/rt ip -batch -",
    ]);
    assertEquals(runner.commands[2]!.stdin, "link set dev eth1 down\n");
    const entries = await journal.read();
    assertEquals(entries.map((e) => e.key), [
      "impair-clear:rt/eth1",
      "impair:rt/eth1",
      "down:rt/eth1",
    ]);
    assertEquals(entries[2]!.undo, [{
      argv: ["ip", "-n", "rt", "link", "set", "dev", "eth1", "up"],
    }]);
  });
});

Deno.test("a lab with impairments and captures exports to YAML and parses back the same", async () => {
  const { labToYaml } = await import("../../lib/lab/file.ts");
  const lab = validateLab({
    name: "imp",
    nodes: {
      a: {
        interfaces: {
          eth0: {
            addresses: ["10.9.0.1/24"],
            impair: { rate: "1mbit", loss: "1%" },
            capture: true,
          },
        },
      },
      b: { interfaces: { eth0: { addresses: ["10.9.0.2/24"] } } },
    },
    links: [{ endpoints: ["a:eth0", "b:eth0"] }],
    expect: [{ link: { node: "a", interface: "eth0" }, within: "3s" }],
  });
  assertEquals(parseLabYaml(labToYaml(lab), "x.yaml"), lab);
});

Deno.test("examples/labs/router-lossy.yaml is the router recipe plus its impairments, capture and proofs", async () => {
  const { loadLabFile } = await import("../../lib/lab/file.ts");
  const { router } = await import("../../recipes/router.ts");
  const example = await loadLabFile(
    new URL("../../examples/labs/router-lossy.yaml", import.meta.url).pathname,
  );
  const recipe = validateLab(router.build({ prefix: "rl-" }));
  // Take the additions away: what is left is the recipe, node for node and link for link.
  const bare = validateLab(structuredClone(example)); // a lab again: its maps without prototype
  delete bare.nodes["rl-rt"]!.interfaces.eth1!.impair;
  delete bare.nodes["rl-wan"]!.interfaces.eth0!.impair;
  delete bare.nodes["rl-wan"]!.interfaces.eth0!.capture;
  assertEquals(bare.nodes, recipe.nodes);
  assertEquals(bare.bridges, recipe.bridges);
  assertEquals(bare.links, recipe.links);
  const withoutWithin = example.expect.map((e) => {
    const { within: _w, ...rest } = e as typeof e & { within?: string };
    return rest;
  });
  for (const e of recipe.expect) {
    assert(withoutWithin.some((x) => JSON.stringify(x) === JSON.stringify(e)), JSON.stringify(e));
  }
  assertEquals(example.nodes["rl-rt"]!.interfaces.eth1!.impair, { rate: "10mbit", loss: "2%" });
  assertEquals(example.nodes["rl-wan"]!.interfaces.eth0!.capture, true);
  const kinds = example.expect.map((e) =>
    Object.keys(e).find((k) => k !== "within" && k !== "reach")
  );
  for (const k of ["tcp", "route", "link", "lease", "snat"]) assert(kinds.includes(k), k);
});

Deno.test("one check of an impairment change, for the command line and the page alike", () => {
  const option = (f: string) => `--${f}`;
  const field = (f: string) => f;
  assertEquals(checkImpairChange({ rate: "10mbit", loss: "2%" }, option).rate, "10mbit");
  const cases: [ImpairChange, RegExp][] = [
    [{}, /^Say what to do: --rate, --loss, --delay, --jitter, or --clear$/],
    [{ clear: true, rate: "1mbit" }, /^--clear removes the impairment: leave out --rate$/],
    [{ jitter: "5ms" }, /^--jitter varies a delay: give --delay too$/],
  ];
  for (const [change, message] of cases) {
    assertMatch(assertThrows(() => checkImpairChange(change, option), UsageError).message, message);
  }
  // The page names the fields as it sends them, through the same checks and parsers.
  assertMatch(
    assertThrows(() => impairSettings({ jitter: "5ms" }), UsageError).message,
    /^jitter varies a delay: give delay too$/,
  );
  assertThrows(() => impairSettings({ rate: "10 bytes" }), UsageError);
  assertEquals(impairSettings({ clear: true }).clear, true);
  assertThrows(() => checkImpairChange({ loss: "200%" }, field), UsageError);
});

Deno.test("netkit status and netkit ui read a link's impairments the same way", async () => {
  // What iproute2's tc -j and nft -j print for netem delay 20ms 5ms loss 2% with tbf under it,
  // an OVS QoS's htb, and a loss table of netkit's own (a kernel without netem).
  const tc = JSON.stringify([
    { kind: "noqueue", handle: "0:", dev: "lo", root: true, options: {} },
    {
      kind: "netem",
      handle: "1:",
      dev: "eth1",
      root: true,
      options: {
        limit: 1000,
        delay: { delay: 0.02, jitter: 0.005, correlation: 0 },
        "loss-random": { loss: 0.02, correlation: 0 },
        ecn: false,
        gap: 0,
      },
    },
    { kind: "tbf", handle: "8001:", dev: "eth1", parent: "1:1", options: { rate: 1250000 } },
    { kind: "htb", handle: "1:", dev: "br-p1", root: true, options: { r2q: 10 } },
    { kind: "fq_codel", handle: "0:", dev: "eth0", root: true, options: {} },
  ]);
  const nft = JSON.stringify({
    nftables: [
      { metainfo: { version: "1.0.6" } },
      { table: { family: "inet", name: "netkit-loss-eth2", handle: 1 } },
      { table: { family: "ip", name: "nat", handle: 2 } },
    ],
  });
  const want = new Map([
    ["eth1", "delay 20 ms ± 5 ms, loss 2%, rate 10 Mbit/s"],
    ["br-p1", "OVS QoS (htb)"],
    ["eth2", "random loss (nftables)"],
  ]);
  assertEquals(describeImpairments(tc, nft), want);
  assertEquals(describeImpairments("not json", ""), new Map());
  const runner = new RecordingRunner((argv) =>
    argv.includes("tc")
      ? { code: 0, stdout: tc, stderr: "" }
      : argv.includes("nft")
      ? { code: 0, stdout: nft, stderr: "" }
      : argv.includes("link")
      ? { code: 0, stdout: JSON.stringify([{ ifname: "eth1" }, { ifname: "eth2" }]), stderr: "" }
      : undefined
  );
  const host = { runner, stateRoot: "/nonexistent" } as unknown as Host;
  const state = { lab: validateLab({ name: "l", nodes: { r: {} } }), status: "up" } as LabState;
  const status = (await labStatus(host, state)).impairments;
  assertEquals(
    status.map((i) => [i.interface, i.impairment]),
    [...want],
    "netkit status",
  );
  const graph = {
    links: [{ a: { owner: "r", ifname: "eth1" }, b: { owner: "r", ifname: "eth2" } }],
  };
  const live = await new LiveReader(host).read(state, graph as unknown as LabGraph);
  assertEquals(live.ends["r:eth1"]?.impaired, want.get("eth1"), "netkit ui");
  assertEquals(live.ends["r:eth2"]?.impaired, want.get("eth2"), "netkit ui");
});
