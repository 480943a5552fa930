/**
 * The check `down` makes of a lab's journal (lib/lab/journal_check.ts): every undo that netkit's
 * plans write passes it, and lines that netkit never writes, or that name what is not the lab's,
 * are skipped with a reason; and the state directory checks of lib/state.ts.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import { withTempDir } from "../helpers/temp.ts";
import { recipes } from "../../recipes/mod.ts";
import { validateLab } from "../../lib/lab/validate.ts";
import { planLab } from "../../lib/lab/plan.ts";
import { sandboxNsName, sandboxOvsDir, sandboxPlan } from "../../lib/lab/sandbox.ts";
import { parseLabYaml } from "../../lib/lab/file.ts";
import { splitLab } from "../../lib/multihost/split.ts";
import {
  checkJournal,
  journalScope,
  labJournalScope,
  recordOwned,
} from "../../lib/lab/journal_check.ts";
import type { JournalRecord } from "../../lib/plan/journal.ts";
import type { Action, Step } from "../../lib/plan/step.ts";
import { impair, impairClear } from "../../lib/primitives/impair.ts";
import { linkDown, linkUp, vethPair } from "../../lib/primitives/link.ts";
import { ovsRemoveTag, ovsSetTag } from "../../lib/primitives/ovs.ts";
import { ovsSetQos } from "../../lib/primitives/ovs_qos.ts";
import { labUuid } from "../../lib/ovs/ids.ts";
import { cmd } from "../../lib/plan/step.ts";
import { createNs, dhcp, ovsAddBridge, ovsAddPort, snat } from "../../mod.ts";
import {
  checkStateDir,
  checkStateFile,
  labDir,
  makeLabDir,
  UnsafeStateError,
} from "../../lib/state.ts";
import type { Lab } from "../../lib/lab/schema.ts";

const ROOT = "/run/netkit";
const records = (steps: readonly Step[]): JournalRecord[] =>
  steps.map((s, i) => ({
    line: i + 1,
    // As read back from the file: JSON, not the objects the plan made.
    value: JSON.parse(JSON.stringify({ key: s.key, undo: s.undo })),
  }));

/** Every lab netkit plans in its tests' own ways: recipes (with their options), examples. */
function labsToPlan(): {
  lab: Lab;
  uplinks?: Record<string, { addresses: string[]; routes: { to: string; via: string }[] }>;
}[] {
  const labs: ReturnType<typeof labsToPlan> = [...recipes.values()].map((r) => ({
    lab: validateLab(r.build({ prefix: "jc-" })),
  }));
  labs.push({ lab: validateLab(recipes.get("router")!.build({ ipv6: true })) });
  labs.push({
    lab: validateLab(recipes.get("router")!.build({ uplink: "ens3" }), "lab", {
      uplinks: ["ens3"],
    }),
    uplinks: {
      ens3: {
        addresses: ["192.168.100.21/24"],
        routes: [{ to: "default", via: "192.168.100.1" }, {
          to: "10.9.0.0/16",
          via: "192.168.100.2",
        }],
      },
    },
  });
  for (const name of ["bgp-pair", "bridge-three", "router-lossy", "star-50", "two-hosts"]) {
    const path = new URL(`../../examples/labs/${name}.yaml`, import.meta.url);
    labs.push({ lab: parseLabYaml(Deno.readTextFileSync(path), path.pathname) });
  }
  // Link ends in the root namespace (root:IFNAME), first and second, one to a bridge; a dummy.
  labs.push({
    lab: parseLabYaml(
      [
        "name: jc-root",
        "nodes:",
        "  a: { interfaces: { lo1: { dummy: true, addresses: [10.255.0.1/32] } } }",
        "bridges: { br: { type: linux } }",
        "links:",
        "  - endpoints: [root:jc-hx, a:eth0]",
        "  - endpoints: [a:eth1, root:jc-hy]",
        "  - endpoints: [root:jc-hz, br:jc-hz-p]",
      ].join("\n"),
      "jc-root.yaml",
    ),
  });
  // A multi-host lab's part: VXLAN ends, one of them on a bridge.
  const part = splitLab(
    parseLabYaml(
      [
        "name: mh",
        "hosts: { h1: {}, h2: {} }",
        "nodes:",
        "  a: { host: h1, interfaces: { eth0: { addresses: [10.60.0.1/24] } } }",
        "  b: { host: h2, interfaces: { eth0: { addresses: [10.60.0.2/24] } } }",
        "bridges: { br: { type: linux, host: h2 } }",
        "links:",
        "  - endpoints: [a:eth0, br:a-p]",
        "  - endpoints: [b:eth0, br:b-p]",
      ].join("\n"),
      "mh.yaml",
    ),
    { h1: { address: "10.251.0.1", mtu: 1500 }, h2: { address: "10.251.0.2", mtu: 1500 } },
  ).parts.h2!;
  labs.push({ lab: validateLab(part, "part", { tunnels: true }) });
  return labs;
}

/** The steps of one-off changes and proofs that go into a lab's journal (impair, link, untag). */
function changeSteps(lab: Lab): Step[] {
  const [node, spec] = Object.entries(lab.nodes)[0]!;
  const ifname = Object.keys(spec.interfaces ?? {})[0] ?? "eth0";
  const port = Object.entries(lab.bridges).flatMap(([, b]) => Object.keys(b.ports))[0];
  return [
    impair(node, ifname, { rate: "10mbit", loss: "5%", lab: lab.name, netem: false }),
    impair(node, ifname, { delay: "20ms", loss: "1%", lab: lab.name, netem: true }),
    impairClear(node, ifname, { qdisc: true, lossTable: true }),
    linkDown(ifname, { ns: node }),
    linkUp(ifname, { ns: node }),
    ...(port === undefined ? [] : [ovsSetTag(port, 10), ovsRemoveTag(port, 10), {
      ...ovsRemoveTag(port, 10),
      undo: [cmd("ovs-vsctl", "clear", "port", port, "tag")],
    }]),
  ];
}

Deno.test("checkJournal() runs every undo that netkit's plans write, sandboxed or not", async () => {
  let lines = 0;
  for (const { lab, uplinks } of labsToPlan()) {
    for (const sandboxed of [false, true]) {
      if (sandboxed && uplinks) continue; // a sandboxed lab has no real uplink
      const dir = labDir(ROOT, lab.name);
      const sandbox = sandboxNsName(lab.name);
      const ovsRunDir = sandboxed ? sandboxOvsDir(dir) : `${ROOT}/ovs`;
      let steps = planLab(lab, {
        stateDir: dir,
        ovsRunDir,
        netem: true,
        captureDir: `${ROOT}/captures/${lab.name}`,
        uplinks: uplinks ?? {},
      });
      steps.push(...changeSteps(lab));
      if (sandboxed) {
        steps = sandboxPlan(steps, {
          ns: sandbox,
          ovs: { dir: ovsRunDir, schema: "/usr/share/openvswitch/vswitch.ovsschema" },
        });
      }
      const scope = await labJournalScope(lab.name, dir, JSON.parse(JSON.stringify(lab)), {
        ovsRunDir,
        captures: `${ROOT}/captures/${lab.name}`,
        ...(sandboxed ? { sandbox } : {}),
      });
      const { entries, skipped } = checkJournal(records(steps), scope);
      assertEquals(skipped, [], `${lab.name}${sandboxed ? " (sandboxed)" : ""}`);
      assertEquals(entries.length, steps.length);
      lines += steps.length;
    }
  }
  assert(lines > 1000, `${lines} journal lines checked`);
});

Deno.test("checkJournal() skips, with a reason, what netkit never writes or what is not the lab's", async () => {
  const lab = validateLab(recipes.get("router")!.build({ prefix: "jc-" }));
  const dir = labDir(ROOT, lab.name);
  const captures = `${ROOT}/captures/${lab.name}`;
  const scope = await labJournalScope(lab.name, dir, lab, { ovsRunDir: `${ROOT}/ovs`, captures });
  const own = lab.bridges["jc-br-in"] ? "jc-br-in" : Object.keys(lab.bridges)[0]!;
  const node = Object.keys(lab.nodes)[0]!;
  const bad: [Action, RegExp][] = [
    [{ argv: ["rm", "-rf", "/tmp/victim"] }, /"rm" is not a program netkit's undo runs/],
    [{ argv: ["ip", "netns", "delete", "host-ns"] }, /"host-ns" is not a namespace of lab/],
    [{ argv: ["ip", "netns", "delete", "1"] }, /process ID/],
    [{ argv: ["ip", "link", "delete", "dev", "eth0"] }, /"eth0" is not an interface in the root/],
    [{ argv: ["ip", "link", "set", "dev", "eth0", "down"] }, /"eth0" is not an interface/],
    [{ argv: ["ip", "-n", node, "link", "set", "dev", "eth0", "netns", "host-ns"] }, /host-ns/],
    [{ argv: ["ip", "addr", "add", "10.0.0.1/24", "dev", own] }, /not an uplink NIC/],
    [{ argv: ["ip", "route", "del", "default"] }, /not an undo netkit writes/],
    [{ argv: ["ip", "-batch", "/tmp/x"] }, /not an undo netkit writes/],
    [{ argv: ["ip", "netns", "exec", node, "sh", "-c", "id"] }, /"sh" is not a program/],
    [
      { argv: ["ip", "netns", "exec", node, "sysctl", "-q", "-w", "kernel.core_pattern=|/x"] },
      /kernel/,
    ],
    [
      {
        argv: [
          "ip",
          "netns",
          "exec",
          node,
          "iptables",
          "-w",
          "-t",
          "nat",
          "-D",
          "POSTROUTING",
          "-j",
          "ACCEPT",
        ],
      },
      /not a rule marked/,
    ],
    [
      {
        argv: [
          "ip",
          "netns",
          "exec",
          node,
          "iptables",
          "-w",
          "-t",
          "nat",
          "-D",
          "POSTROUTING",
          "--modprobe=/tmp/x",
          "-m",
          "comment",
          "--comment",
          `netkit:${lab.name}`,
        ],
      },
      /--modprobe/,
    ],
    // A daemon is stopped by its record, never by a pid file alone: not even the lab's own.
    [{ argv: ["pkill", "-F", "/run/other.pid", "-x", "dnsmasq"] }, /by its pid file alone/],
    [{ argv: ["pkill", "-F", `${dir}/x.pid`, "-x", "sshd"] }, /by its pid file alone/],
    [
      { argv: ["pkill", "-F", `${dir}/tcpdump-${node}@eth0.pid`, "-x", "tcpdump"] },
      /by its pid file alone/,
    ],
    [
      { argv: ["timeout", "5", "pidwait", "-F", `${dir}/dnsmasq.pid`, "-x", "dnsmasq"] },
      /by its pid file alone/,
    ],
    [
      {
        argv: [
          "ip",
          "netns",
          "exec",
          node,
          "timeout",
          "5",
          "pidwait",
          "-F",
          `${dir}/z.pid`,
          "-x",
          "zebra",
        ],
      },
      /by its pid file alone/,
    ],
    [{ argv: ["timeout", "5", "rm", "-rf", "/"] }, /"timeout" is not a program/],
    [{ stopDaemon: "/run/other.pid", program: "tcpdump" }, /outside the lab's state directory/],
    [{ remove: "/etc/passwd" }, /outside the lab's state directory/],
    [{ remove: `${dir}/../other/lab.json` }, /not a normalized absolute path/],
    [{ stopDaemon: `${dir}/x.pid`, program: "init" }, /not a daemon netkit starts/],
    // `named` picks the process by a file its command line names: only a file of the lab's
    // captures, never e.g. the host dnsmasq's configuration.
    [
      { stopDaemon: `${dir}/x.pid`, program: "dnsmasq", named: "/etc/dnsmasq.conf" },
      /not a file of the lab's captures/,
    ],
    [
      { stopDaemon: `${dir}/x.pid`, program: "tcpdump", named: `${ROOT}/captures/other/a/e.pcap` },
      /not a file of the lab's captures/,
    ],
    [{ ovsRemove: "bridge", name: own, lab: "someone-else" }, /not a mark/],
    [{ ovsRemove: "bridge", name: "br-host", lab: lab.name }, /not an OVS bridge or port/],
    [{ argv: ["ovs-vsctl", "--if-exists", "del-br", "br-host"] }, /not an OVS bridge or port/],
    [{ argv: ["ovs-vsctl", "emer-reset"] }, /not an undo netkit writes/],
    [{ write: `${dir}/x`, content: "" }, /not an undo action netkit writes/],
    // Two kinds in one: checked as a removal in the state directory, run as a write elsewhere.
    [
      { remove: `${dir}/x`, write: "/etc/cron.d/x", content: "" } as unknown as Action,
      /not an undo action netkit writes/,
    ],
    [{ argv: ["ip", "netns", "delete", node], remove: "/etc/passwd" } as Action, /not an undo/],
    [{ program: "dnsmasq", stopDaemon: `${dir}/x.pid`, remove: "/x" } as Action, /not an undo/],
  ];
  const good = { key: `netns:${node}`, undo: [{ argv: ["ip", "netns", "delete", node] }] };
  const lines: JournalRecord[] = [
    { line: 1, value: good },
    ...bad.map(([action], i) => ({ line: i + 2, value: { key: "x:y", undo: [action] } })),
    { line: bad.length + 2, value: { key: "x:y" } },
    { line: bad.length + 3, value: ["ip", "netns", "delete", node] },
    // One bad action spoils the whole line, good actions with it included.
    { line: bad.length + 4, value: { key: "x:y", undo: [good.undo[0], bad[0]![0]] } },
  ];
  const { entries, skipped } = checkJournal(lines, scope);
  assertEquals(entries, [good]);
  assertEquals(skipped.map((s) => s.line), lines.slice(1).map((l) => l.line));
  bad.forEach(([, reason], i) => assertMatch(skipped[i]!.reason, reason, `line ${i + 2}`));
  assertMatch(skipped.at(-1)!.reason, /^"rm -rf \/tmp\/victim": /);
});

Deno.test("checkJournal() destroys only the QoS rows netkit derives for the lab's own ports", () => {
  const dir = labDir(ROOT, "jq");
  const scope = journalScope("jq", dir, { ovs: ["jq-br", "jq-p1", "jq-p2"] });
  const destroy = (port: string, uuid: string) =>
    cmd(
      "ovs-vsctl",
      "--",
      "--if-exists",
      "clear",
      "port",
      port,
      "qos",
      "--",
      "--if-exists",
      "destroy",
      "qos",
      uuid,
    );
  const own = ovsSetQos("jq-p1", { maxRate: 10_000_000, lab: "jq" });
  assertEquals(own.undo, [destroy("jq-p1", labUuid("jq", "qos", "jq-p1"))]);
  const bad: [Action, RegExp][] = [
    // Another lab's row for a port of the same name; a row of no lab; the row of another port.
    [destroy("jq-p1", labUuid("other", "qos", "jq-p1")), /not the QoS row of port "jq-p1"/],
    [destroy("jq-p1", "0b6e7d3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"), /not the QoS row/],
    [destroy("jq-p1", labUuid("jq", "qos", "jq-p2")), /not the QoS row of port "jq-p1"/],
    // Its own UUID, but with no port of the lab's cleared first, or a port not the lab's.
    [cmd("ovs-vsctl", "--if-exists", "destroy", "qos", labUuid("jq", "qos", "jq-p1")), /without/],
    [destroy("eth0", labUuid("jq", "qos", "eth0")), /"eth0" is not an OVS bridge or port/],
  ];
  const lines: JournalRecord[] = [
    ...records([own]),
    ...bad.map(([action], i) => ({ line: i + 2, value: { key: "x:y", undo: [action] } })),
  ];
  const { entries, skipped } = checkJournal(lines, scope);
  assertEquals(entries.length, 1);
  assertEquals(skipped.map((s) => s.line), bad.map((_, i) => i + 2));
  bad.forEach(([, reason], i) => assertMatch(skipped[i]!.reason, reason, `line ${i + 2}`));
  // A script's QoS step with the lab's name is recorded; one marked for another lab is refused
  // (the UUID does not tell its mark, so nothing could let down run it).
  const script = journalScope("jq", dir);
  assertEquals(recordOwned(own.undo, script), undefined);
  assert(script.ovs.has("jq-p1"));
  const foreign = ovsSetQos("jq-p2", { maxRate: 10_000_000, lab: "other" });
  assertMatch(recordOwned(foreign.undo, script)!, /not the QoS row of port "jq-p2"/);
});

Deno.test("recordOwned() records a script's objects, which its journal may then act on", () => {
  const dir = labDir(ROOT, "script");
  const steps = [
    createNs("sa"),
    vethPair("sa-p", "eth0", { peerNs: "sa" }),
    ovsAddBridge("sbr", { lab: "script" }),
    ovsAddPort("sbr", "sa-p", { lab: "script" }),
    snat("sa", { source: "10.0.0.0/24", toSource: "10.1.0.1" }), // marked netkit:netkit
    dhcp("sa", { interface: "eth0", range: ["10.0.0.10", "10.0.0.20"], stateDir: dir }),
  ];
  const scope = journalScope("script", dir);
  for (const step of steps) assertEquals(recordOwned(step.undo, scope), undefined, step.key);
  assertEquals([...scope.namespaces], ["sa"]);
  assert(scope.links.has("sa-p") && scope.ovs.has("sbr") && scope.marks.has("netkit"));
  // What was recorded is what the check lets through; anything else is still skipped.
  const later = journalScope("script", dir, {
    namespaces: [...scope.namespaces],
    links: [...scope.links],
    ovs: [...scope.ovs],
    marks: [...scope.marks],
  });
  const tampered = { key: "x", undo: [{ argv: ["ip", "link", "delete", "dev", "eth0"] }] };
  const r = checkJournal([...records(steps), { line: 99, value: tampered }], later);
  assertEquals(r.entries.length, steps.length);
  assertEquals(r.skipped.map((s) => s.line), [99]);
  // An undo that no netkit step writes cannot be recorded.
  assertMatch(recordOwned([{ argv: ["rm", "-rf", "/"] }], scope)!, /"rm" is not a program/);
});

Deno.test("the state directory is root's alone: group- or world-writable, a symlink, refused", async () => {
  await withTempDir("netkit-state-", async (root) => {
    const dir = await makeLabDir(root, "lab1");
    assertEquals((await Deno.stat(dir)).mode! & 0o777, 0o711);
    await checkStateDir(root, "lab1");
    await Deno.chmod(dir, 0o777);
    const e = await assertRejects(() => checkStateDir(root, "lab1"), UnsafeStateError);
    assertMatch(e.message, /writable by its group \(mode 0777\)/);
    await Deno.chmod(dir, 0o711);
    await Deno.chmod(`${root}/labs`, 0o757);
    assertMatch(
      (await assertRejects(() => makeLabDir(root, "lab2"), UnsafeStateError)).message,
      new RegExp("writable by others"),
    );
    await Deno.chmod(`${root}/labs`, 0o755);
    // A lab directory that is a symbolic link (to a directory someone else controls).
    await Deno.mkdir(`${root}/elsewhere`);
    await Deno.symlink(`${root}/elsewhere`, `${root}/labs/lab3`);
    assertMatch(
      (await assertRejects(() => checkStateDir(root, "lab3"), UnsafeStateError)).message,
      new RegExp("symbolic link"),
    );
    // State files: 0600 when netkit writes them; a symlink or a writable file is refused.
    await Deno.writeTextFile(`${dir}/journal.jsonl`, "", { mode: 0o600 });
    await checkStateFile(`${dir}/journal.jsonl`);
    await Deno.chmod(`${dir}/journal.jsonl`, 0o622);
    await assertRejects(() => checkStateFile(`${dir}/journal.jsonl`), UnsafeStateError);
    await Deno.symlink("/etc/hostname", `${dir}/lab.json`);
    assertMatch(
      (await assertRejects(() => checkStateFile(`${dir}/lab.json`), UnsafeStateError)).message,
      new RegExp("symbolic link"),
    );
    await checkStateFile(`${dir}/missing.json`); // nothing there: nothing to refuse
  });
});

Deno.test(
  "the state directory must belong to the user netkit runs as",
  { ignore: Deno.uid() !== 0 },
  async () => {
    await withTempDir("netkit-state-", async (root) => {
      const dir = await makeLabDir(root, "lab1");
      await Deno.chown(dir, 65534, 65534);
      assertMatch(
        (await assertRejects(() => checkStateDir(root, "lab1"), UnsafeStateError)).message,
        new RegExp("belongs to user 65534"),
      );
    });
  },
);
