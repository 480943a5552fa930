/**
 * A published containerlab FRR topology on the real kernel (root): containerlab's own
 * lab-examples/frr01 (three FRR routers in a triangle, a PC on each; kept under
 * tests/fixtures/containerlab/, see its NOTICE.md) comes up with `--ignore-images`, each router
 * running this host's FRR with its bound frr.conf and daemons file, and the PCs reach each other
 * over OSPF; `down` leaves nothing.
 *
 * Run as root: `deno test -A tests/integration/clab_frr_test.ts` (in nk-isolated on a shared host).
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import {
  assertHostUnchanged,
  isRoot,
  netkit,
  sh,
  snapshot,
  useTestState,
} from "../helpers/host.ts";

useTestState("clab-frr");
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };
const FRR01 = new URL(
  "../fixtures/containerlab/lab-examples/frr01/frr01.clab.yml",
  import.meta.url,
).pathname;

/** Pings `to` from `node` until it answers or 90 s pass (OSPF elects its DRs after 40 s). */
async function reaches(node: string, to: string): Promise<boolean> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const r = await netkit(["exec", node, "--", "ping", "-c", "1", "-W", "1", to]);
    if (r.code === 0) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

Deno.test(
  "containerlab's frr01 comes up with --ignore-images: FRR from its bound files, PCs reach each other over OSPF",
  opts,
  async () => {
    const before = await snapshot();
    try {
      const up = await netkit(["up", FRR01, "--ignore-images"]);
      assertEquals(up.code, 0, up.stderr + up.stdout);
      // What is not honoured is said: the images, ldpd turned on in the daemons file.
      assertMatch(up.stderr + up.stdout, /image "quay\.io\/frrouting\/frr:10\.5\.1" ignored/);
      assertMatch(up.stderr + up.stdout, /router1\/daemons turns on ldpd: not run/);

      // Each router runs zebra and ospfd (its daemons file), nothing else; the PCs none.
      for (const r of ["router1", "router2", "router3"].map((n) => `clab-frr01-${n}`)) {
        const comms: string[] = [];
        for (const pid of (await sh("ip", "netns", "pids", r)).split("\n").filter(Boolean)) {
          comms.push((await Deno.readTextFile(`/proc/${pid}/comm`).catch(() => "")).trim());
        }
        assertEquals(comms.filter((c) => /^(zebra|ospfd|ospf6d|bgpd|ldpd)$/.test(c)).sort(), [
          "ospfd",
          "zebra",
        ], r);
      }
      assertEquals((await sh("ip", "netns", "pids", "clab-frr01-PC1")).trim(), "");

      // The PCs reach each other across the routers: routes learnt by OSPF.
      assert(await reaches("clab-frr01-PC1", "192.168.12.2"), "PC1 does not reach PC2");
      assert(await reaches("clab-frr01-PC1", "192.168.13.2"), "PC1 does not reach PC3");
      assert(await reaches("clab-frr01-PC3", "192.168.12.2"), "PC3 does not reach PC2");
      const routes = await sh("ip", "-n", "clab-frr01-router1", "route", "show", "192.168.12.0/24");
      assertMatch(routes, /proto ospf/);
      // zebra put frr.conf's loopback address on router1's lo, inside the namespace.
      assertMatch(
        await sh("ip", "-n", "clab-frr01-router1", "addr", "show", "dev", "lo"),
        /10\.10\.10\.1\/32/,
      );
      // vtysh through netkit exec talks to the router's own ospfd: its two neighbours are Full.
      const vtysh = await netkit([
        "exec",
        "clab-frr01-router1",
        "--",
        "vtysh",
        "-c",
        "show ip ospf neighbor",
      ]);
      assertEquals(vtysh.code, 0, vtysh.stderr);
      assertEquals((vtysh.stdout.match(/Full\//g) ?? []).length, 2, vtysh.stdout);
    } finally {
      const down = await netkit(["down", "frr01"]);
      assertEquals(down.code, 0, down.stderr + down.stdout);
    }
    await assertHostUnchanged(before, "after frr01 and down");
  },
);
