/**
 * A real uplink: the host's NIC joins a lab bridge, and its addresses and routes move to the
 * bridge (`br-ex` in the router recipe). All of it is one `ip -batch` (one process), so a host
 * reached over that NIC is never left half-configured; the undo puts the addresses and routes
 * back on the NIC exactly.
 *
 * @module
 */
import { parseCidr, parseIp } from "../addr.ts";
import { checkIfname } from "../names.ts";
import { ip, type RunAction, type Step } from "../plan/step.ts";
import type { InNsOptions } from "./link.ts";

/** A route that leaves through the uplink. */
export interface UplinkRoute {
  /** `default` or a CIDR. */
  to: string;
  /** The gateway. */
  via: string;
}

/** What moves from the NIC to the bridge. */
export interface UplinkOptions extends InNsOptions {
  /** The NIC's IPv4 addresses (`A.B.C.D/N`), as the host has them now. */
  addresses: string[];
  /** The routes through a gateway that leave through the NIC now. */
  routes: UplinkRoute[];
}

/**
 * `ip addr del A dev NIC; ip link set dev NIC master BRIDGE; ip addr add A dev BRIDGE;
 * ip route replace TO via GW dev BRIDGE`, as one batch. Undo reverses it, as one batch.
 *
 * @example An uplink, with the host's address 192.168.100.21/24
 * ```ts
 * import { uplink } from "../../mod.ts";
 * uplink("ens3", "br-ex", {
 *   addresses: ["192.168.100.21/24"],
 *   routes: [{ to: "default", via: "192.168.100.1" }],
 * });
 * ```
 */
export function uplink(nic: string, bridge: string, options: UplinkOptions): Step {
  checkIfname(nic);
  checkIfname(bridge);
  options.addresses.forEach((a) => parseCidr(a));
  options.routes.forEach((r) => (parseIp(r.via), r.to === "default" || parseCidr(r.to)));
  const { ns } = options;
  const move = (from: string, to: string): RunAction[] => [
    ...options.addresses.map((a) => ip(ns, "addr", "del", a, "dev", from)),
    ...(to === bridge
      ? [ip(ns, "link", "set", "dev", nic, "master", bridge, "up")]
      : [ip(ns, "link", "set", "dev", nic, "nomaster")]),
    ...options.addresses.map((a) => ip(ns, "addr", "add", a, "dev", to)),
    ...options.routes.map((r) => ip(ns, "route", "replace", r.to, "via", r.via, "dev", to)),
  ];
  return {
    key: `uplink:${ns ?? ""}/${nic}`,
    summary: `move ${nic} and its addresses into bridge ${bridge}`,
    do: move(nic, bridge),
    undo: move(bridge, nic),
  };
}
