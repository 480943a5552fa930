/**
 * `netkit test` on the real kernel (root): proofs of every kind reported as JUnit XML and TAP
 * (parsed as a CI system parses them), exit 0/1, and `--up` removing the lab afterwards also when
 * a proof fails or netkit is interrupted. Then the router story of docs/impairments.md: the lossy
 * router example tested for CI, its capture showing SNAT from upstream, its uplink measured at its rate.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { assertHostUnchanged, isRoot, netkit, snapshot, useTestState } from "../helpers/host.ts";
import { throughputMbps, waitFor } from "../helpers/measure.ts";
import { parseJunit } from "../helpers/junit.ts";
import { parseTap } from "../helpers/tap.ts";
import { echoes, ipv4PacketsOf } from "../helpers/frames.ts";
import { withTempDir } from "../helpers/temp.ts";

const stateDir = useTestState("testcmd");
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const EXAMPLE = new URL("../../examples/labs/router-lossy.yaml", import.meta.url).pathname;

const LAB = (extra = "") =>
  `name: t15-t
nodes:
  t15-ta:
    interfaces:
      eth0: { addresses: [10.15.7.1/24] }
    routes:
      - { to: 10.15.8.0/24, via: 10.15.7.2 }
  t15-tb:
    interfaces:
      eth0: { addresses: [10.15.7.2/24] }
links:
  - endpoints: [t15-ta:eth0, t15-tb:eth0]
expect:
  - ping: { from: t15-ta, to: 10.15.7.2 }
  - ping: { from: t15-ta, to: 10.15.9.1 }
    reach: false
  - tcp: { from: t15-ta, to: 10.15.7.2, port: 8080, listen: t15-tb }
  - tcp: { from: t15-ta, to: 10.15.7.2, port: 8081 }
    reach: false
  - route: { node: t15-ta, to: 10.15.8.0/24, via: 10.15.7.2, dev: eth0 }
  - link: { node: t15-tb, interface: eth0 }
    within: 5s
${extra}`;

/** A directory for the test's files; the lab is removed afterwards, whatever happened. */
function withFiles(fn: (dir: string) => Promise<void>): Promise<void> {
  return withTempDir("netkit-t15-", async (dir) => {
    try {
      await fn(dir);
    } finally {
      await netkit(["down", "t15-t"]);
    }
  });
}

Deno.test(
  "test --up --junit: every proof a passing test case, the lab removed afterwards",
  opts,
  async () => {
    const before = await snapshot();
    await withFiles(async (dir) => {
      await Deno.writeTextFile(`${dir}/t.yaml`, LAB());
      const r = await netkit(["test", `${dir}/t.yaml`, "--up", "--junit", `${dir}/report.xml`]);
      assertEquals(r.code, 0, r.stdout + r.stderr);
      assertMatch(r.stdout, /PASSED: 6 of 6 proof\(s\) of lab t15-t passed/);
      assertMatch(r.stdout, /Removed lab t15-t/);
      const suite = parseJunit(await Deno.readTextFile(`${dir}/report.xml`)).testsuites
        .testsuite[0]!;
      assertEquals(suite.tests, "6");
      assertEquals(suite.failures, "0");
      assertEquals(suite.testcase.map((c) => c.name), [
        "t15-ta -> 10.15.7.2 reachable",
        "t15-ta -> 10.15.9.1 unreachable",
        "t15-ta -> 10.15.7.2:8081 (TCP) unreachable",
        "t15-ta has a route to 10.15.8.0/24 via 10.15.7.2 dev eth0",
        "t15-tb/eth0 is up (within 5s)",
        "t15-ta -> 10.15.7.2:8080 (TCP) reachable, listener in t15-tb",
      ]);
      assert(suite.testcase.every((c) => c.failure === undefined && c["system-out"]));
      assertMatch(suite.testcase[5]!["system-out"]!, /connected from t15-ta to 10\.15\.7\.2:8080/);
      assertMatch(suite.testcase[2]!["system-out"]!, /Connection refused/);
    });
    await assertHostUnchanged(before, "after test --up");
  },
);

Deno.test(
  "test --up: a failing proof is exit 1, reported in JUnit and TAP, and the lab is removed",
  opts,
  async () => {
    const before = await snapshot();
    await withFiles(async (dir) => {
      await Deno.writeTextFile(
        `${dir}/t.yaml`,
        LAB(
          "  - ping: { from: t15-ta, to: 10.15.7.99 }\n  - link: { node: t15-ta, interface: eth0, state: down }\n",
        ),
      );
      const r = await netkit(["test", `${dir}/t.yaml`, "--up", "--tap", "--junit", `${dir}/r.xml`]);
      assertEquals(r.code, 1, r.stdout + r.stderr);
      const tap = parseTap(r.stdout);
      assertEquals(tap.plan, 8);
      assertEquals(tap.points.filter((p) => !p.ok).map((p) => p.description), [
        "t15-ta -> 10.15.7.99 reachable",
        "t15-ta/eth0 is down",
      ]);
      assertMatch(String(tap.points.find((p) => !p.ok)!.diagnostics.evidence), /0 received/);
      assertMatch(r.stderr, /JUnit report: /);
      assertMatch(r.stderr, /2 of 8 proof\(s\) failed/);
      const suite = parseJunit(await Deno.readTextFile(`${dir}/r.xml`)).testsuites.testsuite[0]!;
      assertEquals(suite.failures, "2");
      assertEquals(suite.testcase.filter((c) => c.failure).length, 2);
    });
    await assertHostUnchanged(before, "after a failing test --up");
  },
);

Deno.test(
  "test --up interrupted by SIGTERM: the lab is removed and the report names the interruption",
  opts,
  async () => {
    const before = await snapshot();
    await withFiles(async (dir) => {
      // A proof that keeps failing for a minute: the test is still running when the signal comes.
      await Deno.writeTextFile(
        `${dir}/t.yaml`,
        LAB("  - ping: { from: t15-ta, to: 10.15.7.99 }\n    within: 60s\n"),
      );
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--no-check",
          MAIN,
          "test",
          `${dir}/t.yaml`,
          "--up",
          "--junit",
          `${dir}/r.xml`,
        ],
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const up = await waitFor(
        async () =>
          (await Deno.readTextFile(`${stateDir}/labs/t15-t/lab.json`).catch(() => "")).includes(
            '"up"',
          ),
        30_000,
      );
      assert(up, "the lab came up");
      child.kill("SIGTERM");
      const out = await child.output();
      assertEquals(out.code, 143, new TextDecoder().decode(out.stderr));
      const suite = parseJunit(await Deno.readTextFile(`${dir}/r.xml`)).testsuites.testsuite[0]!;
      assertEquals(suite.testcase.at(-1)!.error?.message, "interrupted by SIGTERM");
      assertEquals(
        await Deno.stat(`${stateDir}/labs/t15-t`).catch(() => undefined),
        undefined,
      );
    });
    await assertHostUnchanged(before, "after an interrupted test --up");
  },
);

Deno.test(
  "test LAB runs the proofs of a lab that is up; bad input is exit 2 and changes nothing",
  opts,
  async () => {
    const before = await snapshot();
    await withFiles(async (dir) => {
      const file = `${dir}/t.yaml`;
      await Deno.writeTextFile(file, LAB());
      for (
        const [args, re] of [
          [["test", file, "--junit", "/nonexistent-dir/r.xml", "--up"], /not a directory/],
          [["test", file], /Lab "t15-t" is not up[\s\S]*--up/],
          [["test", "t15-nolab"], /Lab "t15-nolab" is not up/],
          [["test", file, "--up", "--tap", "--json"], /choose one/],
        ] as const
      ) {
        const r = await netkit([...args]);
        assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
        assertMatch(r.stderr, re);
      }
      await assertHostUnchanged(before, "after refused tests");
      assertEquals((await netkit(["up", file, "--no-check"])).code, 0);
      const json = await netkit(["test", "t15-t", "--json"]);
      assertEquals(json.code, 0, json.stderr);
      const result = JSON.parse(json.stdout) as { lab: string; results: { pass: boolean }[] };
      assertEquals(result.results.length, 6);
      assert(result.results.every((x) => x.pass));
      const again = await netkit(["test", file, "--up"]);
      assertEquals(again.code, 2);
      assertMatch(again.stderr, /already up: --up would remove it/);
      const byName = await netkit(["test", "t15-t", "--up"]);
      assertEquals(byName.code, 2);
      assertMatch(byName.stderr, /--up needs a lab file/);
      // The lab that was up before is still up: --up never removes what it did not bring up.
      assertEquals((await netkit(["status", "t15-t"])).code, 0);
    });
    await assertHostUnchanged(before, "after test LAB and down");
  },
);

Deno.test(
  "the router-lossy example: CI proofs pass, wan's capture shows SNAT, the uplink runs at its rate",
  opts,
  async () => {
    const before = await snapshot();
    const pcap = `${stateDir}/captures/router-lossy/rl-wan/eth0.pcap`;
    await withTempDir("netkit-t15-", async (dir) => {
      try {
        // What a CI job runs: one command, a JUnit report, nothing left but the capture.
        const ci = await netkit(["test", EXAMPLE, "--up", "--junit", `${dir}/report.xml`]);
        assertEquals(ci.code, 0, ci.stdout + ci.stderr);
        const suite = parseJunit(await Deno.readTextFile(`${dir}/report.xml`)).testsuites
          .testsuite[0]!;
        assertEquals(suite.failures, "0");
        const names = suite.testcase.map((c) => c.name);
        for (
          const re of [
            /^rl-vm2\/eth0 holds a lease in 10\.0\.0\.151-10\.0\.0\.160/,
            /^rl-wan sees rl-vm1's packets to 192\.168\.100\.1 from 192\.168\.100\.11$/,
            /^rl-wan sees rl-vm2's packets to 192\.168\.100\.1 from 192\.168\.100\.11$/,
            /^rl-vm1 -> 192\.168\.100\.1:80 \(TCP\) reachable, listener in rl-wan/,
          ]
        ) assert(names.some((n) => re.test(n)), `no test case ${re} in:\n${names.join("\n")}`);

        // The capture on wan, kept after the lab went: every echo request came from rt's address.
        const packets = await ipv4PacketsOf(pcap);
        const requests = packets.filter((p) => p.icmpType === 8 && p.dst === "192.168.100.1");
        assert(requests.length >= 4, `${requests.length} echo requests captured`);
        assertEquals([...new Set(requests.map((p) => p.src))], ["192.168.100.11"]);
        assert(echoes(packets, "192.168.100.11", "192.168.100.1").replies > 0);

        // By hand: up, the uplink without loss measured at its rate through SNAT, down.
        const upByHand = await netkit(["up", EXAMPLE, "--no-check"]);
        assertEquals(upByHand.code, 0, upByHand.stderr);
        for (const end of ["rl-rt:eth1", "rl-wan:eth0"]) {
          const r = await netkit(["impair", "router-lossy", end, "--rate", "10mbit"]);
          assertEquals(r.code, 0, r.stderr);
        }
        const mbit = await throughputMbps("rl-vm1", "rl-wan", "192.168.100.1");
        assert(
          mbit >= 8 && mbit <= 12,
          `vm1 -> wan through rt: ${mbit.toFixed(2)} Mbit/s, expected 10 ±20 %`,
        );
        const downByHand = await netkit(["down", EXAMPLE]);
        assertEquals(downByHand.code, 0, downByHand.stderr);
        const clean = await netkit(["clean"]);
        assertMatch(clean.stdout, /Removed 1 kept packet capture/);
      } finally {
        await netkit(["down", "router-lossy"]);
        await netkit(["clean"]);
      }
    });
    await assertHostUnchanged(before, "after the router-lossy example");
  },
);
