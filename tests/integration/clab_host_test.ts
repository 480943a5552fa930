/**
 * containerlab's `host:IF` endpoints and `ip link add NAME type dummy` exec lines on the real
 * kernel (root; run isolated: `/work/iso.sh deno test -A tests/integration/clab_host_test.ts`).
 *
 * - a `host:` end is a veth end the lab creates in the root namespace (a sandboxed lab's: its
 *   sandbox) under the file's name: `up` makes it, `status` shows it, `down` removes it; an
 *   interface of that name that exists already is refused at the endpoint's line, exit code 2,
 *   nothing changed;
 * - a dummy interface is asked of the kernel before anything is built: where the kernel has no
 *   dummy driver, `up` refuses at the exec line, exit code 2, nothing changed (`validate` passes);
 *   where it has one, the dummy comes up in its node with its address.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import {
  assertHostUnchanged,
  isRoot,
  netkit,
  run,
  sh,
  snapshot,
  useTestState,
} from "../helpers/host.ts";
import { withTempDir } from "../helpers/temp.ts";
import { sandboxNsName } from "../../lib/lab/sandbox.ts";
import { hasDummy } from "../../lib/lab/dummy_probe.ts";
import { ProcessRunner } from "../../lib/exec/runner.ts";

useTestState("clab-host");
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };

/** Two nodes, each with a link to the host: n1's end `nkh-a`, n2's `nkh-b` (line 11). */
const HOST_LINKS = `name: hostlinks
topology:
  nodes:
    n1:
      kind: linux
      exec:
        - ip addr add 10.71.0.1/24 dev eth1
    n2: { kind: linux }
  links:
    - endpoints: ["n1:eth1", "host:nkh-a"]
    - endpoints: ["host:nkh-b", "n2:eth1"]
`;

/**
 * The operational state of link `name` (in `ns`, if given) once it is UP, or as it is after 3 s:
 * the kernel reports a veth end's carrier a moment after both ends are up (linkwatch).
 */
async function operstate(name: string, ns?: string): Promise<string | undefined> {
  const deadline = performance.now() + 3000;
  for (;;) {
    const state = (await rootLink(name, ns))?.operstate;
    if (state === "UP" || performance.now() > deadline) return state;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The root namespace's link `name` as `ip -j link show` gives it (in `ns`, if given). */
async function rootLink(name: string, ns?: string): Promise<{ operstate: string } | undefined> {
  const r = await run(["ip", ...(ns ? ["-n", ns] : []), "-j", "link", "show", "dev", name]);
  return r.code === 0 ? (JSON.parse(r.stdout) as { operstate: string }[])[0] : undefined;
}

Deno.test(
  "a host: endpoint is a root-side veth end named by the file, until down",
  opts,
  async () => {
    await withTempDir("netkit-clabhost-", async (dir) => {
      const file = `${dir}/hostlinks.clab.yml`;
      await Deno.writeTextFile(file, HOST_LINKS);
      const before = await snapshot();
      try {
        const up = await netkit(["up", file]);
        assertEquals(up.code, 0, up.stdout + up.stderr);
        for (const name of ["nkh-a", "nkh-b"]) {
          assertEquals(await operstate(name), "UP", name);
        }
        // The other end is the node's eth1, with the address the exec line gives it.
        const inNode = await sh("ip", "-n", "clab-hostlinks-n1", "-br", "addr", "show", "eth1");
        assertMatch(inNode, /10\.71\.0\.1\/24/);
        const status = await netkit(["status", "hostlinks"]);
        assertEquals(status.code, 0, status.stderr);
        assertMatch(status.stdout, /│ \(root\)\s+│ nkh-a\s+│ up\s+│ -\s+│/);
        assertMatch(status.stdout, /│ \(root\)\s+│ nkh-b\s+│ up\s+│ -\s+│/);
        const json = await netkit(["status", "hostlinks", "--json"]);
        const rootEnds = (JSON.parse(json.stdout) as { rootEnds: { name: string }[] }).rootEnds;
        assertEquals(rootEnds.map((e) => e.name).sort(), ["nkh-a", "nkh-b"]);
      } finally {
        const down = await netkit(["down", file]);
        assertEquals(down.code, 0, down.stderr);
      }
      assertEquals(await rootLink("nkh-a"), undefined, "down removes the root end at once");
      assertEquals(await rootLink("nkh-b"), undefined, "down removes the root end at once");
      await assertHostUnchanged(before, "after down");
    });
  },
);

Deno.test(
  "a host: end whose name the host has already is refused at its line, nothing changed",
  opts,
  async () => {
    await withTempDir("netkit-clabhost-", async (dir) => {
      const file = `${dir}/hostlinks.clab.yml`;
      await Deno.writeTextFile(file, HOST_LINKS);
      // Not the lab's: an interface of the same name made before it (a bridge: preflight waits only for veth ends on their way out).
      await sh("ip", "link", "add", "nkh-b", "type", "bridge");
      try {
        const before = await snapshot();
        const up = await netkit(["up", file]);
        assertEquals(up.code, 2, up.stdout + up.stderr);
        assertMatch(up.stderr, /hostlinks\.clab\.yml:11:19: interface "nkh-b" already exists/);
        await assertHostUnchanged(before, "after the refused up");
        assert(await rootLink("nkh-b") !== undefined, "the host's own interface is left alone");
        const list = await netkit(["status"]);
        assert(!list.stdout.includes("hostlinks"), list.stdout);
      } finally {
        await sh("ip", "link", "delete", "nkh-b");
      }
    });
  },
);

Deno.test(
  "a sandboxed lab's host: end lives in its sandbox, not in the root namespace",
  opts,
  async () => {
    await withTempDir("netkit-clabhost-", async (dir) => {
      const file = `${dir}/hostlinks.clab.yml`;
      await Deno.writeTextFile(file, HOST_LINKS);
      const before = await snapshot();
      try {
        const up = await netkit(["up", "--sandbox", file]);
        assertEquals(up.code, 0, up.stdout + up.stderr);
        const sandbox = sandboxNsName("hostlinks");
        assertEquals(await operstate("nkh-a", sandbox), "UP");
        assertEquals(await rootLink("nkh-a"), undefined, "not in the root namespace");
        const status = await netkit(["status", "hostlinks"]);
        assertMatch(status.stdout, new RegExp(`│ \\(root: ${sandbox}\\)\\s+│ nkh-a\\s+│ up`));
      } finally {
        const down = await netkit(["down", file]);
        assertEquals(down.code, 0, down.stderr);
      }
      await assertHostUnchanged(before, "after down");
    });
  },
);

/** A node with a dummy interface (its `ip link add` on line 7) and an address on it. */
const DUMMY = `name: dummies
topology:
  nodes:
    n1:
      kind: linux
      exec:
        - ip link add lo1 type dummy
        - ip addr add 10.72.0.1/32 dev lo1
        - ip link set lo1 up
`;

Deno.test(
  "a dummy interface: refused at its exec line on a kernel without the driver, else built",
  opts,
  async () => {
    await withTempDir("netkit-clabhost-", async (dir) => {
      const file = `${dir}/dummies.clab.yml`;
      await Deno.writeTextFile(file, DUMMY);
      const validate = await netkit(["validate", file]);
      assertEquals(validate.code, 0, validate.stdout + validate.stderr);
      const before = await snapshot();
      const kernel = await hasDummy(new ProcessRunner());
      const up = await netkit(["up", file]);
      try {
        if (!kernel.ok) {
          assertEquals(up.code, 2, up.stdout + up.stderr);
          assertMatch(
            up.stderr,
            /dummies\.clab\.yml:7:11: a dummy interface needs the kernel's dummy driver \(CONFIG_DUMMY\)/,
          );
          await assertHostUnchanged(before, "after the refused up");
          assertEquals((await run(["ip", "netns", "list"])).stdout.trim(), "");
        } else {
          assertEquals(up.code, 0, up.stdout + up.stderr);
          const lo1 = await sh("ip", "-n", "clab-dummies-n1", "-br", "addr", "show", "lo1");
          assertMatch(lo1, /10\.72\.0\.1\/32/);
        }
      } finally {
        if (up.code === 0) assertEquals((await netkit(["down", file])).code, 0);
      }
      await assertHostUnchanged(before, "after down");
    });
  },
);
