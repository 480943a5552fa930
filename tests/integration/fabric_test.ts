/**
 * Generated routed topologies on the real kernel (root): a leaf-spine fabric with eBGP (FRR)
 * comes up from one `generate:` line, its leaves reach each other's hosts over every spine (the
 * kernel route has one nexthop per spine), every host reaches every other, and with every link of
 * one spine down the hosts still reach each other; a tree, a ring and a mesh come up with their
 * static routes and prove themselves; `down` leaves nothing.
 *
 * Run as root: `deno test -A tests/integration/fabric_test.ts` (in nk-isolated on a shared host).
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

useTestState("fabric");
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };

/** Writes a lab file with these `generate:` entries; returns its path. */
async function labFile(name: string, entries: string[]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "netkit-fabric-" });
  const file = `${dir}/${name}.yaml`;
  await Deno.writeTextFile(
    file,
    [`name: ${name}`, "generate:", ...entries.map((e) => `  - ${e}`)].join("\n") + "\n",
  );
  return file;
}

/** The nexthops of `node`'s kernel route to `to`, as `ip -j route` reports them. */
async function nexthops(node: string, to: string): Promise<{ gateway: string; dev: string }[]> {
  const routes = JSON.parse(await sh("ip", "-n", node, "-j", "route", "show", to)) as {
    nexthops?: { gateway: string; dev: string }[];
    gateway?: string;
    dev?: string;
  }[];
  const r = routes[0];
  if (!r) return [];
  return r.nexthops ?? [{ gateway: r.gateway ?? "", dev: r.dev ?? "" }];
}

/** Waits (at most 20 s) until `node`'s route to `to` has `count` nexthops; returns them. */
async function waitHops(node: string, to: string, count: number) {
  let hops = await nexthops(node, to);
  for (let i = 0; i < 100 && hops.length !== count; i++) {
    await new Promise((r) => setTimeout(r, 200));
    hops = await nexthops(node, to);
  }
  return hops;
}

Deno.test(
  "generate clos: 2 spines x 2 leaves x 2 hosts, eBGP with ECMP over both spines, failover, down leaves nothing",
  opts,
  async () => {
    const before = await snapshot();
    const file = await labFile("fb-clos", [
      "clos: { prefix: fb-, spines: 2, leaves: 2, hostsPerLeaf: 2 }",
    ]);
    try {
      const up = await netkit(["up", file]);
      assertEquals(up.code, 0, up.stderr + up.stdout);
      const checks = up.stdout.split("\n").filter((l) => /^(PASS|FAIL) /.test(l));
      // 4 hosts: 12 pings, 2 ECMP routes, 1 failover.
      assertEquals(checks.length, 15, up.stdout);
      assert(checks.every((l) => l.startsWith("PASS ")), up.stdout);
      assertMatch(
        up.stdout,
        /PASS fb-leaf1 has a route to 10\.100\.2\.0\/24 by bgp over 2 nexthops/,
      );
      assertMatch(up.stdout, /PASS with fb-spine1 down, fb-h1 -> 10\.100\.2\.6 reachable/);

      // What a user sees in leaf1's kernel table once the failover proof has put spine1's links
      // back and the sessions are up again: one nexthop through each spine.
      const hops = await waitHops("fb-leaf1", "10.100.2.0/24", 2);
      assertEquals(hops.map((h) => h.dev).sort(), ["spine1", "spine2"]);
      assertEquals(hops.map((h) => h.gateway).sort(), ["10.1.0.1", "10.1.0.5"]);
      const back = await waitHops("fb-leaf2", "10.100.1.0/24", 2);
      assertEquals(back.map((h) => h.dev).sort(), ["spine1", "spine2"]);

      // With one spine's link to leaf1 down by hand, the other spine carries leaf1's traffic:
      // leaf1's route drops to one nexthop, and h1 still reaches h4.
      const cut = await netkit(["link", "fb-clos", "fb-spine2:leaf1", "down"]);
      assertEquals(cut.code, 0, cut.stderr);
      const one = await waitHops("fb-leaf1", "10.100.2.0/24", 1);
      assertEquals(one.map((h) => h.dev), ["spine1"]);
      const ping = await netkit([
        "exec",
        "fb-h1",
        "--",
        "ping",
        "-c",
        "1",
        "-W",
        "2",
        "10.100.2.6",
      ]);
      assertEquals(ping.code, 0, ping.stdout + ping.stderr);
      assertEquals((await netkit(["link", "fb-clos", "fb-spine2:leaf1", "up"])).code, 0);
    } finally {
      const down = await netkit(["down", "fb-clos"]);
      assertEquals(down.code, 0, down.stderr + down.stdout);
    }
    await assertHostUnchanged(before, "after the clos fabric and down");
  },
);

Deno.test(
  "generate tree, ring and mesh: static routes, every proof passes, down leaves nothing",
  opts,
  async () => {
    const before = await snapshot();
    const file = await labFile("fb-shapes", [
      "tree: { prefix: ft-, depth: 2, fanout: 2 }",
      "ring: { prefix: fr-, count: 5 }",
      "mesh: { prefix: fm-, count: 4 }",
    ]);
    try {
      const up = await netkit(["up", file]);
      assertEquals(up.code, 0, up.stderr + up.stdout);
      // tree: 4 hosts, 12 pings; ring: 5 routers, 20; mesh: 4 routers, 12.
      assertMatch(up.stdout, /^PASS 44 of 44 proofs passed$/m);
      // The ring routes the shorter way round: r1 reaches r3 through r2, r4 through r5.
      const via2 = await sh("ip", "-n", "fr-r1", "route", "get", "10.80.0.10");
      assertMatch(via2, /via 10\.80\.0\.2 dev right/);
      const via5 = await sh("ip", "-n", "fr-r1", "route", "get", "10.80.0.14");
      assertMatch(via5, /via 10\.80\.0\.17 dev left/);
    } finally {
      const down = await netkit(["down", "fb-shapes"]);
      assertEquals(down.code, 0, down.stderr + down.stdout);
    }
    await assertHostUnchanged(before, "after the tree, ring and mesh and down");
  },
);
