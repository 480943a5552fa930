/**
 * Reads what a real uplink NIC carries now (its IPv4 addresses and its routes through a
 * gateway), so that the uplink step can move exactly that to the bridge and back.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Runner } from "../exec/runner.ts";
import type { UplinkOptions } from "../primitives/uplink.ts";

interface IpAddr {
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
}

/** The addresses and gateway routes of `nic` in the current network namespace. */
export async function readUplink(
  nic: string,
  runner: Runner,
): Promise<Pick<UplinkOptions, "addresses" | "routes">> {
  const addr = await runner.run(["ip", "-j", "addr", "show", "dev", nic], { allowFailure: true });
  if (addr.code !== 0) {
    throw new UsageError(`The uplink interface "${nic}" does not exist`, {
      hint: "name a NIC of this host (ip link), or leave --uplink out to simulate the upstream",
    });
  }
  const [info] = JSON.parse(addr.stdout || "[]") as IpAddr[];
  const addresses = (info?.addr_info ?? []).filter((a) => a.family === "inet" && a.scope !== "host")
    .map((a) => `${a.local}/${a.prefixlen}`);
  const routes = (JSON.parse(
    (await runner.run(["ip", "-j", "-4", "route", "show", "dev", nic])).stdout || "[]",
  ) as IpRoute[]).filter((r) => r.gateway !== undefined).map((r) => ({
    to: r.dst,
    via: r.gateway!,
  }));
  return { addresses, routes };
}
