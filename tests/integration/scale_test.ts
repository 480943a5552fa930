/**
 * What issue 13 changed, on the real kernel (root): a lab of many namespaces prints a summary
 * after `up`, `status LAB` the full table, `--json` everything; no interface a lab without IPv6
 * creates has an IPv6 link-local address; a ping proof passes on its first reply, fails within
 * its deadline on a broken path, and an unreachable proof fails when the path works. Every name
 * starts with t13-.
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
import { withTempDir } from "../helpers/temp.ts";
import { PING_DEADLINE_S } from "../../lib/check/probes.ts";

useTestState("scale");
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };

function withLabFile(text: string, fn: (file: string) => Promise<void>): Promise<void> {
  return withTempDir("netkit-t13-", async (dir) => {
    await Deno.writeTextFile(`${dir}/lab.yaml`, text);
    await fn(`${dir}/lab.yaml`);
  });
}

/** The IPv6 addresses on `dev` (in namespace `ns`, or the root namespace). */
async function ipv6Of(dev: string, ns?: string): Promise<string[]> {
  const argv = ns === undefined ? ["ip"] : ["ip", "-n", ns];
  const out = await sh(...argv, "-j", "-6", "addr", "show", "dev", dev);
  const links = JSON.parse(out || "[]") as { addr_info?: { local: string }[] }[];
  return links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local));
}

Deno.test(
  "30 namespaces: up prints a summary, status the full table, --json all; no IPv6 link-local",
  opts,
  async () => {
    const before = await snapshot();
    const lab = "name: t13-star\ngenerate:\n  - star: { prefix: t13-, count: 30, bridge: linux }\n";
    await withLabFile(lab, async (file) => {
      try {
        const up = await netkit(["up", file]);
        assertEquals(up.code, 0, up.stdout + up.stderr);
        assertMatch(up.stdout, /^Lab t13-star: 30 namespaces, 30 veth pairs, 1 bridge:$/m);
        assertMatch(up.stdout, /^ {2}t13-br \(Linux bridge\): 30 ports$/m);
        assertMatch(up.stdout, /netkit status t13-star/);
        assertMatch(up.stdout, /^PASS t13-h1 -> 10\.50\.0\.30 reachable$/m);
        assert(!/t13-h17/.test(up.stdout), `no table row per namespace:\n${up.stdout}`);

        const status = await netkit(["status", "t13-star"]);
        assertEquals(status.code, 0, status.stderr);
        for (let i = 1; i <= 30; i++) {
          assertMatch(
            status.stdout,
            new RegExp(`│ t13-h${i} +│ eth0 +│ up +│ 10\\.50\\.0\\.${i}/16`),
          );
        }
        const json = await netkit(["status", "t13-star", "--json"]);
        const s = JSON.parse(json.stdout) as { nodes: unknown[]; bridges: { ports: unknown[] }[] };
        assertEquals(s.nodes.length, 30);
        assertEquals(s.bridges[0]!.ports.length, 30);

        // No interface the lab made has an IPv6 address: not inside, not on the root side.
        for (const i of [1, 17, 30]) {
          assertEquals(await ipv6Of("eth0", `t13-h${i}`), [], `t13-h${i} eth0`);
          assertEquals(await ipv6Of(`t13-h${i}-p`), [], `t13-h${i}-p`);
        }
        assertEquals(await ipv6Of("t13-br"), [], "t13-br");
      } finally {
        const down = await netkit(["down", "t13-star"]);
        assertEquals(down.code, 0, down.stderr);
      }
    });
    await assertHostUnchanged(before, "after down");
  },
);

Deno.test(
  "ping proofs: a broken path fails within the deadline, a working one fails reach: false",
  opts,
  async () => {
    const before = await snapshot();
    // t13-c sits on the bridge in another subnet: t13-a has no route to it
    const lab = `name: t13-proofs
nodes:
  t13-a: { interfaces: { eth0: { addresses: [10.77.0.1/24] } } }
  t13-b: { interfaces: { eth0: { addresses: [10.77.0.2/24] } } }
  t13-c: { interfaces: { eth0: { addresses: [10.77.1.3/24] } } }
bridges:
  t13-pbr: { type: linux }
links:
  - endpoints: [t13-a:eth0, t13-pbr:t13-a-p]
  - endpoints: [t13-b:eth0, t13-pbr:t13-b-p]
  - endpoints: [t13-c:eth0, t13-pbr:t13-c-p]
expect:
  - ping: { from: t13-a, to: 10.77.0.2 }
  - ping: { from: t13-a, to: 10.77.0.9 }
  - ping: { from: t13-a, to: 10.77.0.2 }
    reach: false
  - ping: { from: t13-a, to: 10.77.1.3 }
    reach: false
`;
    await withLabFile(lab, async (file) => {
      try {
        const up = await netkit(["up", file, "--json"]);
        assertEquals(up.code, 1, up.stdout + up.stderr);
        const { checks } = JSON.parse(up.stdout) as {
          checks: { name: string; pass: boolean; evidence: string }[];
        };
        assertEquals(checks.map((c) => [c.name, c.pass]), [
          ["t13-a -> 10.77.0.2 reachable", true],
          ["t13-a -> 10.77.0.9 reachable", false],
          ["t13-a -> 10.77.0.2 unreachable", false],
          ["t13-a -> 10.77.1.3 unreachable", true],
        ]);
        // the working path: the first probe's reply ends the proof
        assertMatch(checks[0]!.evidence, /^1 packets transmitted, 1 received/);
        // the broken path: probes every 0.2 s until the deadline, none answered
        const broken = /(\d+) packets transmitted, 0 received.*time (\d+)ms/.exec(
          checks[1]!.evidence,
        );
        assert(broken, checks[1]!.evidence);
        assert(Number(broken[1]) >= 5, checks[1]!.evidence);
        assert(Number(broken[2]) <= PING_DEADLINE_S.reachable * 1000, checks[1]!.evidence);
        // reach: false on a working path sees the replies, and says so
        assertMatch(checks[2]!.evidence, /[1-9]\d* received/);
      } finally {
        const down = await netkit(["down", "t13-proofs"]);
        assertEquals(down.code, 0, down.stderr);
      }
    });
    await assertHostUnchanged(before, "after down");
  },
);
