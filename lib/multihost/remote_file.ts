/**
 * A file the controller must have on a host, checked by its SHA-256 there: a file counts as there
 * when `sha256sum` on the host gives the controller's SHA-256 of it (a name alone says nothing of
 * a half-written or changed copy), and a copy is uploaded under a temporary name, checked the
 * same way and only then renamed to its name, so a host never runs a file that is not the
 * controller's.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { UsageError } from "../errors.ts";
import type { RunResult } from "../exec/runner.ts";

/** A file to have on a host: the controller's `local`, at `remote` there. */
interface RemoteFileSpec {
  local: string;
  remote: string;
}

/** What a host connection needs for {@link ensureRemoteFiles} (an SshRunner has both). */
export interface FileHost {
  run(argv: readonly string[], options?: { allowFailure?: boolean }): Promise<RunResult>;
  /** Writes the local file to the remote path (mode 0755). */
  upload(localPath: string, remotePath: string): Promise<void>;
}

const hashes = new Map<string, Promise<string>>();

/**
 * The SHA-256 (hex) of a local file, read as a stream; computed once per path, size and
 * modification time in this process (a controller provisions several hosts with the same files).
 */
async function localSha256(path: string): Promise<string> {
  const info = await Deno.stat(path);
  const key = `${path}\0${info.size}\0${info.mtime?.getTime()}`;
  let hash = hashes.get(key);
  if (!hash) {
    hash = (async () => {
      const h = createHash("sha256");
      using file = await Deno.open(path);
      for await (const chunk of file.readable) h.update(chunk);
      return h.digest("hex");
    })();
    hashes.set(key, hash);
    hash.catch(() => hashes.delete(key));
  }
  return await hash;
}

/** `sha256sum` on the host: path → SHA-256 of each file there (missing files are absent). */
async function remoteSha256(host: FileHost, paths: string[]): Promise<Map<string, string>> {
  const out = await host.run(["sha256sum", "--", ...paths], { allowFailure: true });
  const found = new Map<string, string>();
  for (const line of out.stdout.split("\n")) {
    const m = line.match(/^([0-9a-f]{64}) [ *](.+)$/);
    if (m) found.set(m[2]!, m[1]!);
  }
  return found;
}

/**
 * Makes sure `host` (called `role` in messages) has every file of `files`, each with the
 * controller's SHA-256: uploads what is missing or different, under a temporary name that is
 * checked before it is renamed. Returns how many files were copied.
 *
 * @throws {UsageError} when a copy arrives with another SHA-256 (it is removed)
 */
export async function ensureRemoteFiles(
  host: FileHost,
  role: string,
  files: RemoteFileSpec[],
): Promise<number> {
  const [want, there] = await Promise.all([
    Promise.all(files.map((f) => localSha256(f.local))),
    remoteSha256(host, files.map((f) => f.remote)),
  ]);
  let copied = 0;
  for (const [i, file] of files.entries()) {
    if (there.get(file.remote) === want[i]) continue;
    const tmp = `${file.remote}.new-${crypto.randomUUID().slice(0, 8)}`;
    await host.run(["mkdir", "-p", "-m", "0755", file.remote.replace(/\/[^/]*$/, "") || "/"]);
    await host.upload(file.local, tmp);
    const got = (await remoteSha256(host, [tmp])).get(tmp);
    if (got !== want[i]) {
      await host.run(["rm", "-f", "--", tmp], { allowFailure: true });
      throw new UsageError(
        `The copy of ${file.local} on host ${role} (${file.remote}) has SHA-256 ${
          got ?? "(none: not there)"
        }, not ${want[i]}: it was removed and is not run`,
        { hint: "check the host's disk (df) and run netkit up again" },
      );
    }
    await host.run(["mv", "-f", "--", tmp, file.remote]);
    copied++;
  }
  return copied;
}
