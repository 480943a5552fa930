/**
 * Long-running commands whose output is read while they run (tcpdump for the SNAT proof).
 * Like runner.ts, argv arrays only.
 *
 * @module
 */

/** A running capture. */
export interface Capture {
  /** Resolves once a line matching `pattern` appeared on stderr or stdout (or after `ms`). */
  ready(pattern: RegExp, ms?: number): Promise<boolean>;
  /** Stops the process and returns everything it printed on stdout. */
  stop(): Promise<string>;
}

/** Starts `argv` with stdout and stderr piped. */
export function startCapture(argv: readonly string[]): Capture {
  const [program, ...args] = argv;
  const child = new Deno.Command(program!, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const waiters: (() => void)[] = [];
  const pump = async (stream: ReadableStream<Uint8Array>, into: (s: string) => void) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      into(chunk);
      waiters.splice(0).forEach((w) => w());
    }
  };
  const done = Promise.all([
    pump(child.stdout, (s) => (out += s)),
    pump(child.stderr, (s) => (err += s)),
  ]);
  return {
    async ready(pattern, ms = 3000) {
      const deadline = Date.now() + ms;
      while (!pattern.test(out + err)) {
        if (Date.now() > deadline) return false;
        await Promise.race([
          new Promise<void>((r) => waiters.push(r)),
          new Promise((r) => setTimeout(r, 50)),
        ]);
      }
      return true;
    },
    async stop() {
      try {
        child.kill("SIGINT");
      } catch {
        // already gone
      }
      await child.status;
      await done;
      return out;
    },
  };
}
