/**
 * The only module that starts processes.
 *
 * Every command is an argv array handed to `Deno.Command`; nothing is ever passed through a shell.
 * A {@link Runner} has two verbs: {@link Runner.run} runs a command to completion and returns
 * what it printed; {@link Runner.spawn} starts a long-running one (a capture, an interactive
 * command with the terminal, a re-executed netkit, a namespace holder) and hands back a
 * {@link Process}. Runners are injectable, so that dry-run and unit tests record commands
 * instead of running them ({@link RecordingRunner}), and a command can run on another machine
 * through the same interface (lib/exec/ssh_runner.ts).
 *
 * Two commands the real runner may carry out without a process, with the same effect and the
 * same result (lib/exec/in_process.ts): a namespace's `nsenter --net=/run/netns/NS ip -batch -`
 * and its `nsenter --net=/run/netns/NS sysctl -q -w net.KEY=VALUE...`.
 *
 * @module
 */
import { ipBatchNetnsPath, sysctlArgvParts } from "./netns_argv.ts";
import { ipBatchInProcess, sysctlInProcess } from "./in_process.ts";
import type { RunResult } from "./result.ts";

export type { RunResult } from "./result.ts";

/** Options for {@link Runner.run}. */
export interface RunOptions {
  /** Text written to the command's standard input. @default undefined (stdin closed) */
  stdin?: string;
  /** Return a non-zero exit instead of throwing {@link CommandError}. @default false */
  allowFailure?: boolean;
  /** Extra environment variables. @default {} */
  env?: Record<string, string>;
}

/** Where one of a spawned process's standard streams goes. */
export type StreamMode = "piped" | "inherit" | "null";

/** Options for {@link Runner.spawn}. */
export interface SpawnOptions {
  /**
   * Standard input: closed, the terminal's, or piped (write to {@link Process.stdin}: a
   * conversation such as a multi-host part's). @default "null"
   */
  stdin?: "null" | "inherit" | "piped";
  /** Standard output. @default "piped" (read it from {@link Process.stdout}) */
  stdout?: StreamMode;
  /** Standard error. @default "piped" (read it from {@link Process.stderr}) */
  stderr?: StreamMode;
  /** Extra environment variables. @default {} */
  env?: Record<string, string>;
  /**
   * Let netkit exit while the process still runs (a holder that outlives the command that
   * started it). @default false
   */
  detached?: boolean;
  /**
   * Start it in a session and process group of its own: {@link Process.kill} then signals the
   * whole group (the command and what it started), and a signal from the terminal reaches only
   * netkit (`netkit console` stops the command it runs this way on Ctrl-C). @default false
   */
  group?: boolean;
}

/** How a process ended. */
export interface ExitStatus {
  /** Its exit code (128 + the signal number when a signal ended it). */
  code: number;
  /** The signal that ended it, or null. */
  signal: Deno.Signal | null;
}

/** A process started by {@link Runner.spawn}. */
export interface Process {
  /** The command it runs. */
  readonly argv: readonly string[];
  /** Its process id (0 for a recorded one). */
  readonly pid: number;
  /** Resolves when it has exited. */
  readonly status: Promise<ExitStatus>;
  /** Its standard input, when piped. */
  readonly stdin: WritableStream<Uint8Array> | null;
  /** Its standard output, when piped. */
  readonly stdout: ReadableStream<Uint8Array> | null;
  /** Its standard error, when piped. */
  readonly stderr: ReadableStream<Uint8Array> | null;
  /** Sends it a signal; a process that has already exited is fine. @default "SIGTERM" */
  kill(signal?: Deno.Signal): void;
}

/** Runs argv arrays: to completion ({@link Runner.run}) or in the background ({@link Runner.spawn}). */
export interface Runner {
  /** Runs `argv` to completion and resolves with what it printed. */
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Starts `argv` and returns at once; see {@link Process}. */
  spawn(argv: readonly string[], options?: SpawnOptions): Process;
  /**
   * Sends `signal` to every command it started that still runs, detached ones aside (an
   * interrupted command: its proofs' pings and listeners end with it). @default "SIGTERM"
   */
  stopRunning?(signal?: Deno.Signal): void;
}

/**
 * A command exited non-zero, a signal ended it, or it could not start. Carries the argv, exit
 * code, signal and stderr.
 */
export class CommandError extends Error {
  /** The command that failed. */
  readonly argv: readonly string[];
  /** Its exit code (127 when it could not be started; 128 + N when signal N ended it). */
  readonly code: number;
  /**
   * The signal that ended it, or null when it exited by itself (or never started). How far such
   * a command got is unknown; an exit code above 128 alone does not mean a signal (`ip` exits
   * 255 on an ordinary error).
   */
  readonly signal: Deno.Signal | null;
  /** What it printed on standard error. */
  readonly stderr: string;

  /**
   * Makes the error of a failed command.
   *
   * @param argv The command that failed.
   * @param code Its exit code.
   * @param stderr What it printed on standard error (the last three lines go in the message).
   * @param options `signal`: the signal that ended it, as the runner saw it. @default none
   */
  constructor(
    argv: readonly string[],
    code: number,
    stderr: string,
    options: { signal?: Deno.Signal | null | undefined } = {},
  ) {
    const tail = stderr.trim().split("\n").slice(-3).join(" | ");
    const how = options.signal ? `exit ${code}, ended by ${options.signal}` : `exit ${code}`;
    super(`Command failed (${how}): ${argv.join(" ")}${tail ? `: ${tail}` : ""}`);
    this.name = "CommandError";
    this.argv = argv;
    this.code = code;
    this.signal = options.signal ?? null;
    this.stderr = stderr;
  }
}

/** The error of `argv`, which returned `result` (a non-zero exit, or a signal). */
export function commandFailed(argv: readonly string[], result: RunResult): CommandError {
  return new CommandError(argv, result.code, result.stderr, { signal: result.signal });
}

const decoder = new TextDecoder();

/** The signal numbers a shell reports as 128 + N. */
const SIGNALS: Partial<Record<Deno.Signal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGTERM: 15,
};

function notFound(argv: readonly string[]): CommandError {
  return new CommandError(argv, 127, `${argv[0]}: command not found`);
}

/** What in_process.ts did for `argv` instead of a process, or undefined (then spawn it). */
function inProcess(argv: readonly string[], options: RunOptions): RunResult | undefined {
  if (options.env !== undefined) return undefined;
  const nsPath = options.stdin === undefined ? undefined : ipBatchNetnsPath(argv);
  if (nsPath !== undefined) return ipBatchInProcess(nsPath, options.stdin!);
  const sysctl = options.stdin === undefined ? sysctlArgvParts(argv) : undefined;
  return sysctl && sysctlInProcess(sysctl.nsPath, sysctl.sets);
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

/**
 * The runner that really starts processes with `Deno.Command`.
 *
 * @example
 * ```ts
 * import { ProcessRunner } from "../../mod.ts";
 * const runner = new ProcessRunner();
 * const { stdout } = await runner.run(["ip", "-V"]);
 * ```
 */
export class ProcessRunner implements Runner {
  /** The commands started and not yet ended (detached ones aside). */
  readonly #running = new Set<Deno.ChildProcess>();

  /** Tracks `child` until it ends. */
  #track(child: Deno.ChildProcess): void {
    this.#running.add(child);
    child.status.finally(() => this.#running.delete(child));
  }

  /** Sends `signal` to every command started here that still runs (see {@link Runner}). */
  stopRunning(signal: Deno.Signal = "SIGTERM"): void {
    for (const child of this.#running) {
      try {
        child.kill(signal);
      } catch {
        // it has exited already
      }
    }
  }

  /** Runs `argv` to completion; throws {@link CommandError} on a non-zero exit. */
  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const [program, ...args] = argv;
    if (program === undefined) throw new Error("Cannot run an empty command");
    const done = inProcess(argv, options);
    if (done) {
      if (done.code !== 0 && !options.allowFailure) throw commandFailed(argv, done);
      return done;
    }
    let output: { status: Deno.CommandStatus; stdout: Uint8Array; stderr: Uint8Array };
    try {
      const child = new Deno.Command(program, {
        args,
        stdin: options.stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
        ...(options.env ? { env: options.env } : {}),
      }).spawn();
      this.#track(child);
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
      output = { status: await child.status, stdout, stderr };
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw notFound(argv);
      throw error;
    }
    const { code, signal } = output.status;
    const result: RunResult = {
      code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
      ...(signal ? { signal } : {}),
    };
    if (result.code !== 0 && !options.allowFailure) throw commandFailed(argv, result);
    return result;
  }

  /** Starts `argv`; throws {@link CommandError} (exit 127) when the program does not exist. */
  spawn(argv: readonly string[], options: SpawnOptions = {}): Process {
    const [program, ...args] = argv;
    if (program === undefined) throw new Error("Cannot run an empty command");
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(program, {
        args,
        stdin: options.stdin ?? "null",
        stdout: options.stdout ?? "piped",
        stderr: options.stderr ?? "piped",
        ...(options.env ? { env: options.env } : {}),
        ...(options.group ? { detached: true } : {}),
      }).spawn();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw notFound(argv);
      throw error;
    }
    if (options.detached) child.unref();
    else this.#track(child);
    const piped = (mode: StreamMode | undefined) => (mode ?? "piped") === "piped";
    return {
      argv,
      pid: child.pid,
      status: child.status.then((s) => ({
        code: s.signal ? 128 + (SIGNALS[s.signal] ?? 0) : s.code,
        signal: s.signal,
      })),
      stdin: options.stdin === "piped" ? child.stdin : null,
      stdout: piped(options.stdout) ? child.stdout : null,
      stderr: piped(options.stderr) ? child.stderr : null,
      kill(signal: Deno.Signal = "SIGTERM") {
        try {
          if (options.group) Deno.kill(-child.pid, signal);
          else child.kill(signal);
        } catch {
          // it has exited already
        }
      },
    };
  }
}

/** One command a {@link RecordingRunner} saw. */
export interface RecordedCommand {
  /** The command. */
  argv: readonly string[];
  /** What it was given on standard input, if anything. */
  stdin?: string;
  /** True when it was started with {@link Runner.spawn}. */
  spawned?: boolean;
}

/**
 * A runner that records commands and runs nothing: used for dry-run and for unit tests.
 * `respond` may supply canned results (for example to make one command fail, or end by a
 * `signal`).
 *
 * @example Record what a plan would run
 * ```ts
 * import { createNs, Executor, RecordingRunner } from "../../mod.ts";
 * const runner = new RecordingRunner();
 * await new Executor({ runner }).apply([createNs("ns1")]);
 * console.log(runner.commands.map((c) => c.argv.join(" ")));
 * ```
 */
export class RecordingRunner implements Runner {
  /** Every command seen, in order. */
  readonly commands: RecordedCommand[] = [];
  /**
   * Makes a runner that records.
   *
   * @param respond Gives the result of a command (undefined: exit 0, no output).
   */
  constructor(
    private readonly respond?: (
      argv: readonly string[],
      stdin: string | undefined,
    ) => RunResult | undefined,
  ) {}

  /** Records `argv`; resolves with the canned result. */
  run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    this.commands.push(
      options.stdin === undefined ? { argv } : { argv, stdin: options.stdin },
    );
    const result = this.respond?.(argv, options.stdin) ?? { code: 0, stdout: "", stderr: "" };
    if (result.code !== 0 && !options.allowFailure) {
      return Promise.reject(commandFailed(argv, result));
    }
    return Promise.resolve(result);
  }

  /** Records `argv`; the process has already exited with the canned result. */
  spawn(argv: readonly string[], options: SpawnOptions = {}): Process {
    this.commands.push({ argv, spawned: true });
    const result = this.respond?.(argv, undefined) ?? { code: 0, stdout: "", stderr: "" };
    const stream = (mode: StreamMode | undefined, text: string) =>
      (mode ?? "piped") === "piped"
        ? new ReadableStream<Uint8Array>({
          start(controller) {
            if (text) controller.enqueue(new TextEncoder().encode(text));
            controller.close();
          },
        })
        : null;
    return {
      argv,
      pid: 0,
      status: Promise.resolve({ code: result.code, signal: result.signal ?? null }),
      stdin: options.stdin === "piped" ? new WritableStream<Uint8Array>() : null,
      stdout: stream(options.stdout, result.stdout),
      stderr: stream(options.stderr, result.stderr),
      kill() {},
    };
  }
}

/** The output of a spawned process, collected while it runs: see {@link watchOutput}. */
export interface OutputWatch {
  /** Resolves true once `pattern` matches what it printed so far (stdout and stderr), false after `ms`. */
  ready(pattern: RegExp, ms?: number): Promise<boolean>;
  /** Sends `signal` (default SIGINT), waits for the exit, and returns everything on stdout. */
  stop(signal?: Deno.Signal): Promise<string>;
}

/**
 * Collects a spawned process's piped stdout and stderr as it runs, to wait for a line (tcpdump's
 * "listening on") and to read everything once it is stopped.
 *
 * @example Wait for a process to say it is ready, then stop it and read what it printed
 * ```ts
 * import { ProcessRunner, watchOutput } from "../../mod.ts";
 * // The SNAT proof does this with `ip netns exec wan tcpdump -n -l ...` and "listening on".
 * const capture = watchOutput(new ProcessRunner().spawn(["sh", "-c", "echo listening; exec sleep 30"]));
 * if (await capture.ready(/listening/)) console.log(await capture.stop("SIGTERM"));
 * ```
 */
export function watchOutput(process: Process): OutputWatch {
  let out = "";
  let err = "";
  const waiters: (() => void)[] = [];
  const pump = async (stream: ReadableStream<Uint8Array> | null, into: (s: string) => void) => {
    if (!stream) return;
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      into(chunk);
      waiters.splice(0).forEach((w) => w());
    }
  };
  const done = Promise.all([
    pump(process.stdout, (s) => (out += s)),
    pump(process.stderr, (s) => (err += s)),
  ]);
  return {
    async ready(pattern, ms = 3000) {
      const deadline = Date.now() + ms;
      while (!pattern.test(out + err)) {
        if (Date.now() > deadline) return false;
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          new Promise<void>((r) => waiters.push(r)),
          new Promise((r) => (timer = setTimeout(r, 50))),
        ]);
        clearTimeout(timer);
      }
      return true;
    },
    async stop(signal: Deno.Signal = "SIGINT") {
      process.kill(signal);
      await process.status;
      await done;
      return out;
    },
  };
}

/**
 * A byte stream (a spawned process's stdout, or standard input) as lines of text, each without
 * its newline, as they come; the last line may lack one.
 *
 * @example
 * ```ts ignore
 * import { linesOf, ProcessRunner } from "./runner.ts";
 * const child = new ProcessRunner().spawn(["ip", "monitor", "link"]);
 * for await (const line of linesOf(child.stdout!)) console.log(line);
 * ```
 */
export async function* linesOf(
  stream: ReadableStream<Uint8Array>,
): AsyncIterableIterator<string> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    for (let nl = rest.indexOf("\n"); nl >= 0; nl = rest.indexOf("\n")) {
      yield rest.slice(0, nl);
      rest = rest.slice(nl + 1);
    }
  }
  if (rest) yield rest;
}

/** Reads a stream to its end as text (a spawned process's stderr); nothing for null. */
export async function textOf(stream: ReadableStream<Uint8Array> | null): Promise<string> {
  if (!stream) return "";
  let text = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text += chunk;
  return text;
}
