/**
 * `netkit run` and the user's own Deno configuration (lib/cli/run.ts): a `deno.json` or
 * `deno.jsonc` that maps `"netkit"` is read as Deno reads it (JSONC: comments, trailing commas),
 * and then that mapping is the one the script runs with.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { withTempDir } from "../helpers/temp.ts";
import { configMapsNetkit } from "../../lib/cli/run.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** A deno.jsonc as people write them: comments of both kinds, trailing commas. */
const JSONC = `// The lab's scripts
{
  /* what "netkit" is */
  "imports": {
    "netkit": "./my_netkit.ts", // the library this project pins
  },
  "tasks": { "lab": "netkit run scripts/lab.ts", },
}
`;

Deno.test("configMapsNetkit() reads a deno.jsonc or deno.json with comments and trailing commas", async () => {
  await withTempDir("netkit-run-", async (dir) => {
    await Deno.mkdir(`${dir}/scripts`);
    const script = `${dir}/scripts/lab.ts`;
    await Deno.writeTextFile(script, "");
    assertEquals(await configMapsNetkit(script), false, "no configuration at all");
    await Deno.writeTextFile(`${dir}/deno.jsonc`, JSONC);
    assertEquals(await configMapsNetkit(script), true, "deno.jsonc, one directory up");
    await Deno.rename(`${dir}/deno.jsonc`, `${dir}/deno.json`);
    assertEquals(await configMapsNetkit(script), true, "the same text named deno.json");
    // Comments that only look like a mapping map nothing.
    await Deno.writeTextFile(
      `${dir}/deno.json`,
      '{\n  // "imports": { "netkit": "./x.ts" },\n  "imports": { "other": "./o.ts", },\n}\n',
    );
    assertEquals(await configMapsNetkit(script), false, "a commented-out mapping");
    // The nearest configuration is the one Deno uses, mapping or not.
    await Deno.writeTextFile(`${dir}/deno.json`, JSONC);
    await Deno.writeTextFile(`${dir}/scripts/deno.jsonc`, "{ /* nothing */ }");
    assertEquals(await configMapsNetkit(script), false, "a nearer deno.jsonc without one");
    await Deno.remove(`${dir}/scripts/deno.jsonc`);
    // Not even JSONC: nothing is taken from it.
    await Deno.writeTextFile(`${dir}/deno.json`, '{ "imports": { "netkit": "./x.ts" ');
    assertEquals(await configMapsNetkit(script), false, "an unfinished file");
  });
});

Deno.test('netkit run: a script\'s deno.jsonc with comments maps "netkit" to its own module', async () => {
  await withTempDir("netkit-run-", async (dir) => {
    await Deno.writeTextFile(`${dir}/deno.jsonc`, JSONC);
    await Deno.writeTextFile(`${dir}/my_netkit.ts`, 'export const who = "the project\'s own";\n');
    await Deno.mkdir(`${dir}/scripts`);
    await Deno.writeTextFile(
      `${dir}/scripts/lab.ts`,
      'import { who } from "netkit";\nconsole.log(`netkit is ${who}`);\n',
    );
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", "--no-config", "--no-lock", MAIN, "run", "scripts/lab.ts"],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(r.stdout);
    const stderr = new TextDecoder().decode(r.stderr);
    assertEquals(r.code, 0, stderr);
    assert(stdout.includes("netkit is the project's own"), stdout + stderr);
  });
});
