/**
 * Where the CLI writes. Tests and `--json` use the same functions.
 *
 * Everything written passes {@link terminalSafe}: text from a lab (a description, a name in an
 * error), from a command's output (stderr in an error, ping's evidence) or from a file reaches
 * the terminal with its control characters escaped, so it can never move the cursor, retitle the
 * window or hide a line. Only netkit's own colours and progress line pass.
 *
 * @module
 */
import { printable } from "../reach.ts";
import { red } from "./color.ts";

const enc = new TextEncoder();

/** The escape sequences netkit writes itself: colours (SGR) and clearing the progress line. */
// deno-lint-ignore no-control-regex -- matching escape sequences is the point
const OWN_SEQUENCES = /\x1b\[[0-9;]*m|\r\x1b\[2K/g;

/**
 * `text` with every control character escaped (see `printable` in lib/reach.ts) except newline,
 * tab and netkit's own colour and progress sequences.
 */
export function terminalSafe(text: string): string {
  let safe = "";
  let last = 0;
  for (const m of text.matchAll(OWN_SEQUENCES)) {
    safe += printable(text.slice(last, m.index)) + m[0];
    last = m.index + m[0].length;
  }
  return safe + printable(text.slice(last));
}

/** Writes text to standard output; a reader that went away (`| head`) ends netkit quietly. */
export function out(text: string): void {
  const data = enc.encode(terminalSafe(text));
  try {
    for (let n = 0; n < data.length;) n += Deno.stdout.writeSync(data.subarray(n));
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) Deno.exit(0);
    throw error;
  }
}

/** Writes text to standard error. */
export function err(text: string): void {
  const data = enc.encode(terminalSafe(text));
  for (let n = 0; n < data.length;) n += Deno.stderr.writeSync(data.subarray(n));
}

/** The one prefix of every error netkit prints, whatever the command or the kind of error. */
const ERROR_PREFIX = "netkit: error:";

/** Writes an error to standard error after {@link ERROR_PREFIX} (red on a colour terminal). */
export function printError(message: string): void {
  err(`${red(ERROR_PREFIX)} ${message}\n`);
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

/**
 * Writes `value` as one JSON line, for a program that reads netkit's answers line by line (the
 * multi-host controller, lib/cli/part.ts). Returns false, instead of ending netkit, when the
 * reader has gone away: what follows is then the caller's decision.
 */
export function outLine(value: unknown): boolean {
  const data = enc.encode(terminalSafe(JSON.stringify(value)) + "\n");
  try {
    for (let n = 0; n < data.length;) n += Deno.stdout.writeSync(data.subarray(n));
    return true;
  } catch {
    return false;
  }
}
