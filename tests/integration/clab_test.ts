/**
 * containerlab topologies on the real kernel (root): each example in examples/clab/ comes up
 * with `netkit up FILE --ignore-images`, its derived pings pass, traffic crosses the router where
 * there is one, and `down FILE` leaves the host as it was. Without --ignore-images nothing is
 * built and the exit code is 2. The topologies' names (n1, h1, br-clab, ...) are containerlab's
 * own style, unprefixed: run this file alone (make test runs files one at a time).
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { assertHostUnchanged, isRoot, netkit, snapshot, useTestState } from "../helpers/host.ts";

useTestState("clab");
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };
const dir = new URL("../../examples/clab/", import.meta.url).pathname;

/** Brings `file` up, runs `more` while it is up, and always takes it down again. */
async function whileUp(file: string, pings: number, more?: () => Promise<void>): Promise<void> {
  const before = await snapshot();
  try {
    const up = await netkit(["up", "--ignore-images", file]);
    assertEquals(up.code, 0, up.stdout + up.stderr);
    assertMatch(up.stderr, /notice: image .* ignored/);
    assertEquals((up.stdout.match(/^PASS /gm) ?? []).length, pings, up.stdout);
    assert(!/^FAIL /m.test(up.stdout), up.stdout);
    await more?.();
  } finally {
    const down = await netkit(["down", file]);
    assertEquals(down.code, 0, down.stderr);
  }
  await assertHostUnchanged(before, `after ${file}`);
}

Deno.test("linux-pair.clab.yml: two namespaces back to back ping", opts, async () => {
  await whileUp(`${dir}linux-pair.clab.yml`, 1, async () => {
    const ping = await netkit(["exec", "n2", "--", "ping", "-c1", "-W2", "192.168.0.1"]);
    assertEquals(ping.code, 0, ping.stdout + ping.stderr);
  });
});

Deno.test("bridge.clab.yml: three hosts on a Linux bridge netkit made", opts, async () => {
  await whileUp(`${dir}bridge.clab.yml`, 2, async () => {
    const status = await netkit(["status", "bridge-hosts", "--json"]);
    assertEquals(status.code, 0, status.stderr);
    assertMatch(status.stdout, /"br-clab"/);
    const ping = await netkit(["exec", "h3", "--", "ping", "-c1", "-W2", "10.10.0.2"]);
    assertEquals(ping.code, 0, ping.stdout + ping.stderr);
  });
});

Deno.test("routed.clab.yml: OVS, a router and routes carry h1's ping to h2", opts, async () => {
  await whileUp(`${dir}routed.clab.yml`, 2, async () => {
    const across = await netkit(["exec", "h1", "--", "ping", "-c1", "-W2", "10.2.0.10"]);
    assertEquals(across.code, 0, across.stdout + across.stderr);
    const check = await netkit(["check", "routed"]);
    assertEquals(check.code, 0, check.stdout + check.stderr);
  });
});

Deno.test(
  "a topology with images, without --ignore-images: exit 2, nothing built",
  opts,
  async () => {
    const before = await snapshot();
    const up = await netkit(["up", `${dir}routed.clab.yml`]);
    assertEquals(up.code, 2, up.stdout);
    assertMatch(
      up.stderr,
      /routed\.clab\.yml:14:12: image "ghcr\.io\/hellt\/network-multitool" refused/,
    );
    const dry = await netkit(["up", "--dry-run", "--ignore-images", `${dir}routed.clab.yml`]);
    assertEquals(dry.code, 0, dry.stderr);
    assertMatch(dry.stdout, /^ip netns add r1$/m);
    assertMatch(dry.stdout, /^ip -n h2 route add 10\.1\.0\.0\/24 via 10\.2\.0\.1 dev eth1$/m);
    const sh = await netkit(["export", "--ignore-images", `${dir}linux-pair.clab.yml`]);
    assertEquals(sh.code, 0, sh.stderr);
    assertMatch(sh.stdout, /^'ip' 'netns' 'add' 'n1'$/m);
    await assertHostUnchanged(before, "after a refused topology, a dry run and an export");
  },
);
