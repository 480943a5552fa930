/**
 * Multi-host labs on one machine: two simulated hosts (network + mount namespaces with their own
 * /run, sshd on an underlay bridge, a throwaway key), this test's namespace as the controller.
 * The machine's own eth0 is never involved.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { ProcessRunner, watchOutput } from "../../lib/exec/runner.ts";
import {
  assertHostUnchanged,
  isRoot,
  netkit,
  run,
  snapshot,
  useTestState,
} from "../helpers/host.ts";
import {
  must,
  type SimHostSnapshot,
  type SimulatedHost,
  simulatedHost,
  throwawayKeys,
  underlayBridge,
  waitFor,
  writeInventory,
} from "../helpers/simhost.ts";
import { join } from "node:path";
import { vniBase } from "../../lib/multihost/split.ts";
import { XMLParser } from "../../lib/deps/fast_xml_parser.ts";

useTestState("multihost");
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

const lab = (name: string, extra = "") =>
  [
    `name: ${name}`,
    "hosts: { h1: {}, h2: {} }",
    "nodes:",
    "  a: { host: h1, interfaces: { eth0: { addresses: [10.60.0.1/24] } } }",
    "  b: { host: h2, interfaces: { eth0: { addresses: [10.60.0.2/24] } } }",
    "  c: { host: h2, interfaces: { eth0: { addresses: [10.60.0.3/24] } } }",
    "bridges:",
    "  br-mid: { type: linux, host: h2 }",
    "links:",
    "  - endpoints: [a:eth0, br-mid:a-p]",
    "  - endpoints: [b:eth0, br-mid:b-p]",
    "  - endpoints: [c:eth0, br-mid:c-p]",
    "expect:",
    "  - ping: { from: a, to: 10.60.0.2 }",
    "  - ping: { from: c, to: 10.60.0.1 }",
    extra,
  ].join("\n") + "\n";

async function snapshots(hosts: SimulatedHost[]): Promise<Record<string, SimHostSnapshot>> {
  return Object.fromEntries(
    await Promise.all(hosts.map(async (h) => [h.name, await h.snapshot()])),
  );
}

/** Waits (bounded) until every simulated host holds what it held in `before`. */
async function assertHostsUnchanged(
  hosts: SimulatedHost[],
  before: Record<string, SimHostSnapshot>,
  context: string,
  ms = 15_000,
) {
  let after = await snapshots(hosts);
  const deadline = Date.now() + ms;
  while (JSON.stringify(after) !== JSON.stringify(before) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    after = await snapshots(hosts);
  }
  assertEquals(after, before, `simulated hosts changed ${context}`);
}

Deno.test("multi-host labs over SSH between simulated hosts", opts, async (t) => {
  const controller = await snapshot();
  {
    await using underlay = await underlayBridge("nkt-ul", "10.251.0");
    await using keys = await throwawayKeys();
    await using h1 = await simulatedHost("h1", underlay, keys, { octet: 1 });
    await using h2 = await simulatedHost("h2", underlay, keys, { octet: 2 });
    const hosts = [h1, h2];
    const inventory = await writeInventory(keys, hosts);
    const file = join(keys.dir, "mh.yaml");
    await Deno.writeTextFile(file, lab("mh"));
    const before = await snapshots(hosts);
    const withHosts = await snapshot(); // the controller with its underlay

    await t.step("bad input exits 2 and changes nothing anywhere", async () => {
      const noInventory = await netkit(["up", file]);
      assertEquals(noInventory.code, 2, noInventory.stderr);
      assertMatch(noInventory.stderr, /places its nodes on hosts h1, h2: .*--hosts INVENTORY/);

      const bad = join(keys.dir, "bad.yaml");
      await Deno.writeTextFile(bad, lab("mh").replace("c: { host: h2", "c: { host: h9"));
      const unknown = await netkit(["up", bad, "--hosts", inventory]);
      assertEquals(unknown.code, 2, unknown.stderr);
      assertMatch(unknown.stderr, /bad\.yaml:6:\d+: unknown host "h9" \(known: h1, h2\)/);

      // h2 played by an address where nothing listens.
      const away = join(keys.dir, "away.yaml");
      await Deno.writeTextFile(
        away,
        (await Deno.readTextFile(inventory)).replace(
          /root@10\.251\.0\.2, underlay: 10\.251\.0\.2/,
          "root@10.251.0.9, underlay: 10.251.0.9",
        ),
      );
      const unreachable = await netkit(["up", file, "--hosts", away]);
      assertEquals(unreachable.code, 2, unreachable.stderr);
      assertMatch(unreachable.stderr, /Host h2 \(root@10\.251\.0\.9\) is unreachable/);

      const overlapping = join(keys.dir, "overlap.yaml");
      await Deno.writeTextFile(overlapping, lab("mh").replace("10.60.0.3/24", "10.251.0.33/24"));
      const overlap = await netkit(["up", overlapping, "--hosts", inventory]);
      assertEquals(overlap.code, 2, overlap.stderr);
      assertMatch(
        overlap.stderr,
        /overlap\.yaml:\d+:\d+: 10\.251\.0\.33\/24 overlaps host h\d's underlay network/,
      );

      // A part piped into `netkit part up` by hand gets no tunnel its command line does not name.
      const part = {
        part: {
          name: "mh-part",
          nodes: { a: { interfaces: { eth0: { addresses: ["10.60.0.1/24"] } } } },
          tunnels: [{ end: "a:eth0", vni: 4097, local: "10.251.0.254", remote: "10.251.0.9" }],
        },
      };
      const unnamed = await run(
        [
          Deno.execPath(),
          "run",
          "-A",
          "--no-check",
          MAIN,
          "part",
          "up",
          "--tunnels",
          "4097:10.251.0.254:10.251.0.1:4789",
        ],
        { stdin: JSON.stringify(part) + "\n", env: { NO_COLOR: "1" } },
      );
      assertEquals(unnamed.code, 2, unnamed.stderr + unnamed.stdout);
      assertMatch(
        unnamed.stdout,
        /"error":\{"message":"[^"]*tunnels\.0: tunnel a:eth0 \(VNI 4097, UDP to 10\.251\.0\.9 port 4789\) is not named on the command line: only --tunnels 4097:10\.251\.0\.254:10\.251\.0\.9:4789 allows it","usage":true\}/,
      );

      await assertHostsUnchanged(hosts, before, "after bad input");
      await assertHostUnchanged(withHosts, "after bad input");
    });

    await t.step("a VNI a host already uses is refused before anything is built", async () => {
      const vni = vniBase("mh"); // the VNI of lab mh's one link between hosts (a:eth0 <-> br-mid)
      // A VXLAN device of h2's own with that VNI.
      await h2.run(
        "ip",
        "link",
        "add",
        "vx-clash",
        "type",
        "vxlan",
        "id",
        String(vni),
        "local",
        h2.address,
        "remote",
        "10.251.0.99",
        "dstport",
        "4789",
      );
      const withDevice = await snapshots(hosts);
      assert(withDevice.h2!.links.includes("vx-clash"), "the test's VXLAN device was not made");
      const device = await netkit(["up", file, "--hosts", inventory]);
      assertEquals(device.code, 2, device.stderr + device.stdout);
      assertMatch(
        device.stderr,
        new RegExp(
          `VNI ${vni} \\(UDP 4789\\) of lab "mh" is already in use on host h2 \\(root@10\\.251\\.0\\.2\\): VXLAN device "vx-clash" has it`,
        ),
      );
      await assertHostsUnchanged(hosts, withDevice, "after a VNI clash with a device");
      await h2.run("ip", "link", "delete", "dev", "vx-clash");

      // Another netkit lab whose name gives it the same first VNI (its tunnel is inside its nodes,
      // where the root namespace's `ip link` does not list it: found by its recorded state).
      let other = "";
      for (let i = 0; vniBase(other) !== vni || other === "mh"; i++) other = `mh-vni-${i}`;
      const otherFile = join(keys.dir, "other.yaml");
      await Deno.writeTextFile(
        otherFile,
        [
          `name: ${other}`,
          "hosts: { h1: {}, h2: {} }",
          "nodes:",
          "  x: { host: h1, interfaces: { eth0: { addresses: [10.62.0.1/24] } } }",
          "  y: { host: h2, interfaces: { eth0: { addresses: [10.62.0.2/24] } } }",
          "links:",
          "  - endpoints: [x:eth0, y:eth0]",
        ].join("\n") + "\n",
      );
      const otherUp = await netkit(["up", otherFile, "--hosts", inventory, "--no-check"]);
      assertEquals(otherUp.code, 0, otherUp.stderr + otherUp.stdout);
      const withLab = await snapshots(hosts);
      const clash = await netkit(["up", file, "--hosts", inventory]);
      assertEquals(clash.code, 2, clash.stderr + clash.stdout);
      assertMatch(
        clash.stderr,
        new RegExp(
          `VNI ${vni} \\(UDP 4789\\) of lab "mh" is already in use on host h1 \\(root@10\\.251\\.0\\.1\\): lab "${other}" has it for a tunnel`,
        ),
      );
      assertMatch(clash.stderr, new RegExp(`netkit down ${other}`));
      await assertHostsUnchanged(hosts, withLab, "after a VNI clash with another lab");
      const otherDown = await netkit(["down", other]);
      assertEquals(otherDown.code, 0, otherDown.stderr);
      await assertHostsUnchanged(hosts, before, "after the other lab's down");
      await assertHostUnchanged(withHosts, "after the VNI clashes");
    });

    await t.step(
      "a 2-host lab pings across the tunnel, over UDP 4789, at the lab MTU",
      async () => {
        const up = await netkit(["up", file, "--hosts", inventory]);
        assertEquals(up.code, 0, up.stderr + up.stdout);
        assertMatch(up.stdout, /^PASS \[h1\] a -> 10\.60\.0\.2 reachable/m);
        assertMatch(up.stdout, /^PASS \[h2\] c -> 10\.60\.0\.1 reachable/m);
        assertMatch(up.stdout, /lab MTU 1450 \(underlay MTU 1500 − 50\)/);

        // The underlay carries the lab's packets as VXLAN: UDP to port 4789 between the hosts. (On
        // h1's port of the underlay switch: the bridge device itself sees only flooded frames.)
        const capture = watchOutput(
          new ProcessRunner().spawn(["tcpdump", "-l", "-n", "-i", "ul-h1", "udp", "port", "4789"]),
        );
        assert(await capture.ready(/listening on/), "tcpdump did not start");
        const ping = await netkit(["exec", "a", "--", "ping", "-c", "2", "-W", "2", "10.60.0.3"]);
        assertEquals(ping.code, 0, ping.stderr + ping.stdout);
        await capture.ready(/IP 10\.60\.0\.3 > 10\.60\.0\.1: ICMP echo reply/, 5000);
        const seen = await capture.stop();
        assertMatch(seen, /10\.251\.0\.1\.\d+ > 10\.251\.0\.2\.4789: VXLAN/);
        assertMatch(seen, /10\.251\.0\.2\.\d+ > 10\.251\.0\.1\.4789: VXLAN/);
        // ... and inside them, the lab's own ping.
        assertMatch(seen, /IP 10\.60\.0\.1 > 10\.60\.0\.3: ICMP echo request/);

        // Don't fragment: the lab MTU (1450 = 1422 bytes of ICMP data + 28) passes; one more fails.
        const fits = await netkit([
          "exec",
          "a",
          "--",
          "ping",
          "-c1",
          "-W2",
          "-M",
          "do",
          "-s",
          "1422",
          "10.60.0.2",
        ]);
        assertEquals(fits.code, 0, fits.stderr + fits.stdout);
        const over = await netkit([
          "exec",
          "a",
          "--",
          "ping",
          "-c1",
          "-W2",
          "-M",
          "do",
          "-s",
          "1423",
          "10.60.0.2",
        ]);
        assert(over.code !== 0, over.stdout);
        assertMatch(over.stdout + over.stderr, /message too long, mtu=1450/);

        const status = await netkit(["status", "mh"]);
        assertEquals(status.code, 0, status.stderr);
        assertMatch(status.stdout, /lab MTU 1450/);
        assertMatch(
          status.stdout,
          /a:eth0 \(h1 10\.251\.0\.1\) <-> br-mid:a-p \(h2 10\.251\.0\.2\)/,
        );
        const list = await netkit(["status"]);
        assertMatch(list.stdout, /mh\s*│ up\s*│ multi-host\s*│ 3\s*│ 1\s*│ 2 hosts/);
        const check = await netkit(["check", "mh"]);
        assertEquals(check.code, 0, check.stderr + check.stdout);
      },
    );

    await t.step("VXLAN from a machine outside the lab is dropped by the host", async () => {
      // h1's part holds its tunnel's filter: VNI packets only from h2's underlay address.
      const vni = vniBase("mh");
      const rule = new RegExp(
        `udp dport 4789 @th,96,24 0x${vni.toString(16)} ip saddr != 10\\.251\\.0\\.2 ` +
          `counter packets (\\d+) bytes \\d+ drop comment "netkit:mh"`,
      );
      const dropped = async () =>
        Number(rule.exec(await h1.run("nft", "list", "table", "inet", "netkit-vxlan-mh"))?.[1]);
      const droppedBefore = await dropped();
      assert(Number.isInteger(droppedBefore), "h1 has no VXLAN filter for lab mh");
      // h3 is on the same underlay, not in the lab, and speaks VXLAN with the lab's VNI to h1:
      // an ARP request for a's address, in a frame a would answer (a VXLAN device with a fixed
      // remote takes any source, and learns it) if the host let it in.
      await using h3 = await simulatedHost("h3", underlay, keys, { octet: 3 });
      for (
        const argv of [
          [
            "ip",
            "link",
            "add",
            "vx-spoof",
            "type",
            "vxlan",
            "id",
            String(vni),
            "local",
            h3.address,
            "remote",
            h1.address,
            "dstport",
            "4789",
          ],
          ["ip", "addr", "add", "10.60.0.9/24", "dev", "vx-spoof"],
          ["ip", "link", "set", "dev", "vx-spoof", "up"],
        ]
      ) await must(...h3.inside(argv));
      const spoof = await run(h3.inside(["ping", "-c", "3", "-i", "0.2", "-W", "1", "10.60.0.1"]));
      assert(spoof.code !== 0, `h3 reached node a over the lab's VXLAN: ${spoof.stdout}`);
      assert((await dropped()) >= droppedBefore + 1, "h1's filter dropped nothing from h3");
      const neigh = await netkit(["exec", "a", "--", "ip", "neigh", "show", "10.60.0.9"]);
      assertEquals(neigh.code, 0, neigh.stderr);
      assertEquals(neigh.stdout.trim(), "", "a frame from h3 reached node a");
      // The lab's own hosts still reach each other through the same filter, which drops none of
      // their packets (h3's device gone first: its ARP retries would count).
      await must(...h3.inside(["ip", "link", "delete", "dev", "vx-spoof"]));
      const droppedAfter = await dropped();
      const ping = await netkit(["exec", "a", "--", "ping", "-c", "2", "-W", "2", "10.60.0.3"]);
      assertEquals(ping.code, 0, ping.stderr + ping.stdout);
      assertEquals(await dropped(), droppedAfter, "h1 dropped the lab's own packets from h2");
    });

    await t.step(
      "graph --format svg and netkit ui draw the lab in a box per host, live from each host",
      async () => {
        const graph = await netkit(["graph", "mh", "--format", "svg"]);
        assertEquals(graph.code, 0, graph.stderr);
        // Well-formed: the parser's validation throws on any error, with its line.
        const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@_" })
          .parse(graph.stdout, true) as { svg: { g: Record<string, string>[] } };
        const drawn = (attr: string) =>
          doc.svg.g.flatMap((g) => g[`@_${attr}`] === undefined ? [] : [g[`@_${attr}`]!]).sort();
        assertEquals(drawn("data-host"), ["h1", "h2"]);
        assertEquals(drawn("data-node"), ["a", "b", "br-mid", "c"]);
        const tunnel = doc.svg.g.find((g) => g["@_data-link"] === "a:eth0--br-mid:a-p");
        assertEquals(tunnel?.["@_class"], "link tunnel");
        for (const text of [">root@10.251.0.1, underlay", ">root@10.251.0.2, underlay"]) {
          assert(graph.stdout.includes(text), `the picture does not say ${text}`);
        }
        assertMatch(graph.stdout, new RegExp(`>vxlan ${vniBase("mh")}<`));

        // netkit ui lists the lab with its hosts, and each end's state as its host reads it.
        const ui = new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "--no-check", MAIN, "ui", "mh", "--no-open", "--control"],
          stdout: "piped",
          stderr: "inherit",
          env: { NO_COLOR: "1" },
        }).spawn();
        try {
          const lines = ui.stdout.pipeThrough(new TextDecoderStream()).getReader();
          let first = "";
          while (!first.includes("\n")) {
            const { done, value } = await lines.read();
            if (done) break;
            first += value;
          }
          (async () => {
            while (!(await lines.read()).done);
          })().catch(() => {});
          const m = /^(http:\/\/127\.0\.0\.1:\d+)\/\?token=([0-9a-f]{64})\n/.exec(first);
          assert(m, `netkit ui printed no URL first: ${first}`);
          const api = (path: string, body?: unknown) =>
            fetch(m[1] + path, {
              headers: { "x-netkit-token": m[2]! },
              ...(body === undefined ? {} : { method: "POST", body: JSON.stringify(body) }),
            });
          type End = { state: string; host: string };
          let state: {
            labs: { name: string; hosts: { role: string; machine: string; members: string[] }[] }[];
            live: Record<string, { ends: Record<string, End> }>;
          } | undefined;
          const ends = async () => {
            state = await (await api("/api/state")).json();
            return state!.live.mh?.ends ?? {};
          };
          await waitFor("the ui's first read of the hosts", async () => "a:eth0" in await ends());
          assertEquals(
            state!.labs.map((l) => [l.name, l.hosts.map((h) => [h.role, h.machine, h.members])]),
            [["mh", [["h1", "root@10.251.0.1", ["a"]], ["h2", "root@10.251.0.2", [
              "b",
              "c",
              "br-mid",
            ]]]]],
          );
          const live = await ends();
          assertEquals(
            ["a:eth0", "b:eth0", "c:eth0"].map((k) => [k, live[k]?.state, live[k]?.host]),
            [["a:eth0", "up", "h1"], ["b:eth0", "up", "h2"], ["c:eth0", "up", "h2"]],
          );
          const picture = await (await api("/api/labs/mh/picture")).json();
          assertEquals(
            picture.graph.nodes.map((n: { id: string; host: string }) => `${n.id}@${n.host}`),
            ["a@h1", "b@h2", "c@h2", "br-mid@h2"],
          );
          // A link set down on h2 shows on the page within a few of its 2 s rounds; then up.
          await must(...h2.inside(["ip", "-n", "c", "link", "set", "eth0", "down"]));
          await waitFor(
            "c:eth0 down in the ui",
            async () => (await ends())["c:eth0"]?.state === "down",
            10_000,
          );
          await must(...h2.inside(["ip", "-n", "c", "link", "set", "eth0", "up"]));
          await waitFor(
            "c:eth0 up in the ui",
            async () => (await ends())["c:eth0"]?.state === "up",
            10_000,
          );
          // The page does not change multi-host labs (yet): said so, nothing changed.
          const flap = await api(
            `/api/labs/mh/links/${encodeURIComponent("a:eth0--br-mid:a-p")}/state`,
            {
              state: "down",
            },
          );
          assertEquals(flap.status, 409);
          assertMatch((await flap.json()).error, /is a multi-host lab: the page does not change/);
          assertEquals((await ends())["a:eth0"]?.state, "up");
        } finally {
          ui.kill("SIGINT");
        }
        assertEquals((await ui.status).code, 0, "netkit ui did not stop cleanly on Ctrl-C");
      },
    );

    await t.step(
      "netkit down on one host alone removes its part; down removes the rest",
      async () => {
        // As after a controller crash: h2's own netkit, with h2's own state, from h2's journal.
        const alone = await new Deno.Command("nsenter", {
          args: h2.inside([Deno.execPath(), "run", "-A", "--config", CONFIG, MAIN, "down", "mh"])
            .slice(1),
          clearEnv: true,
          env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: "/root", NO_COLOR: "1" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = new TextDecoder().decode(alone.stdout) +
          new TextDecoder().decode(alone.stderr);
        assertEquals(alone.code, 0, text);
        assertMatch(text, /Removed lab mh/);
        assertEquals((await h2.snapshot()).namespaces, []);
        const down = await netkit(["down", "mh"]);
        assertEquals(down.code, 0, down.stderr);
        await assertHostsUnchanged(hosts, before, "after down");
        await assertHostUnchanged(withHosts, "after down");
      },
    );

    await t.step("a host that refuses its part makes every other host roll back", async () => {
      await h2.run("ip", "netns", "add", "b"); // h2 already has a namespace the lab wants
      const conflict = await netkit(["up", file, "--hosts", inventory]);
      assertEquals(conflict.code, 2, conflict.stderr);
      assertMatch(conflict.stderr, /host h2: .*"b".*every host's part was rolled back/s);
      await h2.run("ip", "netns", "delete", "b");
      await assertHostsUnchanged(hosts, before, "after h2 refused its part");
      await assertHostUnchanged(withHosts, "after h2 refused its part");
    });

    await t.step("an sshd killed mid-bring-up rolls back every host", async () => {
      // A bigger part on h2, so that its bring-up is under way when its sshd dies.
      const big = join(keys.dir, "big.yaml");
      await Deno.writeTextFile(
        big,
        lab(
          "mh-kill",
          "generate: [{ star: { prefix: s-, count: 60, host: h2, subnet: 10.61.0.0/24 } }]",
        ),
      );
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-check", MAIN, "up", big, "--hosts", inventory, "--no-check"],
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      await waitFor(
        "h2's part to start",
        async () => (await h2.run("ls", "/run/netkit/labs/mh-kill")).includes("lab.json"),
        60_000,
      );
      await h2.killSshd();
      const r = await child.output();
      const err = new TextDecoder().decode(r.stderr);
      assertEquals(r.code, 1, err + new TextDecoder().decode(r.stdout));
      assertMatch(err, /host h2: the SSH connection failed or was lost/);
      // h1 was told to abort; h2 notices its controller is gone and removes its part itself.
      await assertHostsUnchanged(hosts, before, "after sshd was killed", 30_000);
      // The controller kept its record (h2 could not confirm); with sshd back, down clears it.
      await h2.startSshd();
      const down = await netkit(["down", "mh-kill"]);
      assertEquals(down.code, 0, down.stderr);
      await assertHostsUnchanged(hosts, before, "after down");
      await assertHostUnchanged(withHosts, "after down");
    });
  }
  await assertHostUnchanged(controller, "after the multi-host tests");
  assertEquals(await sshClients(), [], "an ssh connection was left open");
});

/** ssh client processes still running (control masters netkit forgot to close). */
async function sshClients(): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const exe = await Deno.readLink(`/proc/${e.name}/exe`).catch(() => "");
    if (exe === "/usr/bin/ssh") out.push(e.name);
  }
  return out;
}
