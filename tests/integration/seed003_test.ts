/**
 * Seed 003's labs on the real kernel: `router` (Linux bridges, router namespace with SNAT and
 * dnsmasq, DHCP guest, simulated upstream), `ovs-patch`, `ovs-vlan` and `ovs-dhcp` (netkit's
 * private OVS, userspace datapath). Each is built, proved (every check PASS), removed, and the
 * host is exactly as before; each `--dry-run` prints the seed's key command and changes nothing.
 *
 * Run as root: `deno test -A tests/integration/seed003_test.ts`.
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

useTestState("seed003");
const P = "t3-";
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };

/** The host is exactly as before: every namespace, link, route, rule, sysctl and daemon. */
const assertNoTrace = assertHostUnchanged;

/** Extra assertions made while a recipe's lab is up. */
const whileUp: Record<string, (stdout: string) => Promise<void>> = {
  router: async () => {
    // Forwarding is on inside the router, and the SNAT rule lives there (not on the host).
    assertEquals(
      (await sh("ip", "netns", "exec", `${P}rt`, "sysctl", "-n", "net.ipv4.ip_forward")).trim(),
      "1",
    );
    assertMatch(
      await sh("ip", "netns", "exec", `${P}rt`, "iptables", "-t", "nat", "-S", "POSTROUTING"),
      /-s 10\.0\.0\.0\/24 ! -d 10\.0\.0\.0\/24 .*-j SNAT --to-source 192\.168\.100\.11/,
    );
    assert(!/netkit:/.test(await sh("iptables-save")), "a netkit rule in the host's firewall");
    // vm2's address came from dnsmasq's range, with rt as its gateway.
    const addr = await sh("ip", "-n", `${P}vm2`, "-4", "-o", "addr", "show", "dev", "eth0");
    assertMatch(addr, /inet 10\.0\.0\.(15[1-9]|160)\/24/);
    assertMatch(await sh("ip", "-n", `${P}vm2`, "route", "show", "default"), /via 10\.0\.0\.254/);
  },
  "ovs-vlan": async (stdout) => {
    // The untag probe put vif1's tag back.
    const db = /OVS: \w+ \((unix:[^)]+)\)/.exec(stdout)?.[1];
    assert(db, `no OVS database named in:\n${stdout}`);
    assertEquals(
      (await sh("ovs-vsctl", `--db=${db}`, "get", "port", `${P}vif1`, "tag")).trim(),
      "10",
    );
  },
  "ovs-dhcp": async () => {
    const addr = await sh("ip", "-n", `${P}g1`, "-4", "-o", "addr", "show", "dev", "eth0");
    assertMatch(addr, /inet 10\.0\.4\.(1[1-9]|20)\/24/);
  },
};

/** What each recipe's output must show beyond "every check PASS". */
const proofs: Record<string, RegExp[]> = {
  router: [
    /PASS t3-vm2\/eth0 holds a lease in 10\.0\.0\.151-10\.0\.0\.160/,
    /router 10\.0\.0\.254/,
    /PASS t3-vm1 -> 10\.0\.0\.254 reachable/,
    /PASS t3-vm1 -> 192\.168\.100\.1 reachable/,
    /PASS t3-vm2 -> 192\.168\.100\.1 reachable/,
    /PASS t3-rt -> 192\.168\.100\.1 reachable/,
    /PASS t3-wan sees t3-vm1's packets to 192\.168\.100\.1 from 192\.168\.100\.11/,
    /PASS t3-wan sees t3-vm2's packets to 192\.168\.100\.1 from 192\.168\.100\.11/,
    /PASS dnsmasq in t3-rt listens on UDP port 67/,
  ],
  "ovs-patch": [/PASS t3-h0 -> 10\.0\.5\.2 reachable/, /PASS t3-h1 -> 10\.0\.5\.1 reachable/],
  "ovs-vlan": [
    /PASS t3-h1 -> 10\.0\.6\.2 reachable/,
    /PASS t3-h1 -> 10\.0\.6\.3 unreachable/,
    /PASS t3-h1 -> 10\.0\.6\.4 unreachable/,
    /PASS t3-h3 -> 10\.0\.6\.4 unreachable/,
    /PASS after "ovs-vsctl remove port t3-vif1 tag 10": t3-h1 -> 10\.0\.6\.4 reachable/,
  ],
  "ovs-dhcp": [
    /PASS t3-g1\/eth0 holds a lease in 10\.0\.4\.11-10\.0\.4\.20/,
    /lease time 86400s/,
    /PASS dnsmasq in t3-r0 listens on UDP port 67 \(rif0\)/,
  ],
};

for (const name of ["router", "ovs-patch", "ovs-vlan", "ovs-dhcp"]) {
  Deno.test(`recipe ${name} comes up, every check passes, down leaves no trace`, opts, async () => {
    const before = await snapshot();
    try {
      const up = await netkit(["recipe", name, "--prefix", P]);
      assertEquals(up.code, 0, up.stderr + up.stdout);
      const checks = up.stdout.split("\n").filter((l) => /^(PASS|FAIL) /.test(l));
      assert(checks.length > 0, `no check lines in:\n${up.stdout}`);
      assert(checks.every((l) => l.startsWith("PASS ")), up.stdout);
      for (const re of proofs[name]!) assertMatch(up.stdout, re);
      await whileUp[name]?.(up.stdout);
    } finally {
      const down = await netkit(["down", `${P}${name}`]);
      // "Removed lab", or "not up" when a failed bring-up already rolled itself back.
      assertEquals(down.code, 0, down.stderr + down.stdout);
    }
    await assertNoTrace(before, `after recipe ${name} and down`);
  });
}

/** What each recipe's --dry-run must print. */
const dryRun: Record<string, RegExp[]> = {
  router: [
    /^ip netns exec t3-rt iptables -w -t nat -A POSTROUTING -s 10\.0\.0\.0\/24 '!' -d 10\.0\.0\.0\/24 .*-j SNAT --to-source 192\.168\.100\.11$/m,
    /^ip netns exec t3-rt sysctl -q -w net\.ipv4\.ip_forward=1$/m,
    /^ip netns exec t3-rt dnsmasq .*--dhcp-range=10\.0\.0\.151,10\.0\.0\.160,.*--dhcp-option=option:router,10\.0\.0\.254/m,
    /^ip -n t3-rt link set dev link-in-rt name eth0$/m,
    /^ip -n t3-rt link set dev link-ex-rt name eth1$/m,
    /^ip netns exec t3-vm2 busybox udhcpc -i eth0 /m,
  ],
  "ovs-patch": [
    /^ip link add name t3-s0 numtxqueues 1 numrxqueues 1 type veth peer name t3-s1 numtxqueues 1 numrxqueues 1$/m,
    /^ovs-vsctl .*add-port t3-br0 t3-s0\b/m,
    /^ovs-vsctl .*add-port t3-br1 t3-s1\b/m,
  ],
  "ovs-vlan": [
    /^ovs-vsctl .*add-port t3-br0 t3-vif1 tag=10\b/m,
    /^ovs-vsctl .*add-port t3-br0 t3-vif2 tag=10\b/m,
    /^ovs-vsctl .*add-port t3-br0 t3-vif3 tag=20\b/m,
    /^ovs-vsctl .*add-port t3-br0 t3-vif4 -- /m,
  ],
  "ovs-dhcp": [
    /^ip netns exec t3-r0 dnsmasq .*--interface=rif0 .*--dhcp-range=10\.0\.4\.11,10\.0\.4\.20,86400\b/m,
    /^ip -n t3-r0 addr add 10\.0\.4\.1\/24 dev rif0$/m,
    /^ovs-vsctl .*add-port t3-br-in t3-sif0\b/m,
  ],
};

for (const name of ["router", "ovs-patch", "ovs-vlan", "ovs-dhcp"]) {
  Deno.test(
    `recipe ${name} --dry-run prints the seed's commands and changes nothing`,
    opts,
    async () => {
      const before = await snapshot();
      const r = await netkit(["recipe", name, "--prefix", P, "--dry-run"]);
      assertEquals(r.code, 0, r.stderr);
      for (const re of dryRun[name]!) assertMatch(r.stdout, re);
      // Forwarding is never set in the root namespace.
      assert(
        !r.stdout.split("\n").some((l) => /^sysctl .*ip_forward/.test(l)),
        `root-namespace ip_forward in:\n${r.stdout}`,
      );
      await assertNoTrace(before, `after recipe ${name} --dry-run`);
    },
  );
}
