/**
 * A runner whose commands run on another machine, through OpenSSH.
 *
 * Each argv is sent as one command line in which **every word is quoted** for the remote POSIX
 * shell (by the `shescape` library, as in shell.ts): ssh joins its arguments with spaces and the
 * remote login shell splits them again, so an unquoted word could become shell syntax there. No
 * shell line is ever built from a word without quoting it. (The remote account's shell must be a
 * POSIX-style shell: sh, dash, bash, zsh, ksh; not fish or csh.)
 *
 * One connection per host: the first command opens an OpenSSH *control master* (ControlMaster,
 * socket in a directory of netkit's own), and every later command, parallel ones included, is a
 * session over it; {@link SshRunner.close} ends it. `BatchMode=yes`: never a password prompt.
 *
 * Where to connect, as which user, and the options of `ssh -F FILE` come only from the
 * operator's command line (lib/multihost/inventory.ts), never from a lab file.
 *
 * @module
 */
import { CommandError, type RunOptions, type RunResult } from "./runner.ts";
import { scriptLine } from "./shell.ts";
import { type Spawned, type SpawningRunner, type SpawnOptions, spawnProcess } from "./spawn.ts";

/** How to reach one machine. */
export interface SshTarget {
  /** `[USER@]HOST` (HOST may be a `Host` alias of the ssh config). */
  destination: string;
  /** TCP port. @default ssh's (22, or the config's) */
  port?: number | undefined;
  /** `ssh -F FILE`: an OpenSSH client configuration to use instead of ~/.ssh/config. */
  configFile?: string | undefined;
}

/** Options for {@link SshRunner}. */
export interface SshRunnerOptions {
  /** Directory for the control socket (short: a socket path is at most 107 bytes). */
  controlDir: string;
  /** Seconds to wait for the TCP connection. @default 10 */
  connectTimeout?: number;
}

/** ssh's exit code for its own failures (connection refused, authentication, lost link). */
export const SSH_FAILED = 255;

/** Runs argv arrays on a remote machine over one shared SSH connection. */
export class SshRunner implements SpawningRunner {
  constructor(readonly target: SshTarget, private readonly options: SshRunnerOptions) {
    if (!/^([A-Za-z0-9._-]+@)?[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(target.destination)) {
      throw new TypeError(`Invalid ssh destination ${JSON.stringify(target.destination)}`);
    }
  }

  /** The ssh options every command gets (before the destination). */
  private sshOptions(): string[] {
    const t = this.target;
    return [
      ...(t.configFile !== undefined ? ["-F", t.configFile] : []),
      ...(t.port !== undefined ? ["-p", String(t.port)] : []),
      "-o",
      "BatchMode=yes",
      "-o",
      `ConnectTimeout=${this.options.connectTimeout ?? 10}`,
      "-o",
      "ServerAliveInterval=5",
      "-o",
      "ServerAliveCountMax=3",
      "-o",
      "LogLevel=ERROR",
      "-o",
      "ControlMaster=auto",
      "-o",
      `ControlPath=${this.options.controlDir}/%C`,
      "-o",
      "ControlPersist=60",
    ];
  }

  /**
   * The local argv that runs `argv` on the host: `ssh OPTIONS [-T|-tt] -- DEST 'w1' 'w2' ...`,
   * the remote words quoted, joined into the one command line ssh sends.
   */
  argvFor(argv: readonly string[], options: { tty?: boolean } = {}): string[] {
    if (argv.length === 0) throw new Error("Cannot run an empty command");
    return [
      "ssh",
      ...this.sshOptions(),
      options.tty ? "-tt" : "-T",
      "--",
      this.target.destination,
      scriptLine(argv),
    ];
  }

  /** Runs `argv` on the host to completion. */
  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const child = spawnProcess(this.argvFor(argv), {
      stdin: options.stdin === undefined ? "null" : "piped",
      ...(options.env ? { env: options.env } : {}),
    });
    if (options.stdin !== undefined) {
      await child.write(options.stdin);
      await child.closeStdin();
    }
    let stdout = "";
    for await (const line of child.lines()) stdout += line + "\n";
    const code = await child.status;
    const stderr = await child.stderr();
    if (code !== 0 && !options.allowFailure) {
      throw new CommandError([`ssh:${this.target.destination}`, ...argv], code, stderr);
    }
    return { code, stdout, stderr };
  }

  /** Starts `argv` on the host and returns at once (see {@link Spawned}). */
  spawn(argv: readonly string[], options: SpawnOptions & { tty?: boolean } = {}): Spawned {
    const { tty, ...rest } = options;
    return spawnProcess(this.argvFor(argv, tty ? { tty } : {}), rest);
  }

  /**
   * Copies a local file to `remotePath` on the host (via a temporary name, then renamed, so a
   * file that exists is whole), with mode 0755: `dd of=TMP` reading the bytes from stdin.
   */
  async upload(localPath: string, remotePath: string): Promise<void> {
    const tmp = `${remotePath}.part-${crypto.randomUUID().slice(0, 8)}`;
    const file = await Deno.open(localPath);
    const argv = ["dd", `of=${tmp}`, "bs=1M", "status=none"];
    const child = spawnProcess(this.argvFor(argv), { stdin: file.readable });
    for await (const _ of child.lines()) { /* dd prints nothing */ }
    const code = await child.status;
    if (code !== 0) {
      throw new CommandError(
        [`ssh:${this.target.destination}`, ...argv],
        code,
        await child.stderr(),
      );
    }
    await this.run(["chmod", "0755", tmp]);
    await this.run(["mv", "-f", tmp, remotePath]);
  }

  /** Ends the shared connection (`ssh -O exit`); nothing when there is none. */
  async close(): Promise<void> {
    const child = spawnProcess(
      ["ssh", ...this.sshOptions(), "-O", "exit", "--", this.target.destination],
      { stdin: "null" },
    );
    for await (const _ of child.lines()) { /* nothing */ }
    await child.status;
  }
}
