/**
 * Links: veth pairs, up, addresses, routes, renames and moves between namespaces.
 *
 * Every command names its device with `dev NAME` (or `name NAME`): `ip` takes a bare word such as
 * `tx` for an abbreviation of `txqueuelen`.
 *
 * @module
 */
import { parseAnyCidr, parseAnyIp } from "../addr.ts";
import { UsageError } from "../errors.ts";
import { checkIfname, checkNsName } from "../names.ts";
import { ip, type RunAction, type Step } from "../plan/step.ts";

/** Where a link lives: a namespace, or the root namespace when omitted. */
export interface InNsOptions {
  /** The namespace. @default undefined (the root namespace) */
  ns?: string | undefined;
}

/** Options for {@link vethPair}. */
export interface VethPairOptions {
  /** The peer's name (required unless given as the deprecated second argument). */
  peer?: string | undefined;
  /** Namespace the first end is created in. @default the root namespace */
  ns?: string | undefined;
  /** Namespace the peer is created in. @default the root namespace */
  peerNs?: string | undefined;
  /**
   * `false`: both ends get no IPv6 link-local address ({@link noIpv6LinkLocal}), set before
   * anything brings them up. @default true (the kernel's default)
   */
  ipv6?: boolean;
  /**
   * Transmit and receive queues of each end (`numtxqueues N numrxqueues N`), 1 to 64. Without
   * it the kernel gives each end one queue per CPU and, creating the pair, waits for an RCU
   * grace period to set how many are in use (seen in a kernel profile of `up`): on 2 CPUs,
   * 1,000 pairs into namespaces took 0.69 s with the kernel's default and 0.50 s with one queue
   * (bench/RESULTS.md). A lab's links need one; several serve XDP and many-flow throughput.
   * @default 1
   */
  queues?: number;
}

/** The most queues {@link vethPair} gives an end. */
const MAX_VETH_QUEUES = 64;

const where = (ns: string | undefined) => (ns === undefined ? "" : ` in ${ns}`);

/**
 * `ip link add name NAME [netns NS] numtxqueues 1 numrxqueues 1 type veth peer name PEER
 * [netns PEER_NS] numtxqueues 1 numrxqueues 1`: a veth pair whose ends are created directly in
 * their namespaces (creating in place costs about 1 ms; moving an end afterwards costs about
 * 19 ms), with one queue each way (see {@link VethPairOptions.queues}). Undo:
 * `ip [-n NS] link delete dev NAME` (which removes both ends). With `ipv6: false`, then
 * `ip [-n NS] link set dev NAME addrgenmode none` for each end.
 *
 * @param name The first end (in `options.ns`, else the root namespace).
 * @param options The peer's name and where each end is created.
 * @example A veth into ns1
 * ```ts
 * import { vethPair } from "../../mod.ts";
 * vethPair("veth-ns1", { peer: "eth0-ns1", peerNs: "ns1" });
 * ```
 */
export function vethPair(name: string, options: VethPairOptions & { peer: string }): Step;
/** @deprecated Name the peer: `vethPair(name, { peer, ... })`. */
export function vethPair(name: string, peer: string, options?: VethPairOptions): Step;
export function vethPair(
  name: string,
  second: string | (VethPairOptions & { peer: string }),
  third: VethPairOptions = {},
): Step {
  const [peer, options] = typeof second === "string" ? [second, third] : [second.peer, second];
  checkIfname(name);
  checkIfname(peer);
  const { ns, peerNs } = options;
  if (ns !== undefined) checkNsName(ns);
  if (peerNs !== undefined) checkNsName(peerNs);
  const queues = options.queues ?? 1;
  if (!Number.isInteger(queues) || queues < 1 || queues > MAX_VETH_QUEUES) {
    throw new UsageError(`veth ${name}: queues is an integer from 1 to ${MAX_VETH_QUEUES}`);
  }
  const perEnd = ["numtxqueues", String(queues), "numrxqueues", String(queues)];
  const argv = ["link", "add", "name", name];
  if (ns !== undefined) argv.push("netns", ns);
  argv.push(...perEnd, "type", "veth", "peer", "name", peer);
  if (peerNs !== undefined) argv.push("netns", peerNs);
  argv.push(...perEnd);
  return {
    key: `link:${ns ?? ""}/${name}`,
    summary: `create veth ${name}${where(ns)} <-> ${peer}${where(peerNs)}`,
    do: [
      ip(undefined, ...argv),
      ...(options.ipv6 === false ? [addrgenmodeNone(name, ns), addrgenmodeNone(peer, peerNs)] : []),
    ],
    undo: [ip(ns, "link", "delete", "dev", name)],
  };
}

/** `ip [-n NS] link set dev NAME addrgenmode none`. */
export function addrgenmodeNone(name: string, ns: string | undefined): RunAction {
  return ip(ns, "link", "set", "dev", name, "addrgenmode", "none");
}

/** Options for {@link dummyLink}. */
export interface DummyLinkOptions extends InNsOptions {
  /** `false`: no IPv6 link-local address ({@link noIpv6LinkLocal}). @default true */
  ipv6?: boolean;
}

/**
 * `ip [-n NS] link add name NAME type dummy`: a dummy interface (a loopback-like device that
 * holds addresses and drops what it is sent) created in its namespace. Undo:
 * `ip [-n NS] link delete dev NAME`. With `ipv6: false`, then
 * `ip [-n NS] link set dev NAME addrgenmode none`. Needs the kernel's dummy driver
 * (`CONFIG_DUMMY`).
 *
 * @example A dummy for a router ID inside rt
 * ```ts
 * import { dummyLink } from "../../mod.ts";
 * dummyLink("lo1", { ns: "rt" });
 * ```
 */
export function dummyLink(name: string, options: DummyLinkOptions = {}): Step {
  checkIfname(name);
  const { ns } = options;
  if (ns !== undefined) checkNsName(ns);
  return {
    key: `link:${ns ?? ""}/${name}`,
    summary: `create dummy ${name}${where(ns)}`,
    do: [
      ip(ns, "link", "add", "name", name, "type", "dummy"),
      ...(options.ipv6 === false ? [addrgenmodeNone(name, ns)] : []),
    ],
    undo: [ip(ns, "link", "delete", "dev", name)],
  };
}

/**
 * `ip [-n NS] link set dev NAME addrgenmode none`: the link gets no IPv6 link-local address when
 * it goes up, so it runs no duplicate address detection and sends no MLD reports or router
 * solicitations (which a bridge floods to all its ports). Set it while the link is down. No
 * undo: the setting goes away with the link.
 *
 * @example An IPv4-only OVS internal port inside ns1
 * ```ts
 * import { noIpv6LinkLocal } from "../../mod.ts";
 * noIpv6LinkLocal("tap1", { ns: "ns1" });
 * ```
 */
export function noIpv6LinkLocal(name: string, options: InNsOptions = {}): Step {
  checkIfname(name);
  return {
    key: `addrgenmode:${options.ns ?? ""}/${name}`,
    summary: `no IPv6 link-local address on ${name}${where(options.ns)}`,
    do: [addrgenmodeNone(name, options.ns)],
    undo: [],
  };
}

/**
 * `ip [-n NS] link set dev NAME up`. Undo sets it down.
 *
 * @example
 * ```ts
 * import { linkUp } from "../../mod.ts";
 * linkUp("eth0-ns1", { ns: "ns1" });
 * ```
 */
export function linkUp(name: string, options: InNsOptions = {}): Step {
  checkIfname(name);
  return {
    key: `up:${options.ns ?? ""}/${name}`,
    summary: `bring ${name}${where(options.ns)} up`,
    do: [ip(options.ns, "link", "set", "dev", name, "up")],
    undo: [ip(options.ns, "link", "set", "dev", name, "down")],
  };
}

/**
 * `ip [-n NS] link set dev NAME down`: takes a link down (a flap: both ends of a veth lose their
 * carrier). Undo brings it up again.
 *
 * @example Cut the router lab's uplink
 * ```ts
 * import { linkDown } from "../../mod.ts";
 * linkDown("eth1", { ns: "rt" });
 * ```
 */
export function linkDown(name: string, options: InNsOptions = {}): Step {
  checkIfname(name);
  return {
    key: `down:${options.ns ?? ""}/${name}`,
    summary: `take ${name}${where(options.ns)} down`,
    do: [ip(options.ns, "link", "set", "dev", name, "down")],
    undo: [ip(options.ns, "link", "set", "dev", name, "up")],
  };
}

/**
 * `ip [-n NS] addr add CIDR dev NAME`. Undo: `ip [-n NS] addr del CIDR dev NAME`. An IPv6 address
 * is added with `nodad`: a lab's addresses are unique by validation, and the address is usable at
 * once instead of after duplicate address detection.
 *
 * @example
 * ```ts
 * import { addAddress } from "../../mod.ts";
 * addAddress("eth0-ns1", "10.0.0.1/24", { ns: "ns1" });
 * ```
 */
export function addAddress(name: string, cidr: string, options: InNsOptions = {}): Step {
  checkIfname(name);
  const nodad = parseAnyCidr(cidr).family === 6 ? ["nodad"] : [];
  return {
    key: `addr:${options.ns ?? ""}/${name}/${cidr}`,
    summary: `add ${cidr} to ${name}${where(options.ns)}`,
    do: [ip(options.ns, "addr", "add", cidr, "dev", name, ...nodad)],
    undo: [ip(options.ns, "addr", "del", cidr, "dev", name)],
  };
}

/** Options for {@link addRoute}. */
export interface AddRouteOptions extends InNsOptions {
  /** The next hop. */
  via?: string;
  /** The outgoing device. */
  dev?: string;
}

/**
 * `ip [-n NS] route add TO [via GW] [dev DEV]`; `to` is a CIDR of either family or `default`
 * (IPv4, or IPv6 when `via` is an IPv6 address: then it is written `::/0`). Undo deletes it.
 *
 * @example A default route inside vm1
 * ```ts
 * import { addRoute } from "../../mod.ts";
 * addRoute("default", { ns: "vm1", via: "10.0.0.254" });
 * ```
 */
export function addRoute(to: string, options: AddRouteOptions = {}): Step {
  if (to !== "default") parseAnyCidr(to);
  if (options.via === undefined && options.dev === undefined) {
    throw new TypeError(`Route to ${to} needs "via" or "dev"`);
  }
  if (to === "default" && options.via !== undefined && parseAnyIp(options.via).includes(":")) {
    to = "::/0";
  }
  const spec = [to];
  if (options.via !== undefined) spec.push("via", parseAnyIp(options.via));
  if (options.dev !== undefined) spec.push("dev", checkIfname(options.dev));
  return {
    key: `route:${options.ns ?? ""}/${to}`,
    summary: `route ${spec.join(" ")}${where(options.ns)}`,
    do: [ip(options.ns, "route", "add", ...spec)],
    undo: [ip(options.ns, "route", "del", ...spec)],
  };
}

/**
 * `ip [-n NS] link set dev FROM name TO`: renames a link (it must be down). Undo renames it back.
 *
 * @example Rename link-in-rt to eth0 inside rt
 * ```ts
 * import { renameLink } from "../../mod.ts";
 * renameLink("link-in-rt", "eth0", { ns: "rt" });
 * ```
 */
export function renameLink(from: string, to: string, options: InNsOptions = {}): Step {
  checkIfname(from);
  checkIfname(to);
  return {
    key: `rename:${options.ns ?? ""}/${to}`,
    summary: `rename ${from} to ${to}${where(options.ns)}`,
    do: [ip(options.ns, "link", "set", "dev", from, "name", to)],
    undo: [
      ip(options.ns, "link", "set", "dev", to, "down"),
      ip(options.ns, "link", "set", "dev", to, "name", from),
    ],
  };
}

/**
 * `ip link set dev NAME netns NS`: moves a root-namespace link into a namespace (used for OVS
 * internal ports, which OVS creates in the root namespace). Undo moves it back.
 *
 * @example Move tap1 into ns1
 * ```ts
 * import { moveLink } from "../../mod.ts";
 * moveLink("tap1", "ns1");
 * ```
 */
export function moveLink(name: string, ns: string): Step {
  checkIfname(name);
  checkNsName(ns);
  return {
    key: `move:${ns}/${name}`,
    summary: `move ${name} into ${ns}`,
    do: [ip(undefined, "link", "set", "dev", name, "netns", ns)],
    undo: [ip(ns, "link", "set", "dev", name, "netns", "1")],
  };
}
