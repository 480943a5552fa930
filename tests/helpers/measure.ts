/**
 * Measurements made from the test's side, independent of netkit: TCP throughput with iperf3
 * (JSON output parsed) and ping loss counted over many packets.
 *
 * @module
 */
import { sh } from "./host.ts";

const dec = new TextDecoder();

/** Waits (bounded) until `cond` holds; false when it never did. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  ms = 5000,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return await cond();
}

/**
 * Mbit/s that `client` gets sending to `server` (iperf3, TCP, 4 s, the first second left out for
 * slow start): the receiver's figure from iperf3's JSON.
 */
export async function throughputMbps(
  client: string,
  server: string,
  address: string,
): Promise<number> {
  const port = "5209";
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", server, "iperf3", "-s", "-1", "-B", address, "-p", port],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    const up = await waitFor(async () =>
      (await sh(
        "ip",
        "netns",
        "exec",
        server,
        "ss",
        "-H",
        "-l",
        "-t",
        "-n",
        "sport",
        "=",
        `:${port}`,
      ))
        .trim() !== ""
    );
    if (!up) throw new Error(`iperf3 server in ${server} did not listen`);
    const r = await new Deno.Command("ip", {
      args: [
        "netns",
        "exec",
        client,
        "iperf3",
        "-c",
        address,
        "-p",
        port,
        "-t",
        "4",
        "-O",
        "1",
        "-J",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const json = JSON.parse(dec.decode(r.stdout)) as {
      error?: string;
      end?: { sum_received?: { bits_per_second: number } };
    };
    if (json.error || !json.end?.sum_received) {
      throw new Error(`iperf3 failed: ${json.error ?? dec.decode(r.stderr)}`);
    }
    return json.end.sum_received.bits_per_second / 1e6;
  } finally {
    try {
      child.kill();
    } catch {
      // it exited after its one test
    }
    await child.status;
    await child.stderr.cancel().catch(() => {});
  }
}

/** Pings `address` from `ns` `count` times, 2 ms apart; returns transmitted and received. */
export async function pingCounts(
  ns: string,
  address: string,
  count: number,
): Promise<{ transmitted: number; received: number }> {
  const out = await sh(
    "ip",
    "netns",
    "exec",
    ns,
    "ping",
    "-n",
    "-q",
    "-c",
    String(count),
    "-i",
    "0.002",
    "-W",
    "1",
    address,
  );
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  if (!m) throw new Error(`no ping summary in: ${out}`);
  return { transmitted: Number(m[1]), received: Number(m[2]) };
}
