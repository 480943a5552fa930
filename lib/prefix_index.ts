/**
 * Questions about many prefixes at once, each answered without comparing with every prefix:
 * "which of these subnets holds this address?" ({@link SubnetIndex}) and "which earlier prefix
 * overlaps this one?" ({@link OverlapIndex}). Validation asks them for every address, route and
 * BGP neighbor of a node; comparing pairs would make a node with 16,384 addresses cost 10^8
 * comparisons.
 *
 * A prefix `N/L` is kept under the key `L/N`; an address or prefix is looked up under its network
 * at each prefix length the index holds (at most 33 for IPv4, 129 for IPv6), so a question costs
 * a few map lookups whatever the number of prefixes.
 *
 * @module
 */
import ipaddr from "./deps/ipaddr.ts";
import { familyOf } from "./addr.ts";

/** An address (or a prefix's address) as a number, with its family's width in bits. */
interface Parsed {
  bits: number;
  value: bigint;
  length: number;
}

function parse(text: string): Parsed | undefined {
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = familyOf(address);
  if (family === undefined) return undefined;
  const bits = family === 4 ? 32 : 128;
  const length = slash < 0 ? bits : Number(text.slice(slash + 1));
  if (!Number.isInteger(length) || length < 0 || length > bits) return undefined;
  let value = 0n;
  for (const byte of ipaddr.parse(address).toByteArray()) value = (value << 8n) | BigInt(byte);
  return { bits, value, length };
}

/** The key of the network of `p` at prefix length `length` (at most `p.length`). */
const keyAt = (p: Parsed, length: number): string =>
  `${p.bits}/${length}/${(p.value >> BigInt(p.bits - length)).toString(36)}`;

/** The prefix lengths of `prefixes`, by family width, shortest first. */
function lengthsOf(prefixes: Iterable<Parsed>): Map<number, number[]> {
  const sets = new Map<number, Set<number>>();
  for (const p of prefixes) {
    const set = sets.get(p.bits) ?? new Set<number>();
    set.add(p.length);
    sets.set(p.bits, set);
  }
  return new Map([...sets].map(([bits, set]) => [bits, [...set].sort((a, b) => a - b)]));
}

/**
 * Subnets, to ask whether one of them holds an address.
 *
 * @example
 * ```ts
 * import { SubnetIndex } from "./prefix_index.ts";
 * const subnets = new SubnetIndex(["10.0.0.1/24", "2001:db8::1/64"]);
 * subnets.holds("10.0.0.9"); // true
 * subnets.holds("10.0.1.9"); // false
 * ```
 */
export class SubnetIndex {
  #keys = new Set<string>();
  #lengths: Map<number, number[]>;

  /** Indexes `cidrs` (interface addresses such as `10.0.0.1/24`; others are ignored). */
  constructor(cidrs: Iterable<string>) {
    const parsed = [...cidrs].flatMap((c) => parse(c) ?? []);
    for (const p of parsed) this.#keys.add(keyAt(p, p.length));
    this.#lengths = lengthsOf(parsed);
  }

  /** True when one of the subnets holds `ip` (an address of either family). */
  holds(ip: string): boolean {
    const p = parse(ip);
    if (p === undefined) return false;
    return (this.#lengths.get(p.bits) ?? []).some((length) => this.#keys.has(keyAt(p, length)));
  }
}

/** What {@link OverlapIndex} keeps of a prefix: its group and what the caller attached. */
interface Entry<T> {
  group: string;
  value: T;
}

/** The first entry under a key, and the first one of another group (enough for any question). */
type Slot<T> = [Entry<T>, Entry<T>?];

function remember<T>(map: Map<string, Slot<T>>, key: string, entry: Entry<T>): void {
  const slot = map.get(key);
  if (slot === undefined) map.set(key, [entry]);
  else if (slot[1] === undefined && slot[0].group !== entry.group) slot[1] = entry;
}

function otherGroup<T>(slot: Slot<T> | undefined, group: string): Entry<T> | undefined {
  if (slot === undefined) return undefined;
  return slot[0].group !== group ? slot[0] : slot[1];
}

/**
 * Prefixes added one at a time, each in a group (the interface it is on), to find an earlier
 * prefix of another group that overlaps the new one (one holds the other). Each prefix is also
 * kept under its network at every shorter length among the prefixes given up front, so a longer
 * earlier prefix inside a new short one is found as quickly as a shorter one around it.
 *
 * @example
 * ```ts
 * import { OverlapIndex } from "./prefix_index.ts";
 * const node = new OverlapIndex<string>(["10.0.0.1/24", "10.0.0.2/16"]);
 * node.add("10.0.0.1/24", "eth0", "first"); // undefined
 * node.add("10.0.0.2/16", "eth1", "second"); // "first": 10.0.0.0/16 holds 10.0.0.0/24
 * ```
 */
export class OverlapIndex<T> {
  #exact = new Map<string, Slot<T>>();
  #inside = new Map<string, Slot<T>>();
  #lengths: Map<number, number[]>;

  /** Prepares for `all`, every prefix that will be added (their lengths are what it needs). */
  constructor(all: Iterable<string>) {
    this.#lengths = lengthsOf([...all].flatMap((c) => parse(c) ?? []));
  }

  /**
   * Adds `cidr` in `group`; returns the value of an earlier prefix of another group that
   * overlaps it (the earliest that holds it, else one it holds), or undefined.
   */
  add(cidr: string, group: string, value: T): T | undefined {
    const p = parse(cidr);
    if (p === undefined) return undefined;
    const lengths = this.#lengths.get(p.bits) ?? [];
    let found: Entry<T> | undefined;
    for (const length of lengths) {
      if (length > p.length) break;
      found ??= otherGroup(this.#exact.get(keyAt(p, length)), group);
    }
    found ??= otherGroup(this.#inside.get(keyAt(p, p.length)), group);
    const entry = { group, value };
    remember(this.#exact, keyAt(p, p.length), entry);
    for (const length of lengths) {
      if (length >= p.length) break;
      remember(this.#inside, keyAt(p, length), entry);
    }
    return found?.value;
  }
}
