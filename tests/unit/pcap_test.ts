/** readPcap() on pcap files built byte by byte: both byte orders, nanoseconds, cut and corrupt. */
import { assertEquals, assertMatch, assertThrows } from "../helpers/assert.ts";
import { PcapFormatError, readPcap } from "../../mod.ts";

/** A pcap file: header fields, then records of the given payloads. */
function pcap(options: { little?: boolean; nano?: boolean; frames: Uint8Array[]; cut?: number }) {
  const little = options.little ?? true;
  const parts: number[] = [];
  const u32 = (n: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, little);
    parts.push(...b);
  };
  const u16 = (n: number) => {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, n, little);
    parts.push(...b);
  };
  u32(options.nano ? 0xa1b23c4d : 0xa1b2c3d4);
  u16(2), u16(4), u32(0), u32(0), u32(1600), u32(1);
  options.frames.forEach((f, i) => {
    u32(1_700_000_000 + i), u32(250), u32(f.length), u32(f.length + 10);
    parts.push(...f);
  });
  const all = new Uint8Array(parts);
  return options.cut === undefined ? all : all.subarray(0, all.length - options.cut);
}

const frame = (n: number, fill: number) => new Uint8Array(n).fill(fill);

Deno.test("readPcap() reads little- and big-endian files with micro- or nanosecond times", () => {
  for (const little of [true, false]) {
    for (const nano of [false, true]) {
      const p = readPcap(pcap({ little, nano, frames: [frame(60, 1), frame(98, 2)] }));
      assertEquals(p.linkType, 1);
      assertEquals(p.snapLength, 1600);
      assertEquals(p.nanoseconds, nano);
      assertEquals(p.truncated, false);
      assertEquals(p.records.map((r) => r.data.length), [60, 98]);
      assertEquals(p.records[1]!.data[0], 2);
      assertEquals(p.records[0]!.originalLength, 70);
      assertEquals(p.records[0]!.timeNs, 1_700_000_000_000_000_000n + (nano ? 250n : 250_000n));
    }
  }
});

Deno.test("readPcap() stops before a record cut short and says so", () => {
  for (const cut of [1, 50, 60 + 16 - 1]) {
    const p = readPcap(pcap({ frames: [frame(40, 1), frame(60, 2)], cut }));
    assertEquals(p.records.length, 1);
    assertEquals(p.truncated, true);
  }
  assertEquals(readPcap(pcap({ frames: [] })).records, []);
});

Deno.test("readPcap() refuses what is not pcap, and absurd lengths", () => {
  assertMatch(assertThrows(() => readPcap(new Uint8Array(10)), PcapFormatError).message, /shorter/);
  const ng = pcap({ frames: [] });
  ng.set([0x0a, 0x0d, 0x0d, 0x0a], 0);
  assertMatch(assertThrows(() => readPcap(ng), PcapFormatError).message, /pcapng/);
  const huge = pcap({ frames: [frame(4, 0)] });
  new DataView(huge.buffer).setUint32(24 + 8, 0x7fffffff, true);
  assertMatch(assertThrows(() => readPcap(huge), PcapFormatError).message, /captured length/);
});
