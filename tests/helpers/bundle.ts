/**
 * The bundle (`make bundle`'s dist/netkit.js, from bundle.ts), built once per test run into a
 * temporary directory of its own and removed when the run ends.
 *
 * @module
 */
import { assertEquals } from "./assert.ts";

const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
let built: Promise<string> | undefined;

/** Builds the bundle (once) and returns its path. */
export function bundlePath(): Promise<string> {
  built ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "netkit-bundle-" });
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform=deno", "-o", `${dir}/netkit.js`, "bundle.ts"],
      cwd: REPO,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
    await Deno.chmod(dir, 0o755);
    return `${dir}/netkit.js`;
  })();
  return built;
}
