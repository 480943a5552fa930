/**
 * The one ping (lib/check/ping.ts) as a proof, the reachability matrix and a script's lab run
 * it: the same argv, the same reading of its outcome, the same addresses of a node.
 *
 * @module
 */
import { assertEquals } from "../helpers/assert.ts";
import { RecordingRunner, type RunResult } from "../../lib/exec/runner.ts";
import { ping } from "../../lib/check/proof.ts";
import { pingAll } from "../../lib/check/pingall.ts";
import { pingMatrix, pingOnce } from "../../lib/session_ping.ts";
import type { Host } from "../../lib/host.ts";
import type { Lab } from "../../lib/lab/schema.ts";

/** `ip -j addr show` of each node: `a` has IPv4, `b` only a global IPv6 address. */
const ADDRS: Record<string, unknown[]> = {
  a: [
    { ifname: "lo", addr_info: [{ family: "inet", local: "127.0.0.1", scope: "host" }] },
    {
      ifname: "eth0",
      addr_info: [
        { family: "inet6", local: "fe80::1", scope: "link" },
        { family: "inet6", local: "2001:db8::a", scope: "global" },
        { family: "inet", local: "10.0.0.1", scope: "global" },
      ],
    },
  ],
  b: [{
    ifname: "eth0",
    addr_info: [
      { family: "inet6", local: "fe80::2", scope: "link" },
      { family: "inet6", local: "2001:db8::b", scope: "global" },
    ],
  }],
};

const REPLY = "--- x ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, " +
  "time 0ms\nrtt min/avg/max/mdev = 0.052/0.052/0.052/0.000 ms\n";

/** A runner whose nodes have {@link ADDRS} and answer every ping, 10.0.0.1 excepted. */
function labRunner(): RecordingRunner {
  return new RecordingRunner((argv): RunResult | undefined => {
    const ns = argv[1]?.replace("--net=/run/netns/", "") ?? "";
    if (argv.includes("addr")) return { code: 0, stdout: JSON.stringify(ADDRS[ns]), stderr: "" };
    if (argv.includes("ping")) {
      return argv.at(-1) === "10.0.0.1"
        ? { code: 1, stdout: "1 packets transmitted, 0 received, 100% packet loss\n", stderr: "" }
        : { code: 0, stdout: REPLY, stderr: "" };
    }
    return undefined;
  });
}

const pings = (runner: RecordingRunner) =>
  runner.commands.filter((c) => c.argv.includes("ping")).map((c) => c.argv.join(" "));

Deno.test("a script's ping, a proof's ping and pingall run the same ping", async () => {
  const runner = labRunner();
  const once = await pingOnce(runner, "a", "2001:db8::b");
  await ping("a", "2001:db8::b", true, runner);
  const host = { runner } as unknown as Host;
  await pingAll(host, { name: "l", nodes: { a: {}, b: {} } } as unknown as Lab);
  const want = "nsenter --net=/run/netns/a ping -n -q -t 255 -c 1 -i 0.2 -w 2 2001:db8::b";
  assertEquals(pings(runner).filter((p) => p.startsWith("nsenter --net=/run/netns/a")), [
    want,
    want,
    want,
  ]);
  assertEquals(once, {
    from: "a",
    to: "2001:db8::b",
    address: "2001:db8::b",
    reached: true,
    rttMs: 0.052,
  });
});

Deno.test("pingOnce() pings a node at its IPv4 address, else at its global IPv6 one", async () => {
  const runner = labRunner();
  assertEquals(await pingOnce(runner, "b", "a"), {
    from: "b",
    to: "a",
    address: "10.0.0.1",
    reached: false,
  });
  assertEquals((await pingOnce(runner, "a", "b")).address, "2001:db8::b");
});

Deno.test("pingMatrix() takes in a node that has only IPv6", async () => {
  const m = await pingMatrix(labRunner(), ["a", "b", "c"]);
  assertEquals(m.nodes, ["a", "b"]);
  assertEquals(m.matrix.a?.b, true);
  assertEquals(m.matrix.b?.a, false);
  assertEquals(m.lossPercent, 50);
});
