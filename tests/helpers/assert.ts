/**
 * The assertions the tests use, on top of node:assert (JSR's @std/assert cannot be installed
 * here), with @std/assert's names.
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

/** Asserts `value` is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Asserts deep, strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Asserts `text` matches `pattern`. */
export function assertMatch(text: string, pattern: RegExp, message?: string): void {
  nodeAssert.match(text, pattern, message);
}

/** Asserts `fn` rejects (with an instance of `type`, when given) and returns the error. */
export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  type?: new (...args: any[]) => E,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    if (type && !(error instanceof type)) {
      throw new nodeAssert.AssertionError({
        message: `expected ${type.name}, got ${error instanceof Error ? error.name : error}: ${
          error instanceof Error ? error.message : ""
        }`,
      });
    }
    return error as E;
  }
  throw new nodeAssert.AssertionError({ message: "expected the promise to reject" });
}

/** Asserts `fn` throws (with an instance of `type`, when given) and returns the error. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  type?: new (...args: any[]) => E,
): E {
  try {
    fn();
  } catch (error) {
    if (type && !(error instanceof type)) {
      throw new nodeAssert.AssertionError({
        message: `expected ${type.name}, got ${error instanceof Error ? error.name : error}`,
      });
    }
    return error as E;
  }
  throw new nodeAssert.AssertionError({ message: "expected a throw" });
}
