/**
 * The router recipe's real mode (`--uplink IFACE`), with a veth standing in for the NIC: netkit
 * runs inside a namespace of the test's own ("simhost", the host it believes it is on), whose
 * NIC leads to an "upstream" namespace holding the gateway 192.168.100.1. The machine's own eth0
 * is never involved.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { ProcessRunner, watchOutput } from "../../lib/exec/runner.ts";
import { assertHostUnchanged, isRoot, sh, snapshot, useTestState } from "../helpers/host.ts";

useTestState("uplink");
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };
const [HOST, UP, NIC] = ["t6-simhost", "t6-upstream", "t6-nic"];
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** What the simulated host's network looks like: its links, addresses and routes. */
async function simHost(): Promise<string> {
  const links = await sh("ip", "-n", HOST, "-br", "link");
  const addrs = await sh("ip", "-n", HOST, "-br", "-4", "addr");
  const routes = await sh("ip", "-n", HOST, "route");
  return [links.replace(/\s+\S+\s+<[^>]*>\s*$/gm, ""), addrs, routes].join("\n");
}

/** Runs netkit inside the simulated host's network namespace. */
async function netkitIn(args: string[]) {
  // nsenter switches only the network namespace: `ip netns exec` would also give netkit a mount
  // namespace of its own, where the lab namespaces it makes would not be visible to the test.
  const r = await new Deno.Command("nsenter", {
    args: [`--net=/run/netns/${HOST}`, Deno.execPath(), "run", "-A", "--no-check", MAIN, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

Deno.test(
  "router --uplink: the NIC and its address move to br-ex and back exactly",
  opts,
  async () => {
    const host = await snapshot();
    const setup = [
      ["netns", "add", HOST],
      ["netns", "add", UP],
      [
        "link",
        "add",
        "name",
        NIC,
        "netns",
        HOST,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        UP,
      ],
      ["-n", HOST, "link", "set", "dev", "lo", "up"],
      ["-n", HOST, "link", "set", "dev", NIC, "up"],
      ["-n", HOST, "addr", "add", "192.168.100.21/24", "dev", NIC],
      ["-n", HOST, "route", "add", "default", "via", "192.168.100.1"],
      ["-n", UP, "link", "set", "dev", "eth0", "up"],
      ["-n", UP, "addr", "add", "192.168.100.1/24", "dev", "eth0"],
    ];
    try {
      for (const args of setup) await sh("ip", ...args);
      const before = await simHost();
      assertMatch(before, /t6-nic\S* .*192\.168\.100\.21\/24/);
      try {
        const up = await netkitIn(["recipe", "router", "--prefix", "t6-", "--uplink", NIC]);
        assertEquals(up.code, 0, up.stderr + up.stdout);
        const checks = up.stdout.split("\n").filter((l) => /^(PASS|FAIL) /.test(l));
        assert(checks.length >= 5 && checks.every((l) => l.startsWith("PASS")), up.stdout);
        assertMatch(up.stdout, /t6-rt -> 192\.168\.100\.1 reachable/);
        // While up: the address and the default route are on br-ex, the NIC is its port.
        assertMatch(
          await sh("ip", "-n", HOST, "-br", "-4", "addr"),
          /t6-br-ex .*192\.168\.100\.21\/24/,
        );
        assertMatch(
          await sh("ip", "-n", HOST, "route"),
          /default via 192\.168\.100\.1 dev t6-br-ex/,
        );
        assertMatch(await sh("ip", "-n", HOST, "link", "show", "dev", NIC), /master t6-br-ex/);
        // The simulated host itself still reaches its gateway.
        const ping = await sh("ip", "netns", "exec", HOST, "ping", "-c1", "-W1", "192.168.100.1");
        assertMatch(ping, /1 received/);
        // The upstream sees the guests' traffic from the router's address only (SNAT).
        const cap = watchOutput(
          new ProcessRunner().spawn([
            ..."ip netns exec".split(" "),
            UP,
            ..."tcpdump -n -l -i eth0".split(" "),
            "icmp[icmptype] == icmp-echo",
          ]),
        );
        assert(await cap.ready(/listening on/, 5000), "tcpdump did not start");
        await sh(
          "ip",
          "netns",
          "exec",
          "t6-vm2",
          "ping",
          "-c2",
          "-i",
          "0.2",
          "-W1",
          "192.168.100.1",
        );
        await new Promise((r) => setTimeout(r, 300));
        const seen = await cap.stop();
        assertMatch(seen, /IP 192\.168\.100\.11 > 192\.168\.100\.1/);
        assert(!/IP 10\.0\.0\./.test(seen), seen);
      } finally {
        const down = await netkitIn(["down", "t6-router"]);
        assertEquals(down.code, 0, down.stderr);
      }
      // veth ends of deleted namespaces vanish asynchronously: give the kernel a moment.
      let after = await simHost();
      for (let i = 0; i < 40 && after !== before; i++) {
        await new Promise((r) => setTimeout(r, 50));
        after = await simHost();
      }
      assertEquals(after, before, "the simulated host is exactly as before");
    } finally {
      await sh("ip", "netns", "delete", UP);
      await sh("ip", "netns", "delete", HOST);
    }
    await assertHostUnchanged(host, "after the uplink test");
  },
);

Deno.test("--uplink is refused, with nothing changed, where it cannot apply", opts, async () => {
  const before = await snapshot();
  // Refused before anything changes, so the root namespace is only read.
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", MAIN, "recipe", "ovs-veth", "--uplink", "t6-none"],
    env: { NO_COLOR: "1" },
    stderr: "piped",
  }).output();
  assertEquals(r.code, 2);
  assertMatch(new TextDecoder().decode(r.stderr), /Recipe "ovs-veth" has no uplink/);
  const missing = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--no-check",
      MAIN,
      "recipe",
      "router",
      "--prefix",
      "t6-",
      "--uplink",
      "t6-none",
    ],
    env: { NO_COLOR: "1" },
    stderr: "piped",
  }).output();
  assertEquals(missing.code, 2);
  assertMatch(
    new TextDecoder().decode(missing.stderr),
    /uplink interface "t6-none" does not exist/,
  );
  await assertHostUnchanged(before, "after refused uplinks");
});
