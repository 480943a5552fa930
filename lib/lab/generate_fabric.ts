/**
 * Routed topologies in one line: a leaf-spine fabric ({@link clos}), a tree ({@link tree},
 * Mininet's `TreeTopo` with routers for switches), a ring ({@link ring}) and a full mesh
 * ({@link mesh}). Each returns a plain {@link LabInput} with its point-to-point links addressed
 * automatically (the K-th link takes the K-th /30 of a subnet: `.1` and `.2`), its routing, and
 * the proofs that it works.
 *
 * Names (all start with the prefix): `spineN`, `leafN`, `hN` (hosts, numbered across the whole
 * fabric) for `clos`; `sN` (routers, breadth first) and `hN` for `tree`; `rN` for `ring` and
 * `mesh`. Interfaces inside a node are named after what is at the other end (`spine1` in a leaf,
 * `leaf3` in a spine, `eth0` in a host) or numbered `eth0`..`ethN` (the tree, Mininet's way).
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { checkPrefix } from "../names.ts";
import { type Block, block, checkCount, coverFrom, ipOf } from "./generate.ts";
import type { LabInput } from "./schema.ts";

type Nodes = NonNullable<LabInput["nodes"]>;
type NodeIn = Nodes[string];
type Links = NonNullable<LabInput["links"]>;
type Expects = NonNullable<LabInput["expect"]>;

/** Options for {@link clos}. */
export interface ClosOptions {
  /** Starts every name (lab, namespaces). @default "" */
  prefix?: string;
  /** How many spines (1 to 16). */
  spines: number;
  /** How many leaves (1 to 256). */
  leaves: number;
  /** Hosts under each leaf (0 to 16). @default 1 */
  hostsPerLeaf?: number;
  /** The fabric links: link (spine S, leaf L) takes a /30 of this subnet. @default "10.1.0.0/16" */
  fabricSubnet?: string;
  /**
   * The hosts: leaf L's hosts are in the L-th /24 of this subnet (a /30 per host, the leaf's end
   * `.1`), and leaf L announces that /24. @default "10.100.0.0/16"
   */
  hostSubnet?: string;
  /** The spines' AS number (one for all of them, RFC 7938). @default 65000 */
  spineAsn?: number;
  /** Leaf L's AS number is this plus L - 1. @default 65001 */
  leafAsn?: number;
  /** The lab's name. @default `${prefix}clos` */
  name?: string;
}

/** Bounds of {@link clos} (a bigger fabric would pass the lab's size limits anyway). */
const CLOS_LIMITS = { spines: 16, leaves: 256, hostsPerLeaf: 16 } as const;

/** All pairs of hosts are proven when there are at most this many hosts (else a sample). */
const ALL_PAIRS_HOSTS = 16;

/**
 * The most proofs a generator makes: a lab has at most 256 (`LAB_LIMITS.expect`), and a few are
 * left for the lab's own.
 */
const PROOF_BUDGET = 192;

/** The ECMP route proofs of a fabric: one per leaf, for its first leaves. */
const ROUTE_PROOFS = 32;

/** An IPv4 subnet as a {@link Block}, with room for `links` /30s. */
function linkBlock(subnet: string, links: number, what: string): Block {
  const b = block(subnet);
  if (b.family !== 4) throw new UsageError(`${what} ${subnet}: this generator numbers IPv4 only`);
  if (b.prefix > 30 || BigInt(links) * 4n > b.size) {
    throw new UsageError(`${what} ${subnet} holds ${b.size / 4n} /30 links, not ${links}`);
  }
  return b;
}

/** The address `host` (1 or 2) of link `k` (from 0) of block `b`, with or without `/30`. */
const linkIp = (b: Block, k: number, host: 1 | 2) =>
  ipOf(b.base + 4n * BigInt(k) + BigInt(host), 4);

function checkRange(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`Invalid ${what} ${value}: a whole number from ${min} to ${max}`);
  }
}

/**
 * A leaf-spine (Clos) fabric routed with eBGP as RFC 7938 describes: every leaf linked to every
 * spine; the spines share one AS number, each leaf has its own; each leaf announces its hosts'
 * /24, with multipath on (`maximum-paths` = the number of spines), so a leaf reaches another
 * leaf's hosts over every spine (the kernel route has one nexthop per spine). Hosts hang off
 * their leaf by a /30 each, default route via the leaf.
 *
 * Proofs: every host reaches every other (with more than 16 hosts: each host reaches the host in
 * its place under the next leaf, and the first host the first of every other leaf); each leaf's
 * route to the next leaf's hosts has one nexthop per spine, put there by BGP (the first 32
 * leaves); with two or more spines and leaves, with every link of the first spine down, the
 * first host still reaches the last. At most 192 proofs in all (a lab has at most 256).
 *
 * @throws {UsageError} When a count is out of bounds ({@link CLOS_LIMITS}) or a subnet too small.
 * @example 2 spines, 4 leaves, 2 hosts per leaf
 * ```ts
 * import { clos, validateLab } from "../../mod.ts";
 * const lab = validateLab(clos({ prefix: "f-", spines: 2, leaves: 4, hostsPerLeaf: 2 }));
 * lab.nodes["f-leaf1"]?.routing?.bgp?.asn; // 65001
 * ```
 */
export function clos(options: ClosOptions): LabInput {
  const prefix = checkPrefix(options.prefix ?? "");
  const { spines, leaves } = options;
  const perLeaf = options.hostsPerLeaf ?? 1;
  checkRange(spines, 1, CLOS_LIMITS.spines, "spine count");
  checkRange(leaves, 1, CLOS_LIMITS.leaves, "leaf count");
  checkRange(perLeaf, 0, CLOS_LIMITS.hostsPerLeaf, "hosts per leaf");
  const spineAsn = options.spineAsn ?? 65000;
  const leafAsn = options.leafAsn ?? 65001;
  checkRange(spineAsn, 1, 4_294_967_295, "spine AS number");
  checkRange(leafAsn, 1, 4_294_967_295 - leaves, "first leaf AS number");
  if (spineAsn >= leafAsn && spineAsn < leafAsn + leaves) {
    throw new UsageError(`The spines' AS number ${spineAsn} is also a leaf's`);
  }
  const fabric = linkBlock(options.fabricSubnet ?? "10.1.0.0/16", spines * leaves, "Subnet");
  const hosts = block(options.hostSubnet ?? "10.100.0.0/16");
  if (hosts.family !== 4 || hosts.prefix > 24 || BigInt(leaves + 1) * 256n > hosts.size) {
    throw new UsageError(
      `Host subnet ${options.hostSubnet} holds ${
        hosts.size / 256n - 1n
      } leaves' /24s, not ${leaves}`,
    );
  }
  const spine = (s: number) => `${prefix}spine${s}`;
  const leaf = (l: number) => `${prefix}leaf${l}`;
  const host = (l: number, j: number) => `${prefix}h${(l - 1) * perLeaf + j}`;
  const link = (s: number, l: number) => (l - 1) * spines + (s - 1);
  // Leaf L's hosts: the L-th /24 (the 0th stays free), host J's /30 the J-th inside it.
  const lan = (l: number) => hosts.base + 256n * BigInt(l);
  const hostIp = (l: number, j: number, end: 1 | 2) =>
    ipOf(lan(l) + 4n * BigInt(j - 1) + BigInt(end), 4);
  const lanCidr = (l: number) => `${ipOf(lan(l), 4)}/24`;
  const nodes: Nodes = {};
  const links: Links = [];
  for (let s = 1; s <= spines; s++) {
    nodes[spine(s)] = router(
      Array.from(
        { length: leaves },
        (_, i) => [`leaf${i + 1}`, `${linkIp(fabric, link(s, i + 1), 1)}/30`],
      ),
      {
        asn: spineAsn,
        neighbors: Array.from({ length: leaves }, (_, i) => ({
          address: linkIp(fabric, link(s, i + 1), 2),
          asn: leafAsn + i,
        })),
      },
    );
  }
  for (let l = 1; l <= leaves; l++) {
    const ifaces: [string, string][] = [];
    for (let s = 1; s <= spines; s++) {
      ifaces.push([`spine${s}`, `${linkIp(fabric, link(s, l), 2)}/30`]);
      links.push({ endpoints: [`${spine(s)}:leaf${l}`, `${leaf(l)}:spine${s}`] });
    }
    for (let j = 1; j <= perLeaf; j++) {
      ifaces.push([`h${j}`, `${hostIp(l, j, 1)}/30`]);
      links.push({ endpoints: [`${leaf(l)}:h${j}`, `${host(l, j)}:eth0`] });
      nodes[host(l, j)] = {
        interfaces: { eth0: { addresses: [`${hostIp(l, j, 2)}/30`] } },
        routes: [{ to: "default", via: hostIp(l, j, 1) }],
      };
    }
    nodes[leaf(l)] = router(ifaces, {
      asn: leafAsn + l - 1,
      neighbors: Array.from({ length: spines }, (_, i) => ({
        address: linkIp(fabric, link(i + 1, l), 1),
        asn: spineAsn,
      })),
      networks: perLeaf > 0 ? [lanCidr(l)] : [],
      maximumPaths: spines,
    });
  }
  const all = Array.from({ length: leaves * perLeaf }, (_, i) => {
    const l = Math.floor(i / perLeaf) + 1;
    return { name: host(l, i % perLeaf + 1), ip: hostIp(l, i % perLeaf + 1, 2), leaf: l };
  });
  const expect: Expects = [];
  if (leaves >= 2 && perLeaf > 0) {
    for (let l = 1; l <= Math.min(leaves, ROUTE_PROOFS); l++) {
      const other = l % leaves + 1;
      expect.push({
        route: { node: leaf(l), to: lanCidr(other), protocol: "bgp", nexthops: spines },
      });
    }
    if (spines >= 2) {
      const last = all[all.length - 1]!;
      expect.push({ failover: { down: spine(1), from: all[0]!.name, to: last.ip } });
    }
  }
  expect.unshift(...pingsOf(all, perLeaf, PROOF_BUDGET - expect.length));
  return {
    name: options.name ?? `${prefix}clos`,
    description: `a leaf-spine fabric: ${spines} spines, ${leaves} leaves, ` +
      `${perLeaf} hosts per leaf, eBGP with ECMP`,
    nodes,
    links,
    expect,
  };
}

/** A router node with these interfaces (name, address) and BGP. */
function router(
  ifaces: [string, string][],
  bgp: NonNullable<NonNullable<NodeIn["routing"]>["bgp"]>,
): NodeIn {
  return {
    role: "router",
    interfaces: Object.fromEntries(ifaces.map(([name, cidr]) => [name, { addresses: [cidr] }])),
    routing: { bgp },
  };
}

/**
 * The fabric's reachability proofs, at most `max`: all pairs of hosts when there are few; else
 * each host to the host in its place under the next leaf (every host sends and answers across
 * the fabric), then the first host to the first host of every other leaf.
 */
function pingsOf(
  all: { name: string; ip: string; leaf: number }[],
  perLeaf: number,
  max: number,
): Expects {
  const out: Expects = [];
  if (all.length <= ALL_PAIRS_HOSTS) {
    for (const a of all) {
      for (const b of all) if (a !== b) out.push({ ping: { from: a.name, to: b.ip } });
    }
    return out.slice(0, max);
  }
  for (const [i, a] of all.entries()) {
    out.push({ ping: { from: a.name, to: all[(i + perLeaf) % all.length]!.ip } });
  }
  for (let i = 2 * perLeaf; i < all.length; i += perLeaf) {
    out.push({ ping: { from: all[0]!.name, to: all[i]!.ip } });
  }
  return out.slice(0, max);
}

/** Options for {@link tree}. */
export interface TreeOptions {
  /** Starts every name. @default "" */
  prefix?: string;
  /** Levels of routers (1 or more); the hosts hang below the last. */
  depth: number;
  /** Children per router (1 or more). */
  fanout: number;
  /** The links' subnet (IPv4). @default "10.70.0.0/16" */
  subnet?: string;
  /** The lab's name. @default `${prefix}tree` */
  name?: string;
}

/** The next power of two >= n. */
const pow2 = (n: bigint) => {
  let p = 1n;
  while (p < n) p *= 2n;
  return p;
};

/**
 * Mininet's tree (`--topo tree,depth,fanout`) with routers where Mininet has switches: router
 * `s1` at the root, each router with `fanout` children, `depth` levels of routers, hosts `hN`
 * below the last. Every node's uplink is `eth0` (a /30: the parent's end `.1`, the child's `.2`),
 * a router's children hang off `eth1`..`ethF`. Addresses are hierarchical: each subtree's links
 * lie in one aligned block, so a router needs one static route per child plus a default route
 * to its parent. Proofs: every host reaches every other (with more than 16 hosts: the first one
 * reaches at most 192 others, spread over the tree).
 *
 * @throws {UsageError} When depth or fanout is not a whole number >= 1, the tree would have more
 * than 4096 nodes, or the subnet is too small.
 * @example Mininet's default tree, depth 2, fanout 2: 3 routers, 4 hosts
 * ```ts
 * import { tree, validateLab } from "../../mod.ts";
 * const lab = validateLab(tree({ depth: 2, fanout: 2 }));
 * Object.keys(lab.nodes).length; // 7
 * ```
 */
export function tree(options: TreeOptions): LabInput {
  const prefix = checkPrefix(options.prefix ?? "");
  const { depth, fanout } = options;
  checkCount(depth, 1, "tree's depth");
  checkCount(fanout, 1, "tree's fanout");
  let total = 0;
  for (let level = 0, width = 1; level <= depth; level++, width *= fanout) {
    total += width;
    if (total > 4096) {
      throw new UsageError(`A tree of depth ${depth}, fanout ${fanout} has over 4096 nodes`);
    }
  }
  // units(l): the /30s a subtree rooted at level l takes (its uplink first, then its children's
  // aligned blocks), a power of two.
  const F = BigInt(fanout);
  const units: bigint[] = [];
  units[depth] = 1n;
  for (let l = depth - 1; l >= 1; l--) units[l] = pow2((F + 1n) * units[l + 1]!);
  const rootUnits = pow2(F * units[1]!);
  const b = linkBlock(options.subnet ?? "10.70.0.0/16", Number(rootUnits), "Subnet");
  const nodes: Nodes = {};
  const links: Links = [];
  const hosts: { name: string; ip: string }[] = [];
  let routers = 0;
  // Breadth first: s1, its children s2..s(F+1), ...; each entry: name, level, block start (/30s).
  let queue: { name: string; level: number; start: bigint }[] = [{
    name: `${prefix}s1`,
    level: 0,
    start: 0n,
  }];
  routers = 1;
  const at = (unit: bigint, end: 1 | 2) => ipOf(b.base + 4n * unit + BigInt(end), 4);
  while (queue.length > 0) {
    const next: typeof queue = [];
    for (const node of queue) {
      const interfaces: Record<string, { addresses: string[] }> = {};
      const routes: { to: string; via: string }[] = [];
      if (node.level > 0) {
        interfaces.eth0 = { addresses: [`${at(node.start, 2)}/30`] };
        routes.push({ to: "default", via: at(node.start, 1) });
      }
      if (node.level === depth) {
        nodes[node.name] = { interfaces, routes };
        hosts.push({ name: node.name, ip: at(node.start, 2) });
        continue;
      }
      const size = units[node.level + 1]!;
      const first = node.level === 0 ? node.start : node.start + size;
      for (let c = 0; c < fanout; c++) {
        const start = first + size * BigInt(c);
        const child = node.level + 1 === depth
          ? `${prefix}h${hosts.length + next.length + 1}`
          : `${prefix}s${++routers}`;
        interfaces[`eth${c + 1}`] = { addresses: [`${at(start, 1)}/30`] };
        if (size > 1n) {
          for (const to of coverFrom(b.base + 4n * start, 4n * size, 4)) {
            routes.push({ to, via: at(start, 2) });
          }
        }
        links.push({ endpoints: [`${node.name}:eth${c + 1}`, `${child}:eth0`] });
        next.push({ name: child, level: node.level + 1, start });
      }
      nodes[node.name] = { role: "router", interfaces, routes };
    }
    queue = next;
  }
  return {
    name: options.name ?? `${prefix}tree`,
    description: `a tree of routers, depth ${depth}, fanout ${fanout}, hosts at the leaves`,
    nodes,
    links,
    expect: reachAll(hosts),
  };
}

/**
 * Pings: all pairs of `nodes` when there are at most 16, else the first to every other (at most
 * {@link PROOF_BUDGET}, spread evenly over the others).
 */
function reachAll(nodes: { name: string; ip: string }[]): Expects {
  const out: Expects = [];
  if (nodes.length <= ALL_PAIRS_HOSTS) {
    for (const a of nodes) {
      for (const b of nodes) if (a !== b) out.push({ ping: { from: a.name, to: b.ip } });
    }
    return out;
  }
  const others = nodes.length - 1;
  const step = Math.ceil(others / PROOF_BUDGET);
  for (let i = others; i >= 1; i -= step) {
    out.unshift({ ping: { from: nodes[0]!.name, to: nodes[i]!.ip } });
  }
  return out;
}

/** Options for {@link ring} and {@link mesh}. */
export interface RingOptions {
  /** Starts every name. @default "" */
  prefix?: string;
  /** How many routers (ring: 3 to 1024; mesh: 2 to 64). */
  count: number;
  /** The links' subnet (IPv4). @default "10.80.0.0/16" (mesh: "10.90.0.0/16") */
  subnet?: string;
  /** The lab's name. @default `${prefix}ring` (`${prefix}mesh`) */
  name?: string;
}

/**
 * A ring of routers `r1`..`rN`: link K joins `rK:right` (`.1` of the K-th /30) and
 * `r(K+1):left` (`.2`), the last link closes the ring back to `r1`. Static routes send each
 * address the shorter way round (a few aligned blocks per direction). Proofs: every router
 * reaches every other router's `left` address (with more than 16 routers: `r1` reaches every
 * other).
 *
 * @throws {UsageError} When the count is not 3 to 1024 or the subnet is too small.
 * @example
 * ```ts
 * import { ring, validateLab } from "../../mod.ts";
 * const lab = validateLab(ring({ prefix: "r-", count: 6 }));
 * ```
 */
export function ring(options: RingOptions): LabInput {
  const prefix = checkPrefix(options.prefix ?? "");
  const n = options.count;
  checkRange(n, 3, 1024, "ring size");
  const b = linkBlock(options.subnet ?? "10.80.0.0/16", n, "Subnet");
  const r = (k: number) => `${prefix}r${k}`;
  // link k (1..n) joins r(k) and r(k % n + 1)
  const at = (k: number, end: 1 | 2) => linkIp(b, k - 1, end);
  const nodes: Nodes = {};
  const links: Links = [];
  const half = Math.floor((n - 1) / 2);
  for (let k = 1; k <= n; k++) {
    const prev = (k + n - 2) % n + 1; // the link on k's left
    const routes: { to: string; via: string }[] = [];
    // Clockwise (via the right neighbour): links k+1 .. k+half; anticlockwise: the rest
    // except links k and prev (connected).
    const right = rangeLinks(k + 1, half, n);
    const left = rangeLinks(k + 1 + half, n - 2 - half, n);
    for (const [start, len] of right) {
      for (const to of cover(b, start, len)) routes.push({ to, via: at(k, 2) });
    }
    for (const [start, len] of left) {
      for (const to of cover(b, start, len)) routes.push({ to, via: at(prev, 1) });
    }
    nodes[r(k)] = {
      role: "router",
      interfaces: {
        right: { addresses: [`${at(k, 1)}/30`] },
        left: { addresses: [`${at(prev, 2)}/30`] },
      },
      routes,
    };
    links.push({ endpoints: [`${r(k)}:right`, `${r(k % n + 1)}:left`] });
  }
  const all = Array.from(
    { length: n },
    (_, i) => ({ name: r(i + 1), ip: at((i + n - 1) % n + 1, 2) }),
  );
  return {
    name: options.name ?? `${prefix}ring`,
    description: `${n} routers in a ring, static routes the shorter way round`,
    nodes,
    links,
    expect: reachAll(all),
  };
}

/**
 * The ranges of links (1-based start, length, no wrap) that `len` links from link `from` (mod n,
 * wrapping from n to 1) cover.
 */
function rangeLinks(from: number, len: number, n: number): [number, number][] {
  if (len <= 0) return [];
  const start = (from - 1) % n + 1;
  if (start + len - 1 <= n) return [[start, len]];
  return [[start, n - start + 1], [1, len - (n - start + 1)]];
}

/** The aligned blocks that cover links `start`..`start+len-1` (1-based) of block `b` exactly. */
function cover(b: Block, start: number, len: number): string[] {
  const out: string[] = [];
  let from = BigInt(start - 1);
  let left = BigInt(len);
  while (left > 0n) {
    // The biggest aligned block at `from` that fits.
    let size = 1n;
    while (from % (size * 2n) === 0n && size * 2n <= left) size *= 2n;
    out.push(...coverFrom(b.base + 4n * from, 4n * size, 4));
    from += size;
    left -= size;
  }
  return out;
}

/**
 * A full mesh of routers `r1`..`rN`: every pair linked directly (`rI:rJ` in `rI`, the pair's /30:
 * the lower-numbered router `.1`). Proofs: every router reaches every other over their direct
 * link (all pairs with at most 16 routers; else `r1` to every other).
 *
 * @throws {UsageError} When the count is not 2 to 64 or the subnet is too small.
 * @example
 * ```ts
 * import { mesh, validateLab } from "../../mod.ts";
 * const lab = validateLab(mesh({ count: 4 }));
 * lab.links.length; // 6
 * ```
 */
export function mesh(options: RingOptions): LabInput {
  const prefix = checkPrefix(options.prefix ?? "");
  const n = options.count;
  checkRange(n, 2, 64, "mesh size");
  const b = linkBlock(options.subnet ?? "10.90.0.0/16", (n * (n - 1)) / 2, "Subnet");
  const r = (k: number) => `${prefix}r${k}`;
  const nodes: Nodes = {};
  const links: Links = [];
  const expect: Expects = [];
  const ifaces = Array.from({ length: n }, () => ({} as Record<string, { addresses: string[] }>));
  let k = 0;
  for (let i = 1; i <= n; i++) {
    for (let j = i + 1; j <= n; j++, k++) {
      ifaces[i - 1]![`r${j}`] = { addresses: [`${linkIp(b, k, 1)}/30`] };
      ifaces[j - 1]![`r${i}`] = { addresses: [`${linkIp(b, k, 2)}/30`] };
      links.push({ endpoints: [`${r(i)}:r${j}`, `${r(j)}:r${i}`] });
      if (n <= ALL_PAIRS_HOSTS || i === 1) {
        expect.push({ ping: { from: r(i), to: linkIp(b, k, 2) } });
        if (n <= ALL_PAIRS_HOSTS) expect.push({ ping: { from: r(j), to: linkIp(b, k, 1) } });
      }
    }
  }
  for (let i = 1; i <= n; i++) nodes[r(i)] = { role: "router", interfaces: ifaces[i - 1]! };
  return {
    name: options.name ?? `${prefix}mesh`,
    description: `${n} routers, each linked to every other`,
    nodes,
    links,
    expect,
  };
}
