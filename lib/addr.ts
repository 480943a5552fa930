/**
 * IPv4 address and prefix checks, on top of the `ipaddr.js` library.
 *
 * @module
 */
import ipaddr from "./deps/ipaddr.ts";
import { UsageError } from "./errors.ts";

/** A parsed `A.B.C.D/N` interface address. */
interface Cidr {
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

/** An IP family: 4 or 6. */
export type Family = 4 | 6;

// Hex groups, colons and an optional dotted tail (`::ffff:1.2.3.4`); no zone (`%eth0`).
const IPV6_TEXT = /^[0-9A-Fa-f:.]+$/;

/** True for an IPv6 address written without a zone or prefix, e.g. `2001:db8::1`. */
export function isIpv6(text: string): boolean {
  return typeof text === "string" && text.includes(":") && IPV6_TEXT.test(text) &&
    ipaddr.IPv6.isValid(text);
}

/** The family of an address (no prefix), or undefined when it is neither. */
export function familyOf(ip: string): Family | undefined {
  if (typeof ip !== "string") return undefined;
  if (ipaddr.IPv4.isValidFourPartDecimal(ip)) return 4;
  return isIpv6(ip) ? 6 : undefined;
}

/** A parsed interface address of either family. */
interface AnyCidr extends Cidr {
  family: Family;
}

/**
 * Parses `A.B.C.D/N` or `X:X::X/N`; throws {@link UsageError} saying why when it is neither.
 */
export function parseAnyCidr(text: string, where?: string): AnyCidr {
  const at = where ? { where } : {};
  const [address = "", prefixText, extra] = typeof text === "string" ? text.split("/") : [];
  const family = familyOf(address);
  if (family === 4) return { ...parseCidr(text, where), family };
  if (
    family !== 6 || extra !== undefined || prefixText === undefined || !/^\d{1,3}$/.test(prefixText)
  ) {
    throw new UsageError(
      `Invalid address ${JSON.stringify(text)}: expected A.B.C.D/N or an IPv6 address/N`,
      at,
    );
  }
  const prefix = Number(prefixText);
  if (prefix > 128) {
    throw new UsageError(`Invalid address ${JSON.stringify(text)}: prefix must be 0 to 128`, at);
  }
  return { address, prefix, family };
}

/** Checks a plain address of either family (no prefix); throws {@link UsageError} if not one. */
export function parseAnyIp(text: string, where?: string): string {
  if (familyOf(text) === undefined) {
    throw new UsageError(`Invalid IP address ${JSON.stringify(text)}`, where ? { where } : {});
  }
  return text;
}

/** The network of a CIDR of either family, e.g. `2001:db8::/64` for `2001:db8::1/64`. */
export function networkOfAny(cidr: string): string {
  const { address, prefix, family } = parseAnyCidr(cidr);
  if (family === 4) return networkOf(cidr);
  const net = ipaddr.IPv6.networkAddressFromCIDR(`${address}/${prefix}`);
  return `${net.toRFC5952String()}/${prefix}`;
}

/** True when `ip` lies inside `cidr`; addresses of another family never do. */
export function inSubnetAny(ip: string, cidr: string): boolean {
  const { address, prefix, family } = parseAnyCidr(cidr);
  if (familyOf(ip) !== family) return false;
  if (family === 4) return inSubnet(ip, cidr);
  return ipaddr.IPv6.parse(ip).match(ipaddr.IPv6.parse(address), prefix);
}

/** True when two prefixes share an address (one contains the other). */
export function prefixesOverlap(a: string, b: string): boolean {
  const pa = parseAnyCidr(a), pb = parseAnyCidr(b);
  if (pa.family !== pb.family) return false;
  const shorter = pa.prefix <= pb.prefix ? a : b;
  const other = shorter === a ? pb : pa;
  return inSubnetAny(other.address, shorter);
}

/** An address of either family as a number, for range comparisons within one family. */
export function ipToBigInt(ip: string): bigint {
  const bytes = familyOf(ip) === 6
    ? ipaddr.IPv6.parse(ip).toByteArray()
    : ipaddr.IPv4.parse(ip).toByteArray();
  return bytes.reduce((n, b) => n * 256n + BigInt(b), 0n);
}
