/**
 * Where the CLI writes. Tests and `--json` use the same functions.
 *
 * @module
 */
const enc = new TextEncoder();

/** Writes text to standard output; a reader that went away (`| head`) ends netkit quietly. */
export function out(text: string): void {
  const data = enc.encode(text);
  try {
    for (let n = 0; n < data.length;) n += Deno.stdout.writeSync(data.subarray(n));
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) Deno.exit(0);
    throw error;
  }
}

/** Writes text to standard error. */
export function err(text: string): void {
  Deno.stderr.writeSync(enc.encode(text));
}

/** Writes a value as indented JSON. */
export function outJson(value: unknown): void {
  out(JSON.stringify(value, null, 2) + "\n");
}

/** Progress for slow steps: on a terminal only, silent in pipes. */
export function progress(text: string): void {
  if (Deno.stderr.isTerminal()) err(`\r\x1b[2K${text}`);
}

/** Clears the progress line. */
export function progressDone(): void {
  if (Deno.stderr.isTerminal()) err("\r\x1b[2K");
}

/** A lab file's notice (something it holds that netkit ignores), on standard error. */
export function printNotice(n: { file: string; line: number; column: number; message: string }) {
  err(`${n.file}:${n.line}:${n.column}: notice: ${n.message}\n`);
}
