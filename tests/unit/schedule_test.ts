/**
 * The executor's fast path (lib/plan/schedule.ts) and the lab generators, against a recording
 * runner: a star becomes one root batch, one OVS transaction and one batch per namespace; undo
 * skips what namespace and bridge deletion remove anyway; rollback still undoes every step; a
 * router's forwarding sysctl runs beside the batches; a lab without IPv6 gets no link-local.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import {
  chain,
  Executor,
  getRecipe,
  linuxBridge,
  planLab,
  RecordingRunner,
  star,
  StepError,
  validateLab,
  vethPair,
} from "../../mod.ts";
import { hostChunkFor, laneOf, levelsOf } from "../../lib/plan/schedule.ts";
import type { RunAction, Step } from "../../lib/plan/step.ts";

/** What vethPair() gives each end (lib/primitives/link.ts). */
const ONE_QUEUE = "numtxqueues 1 numrxqueues 1";

const plan = (bridge: "linux" | "ovs", count = 3) =>
  planLab(validateLab(star({ prefix: "u-", count, bridge })), { stateDir: "/tmp/x" });

Deno.test("star() and chain() generate valid labs with distinct addresses", () => {
  const s = validateLab(star({ prefix: "u-", count: 300, bridge: "ovs" }));
  assertEquals(Object.keys(s.nodes).length, 300);
  assertEquals(s.nodes["u-h300"]!.interfaces.eth0!.addresses, ["10.50.1.44/16"]);
  const c = validateLab(chain({ prefix: "u-", count: 5 }));
  assertEquals(c.links.length, 4);
  assertEquals(c.nodes["u-n3"]!.role, "router");
});

Deno.test("a linux star runs as one root batch and one batch per namespace", async () => {
  const runner = new RecordingRunner();
  await new Executor({ runner }).apply(plan("linux"));
  const cmds = runner.commands.map((c) => c.argv.join(" "));
  assertEquals(cmds, [
    "ip -batch -",
    "nsenter --net=/run/netns/u-h1 ip -batch -",
    "nsenter --net=/run/netns/u-h2 ip -batch -",
    "nsenter --net=/run/netns/u-h3 ip -batch -",
  ]);
  const root = runner.commands[0]!.stdin!.split("\n");
  assert(
    root.indexOf("netns add u-h3") <
      root.indexOf(
        `link add name eth0 netns u-h3 ${ONE_QUEUE} type veth peer name u-h3-p ${ONE_QUEUE}`,
      ),
  );
  assertEquals(
    runner.commands[1]!.stdin,
    "link set dev lo up\nlink set dev eth0 addrgenmode none\naddr add 10.50.0.1/16 dev eth0\n" +
      "link set dev eth0 up\n",
  );
});

Deno.test("an ovs star adds every port in one ovs-vsctl transaction", async () => {
  const runner = new RecordingRunner();
  await new Executor({ runner }).apply(plan("ovs"));
  const ovs = runner.commands.filter((c) => c.argv[0] === "ovs-vsctl");
  const ports = ovs.find((c) => c.argv.includes("add-port"))!;
  assertEquals(ports.argv.filter((w) => w === "add-port").length, 3);
  assert(ovs.length <= 2, ovs.map((c) => c.argv.join(" ")).join("\n"));
});

Deno.test("undo skips what deleting the namespaces and the bridge removes", async () => {
  const steps = plan("ovs");
  const runner = new RecordingRunner();
  await new Executor({ runner }).undo(
    steps.map((s) => ({ key: s.key, undo: s.undo })),
  );
  const cmds = runner.commands.map((c) => `${c.argv.join(" ")}\n${c.stdin ?? ""}`).join("\n");
  assert(!/ -n u-h/.test(cmds), cmds);
  // one query for the rows with the lab's mark, and no port removal: the bridge takes them along
  const ovs = runner.commands.filter((c) => c.argv[0] === "ovs-vsctl").map((c) => c.argv.join(" "));
  assertEquals(ovs.length, 1, ovs.join("\n"));
  assert(ovs[0]!.includes("find Bridge external_ids:netkit-lab=u-star"), ovs[0]);
  assert(/netns delete u-h3/.test(cmds), cmds);
});

Deno.test("a large star: netns adds in parallel lanes, the root batch in chunks, each namespace as soon as its veth is made", () => {
  const steps = plan("linux", 300);
  const items = steps.flatMap((s) => s.do).map((action) => ({
    action: action as RunAction,
    lane: laneOf(action)!,
  }));
  const hostChunk = hostChunkFor(items.filter((i) => i.lane === "root").length);
  assert(hostChunk !== undefined);
  const levels = levelsOf(items, "root", { netnsAddLanes: 2, hostChunk });
  const levelOf = new Map<string, number>(); // first word sequence -> level
  const laneAt: string[][] = levels.map((lanes) => lanes.map((l) => l[0]!.lane));
  levels.forEach((lanes, level) => {
    for (const lane of lanes) for (const s of lane) levelOf.set(s.action.argv.join(" "), level);
  });
  // Both netns-add lanes run at the first level, 150 namespaces each.
  assertEquals(laneAt[0]!.filter((l) => l.startsWith("netns-add:")).sort(), [
    "netns-add:0",
    "netns-add:1",
  ]);
  assertEquals(levels[0]!.find((l) => l[0]!.lane === "netns-add:1")!.length, 150);
  // The root batch keeps its order and is cut into chunks of at most hostChunk commands.
  const root = levels.flatMap((lanes) => lanes.filter((l) => l[0]!.lane === "root"));
  assert(root.length > 1 && root.every((chunk) => chunk.length <= hostChunk), `${root.length}`);
  const order = root.flat().map((s) => s.index);
  assertEquals(order, [...order].sort((a, b) => a - b));
  // Every namespace's batch comes after its namespace and its veth pair, and some run beside a
  // later chunk of the root batch.
  let beside = 0;
  for (let i = 1; i <= 300; i++) {
    const ns = `u-h${i}`;
    const own = levelOf.get(`ip -n ${ns} addr add 10.50.${i >> 8}.${i & 255}/16 dev eth0`)!;
    assert(levelOf.get(`ip netns add ${ns}`)! < own, ns);
    const veth = levelOf.get(
      `ip link add name eth0 netns ${ns} ${ONE_QUEUE} type veth peer name ${ns}-p ${ONE_QUEUE}`,
    )!;
    assert(veth < own, ns);
    if (laneAt[own]!.includes("root")) beside++;
  }
  assert(beside > 0, "no namespace was configured beside the root batch");
});

Deno.test("a netns add in a lane of its own still comes before what deletes or fills that namespace", () => {
  const run = (...argv: string[]) => ({ action: { argv }, lane: laneOf({ argv })! });
  const items = [
    ...Array.from({ length: 64 }, (_, i) => run("ip", "netns", "add", `u-n${i}`)),
    run("ip", "netns", "delete", "u-n40"),
    run(
      ...`ip link add name eth0 netns u-n63 ${ONE_QUEUE} type veth peer name p ${ONE_QUEUE}`.split(
        " ",
      ),
    ),
  ];
  const levels = levelsOf(items, "root", { netnsAddLanes: 2 });
  const levelOf = (text: string) =>
    levels.findIndex((lanes) => lanes.some((l) => l.some((s) => s.action.argv.join(" ") === text)));
  assertEquals(levels[0]!.map((l) => l[0]!.lane).sort(), ["netns-add:0", "netns-add:1"]);
  assert(
    levelOf("ip netns add u-n63") <
      levelOf(`ip link add name eth0 netns u-n63 ${ONE_QUEUE} type veth peer name p ${ONE_QUEUE}`),
  );
  assert(levelOf("ip netns add u-n40") < levelOf("ip netns delete u-n40"));
});

Deno.test("the undo of a large star is still one root batch", async () => {
  const steps = plan("linux", 200);
  const runner = new RecordingRunner();
  await new Executor({ runner }).undo(steps.map((s) => ({ key: s.key, undo: s.undo })));
  assertEquals(runner.commands.map((c) => c.argv.join(" ")), ["ip -force -batch -"]);
  assertEquals(runner.commands[0]!.stdin!.split("\n").length, 203); // bridge: 2, namespaces, ""
});

Deno.test("undo leaves a Linux bridge's ports to the bridge's own deletion", async () => {
  const steps = plan("linux");
  const runner = new RecordingRunner();
  await new Executor({ runner }).undo(
    steps.map((s) => ({ key: s.key, undo: s.undo })),
  );
  assertEquals(runner.commands.map((c) => c.stdin), [
    "link set dev u-br down\nlink delete dev u-br\n" +
    "netns delete u-h3\nnetns delete u-h2\nnetns delete u-h1\n",
  ]);
  // a port whose bridge stays is still released
  const port = steps.find((s) => s.key.startsWith("bridge-port:"))!;
  const alone = new RecordingRunner();
  await new Executor({ runner: alone }).undo([{ key: port.key, undo: port.undo }]);
  assertEquals(alone.commands.map((c) => c.argv.join(" ")), ["ip link set dev u-h1-p nomaster"]);
});

Deno.test("a failure on the fast path names its step and undoes every started step", async () => {
  const runner = new RecordingRunner((argv) =>
    argv.join(" ") === "nsenter --net=/run/netns/u-h2 ip -batch -"
      ? { code: 2, stdout: "", stderr: "RTNETLINK answers: File exists\nCommand failed -:3\n" }
      : undefined
  );
  const steps = plan("linux");
  const error = await assertRejects(
    () => new Executor({ runner }).apply(steps),
    StepError,
  );
  assertEquals(steps[error.index]!.key, "addr:u-h2/eth0/10.50.0.2/16");
  const undo = runner.commands.map((c) => c.stdin ?? "").join("");
  for (const ns of ["u-h1", "u-h2", "u-h3"]) assert(undo.includes(`netns delete ${ns}`), undo);
});

Deno.test("levelsOf keeps netns delete after what runs inside the namespace", () => {
  const a = (lane: string, ...argv: string[]) => ({ action: { argv }, lane });
  const levels = levelsOf([
    a("ns:x", "ip", "-n", "x", "link", "set", "dev", "e", "down"),
    a("root", "ip", "netns", "delete", "x"),
  ]);
  assertEquals(levels.length, 2);
});

Deno.test("a chain's forwarding sysctls: one per router, after netns add, before its links", async () => {
  const runner = new RecordingRunner();
  const lab = validateLab(chain({ prefix: "u-", count: 6 }));
  await new Executor({ runner }).apply(planLab(lab, { stateDir: "/tmp/x" }));
  const cmds = runner.commands.map((c) => c.argv.join(" "));
  // every netns add in one root batch; a sysctl per router (a `default` key would be the
  // template of the links made after it, so the links wait); the veth pairs in one root batch;
  // per node its loopback, then its links' configuration: no `ip netns exec`, no segment per
  // namespace
  assertEquals(cmds.filter((c) => c === "ip -batch -").length, 2);
  assertEquals(cmds.filter((c) => c.endsWith(" ip -batch -") && c !== "ip -batch -").length, 12);
  const sysctls = cmds.flatMap((c, i) => (c.includes(" sysctl ") ? [i] : []));
  assertEquals(
    sysctls.map((i) => cmds[i]).sort(),
    [2, 3, 4, 5].map((k) => `nsenter --net=/run/netns/u-n${k} sysctl -q -w net.ipv4.ip_forward=1`),
  );
  const batches = runner.commands.flatMap((
    c,
    i,
  ) => (c.argv.join(" ") === "ip -batch -" ? [i] : []));
  assert(runner.commands[batches[0]!]!.stdin!.includes("netns add u-n6"));
  assert(runner.commands[batches[1]!]!.stdin!.includes("type veth"));
  assert(sysctls.every((i) => batches[0]! < i && i < batches[1]!), cmds.join("\n"));
  assertEquals(cmds.length, 18, cmds.join("\n"));
});

Deno.test("only namespace-wide network sysctls join a lane; others run as planned", () => {
  const exec = (...argv: string[]) => laneOf({ argv: ["ip", "netns", "exec", "x", ...argv] });
  assertEquals(exec("sysctl", "-q", "-w", "net.ipv4.ip_forward=1"), "sysctl:x");
  assertEquals(exec("sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=2"), "sysctl:x");
  assertEquals(exec("sysctl", "-q", "-w", "net.ipv4.conf.eth0.rp_filter=2"), undefined);
  assertEquals(exec("sysctl", "-q", "-w", "kernel.panic=1"), undefined);
  assertEquals(exec("sysctl", "net.ipv4.ip_forward"), undefined);
  assertEquals(exec("ping", "-c1", "10.0.0.1"), undefined);
});

Deno.test("a failed sysctl names its own step, and the bring-up is undone", async () => {
  const runner = new RecordingRunner((argv) =>
    argv.includes("sysctl")
      ? { code: 255, stdout: "", stderr: "sysctl: cannot stat /proc/sys/net/ipv4/ip_forward\n" }
      : undefined
  );
  const steps = planLab(validateLab(chain({ prefix: "u-", count: 3 })), { stateDir: "/tmp/x" });
  const error = await assertRejects(
    () => new Executor({ runner }).apply(steps),
    StepError,
  );
  assertEquals(steps[error.index]!.key, "forward:u-n2");
  assertMatch(error.message, /ip netns exec u-n2 sysctl -q -w net\.ipv4\.ip_forward=1/);
  const undo = runner.commands.map((c) => c.stdin ?? "").join("");
  for (const ns of ["u-n1", "u-n2", "u-n3"]) assert(undo.includes(`netns delete ${ns}`), undo);
});

Deno.test("a lab without IPv6: every interface it creates gets addrgenmode none before up", () => {
  for (const recipe of ["router", "ovs-internal", "ovs-veth", "ovs-vlan", "ovs-patch"]) {
    const lab = validateLab(getRecipe(recipe).build());
    const cmds = planLab(lab, { stateDir: "/tmp/x" }).flatMap((s) => s.do)
      .flatMap((a) => ("argv" in a ? [a.argv.join(" ")] : []));
    const ups = cmds.filter((c) => / link set dev \S+ (master \S+ )?up$/.test(c));
    assert(ups.length > 0, recipe);
    for (const up of ups) {
      const [, ns, dev] = /^ip (?:-n (\S+) )?link set dev (\S+)/.exec(up)!;
      if (dev === "lo") continue;
      // renamed interfaces: their addrgenmode was set under the name they were created with
      const where = ns === undefined ? "ip" : `ip -n ${ns}`;
      const renamed = cmds.find((c) =>
        c.startsWith(`${where} link set dev `) && c.endsWith(` name ${dev}`)
      );
      const created = renamed ? /link set dev (\S+) name/.exec(renamed)![1] : dev;
      const set = cmds.indexOf(`${where} link set dev ${created} addrgenmode none`);
      assert(set >= 0 && set < cmds.indexOf(up), `${recipe}: no addrgenmode none before "${up}"`);
    }
  }
});

Deno.test("vethPair() and linuxBridge() keep IPv6 unless asked not to", () => {
  const words = (s: Step) => s.do.map((a) => ("argv" in a ? a.argv.join(" ") : ""));
  assertEquals(words(vethPair("a", "b", { peerNs: "n" })), [
    `ip link add name a ${ONE_QUEUE} type veth peer name b netns n ${ONE_QUEUE}`,
  ]);
  assertEquals(words(vethPair("a", "b", { peerNs: "n", ipv6: false })), [
    `ip link add name a ${ONE_QUEUE} type veth peer name b netns n ${ONE_QUEUE}`,
    "ip link set dev a addrgenmode none",
    "ip -n n link set dev b addrgenmode none",
  ]);
  assertEquals(words(linuxBridge("br", { ipv6: false })), [
    "ip link add name br type bridge",
    "ip link set dev br addrgenmode none",
    "ip link set dev br up",
  ]);
});

Deno.test("an IPv6 lab's default sysctls are set before the links of that namespace are made", async () => {
  const lab = validateLab({
    name: "u6",
    nodes: {
      "u6-a": { interfaces: { eth0: { addresses: ["2001:db8::1/64"] } } },
      "u6-b": { interfaces: { eth0: { addresses: ["2001:db8::2/64"] } } },
    },
    bridges: { "u6-br": { type: "linux" } },
    links: [
      { endpoints: ["u6-a:eth0", "u6-br:u6-a-p"] },
      { endpoints: ["u6-b:eth0", "u6-br:u6-b-p"] },
    ],
  });
  const runner = new RecordingRunner();
  await new Executor({ runner }).apply(planLab(lab, { stateDir: "/tmp/x" }));
  const at = (pred: (c: { argv: readonly string[]; stdin?: string }) => boolean) =>
    runner.commands.findIndex(pred);
  for (const ns of ["u6-a", "u6-b"]) {
    const sysctl = at((c) =>
      c.argv.join(" ").startsWith(`nsenter --net=/run/netns/${ns} sysctl`) &&
      c.argv.includes("net.ipv6.conf.default.accept_dad=0")
    );
    const veth = at((c) => c.stdin?.includes(`netns ${ns} ${ONE_QUEUE} type veth`) ?? false);
    const added = at((c) => c.stdin?.includes(`netns add ${ns}`) ?? false);
    assert(
      added < sysctl && sysctl < veth,
      runner.commands.map((c) => c.argv.join(" ")).join("\n"),
    );
  }
  // and the interfaces keep IPv6 link-local: no addrgenmode none in an IPv6 lab
  assert(!runner.commands.some((c) => c.stdin?.includes("addrgenmode")));
});
