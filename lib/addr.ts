/**
 * IPv4 address and prefix checks, on top of the `ipaddr.js` library.
 *
 * @module
 */
import ipaddr from "./deps/ipaddr.ts";
import { UsageError } from "./errors.ts";

/** A parsed `A.B.C.D/N` interface address. */
export interface Cidr {
  /** The address as written, e.g. `10.0.0.1`. */
  address: string;
  /** The prefix length, e.g. `24`. */
  prefix: number;
}

/** Parses `A.B.C.D/N`; throws {@link UsageError} saying why when it is not one. */
export function parseCidr(text: string, where?: string): Cidr {
  const at = where ? { where } : {};
  if (typeof text !== "string" || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(text)) {
    throw new UsageError(`Invalid address ${JSON.stringify(text)}: expected A.B.C.D/N`, at);
  }
  const [address = "", prefixText = ""] = text.split("/");
  if (!ipaddr.IPv4.isValidFourPartDecimal(address)) {
    throw new UsageError(
      `Invalid address ${JSON.stringify(text)}: ${address} is not an IPv4 address`,
      at,
    );
  }
  const prefix = Number(prefixText);
  if (prefix < 0 || prefix > 32) {
    throw new UsageError(`Invalid address ${JSON.stringify(text)}: prefix must be 0 to 32`, at);
  }
  return { address, prefix };
}

/** Checks a plain IPv4 address (no prefix); throws {@link UsageError} when it is not one. */
export function parseIp(text: string, where?: string): string {
  if (typeof text !== "string" || !ipaddr.IPv4.isValidFourPartDecimal(text)) {
    throw new UsageError(
      `Invalid IPv4 address ${JSON.stringify(text)}`,
      where ? { where } : {},
    );
  }
  return text;
}

/** The network of a CIDR as `A.B.C.D/N`, e.g. `10.0.0.0/24` for `10.0.0.1/24`. */
export function networkOf(cidr: string): string {
  const [addr, prefix] = ipaddr.IPv4.parseCIDR(cidr);
  const net = ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${prefix}`);
  return `${net.toString()}/${prefix}`;
}

/** True when `ip` lies inside the network `cidr`. */
export function inSubnet(ip: string, cidr: string): boolean {
  const [net, prefix] = ipaddr.IPv4.parseCIDR(cidr);
  return ipaddr.IPv4.parse(ip).match(net, prefix);
}

/** The IPv4 address as a 32-bit number, for range comparisons. */
export function ipToNumber(ip: string): number {
  return ipaddr.IPv4.parse(ip).toByteArray().reduce((n, b) => n * 256 + b, 0);
}
