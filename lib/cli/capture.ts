/**
 * `netkit capture LAB NODE:IFACE [-w FILE.pcap | -w -] [-c N] [--filter BPF]`: tcpdump on one
 * interface of a lab, inside the node's namespace.
 *
 * - Without `-w`: one line per packet, as tcpdump prints them (`-n -l`).
 * - `-w -`: pcap on standard output, a packet at a time (`-U --immediate-mode`, tcpdump writing
 *   straight to netkit's standard output), so that `netkit capture ... -w - | wireshark -k -i -`
 *   shows packets as they come. Refused when standard output is a terminal.
 * - `-w FILE`: the same stream written to FILE by netkit (tcpdump drops root before it would
 *   open FILE itself).
 *
 * The filter is one argv word after `--`: tcpdump reads it as a filter expression and nothing
 * else (no shell ever sees it, and a filter that starts with `-` is not an option). It is
 * compiled first (`tcpdump -d`), so a bad filter exits 2 before anything runs. Ctrl-C (SIGINT)
 * or SIGTERM stops tcpdump, which prints its counts; a reader that goes away (Wireshark closed)
 * ends the capture quietly.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Host } from "../host.ts";
import { labEnd } from "../lab/change.ts";
import { inNs } from "../plan/step.ts";
import { ExitCode } from "../errors.ts";

/** Flags of `capture`. */
interface CaptureFlags {
  write?: string;
  count?: string;
  filter?: string;
}

/** The most packets `-c` takes. */
const MAX_COUNT = 1_000_000_000;

/** The `-c` value as a number, or undefined. */
function countOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_COUNT) {
    throw new UsageError(
      `Invalid count ${JSON.stringify(text)}: a whole number from 1 to ${MAX_COUNT}`,
      {
        where: "-c",
      },
    );
  }
  return Number(text);
}

/**
 * The tcpdump command line: `ip netns exec NODE tcpdump -i IFACE ... [-- FILTER]`, with `-d`
 * (compile the filter, print it, exit) for the check that runs first.
 */
function captureArgv(
  node: string,
  ifname: string,
  options: {
    pcap: boolean;
    count?: number | undefined;
    filter?: string | undefined;
    compileOnly?: boolean;
  },
): string[] {
  const argv = ["tcpdump", "-i", ifname];
  if (options.compileOnly) argv.push("-d");
  else if (options.pcap) argv.push("-U", "--immediate-mode", "-w", "-");
  else argv.push("-n", "-l", "--immediate-mode");
  if (options.count !== undefined && !options.compileOnly) argv.push("-c", String(options.count));
  if (options.filter !== undefined) argv.push("--", options.filter);
  return inNs(node, argv);
}

/** Runs `capture`. */
export async function captureCommand(
  host: Host,
  lab: string,
  end: string,
  flags: CaptureFlags,
): Promise<void> {
  const count = countOf(flags.count);
  if (flags.filter !== undefined && flags.filter.length > 4096) {
    throw new UsageError("The filter is over 4096 characters", { where: "--filter" });
  }
  if (flags.write === "-" && Deno.stdout.isTerminal()) {
    throw new UsageError("-w - writes pcap, which a terminal cannot show", {
      hint: `pipe it: netkit capture ${lab} ${end} -w - | wireshark -k -i -  (or -w FILE.pcap)`,
    });
  }
  if (flags.write === "") throw new UsageError("-w needs a file name, or - for standard output");
  const { node, ifname } = await labEnd(host, lab, end);

  // Compile the filter on the interface first: a bad filter is bad input (exit 2).
  const check = await host.runner.run(
    captureArgv(node, ifname, { pcap: false, filter: flags.filter, compileOnly: true }),
    { allowFailure: true },
  );
  if (check.code !== 0) {
    const why = check.stderr.trim().split("\n").filter(Boolean).at(-1) ?? `exit ${check.code}`;
    if (/not up/.test(why)) {
      throw new UsageError(`Cannot capture on ${end}: ${why.replace(/^tcpdump: /, "")}`, {
        hint: `bring it up: netkit link ${lab} ${end} up`,
      });
    }
    throw new UsageError(`Invalid filter: ${why.replace(/^tcpdump: /, "")}`, { where: "--filter" });
  }

  const pcap = flags.write !== undefined;
  const toFile = pcap && flags.write !== "-";
  const file = toFile
    ? await Deno.open(flags.write!, { write: true, create: true, truncate: true })
    : undefined;
  const child = host.runner.spawn(
    captureArgv(node, ifname, { pcap, count, filter: flags.filter }),
    {
      stdout: toFile ? "piped" : "inherit",
      stderr: "inherit",
    },
  );
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const handlers = signals.map((s) =>
    [s, () => child.kill(s === "SIGINT" ? "SIGINT" : "SIGTERM")] as const
  );
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  try {
    // Each chunk written at once (Deno's pipeTo into a file's writable holds data back), so the
    // file can be read while the capture runs.
    if (file && child.stdout) {
      for await (const chunk of child.stdout) {
        for (let n = 0; n < chunk.length;) n += await file.write(chunk.subarray(n));
      }
    }
    const status = await child.status;
    // A reader that went away (Wireshark closed): the capture simply ends.
    if (status.signal === "SIGPIPE") return;
    if (status.code !== 0) throw new ExitCode(status.code);
  } finally {
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
    child.kill();
    file?.close();
  }
}
