/**
 * The only module that spawns processes.
 *
 * Every command is an argv array handed to `Deno.Command`; nothing is ever passed through a shell.
 * A {@link Runner} is injectable so that dry-run and unit tests record commands instead of running
 * them. One command the real runner may carry out without a process: a namespace's
 * `nsenter --net=/run/netns/NS ip -batch -` whose lines netlink.ts handles, with the same effect
 * and the same result.
 *
 * @module
 */
import { ipBatchNetnsPath } from "./netns_argv.ts";
import { ipBatchInProcess } from "./netlink.ts";

/** What one finished command returned. */
export interface RunResult {
  /** The process's exit code. */
  code: number;
  /** Standard output, decoded as UTF-8. */
  stdout: string;
  /** Standard error, decoded as UTF-8. */
  stderr: string;
}

/** Options for {@link Runner.run}. */
export interface RunOptions {
  /** Text written to the command's standard input. @default undefined (stdin closed) */
  stdin?: string;
  /** Return a non-zero exit instead of throwing {@link CommandError}. @default false */
  allowFailure?: boolean;
  /** Extra environment variables. @default {} */
  env?: Record<string, string>;
}

/** Runs argv arrays. The real one spawns; others record. */
export interface Runner {
  /** Runs `argv` and resolves with what it printed. */
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
}

/** A command exited non-zero (or could not start). Carries the argv, exit code and stderr. */
export class CommandError extends Error {
  /** The command that failed. */
  readonly argv: readonly string[];
  /** Its exit code (127 when it could not be started). */
  readonly code: number;
  /** What it printed on standard error. */
  readonly stderr: string;

  constructor(argv: readonly string[], code: number, stderr: string) {
    const tail = stderr.trim().split("\n").slice(-3).join(" | ");
    super(`Command failed (exit ${code}): ${argv.join(" ")}${tail ? `: ${tail}` : ""}`);
    this.name = "CommandError";
    this.argv = argv;
    this.code = code;
    this.stderr = stderr;
  }
}

const decoder = new TextDecoder();

let rewrite: ((argv: readonly string[]) => readonly string[]) | undefined;

/**
 * Installs a rewrite that {@link ProcessRunner} applies to every argv just before it spawns it
 * (rootless mode: see lib/lab/rootless.ts). `undefined` removes it.
 */
export function setSpawnRewrite(fn: ((argv: readonly string[]) => readonly string[]) | undefined) {
  rewrite = fn;
}

/** Everything a pipe yields, in one buffer of that size. */
async function drain(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  if (chunks.length === 1) return chunks[0]!;
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((at, c) => (all.set(c, at), at + c.length), 0);
  return all;
}

/** The runner that really spawns processes with `Deno.Command`. */
export class ProcessRunner implements Runner {
  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    if (rewrite) argv = rewrite(argv);
    const [program, ...args] = argv;
    if (program === undefined) throw new Error("Cannot run an empty command");
    // A namespace's `ip -batch`: over rtnetlink from this process when it can (netlink.ts).
    const nsPath = options.stdin === undefined ? undefined : ipBatchNetnsPath(argv);
    const done = nsPath === undefined ? undefined : ipBatchInProcess(nsPath, options.stdin!);
    if (done) {
      if (done.code !== 0 && !options.allowFailure) {
        throw new CommandError(argv, done.code, done.stderr);
      }
      return done;
    }
    let output: { code: number; stdout: Uint8Array; stderr: Uint8Array };
    try {
      const child = new Deno.Command(program, {
        args,
        stdin: options.stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
        ...(options.env ? { env: options.env } : {}),
      }).spawn();
      // Read both pipes while writing stdin (a child that fills a pipe never waits on us), into
      // buffers of the output's own size: `child.output()` holds far larger ones until the next
      // garbage collection, about 140 KB per command, 140 MB over a 1,000-namespace bring-up.
      const read = Promise.all([drain(child.stdout), drain(child.stderr)]);
      if (options.stdin !== undefined) {
        const writer = child.stdin.getWriter();
        await writer.write(new TextEncoder().encode(options.stdin));
        await writer.close();
      }
      const [stdout, stderr] = await read;
      output = { code: (await child.status).code, stdout, stderr };
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new CommandError(argv, 127, `${program}: command not found`);
      }
      throw error;
    }
    const result = {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
    if (result.code !== 0 && !options.allowFailure) {
      throw new CommandError(argv, result.code, result.stderr);
    }
    return result;
  }
}

/** One command a {@link RecordingRunner} saw. */
export interface RecordedCommand {
  argv: readonly string[];
  stdin?: string;
}

/**
 * A runner that records commands and runs nothing: used for dry-run and for unit tests.
 * `respond` may supply canned results (for example to make one command fail).
 */
export class RecordingRunner implements Runner {
  readonly commands: RecordedCommand[] = [];
  constructor(
    private readonly respond?: (argv: readonly string[]) => RunResult | undefined,
  ) {}

  run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    this.commands.push(
      options.stdin === undefined ? { argv } : { argv, stdin: options.stdin },
    );
    const result = this.respond?.(argv) ?? { code: 0, stdout: "", stderr: "" };
    if (result.code !== 0 && !options.allowFailure) {
      return Promise.reject(new CommandError(argv, result.code, result.stderr));
    }
    return Promise.resolve(result);
  }
}

/** The process-wide default runner. */
export const defaultRunner: Runner = new ProcessRunner();
