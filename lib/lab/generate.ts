/**
 * Lab generators: N similar nodes without N hand-written entries. Each returns a plain
 * {@link LabInput} (validate it with `validateLab`, bring it up with `upLab`), with names built
 * from a prefix and addresses allocated from one subnet.
 *
 * @module
 */
import { parseCidr } from "../addr.ts";
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
  /** The subnet the nodes' addresses come from, in order (`.1`, `.2`, ...). @default "10.50.0.0/16" */
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
  /** Each link takes the next /30 of this subnet. @default "10.60.0.0/16" */
  subnet?: string;
  /** The lab's name. @default `${prefix}chain` */
  name?: string;
}

const ipOf = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

/** The subnet as [first address number, prefix length, number of addresses]. */
function block(subnet: string): [number, number, number] {
  const { address, prefix } = parseCidr(subnet, "subnet");
  const n = address.split(".").reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - prefix);
  return [n - (n % size), prefix, size];
}

function checkCount(count: number, min: number, what: string): void {
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
  const [base, plen, size] = block(options.subnet ?? "10.50.0.0/16");
  if (options.count > size - 2) {
    throw new UsageError(`Subnet ${options.subnet} holds ${size - 2} nodes, not ${options.count}`);
  }
  const br = `${prefix}br`;
  const nodes: NonNullable<LabInput["nodes"]> = {};
  const links: NonNullable<LabInput["links"]> = [];
  for (let i = 1; i <= options.count; i++) {
    const node = `${prefix}h${i}`;
    nodes[node] = { interfaces: { eth0: { addresses: [`${ipOf(base + i)}/${plen}`] } } };
    links.push({ endpoints: [`${node}:eth0`, `${br}:${node}-p`] });
  }
  return {
    name: options.name ?? `${prefix}star`,
    description: `${options.count} namespaces on one ${options.bridge ?? "linux"} bridge`,
    nodes,
    bridges: { [br]: { type: options.bridge ?? "linux" } },
    links,
    expect: [{ ping: { from: `${prefix}h1`, to: ipOf(base + options.count) } }],
  };
}

/**
 * A chain: `count` nodes `PREFIXn1`..`PREFIXnN` in a line, node K's `right` linked to node K+1's
 * `left`; each link is the next /30 of `subnet`. Inner nodes are routers; every node routes to
 * the links on its left through its left neighbour and to everything else through its right one
 * (the last node: through its left one), so the ends reach each other. One proof: the first node
 * pings the last.
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
  const [base, , size] = block(options.subnet ?? "10.60.0.0/16");
  const count = options.count;
  if ((count - 1) * 4 > size) {
    throw new UsageError(`Subnet ${options.subnet} holds ${size / 4} links, not ${count - 1}`);
  }
  const name = (k: number) => `${prefix}n${k}`;
  const net = (link: number) => base + 4 * (link - 1); // link k joins node k and node k+1
  const nodes: NonNullable<LabInput["nodes"]> = {};
  const links: NonNullable<LabInput["links"]> = [];
  for (let k = 1; k <= count; k++) {
    const interfaces: Record<string, { addresses: string[] }> = {};
    const routes: { to: string; via: string }[] = [];
    if (k > 1) {
      interfaces.left = { addresses: [`${ipOf(net(k - 1) + 2)}/30`] };
      const left = ipOf(net(k - 1) + 1);
      if (k === count) routes.push({ to: "default", via: left });
      else for (let j = 1; j < k - 1; j++) routes.push({ to: `${ipOf(net(j))}/30`, via: left });
    }
    if (k < count) {
      interfaces.right = { addresses: [`${ipOf(net(k) + 1)}/30`] };
      routes.push({ to: "default", via: ipOf(net(k) + 2) });
      links.push({ endpoints: [`${name(k)}:right`, `${name(k + 1)}:left`] });
    }
    nodes[name(k)] = {
      role: k > 1 && k < count ? "router" : "host",
      interfaces,
      routes,
    };
  }
  return {
    name: options.name ?? `${prefix}chain`,
    description: `${count} namespaces in a line`,
    nodes,
    links,
    expect: [{ ping: { from: name(1), to: ipOf(net(count - 1) + 2) } }],
  };
}
