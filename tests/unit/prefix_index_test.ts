/**
 * The prefix indexes (lib/prefix_index.ts) answer exactly what comparing every pair answers:
 * checked against lib/addr.ts's pairwise functions on random prefixes of both families.
 *
 * @module
 */
import { assertEquals } from "../helpers/assert.ts";
import { inSubnetAny, prefixesOverlap } from "../../lib/addr.ts";
import { OverlapIndex, SubnetIndex } from "../../lib/prefix_index.ts";

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 48271) % 2147483647; // Park and Miller's: exact in a double
    return x / 2147483647;
  };
}

/** Prefixes crowded into few networks, so that many contain one another. */
function prefixes(next: () => number, n: number): string[] {
  return Array.from({ length: n }, () => {
    const pick = (k: number) => Math.floor(next() * k);
    if (next() < 0.5) return `10.${pick(2)}.${pick(4)}.${pick(256)}/${8 + pick(25)}`;
    return `2001:db8:${pick(2).toString(16)}:${pick(4).toString(16)}::${pick(256).toString(16)}/${
      32 + pick(97)
    }`;
  });
}

Deno.test("OverlapIndex finds an earlier overlapping prefix of another group exactly when one exists", () => {
  for (let seed = 1; seed <= 8; seed++) {
    const next = random(seed);
    const all = prefixes(next, 150);
    const groups = all.map(() => `eth${Math.floor(next() * 4)}`);
    const index = new OverlapIndex<number>(all);
    all.forEach((cidr, i) => {
      const found = index.add(cidr, groups[i]!, i);
      const earlier = all.slice(0, i).flatMap((other, k) =>
        groups[k] !== groups[i] && prefixesOverlap(cidr, other) ? [k] : []
      );
      assertEquals(found !== undefined, earlier.length > 0, `${seed}: ${cidr}`);
      if (found !== undefined) assertEquals(earlier.includes(found), true, `${seed}: ${cidr}`);
    });
  }
});

Deno.test("SubnetIndex holds an address exactly when one of its subnets does", () => {
  for (let seed = 1; seed <= 8; seed++) {
    const next = random(seed);
    const subnets = prefixes(next, 50);
    const index = new SubnetIndex(subnets);
    for (const cidr of prefixes(next, 200)) {
      const ip = cidr.split("/")[0]!;
      assertEquals(index.holds(ip), subnets.some((s) => inSubnetAny(ip, s)), `${seed}: ${ip}`);
    }
  }
});
