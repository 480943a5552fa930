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
 * It implements the one {@link Runner} interface (run and spawn), so the executor, probes and
 * status run on another machine exactly as they do here; the `ssh` processes are started by the
 * local runner it wraps.
 *
 * Where to connect, as which user, and the options of `ssh -F FILE` come only from the
 * operator's command line (lib/multihost/inventory.ts), never from a lab file.
 *
 * @module
 */
import {
  type CommandError,
  commandFailed,
  type Process,
  type Runner,
  type RunOptions,
  type RunResult,
  type SpawnOptions,
  textOf,
} from "./runner.ts";
import { scriptLine } from "./shell.ts";

/** How to reach one machine. */
interface SshTarget {
  /** `[USER@]HOST` (HOST may be a `Host` alias of the ssh config). */
  destination: string;
  /** TCP port. @default ssh's (22, or the config's) */
  port?: number | undefined;
  /** `ssh -F FILE`: an OpenSSH client configuration to use instead of ~/.ssh/config. */
  configFile?: string | undefined;
}

/** Options for {@link SshRunner}. */
interface SshRunnerOptions {
  /** The runner that starts `ssh` on this machine (the host context's). */
  local: Runner;
  /** Directory for the control socket (short: a socket path is at most 107 bytes). */
  controlDir: string;
  /** Seconds to wait for the TCP connection. @default 10 */
  connectTimeout?: number;
}

/** {@link SshRunner.spawn}'s options: a runner's, and a terminal on the remote side. */
interface SshSpawnOptions extends SpawnOptions {
  /** `ssh -tt`: the remote command gets a terminal (an interactive `exec`). @default false */
  tty?: boolean;
}

/** ssh's exit code for its own failures (connection refused, authentication, lost link). */
export const SSH_FAILED = 255;

/**
 * A {@link Runner} whose commands run on a remote machine over one shared SSH connection. The
 * `ssh` processes themselves are started by the local runner it is given, so dry-run and tests
 * see them like any command.
 */
export class SshRunner implements Runner {
  /**
   * @param target Where to connect (from the operator's inventory only).
   * @param options The local runner and the control socket's directory.
   * @throws {TypeError} When the destination is not `[USER@]HOST`.
   */
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
  argvFor(argv: readonly string[], options: { tty?: boolean | undefined } = {}): string[] {
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

  /**
   * The error of `argv`, which returned `result` on the host. Its signal is the local `ssh`
   * process's: a signal that ended the remote command reaches netkit only as an exit code.
   */
  private failed(argv: readonly string[], result: RunResult): CommandError {
    return commandFailed([`ssh:${this.target.destination}`, ...argv], result);
  }

  /** Runs `argv` on the host to completion. */
  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const result = await this.options.local.run(this.argvFor(argv), {
      ...options,
      allowFailure: true,
    });
    if (result.code !== 0 && !options.allowFailure) {
      throw this.failed(argv, result);
    }
    return result;
  }

  /** Starts `argv` on the host and returns at once (see {@link Process}). */
  spawn(argv: readonly string[], options: SshSpawnOptions = {}): Process {
    const { tty, ...rest } = options;
    return this.options.local.spawn(this.argvFor(argv, { tty }), rest);
  }

  /**
   * Copies a local file to `remotePath` on the host (via a temporary name, then renamed, so a
   * file that exists is whole), with mode 0755: `dd of=TMP` reading the bytes from stdin.
   */
  async upload(localPath: string, remotePath: string): Promise<void> {
    const tmp = `${remotePath}.part-${crypto.randomUUID().slice(0, 8)}`;
    const argv = ["dd", `of=${tmp}`, "bs=1M", "status=none"];
    const child = this.spawn(argv, { stdin: "piped", stdout: "null" });
    const stderr = textOf(child.stderr);
    const file = await Deno.open(localPath);
    await file.readable.pipeTo(child.stdin!).catch(() => {}); // dd's exit says what went wrong
    const { code, signal } = await child.status;
    if (code !== 0) {
      throw this.failed(argv, {
        code,
        stdout: "",
        stderr: await stderr,
        signal: signal ?? undefined,
      });
    }
    await this.run(["chmod", "0755", tmp]);
    await this.run(["mv", "-f", tmp, remotePath]);
  }

  /** Ends the shared connection (`ssh -O exit`); nothing when there is none. */
  async close(): Promise<void> {
    await this.options.local.run(
      ["ssh", ...this.sshOptions(), "-O", "exit", "--", this.target.destination],
      { allowFailure: true },
    );
  }
}
