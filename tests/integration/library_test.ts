/**
 * The library from anywhere: a script in a directory outside the repository imports mod.ts by
 * path and runs with plain `deno run -A` (no config, no import map); and `netkit run SCRIPT` from
 * the bundle alone in an empty directory gives a script's `import ... from "netkit"` the bundled
 * library. Both scripts build a real two-namespace lab, ping across it and remove it.
 */
import { assertEquals, assertMatch } from "../helpers/assert.ts";
import { assertHostUnchanged, deno, isRoot, snapshot, useTestState } from "../helpers/host.ts";
import { bundlePath } from "../helpers/bundle.ts";
import { withTempDir, withTempDirs } from "../helpers/temp.ts";

useTestState("library");
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
