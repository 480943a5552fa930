/**
 * Long-running processes whose output streams while they run: `netkit capture` (tcpdump writing
 * pcap to a pipe) and the listener of a TCP proof. Argv arrays only, never a shell.
 *
 * This is the one place outside runner.ts that starts processes, kept small so that it can
 * become the Runner's own `spawn` verb without touching its callers.
 *
 * @module
 */

/** Where a spawned process's standard streams go. */
export interface SpawnOptions {
  /** @default "null" */
  stdin?: "null" | "inherit";
  /** `piped`: read it from {@link Spawned.stdout}. @default "piped" */
  stdout?: "piped" | "inherit" | "null";
  /** `piped`: read it from {@link Spawned.stderr}. @default "piped" */
  stderr?: "piped" | "inherit" | "null";
}

/** A running process. */
export interface Spawned {
  readonly pid: number;
  /** Its standard output, when piped. */
  readonly stdout: ReadableStream<Uint8Array> | null;
  /** Its standard error, when piped. */
  readonly stderr: ReadableStream<Uint8Array> | null;
  /** Resolves when it exits. */
  readonly status: Promise<Deno.CommandStatus>;
  /** Sends it a signal; a process that already exited is not an error. */
  kill(signal?: Deno.Signal): void;
}

/** Starts `argv`; throws `Deno.errors.NotFound` when the program does not exist. */
export function spawn(argv: readonly string[], options: SpawnOptions = {}): Spawned {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error("Cannot spawn an empty command");
  const stdout = options.stdout ?? "piped";
  const stderr = options.stderr ?? "piped";
  const child = new Deno.Command(program, {
    args,
    stdin: options.stdin ?? "null",
    stdout,
    stderr,
  }).spawn();
  return {
    pid: child.pid,
    stdout: stdout === "piped" ? child.stdout : null,
    stderr: stderr === "piped" ? child.stderr : null,
    status: child.status,
    kill(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // it has exited already
      }
    },
  };
}
