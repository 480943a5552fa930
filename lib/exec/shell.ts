/**
 * Shell text exists only as output: dry-run listings and exported scripts. Quoting is done by the
 * `shescape` library for POSIX sh, so a name can never become shell syntax.
 *
 * @module
 */
import { Shescape } from "../deps/shescape.ts";

let shescape: Shescape | undefined;
function sh(): Shescape {
  return shescape ??= new Shescape({ shell: "/bin/sh", flagProtection: false });
}

/** Words that read the same quoted or not. */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Renders an argv array as one POSIX shell command line for people to read: words that need no
 * quoting stay bare, every other word is quoted.
 *
 * @example
 * ```ts
 * import { shellLine } from "./shell.ts";
 * shellLine(["ip", "netns", "add", "my lab"]); // "ip netns add 'my lab'"
 * ```
 */
export function shellLine(argv: readonly string[]): string {
  return argv.map((w) => (PLAIN.test(w) ? w : sh().quote(w))).join(" ");
}

/**
 * Renders an argv array for a script: every word quoted.
 *
 * @example
 * ```ts
 * import { scriptLine } from "./shell.ts";
 * scriptLine(["ip", "netns", "add", "ns1"]); // "'ip' 'netns' 'add' 'ns1'"
 * ```
 */
export function scriptLine(argv: readonly string[]): string {
  return sh().quoteAll([...argv]).join(" ");
}
