/**
 * Sandbox mode as a plan transformation (lib/lab/sandbox.ts): the rewritten argv of real recipe
 * plans, the parent namespace's name, and the scheduler's order when the parent namespace plays
 * the root namespace's part. No root needed.
 */
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import {
  Executor,
  getRecipe,
  planLab,
  RecordingRunner,
  star,
  UsageError,
  validateLab,
} from "../../mod.ts";
import {
  sandboxAction,
  sandboxNsName,
  sandboxOvsTarget,
  sandboxPlan,
} from "../../lib/lab/sandbox.ts";
import { laneOf, levelsOf } from "../../lib/plan/schedule.ts";
import { cmd, isRun, type RunAction, shownArgv, type Step } from "../../lib/plan/step.ts";
import { LabSchema } from "../../lib/lab/schema.ts";
import { fnv1a32 } from "../../lib/names.ts";
import { vniBase } from "../../lib/multihost/split.ts";

/** What vethPair() gives each end (lib/primitives/link.ts). */
const ONE_QUEUE = "numtxqueues 1 numrxqueues 1";

const SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema";

function sandboxed(recipe: string, ovs = false): { steps: Step[]; ns: string } {
  const lab = validateLab({ ...getRecipe(recipe).build({ prefix: "u8-" }), sandbox: true });
  const ns = sandboxNsName(lab.name);
  const steps = sandboxPlan(planLab(lab, { stateDir: "/tmp/x", datapathType: "netdev" }), {
    ns,
    ovs: ovs ? { dir: "/tmp/x/ovs", schema: SCHEMA } : undefined,
  });
  return { steps, ns };
}

const lines = (actions: Step["do"]) =>
  actions.filter((a) => isRun(a) || "recordDaemon" in a || "stopDaemon" in a).map((a) =>
    shownArgv(a).join(" ")
  );

Deno.test("sandboxNsName(): nk-<lab>, and a hashed name that fits 32 bytes for long labs", () => {
  assertEquals(sandboxNsName("router"), "nk-router");
  const a = sandboxNsName("a".repeat(32));
  const b = sandboxNsName("a".repeat(31) + "b");
  assert(a.length <= 32 && b.length <= 32, `${a} ${b}`);
  assert(a !== b, "two long lab names must not share a sandbox namespace");
  assert(/^nk-a{20}-[0-9a-f]{8}$/.test(a), a);
});

Deno.test("fnv1a32(): the FNV-1a test vectors; the sandbox suffix and the first VNI both use it", () => {
  assertEquals(fnv1a32(""), 0x811c9dc5);
  assertEquals(fnv1a32("a"), 0xe40c292c);
  assertEquals(fnv1a32("foobar"), 0xbf9cf968);
  const long = "a-very-long-lab-name-that-is-over-thirty-two-bytes";
  assertEquals(sandboxNsName(long), `nk-${long.slice(0, 20)}-${fnv1a32(long).toString(16)}`);
  assertEquals(vniBase("mh"), (1 + (fnv1a32("mh") % 4000)) * 4096);
});

Deno.test("the lab schema takes sandbox: true (and nothing else)", () => {
  assertEquals(LabSchema.parse({ name: "x", sandbox: true }).sandbox, true);
  assertEquals(LabSchema.parse({ name: "x" }).sandbox, undefined);
  assert(!LabSchema.safeParse({ name: "x", sandbox: "yes" }).success);
});

Deno.test("sandboxAction(): root ip gets -n P, lab namespaces stay, other programs run in P", () => {
  const P = "nk-lab";
  const argv = (a: ReturnType<typeof sandboxAction>) => (a as RunAction).argv.join(" ");
  assertEquals(
    argv(sandboxAction(cmd("ip", "link", "add", "name", "br", "type", "bridge"), P)),
    "ip -n nk-lab link add name br type bridge",
  );
  assertEquals(
    argv(sandboxAction(cmd("ip", "-4", "route", "show"), P)),
    "ip -n nk-lab -4 route show",
  );
  for (
    const same of [
      "ip netns add ns1",
      "ip netns delete ns1",
      "ip netns exec ns1 sysctl -q -w net.ipv4.ip_forward=1",
      "ip -n ns1 addr add 10.0.0.1/24 dev eth0",
      "ovs-vsctl add-br br1",
      "pkill -F /tmp/x/dnsmasq.pid -x dnsmasq",
    ]
  ) assertEquals(argv(sandboxAction(cmd(...same.split(" ")), P)), same);
  // an internal port moved back "to the root" goes back to the parent namespace
  assertEquals(
    argv(sandboxAction(cmd("ip", "-n", "ns1", "link", "set", "dev", "tap1", "netns", "1"), P)),
    "ip -n ns1 link set dev tap1 netns nk-lab",
  );
  assertEquals(
    argv(sandboxAction(cmd("sysctl", "-w", "net.ipv4.ip_forward=1"), P)),
    "ip netns exec nk-lab sysctl -w net.ipv4.ip_forward=1",
  );
  const write = { write: "/tmp/x/hook", content: "x" };
  assertEquals(sandboxAction(write, P), write);
});

Deno.test("a sandboxed ovs-internal plan: parent first, its own OVS, nothing in the root namespace", () => {
  const { steps, ns } = sandboxed("ovs-internal", true);
  assertEquals(ns, "nk-u8-ovs-internal");
  assertEquals(lines(steps[0]!.do), [`ip netns add ${ns}`, `ip -n ${ns} link set dev lo up`]);
  assertEquals(lines(steps[0]!.undo), [`ip netns delete ${ns}`]);
  const ovsdb = lines(steps[1]!.do);
  assertEquals(ovsdb[1], `ovsdb-tool create /tmp/x/ovs/conf.db ${SCHEMA}`);
  assert(ovsdb[2]!.startsWith(`ip netns exec ${ns} ovsdb-server /tmp/x/ovs/conf.db `), ovsdb[2]);
  assertEquals(ovsdb[3], "netkit-record-daemon /tmp/x/ovs/ovsdb-server.pid");
  assertEquals(ovsdb[4], "ovs-vsctl --no-wait init");
  assert(
    lines(steps[2]!.do)[0]!.startsWith(
      `ip netns exec ${ns} env OVS_RUNDIR=/tmp/x/ovs ovs-vswitchd unix:/tmp/x/ovs/db.sock `,
    ),
  );
  // stopped by its pid file, only while it still is the daemon netkit started
  assertEquals(lines(steps[2]!.undo), ["pkill -F /tmp/x/ovs/ovs-vswitchd.pid -x ovs-vswitchd"]);
  const all = steps.flatMap((s) => [...lines(s.do), ...lines(s.undo)]);
  assert(all.includes(`ip -n ${ns} link set dev u8-tap1 netns u8-ns1`), all.join("\n"));
  // every ip command names its namespace: none runs in the host's root namespace
  const rootIp = all.filter((l) => /^ip /.test(l) && !/^ip (-n |netns )/.test(l));
  assertEquals(rootIp, []);
  assertEquals(sandboxOvsTarget("/tmp/x"), {
    kind: "sandbox",
    db: "unix:/tmp/x/ovs/db.sock",
    runDir: "/tmp/x/ovs",
  });
});

Deno.test("a sandboxed router plan: bridges and root-side ends in P, the rest where it was", () => {
  const { steps, ns } = sandboxed("router");
  const all = steps.flatMap((s) => lines(s.do));
  for (
    const expected of [
      `ip -n ${ns} link add name u8-br-in type bridge`,
      `ip -n ${ns} link add name link-in-rt netns u8-rt ${ONE_QUEUE} type veth peer name u8-link-in-br ${ONE_QUEUE}`,
      `ip -n ${ns} link set dev u8-link-in-br master u8-br-in up`,
      "ip netns exec u8-rt sysctl -q -w net.ipv4.ip_forward=1",
      "ip -n u8-rt link set dev link-in-rt name eth0",
      "ip netns add u8-vm1",
    ]
  ) assert(all.includes(expected), `missing: ${expected}\n${all.join("\n")}`);
  assert(all.some((l) => l.startsWith("ip netns exec u8-rt iptables -w -t nat -A POSTROUTING")));
  assert(all.some((l) => l.startsWith("ip netns exec u8-rt dnsmasq ")));
  assert(!all.some((l) => /^(ovs|ip netns exec nk-)/.test(l)), "no OVS for a Linux-bridge lab");
  const rootIp = all.filter((l) => /^ip /.test(l) && !/^ip (-n |netns )/.test(l));
  assertEquals(rootIp, []);
  // undo: the parent namespace goes last
  assertEquals(lines(steps[0]!.undo), [`ip netns delete ${ns}`]);
});

Deno.test("a sandbox cannot take a real uplink, nor a node named like its parent", () => {
  const uplink: Step = { key: "uplink:/ens3", summary: "uplink", do: [], undo: [] };
  assertThrows(() => sandboxPlan([uplink], { ns: "nk-x" }), UsageError);
  const node: Step = { key: "netns:nk-x", summary: "ns", do: [], undo: [] };
  assertThrows(() => sandboxPlan([node], { ns: "nk-x" }), UsageError);
});

Deno.test("schedule: the parent namespace plays root: veth creation between netns add and config", () => {
  const lab = validateLab({ ...star({ prefix: "u8-", count: 3, bridge: "linux" }), sandbox: true });
  const ns = sandboxNsName(lab.name);
  const steps = sandboxPlan(planLab(lab, { stateDir: "/tmp/x" }), { ns });
  const items = steps.flatMap((s) => s.do).map((a) => ({
    action: a as RunAction,
    lane: laneOf(a)!,
  }));
  assert(items.every((i) => i.lane !== undefined));
  const levels = levelsOf(items, `ns:${ns}`);
  const levelOf = (text: string) =>
    levels.findIndex((lanes) =>
      lanes.some((lane) => lane.some((s) => s.action.argv.join(" ") === text))
    );
  const add = levelOf("ip netns add u8-h2");
  const veth = levelOf(
    `ip -n ${ns} link add name eth0 netns u8-h2 ${ONE_QUEUE} type veth peer name u8-h2-p ${ONE_QUEUE}`,
  );
  const addr = levelOf("ip -n u8-h2 addr add 10.50.0.2/16 dev eth0");
  assert(add >= 0 && veth > add && addr > veth, `${add} ${veth} ${addr}`);
  assert(levelOf(`ip netns add ${ns}`) < levelOf(`ip -n ${ns} link set dev lo up`));
  // the parent's commands stay one batch per level: the whole root side in a few processes
  const parentBatches = levels.flat().filter((lane) => lane[0]!.lane === `ns:${ns}`);
  assert(parentBatches.length <= 2, `parent batches: ${parentBatches.length}`);
});

Deno.test("the executor runs a sandboxed star as batches, the parent's after netns add", async () => {
  const lab = validateLab({ ...star({ prefix: "u8-", count: 3, bridge: "linux" }), sandbox: true });
  const ns = sandboxNsName(lab.name);
  const steps = sandboxPlan(planLab(lab, { stateDir: "/tmp/x" }), { ns });
  const runner = new RecordingRunner();
  await new Executor({ runner, hostNs: ns }).apply(steps);
  const cmds = runner.commands.map((c) => c.argv.join(" "));
  assertEquals(cmds[0], "ip -batch -");
  assert(runner.commands[0]!.stdin!.startsWith(`netns add ${ns}\n`));
  const parent = cmds.indexOf(`nsenter --net=/run/netns/${ns} ip -batch -`);
  const config = runner.commands.findIndex((c) => c.stdin?.includes("addr add 10.50.0.2/16"));
  assert(parent > 0 && config > parent, cmds.join("\n"));
  assert(
    runner.commands[parent]!.stdin!.includes(
      `link add name eth0 netns u8-h2 ${ONE_QUEUE} type veth`,
    ),
  );
  assert(cmds.every((c) => /^(nsenter --net=\S+ )?ip /.test(c)), cmds.join("\n"));
});
