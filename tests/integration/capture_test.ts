/**
 * Packet captures on the real kernel (root): `capture: true` in a lab file records from the
 * start into the state directory, is listed by `status`, kept after `down` until `clean`;
 * `netkit capture` streams pcap (to a pipe, to a file) or stops after -c packets; a hostile
 * filter is only ever a tcpdump filter. Every pcap is parsed and the ICMP packets of a known
 * ping counted.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import {
  assertHostUnchanged,
  isRoot,
  netkit,
  sh,
  snapshot,
  useTestState,
} from "../helpers/host.ts";
import { waitFor } from "../helpers/measure.ts";
import { echoes, ipv4Packets, ipv4PacketsOf } from "../helpers/frames.ts";
import { readPcap } from "../../mod.ts";

const stateDir = useTestState("capture");
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

const LAB = `name: t15-cap
nodes:
  t15-ca:
    interfaces:
      eth0: { addresses: [10.15.5.1/24] }
  t15-cb:
    interfaces:
      eth0: { addresses: [10.15.5.2/24], capture: true }
bridges:
  t15-capbr: { type: linux }
links:
  - endpoints: [t15-ca:eth0, t15-capbr:t15-ca-p]
  - endpoints: [t15-cb:eth0, t15-capbr:t15-cb-p]
`;
const PCAP = `${stateDir}/captures/t15-cap/t15-cb/eth0.pcap`;

/** A tcpdump runs (zombies, which only wait for their parent to reap them, do not count). */
async function tcpdumpRuns(): Promise<boolean> {
  return (await snapshot()).processes.some((p) => /^(\S*\/)?tcpdump\b/.test(p));
}

/** Pings `to` from namespace `from`, `n` times. */
async function ping(from: string, to: string, n: number): Promise<void> {
  const out = await sh(
    "ip",
    "netns",
    "exec",
    from,
    "ping",
    "-n",
    "-q",
    "-c",
    String(n),
    "-i",
    "0.05",
    to,
  );
  assertMatch(out, new RegExp(`${n} packets transmitted, ${n} received`));
}

/** Starts `netkit ARGS` with stdout and stderr piped. */
function start(args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", MAIN, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Collects a stream into a growing buffer, readable while it grows. */
function collect(stream: ReadableStream<Uint8Array>) {
  const chunks: Uint8Array[] = [];
  const done = (async () => {
    for await (const c of stream) chunks.push(c);
  })();
  const bytes = () => {
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of chunks) all.set(c, o), o += c.length;
    return all;
  };
  return { bytes, text: () => new TextDecoder().decode(bytes()), done };
}

Deno.test(
  "capture: true records the lab's traffic; status lists it; down keeps it; clean removes it",
  opts,
  async () => {
    const before = await snapshot();
    const dir = await Deno.makeTempDir({ prefix: "netkit-t15-" });
    const file = `${dir}/cap.yaml`;
    await Deno.writeTextFile(file, LAB);
    try {
      const up = await netkit(["up", file]);
      assertEquals(up.code, 0, up.stderr + up.stdout);
      assertMatch(up.stdout, /t15-cb\/eth0 .*eth0\.pcap .*running/);
      await ping("t15-ca", "10.15.5.2", 7);
      // tcpdump writes each packet as it comes (-U): the file is whole while it grows.
      assert(
        await waitFor(async () =>
          echoes(await ipv4PacketsOf(PCAP), "10.15.5.1", "10.15.5.2").replies === 7
        ),
        "7 replies recorded",
      );
      const status = await netkit(["status", "t15-cap", "--json"]);
      const s = JSON.parse(status.stdout) as {
        captures: { file: string; running: boolean; bytes: number }[];
      };
      assertEquals(s.captures.length, 1);
      assertEquals(s.captures[0]!.file, PCAP);
      assert(s.captures[0]!.running && s.captures[0]!.bytes > 24);
      // Noted like netkit's other daemons (lib/exec/daemon.ts): the record is tcpdump's own
      // (not the starter's), so down stops exactly this process.
      const pidFile = `${stateDir}/labs/t15-cap/tcpdump-t15-cb@eth0.pid`;
      const record = JSON.parse(await Deno.readTextFile(`${pidFile}.netkit`)) as {
        pid: number;
        cmdline: string[];
      };
      assertEquals(record.pid, Number((await Deno.readTextFile(pidFile)).trim()));
      assertEquals(record.cmdline[0], "tcpdump");
      assertEquals(
        (await Deno.readTextFile(`/proc/${record.pid}/cmdline`)).split("\0").slice(0, -1),
        record.cmdline,
      );
      // Recorded from the first packet: the ARP exchange before the first echo request is there.
      const pcap = readPcap(await Deno.readFile(PCAP));
      const firstEcho = pcap.records.findIndex((r) =>
        ipv4Packets({ ...pcap, records: [r] })[0]?.icmpType === 8
      );
      const arpBefore = pcap.records.slice(0, firstEcho).some((r) =>
        r.data[12] === 0x08 && r.data[13] === 0x06
      );
      assert(arpBefore, "the ARP request before the first ping is recorded");

      const down = await netkit(["down", file]);
      assertEquals(down.code, 0, down.stderr);
      const kept = await ipv4PacketsOf(PCAP);
      assertEquals(echoes(kept, "10.15.5.1", "10.15.5.2"), { requests: 7, replies: 7 });
      assertEquals(readPcap(await Deno.readFile(PCAP)).truncated, false);
      assert(
        await waitFor(async () => !(await tcpdumpRuns())),
        "tcpdump stopped",
      );
      const listed = await netkit(["status"]);
      assertMatch(listed.stdout, /Captures kept after down[\s\S]*t15-cb\/eth0 .*eth0\.pcap/);

      // Up again: the same capture starts afresh.
      assertEquals((await netkit(["up", file, "--no-check"])).code, 0);
      await ping("t15-ca", "10.15.5.2", 2);
      assert(
        await waitFor(async () =>
          echoes(await ipv4PacketsOf(PCAP), "10.15.5.1", "10.15.5.2").replies === 2
        ),
      );
      assertEquals((await netkit(["down", file])).code, 0);

      const clean = await netkit(["clean"]);
      assertEquals(clean.code, 0, clean.stderr);
      assertMatch(clean.stdout, /Removed 1 kept packet capture/);
      assertEquals(await Deno.stat(PCAP).catch(() => undefined), undefined);
    } finally {
      await netkit(["down", "t15-cap"]);
      await netkit(["clean"]);
      await Deno.remove(dir, { recursive: true });
    }
    await assertHostUnchanged(before, "after the capture lab, down and clean");
  },
);

Deno.test(
  "netkit capture streams pcap to a pipe, writes -w FILE, stops after -c; a bad filter is exit 2",
  opts,
  async () => {
    const before = await snapshot();
    const dir = await Deno.makeTempDir({ prefix: "netkit-t15-" });
    const file = `${dir}/cap.yaml`;
    await Deno.writeTextFile(file, LAB.replace(", capture: true", ""));
    try {
      assertEquals((await netkit(["up", file, "--no-check"])).code, 0);

      // -w -: pcap on stdout while it runs, a packet at a time (what `| wireshark -k -i -` needs).
      const live = start(["capture", "t15-cap", "t15-ca:eth0", "-w", "-", "--filter", "icmp"]);
      const out = collect(live.stdout);
      const err = collect(live.stderr);
      assert(await waitFor(() => /listening on eth0/.test(err.text())), err.text());
      await ping("t15-ca", "10.15.5.2", 1);
      assert(
        await waitFor(() => {
          const p = ipv4Packets(readPcap(out.bytes()));
          return echoes(p, "10.15.5.1", "10.15.5.2").replies === 1;
        }),
        "the request and reply arrived on the pipe while tcpdump runs",
      );
      live.kill("SIGTERM");
      assertEquals((await live.status).code, 0, err.text());
      await out.done, await err.done;
      const streamed = ipv4Packets(readPcap(out.bytes()));
      assert(streamed.every((p) => p.protocol === 1), "the filter let only ICMP through");

      // -c: stops by itself after that many packets; --filter as one word.
      const counted = start([
        "capture",
        "t15-cap",
        "t15-cb:eth0",
        "-w",
        "-",
        "-c",
        "6",
        "--filter",
        "icmp and host 10.15.5.1",
      ]);
      const cout = collect(counted.stdout);
      const cerr = collect(counted.stderr);
      assert(await waitFor(() => /listening on eth0/.test(cerr.text())), cerr.text());
      await ping("t15-ca", "10.15.5.2", 5);
      assertEquals((await counted.status).code, 0, cerr.text());
      await cout.done, await cerr.done;
      const six = ipv4Packets(readPcap(cout.bytes()));
      assertEquals(six.length, 6);
      assertEquals(echoes(six, "10.15.5.1", "10.15.5.2"), { requests: 3, replies: 3 });

      // -w FILE, stopped with SIGINT as Ctrl-C would: the file holds every packet.
      const pcapFile = `${dir}/out.pcap`;
      const toFile = start(["capture", "t15-cap", "t15-cb:eth0", "-w", pcapFile]);
      const ferr = collect(toFile.stderr);
      await toFile.stdout.cancel();
      assert(await waitFor(() => /listening on eth0/.test(ferr.text())), ferr.text());
      await ping("t15-ca", "10.15.5.2", 4);
      // Packets reach the file as they come (tcpdump -U into netkit's pipe into the file).
      assert(
        await waitFor(async () =>
          echoes(await ipv4PacketsOf(pcapFile).catch(() => []), "10.15.5.1", "10.15.5.2")
            .replies === 4
        ),
        "4 replies in the file while the capture runs",
      );
      toFile.kill("SIGINT");
      assertEquals((await toFile.status).code, 0, ferr.text());
      await ferr.done;
      assertEquals(echoes(await ipv4PacketsOf(pcapFile), "10.15.5.1", "10.15.5.2"), {
        requests: 4,
        replies: 4,
      });
      assert(await waitFor(async () => !(await tcpdumpRuns())), "no tcpdump left");

      // Hostile filters: only ever a tcpdump filter, refused before any capture runs.
      for (
        const filter of [
          "; touch /tmp/netkit-t15-pwned",
          "$(touch /tmp/netkit-t15-pwned)",
          "-w /tmp/netkit-t15-pwned",
          "icmp and",
        ]
      ) {
        const bad = await netkit([
          "capture",
          "t15-cap",
          "t15-ca:eth0",
          "-c",
          "1",
          "--filter",
          filter,
        ]);
        assertEquals(bad.code, 2, `${filter}: ${bad.stderr}`);
        assertMatch(bad.stderr, /Invalid filter: .*(syntax error|parse)/);
      }
      assertEquals(await Deno.stat("/tmp/netkit-t15-pwned").catch(() => undefined), undefined);
      const badCount = await netkit(["capture", "t15-cap", "t15-ca:eth0", "-c", "0"]);
      assertEquals(badCount.code, 2);
      assertMatch(badCount.stderr, /Invalid count "0"/);
      const noNode = await netkit(["capture", "t15-cap", "t15-zz:eth0"]);
      assertEquals(noNode.code, 2);
      assertMatch(noNode.stderr, /has no node "t15-zz"/);
      // A link that is down cannot be captured: said, with the way out.
      assertEquals((await netkit(["link", "t15-cap", "t15-ca:eth0", "down"])).code, 0);
      const down = await netkit(["capture", "t15-cap", "t15-ca:eth0", "-c", "1"]);
      assertEquals(down.code, 2, down.stderr);
      assertMatch(down.stderr, /not up[\s\S]*netkit link t15-cap t15-ca:eth0 up/);
    } finally {
      await netkit(["down", "t15-cap"]);
      await Deno.remove(dir, { recursive: true });
    }
    await assertHostUnchanged(before, "after netkit capture");
  },
);
