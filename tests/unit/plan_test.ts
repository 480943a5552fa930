/**
 * Plans and the executor without touching the host: the seed's own commands, validation
 * messages, rollback order and batching, checked against a recording runner.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertThrows,
} from "../helpers/assert.ts";
import { withTempDir } from "../helpers/temp.ts";
import {
  addAddress,
  type CommandError,
  createNs,
  Executor,
  getRecipe,
  InterruptedError,
  LabValidationError,
  linkUp,
  planLab,
  RecordingRunner,
  StepError,
  UsageError,
  validateLab,
  vethPair,
} from "../../mod.ts";
import { Journal } from "../../lib/plan/journal.ts";
import { cmd, shownArgv } from "../../lib/plan/step.ts";
import { shellLine } from "../../lib/exec/shell.ts";

/** What vethPair() gives each end (lib/primitives/link.ts). */
const ONE_QUEUE = "numtxqueues 1 numrxqueues 1";

const argvOf = (lab: string) => {
  const steps = planLab(validateLab(getRecipe(lab).build()), { stateDir: "/tmp/x" });
  return steps.flatMap((s) => s.do).map((a) => ("argv" in a ? a.argv.join(" ") : ""));
};

Deno.test("planLab() builds ovs-veth with the seed's commands, veth ends created in place", () => {
  const cmds = argvOf("ovs-veth");
  for (
    const expected of [
      "ip netns add ns1",
      "ip netns add ns2",
      `ip link add name eth0-ns1 netns ns1 ${ONE_QUEUE} type veth peer name veth-ns1 ${ONE_QUEUE}`,
      "ip -n ns1 addr add 10.0.0.1/24 dev eth0-ns1",
      "ip -n ns2 addr add 10.0.0.2/24 dev eth0-ns2",
      "ip link set dev veth-ns1 up", // the seed forgot this one
    ]
  ) assert(cmds.includes(expected), `missing: ${expected}\n${cmds.join("\n")}`);
  assert(cmds.some((c) => /^ovs-vsctl add-port br1 veth-ns1 /.test(c)));
  assert(cmds.some((c) => /^ovs-vsctl add-br br1 .*datapath_type=netdev/.test(c)));
  // the seed moves eth0-ns1 twice; netkit never moves a veth end at all
  assert(!cmds.some((c) => / netns ns\d$/.test(c) && c.startsWith("ip link set")));
});

Deno.test("planLab() builds ovs-internal: internal ports moved into their namespaces", () => {
  const cmds = argvOf("ovs-internal");
  const addPort = cmds.findIndex((c) => /add-port br1 tap1 .*type=internal/.test(c));
  const move = cmds.indexOf("ip link set dev tap1 netns ns1");
  const address = cmds.indexOf("ip -n ns1 addr add 10.0.0.1/24 dev tap1");
  assert(addPort >= 0 && move > addPort && address > move, cmds.join("\n"));
});

Deno.test("every step of a recipe plan has an undo that removes what it made", () => {
  const steps = planLab(validateLab(getRecipe("ovs-internal").build()), { stateDir: "/tmp/x" });
  const undos = steps.flatMap((s) => s.undo).map((a) => shownArgv(a).join(" "));
  assert(undos.includes("ip netns delete ns1"));
  // OVS objects go only while they carry the lab's mark
  assert(undos.includes("netkit-ovs-remove del-br br1 if:external_ids:netkit-lab=ovs-internal"));
  assert(
    undos.includes("netkit-ovs-remove del-port br1 tap1 if:external_ids:netkit-lab=ovs-internal"),
  );
});

Deno.test("validateLab() reports each problem with its path and reason", () => {
  const cases: [unknown, RegExp][] = [
    [
      { name: "x", nodes: { a: { interfaces: { eth0: { addresses: ["10.0.0.300/24"] } } } } },
      /nodes\.a\.interfaces\.eth0\.addresses\.0: expected an IPv4 address with prefix/,
    ],
    [{ name: "x", bogus: 1 }, /Unrecognized key.*bogus/i],
    [
      { name: "x", links: [{ endpoints: ["a:eth0", "b:eth0"] }] },
      /links\.0\.endpoints\.0: "a" is neither a node nor a bridge/,
    ],
    [
      { name: "x", bridges: { "a-very-long-bridge": { type: "linux" } } },
      /it is 18 bytes: an interface name is at most 15 bytes/,
    ],
    [{ name: "bad name" }, /name: a lab name uses letters/],
    [
      { name: "x", nodes: { a: {} }, bridges: { a: { type: "linux" } } },
      /"a" is both a node and a bridge/,
    ],
    [
      {
        name: "x",
        nodes: { a: { interfaces: { e: { addresses: ["10.0.4.0/24"] } } } },
        bridges: { b: { type: "linux" } },
        links: [{ endpoints: ["a:e", "b:p"] }],
      },
      /10\.0\.4\.0\/24 is the network address/,
    ],
  ];
  for (const [input, message] of cases) {
    const error = assertThrows(() => validateLab(input), LabValidationError);
    assert(error instanceof UsageError);
    assertMatch(error.message, message);
  }
});

Deno.test("primitives refuse bad names and addresses before anything runs", () => {
  assertMatch(assertThrows(() => createNs("a b"), UsageError).message, /Invalid namespace name/);
  assertMatch(assertThrows(() => vethPair("x".repeat(16), "y"), UsageError).message, /16 bytes/);
  assertMatch(
    assertThrows(() => addAddress("eth0", "10.0.0.1"), UsageError).message,
    /A\.B\.C\.D\/N/,
  );
  assertMatch(
    assertThrows(() => createNs("$(reboot)"), UsageError).message,
    /Invalid namespace name/,
  );
});

Deno.test("Executor runs a namespace's ip commands as one ip -batch, after the namespace exists", async () => {
  const runner = new RecordingRunner();
  await new Executor({ runner }).apply([
    createNs("a"),
    addAddress("eth0", "10.0.0.1/24", { ns: "a" }),
    linkUp("eth0", { ns: "a" }),
  ]);
  assertEquals(runner.commands.map((c) => c.argv.join(" ")), [
    "ip netns add a",
    "nsenter --net=/run/netns/a ip -batch -",
  ]);
  assertEquals(
    runner.commands[1]!.stdin,
    "link set dev lo up\naddr add 10.0.0.1/24 dev eth0\nlink set dev eth0 up\n",
  );
});

Deno.test("Executor undoes finished steps in reverse when one fails, and names the command", async () => {
  const runner = new RecordingRunner((argv, stdin) =>
    argv.join(" ") === "ip -batch -" && stdin?.includes("veth")
      ? {
        code: 2,
        stdout: "",
        stderr: "RTNETLINK answers: Operation not permitted\nCommand failed -:3\n",
      }
      : undefined
  );
  const steps = [createNs("a"), createNs("b"), vethPair("x", "y", { ns: "a", peerNs: "b" })];
  const error = await assertRejects(() => new Executor({ runner }).apply(steps), StepError);
  assertEquals(error.index, 2);
  assertMatch(
    error.message,
    /ip link add name x netns a numtxqueues 1 numrxqueues 1 type veth peer name y netns b numtxqueues 1 numrxqueues 1/,
  );
  assertMatch(error.message, /Operation not permitted/);
  // The veth's undo runs inside a, which is deleted anyway; the namespaces go in reverse.
  const undo = runner.commands.at(-1)!;
  assertEquals(undo.argv.join(" "), "ip -force -batch -");
  assertEquals(undo.stdin, "netns delete b\nnetns delete a\n");
});

Deno.test("Executor never undoes a step whose object already existed, nor one that never ran", async () => {
  const runner = new RecordingRunner((argv) =>
    argv.join(" ") === "ovs-vsctl add-br br9"
      ? {
        code: 1,
        stdout: "",
        stderr:
          "ovs-vsctl: cannot create a bridge named br9 because a bridge named br9 already exists",
      }
      : undefined
  );
  const steps = [
    createNs("a"),
    {
      key: "ovs-bridge:br9",
      summary: "br9",
      do: [cmd("ovs-vsctl", "add-br", "br9")],
      undo: [cmd("ovs-vsctl", "del-br", "br9")],
    },
    {
      key: "later",
      summary: "later",
      do: [cmd("touch", "/nonexistent/x")],
      undo: [cmd("rm", "/nonexistent/x")],
    },
  ];
  const error = await assertRejects(() => new Executor({ runner }).apply(steps), StepError);
  assertEquals(error.index, 1);
  const cmds = runner.commands.map((c) => c.argv.join(" "));
  assert(!cmds.includes("ovs-vsctl del-br br9"), cmds.join("\n"));
  assert(!cmds.includes("rm /nonexistent/x"), cmds.join("\n"));
  assertEquals(cmds.at(-1), "ip netns delete a");
});

Deno.test("Executor journals each undo before its step runs; a torn last line is ignored", async () => {
  await withTempDir("netkit-journal-", async (dir) => {
    const journal = new Journal(`${dir}/journal.jsonl`);
    const seen: number[] = [];
    const runner = new RecordingRunner(() => {
      seen.push(Deno.statSync(`${dir}/journal.jsonl`).size);
      return undefined;
    });
    await new Executor({ runner, journal }).apply([
      { key: "d:a", summary: "a", do: [cmd("true", "a")], undo: [cmd("true", "undo-a")] },
      { key: "d:b", summary: "b", do: [cmd("true", "b")], undo: [cmd("true", "undo-b")] },
    ]);
    assert(seen[0]! > 0 && seen[1]! > seen[0]!, `journal sizes when the steps ran: ${seen}`);
    await Deno.writeTextFile(`${dir}/journal.jsonl`, '{"key":"netns:c","undo":[{"ar', {
      append: true,
    });
    const entries = await journal.read();
    assertEquals(entries.map((e) => e.key), ["d:a", "d:b"]);
  });
});

Deno.test("Executor forgets the journal entries of a call it rolled back", async () => {
  await withTempDir("netkit-journal-", async (dir) => {
    const journal = new Journal(`${dir}/journal.jsonl`);
    const ok = new Executor({ runner: new RecordingRunner(), journal });
    await ok.apply([createNs("a")]);
    const failing = new Executor({ runner: new RecordingRunner(), journal, failAt: 1 });
    await assertRejects(() => failing.apply([createNs("b"), createNs("c")]), StepError);
    assertEquals((await journal.read()).map((e) => e.key), ["netns:a"]);
  });
});

Deno.test("shellLine() leaves plain words bare and quotes the rest", () => {
  assertEquals(
    shellLine(["ip", "-n", "ns1", "addr", "add", "10.0.0.1/24"]),
    "ip -n ns1 addr add 10.0.0.1/24",
  );
  assertEquals(shellLine(["echo", "a b", "it's", "$(x)"]), `echo 'a b' 'it'\\''s' '$(x)'`);
});

Deno.test("Executor stops at the next boundary once its signal aborts, and rolls back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const journal = new Journal(`${dir}/journal.jsonl`);
    const controller = new AbortController();
    const runner = new RecordingRunner((argv) => {
      // Ctrl-C while a step runs: the step finishes, the next one never starts.
      if (argv.join(" ") === "true start-daemon") controller.abort("SIGINT");
      return undefined;
    });
    const steps = [
      createNs("a"),
      { key: "d:x", summary: "x", do: [cmd("true", "start-daemon")], undo: [cmd("true", "stop")] },
      createNs("c"),
    ];
    const executor = new Executor({ runner, journal, signal: controller.signal });
    const error = await assertRejects(() => executor.apply(steps), InterruptedError);
    assertEquals(error.reason, "SIGINT");
    assertEquals(error.undoErrors, []);
    assertMatch(error.message, /Interrupted \(SIGINT\): everything done was undone/);
    const cmds = runner.commands.map((c) => c.argv.join(" "));
    assertEquals(cmds, [
      "ip netns add a",
      "nsenter --net=/run/netns/a ip -batch -", // lo up
      "true start-daemon",
      "true stop",
      "ip netns delete a",
    ]);
    assertEquals(await journal.read(), []); // nothing left to undo
    // Between the levels of one segment: the namespace exists, its batch never runs.
    const between = new AbortController();
    const levels = new RecordingRunner((argv) => {
      if (argv.join(" ") === "ip netns add b") between.abort("SIGTERM");
      return undefined;
    });
    const interrupted = await assertRejects(
      () =>
        new Executor({ runner: levels, signal: between.signal }).apply([
          createNs("b"),
          addAddress("eth0", "10.0.0.1/24", { ns: "b" }),
        ]),
      InterruptedError,
    );
    assertEquals(interrupted.reason, "SIGTERM");
    assertEquals(levels.commands.map((c) => c.argv.join(" ")), [
      "ip netns add b",
      "ip netns delete b",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Executor undoes every line of a batch that a signal ended: how far it got is unknown", async () => {
  const runner = new RecordingRunner((argv, stdin) =>
    argv.join(" ") === "ip -batch -" && stdin?.includes("link add")
      ? { code: 130, stdout: "", stderr: "" }
      : undefined
  );
  const steps = [vethPair("x1", "y1"), vethPair("x2", "y2"), vethPair("x3", "y3")];
  const error = await assertRejects(() => new Executor({ runner }).apply(steps), StepError);
  assertEquals(error.index, 0);
  const undo = runner.commands.at(-1)!;
  assertEquals(undo.argv.join(" "), "ip -force -batch -");
  assertEquals(
    undo.stdin,
    "link delete dev x3\nlink delete dev x2\nlink delete dev x1\n",
  );
});

Deno.test("Executor takes exit 255 for an ordinary failure, not a signal: only the steps that ran are undone", async () => {
  // An OVS transaction is all or nothing: when it fails by itself, its bridges were never made.
  // Exit 255 is a program's own code (`ip` exits 255, its exit(-1), on an ordinary error); only
  // the signal the runner saw means "how far it got is unknown".
  const undone = async (ended: { code: number; signal?: Deno.Signal }) => {
    const runner = new RecordingRunner((argv) =>
      argv[0] === "ovs-vsctl" && argv.includes("add-br")
        ? { ...ended, stdout: "", stderr: "ovs-vsctl: transaction error" }
        : undefined
    );
    const bridge = (name: string) => ({
      key: `ovs-bridge:${name}`,
      summary: name,
      do: [cmd("ovs-vsctl", "add-br", name)],
      undo: [cmd("ovs-vsctl", "del-br", name)],
    });
    const steps = [createNs("a"), bridge("br8"), bridge("br9")];
    const error = await assertRejects(() => new Executor({ runner }).apply(steps), StepError);
    assertEquals(error.index, 1);
    assertEquals((error.cause as CommandError).signal, ended.signal ?? null);
    return runner.commands.slice(2).map((c) => c.argv.join(" "));
  };
  assertEquals(await undone({ code: 255 }), ["ip netns delete a"]);
  assertEquals(await undone({ code: 143, signal: "SIGTERM" }), [
    "ovs-vsctl del-br br9 -- del-br br8",
    "ip netns delete a",
  ]);
});

Deno.test("planLab() makes a root: end in the root namespace, up, and a dummy inside its node", () => {
  const lab = validateLab({
    name: "rd",
    nodes: { a: { interfaces: { lo1: { dummy: true, addresses: ["10.255.0.1/32"] } } } },
    links: [{ endpoints: ["a:eth0", "root:rd-hx"] }],
  });
  const steps = planLab(lab, { stateDir: "/tmp/x" });
  const cmds = steps.flatMap((s) => s.do).map((a) => shownArgv(a).join(" "));
  const undos = steps.flatMap((s) => s.undo).map((a) => shownArgv(a).join(" "));
  for (
    const expected of [
      // The root end first: the pair's undo deletes it in the root namespace, at once.
      `ip link add name rd-hx ${ONE_QUEUE} type veth peer name eth0 netns a ${ONE_QUEUE}`,
      "ip link set dev rd-hx up",
      "ip -n a link add name lo1 type dummy",
      "ip -n a addr add 10.255.0.1/32 dev lo1",
      "ip -n a link set dev lo1 up",
    ]
  ) assert(cmds.includes(expected), `missing: ${expected}\n${cmds.join("\n")}`);
  assert(undos.includes("ip link delete dev rd-hx"), undos.join("\n"));
  assert(undos.includes("ip -n a link delete dev lo1"), undos.join("\n"));
  assert(!cmds.some((c) => c.includes("master")), "a root: end joins no bridge");
});

Deno.test("validateLab() keeps root for the root namespace, and root: ends out of multi-host labs", () => {
  const e = assertThrows(
    () => validateLab({ name: "r", nodes: { root: {} }, bridges: { b: { type: "linux" } } }),
    LabValidationError,
  );
  assertMatch(e.message, /nodes\.root: "root" is reserved: a link end "root:IFNAME"/);
  const mh = assertThrows(
    () =>
      validateLab({
        name: "r",
        hosts: { h1: {} },
        nodes: { a: { host: "h1" } },
        links: [{ endpoints: ["a:eth0", "root:r-hx"] }],
      }),
    LabValidationError,
  );
  assertMatch(mh.message, /links\.0\.endpoints\.1: a "root:" end is refused in a multi-host lab/);
  const dummy = assertThrows(
    () =>
      validateLab({
        name: "r",
        nodes: { a: { interfaces: { eth0: { dummy: true } } } },
        links: [{ endpoints: ["a:eth0", "root:r-hx"] }],
      }),
    LabValidationError,
  );
  assertMatch(
    dummy.message,
    /nodes\.a\.interfaces\.eth0\.dummy: interface "eth0" is defined twice/,
  );
});
