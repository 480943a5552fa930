/**
 * OpenFlow flows, bonds, mirrors and QoS on the real private userspace OVS: each recipe comes up,
 * every proof passes (a flow's counter, traffic through a bond with either link down, a mirror's
 * copy seen by tcpdump, a shaped rate measured by iperf3), `status` shows the feature, and `down`
 * leaves the host as it was. The undo of each feature removes exactly the lab's object, not a
 * foreign flow or mirror beside it. Bad lab files exit 2 with FILE:LINE:COL and change nothing.
 *
 * Run as root, isolated: `nk-isolated deno test -A tests/integration/ovs_features_test.ts`.
 */
import { join } from "node:path";
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
import { Executor } from "../../lib/plan/executor.ts";
import { Journal } from "../../lib/plan/journal.ts";
import { readLabState, upLab } from "../../lib/lab/runtime.ts";
import { downLab } from "../../lib/lab/teardown.ts";
import { validateLab } from "../../lib/lab/validate.ts";
import { labDir } from "../../lib/state.ts";
import { resolveHost } from "../../lib/host.ts";
import { ovsDumpFlows } from "../../lib/ovs/flows.ts";
import { ovsList } from "../../lib/ovs/query.ts";

useTestState("ovsfeat");
const P = "t9-";
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };

/** What each recipe's output must show beyond "every check PASS". */
const proofs: Record<string, RegExp[]> = {
  "ovs-flows": [
    /PASS t9-h1 -> 10\.0\.7\.2 unreachable, flow "ip,nw_src=10\.0\.7\.1,nw_dst=10\.0\.7\.2" on t9-br0 counts it\n\s+flow 0x[0-9a-f]{16} n_packets \d+ -> \d+ \(\+[2-9]/,
    /PASS t9-h2 -> 10\.0\.7\.1 unreachable/,
    /PASS t9-h1 -> 10\.0\.7\.3 reachable/,
    /PASS t9-h3 -> 10\.0\.7\.2 reachable/,
  ],
  "ovs-bond": [
    /PASS t9-h1 -> 10\.0\.8\.2 reachable/,
    /PASS with t9-bra:t9-a1 down: t9-h1 -> 10\.0\.8\.2 reachable\n.*t9-bond0's active member: t9-a2/,
    /PASS with t9-bra:t9-a2 down: t9-h1 -> 10\.0\.8\.2 reachable\n.*t9-bond0's active member: t9-a1/,
  ],
  "ovs-mirror": [
    /PASS t9-h1 -> 10\.0\.9\.2 reachable/,
    /PASS t9-mon\/eth0 captures the ping t9-h1 -> 10\.0\.9\.2, both ways\n\s+[1-9]\d* echo request\(s\) from 10\.0\.9\.1 and [1-9]\d* echo reply/,
  ],
  "ovs-qos": [
    /PASS t9-h1 -> 10\.0\.10\.2 \(iperf3 to t9-h2\) at 10\.00 Mbit\/s ±25%\n\s+received \d+\.\d+ Mbit\/s/,
  ],
};

/** What `status --json` must hold while each recipe is up. */
const statusHas: Record<string, (s: Record<string, unknown>) => void> = {
  "ovs-flows": (s) => {
    const flows = s.flows as {
      bridge: string;
      priority: number;
      actions: string;
      nPackets: number;
    }[];
    assertEquals(flows.length, 1);
    assertEquals([flows[0]!.bridge, flows[0]!.priority, flows[0]!.actions], [
      "t9-br0",
      100,
      "drop",
    ]);
    assert(flows[0]!.nPackets >= 2, JSON.stringify(flows));
  },
  "ovs-bond": (s) => {
    const bonds = s.bonds as {
      name: string;
      mode: string;
      members: { name: string; link: string }[];
      active: string;
    }[];
    assertEquals(bonds.map((b) => [b.name, b.mode, b.active]), [
      ["t9-bond0", "active-backup", "t9-a1"],
      ["t9-bond1", "active-backup", "t9-b1"],
    ]);
    assertEquals(bonds[0]!.members, [{ name: "t9-a1", link: "up" }, { name: "t9-a2", link: "up" }]);
  },
  "ovs-mirror": (s) => {
    // (tx_packets appears once OVS has refreshed the mirror's statistics: not asserted)
    const mirrors = (s.mirrors as Record<string, unknown>[]).map(({ txPackets: _, ...m }) => m);
    assertEquals(mirrors, [{ bridge: "t9-br0", name: "t9-m0", select: "all", output: "t9-mon-p" }]);
  },
  "ovs-qos": (s) => {
    assertEquals(s.qos, [{ port: "t9-s0", type: "linux-htb", maxRate: 10_000_000 }]);
  },
};

for (const name of Object.keys(proofs)) {
  Deno.test(`recipe ${name} comes up, every proof passes, down leaves no trace`, opts, async () => {
    const before = await snapshot();
    try {
      const up = await netkit(["recipe", name, "--prefix", P]);
      assertEquals(up.code, 0, up.stderr + up.stdout);
      const checks = up.stdout.split("\n").filter((l) => /^(PASS|FAIL) /.test(l));
      assert(checks.length > 0 && checks.every((l) => l.startsWith("PASS ")), up.stdout);
      for (const re of proofs[name]!) assertMatch(up.stdout, re);
      const status = await netkit(["status", `${P}${name}`, "--json"]);
      assertEquals(status.code, 0, status.stderr);
      statusHas[name]!(JSON.parse(status.stdout));
      const again = await netkit(["check", `${P}${name}`]);
      assertEquals(again.code, 0, again.stdout + again.stderr);
    } finally {
      const down = await netkit(["down", `${P}${name}`]);
      assertEquals(down.code, 0, down.stderr + down.stdout);
    }
    await assertHostUnchanged(before, `after recipe ${name} and down`);
  });
}

Deno.test(
  "undoing a lab's flow, mirror and QoS removes exactly those, not foreign ones beside them",
  opts,
  async () => {
    const before = await snapshot();
    const lab = validateLab({
      name: `${P}own`,
      nodes: {
        [`${P}a`]: { interfaces: { eth0: { addresses: ["10.0.12.1/24"] } } },
        [`${P}b`]: { interfaces: { eth0: { addresses: ["10.0.12.2/24"] } } },
        [`${P}m`]: {},
      },
      bridges: {
        [`${P}br`]: {
          type: "ovs",
          ports: { [`${P}b-p`]: { qos: { type: "linux-htb", maxRate: 50_000_000 } } },
          flows: ["priority=100,icmp,nw_src=10.0.12.1,actions=drop"],
          mirrors: { m0: { select: [`${P}a-p`], output: `${P}m-p` } },
        },
      },
      links: [
        { endpoints: [`${P}a:eth0`, `${P}br:${P}a-p`] },
        { endpoints: [`${P}b:eth0`, `${P}br:${P}b-p`] },
        { endpoints: [`${P}m:eth0`, `${P}br:${P}m-p`] },
      ],
    });
    const br = `${P}br`;
    const foreignQos = "0f0f0f0f-0000-4000-8000-000000000001";
    try {
      await upLab(lab);
      const host = resolveHost();
      const ovs = (await readLabState(host, lab.name))!.ovs!;
      const vsctl = (...args: string[]) => sh("ovs-vsctl", `--db=${ovs.db}`, ...args);
      // Foreign objects beside the lab's own: a flow with another cookie, a mirror with the same
      // name, a QoS row.
      await sh(
        "ovs-ofctl",
        "add-flow",
        `unix:${ovs.runDir}/${br}.mgmt`,
        "cookie=0x99,priority=5,arp,actions=NORMAL",
      );
      await vsctl(
        "--",
        "--id=@p",
        "get",
        "port",
        `${P}m-p`,
        "--",
        "--id=@m",
        "create",
        "mirror",
        "name=m0",
        "select-all=true",
        "output-port=@p",
        "--",
        "add",
        "bridge",
        br,
        "mirrors",
        "@m",
      );
      await vsctl("--", `--id=${foreignQos}`, "create", "qos", "type=linux-htb");
      assertEquals((await ovsDumpFlows(br, { ovs })).length, 3); // the lab's, the foreign, NORMAL
      assertEquals((await ovsList("Mirror", undefined, { ovs })).length, 2);

      const entries = await new Journal(join(labDir(host.stateRoot, lab.name), "journal.jsonl"))
        .read();
      const mine = entries.filter((e) => /^ovs-(flow|mirror|qos):/.test(e.key));
      assertEquals(mine.length, 3, JSON.stringify(entries.map((e) => e.key)));
      const errors = await new Executor({ runner: host.runner, ovs }).undo(mine);
      assertEquals(errors, []);

      const flows = await ovsDumpFlows(br, { ovs });
      assertEquals(flows.map((f) => f.cookie).sort(), ["0x0", "0x99"]);
      const mirrors = await ovsList("Mirror", undefined, { ovs });
      assertEquals(mirrors.map((m) => [m.name, m.select_all]), [["m0", true]]);
      const qos = await ovsList("QoS", undefined, { ovs });
      assertEquals(qos.map((q) => q._uuid), [foreignQos]);
      assertEquals((await vsctl("get", "port", `${P}b-p`, "qos")).trim(), "[]");
      // Undone twice: still fine (every undo tolerates what is already gone).
      assertEquals(await new Executor({ runner: host.runner, ovs }).undo(mine), []);
      await vsctl("destroy", "qos", foreignQos);
    } finally {
      await downLab(lab.name);
    }
    await assertHostUnchanged(before, "after the ownership lab and down");
  },
);

const BAD_BASE = `name: t9-bad
nodes:
  t9-x1: { interfaces: { eth0: { addresses: [10.0.13.1/24] } } }
  t9-x2: { interfaces: { eth0: { addresses: [10.0.13.2/24] } } }
links:
  - endpoints: [t9-x1:eth0, t9-xb:t9-x1-p]
  - endpoints: [t9-x2:eth0, t9-xb:t9-x2-p]
bridges:
  t9-xb:
    type: ovs
`;

Deno.test(
  "bad flows, bond members, QoS types and mirrors: exit 2, FILE:LINE:COL, nothing changed",
  opts,
  async () => {
    const before = await snapshot();
    const cases: [string, RegExp][] = [
      [
        `${BAD_BASE}    flows: ["-O,actions=drop"]\n`,
        /bad\.yaml:11:13: a flow cannot start with "-"/,
      ],
      [
        `${BAD_BASE}    flows: ["ip,actions=output:eth0"]\n`,
        /bad\.yaml:11:13: output "eth0" is not a port of bridge "t9-xb"/,
      ],
      [
        `${BAD_BASE}    flows: ["ip,actions=CONTROLLER:65535"]\n`,
        /bad\.yaml:11:13: .*OpenFlow controller, outside the lab/,
      ],
      [
        `${BAD_BASE}    ports:\n      t9-bond: { bond: [t9-x1-p, t9-x9-p] }\n`,
        /bad\.yaml:12:34: bond member "t9-x9-p" is not a link's end at bridge "t9-xb"/,
      ],
      [
        `${BAD_BASE}    ports:\n      t9-x2-p: { qos: { type: linux-hfsc, maxRate: 1000000 } }\n`,
        /bad\.yaml:12:31: QoS type "linux-hfsc" needs its qdisc in the kernel/,
      ],
      [
        `${BAD_BASE}    mirrors:\n      m0: { select: all, output: t9-mon }\n`,
        /bad\.yaml:12:34: mirror output "t9-mon" is not a port of bridge "t9-xb"/,
      ],
    ];
    await withTempDir("netkit-t9-", async (dir) => {
      for (const [yaml, re] of cases) {
        const file = join(dir, "bad.yaml");
        await Deno.writeTextFile(file, yaml);
        const r = await netkit(["up", file]);
        assertEquals(r.code, 2, r.stdout + r.stderr);
        assertMatch(r.stderr, re);
      }
    });
    await assertHostUnchanged(before, "after bad lab files");
  },
);

Deno.test(
  "a recipe's lab file (recipe export) comes up with its flow and bond, and goes",
  opts,
  async () => {
    const before = await snapshot();
    await withTempDir("netkit-t9-", async (dir) => {
      for (const name of ["ovs-flows", "ovs-bond"]) {
        const exported = await netkit(["recipe", "export", name, "--prefix", "t9f-"]);
        assertEquals(exported.code, 0, exported.stderr);
        const file = join(dir, `${name}.yaml`);
        await Deno.writeTextFile(file, exported.stdout);
        try {
          const up = await netkit(["up", file]);
          assertEquals(up.code, 0, up.stdout + up.stderr);
          assert(!/^FAIL /m.test(up.stdout), up.stdout);
        } finally {
          const down = await netkit(["down", file]);
          assertEquals(down.code, 0, down.stdout + down.stderr);
        }
      }
    });
    await assertHostUnchanged(before, "after the exported lab files");
  },
);

Deno.test(
  "--dry-run and export show the ovs-ofctl, add-bond, mirror and QoS commands",
  opts,
  async () => {
    const before = await snapshot();
    const expected: Record<string, RegExp> = {
      "ovs-flows":
        /^ovs-ofctl add-flow unix:\/run\/netkit\/ovs\/t9-br0\.mgmt cookie=0x[0-9a-f]{16},priority=100,ip,/m,
      "ovs-bond":
        /^ovs-vsctl --db=\S+ --timeout=60 add-bond t9-bra t9-bond0 t9-a1 t9-a2 bond_mode=active-backup lacp=off /m,
      "ovs-mirror":
        /^ovs-vsctl --db=\S+ --timeout=60 -- --id=@out get port t9-mon-p -- --id=\S+ create mirror name=t9-m0 select-all=true/m,
      "ovs-qos":
        /^ovs-vsctl --db=\S+ --timeout=60 -- --id=\S+ create qos type=linux-htb other-config:max-rate=10000000 /m,
    };
    for (const [name, re] of Object.entries(expected)) {
      const dry = await netkit(["recipe", name, "--prefix", P, "--dry-run"]);
      assertEquals(dry.code, 0, dry.stderr);
      assertMatch(dry.stdout, re);
      const script = await netkit(["export", name, "--prefix", P, "--format", "sh"]);
      assertEquals(script.code, 0, script.stderr);
      assertMatch(
        script.stdout,
        name === "ovs-flows" ? /^'ovs-ofctl' 'add-flow' /m : /^'ovs-vsctl' /m,
      );
      const teardown = await netkit([
        "export",
        name,
        "--prefix",
        P,
        "--format",
        "sh",
        "--teardown",
      ]);
      if (name === "ovs-flows") {
        assertMatch(
          teardown.stdout,
          /^'ovs-ofctl' 'del-flows' .*'cookie=0x[0-9a-f]{16}\/-1' \|\| failed=1$/m,
        );
      }
    }
    await assertHostUnchanged(before, "after dry-runs and exports");
  },
);

Deno.test(
  "a bond named like an OVS port that exists is a conflict: exit 2, nothing changed",
  opts,
  async () => {
    const before = await snapshot();
    await withTempDir("netkit-t9-", async (dir) => {
      try {
        const first = await netkit(["recipe", "ovs-bond", "--prefix", "t9c-", "--no-check"]);
        assertEquals(first.code, 0, first.stdout + first.stderr);
        const during = await snapshot();
        const file = join(dir, "clash.yaml");
        await Deno.writeTextFile(
          file,
          `name: t9d-clash
bridges:
  t9d-br0: { type: ovs, ports: { t9c-bond0: { bond: [t9d-a1, t9d-a2] } } }
  t9d-br1: { type: ovs }
links:
  - endpoints: [t9d-br0:t9d-a1, t9d-br1:t9d-b1]
  - endpoints: [t9d-br0:t9d-a2, t9d-br1:t9d-b2]
`,
        );
        const r = await netkit(["up", file]);
        assertEquals(r.code, 2, r.stdout + r.stderr);
        assertMatch(
          r.stderr,
          /OVS port "t9c-bond0" \(a bond of the lab\) already exists on this host/,
        );
        // (Routes are left out: the first lab's link-local IPv6 addresses may still be arriving.)
        const after = await snapshot();
        for (
          const key of ["namespaces", "links", "firewall", "processes", "stateDirEntries"] as const
        ) {
          assertEquals(
            after[key],
            during[key],
            `${key} changed after the clashing lab was refused`,
          );
        }
      } finally {
        await netkit(["down", "t9c-ovs-bond"]);
      }
    });
    await assertHostUnchanged(before, "after the bond conflict test");
  },
);
