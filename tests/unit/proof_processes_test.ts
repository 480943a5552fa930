/**
 * The processes a proof starts and stops itself (the TCP proof's listener, the SNAT proof's
 * tcpdump) are bounded by `timeout`, so that one cannot outlive a netkit killed mid-proof and keep
 * a lab's namespace alive after `down`.
 *
 * @module
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { RecordingRunner } from "../../lib/exec/runner.ts";
import { BOUNDED, tcpReach } from "../../lib/check/net_probes.ts";

Deno.test("the TCP proof's listener runs under timeout", async () => {
  let ssCalls = 0;
  const runner = new RecordingRunner((argv) =>
    argv.includes("ss") && ssCalls++ > 0
      ? { code: 0, stdout: "LISTEN 0 1 0.0.0.0:8080 0.0.0.0:*\n", stderr: "" }
      : undefined
  );
  const r = await tcpReach({
    tcp: { from: "a", to: "10.0.0.2", port: 8080, listen: "b" },
    reach: true,
  }, runner);
  assert(r.pass, r.evidence);
  const spawned = runner.commands.filter((c) => c.spawned);
  assertEquals(spawned.length, 1);
  assertEquals(
    spawned[0]!.argv.join(" "),
    `ip netns exec b ${BOUNDED.join(" ")} busybox nc -l -p 8080 -e true`,
  );
});
