/**
 * The controller's copy of itself on a host (lib/multihost/remote_file.ts), against a "host" that
 * is a directory of this machine: its commands (sha256sum, mkdir, mv, rm) run for real, its
 * upload is a copy (or, to play a copy that changed on its way, a copy with one byte changed).
 * And how a netkit that runs from the one file's cache entry knows itself (programAt).
 */
import { assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import { withTempDir } from "../helpers/temp.ts";
import { ProcessRunner } from "../../lib/exec/runner.ts";
import { UsageError } from "../../lib/errors.ts";
import { ensureRemoteFiles, type FileHost } from "../../lib/multihost/remote_file.ts";
import { programAt } from "../../lib/multihost/program.ts";

/** A host whose files are this machine's; `garble` changes one byte of every upload. */
function localHost(garble = false): FileHost & { uploads: string[] } {
  const runner = new ProcessRunner();
  const uploads: string[] = [];
  return {
    uploads,
    run: (argv, options) => runner.run(argv, options),
    async upload(local, remote) {
      uploads.push(remote);
      const bytes = await Deno.readFile(local);
      if (garble) bytes[0] = bytes[0]! ^ 1;
      await Deno.writeFile(remote, bytes, { mode: 0o755 });
    },
  };
}

Deno.test("ensureRemoteFiles() copies what is missing or different, and keeps what matches", async () => {
  await withTempDir("netkit-remote-file-", async (dir) => {
    await Deno.writeTextFile(`${dir}/a`, "netkit a\n");
    await Deno.writeTextFile(`${dir}/b`, "netkit b\n");
    const files = [
      { local: `${dir}/a`, remote: `${dir}/host/cache/a` },
      { local: `${dir}/b`, remote: `${dir}/host/cache/b` },
    ];
    const host = localHost();
    assertEquals(await ensureRemoteFiles(host, "h1", files), 2);
    assertEquals(await Deno.readTextFile(`${dir}/host/cache/a`), "netkit a\n");
    // A name is not enough: a file there with other bytes is replaced; a matching one stays.
    await Deno.writeTextFile(`${dir}/host/cache/b`, "netkit B\n");
    const again = localHost();
    assertEquals(await ensureRemoteFiles(again, "h1", files), 1);
    assertEquals(again.uploads.length, 1);
    assertMatch(again.uploads[0]!, /\/host\/cache\/b\.new-[0-9a-f]{8}$/);
    assertEquals(await Deno.readTextFile(`${dir}/host/cache/b`), "netkit b\n");
    assertEquals([...Deno.readDirSync(`${dir}/host/cache`)].map((e) => e.name).sort(), ["a", "b"]);
    assertEquals(await ensureRemoteFiles(localHost(), "h1", files), 0);
  });
});

Deno.test("ensureRemoteFiles() refuses a copy that arrives changed, and removes it", async () => {
  await withTempDir("netkit-remote-file-", async (dir) => {
    await Deno.writeTextFile(`${dir}/netkit`, "#!/bin/sh\necho netkit\n");
    const files = [{ local: `${dir}/netkit`, remote: `${dir}/host/netkit-1234` }];
    const error = await assertRejects(
      () => ensureRemoteFiles(localHost(true), "h2", files),
      UsageError,
    );
    assertMatch(
      error.message,
      /^The copy of .*\/netkit on host h2 \(.*\/host\/netkit-1234\) has SHA-256 [0-9a-f]{64}, not [0-9a-f]{64}: it was removed and is not run$/,
    );
    assertEquals([...Deno.readDirSync(`${dir}/host`)], []);
  });
});

Deno.test("programAt: a module in the one file's cache entry stands for the one file", () => {
  const entry = "/var/cache/netkit/" + "ab".repeat(32);
  const onefile = { file: "/usr/local/bin/netkit", entry };
  assertEquals(programAt(new URL(`file://${entry}/netkit-cli/main.js`), () => true, onefile), {
    kind: "onefile",
    path: "/usr/local/bin/netkit",
    library: `${entry}/netkit.js`,
  });
  // Another netkit started under that environment (an installed one) is itself.
  const bundle = "/opt/nk/lib/netkit/netkit.js";
  assertEquals(
    programAt(
      new URL("file:///opt/nk/lib/netkit/netkit-cli/main.js"),
      (p) => p === bundle,
      onefile,
    ),
    { kind: "bundle", path: bundle },
  );
});
