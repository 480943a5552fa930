/**
 * netkit removes only what it created, on the real kernel and OVS: a namespace, a link or an OVS
 * bridge that appears between preflight and the step that would create it (a concurrent lab, a
 * race) is not undone by the rollback, while everything the lab did make is; and `down` removes
 * an OVS bridge only while it carries the lab's mark. A command that fails by itself with exit 255
 * (`ip`'s `exit(-1)`) is not taken for one a signal ended: only the steps that ran are undone.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import { assertHostUnchanged, isRoot, sh, snapshot, useTestState } from "../helpers/host.ts";
import {
  type CommandError,
  downLab,
  Executor,
  ProcessRunner,
  StepError,
  upLab,
  validateLab,
} from "../../mod.ts";
import { cmd, type Step } from "../../lib/plan/step.ts";
import { resolveHost } from "../../lib/host.ts";
import { releasePrivateOvs, startPrivateOvs } from "../../lib/ovs/instance.ts";

useTestState("ownership");
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };
const DB = "--db=unix:/run/netkit/ovs/db.sock"; // the private OVS (NETKIT_OVS=private)

/** Runs argv at once, from inside a synchronous progress callback: the race. */
function now(...argv: string[]): void {
  const r = new Deno.Command(argv[0]!, { args: argv.slice(1), stderr: "piped" }).outputSync();
  if (r.code !== 0) throw new Error(`${argv.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
}

/** Two namespaces on a bridge of `type`. */
function twoOnABridge(type: "linux" | "ovs") {
  return validateLab({
    name: "t7-race",
    nodes: {
      "t7-a": { interfaces: { eth0: { addresses: ["10.71.0.1/24"] } } },
      "t7-b": { interfaces: { eth0: { addresses: ["10.71.0.2/24"] } } },
    },
    bridges: { "t7-br": { type } },
    links: [
      { endpoints: ["t7-a:eth0", "t7-br:t7-a-p"] },
      { endpoints: ["t7-b:eth0", "t7-br:t7-b-p"] },
    ],
  });
}

const namespaces = async () =>
  (await sh("ip", "netns", "list")).split("\n").map((l) => l.split(" ")[0]);
const linkExists = async (name: string) => (await sh("ip", "link", "show", "dev", name)) !== "";

Deno.test(
  "a namespace made between preflight and its step survives the rollback; the rest is undone",
  opts,
  async () => {
    const before = await snapshot();
    let raced = false;
    try {
      const error = await assertRejects(
        () =>
          upLab(twoOnABridge("linux"), {
            onProgress: () => {
              if (!raced) now("ip", "netns", "add", "t7-b"), raced = true;
            },
          }),
        StepError,
      );
      assertMatch(error.message, /ip netns add t7-b/);
      assertMatch(error.message, /File exists/);
      const left = await namespaces();
      assert(left.includes("t7-b"), "the namespace the lab did not create was removed");
      assert(!left.includes("t7-a"), "the lab's own namespace was not rolled back");
    } finally {
      await sh("ip", "netns", "delete", "t7-b");
    }
    await assertHostUnchanged(before, "after the namespace race");
  },
);

Deno.test(
  "a bridge made between preflight and `ip link add` survives the rollback; the rest is undone",
  opts,
  async () => {
    const before = await snapshot();
    let raced = false;
    try {
      const error = await assertRejects(
        () =>
          upLab(twoOnABridge("linux"), {
            onProgress: () => {
              if (!raced) now("ip", "link", "add", "t7-br", "type", "bridge"), raced = true;
            },
          }),
        StepError,
      );
      assertMatch(error.message, /ip link add name t7-br type bridge/);
      assertMatch(error.message, /File exists/);
      assert(await linkExists("t7-br"), "the bridge the lab did not create was removed");
      const left = await namespaces();
      assert(!left.includes("t7-a") && !left.includes("t7-b"), `left: ${left}`);
    } finally {
      await sh("ip", "link", "delete", "dev", "t7-br");
    }
    await assertHostUnchanged(before, "after the bridge race");
  },
);

Deno.test(
  "an OVS bridge made between preflight and add-br survives the rollback; the rest is undone",
  opts,
  async () => {
    const before = await snapshot();
    const host = resolveHost();
    await startPrivateOvs(host); // kept running by hand, so that the rollback does not stop it
    let raced = false;
    try {
      const error = await assertRejects(
        () =>
          upLab(twoOnABridge("ovs"), {
            host,
            onProgress: () => {
              if (raced) return;
              now(
                "ovs-vsctl",
                DB,
                "add-br",
                "t7-br",
                "--",
                "set",
                "bridge",
                "t7-br",
                "datapath_type=netdev",
              );
              raced = true;
            },
          }),
        StepError,
      );
      assertMatch(error.message, /already exists/);
      assertEquals((await sh("ovs-vsctl", DB, "list-br")).trim(), "t7-br");
      const left = await namespaces();
      assert(!left.includes("t7-a") && !left.includes("t7-b"), `left: ${left}`);
    } finally {
      await sh("ovs-vsctl", DB, "--if-exists", "del-br", "t7-br");
      await releasePrivateOvs(host, "manual");
    }
    await assertHostUnchanged(before, "after the OVS bridge race");
  },
);

Deno.test(
  "down removes an OVS bridge only while it carries the lab's mark",
  opts,
  async () => {
    const before = await snapshot();
    const host = resolveHost();
    await startPrivateOvs(host); // kept running by hand, so that down runs the OVS undo
    try {
      const lab = twoOnABridge("ovs");
      await upLab(lab, { host });
      // Someone removes the lab's bridge and makes one of the same name: another lab's.
      await sh("ovs-vsctl", DB, "del-br", "t7-br");
      await sh(
        ...["ovs-vsctl", DB, "add-br", "t7-br", "--", "set", "bridge", "t7-br"],
        "datapath_type=netdev",
        "external_ids:netkit-lab=someone-else",
      );
      const r = await downLab(lab.name, { host });
      assert(r.removed);
      assertEquals((await sh("ovs-vsctl", DB, "list-br")).trim(), "t7-br");
      assertEquals(
        (await sh("ovs-vsctl", DB, "get", "bridge", "t7-br", "external_ids:netkit-lab")).trim(),
        "someone-else",
      );
    } finally {
      await sh("ovs-vsctl", DB, "--if-exists", "del-br", "t7-br");
      await releasePrivateOvs(host, "manual");
    }
    await assertHostUnchanged(before, "after down with a foreign bridge");
  },
);

Deno.test(
  "a step whose `ip` exits 255 (an ordinary error, no signal) undoes only the steps that ran",
  opts,
  async () => {
    const before = await snapshot();
    await sh("ip", "link", "add", "t7-theirs", "type", "bridge"); // someone else's link
    const step = (key: string, make: string[], undo: string[]): Step => ({
      key,
      summary: key,
      do: [cmd("ip", "link", ...make)],
      undo: [cmd("ip", "link", ...undo)],
    });
    const bridge = (name: string) =>
      step(`link:${name}`, ["add", "name", name, "type", "bridge"], ["delete", "dev", name]);
    // ip's exit(-1): `master` names no device.
    const master = step("master:t7-ours", ["set", "dev", "t7-ours", "master", "t7-none"], [
      "set",
      "dev",
      "t7-ours",
      "nomaster",
    ]);
    // A step that is no `ip` command stands alone, so each `ip` step is a lane of its own.
    const apart = (key: string): Step => ({ key, summary: key, do: [cmd("true")], undo: [] });
    try {
      const steps = [bridge("t7-ours"), apart("a1"), master, apart("a2"), bridge("t7-theirs")];
      const executor = new Executor({ runner: new ProcessRunner() });
      const error = await assertRejects(() => executor.apply(steps), StepError);
      assertEquals(error.index, 2);
      const cause = error.cause as CommandError;
      assertEquals([cause.code, cause.signal], [255, null]);
      assertMatch(cause.stderr, /"t7-none" is wrong/);
      assertEquals(error.undoErrors, []);
      assert(!(await linkExists("t7-ours")), "the lab's own bridge was not rolled back");
      assert(await linkExists("t7-theirs"), "the bridge of a step that never ran was removed");
    } finally {
      await sh("ip", "link", "delete", "dev", "t7-ours");
      await sh("ip", "link", "delete", "dev", "t7-theirs");
    }
    await assertHostUnchanged(before, "after an exit 255");
  },
);
