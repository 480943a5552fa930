/**
 * The executor's fast path (lib/plan/schedule.ts) and the lab generators, against a recording
 * runner: a star becomes one root batch, one OVS transaction and one batch per namespace; undo
 * skips what namespace and bridge deletion remove anyway; rollback still undoes every step.
 */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import {
  chain,
  Executor,
  planLab,
  RecordingRunner,
  star,
  StepError,
  validateLab,
} from "../../mod.ts";
import { levelsOf } from "../../lib/plan/schedule.ts";

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
    "ip -n u-h1 -batch -",
    "ip -n u-h2 -batch -",
    "ip -n u-h3 -batch -",
  ]);
  const root = runner.commands[0]!.stdin!.split("\n");
  assert(
    root.indexOf("netns add u-h3") <
      root.indexOf("link add name eth0 netns u-h3 type veth peer name u-h3-p"),
  );
  assertEquals(
    runner.commands[1]!.stdin,
    "link set dev lo up\naddr add 10.50.0.1/16 dev eth0\nlink set dev eth0 up\n",
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

Deno.test("a failure on the fast path names its step and undoes every started step", async () => {
  const runner = new RecordingRunner((argv) =>
    argv.join(" ") === "ip -n u-h2 -batch -"
      ? { code: 2, stdout: "", stderr: "RTNETLINK answers: File exists\nCommand failed -:2\n" }
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
