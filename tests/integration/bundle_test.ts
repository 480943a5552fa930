/**
 * Self-containment: `deno bundle` turns main.ts into one JS file that, copied alone into an empty
 * directory, brings a lab up, proves it, and removes it — reading nothing from the source tree
 * (which the run is denied) and needing no module cache (it gets an empty DENO_DIR).
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { assertHostUnchanged, deno, isRoot, snapshot, useTestState } from "../helpers/host.ts";
import { withTempDirs } from "../helpers/temp.ts";

useTestState("bundle");
const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

Deno.test(
  "the bundle, alone in an empty directory, brings up, checks and removes ovs-internal",
  { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false },
  async () => {
    await withTempDirs(
      ["netkit-bundle-build-", "netkit-bundle-run-", "netkit-bundle-denodir-"],
      async ([build, alone, denoDir]) => {
        const bundled = await deno(
          ["bundle", "--platform=deno", "-o", `${build}/netkit.js`, "bundle.ts"],
          REPO,
        );
        assertEquals(bundled.code, 0, bundled.stderr);
        const js = await Deno.readTextFile(`${build}/netkit.js`);
        // Every import was inlined: nothing left to resolve at run time (an import statement or
        // a dynamic import; an @example kept in a doc comment is no import).
        assert(
          !/^\s*(import|export)\b[^\n]*\bfrom\s*["'](npm:|jsr:|file:|\.\.?\/)/m.test(js) &&
            !/\bimport\(\s*["'](npm:|jsr:|file:|\.\.?\/)/.test(js),
          "the bundle still imports modules",
        );
        assert(js.includes(`version: "`), "deno.json's version is not embedded");
        await Deno.copyFile(`${build}/netkit.js`, `${alone}/netkit.js`);
        assertEquals([...Deno.readDirSync(alone)].map((e) => e.name), ["netkit.js"]);

        const run = (...args: string[]) =>
          deno(["run", "-A", `--deny-read=${REPO}`, "netkit.js", ...args], alone, {
            DENO_DIR: denoDir,
          });
        const version = await run("--version");
        assertEquals(version.code, 0, version.stderr);
        const denoJson = JSON.parse(await Deno.readTextFile(`${REPO}/deno.json`));
        assertEquals(version.stdout.trim(), denoJson.version);

        const before = await snapshot();
        try {
          const up = await run("recipe", "ovs-internal", "--prefix", "t7-");
          assertEquals(up.code, 0, up.stderr + up.stdout);
          assertMatch(up.stdout, /^PASS /m);
          assert(!/^FAIL /m.test(up.stdout), up.stdout);
          const check = await run("check", "t7-ovs-internal");
          assertEquals(check.code, 0, check.stderr + check.stdout);
          assertMatch(check.stdout, /^PASS /m);
          assert(!/^FAIL /m.test(check.stdout), check.stdout);
        } finally {
          const down = await run("down", "t7-ovs-internal");
          assertEquals(down.code, 0, down.stderr);
        }
        await assertHostUnchanged(before, "after the bundle's recipe, check and down");
      },
    );
  },
);
