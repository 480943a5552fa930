/**
 * Seed 000's labs on the real kernel with netkit's private OVS: built, proved, removed, and the
 * host exactly as before. Also the bad-input paths of the CLI, each with exit code 2 and no
 * change on the host.
 */
import { resolveHost } from "../../lib/host.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import {
  assertHostUnchanged,
  isRoot,
  netkit,
  sh,
  snapshot,
  useTestState,
} from "../helpers/host.ts";
import { withTempDir } from "../helpers/temp.ts";
import { getRecipe, StepError, upLab, validateLab } from "../../mod.ts";
import { downLab } from "../../lib/lab/teardown.ts";
import { planForHost } from "../../lib/lab/runtime.ts";

useTestState("seed000");
const P = "t2-";
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };

for (const name of ["ovs-veth", "ovs-internal"]) {
  Deno.test(
    `recipe ${name} comes up, passes its proofs and is removed without a trace`,
    opts,
    async () => {
      const before = await snapshot();
      try {
        const up = await netkit(["recipe", name, "--prefix", P]);
        assertEquals(up.code, 0, up.stderr + up.stdout);
        assertMatch(up.stdout, /PASS /);
        assert(!/FAIL /.test(up.stdout), up.stdout);
        assertMatch(up.stdout, new RegExp(`${P}ns1 .* 10\\.0\\.0\\.1/24`));
        const namespaces = await sh("ip", "netns", "list");
        assertMatch(namespaces, new RegExp(`${P}ns1`));
        // The proof is real: ping across the bridge ourselves.
        const ping = await new Deno.Command("ip", {
          args: ["netns", "exec", `${P}ns2`, "ping", "-c1", "-W1", "10.0.0.1"],
          stdout: "null",
        }).output();
        assertEquals(ping.code, 0);
        const status = await netkit(["status", `${P}${name}`, "--json"]);
        assertEquals(status.code, 0, status.stderr);
        const s = JSON.parse(status.stdout);
        assertEquals(s.bridges[0].name, `${P}br1`);
        assertEquals(s.bridges[0].ports.length, 2);
        const again = await netkit(["recipe", name, "--prefix", P, "--no-check"]);
        assertEquals(again.code, 0, again.stderr);
        assertMatch(again.stdout, /already up: nothing changed/);
      } finally {
        const down = await netkit(["down", `${P}${name}`]);
        assertEquals(down.code, 0, down.stderr);
        assertMatch(down.stdout, /Removed lab/);
      }
      await assertHostUnchanged(before, `after recipe ${name} and down`);
      // Its name now names no lab: an error (exit 2), as for a mistyped name.
      const again = await netkit(["down", `${P}${name}`]);
      assertEquals(again.code, 2);
      assertMatch(again.stderr, /No lab named "[^"]+" is up: nothing to remove/);
    },
  );
}

Deno.test("--dry-run prints the seed's commands and changes nothing", opts, async () => {
  const before = await snapshot();
  const r = await netkit(["recipe", "ovs-internal", "--dry-run"]);
  assertEquals(r.code, 0, r.stderr);
  for (
    const line of [
      "ip netns add ns1",
      "ip link set dev tap1 netns ns1",
      "ip -n ns1 addr add 10.0.0.1/24 dev tap1",
      "ip -n ns2 link set dev tap2 up",
    ]
  ) assert(r.stdout.split("\n").includes(line), `missing "${line}" in:\n${r.stdout}`);
  assertMatch(r.stdout, /ovs-vsctl .*add-port br1 tap1 .* type=internal/);
  await assertHostUnchanged(before, "after --dry-run");
});

Deno.test("recipe list names every recipe with a description", opts, async () => {
  const r = await netkit(["recipe", "list"]);
  assertEquals(r.code, 0);
  assertMatch(r.stdout, /ovs-veth .*veth/);
  assertMatch(r.stdout, /ovs-internal .*internal/);
});

Deno.test("bad input: one clear message, exit code 2, host unchanged", opts, async () => {
  const before = await snapshot();
  const cases: [string[], RegExp, Record<string, string>?][] = [
    [["recipe", "no-such-lab"], /Unknown recipe "no-such-lab"[\s\S]*known recipes: .*ovs-veth/],
    [
      ["recipe", "ovs-veth", "--prefix", "waytoolongprefix-"],
      /"waytoolongprefix-br1": it is 20 bytes: an interface name is at most 15 bytes/,
    ],
    [["recipe", "ovs-veth", "--prefix", "a b;"], /Invalid prefix/],
    [["down", "../etc"], /Invalid lab name/],
    [["bogus-command"], /unknown command/],
    [["recipe", "ovs-veth", "--prefix", P, "--bogus"], /unknown option/],
  ];
  for (const [args, message, env] of cases) {
    const r = await netkit(args, env);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assertMatch(r.stderr, message);
  }
  await assertHostUnchanged(before, "after bad input");
});

Deno.test("a missing tool is named with its Debian package; nothing changes", opts, async () => {
  const before = await snapshot();
  await withTempDir("nkt-bin-", async (bin) => {
    for (const tool of ["ip", "nsenter", "sysctl", "pkill", "kill", "mkdir", "env"]) {
      const found = (await sh("sh", "-c", `command -v ${tool}`)).trim();
      const path = found.startsWith("/") ? found : `/usr/bin/${tool}`; // kill: a shell builtin too
      await Deno.symlink(path, `${bin}/${tool}`);
    }
    const r = await netkit(["recipe", "ovs-veth", "--prefix", P], { PATH: bin });
    assertEquals(r.code, 2, r.stderr);
    assertMatch(r.stderr, /Missing tool\(s\): ovsdb-tool, ovsdb-server, ovs-vsctl\n/);
    assertMatch(r.stderr, /apt-get install openvswitch-switch/);
  });
  await assertHostUnchanged(before, "after a missing tool");
});

Deno.test("not root: exit code 2 and nothing changes", opts, async () => {
  const before = await snapshot();
  // nobody gets a copy of Deno's cache, so that only netkit's own check can refuse.
  await withTempDir("nkt-nobody-", async (cache) => {
    const home = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
    await sh("cp", "-a", `${home}/.`, cache);
    await sh("chown", "-R", "65534:65534", cache);
    const r = await new Deno.Command("setpriv", {
      args: [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        Deno.execPath(),
        "run",
        "-A",
        "--no-check",
        "--cached-only",
        new URL("../../main.ts", import.meta.url).pathname,
        "recipe",
        "ovs-veth",
        "--prefix",
        P,
      ],
      env: { NO_COLOR: "1", DENO_DIR: cache },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(r.stderr);
    assertEquals(r.code, 2, stderr);
    assertMatch(stderr, /needs root/);
    assertMatch(stderr, /hint: run it with sudo/);
  });
  await assertHostUnchanged(before, "after running as nobody");
});

Deno.test(
  "an existing namespace is a conflict: nothing adopted, nothing deleted",
  opts,
  async () => {
    await sh("ip", "netns", "add", `${P}ns1`);
    try {
      const before = await snapshot();
      const r = await netkit(["recipe", "ovs-veth", "--prefix", P]);
      assertEquals(r.code, 2, r.stderr);
      assertMatch(r.stderr, new RegExp(`already exists.*namespace "${P}ns1"`));
      await assertHostUnchanged(before, "after a conflict");
    } finally {
      await sh("ip", "netns", "delete", `${P}ns1`);
    }
  },
);

Deno.test("a step that fails half-way through bring-up leaves nothing behind", opts, async () => {
  const lab = validateLab(getRecipe("ovs-veth").build({ prefix: P }));
  const { steps } = await planForHost(resolveHost(), lab);
  const before = await snapshot();
  for (const k of [0, Math.floor(steps.length / 2), steps.length - 1]) {
    const error = await assertRejects(() => upLab(lab, { failAt: k }), StepError);
    assert(error instanceof StepError);
    assertEquals(error.index, k);
    await assertHostUnchanged(before, `after a failure at step ${k}`);
  }
  // down after a failed up has nothing to do and succeeds
  assertEquals((await downLab(lab.name)).removed, false);
});

Deno.test(
  "a real command failure is rolled back and names the command and its stderr",
  opts,
  async () => {
    const before = await snapshot();
    const lab = validateLab({
      name: `${P}broken`,
      nodes: { [`${P}x`]: { interfaces: { eth0: { addresses: ["10.5.0.1/24"] } } } },
      bridges: { [`${P}b`]: { type: "linux" } },
      links: [{ endpoints: [`${P}x:eth0`, `${P}b:${P}x-p`] }],
    });
    // A gateway outside every subnet passes no validation, so put it in after validating: the
    // kernel refuses it after several steps have run.
    const node = lab.nodes[`${P}x`]!;
    const bad = {
      ...lab,
      nodes: { [`${P}x`]: { ...node, routes: [{ to: "10.66.0.0/24", via: "10.99.0.1" }] } },
    };
    const error = await assertRejects(() => upLab(bad), StepError);
    assert(error instanceof StepError);
    assertMatch(error.message, /ip -n t2-x route add 10\.66\.0\.0\/24 via 10\.99\.0\.1/);
    assertMatch(error.message, /exit \d+/);
    await assertHostUnchanged(before, "after a rolled-back kernel error");
  },
);

Deno.test(
  "the example script builds two namespaces on OVS, pings, and removes them",
  opts,
  async () => {
    const before = await snapshot();
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-check",
        new URL("../../examples/two_namespaces_on_ovs.ts", import.meta.url).pathname,
        "t2x-",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(r.stdout);
    assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
    assertMatch(out, /t2x-br: .*t2x-a-p/);
    assertMatch(out, /2 received/);
    await assertHostUnchanged(before, "after the example");
  },
);
