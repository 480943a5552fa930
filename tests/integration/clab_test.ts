/**
 * containerlab topologies on the real kernel (root): each example in examples/clab/ comes up
 * with `netkit up FILE --ignore-images`, its derived pings pass, traffic crosses the router where
 * there is one, and `down FILE` leaves the host as it was. Without --ignore-images nothing is
 * built and the exit code is 2. Namespaces are named as containerlab names containers
 * (clab-LAB-NODE), so two topologies with the same node names are up at once; the bridges keep
 * their names (br-clab, ...): run this file alone (make test runs files one at a time).
 *
 * @module
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
    const ping = await netkit([
      "exec",
      "clab-linux-pair-n2",
      "--",
      "ping",
      "-c1",
      "-W2",
      "192.168.0.1",
    ]);
    assertEquals(ping.code, 0, ping.stdout + ping.stderr);
  });
});

Deno.test("bridge.clab.yml: three hosts on a Linux bridge netkit made", opts, async () => {
  await whileUp(`${dir}bridge.clab.yml`, 2, async () => {
    const status = await netkit(["status", "bridge-hosts", "--json"]);
    assertEquals(status.code, 0, status.stderr);
    assertMatch(status.stdout, /"br-clab"/);
    const ping = await netkit([
      "exec",
      "clab-bridge-hosts-h3",
      "--",
      "ping",
      "-c1",
      "-W2",
      "10.10.0.2",
    ]);
    assertEquals(ping.code, 0, ping.stdout + ping.stderr);
  });
});

Deno.test("routed.clab.yml: OVS, a router and routes carry h1's ping to h2", opts, async () => {
  await whileUp(`${dir}routed.clab.yml`, 2, async () => {
    const across = await netkit([
      "exec",
      "clab-routed-h1",
      "--",
      "ping",
      "-c1",
      "-W2",
      "10.2.0.10",
    ]);
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
    assertMatch(dry.stdout, /^ip netns add clab-routed-r1$/m);
    assertMatch(
      dry.stdout,
      /^ip -n clab-routed-h2 route add 10\.1\.0\.0\/24 via 10\.2\.0\.1 dev eth1$/m,
    );
    const sh = await netkit(["export", "--ignore-images", `${dir}linux-pair.clab.yml`]);
    assertEquals(sh.code, 0, sh.stderr);
    assertMatch(sh.stdout, /^'ip' 'netns' 'add' 'clab-linux-pair-n1'$/m);
    await assertHostUnchanged(before, "after a refused topology, a dry run and an export");
  },
);

/** A topology with nodes node1, node2 and node3 (in node1's namespace), named `name`. */
const twin = (name: string) =>
  `name: ${name}
topology:
  nodes:
    node1:
      kind: linux
      exec: [ip addr add 10.0.0.1/24 dev eth1]
    node2:
      kind: linux
      exec: [ip a a 10.0.0.2/24 dev eth1, ip -6 addr add 2001:db8::2/64 dev eth2, ip a]
    node3:
      kind: linux
      network-mode: container:node1
      exec: [ip -6 addr add 2001:db8::3/64 dev eth2]
  links:
    - endpoints: [node1:eth1, node2:eth1]
    - endpoints: [node3:eth2, node2:eth2]
`;

Deno.test(
  "two topologies with the same node names are up at once (clab-LAB-NODE), a shared namespace, MTU 9500",
  opts,
  async () => {
    const before = await snapshot();
    const tmp = await Deno.makeTempDir();
    const files = ["twin-a", "twin-b"].map((n) => `${tmp}/${n}.clab.yml`);
    try {
      for (const [k, file] of files.entries()) {
        await Deno.writeTextFile(file, twin(k === 0 ? "twin-a" : "twin-b"));
        const up = await netkit(["up", file]);
        assertEquals(up.code, 0, up.stdout + up.stderr);
        // 10.0.0.1 -> .2 on eth1, 2001:db8::3 (node3, in node1's namespace) -> ::2 on eth2.
        assertEquals((up.stdout.match(/^PASS /gm) ?? []).length, 2, up.stdout);
      }
      for (const lab of ["twin-a", "twin-b"]) {
        const status = await netkit(["status", lab, "--json"]);
        assertEquals(status.code, 0, status.stderr);
        assertMatch(status.stdout, new RegExp(`"clab-${lab}-node1"`));
        assert(!/"clab-[^"]*-node3"/.test(status.stdout), "node3 has no namespace of its own");
        const ping = (node: string, to: string) =>
          netkit(["exec", `clab-${lab}-${node}`, "--", "ping", "-c1", "-W2", to]);
        const v4 = await ping("node1", "10.0.0.2");
        assertEquals(v4.code, 0, v4.stdout + v4.stderr);
        // node3's link (eth2, 2001:db8::3) is in node1's namespace: it pings from there.
        const v6 = await ping("node1", "2001:db8::2");
        assertEquals(v6.code, 0, v6.stdout + v6.stderr);
        assertMatch(
          await sh("ip", "-n", `clab-${lab}-node1`, "-6", "addr", "show", "dev", "eth2"),
          /2001:db8::3\/64/,
        );
        const none = await ping("node3", "10.0.0.2");
        assertEquals(none.code, 2, "node3 has no namespace of its own");
        // containerlab's MTU on both ends of a link.
        for (const node of ["node1", "node2"]) {
          assertMatch(
            await sh("ip", "-n", `clab-${lab}-${node}`, "link", "show", "eth1"),
            / mtu 9500 /,
          );
        }
      }
    } finally {
      for (const file of files) {
        const down = await netkit(["down", file]);
        assertEquals(down.code, 0, down.stderr);
      }
      await Deno.remove(tmp, { recursive: true });
    }
    await assertHostUnchanged(before, "after two topologies with the same node names");
  },
);
