/**
 * Proofs that a lab works, each reported as pass/fail with its evidence: pings (that must and
 * must not get through), DHCP leases, SNAT seen from the upstream side, and reach after a VLAN
 * tag is removed.
 *
 * @module
 */
import { type Runner, watchOutput } from "../exec/runner.ts";
import { type Host, resolveHost } from "../host.ts";
import { cmd, inNs, type Step } from "../plan/step.ts";
import { Journal } from "../plan/journal.ts";
import { vsctl } from "../ovs/target.ts";
import { join } from "node:path";
import { Executor } from "../plan/executor.ts";
import { ovsRemoveTag } from "../primitives/ovs.ts";
import { dhcpClientFiles } from "../primitives/dhcp.ts";
import { ipToNumber } from "../addr.ts";
import type { Expect, Lab } from "../lab/schema.ts";
import type { OvsTarget } from "../ovs/target.ts";

/** The outcome of one proof. */
export interface CheckResult {
  /** What was checked, e.g. `ns2 -> 10.0.0.1 reachable`. */
  name: string;
  /** Whether the proof passed. */
  pass: boolean;
  /** What was seen (a ping summary, a lease, captured sources). */
  evidence: string;
}

/** What the probes need. */
export interface CheckContext {
  /** Where and how to work. @default resolveHost() */
  host?: Host | undefined;
  /** The lab's state directory (lease records). */
  stateDir: string;
  /** The OVS of the lab, for VLAN probes. */
  ovs?: OvsTarget | undefined;
}

/** The context with its host resolved. */
type Context = CheckContext & { host: Host };

async function ping(
  from: string,
  to: string,
  reach: boolean,
  runner: Runner,
): Promise<CheckResult> {
  const count = reach ? "3" : "2";
  const r = await runner.run(
    inNs(from, ["ping", "-n", "-q", "-c", count, "-i", "0.2", "-W", "1", to]),
    { allowFailure: true },
  );
  const summary = (r.stdout + r.stderr).split("\n").find((l) => /packets transmitted/.test(l)) ??
    (r.stderr.trim() || `exit ${r.code}`);
  const got = r.code === 0;
  return {
    name: `${from} -> ${to} ${reach ? "reachable" : "unreachable"}`,
    pass: got === reach,
    evidence: summary.trim(),
  };
}

async function lease(e: Extract<Expect, { lease: unknown }>["lease"], ctx: Context) {
  const runner = ctx.host.runner;
  const name = `${e.node}/${e.interface} holds a lease in ${e.range[0]}-${e.range[1]}`;
  const file = dhcpClientFiles(ctx.stateDir, e.node, e.interface).lease;
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    return { name, pass: false, evidence: `no lease recorded (${file})` };
  }
  const rec = Object.fromEntries(
    text.trim().split("\n").map((l) => l.split("=", 2) as [string, string]),
  );
  const ip = rec.ip ?? "";
  const addr = await runner.run([
    "ip",
    "-n",
    e.node,
    "-4",
    "-o",
    "addr",
    "show",
    "dev",
    e.interface,
  ], {
    allowFailure: true,
  });
  const route = await runner.run(["ip", "-n", e.node, "route", "show", "default"], {
    allowFailure: true,
  });
  const problems: string[] = [];
  const n = ip ? ipToNumber(ip) : NaN;
  if (!(n >= ipToNumber(e.range[0]) && n <= ipToNumber(e.range[1]))) {
    problems.push(`${ip || "no address"} is outside the range`);
  }
  if (!addr.stdout.includes(` ${ip}/`)) problems.push(`${ip} is not on ${e.interface}`);
  if (e.router !== undefined && !route.stdout.includes(`via ${e.router} `)) {
    problems.push(`default route is not via ${e.router}`);
  }
  if (e.leaseTime !== undefined && Number(rec.lease) !== e.leaseTime) {
    problems.push(`lease time ${rec.lease}, expected ${e.leaseTime}`);
  }
  return {
    name,
    pass: problems.length === 0,
    evidence: `ip ${ip}/${rec.mask}, router ${rec.router || "none"}, lease time ${rec.lease}s, ` +
      `server ${rec.serverid}; default route: ${route.stdout.trim() || "none"}` +
      (problems.length ? ` — ${problems.join("; ")}` : ""),
  };
}

async function snatSeen(e: Extract<Expect, { snat: unknown }>["snat"], host: Host) {
  const runner = host.runner;
  if (host.rootless) return await snatSeenNft(e, runner);
  const name = `${e.observer} sees ${e.from}'s packets to ${e.to} from ${e.source}`;
  const capture = watchOutput(runner.spawn(
    inNs(e.observer, [
      "tcpdump",
      "-n",
      "-l",
      // Hand each packet over at once: libpcap otherwise delivers in blocks (up to a second),
      // and the last requests of the ping would still be buffered when the capture stops.
      "--immediate-mode",
      "-i",
      e.interface,
      "icmp[icmptype] == icmp-echo and dst host " + e.to,
    ]),
  ));
  if (!(await capture.ready(/listening on/))) {
    const err = await capture.stop();
    return {
      name,
      pass: false,
      evidence: `tcpdump reported no "listening on" within 3 s${
        err.trim() ? `: ${err.trim()}` : ""
      }`,
    };
  }
  const p = await ping(e.from, e.to, true, runner);
  const out = await capture.stop();
  const sources = [...out.matchAll(/IP (\d+\.\d+\.\d+\.\d+) > /g)].map((m) => m[1]!);
  const distinct = [...new Set(sources)];
  const pass = p.pass && sources.length > 0 && distinct.every((s) => s === e.source);
  return {
    name,
    pass,
    evidence: `${sources.length} echo request(s) captured on ${e.observer}/${e.interface}, ` +
      `source(s): ${distinct.join(", ") || "none"}; ping: ${p.evidence}`,
  };
}

/**
 * The SNAT proof without tcpdump (rootless mode: tcpdump always drops root with `initgroups()`,
 * which a user namespace made by an unprivileged user forbids). A table of the observer's own
 * records the source of every echo request to `to` in a set; the table is removed afterwards.
 */
async function snatSeenNft(e: Extract<Expect, { snat: unknown }>["snat"], runner: Runner) {
  const name = `${e.observer} sees ${e.from}'s packets to ${e.to} from ${e.source}`;
  const nft = (...args: string[]) =>
    runner.run(inNs(e.observer, ["nft", ...args]), { allowFailure: true });
  const table = "netkit_snat_probe";
  await nft("delete", "table", "ip", table);
  const setup = [
    ["add", "table", "ip", table],
    ["add", "set", "ip", table, "src", "{ type ipv4_addr; flags dynamic; }"],
    ["add", "chain", "ip", table, "pre", "{ type filter hook prerouting priority -300; }"],
    [
      "add",
      "rule",
      "ip",
      table,
      "pre",
      "iifname",
      e.interface,
      "icmp",
      "type",
      "echo-request",
      "ip",
      "daddr",
      e.to,
      "counter",
      "add",
      "@src",
      "{ ip saddr }",
    ],
  ];
  try {
    for (const args of setup) {
      const r = await nft(...args);
      if (r.code !== 0) {
        return { name, pass: false, evidence: `nft ${args.join(" ")}: ${r.stderr.trim()}` };
      }
    }
    const p = await ping(e.from, e.to, true, runner);
    const r = await nft("-j", "list", "table", "ip", table);
    type Item = {
      set?: { name: string; elem?: string[] };
      rule?: { expr: { counter?: { packets: number } }[] };
    };
    const items = (JSON.parse(r.stdout || "{}") as { nftables?: Item[] }).nftables ?? [];
    const distinct = items.find((i) => i.set?.name === "src")?.set?.elem ?? [];
    const count = items.flatMap((i) => i.rule?.expr ?? []).find((x) => x.counter)?.counter
      ?.packets ?? 0;
    const pass = p.pass && count > 0 && distinct.every((s) => s === e.source);
    return {
      name,
      pass,
      evidence: `${count} echo request(s) counted on ${e.observer}/${e.interface} (nftables), ` +
        `source(s): ${distinct.join(", ") || "none"}; ping: ${p.evidence}`,
    };
  } finally {
    await nft("delete", "table", "ip", table);
  }
}

async function untagThenPing(
  e: Extract<Expect, { untag: unknown }>,
  ctx: Context,
): Promise<CheckResult> {
  const runner = ctx.host.runner;
  const { port, tag } = e.untag;
  // A journaled step of the lab whose undo puts back the tag the port has now, so that the
  // port is restored exactly, and by `down` too if netkit is killed during the proof.
  const now = await runner.run(vsctl(ctx.ovs, "--timeout=5", "get", "Port", port, "tag"), {
    allowFailure: true,
  });
  const original = now.stdout.trim();
  const step: Step = {
    ...ovsRemoveTag(port, tag),
    summary: `remove VLAN ${tag} from port ${port} for the untag proof`,
    undo: [
      /^\d+$/.test(original)
        ? cmd("ovs-vsctl", "set", "port", port, `tag=${original}`)
        : cmd("ovs-vsctl", "clear", "port", port, "tag"),
    ],
  };
  const exec = new Executor({
    runner,
    ovs: ctx.ovs,
    journal: new Journal(join(ctx.stateDir, "journal.jsonl")),
  });
  await exec.apply([step]);
  const p = await ping(e.ping.from, e.ping.to, e.reach, runner).finally(async () => {
    const errors = await exec.undo([{ key: step.key, undo: step.undo }]);
    if (errors.length) throw errors[0];
  });
  return {
    ...p,
    name: `after "ovs-vsctl remove port ${e.untag.port} tag ${e.untag.tag}": ${p.name}`,
  };
}

/** Proves a node's DHCP server listens: dnsmasq holds UDP port 67 on its interface. */
async function dhcpListening(node: string, iface: string, runner: Runner): Promise<CheckResult> {
  const r = await runner.run(
    ["ip", "netns", "exec", node, "ss", "-H", "-u", "-a", "-n", "-l", "-p", "sport", "=", ":67"],
    { allowFailure: true },
  );
  const lines = r.stdout.split("\n").map((l) => l.replace(/\s+/g, " ").trim()).filter(Boolean);
  const found = lines.find((l) => /dnsmasq/.test(l) && l.includes(`%${iface}:67 `)) ??
    lines.find((l) => /dnsmasq/.test(l));
  return {
    name: `dnsmasq in ${node} listens on UDP port 67 (${iface})`,
    pass: found !== undefined,
    evidence: found ?? (r.stderr.trim() || "nothing listens on UDP port 67"),
  };
}

/**
 * Runs every expectation of the lab (independent ones in parallel), and for each node with a
 * DHCP server, that the server listens on UDP port 67.
 *
 * @example
 * ```ts
 * import { checkLab, getRecipe, validateLab } from "../../mod.ts";
 * const lab = validateLab(getRecipe("ovs-veth").build());
 * for (const r of await checkLab(lab, { stateDir: "/run/netkit/labs/ovs-veth" })) {
 *   console.log(r.pass ? "PASS" : "FAIL", r.name);
 * }
 * ```
 */
export async function checkLab(lab: Lab, context: CheckContext): Promise<CheckResult[]> {
  const ctx: Context = { ...context, host: context.host ?? resolveHost() };
  const runner = ctx.host.runner;
  const results: CheckResult[] = [];
  const parallel = lab.expect.filter((e) => !("untag" in e) && !("snat" in e));
  results.push(
    ...await Promise.all(parallel.map((e) => {
      if ("lease" in e) return lease(e.lease, ctx);
      const pe = e as Extract<Expect, { ping: unknown; reach: boolean }>;
      return ping(pe.ping.from, pe.ping.to, pe.reach, runner);
    })),
    ...await Promise.all(
      Object.entries(lab.nodes).flatMap(([name, node]) =>
        node.dhcpServer ? [dhcpListening(name, node.dhcpServer.interface, runner)] : []
      ),
    ),
  );
  for (const e of lab.expect) {
    if ("snat" in e) results.push(await snatSeen(e.snat, ctx.host));
    else if ("untag" in e) results.push(await untagThenPing(e, ctx));
  }
  return results;
}
