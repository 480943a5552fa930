/**
 * Colour for people: only on a terminal, never with NO_COLOR.
 *
 * @module
 */

import { readEnvironment } from "../host.ts";

/** Whether to use colour: a terminal, and NO_COLOR unset. */
export function useColor(): boolean {
  return Deno.stdout.isTerminal() && !readEnvironment().noColor;
}

const paint = (code: number, s: string) => (useColor() ? `\x1b[${code}m${s}\x1b[0m` : s);
/** Green text on a colour terminal. */
export const green = (s: string) => paint(32, s);
/** Red text on a colour terminal. */
export const red = (s: string) => paint(31, s);
/** Yellow text on a colour terminal. */
export const yellow = (s: string) => paint(33, s);
/** Dim text on a colour terminal. */
export const dim = (s: string) => paint(2, s);
