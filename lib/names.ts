/**
 * The naming scheme, written down in one place.
 *
 * - **Interfaces** (veth ends, bridges, OVS ports, taps): at most 15 bytes (the kernel's IFNAMSIZ
 *   minus the terminating NUL), made of letters, digits, `-`, `_` and `.`, starting with a letter or
 *   digit. Names inside a lab namespace (such as `eth0`) never clash with the host's, so only
 *   root-side names get the lab prefix.
 * - **Names a tool would read as something else** are refused (lib/reach.ts): interfaces named
 *   `ifN` (iproute2 reads "the interface with index N"), all digits, or reserved (`lo`, `all`,
 *   `default`, `any`, OVS's datapath devices, the kernel's fallback tunnels); namespaces named
 *   like a number (iproute2's `netns N` falls back to "the namespace of process N").
 * - **Namespaces**: the same characters, at most 32 bytes (they are file names under /run/netns).
 * - **Labs**: the same characters, at most 32 bytes. A lab's state lives in
 *   `$NETKIT_STATE_DIR/labs/<lab>` (default `/run/netkit/labs/<lab>`).
 * - **Prefixes**: recipes take `prefix` and prepend it to every namespace, bridge and root-side
 *   interface name, so two labs (or parallel tests) never collide. The result must still fit the
 *   limits above; a name that does not is an error, never silently truncated.
 *
 * @module
 */
import { UsageError } from "./errors.ts";
import { ifnameProblem, nsNameProblem } from "./reach.ts";

/** The kernel's limit on interface names, in bytes. */
export const IFNAME_MAX_BYTES = 15;
/** netkit's limit on namespace and lab names, in bytes. */
export const NAME_MAX_BYTES = 32;

/**
 * The 32-bit FNV-1a hash of `text`'s UTF-8 bytes: a short, stable digest of a lab's name (the
 * sandbox namespace's suffix, a multi-host lab's first VNI). Not for anything secret.
 */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const bytes = (s: string) => new TextEncoder().encode(s).length;

function check(
  kind: string,
  name: string,
  max: number,
  where?: string,
  problem: (name: string) => string | undefined = () => undefined,
): string {
  const at = where ? { where } : {};
  if (typeof name !== "string" || name.length === 0) {
    throw new UsageError(`The ${kind} name is empty`, at);
  }
  if (!NAME_PATTERN.test(name)) {
    throw new UsageError(
      `Invalid ${kind} name ${
        JSON.stringify(name)
      }: use letters, digits, "-", "_" and "." only, starting with a letter or digit`,
      at,
    );
  }
  if (bytes(name) > max) {
    throw new UsageError(
      `Invalid ${kind} name ${JSON.stringify(name)}: ${bytes(name)} bytes, the limit is ${max}`,
      { ...at, hint: "use a shorter name or prefix" },
    );
  }
  const alias = problem(name);
  if (alias) throw new UsageError(`Invalid ${kind} name ${JSON.stringify(name)}: ${alias}`, at);
  return name;
}

/** Returns `name` if it is a valid interface name, else throws {@link UsageError}. */
export function checkIfname(name: string, where?: string): string {
  return check("interface", name, IFNAME_MAX_BYTES, where, ifnameProblem);
}

/** Returns `name` if it is a valid namespace name, else throws {@link UsageError}. */
export function checkNsName(name: string, where?: string): string {
  return check("namespace", name, NAME_MAX_BYTES, where, nsNameProblem);
}

/** Returns `name` if it is a valid lab name, else throws {@link UsageError}. */
export function checkLabName(name: string, where?: string): string {
  return check("lab", name, NAME_MAX_BYTES, where);
}

/** Returns `prefix` if it may start a name (empty is allowed), else throws {@link UsageError}. */
export function checkPrefix(prefix: string): string {
  if (prefix !== "" && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(prefix)) {
    throw new UsageError(`Invalid prefix ${JSON.stringify(prefix)}`, {
      hint: 'use letters, digits, "-", "_" and "."',
    });
  }
  return prefix;
}

/**
 * True when a command-line argument names a lab file (a path ending in `.yaml`/`.yml`, or an
 * existing file) rather than a lab or recipe name.
 */
export async function isLabFileArg(arg: string): Promise<boolean> {
  if (/\.ya?ml$/i.test(arg)) return true;
  try {
    return (await Deno.stat(arg)).isFile;
  } catch {
    return false;
  }
}
