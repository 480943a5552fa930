/**
 * Long-running processes that talk while they run: netkit on another host receiving its part of
 * a lab and reporting progress line by line (lib/multihost/), a file streamed to a host over
 * SSH, an interactive `exec` on another host. Argv arrays only, like runner.ts; with runner.ts
 * this is the code that spawns.
 *
 * @module
 */
import { CommandError, ProcessRunner, type Runner } from "./runner.ts";

/** Options for {@link spawnProcess}. */
export interface SpawnOptions {
  /**
   * Standard input: `piped` (write with {@link Spawned.write}), `null`, `inherit` (the
   * terminal), or a stream that is copied in. @default "piped"
   */
  stdin?: "piped" | "null" | "inherit" | ReadableStream<Uint8Array>;
  /** `inherit` gives the process the terminal's stdout and stderr. @default "piped" */
  output?: "piped" | "inherit";
  /** Extra environment variables. @default {} */
  env?: Record<string, string>;
}

/** A running process. */
export interface Spawned {
  /** Writes text to its standard input (piped only); false when the reader is gone. */
  write(text: string): Promise<boolean>;
  /** Closes its standard input (it reads end-of-file). */
  closeStdin(): Promise<void>;
  /** Its standard output, one line at a time (without the newline), as it comes. */
  lines(): AsyncIterableIterator<string>;
  /** Everything it printed on standard error, once it exited. */
  stderr(): Promise<string>;
  /** Its exit code (127 when it could not start). */
  readonly status: Promise<number>;
  /** Sends it a signal; nothing when it already exited. */
  kill(signal?: Deno.Signal): void;
}

/** A {@link Runner} that can also start long-running processes. */
export interface SpawningRunner extends Runner {
  /** Starts `argv` and returns at once. */
  spawn(argv: readonly string[], options?: SpawnOptions): Spawned;
}

const enc = new TextEncoder();

/** Starts `argv` (an argv array, never a shell line). */
export function spawnProcess(argv: readonly string[], options: SpawnOptions = {}): Spawned {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error("Cannot run an empty command");
  const stdinMode = options.stdin ?? "piped";
  const piped = options.output !== "inherit";
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args,
      stdin: typeof stdinMode === "string" ? stdinMode : "piped",
      stdout: piped ? "piped" : "inherit",
      stderr: piped ? "piped" : "inherit",
      ...(options.env ? { env: options.env } : {}),
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return notStarted(argv);
    throw error;
  }
  const writer = stdinMode === "piped" ? child.stdin.getWriter() : undefined;
  if (typeof stdinMode !== "string") stdinMode.pipeTo(child.stdin).catch(() => {});
  let errText = "";
  const errDone = piped
    ? (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) errText += chunk;
    })().catch(() => {})
    : Promise.resolve();
  const status = child.status.then((s) => s.code);
  return {
    async write(text) {
      if (!writer) throw new Error("standard input is not piped");
      try {
        await writer.write(enc.encode(text));
        return true;
      } catch {
        return false;
      }
    },
    async closeStdin() {
      await writer?.close().catch(() => {});
    },
    lines: () => piped ? linesOf(child.stdout) : (async function* () {})(),
    async stderr() {
      await status;
      await errDone;
      return errText;
    },
    status,
    kill(signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // already exited
      }
    },
  };
}

/** Splits a byte stream into lines. */
async function* linesOf(stream: ReadableStream<Uint8Array>): AsyncIterableIterator<string> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    let nl = rest.indexOf("\n");
    while (nl >= 0) {
      yield rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      nl = rest.indexOf("\n");
    }
  }
  if (rest) yield rest;
}

function notStarted(argv: readonly string[]): Spawned {
  const status = Promise.resolve(127);
  return {
    write: () => Promise.resolve(false),
    closeStdin: () => Promise.resolve(),
    lines: async function* () {},
    stderr: () => Promise.resolve(`${argv[0]}: command not found`),
    status,
    kill() {},
  };
}

/** Waits for a spawned process and throws {@link CommandError} when it exits non-zero. */
export async function finished(argv: readonly string[], child: Spawned): Promise<void> {
  const code = await child.status;
  if (code !== 0) throw new CommandError(argv, code, await child.stderr());
}

/** The real runner of this machine, with {@link SpawningRunner.spawn}. */
export class LocalRunner extends ProcessRunner implements SpawningRunner {
  spawn(argv: readonly string[], options: SpawnOptions = {}): Spawned {
    return spawnProcess(argv, options);
  }
}
