/**
 * Lab files on the real kernel (root): `recipe export` -> `up FILE` -> checks pass -> `up FILE`
 * again changes nothing -> `down FILE`; a bad file fails with exit 2 and file:line:column; the sh
 * export builds the same lab `up` builds and its teardown removes it. Every name starts with t4-.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import {
  assertHostUnchanged,
  isRoot,
  netkit,
  run,
  sh,
  snapshot,
  useTestState,
} from "../helpers/host.ts";
import { withTempDir } from "../helpers/temp.ts";

useTestState("labfile");
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };
const EXAMPLE = new URL("../../examples/labs/bridge-three.yaml", import.meta.url).pathname;

Deno.test("recipe export -> up FILE -> up again -> down FILE", opts, async () => {
  const before = await snapshot();
  await withTempDir("netkit-t4-", async (dir) => {
    const exported = await netkit(["recipe", "export", "ovs-veth", "--prefix", "t4-"]);
    assertEquals(exported.code, 0, exported.stderr);
    assertMatch(exported.stdout, /^name: t4-ovs-veth$/m);
    const file = `${dir}/ovs-veth.yaml`;
    await Deno.writeTextFile(file, exported.stdout);
    try {
      const up = await netkit(["up", file]);
      const others = (await sh("pgrep", "-a", "ovs-vswitchd")).split("\n")
        .filter((l) => l && !l.includes("/run/netkit-test-labfile/"));
      assertEquals(
        up.code,
        0,
        up.stdout + up.stderr +
          (others.length
            ? `\nNote: other ovs-vswitchd instances run; two userspace (netdev) OVS instances on one ` +
              `host fight over the ovs-netdev device:\n${others.join("\n")}`
            : ""),
      );
      assertMatch(up.stdout, /Up: lab t4-ovs-veth/);
      assertEquals((up.stdout.match(/^PASS /gm) ?? []).length, 2, up.stdout);
      assert(!/^FAIL /m.test(up.stdout), up.stdout);

      const links = await sh("ip", "-o", "link", "show");
      const again = await netkit(["up", file]);
      assertEquals(again.code, 0, again.stdout + again.stderr);
      assertMatch(again.stdout, /Lab t4-ovs-veth is already up: nothing changed/);
      assertEquals(await sh("ip", "-o", "link", "show"), links);
    } finally {
      const down = await netkit(["down", file]);
      assertEquals(down.code, 0, down.stderr);
      assertMatch(down.stdout, /Removed lab t4-ovs-veth/);
    }
  });
  await assertHostUnchanged(before, "after down FILE");
});

Deno.test("a bad lab file: exit 2, file:line:column on stderr, host unchanged", opts, async () => {
  const before = await snapshot();
  await withTempDir("netkit-t4-", async (dir) => {
    const file = `${dir}/bad.yaml`;
    await Deno.writeTextFile(
      file,
      [
        "name: t4-bad",
        "nodes:",
        "  t4-a:",
        "    interfaces:",
        "      eth0: { addresses: [10.66.0.1/33] }",
        "    colour: blue",
        "",
      ].join("\n"),
    );
    for (const args of [["up", file], ["up", file, "--dry-run"], ["export", file]]) {
      const r = await netkit(args);
      assertEquals(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assertMatch(r.stderr, new RegExp(`${file}:5:27: expected an IPv4 address with prefix`));
      assertMatch(r.stderr, new RegExp(`${file}:6:5: unrecognized key "colour"`));
    }
    await Deno.writeTextFile(
      `${dir}/link.yaml`,
      "name: t4-link\nnodes:\n  t4-a: {}\nlinks:\n  - endpoints: [t4-a:eth0, t4-nowhere:p]\n",
    );
    const link = await netkit(["up", `${dir}/link.yaml`]);
    assertEquals(link.code, 2, link.stderr);
    assertMatch(link.stderr, /link\.yaml:5:28: "t4-nowhere" is neither a node nor a bridge/);
    await Deno.writeTextFile(`${dir}/dup.yaml`, "name: t4-dup\nnodes:\n  t4-a: {}\n  t4-a: {}\n");
    const dup = await netkit(["up", `${dir}/dup.yaml`]);
    assertEquals(dup.code, 2);
    assertMatch(dup.stderr, /dup\.yaml:4:3: duplicate key "t4-a"/);
    const missing = await netkit(["up", `${dir}/none.yaml`]);
    assertEquals(missing.code, 2);
    assertMatch(missing.stderr, /none\.yaml:1:1: no such file/);
  });
  await assertHostUnchanged(before, "after bad lab files");
});

/** A Linux-bridge lab with a DHCP server and client (so the script writes the hook file). */
const SH_LAB = `name: t4-shlab
nodes:
  t4-a:
    interfaces:
      eth0: { addresses: [10.66.4.1/24] }
    dhcpServer: { interface: eth0, range: [10.66.4.50, 10.66.4.50] }
  t4-b:
    interfaces:
      eth0: { addresses: [10.66.4.2/24] }
  t4-c:
    interfaces:
      eth0: { dhcp: true }
bridges:
  t4-shbr: { type: linux }
links:
  - endpoints: [t4-a:eth0, t4-shbr:t4-sh-a]
  - endpoints: [t4-b:eth0, t4-shbr:t4-sh-b]
  - endpoints: [t4-c:eth0, t4-shbr:t4-sh-c]
expect:
  - ping: { from: t4-b, to: 10.66.4.1 }
  - ping: { from: t4-c, to: 10.66.4.2 }
`;

/** What the lab looks like on the host: namespaces, their interfaces and addresses, root links. */
async function observe(): Promise<unknown> {
  const namespaces = (await sh("ip", "netns", "list")).split("\n").map((l) => l.split(" ")[0]!)
    .filter((n) => n.startsWith("t4-")).sort();
  const inside: Record<string, string[]> = {};
  for (const ns of namespaces) {
    const links = JSON.parse(await sh("ip", "-n", ns, "-j", "addr", "show")) as {
      ifname: string;
      flags: string[];
      addr_info: { family: string; local: string; prefixlen: number }[];
    }[];
    inside[ns] = links.map((l) =>
      `${l.ifname} ${l.flags.includes("UP") ? "UP" : "DOWN"} ${
        l.addr_info.filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`)
          .sort().join(",")
      }`
    ).sort();
  }
  const root = (JSON.parse(await sh("ip", "-j", "link", "show")) as {
    ifname: string;
    master?: string;
  }[]).filter((l) => l.ifname.startsWith("t4-")).map((l) => `${l.ifname}>${l.master ?? ""}`)
    .sort();
  return { namespaces, inside, root };
}

Deno.test("export --format sh builds what up builds; --teardown removes it", opts, async () => {
  const before = await snapshot();
  await withTempDir("netkit-t4-", async (dir) => {
    const file = `${dir}/shlab.yaml`;
    await Deno.writeTextFile(file, SH_LAB);

    const up = await netkit(["up", file]);
    let viaUp: unknown;
    try {
      assertEquals(up.code, 0, up.stdout + up.stderr);
      viaUp = await observe();
    } finally {
      const down = await netkit(["down", file]);
      assertEquals(down.code, 0, down.stderr);
    }
    await assertHostUnchanged(before, "after up/down");
    assertMatch(JSON.stringify(viaUp), /eth0 UP 10\.66\.4\.50\/24/);

    const script = await netkit(["export", file, "--format", "sh"]);
    assertEquals(script.code, 0, script.stderr);
    const teardown = await netkit(["export", file, "--format", "sh", "--teardown"]);
    assertEquals(teardown.code, 0, teardown.stderr);
    assertMatch(script.stdout, /^set -eu$/m);
    assertMatch(script.stdout, /<<'NETKIT_EOF'$/m);
    await Deno.writeTextFile(`${dir}/up.sh`, script.stdout);
    await Deno.writeTextFile(`${dir}/down.sh`, teardown.stdout);
    for (const s of ["up.sh", "down.sh"]) {
      const check = await run(["shellcheck", "--shell=sh", `${dir}/${s}`]);
      assertEquals(check.code, 0, `shellcheck ${s}:\n${check.stdout}${check.stderr}`);
    }

    const built = await run(["sh", `${dir}/up.sh`]);
    let viaScript: unknown;
    try {
      assertEquals(built.code, 0, built.stdout + built.stderr);
      viaScript = await observe();
      const ping = await run(["ip", "netns", "exec", "t4-c", "ping", "-c1", "-W2", "10.66.4.2"]);
      assertEquals(ping.code, 0, ping.stdout + ping.stderr);
    } finally {
      const removed = await run(["sh", `${dir}/down.sh`]);
      assertEquals(removed.code, 0, removed.stdout + removed.stderr);
    }
    assertEquals(viaScript, viaUp);
  });
  await assertHostUnchanged(before, "after the sh script and its teardown");
});

Deno.test("examples/labs/bridge-three.yaml: dry-run and sh export work", opts, async () => {
  const before = await snapshot();
  const dry = await netkit(["up", EXAMPLE, "--dry-run"]);
  assertEquals(dry.code, 0, dry.stderr);
  assertMatch(dry.stdout, /^ip link add name lb3-br type bridge$/m);
  const script = await netkit(["export", EXAMPLE, "--format", "sh"]);
  assertEquals(script.code, 0, script.stderr);
  const check = await new Deno.Command("shellcheck", {
    args: ["--shell=sh", "-"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = check.stdin.getWriter();
  await w.write(new TextEncoder().encode(script.stdout));
  await w.close();
  const r = await check.output();
  assertEquals(r.code, 0, new TextDecoder().decode(r.stdout));
  await assertHostUnchanged(before, "after dry-run and export");
});

/** What a lab looks like on the host, without the fields that differ between two bring-ups. */
function shape(statusJson: string): unknown {
  const s = JSON.parse(statusJson);
  // A leased address depends on the (random) MAC: compare that a lease exists, not which one.
  const leased = new Set(
    s.leases.map((l: { node: string; interface: string }) => `${l.node}/${l.interface}`),
  );
  const nodes = s.nodes.map((
    n: { name: string; interfaces: { name: string; addresses: string[] }[] },
  ) => ({
    ...n,
    interfaces: n.interfaces.map((i) =>
      leased.has(`${n.name}/${i.name}`) ? { ...i, addresses: ["(leased)"] } : i
    ),
  }));
  return {
    nodes,
    bridges: s.bridges,
    leases: s.leases.map((l: { node: string; interface: string; router: string }) => ({
      node: l.node,
      interface: l.interface,
      router: l.router,
    })),
  };
}

for (const name of ["ovs-veth", "ovs-internal", "router", "ovs-patch", "ovs-vlan", "ovs-dhcp"]) {
  Deno.test(
    `recipe ${name} as a lab file: up builds what the recipe builds, checks pass`,
    opts,
    async () => {
      const before = await snapshot();
      const lab = `t4-${name}`;
      let byRecipe: unknown;
      try {
        const r = await netkit(["recipe", name, "--prefix", "t4-", "--no-check"]);
        assertEquals(r.code, 0, r.stderr);
        byRecipe = shape((await netkit(["status", lab, "--json"])).stdout);
      } finally {
        assertEquals((await netkit(["down", lab])).code, 0);
      }
      await withTempDir("netkit-t4-", async (dir) => {
        const file = `${dir}/${name}.yaml`;
        const exported = await netkit(["recipe", "export", name, "--prefix", "t4-"]);
        assertEquals(exported.code, 0, exported.stderr);
        await Deno.writeTextFile(file, exported.stdout);
        try {
          const up = await netkit(["up", file]);
          assertEquals(up.code, 0, up.stdout + up.stderr);
          assert(!/^FAIL /m.test(up.stdout) && /^PASS /m.test(up.stdout), up.stdout);
          const check = await netkit(["check", lab]);
          assertEquals(check.code, 0, check.stdout);
          assertEquals(shape((await netkit(["status", lab, "--json"])).stdout), byRecipe);
        } finally {
          assertEquals((await netkit(["down", file])).code, 0);
        }
      });
      await assertHostUnchanged(before, `after ${name} as a lab file`);
    },
  );
}

Deno.test(
  "a sandboxed OVS lab as sh scripts: its own daemons start and stop, its marked bridge goes",
  opts,
  async () => {
    const before = await snapshot();
    await withTempDir("netkit-t4-", async (dir) => {
      const args = ["export", "ovs-internal", "--prefix", "t4x-", "--sandbox", "--format", "sh"];
      const script = await netkit(args);
      const teardown = await netkit([...args, "--teardown"]);
      assertEquals([script.code, teardown.code], [0, 0], script.stderr + teardown.stderr);
      // The bridge goes only while it carries the lab's mark: found by it, removed by UUID.
      assertMatch(teardown.stdout, /find' 'Bridge' 'name=t4x-br1' 'external_ids:netkit-lab=/);
      assertMatch(teardown.stdout, /'pkill' '-F' '\S+ovs-vswitchd\.pid' '-x' 'ovs-vswitchd'/);
      await Deno.writeTextFile(`${dir}/up.sh`, script.stdout);
      await Deno.writeTextFile(`${dir}/down.sh`, teardown.stdout);
      for (const s of ["up.sh", "down.sh"]) {
        const check = await run(["shellcheck", "--shell=sh", `${dir}/${s}`]);
        assertEquals(check.code, 0, `shellcheck ${s}:\n${check.stdout}${check.stderr}`);
      }
      const built = await run(["sh", `${dir}/up.sh`]);
      try {
        assertEquals(built.code, 0, built.stdout + built.stderr);
        const ping = await run([
          "ip",
          "netns",
          "exec",
          "t4x-ns1",
          "ping",
          "-c1",
          "-W2",
          "10.0.0.2",
        ]);
        assertEquals(ping.code, 0, ping.stdout + ping.stderr);
      } finally {
        const removed = await run(["sh", `${dir}/down.sh`]);
        assertEquals(removed.code, 0, removed.stdout + removed.stderr);
      }
    });
    await assertHostUnchanged(before, "after the sandboxed OVS scripts");
  },
);

Deno.test(
  "up at once after down: the lab's vanishing veth ends are waited for, not a conflict",
  opts,
  async () => {
    const before = await snapshot();
    await withTempDir("netkit-t4-", async (dir) => {
      const file = `${dir}/again.yaml`;
      await Deno.writeTextFile(
        file,
        "name: t4-again\ngenerate:\n  - star: { prefix: t4a-, count: 40, subnet: 10.44.0.0/24 }\n",
      );
      for (let round = 0; round < 4; round++) {
        const up = await netkit(["up", file, "--no-check"]);
        assertEquals(up.code, 0, `round ${round}: ${up.stderr}`);
        const down = await netkit(["down", "t4-again"]);
        assertEquals(down.code, 0, down.stderr);
      }
    });
    await assertHostUnchanged(before, "after four up/down rounds");
  },
);

Deno.test("a generated chain of 100 nodes passes its own end-to-end proof", opts, async () => {
  const before = await snapshot();
  await withTempDir("netkit-t4-", async (dir) => {
    const file = `${dir}/long.yaml`;
    await Deno.writeTextFile(
      file,
      "name: t4-long\ngenerate:\n  - chain: { prefix: t4l-, count: 100, subnet: 10.46.0.0/16 }\n",
    );
    const up = await netkit(["up", file]);
    // 98 routers each way: ping's default TTL of 64 would not get the reply back.
    assertEquals(up.code, 0, up.stdout + up.stderr);
    assertMatch(up.stdout, /PASS t4l-n1 -> 10\.46\.1\.138 reachable/);
    assertEquals((await netkit(["down", "t4-long"])).code, 0);
  });
  await assertHostUnchanged(before, "after the long chain");
});
