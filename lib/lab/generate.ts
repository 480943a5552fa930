/**
 * Lab generators: N similar nodes without N hand-written entries. Each returns a plain
 * {@link LabInput} (validate it with `validateLab`, bring it up with `upLab`), with names built
 * from a prefix and addresses allocated from one subnet.
 *
 * @module
 */
import { type Family, ipToBigInt, parseAnyCidr } from "../addr.ts";
import ipaddr from "../deps/ipaddr.ts";
import { UsageError } from "../errors.ts";
import { checkPrefix } from "../names.ts";
import type { LabInput } from "./schema.ts";

/** Options for {@link star}. */
export interface StarOptions {
  /** Starts every name (lab, namespaces, bridge, root-side veth ends). @default "" */
  prefix?: string;
  /** How many nodes hang off the bridge (1 or more). */
  count: number;
  /** The bridge: a Linux bridge or an OVS bridge. @default "linux" */
  bridge?: "linux" | "ovs";
  /**
   * The subnet (IPv4 or IPv6) the nodes' addresses come from, in order (`.1`, `.2`, ...).
   * @default "10.50.0.0/16"
   */
  subnet?: string;
  /** The lab's name. @default `${prefix}star` */
  name?: string;
}

/** Options for {@link chain}. */
export interface ChainOptions {
  /** Starts every name (lab, namespaces). @default "" */
  prefix?: string;
  /** How many nodes in the line (2 or more). */
  count: number;
  /**
   * Each link takes the next /30 of this subnet (IPv4), or the next /64 (IPv6).
   * @default "10.60.0.0/16"
   */
  subnet?: string;
  /** The lab's name. @default `${prefix}chain` */
  name?: string;
}

/** A subnet to allocate from: its first address, prefix length, size and family. */
export interface Block {
  base: bigint;
  prefix: number;
  size: bigint;
  family: Family;
}

/** The subnet (IPv4 or IPv6) as a {@link Block}. */
export function block(subnet: string): Block {
  const { address, prefix, family } = parseAnyCidr(subnet, "subnet");
  const bits = family === 4 ? 32 : 128;
  const n = ipToBigInt(address);
  const size = 2n ** BigInt(bits - prefix);
  return { base: n - (n % size), prefix, size, family };
}

/** The address number `n` of `family` as text (`10.50.0.1`, `2001:db8::1`). */
export function ipOf(n: bigint, family: Family): string {
  const length = family === 4 ? 4 : 16;
  const bytes: number[] = [];
  for (let i = length - 1; i >= 0; i--) bytes.push(Number((n >> BigInt(8 * i)) & 255n));
  return ipaddr.fromByteArray(bytes).toString();
}

/** Refuses a count that is not a whole number >= `min` (`what` names the generator). */
export function checkCount(count: number, min: number, what: string): void {
  if (!Number.isInteger(count) || count < min) {
    throw new UsageError(`Invalid count ${count}: a ${what} needs a whole number >= ${min}`);
  }
}

/**
 * A star: `count` nodes `PREFIXh1`..`PREFIXhN`, each with `eth0` on one bridge `PREFIXbr`
 * (veth pairs whose root ends are `PREFIXhK-p`), addresses `.1`, `.2`, ... of `subnet`, and one
 * proof: the first node pings the last.
 *
 * @throws {UsageError} When the count is not a whole number >= 1 or the subnet is too small.
 * @example 100 namespaces on an OVS bridge
 * ```ts
 * import { star, upLab, validateLab } from "../../mod.ts";
 * const lab = validateLab(star({ prefix: "bx-", count: 100, bridge: "ovs" }));
 * // await upLab(lab);
 * ```
 */
export function star(options: StarOptions): LabInput {
  const prefix = checkPrefix(options.prefix ?? "");
  checkCount(options.count, 1, "star");
  const { base, prefix: plen, size, family } = block(options.subnet ?? "10.50.0.0/16");
  if (BigInt(options.count) > size - 2n) {
    throw new UsageError(`Subnet ${options.subnet} holds ${size - 2n} nodes, not ${options.count}`);
  }
  const br = `${prefix}br`;
  const nodes: NonNullable<LabInput["nodes"]> = {};
  const links: NonNullable<LabInput["links"]> = [];
  for (let i = 1; i <= options.count; i++) {
    const node = `${prefix}h${i}`;
    nodes[node] = {
      interfaces: { eth0: { addresses: [`${ipOf(base + BigInt(i), family)}/${plen}`] } },
    };
    links.push({ endpoints: [`${node}:eth0`, `${br}:${node}-p`] });
  }
  return {
    name: options.name ?? `${prefix}star`,
    description: `${options.count} namespaces on one ${options.bridge ?? "linux"} bridge`,
    nodes,
    bridges: { [br]: { type: options.bridge ?? "linux" } },
    links,
    expect: [{ ping: { from: `${prefix}h1`, to: ipOf(base + BigInt(options.count), family) } }],
  };
}

/** A chain's proof pings from its first node to at most this one (TTL 255 crosses 253 routers). */
const MAX_PING_NODES = 255;

/** The sysctl that lets the pinged node's replies cross up to 254 routers, per family. */
const LONG_REPLY_TTL: Record<Family, Record<string, number>> = {
  4: { "net.ipv4.ip_default_ttl": 255 },
  6: { "net.ipv6.conf.default.hop_limit": 255 },
};

/**
 * The aligned blocks (CIDRs) that cover the `size` addresses from `start` exactly, `start` being
 * aligned to a block of at least `size` addresses: one block per bit of `size`, largest first.
 */
export function coverFrom(start: bigint, size: bigint, family: Family): string[] {
  const bits = family === 4 ? 32 : 128;
  const blocks: string[] = [];
  for (let b = bits - 1; b >= 0; b--) {
    const bit = 1n << BigInt(b);
    if ((size & bit) === 0n) continue;
    blocks.push(`${ipOf(start, family)}/${bits - b}`);
    start += bit;
  }
  return blocks;
}

/**
 * A chain: `count` nodes `PREFIXn1`..`PREFIXnN` in a line, node K's `right` linked to node K+1's
 * `left`; link K is the K-th /30 (IPv6: /64) of `subnet`. Inner nodes are routers. Every node reaches every
 * other: a node sends what is on its left (links 1 .. K-2, the addresses from the start of
 * `subnet` up to its own left link) through its left neighbour, as the few aligned blocks that
 * cover exactly that range, and everything else through its right neighbour (the last node:
 * everything through its left one). One proof: the first node pings the last (in a chain of
 * more than 255 nodes, the 255th: no ping crosses more routers).
 *
 * The routes grow as N·log2(N)/2, not N²: a node needs one route per set bit of K-2 (at most 12
 * for 4096 nodes) plus its default; a chain of 4096 nodes has 28,649 routes instead of 8.4
 * million. Fewer is not possible while every node reaches every other: a node must tell its
 * left side from its right side, and a range of addresses that is not itself one aligned block
 * takes a route per block.
 *
 * @throws {UsageError} When the count is not a whole number >= 2 or the subnet is too small.
 * @example Five namespaces in a line
 * ```ts
 * import { chain, validateLab } from "../../mod.ts";
 * const lab = validateLab(chain({ prefix: "demo-", count: 5 }));
 * ```
 */
export function chain(options: ChainOptions): LabInput {
  const prefix = checkPrefix(options.prefix ?? "");
  checkCount(options.count, 2, "chain");
  const { base, prefix: plen, size, family } = block(options.subnet ?? "10.60.0.0/16");
  const count = options.count;
  // IPv4 links are /30s; IPv6 links /64s (the subnet must be /64 or shorter).
  const linkPrefix = family === 4 ? 30 : 64;
  if (plen > linkPrefix) {
    throw new UsageError(`Subnet ${options.subnet} is smaller than one /${linkPrefix} link`);
  }
  const step = 2n ** BigInt((family === 4 ? 32 : 128) - linkPrefix);
  if (BigInt(count - 1) * step > size) {
    throw new UsageError(`Subnet ${options.subnet} holds ${size / step} links, not ${count - 1}`);
  }
  const name = (k: number) => `${prefix}n${k}`;
  // link k joins node k and node k+1
  const net = (link: number) => base + step * BigInt(link - 1);
  const at = (link: number, host: number) => ipOf(net(link) + BigInt(host), family);
  const nodes: NonNullable<LabInput["nodes"]> = {};
  const links: NonNullable<LabInput["links"]> = [];
  const pinged = Math.min(count, MAX_PING_NODES);
  for (let k = 1; k <= count; k++) {
    const interfaces: Record<string, { addresses: string[] }> = {};
    const routes: { to: string; via: string }[] = [];
    if (k > 1) {
      interfaces.left = { addresses: [`${at(k - 1, 2)}/${linkPrefix}`] };
      const left = at(k - 1, 1);
      if (k === count) routes.push({ to: "default", via: left });
      else {for (const to of coverFrom(base, step * BigInt(k - 2), family)) {
          routes.push({ to, via: left });
        }}
    }
    if (k < count) {
      interfaces.right = { addresses: [`${at(k, 1)}/${linkPrefix}`] };
      routes.push({ to: "default", via: at(k, 2) });
      links.push({ endpoints: [`${name(k)}:right`, `${name(k + 1)}:left`] });
    }
    nodes[name(k)] = {
      role: k > 1 && k < count ? "router" : "host",
      interfaces,
      routes,
      // The proof's reply crosses every router back: more than 63 need more than the default TTL
      // of 64 (the request has ping's -t 255).
      ...(k === pinged && pinged > 64 ? { sysctls: LONG_REPLY_TTL[family] } : {}),
    };
  }
  return {
    name: options.name ?? `${prefix}chain`,
    description: `${count} namespaces in a line`,
    nodes,
    links,
    // The farthest node a packet reaches (TTL 255: at most 253 routers in between).
    expect: [{ ping: { from: name(1), to: at(pinged - 1, 2) } }],
  };
}
