/**
 * Decodes the Ethernet frames of a pcap file as far as the tests need: IPv4 source and
 * destination, and ICMP type (8 echo request, 0 echo reply). Every offset is checked against the
 * frame's length.
 *
 * @module
 */
import { type Pcap, readPcap } from "../../mod.ts";

/** One IPv4 packet of a capture. */
export interface Ipv4Packet {
  src: string;
  dst: string;
  protocol: number;
  /** The ICMP type, for ICMP packets. */
  icmpType?: number;
}

/** The IPv4 packets of an Ethernet capture (802.1Q tags skipped). */
export function ipv4Packets(pcap: Pcap): Ipv4Packet[] {
  if (pcap.linkType !== 1) throw new Error(`link type ${pcap.linkType}: expected Ethernet (1)`);
  const out: Ipv4Packet[] = [];
  for (const { data } of pcap.records) {
    let at = 12;
    if (data.length < at + 2) continue;
    let type = (data[at]! << 8) | data[at + 1]!;
    while (type === 0x8100 && data.length >= at + 6) {
      at += 4;
      type = (data[at]! << 8) | data[at + 1]!;
    }
    if (type !== 0x0800) continue;
    const ip = at + 2;
    if (data.length < ip + 20) continue;
    const ihl = (data[ip]! & 0x0f) * 4;
    const ipStr = (o: number) => [...data.subarray(ip + o, ip + o + 4)].join(".");
    const protocol = data[ip + 9]!;
    const packet: Ipv4Packet = { src: ipStr(12), dst: ipStr(16), protocol };
    if (protocol === 1 && data.length > ip + ihl) packet.icmpType = data[ip + ihl]!;
    out.push(packet);
  }
  return out;
}

/** Reads a pcap file and returns its IPv4 packets. */
export async function ipv4PacketsOf(path: string): Promise<Ipv4Packet[]> {
  return ipv4Packets(readPcap(await Deno.readFile(path)));
}

/** Echo requests from `src` to `dst`, and replies back. */
export function echoes(packets: Ipv4Packet[], src: string, dst: string) {
  return {
    requests: packets.filter((p) => p.icmpType === 8 && p.src === src && p.dst === dst).length,
    replies: packets.filter((p) => p.icmpType === 0 && p.src === dst && p.dst === src).length,
  };
}
