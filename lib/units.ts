/**
 * Rates, percentages and durations as lab files, the library and the CLI write them — one parser
 * for each, so that `impair: { rate: 10mbit }`, `impair("rt", "eth1", { rate: "10mbit" })` and
 * `netkit impair ... --rate 10mbit` accept and refuse exactly the same text.
 *
 * - **rate**: a number and `bit`, `kbit`, `mbit` or `gbit` (bits per second, decimal prefixes as
 *   in `tc`): `10mbit`, `1.5mbit`, `512kbit`. From 8kbit to 10gbit. tc's `kbps`/`mbps` mean
 *   *bytes* per second, a classic trap, so they are refused with a hint.
 * - **percent**: `5%`, `0.5%`, `0.01%`: 0 to 100, at most two decimals (the nftables drop rule
 *   counts in 1/10000).
 * - **duration**: a number and `us`, `ms` or `s`: `20ms`, `1.5s`, `500us`.
 *
 * The parsers return numbers; commands are written from those numbers in a canonical form
 * ({@link formatRate}, {@link formatDuration}), so text from a lab file never reaches a command
 * line as it was written.
 *
 * @module
 */
import { UsageError } from "./errors.ts";

const RATE = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)$/;
const RATE_FACTOR: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 };
/** The slowest rate netkit shapes to, in bits per second (8kbit). */
const MIN_RATE_BPS = 8_000;
/** The fastest rate netkit shapes to, in bits per second (10gbit). */
const MAX_RATE_BPS = 10_000_000_000;

/**
 * Why `text` is not a rate, or undefined when it is one. Shared by the schema and
 * {@link parseRate}.
 */
export function rateProblem(text: unknown): string | undefined {
  if (typeof text !== "string") {
    return "expected a rate such as 10mbit (a number and bit, kbit, mbit or gbit)";
  }
  const m = RATE.exec(text);
  if (!m) {
    if (/^\d+(\.\d+)?[kmg]?bps$/i.test(text)) {
      return `${JSON.stringify(text)}: tc's "bps" means bytes per second; write bits per second, ` +
        `e.g. ${text.replace(/bps$/i, "bit").toLowerCase()} (times 8 for the same speed)`;
    }
    return `${
      JSON.stringify(text)
    } is not a rate: expected a number and bit, kbit, mbit or gbit, e.g. 10mbit`;
  }
  const bps = Number(m[1]) * RATE_FACTOR[m[2]!]!;
  if (!Number.isInteger(bps)) {
    return `${JSON.stringify(text)} is not a whole number of bits per second`;
  }
  if (bps < MIN_RATE_BPS || bps > MAX_RATE_BPS) {
    return `${JSON.stringify(text)} is outside 8kbit to 10gbit`;
  }
  return undefined;
}

/** A rate in bits per second, from `10mbit`-style text; throws {@link UsageError} saying why not. */
export function parseRate(text: string, where?: string): number {
  const problem = rateProblem(text);
  if (problem) throw new UsageError(`Invalid rate: ${problem}`, where ? { where } : {});
  const m = RATE.exec(text)!;
  return Math.round(Number(m[1]) * RATE_FACTOR[m[2]!]!);
}

/** A rate as `tc` reads it, in the largest unit that divides it: `10mbit`, `1500kbit`. */
export function formatRate(bps: number): string {
  for (const [unit, factor] of [["gbit", 1e9], ["mbit", 1e6], ["kbit", 1e3]] as const) {
    if (bps % factor === 0) return `${bps / factor}${unit}`;
  }
  return `${bps}bit`;
}

const PERCENT = /^(\d{1,3})(?:\.(\d{1,2}))?%$/;

/** Why `text` is not a percentage, or undefined when it is one. */
export function percentProblem(text: unknown): string | undefined {
  if (typeof text !== "string" || !PERCENT.test(text)) {
    return `${
      typeof text === "string" ? JSON.stringify(text) : String(text)
    } is not a percentage: expected e.g. 5% or 0.5% (0% to 100%, at most two decimals)`;
  }
  if (Number(text.slice(0, -1)) > 100) return `${JSON.stringify(text)} is over 100%`;
  return undefined;
}

/**
 * A percentage in hundredths of a percent (`5%` → 500, `0.25%` → 25), from `N%` text; throws
 * {@link UsageError} saying why not.
 */
export function parsePercent(text: string, where?: string): number {
  const problem = percentProblem(text);
  if (problem) throw new UsageError(`Invalid percentage: ${problem}`, where ? { where } : {});
  const m = PERCENT.exec(text)!;
  return Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
}

/** Hundredths of a percent as text: 500 → `5%`, 25 → `0.25%`. */
export function formatPercent(hundredths: number): string {
  const whole = Math.floor(hundredths / 100);
  const frac = hundredths % 100;
  return frac === 0 ? `${whole}%` : `${whole}.${String(frac).padStart(2, "0").replace(/0$/, "")}%`;
}

const DURATION = /^(\d+(?:\.\d+)?)(us|ms|s)$/;
const DURATION_US: Record<string, number> = { us: 1, ms: 1e3, s: 1e6 };

/** Why `text` is not a duration of at most `maxUs` microseconds, or undefined when it is one. */
export function durationProblem(text: unknown, maxUs: number): string | undefined {
  const m = typeof text === "string" ? DURATION.exec(text) : null;
  if (!m) {
    return `${
      typeof text === "string" ? JSON.stringify(text) : String(text)
    } is not a duration: expected a number and us, ms or s, e.g. 20ms`;
  }
  const us = Number(m[1]) * DURATION_US[m[2]!]!;
  if (!Number.isInteger(us)) return `${JSON.stringify(text)} is not a whole number of microseconds`;
  if (us > maxUs) return `${JSON.stringify(text)} is over ${formatDuration(maxUs)}`;
  return undefined;
}

/** The longest delay or jitter an impairment takes (10 s). */
export const MAX_DELAY_US = 10_000_000;
/** The longest wait a proof's `within` takes (10 minutes). */
export const MAX_WITHIN_US = 600_000_000;

/** A duration in microseconds, from `20ms`-style text; throws {@link UsageError} saying why not. */
export function parseDuration(text: string, maxUs = MAX_WITHIN_US, where?: string): number {
  const problem = durationProblem(text, maxUs);
  if (problem) throw new UsageError(`Invalid duration: ${problem}`, where ? { where } : {});
  const m = DURATION.exec(text)!;
  return Math.round(Number(m[1]) * DURATION_US[m[2]!]!);
}

/** Microseconds as `tc` reads them, in the largest unit that divides them: `20ms`, `1500us`. */
export function formatDuration(us: number): string {
  if (us !== 0 && us % 1e6 === 0) return `${us / 1e6}s`;
  if (us % 1e3 === 0) return `${us / 1e3}ms`;
  return `${us}us`;
}

/** Resolves after `ms` milliseconds: the one pause of bounded waits on a condition. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
