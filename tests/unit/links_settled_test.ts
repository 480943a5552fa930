/**
 * A fresh veth end whose carrier event still waits in the kernel's link watch is up with a
 * carrier but operationally down, and its IPv6 is not ready (no link-local address, neighbour
 * solicitations unanswered): an IPv6 lab's proof that failed runs once more after every node's
 * links are up. An IPv4 lab's failed proof is not run again, and a passing lab asks no node.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { RecordingRunner } from "../../lib/exec/runner.ts";
import { type IpLink, linksNotYetUp, linksSettled } from "../../lib/check/net_probes.ts";
import { checkLab, resolveHost, validateLab } from "../../mod.ts";

const link = (ifname: string, operstate: string, ...flags: string[]): IpLink => ({
  ifname,
  operstate,
  flags,
});
const LO = link("lo", "UNKNOWN", "LOOPBACK", "UP", "LOWER_UP");
const LAGGING = link("left", "DOWN", "BROADCAST", "MULTICAST", "UP", "LOWER_UP");
const SETTLED = link("left", "UP", "BROADCAST", "MULTICAST", "UP", "LOWER_UP");
const LINKS_OF = (ns: string) => `nsenter --net=/run/netns/${ns} ip -j link show`;
const json = (links: IpLink[]) => ({ code: 0, stdout: JSON.stringify(links), stderr: "" });

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
  const runner = new RecordingRunner((argv) =>
    argv.join(" ") === LINKS_OF("n2")
      ? json(++asked < 3 ? [LO, LAGGING] : [LO, SETTLED])
      : undefined
  );
  assertEquals(await linksSettled("n2", runner, 5_000), []);
  assertEquals(asked, 3);
});

Deno.test("linksSettled gives up after its time and names what is still down", async () => {
  const runner = new RecordingRunner(() => json([LO, LAGGING]));
  const started = performance.now();
  assertEquals(await linksSettled("n2", runner, 100), ["left"]);
  const took = performance.now() - started;
  assert(took >= 100 && took < 2_000, `took ${took} ms`);
});

/** Two nodes on one veth, addresses of `family`, and one ping from a to b. */
function pair(family: 4 | 6) {
  const [a, b] = family === 6
    ? ["2001:db8::1/64", "2001:db8::2/64"]
    : ["10.0.0.1/24", "10.0.0.2/24"];
  return validateLab({
    name: "pair",
    nodes: {
      a: { interfaces: { right: { addresses: [a] } } },
      b: { interfaces: { left: { addresses: [b] } } },
    },
    links: [{ endpoints: ["a:right", "b:left"] }],
    expect: [{ ping: { from: "a", to: b.split("/")[0]! } }],
  });
}

/** A runner whose pings answer from the `answersFrom`-th on, and whose links settle late. */
function network(answersFrom: number) {
  let pings = 0, asked = 0;
  const runner = new RecordingRunner((argv) => {
    if (argv.includes("ping")) {
      const got = ++pings >= answersFrom ? 1 : 0;
      return { code: got ? 0 : 1, stdout: `1 packets transmitted, ${got} received\n`, stderr: "" };
    }
    if (argv.join(" ") === LINKS_OF("b")) return json(++asked < 2 ? [LO, LAGGING] : [LO, SETTLED]);
    return undefined;
  });
  return { runner, pings: () => pings, asked: () => asked };
}

Deno.test("an IPv6 lab's failed proof runs again once every node's links are up", async () => {
  const net = network(2);
  const [r] = await checkLab(pair(6), {
    host: resolveHost({ runner: net.runner }),
    stateDir: "/nonexistent",
  });
  assert(r!.pass, r!.evidence);
  assertMatch(r!.evidence, /tried again once the lab's links were up/);
  assertEquals([net.pings(), net.asked()], [2, 2]);
  const order = net.runner.commands.map((c) => c.argv.includes("ping") ? "ping" : c.argv.at(-2));
  assertEquals(order.indexOf("link") > order.indexOf("ping"), true, order.join(" "));
  assertEquals(order.lastIndexOf("ping") > order.lastIndexOf("link"), true, order.join(" "));
});

Deno.test("a lab whose proofs pass, or an IPv4 lab, asks no node about its links", async () => {
  for (const [family, answersFrom, pass] of [[6, 1, true], [4, 2, false]] as const) {
    const net = network(answersFrom);
    const [r] = await checkLab(pair(family), {
      host: resolveHost({ runner: net.runner }),
      stateDir: "/nonexistent",
    });
    assertEquals(r!.pass, pass, r!.evidence);
    assertEquals([net.pings(), net.asked()], [1, 0], `IPv${family}`);
  }
});
