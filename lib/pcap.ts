/**
 * A reader of the classic pcap file format (what tcpdump `-w` writes; not pcapng), written from
 * the format's definition (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-03.html):
 *
 * - a 24-byte file header: magic number `0xA1B2C3D4` (microsecond timestamps) or `0xA1B23C4D`
 *   (nanoseconds), in the writer's byte order, which the magic number reveals; version 2.4;
 *   snap length; link type (1: Ethernet) in the low 28 bits;
 * - records: a 16-byte header (seconds, micro- or nanoseconds, captured length, original
 *   length), then the captured bytes.
 *
 * Careful with what it is given: every length is checked against what is left of the buffer
 * before it is used, a captured length over 256 KiB (more than any snap length tcpdump uses) is
 * refused as corrupt, and a last record cut short (a capture still being written) is reported as
 * `truncated` rather than read past the end.
 *
 * @module
 */

/** One captured frame. */
export interface PcapRecord {
  /** Capture time, in nanoseconds since the epoch (as a bigint: pcap has 64 bits of it). */
  timeNs: bigint;
  /** How long the frame was on the wire. */
  originalLength: number;
  /** The captured bytes (at most the snap length). */
  data: Uint8Array;
}

/** A parsed pcap file. */
export interface Pcap {
  /** The link type: 1 for Ethernet (LINKTYPE_ETHERNET). */
  linkType: number;
  /** The most bytes of a frame the writer kept. */
  snapLength: number;
  /** Whether timestamps had nanosecond (not microsecond) resolution. */
  nanoseconds: boolean;
  /** Every complete record, in file order. */
  records: PcapRecord[];
  /** The last record was cut short (the file is still being written). */
  truncated: boolean;
}

/** The bytes are not a pcap file. */
export class PcapFormatError extends Error {
  /**
   * An error about a pcap file.
   *
   * @param message What is wrong, and where in the file.
   */
  constructor(message: string) {
    super(message);
    this.name = "PcapFormatError";
  }
}

/** The largest captured length accepted for one record (tcpdump's largest snap length). */
const PCAP_MAX_RECORD = 262_144;

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;

/**
 * Parses a pcap file.
 *
 * @param bytes The whole file.
 * @returns The header's fields and every complete record.
 * @throws {PcapFormatError} When the header is not pcap's or a record's length is corrupt.
 * @example Count the frames of a capture
 * ```ts
 * import { readPcap } from "../mod.ts";
 * const header = new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x06, 0, 0, 1, 0, 0, 0,
 * ]);
 * readPcap(header).records.length; // 0
 * ```
 */
export function readPcap(bytes: Uint8Array): Pcap {
  if (bytes.length < 24) {
    throw new PcapFormatError(`${bytes.length} bytes: shorter than a pcap file header (24)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let little: boolean;
  const magicLE = view.getUint32(0, true);
  if (magicLE === MAGIC_US || magicLE === MAGIC_NS) little = true;
  else if (view.getUint32(0, false) === MAGIC_US || view.getUint32(0, false) === MAGIC_NS) {
    little = false;
  } else {
    throw new PcapFormatError(
      `magic number 0x${view.getUint32(0, false).toString(16).padStart(8, "0")} is not pcap's` +
        " (a pcapng file? tcpdump -w writes pcap)",
    );
  }
  const nanoseconds = view.getUint32(0, little) === MAGIC_NS;
  const major = view.getUint16(4, little);
  const minor = view.getUint16(6, little);
  if (major !== 2) throw new PcapFormatError(`pcap version ${major}.${minor}: only 2.x is known`);
  const snapLength = view.getUint32(16, little);
  const linkType = view.getUint32(20, little) & 0x0fff_ffff;
  const records: PcapRecord[] = [];
  let offset = 24;
  let truncated = false;
  while (offset < bytes.length) {
    if (bytes.length - offset < 16) {
      truncated = true;
      break;
    }
    const seconds = view.getUint32(offset, little);
    const fraction = view.getUint32(offset + 4, little);
    const captured = view.getUint32(offset + 8, little);
    const original = view.getUint32(offset + 12, little);
    if (captured > PCAP_MAX_RECORD) {
      throw new PcapFormatError(
        `record at byte ${offset}: captured length ${captured} is over ${PCAP_MAX_RECORD}`,
      );
    }
    if (bytes.length - offset - 16 < captured) {
      truncated = true;
      break;
    }
    const start = offset + 16;
    records.push({
      timeNs: BigInt(seconds) * 1_000_000_000n + BigInt(fraction) * (nanoseconds ? 1n : 1000n),
      originalLength: original,
      data: bytes.subarray(start, start + captured),
    });
    offset = start + captured;
  }
  return { linkType, snapLength, nanoseconds, records, truncated };
}
