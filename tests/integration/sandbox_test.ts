/**
 * Sandbox mode on the real kernel: every recipe in the registry with `--sandbox` comes up with
 * every check PASS, and WHILE IT IS UP the host's root namespace holds exactly what it held
 * before — links, routes, iptables-save, sysctls, resolv.conf — while the namespaces differ only
 * by the lab's own and its parent namespace. `status`, `exec` and `check` work on it; `down`
 * leaves no trace. A lab file with `sandbox: true` comes up through `netkit up`, and a bring-up
 * that fails at any step rolls back without a trace.
 *
 * Run as root: `deno test -A tests/integration/sandbox_test.ts`.
 */
import { resolveHost } from "../../lib/host.ts";
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import {
  assertHostUnchanged,
  type HostSnapshot,
  isRoot,
  netkit,
  sh,
  snapshot,
  useTestState,
} from "../helpers/host.ts";
import { recipes } from "../../recipes/mod.ts";
import { validateLab } from "../../lib/lab/validate.ts";
import { sandboxNsName } from "../../lib/lab/sandbox.ts";
import { planForHost, readLabState, upLab } from "../../lib/lab/runtime.ts";
import { StepError } from "../../lib/plan/executor.ts";

useTestState("sandbox");
const P = "t8-";
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };

/** The host's root namespace while a sandboxed lab is up: as before, but for the namespaces. */
async function assertRootUntouched(before: HostSnapshot, labNamespaces: string[], what: string) {
  const now = await snapshot();
  for (const key of ["links", "routes", "firewall", "sysctls", "resolvConf"] as const) {
    assertEquals(now[key], before[key], `${key} of the host changed while ${what} is up`);
  }
  assertEquals(
    now.namespaces,
    [...new Set([...before.namespaces, ...labNamespaces])].sort(),
    `namespaces while ${what} is up`,
  );
}

for (const recipe of recipes.values()) {
  const labName = `${P}${recipe.name}`;
  Deno.test(
    `recipe ${recipe.name} --sandbox: checks pass, the root namespace untouched`,
    opts,
    async () => {
      const before = await snapshot();
      const lab = validateLab({ ...recipe.build({ prefix: P }), sandbox: true });
      const parent = sandboxNsName(labName);
      try {
        const up = await netkit(["recipe", recipe.name, "--prefix", P, "--sandbox"]);
        assertEquals(up.code, 0, up.stderr + up.stdout);
        const checks = up.stdout.split("\n").filter((l) => /^(PASS|FAIL) /.test(l));
        assert(checks.length > 0, `no check lines in:\n${up.stdout}`);
        assert(checks.every((l) => l.startsWith("PASS ")), up.stdout);
        assert(up.stdout.includes(`sandbox: namespace ${parent}`), up.stdout);

        await assertRootUntouched(before, [...Object.keys(lab.nodes), parent], labName);

        // The bridges live in the parent namespace, with their ports.
        const status = await netkit(["status", labName, "--json"]);
        assertEquals(status.code, 0, status.stderr);
        const s = JSON.parse(status.stdout) as {
          sandbox: string;
          bridges: { name: string; ports: unknown[] }[];
        };
        assertEquals(s.sandbox, parent);
        for (const b of s.bridges) assert(b.ports.length > 0, `bridge ${b.name} shows no ports`);
        const inParent = (await sh("ip", "-n", parent, "-j", "link", "show")).toString();
        for (const name of Object.keys(lab.bridges)) {
          assert(inParent.includes(`"ifname":"${name}"`), `${name} is not in ${parent}`);
        }
        const state = await readLabState(resolveHost(), labName);
        if (Object.values(lab.bridges).some((b) => b.type === "ovs")) {
          assertEquals(state?.ovs?.kind, "sandbox");
        }

        // exec and check work the same.
        const [node] = Object.keys(lab.nodes);
        const exec = await netkit(["exec", node!, "--", "ip", "-br", "link", "show", "lo"]);
        assertEquals(exec.code, 0, exec.stderr);
        const again = await netkit(["check", labName]);
        assertEquals(again.code, 0, again.stderr + again.stdout);
        await assertRootUntouched(before, [...Object.keys(lab.nodes), parent], labName);
      } finally {
        const down = await netkit(["down", labName]);
        assertEquals(down.code, 0, down.stderr + down.stdout);
      }
      await assertHostUnchanged(before, `after recipe ${recipe.name} --sandbox and down`);
    },
  );
}

Deno.test("a lab file with sandbox: true comes up through netkit up", opts, async () => {
  const before = await snapshot();
  const dir = await Deno.makeTempDir({ prefix: "t8-" });
  const file = `${dir}/lab.yaml`;
  try {
    const exported = await netkit(["recipe", "export", "ovs-veth", "--prefix", P, "--sandbox"]);
    assertEquals(exported.code, 0, exported.stderr);
    assert(/^sandbox: true$/m.test(exported.stdout), exported.stdout);
    await Deno.writeTextFile(file, exported.stdout);
    const up = await netkit(["up", file]);
    assertEquals(up.code, 0, up.stderr + up.stdout);
    await assertRootUntouched(before, [`${P}ns1`, `${P}ns2`, sandboxNsName(`${P}ovs-veth`)], "up");
  } finally {
    const down = await netkit(["down", file]);
    assertEquals(down.code, 0, down.stderr + down.stdout);
    await Deno.remove(dir, { recursive: true });
  }
  await assertHostUnchanged(before, "after netkit up of a sandboxed lab file and down");
});

for (const name of ["ovs-internal", "router"]) {
  Deno.test(
    `sandboxed ${name}: a failure at any step rolls back without a trace`,
    opts,
    async () => {
      const before = await snapshot();
      const lab = validateLab({ ...recipes.get(name)!.build({ prefix: P }), sandbox: true });
      const { steps } = await planForHost(resolveHost(), lab);
      for (let k = 0; k < steps.length; k++) {
        const error = await assertRejects(() => upLab(lab, { failAt: k }), StepError);
        assertEquals(error.undoErrors, [], `undo errors at step ${k}`);
        await assertHostUnchanged(before, `after a failure at step ${k} (${steps[k]!.summary})`);
      }
    },
  );
}
