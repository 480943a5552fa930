/**
 * An IPv6 lab's proofs wait for its links to be operationally up: a fresh veth end whose carrier
 * event still waits in the kernel's link watch is up with a carrier but operationally down, and
 * its IPv6 is not ready (no link-local address, neighbour solicitations unanswered).
 *
 * @module
 */
import { assertEquals } from "../helpers/assert.ts";
import { RecordingRunner } from "../../lib/exec/runner.ts";
import { type IpLink, linksNotYetUp, linksSettled } from "../../lib/check/net_probes.ts";

const link = (ifname: string, operstate: string, ...flags: string[]): IpLink => ({
  ifname,
  operstate,
  flags,
});
const LO = link("lo", "UNKNOWN", "LOOPBACK", "UP", "LOWER_UP");
const LAGGING = link("left", "DOWN", "BROADCAST", "MULTICAST", "UP", "LOWER_UP");
const SETTLED = link("left", "UP", "BROADCAST", "MULTICAST", "UP", "LOWER_UP");

Deno.test("only a link up with a carrier but operationally down is not yet up", () => {
  assertEquals(
    linksNotYetUp([
      LO,
      LAGGING,
      SETTLED,
      link("tap1", "UNKNOWN", "BROADCAST", "MULTICAST", "PROMISC", "UP", "LOWER_UP"), // OVS port
      link("eth1", "LOWERLAYERDOWN", "NO-CARRIER", "BROADCAST", "MULTICAST", "UP"), // peer down
      link("eth2", "DOWN", "BROADCAST", "MULTICAST"), // set down on purpose
    ]),
    ["left"],
  );
});

Deno.test("linksSettled asks the namespace again until its links are up", async () => {
  let asked = 0;
  const runner = new RecordingRunner((argv) => {
    if (argv.join(" ") !== "ip -n n2 -j link show") return undefined;
    const links = ++asked < 3 ? [LO, LAGGING] : [LO, SETTLED];
    return { code: 0, stdout: JSON.stringify(links), stderr: "" };
  });
  assertEquals(await linksSettled("n2", runner, 5_000), []);
  assertEquals(asked, 3);
});

Deno.test("linksSettled gives up after its time and names what is still down", async () => {
  const runner = new RecordingRunner(() => ({
    code: 0,
    stdout: JSON.stringify([LO, LAGGING]),
    stderr: "",
  }));
  const started = performance.now();
  assertEquals(await linksSettled("n2", runner, 100), ["left"]);
  const took = performance.now() - started;
  assertEquals(took >= 100 && took < 2_000, true, `took ${took} ms`);
});
