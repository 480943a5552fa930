/**
 * The transactional promise, on the real kernel: a failure at any step of any recipe rolls back
 * to exactly the host we had; `kill -9` at random points of a bring-up followed by `down` leaves
 * nothing; concurrent bring-ups of one lab are serialised; hostile command lines change nothing.
 */
import { resolveHost } from "../../lib/host.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import { assertHostUnchanged, isRoot, netkit, snapshot, useTestState } from "../helpers/host.ts";
import { waitFor } from "../helpers/measure.ts";
import { recipes, StepError, upLab, validateLab } from "../../mod.ts";
import { planForHost } from "../../lib/lab/runtime.ts";

const stateDir = useTestState("transactions");
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };

Deno.test(
  "a failure at every step k of every recipe rolls back to the same host",
  opts,
  async () => {
    const before = await snapshot();
    let cases = 0;
    let daemonCases = 0;
    for (const recipe of recipes.values()) {
      const lab = validateLab(recipe.build({ prefix: "t5f-" }));
      const { steps } = await planForHost(resolveHost(), lab);
      for (let k = 0; k < steps.length; k++) {
        if (steps[k]!.key.startsWith("daemon:ovs")) daemonCases++;
        const error = await assertRejects(() => upLab(lab, { failAt: k }), StepError);
        assertEquals(error.index, k, `${recipe.name}: failed at the wrong step`);
        assertEquals(error.undoErrors.length, 0, `${recipe.name} k=${k}: ${error.message}`);
        await assertHostUnchanged(before, `after ${recipe.name} failed at step ${k}`);
        cases++;
      }
    }
    console.log(
      `fault injection: ${cases} (recipe, k) cases (${daemonCases} at an OVS daemon's start), host unchanged after each`,
    );
    assert(cases > 20);
    // The private OVS's daemons are steps of the plan like any other: a failure there too.
    assert(daemonCases >= 2, `OVS daemon steps: ${daemonCases}`);
  },
);

/** A small seeded PRNG (mulberry32), so that a failing trial can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** The command lines of the ovs-vsctl processes that talk to the OVS under `stateDir`. */
async function ovsClientsOf(stateDir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const argv = (await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "")).split("\0");
    if (argv[0]?.endsWith("ovs-vsctl") && argv.some((w) => w.includes(`${stateDir}/`))) {
      found.push(`${e.name}: ${argv.join(" ")}`);
    }
  }
  return found;
}

Deno.test("kill -9 at random points of a bring-up, then down: nothing is left", opts, async () => {
  const seed = Number(Deno.env.get("NETKIT_CRASH_SEED") ?? 20261123);
  const random = prng(seed);
  const names = [...recipes.keys()];
  const trials = Number(Deno.env.get("NETKIT_CRASH_TRIALS") ?? 30);
  const before = await snapshot();
  let midway = 0;
  for (let t = 0; t < trials; t++) {
    const name = names[t % names.length]!;
    const delay = Math.floor(80 + random() * 620);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", MAIN, "recipe", name, "--prefix", "t5c-", "--no-check"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await new Promise((r) => setTimeout(r, delay));
    try {
      child.kill("SIGKILL");
    } catch {
      // it had finished already
    }
    await child.status;
    const lab = `t5c-${name}`;
    const state = await Deno.readTextFile(`${stateDir}/labs/${lab}/lab.json`).catch(() => "");
    if (state.includes('"starting"')) midway++;
    const down = await netkit(["down", lab]);
    const context = `seed ${seed} trial ${t} (${name}, ${delay} ms): ${down.stderr}`;
    if (state === "") {
      // Killed before it wrote its state: it made nothing, and down says there is no such lab.
      assertEquals(down.code, 2, context);
      assertMatch(down.stderr, /No lab named "t5c-/, context);
    } else assertEquals(down.code, 0, context);
    await assertHostUnchanged(before, `seed ${seed} trial ${t}: ${name} killed after ${delay} ms`);
  }
  // A netkit killed during an OVS change leaves that ovs-vsctl waiting for an ovs-vswitchd that
  // down then stopped: bounded (--timeout, lib/ovs/target.ts), it is gone within its bound.
  assert(
    await waitFor(async () => (await ovsClientsOf(stateDir)).length === 0, 70_000),
    `ovs-vsctl left behind: ${(await ovsClientsOf(stateDir)).join("\n")}`,
  );
  console.log(
    `crash trials: ${trials} (seed ${seed}), ${midway} killed in the middle of a bring-up, host unchanged after each`,
  );
});

Deno.test(
  "two bring-ups of one lab at once: one builds it, the other finds it up",
  opts,
  async () => {
    const before = await snapshot();
    try {
      const [a, b] = await Promise.all([
        netkit(["recipe", "ovs-veth", "--prefix", "t5l-", "--no-check"]),
        netkit(["recipe", "ovs-veth", "--prefix", "t5l-", "--no-check"]),
      ]);
      assertEquals([a.code, b.code], [0, 0], a.stderr + b.stderr);
      const already = [a, b].filter((r) => /already up/.test(r.stdout)).length;
      assertEquals(already, 1, a.stdout + b.stdout);
    } finally {
      await netkit(["down", "t5l-ovs-veth"]);
    }
    await assertHostUnchanged(before, "after concurrent bring-ups");
  },
);

Deno.test("netkit clean removes every recorded lab and the private OVS", opts, async () => {
  const before = await snapshot();
  for (const [name, prefix] of [["ovs-veth", "t5k-"], ["ovs-internal", "t5j-"]]) {
    const r = await netkit(["recipe", name!, "--prefix", prefix!, "--no-check"]);
    assertEquals(r.code, 0, r.stderr);
  }
  const clean = await netkit(["clean"]);
  assertEquals(clean.code, 0, clean.stderr);
  assertMatch(clean.stdout, /Removed 2 lab\(s\)/);
  await assertHostUnchanged(before, "after clean");
});

Deno.test("hostile command lines: exit 2, one message, nothing reaches a shell", opts, async () => {
  const before = await snapshot();
  const hostile = [
    "a;reboot",
    "$(touch /tmp/netkit-pwned)",
    "`id`",
    "a b",
    "a\nb",
    "'q'",
    '"q"',
    "../x",
    "x/y",
    "-rf",
    "ünïcode",
    "x".repeat(40),
  ];
  let count = 0;
  for (const word of hostile) {
    for (
      const args of [
        ["recipe", "ovs-veth", "--prefix", word],
        ["down", word],
        ["status", word],
        ["check", word],
        ["recipe", word],
      ]
    ) {
      const r = await netkit(args);
      assertEquals(r.code, 2, `${JSON.stringify(args)}: ${r.stderr}`);
      assertEquals(r.stderr.trim().split("\n").filter((l) => /error/i.test(l)).length, 1, r.stderr);
      count++;
    }
  }
  const exec = await netkit(["exec", "no-such-node", "--", "true"]);
  assertEquals(exec.code, 2);
  assertMatch(exec.stderr, /No lab that is up has a node "no-such-node"/);
  assert(!(await Deno.stat("/tmp/netkit-pwned").catch(() => false)), "a shell ran");
  console.log(`hostile command lines: ${count + 1}, each refused with exit code 2`);
  await assertHostUnchanged(before, "after hostile input");
});

/** The state of process `pid` ("S", "R", "Z", ...), or undefined when it is gone. */
async function processState(pid: number): Promise<string | undefined> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => undefined);
  return stat?.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
}

Deno.test(
  "a stale private-OVS pid file never kills the process that reused the pid: down, clean, ovs stop",
  opts,
  async () => {
    const before = await snapshot();
    const dir = "/run/netkit/ovs"; // the private OVS's run directory (one per host)
    for (const how of ["down", "clean", "ovs stop"]) {
      const bystander = new Deno.Command("sleep", { args: ["300"], stdout: "null" }).spawn();
      try {
        const up = how === "ovs stop"
          ? await netkit(["ovs", "start"])
          : await netkit(["recipe", "ovs-veth", "--prefix", "t5p-", "--no-check"]);
        assertEquals(up.code, 0, up.stderr);
        // The switch dies, and its pid now names an unrelated process.
        const pidFile = `${dir}/ovs-vswitchd.pid`;
        const pid = Number(await Deno.readTextFile(pidFile));
        Deno.kill(pid, "SIGKILL");
        for (let i = 0; i < 100 && !["Z", undefined].includes(await processState(pid)); i++) {
          await new Promise((r) => setTimeout(r, 10));
        }
        await Deno.writeTextFile(pidFile, `${bystander.pid}\n`);
        // Once with netkit's note of who the daemon was, once without (as after a crash).
        if (how === "clean") await Deno.remove(`${pidFile}.netkit`);
        const r = how === "down"
          ? await netkit(["down", "t5p-ovs-veth"])
          : how === "clean"
          ? await netkit(["clean"])
          : await netkit(["ovs", "stop"]);
        assertEquals(r.code, 0, `${how}: ${r.stderr}`);
        assertEquals(await processState(bystander.pid), "S", `${how} signalled the bystander`);
        assert(!(await Deno.stat(dir).catch(() => false)), `${how} left ${dir}`);
      } finally {
        bystander.kill("SIGKILL");
        await bystander.status;
      }
      await assertHostUnchanged(before, `after ${how} with a stale pid file`);
    }
  },
);
