/**
 * The library from anywhere: a script in a directory outside the repository imports mod.ts by
 * path and runs with plain `deno run -A` (no config, no import map); and `netkit run SCRIPT` from
 * the bundle alone in an empty directory gives a script's `import ... from "netkit"` the bundled
 * library. Both scripts build a real two-namespace lab, ping across it and remove it.
 */
import { assertEquals, assertMatch } from "../helpers/assert.ts";
import {
  assertHostUnchanged,
  deno,
  isRoot,
  netkit,
  run,
  snapshot,
  useTestState,
} from "../helpers/host.ts";
import { bundlePath } from "../helpers/bundle.ts";
import { withTempDir, withTempDirs } from "../helpers/temp.ts";

const STATE = useTestState("library");
const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };

/** A script that builds two namespaces joined by a veth pair, pings, and removes them. */
const labScript = (from: string) =>
  `import { addAddress, createNs, linkUp, openLab, vethPair } from ${JSON.stringify(from)};

const prefix = Deno.args[0] ?? "la-";
const [a, b] = [\`\${prefix}a\`, \`\${prefix}b\`];
await using lab = await openLab(\`\${prefix}lab\`);
await lab.add(createNs(a), createNs(b));
await lab.add(vethPair("eth0", "eth0", { ns: a, peerNs: b }));
await lab.add(
  addAddress("eth0", "10.66.0.1/24", { ns: a }),
  linkUp("eth0", { ns: a }),
  addAddress("eth0", "10.66.0.2/24", { ns: b }),
  linkUp("eth0", { ns: b }),
);
const ping = await new Deno.Command("ip", {
  args: ["netns", "exec", a, "ping", "-c", "1", "-W", "2", "10.66.0.2"],
  stdout: "null",
}).output();
console.log(ping.code === 0 ? "reached 10.66.0.2 from " + a : "10.66.0.2 unreachable");
if (ping.code !== 0) Deno.exitCode = 1;
`;

Deno.test(
  "a script outside the repository imports mod.ts by path and runs with deno run -A",
  opts,
  async () => {
    const before = await snapshot();
    await withTempDir("netkit-anywhere-", async (dir) => {
      await Deno.writeTextFile(`${dir}/my-lab.ts`, labScript(`${REPO}/mod.ts`));
      const r = await deno(["run", "-A", "my-lab.ts", "la1-"], dir);
      assertEquals(r.code, 0, r.stderr + r.stdout);
      assertMatch(r.stdout, /^reached 10\.66\.0\.2 from la1-a$/m);
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["my-lab.ts"]);
    });
    await assertHostUnchanged(before, "after a script's lab");
  },
);

Deno.test(
  'netkit run, from the bundle alone: import from "netkit" is the bundled library',
  opts,
  async () => {
    const before = await snapshot();
    await withTempDirs(
      ["netkit-run-alone-", "netkit-run-scripts-", "netkit-run-denodir-"],
      async ([alone, scripts, denoDir]) => {
        await Deno.copyFile(await bundlePath(), `${alone}/netkit.js`);
        await Deno.writeTextFile(`${scripts}/my-lab.ts`, labScript("netkit"));
        await Deno.writeTextFile(`${scripts}/fails.ts`, "Deno.exit(3);\n");
        const netkit = (...args: string[]) =>
          deno(["run", "-A", `--deny-read=${REPO}`, `${alone}/netkit.js`, ...args], scripts, {
            DENO_DIR: denoDir,
          });
        const r = await netkit("run", "my-lab.ts", "--", "la2-");
        assertEquals(r.code, 0, r.stderr + r.stdout);
        assertMatch(r.stdout, /^reached 10\.66\.0\.2 from la2-a$/m);
        const failed = await netkit("run", "fails.ts");
        assertEquals(failed.code, 3, "the script's exit code is netkit's");
        const missing = await netkit("run", "absent.ts");
        assertEquals(missing.code, 2);
        assertMatch(missing.stderr, /No script "absent\.ts"/);
        assertEquals([...Deno.readDirSync(alone)].map((e) => e.name), ["netkit.js"]);
      },
    );
    await assertHostUnchanged(before, "after netkit run");
  },
);

/** The examples a user would write (examples/scripts/), copied where `netkit init` prepared. */
const EXAMPLES = ["ovs_dhcp.ts", "router_snat.ts", "ping_n.ts"];

/** `netkit init DIR` from this checkout, then the example scripts copied into DIR. */
async function initWithExamples(dir: string): Promise<void> {
  const init = await netkit(["init", dir]);
  assertEquals(init.code, 0, init.stderr);
  assertMatch(init.stdout, /"netkit" is file:\/\/.*\/mod\.ts/);
  for (const name of EXAMPLES) {
    await Deno.copyFile(`${REPO}/examples/scripts/${name}`, `${dir}/${name}`);
  }
}

Deno.test("every export of mod.ts type-checks from a script outside the repository", async () => {
  await withTempDir("netkit-check-anywhere-", async (dir) => {
    await Deno.writeTextFile(
      `${dir}/all.ts`,
      `export * from ${JSON.stringify(`${REPO}/mod.ts`)};\n` +
        `import { createNs } from ${JSON.stringify(`${REPO}/mod.ts`)};\n` +
        'console.log(createNs("a").key);\n',
    );
    const ok = await deno(["check", "all.ts"], dir);
    assertEquals(ok.code, 0, ok.stderr);
    await Deno.writeTextFile(
      `${dir}/wrong.ts`,
      `import { createNs } from ${JSON.stringify(`${REPO}/mod.ts`)};\ncreateNs(42);\n`,
    );
    const wrong = await deno(["check", "wrong.ts"], dir);
    assertEquals(wrong.code, 1);
    assertMatch(wrong.stderr, /TS2345.*'number' is not assignable to parameter of type 'string'/);
  });
});

Deno.test(
  'netkit init: deno check sees "netkit" typed, the examples pass, a wrong call fails',
  async () => {
    await withTempDir("netkit-init-", async (dir) => {
      await initWithExamples(dir);
      const config = JSON.parse(await Deno.readTextFile(`${dir}/deno.json`));
      assertEquals(config.imports.netkit, `file://${REPO}/mod.ts`);
      const ok = await deno(["check", "lab.ts", ...EXAMPLES], dir);
      assertEquals(ok.code, 0, ok.stderr);
      await Deno.writeTextFile(
        `${dir}/wrong.ts`,
        'import { createNs, ovsAddPort } from "netkit";\ncreateNs(42);\n' +
          'ovsAddPort("veth-a", { bridg: "br1" });\n',
      );
      const wrong = await deno(["check", "wrong.ts"], dir);
      assertEquals(wrong.code, 1);
      assertMatch(wrong.stderr, /TS2345/);
      assertMatch(wrong.stderr, /bridg/);
      // Run again, init keeps the user's own settings and script.
      await Deno.writeTextFile(`${dir}/lab.ts`, "// mine\n");
      config.tasks = { lab: "netkit run lab.ts" };
      await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify(config));
      assertEquals((await netkit(["init", dir])).code, 0);
      assertEquals(await Deno.readTextFile(`${dir}/lab.ts`), "// mine\n");
      const again = JSON.parse(await Deno.readTextFile(`${dir}/deno.json`));
      assertEquals(again.tasks, { lab: "netkit run lab.ts" });
      assertEquals(again.imports.netkit, `file://${REPO}/mod.ts`);
    });
  },
);

Deno.test(
  "the example scripts run from outside the repository, with deno run -A and with netkit run",
  opts,
  async () => {
    const before = await snapshot();
    await withTempDir("netkit-examples-", async (dir) => {
      await initWithExamples(dir);
      const expected: Record<string, RegExp> = {
        "ovs_dhcp.ts":
          /^lease: eth0\S* +UP +10\.124\.0\.(1\d|20)\/24\n.*reached .*\(10\.124\.0\.1\)$/m,
        "router_snat.ts":
          /netkit:\S+lab.*--to-source 192\.168\.100\.1\n\S+h1 reached 192\.168\.100\.2/,
        "ping_n.ts": /^pingall: 12 pings, 0% lost/m,
      };
      for (const [i, name] of EXAMPLES.entries()) {
        const args = name === "ping_n.ts" ? ["4", `e${i}-`] : [`e${i}-`];
        const direct = await deno(["run", "-A", name, ...args], dir);
        assertEquals(direct.code, 0, `${name}: ${direct.stderr}${direct.stdout}`);
        assertMatch(direct.stdout, expected[name]!);
        const viaNetkit = await netkit(["run", `${dir}/${name}`, ...args]);
        assertEquals(viaNetkit.code, 0, `${name}: ${viaNetkit.stderr}${viaNetkit.stdout}`);
        assertMatch(viaNetkit.stdout, expected[name]!);
      }
    });
    await assertHostUnchanged(before, "after the example scripts");
  },
);

/** A script that builds a lab (held or not), says "ready", and waits to be signalled. */
const waitingScript = (held: boolean) =>
  `import { addAddress, createNs, linkUp, openLab, ovsAddBridge, ovsAddPort, snat, vethPair } from ${
    JSON.stringify(`${REPO}/mod.ts`)
  };
${held ? "await using" : "const"} lab = await openLab("sig-lab");
await lab.add(createNs("sig-a"), createNs("sig-b"), ovsAddBridge("sig-br"));
for (const ns of ["sig-a", "sig-b"]) {
  await lab.add(
    vethPair(\`\${ns}-p\`, { peer: "eth0", peerNs: ns }),
    ovsAddPort(\`\${ns}-p\`, { bridge: "sig-br" }),
    linkUp(\`\${ns}-p\`),
    linkUp("eth0", { ns }),
  );
}
await lab.add(addAddress("eth0", "10.126.0.1/24", { ns: "sig-a" }));
await lab.add(addAddress("eth0", "10.126.0.2/24", { ns: "sig-b" }));
await lab.expect({ ping: { from: "sig-b", to: "10.126.0.1" } });
await lab.add(snat("sig-a", { source: "10.126.0.0/24", toSource: "10.126.0.1" }));
console.log("ready");
await new Promise((resolve) => setTimeout(resolve, 60_000));
`;

/** Starts `script` in `dir`; resolves with the child once it printed "ready". */
async function startWaiting(dir: string, script: string) {
  await Deno.writeTextFile(`${dir}/wait.ts`, script);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "wait.ts"],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("ready\n")) {
    const { value, done } = await lines.read();
    if (done) break;
    seen += value;
  }
  lines.releaseLock();
  assertMatch(seen, /ready/, "the script did not get its lab up");
  return child;
}

Deno.test(
  "a script's lab is first-class: its marks, netkit status, check, graph and export; SIGTERM removes it when held",
  opts,
  async () => {
    const before = await snapshot();
    await withTempDir("netkit-signal-", async (dir) => {
      const child = await startWaiting(dir, waitingScript(true));
      const status = await netkit(["status", "sig-lab", "--json"]);
      assertEquals(status.code, 0, status.stderr);
      const live = JSON.parse(status.stdout);
      assertEquals(live.nodes.map((n: { name: string }) => n.name), ["sig-a", "sig-b"]);
      assertEquals(live.bridges[0].ports.map((p: { name: string }) => p.name).sort(), [
        "sig-a-p",
        "sig-b-p",
      ]);
      const check = await netkit(["check", "sig-lab", "--json"]);
      assertEquals(check.code, 0, check.stderr + check.stdout);
      assertEquals(JSON.parse(check.stdout).map((r: { pass: boolean }) => r.pass), [true]);
      const graph = await netkit(["graph", "sig-lab"]);
      assertEquals(graph.code, 0, graph.stderr);
      assertMatch(graph.stdout, /sig-br/);
      // export: the script's lab as plain commands, like a lab from a file.
      const exported = await netkit(["export", "sig-lab", "--format", "sh"]);
      assertEquals(exported.code, 0, exported.stderr);
      assertMatch(exported.stdout, /^'ip' 'netns' 'add' 'sig-a'$/m);
      assertMatch(exported.stdout, /'add-br' 'sig-br'/);
      const teardown = await netkit(["export", "sig-lab", "--format", "sh", "--teardown"]);
      assertMatch(teardown.stdout, /'ip' 'netns' 'delete' 'sig-a'/);
      const state = JSON.parse(await Deno.readTextFile(`${STATE}/labs/sig-lab/lab.json`));
      const mark = await run([
        "ovs-vsctl",
        `--db=${state.ovs.db}`,
        "get",
        "bridge",
        "sig-br",
        "external_ids:netkit-lab",
      ]);
      assertEquals(mark.stdout.trim().replaceAll('"', ""), "sig-lab", mark.stderr);
      const rules = await run(["ip", "netns", "exec", "sig-a", "iptables", "-t", "nat", "-S"]);
      assertMatch(rules.stdout, /--comment "?netkit:sig-lab"? -j SNAT/);
      child.kill("SIGTERM");
      const { code } = await child.status;
      assertEquals(code, 143);
      const err = await new Response(child.stderr).text();
      assertMatch(err, /SIGTERM: removing lab "sig-lab"/);
    });
    await assertHostUnchanged(before, "after SIGTERM to a script holding its lab");
  },
);

Deno.test(
  "SIGINT to a script that does not hold its lab leaves it up and says how to remove it",
  opts,
  async () => {
    const before = await snapshot();
    await withTempDir("netkit-signal-kept-", async (dir) => {
      const child = await startWaiting(dir, waitingScript(false));
      child.kill("SIGINT");
      assertEquals((await child.status).code, 130);
      const err = await new Response(child.stderr).text();
      assertMatch(err, /SIGINT: lab "sig-lab" stays up; remove it with: netkit down sig-lab/);
      const status = await netkit(["status", "sig-lab", "--json"]);
      assertEquals(JSON.parse(status.stdout).nodes.length, 2);
      assertEquals((await netkit(["down", "sig-lab"])).code, 0);
    });
    await assertHostUnchanged(before, "after netkit down of a script's lab");
  },
);
