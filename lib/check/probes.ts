/**
 * Proofs that a lab works, each reported as pass/fail with its evidence: pings (that must and
 * must not get through), DHCP leases, SNAT seen from the upstream side, and reach after a VLAN
 * tag is removed.
 *
 * @module
 */
import type { Runner } from "../exec/runner.ts";
import { type Host, resolveHost } from "../host.ts";
import { cmd, inNs, type Step } from "../plan/step.ts";
import { vsctl } from "../ovs/target.ts";
import { pool } from "../plan/schedule.ts";
import { ovsRemoveTag } from "../primitives/ovs.ts";
import { dhcp6ClientFiles, dhcpClientFiles } from "../primitives/dhcp.ts";
import { familyOf, inSubnetAny, ipToBigInt, ipToNumber } from "../addr.ts";
import { type Cut, cutOf } from "../lab/cut.ts";
import { configDeadInterval } from "../lab/frr_config.ts";
import type { Expect, Lab } from "../lab/schema.ts";
import { labUsesIpv6 } from "../lab/plan.ts";
import {
  eventually,
  linksSettled,
  linkState,
  routePresent,
  startTcpdump,
  tcpReach,
} from "./net_probes.ts";
import { isOvsProof, ovsProof } from "./probes_ovs.ts";
import {
  type CheckContext,
  type CheckResult,
  type Context,
  ping,
  whileApplied,
  whileCut,
} from "./proof.ts";

export { type CheckContext, type CheckResult } from "./proof.ts";
export { PING_DEADLINE_S } from "./ping.ts";

async function lease(e: Extract<Expect, { lease: unknown }>["lease"], ctx: Context) {
  if (familyOf(e.range[0]) === 6) return await lease6(e, ctx);
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
  const started = await startTcpdump(
    runner,
    e.observer,
    e.interface,
    "icmp[icmptype] == icmp-echo and dst host " + e.to,
  );
  if ("failed" in started) return { name, pass: false, evidence: started.failed };
  const { capture } = started;
  const p = await ping(e.from, e.to, true, runner);
  // tcpdump prints the request a moment after it passed: wait for it (bounded) before stopping.
  if (p.pass) await capture.ready(/IP \d+\.\d+\.\d+\.\d+ > /, 1000);
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
  const p = await whileApplied(step, ctx, () => ping(e.ping.from, e.ping.to, e.reach, runner));
  return {
    ...p,
    name: `after "ovs-vsctl remove port ${e.untag.port} tag ${e.untag.tag}": ${p.name}`,
  };
}

/** A DHCPv6 lease (dhclient's, recorded by netkit's hook) in the range, on the interface. */
async function lease6(e: Extract<Expect, { lease: unknown }>["lease"], ctx: Context) {
  const runner = ctx.host.runner;
  const name = `${e.node}/${e.interface} holds a DHCPv6 lease in ${e.range[0]}-${e.range[1]}`;
  const file = dhcp6ClientFiles(ctx.stateDir, e.node, e.interface).lease;
  const text = await Deno.readTextFile(file).catch(() => undefined);
  if (text === undefined) return { name, pass: false, evidence: `no lease recorded (${file})` };
  const rec = Object.fromEntries(
    text.trim().split("\n").map((l) => l.split("=", 2) as [string, string]),
  );
  const ip = rec.ip ?? "";
  const addr = await runner.run(
    ["ip", "-n", e.node, "-6", "-o", "addr", "show", "dev", e.interface, "scope", "global"],
    { allowFailure: true },
  );
  const problems: string[] = [];
  const n = familyOf(ip) === 6 ? ipToBigInt(ip) : -1n;
  if (!(n >= ipToBigInt(e.range[0]) && n <= ipToBigInt(e.range[1]))) {
    problems.push(`${ip || "no address"} is outside the range`);
  }
  if (!addr.stdout.includes(` ${ip}/`)) problems.push(`${ip} is not on ${e.interface}`);
  if (e.leaseTime !== undefined && Number(rec.lease) !== e.leaseTime) {
    problems.push(`lease time ${rec.lease}, expected ${e.leaseTime}`);
  }
  return {
    name,
    pass: problems.length === 0,
    evidence: `ip ${ip}/${rec.prefixlen}, lease time ${rec.lease}s, server ${rec.serverid}` +
      (problems.length ? ` — ${problems.join("; ")}` : ""),
  };
}

/**
 * How long a proof waits for routing to converge, in seconds: twice the longest OSPF dead
 * interval of the lab (FRR's default is 40 s), and at least 30 s (BGP sessions, SLAAC).
 */
function convergenceWithin(lab: Lab): number {
  const dead = Object.values(lab.nodes).map((n) =>
    n.routing?.ospf
      ? (n.routing.ospf.dead ?? 40)
      : n.routing?.config !== undefined
      ? configDeadInterval(n.routing.config)
      : 0
  );
  return Math.max(30, 2 * Math.max(0, ...dead));
}

interface IpAddrInfo {
  addr_info?: {
    family: string;
    local: string;
    prefixlen: number;
    dynamic?: boolean;
    tentative?: boolean;
    nodad?: boolean;
    scope?: string;
  }[];
}

/** A SLAAC address (dynamic, inside `prefix`, past duplicate detection) is on the interface. */
async function slaacAddress(
  e: Extract<Expect, { slaac: unknown }>["slaac"],
  runner: Runner,
): Promise<CheckResult> {
  const name = `${e.node}/${e.interface} has a SLAAC address in ${e.prefix}`;
  const r = await runner.run(
    ["ip", "-n", e.node, "-6", "-j", "addr", "show", "dev", e.interface],
    { allowFailure: true },
  );
  const info = r.code === 0
    ? (JSON.parse(r.stdout || "[]") as IpAddrInfo[]).flatMap((l) => l.addr_info ?? [])
    : [];
  // SLAAC: from the advertised prefix (its length), with lifetimes, past duplicate address
  // detection; a DHCPv6 address (netkit's hook adds a /128 with nodad) is not one.
  const found = info.find((a) =>
    a.dynamic === true && a.tentative !== true && a.nodad !== true && a.scope === "global" &&
    String(a.prefixlen) === e.prefix.split("/")[1] && inSubnetAny(a.local, e.prefix)
  );
  const seen = info.map((a) => `${a.local}/${a.prefixlen}${a.dynamic ? " dynamic" : ""}`);
  return {
    name,
    pass: found !== undefined,
    evidence: found
      ? `${found.local}/${found.prefixlen} (autoconfigured from a router advertisement)`
      : `none; addresses: ${seen.join(", ") || "none"}`,
  };
}

/**
 * A cut of `down` ("NODE:IFNAME", lib/lab/cut.ts; "NODE": every link end of the node, one cut
 * each) while `from` -> `to` is retried until it answers or `within` is up; the links are up
 * again afterwards, whatever happened.
 */
async function failover(
  e: Extract<Expect, { failover: unknown }>,
  lab: Lab,
  within: string | undefined,
  ctx: Context,
): Promise<CheckResult> {
  const runner = ctx.host.runner;
  const { down, from, to } = e.failover;
  const p = await whileCuts(
    cutsOf(lab, down),
    ctx,
    () => eventually(within, () => ping(from, to, true, runner)),
  );
  return {
    ...p,
    name: `with ${down} down, ${p.name}`,
    evidence: `${p.evidence}; ${down} is up again`,
  };
}

/** The cuts of a failover's `down`: one end, or every link end of a node. */
function cutsOf(lab: Lab, down: string): Cut[] {
  if (down.includes(":")) return [cutOf(lab, down)];
  const ends = lab.links.flatMap((l) => l.endpoints).filter((end) => end.startsWith(`${down}:`));
  return ends.map((end) => cutOf(lab, end));
}

/** {@link whileCut} over several cuts: each one down (in order), `prove`, each up again. */
async function whileCuts<T>(cuts: Cut[], ctx: Context, prove: () => Promise<T>): Promise<T> {
  const [first, ...rest] = cuts;
  if (first === undefined) return prove();
  return (await whileCut(first, ctx, () => whileCuts(rest, ctx, prove))).result;
}

/**
 * Proves a node's DHCP server listens: dnsmasq holds UDP port 67 (DHCPv4) or 547 (DHCPv6) on
 * its interface.
 */
async function dhcpListening(
  node: string,
  iface: string,
  runner: Runner,
  port = 67,
): Promise<CheckResult> {
  const r = await runner.run(
    [
      "ip",
      "netns",
      "exec",
      node,
      "ss",
      "-H",
      "-u",
      "-a",
      "-n",
      "-l",
      "-p",
      "sport",
      "=",
      `:${port}`,
    ],
    { allowFailure: true },
  );
  const lines = r.stdout.split("\n").map((l) => l.replace(/\s+/g, " ").trim()).filter(Boolean);
  const found = lines.find((l) => /dnsmasq/.test(l) && l.includes(`%${iface}:${port} `)) ??
    lines.find((l) => /dnsmasq/.test(l));
  return {
    name: `dnsmasq in ${node} listens on UDP port ${port} (${iface})`,
    pass: found !== undefined,
    evidence: found ?? (r.stderr.trim() || `nothing listens on UDP port ${port}`),
  };
}

/**
 * How long a proof is retried until it passes: its `within`. Without one, what waits for the
 * network to settle (a SLAAC address, a failover, and in a lab with routing daemons a route or a
 * ping that must get through) waits up to the lab's {@link convergenceWithin}; anything else is
 * tried once (undefined).
 */
export function withinOf(e: Expect, lab: Lab): string | undefined {
  if (e.within !== undefined) return e.within;
  const routed = Object.values(lab.nodes).some((n) => n.routing !== undefined);
  const mustReach = "ping" in e && "reach" in e && e.reach && !("untag" in e) && !isOvsProof(e);
  const settles = "slaac" in e || "failover" in e || (routed && ("route" in e || mustReach));
  return settles ? `${convergenceWithin(lab)}s` : undefined;
}

/**
 * How long a failed proof of an IPv6 lab waits for the lab's links to be operationally up
 * before it runs again, at most (see {@link checkLab}).
 */
const LINKS_SETTLE_MS = 10_000;

/** How many proofs run side by side at most. */
const PROOFS_AT_ONCE = 32;

/**
 * Runs every expectation of the lab, and for each node with a DHCP server, that the server
 * listens (UDP 67, 547). First what waits for the network to settle (routes, SLAAC); then, side
 * by side (at most {@link PROOFS_AT_ONCE} at a time), the independent proofs and the DHCP
 * servers (in an IPv6 lab, those that failed once more after its links are up: see
 * {@link LINKS_SETTLE_MS}); then the unreachable pings (once the others passed the lab is known
 * to forward: see {@link PING_DEADLINE_S}); then, one at a time, the proofs that watch shared
 * traffic or change the lab (SNAT, VLAN untag, failover, a TCP listener, OVS features).
 * Results: the independent proofs in the lab's order, the DHCP servers, then the one-at-a-time
 * proofs in the lab's order.
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
  const each = async <T>(items: readonly T[], fn: (item: T) => Promise<CheckResult>) =>
    (await pool(items, PROOFS_AT_ONCE, fn)).map((r) => {
      if (r.status === "rejected") throw r.reason;
      return r.value;
    });
  // Each proof is retried until it passes or its `within` is up (withinOf); one at a time:
  // proofs that change something while they run (a tag, a listener's port, a link taken down).
  const alone = (e: Expect) =>
    "untag" in e || "snat" in e || "failover" in e || isOvsProof(e) ||
    ("tcp" in e && e.tcp.listen !== undefined);
  // What waits for the network to settle (routes converging, SLAAC addresses and the default
  // routes that come with them) goes first: the pings after it would fail for a while.
  const settles = (e: Expect) => "route" in e || "slaac" in e;
  const settled = new Map<Expect, CheckResult>();
  await each(lab.expect.filter(settles), async (e) => {
    const result = await eventually(withinOf(e, lab), () => {
      if ("slaac" in e) return slaacAddress(e.slaac, runner);
      return routePresent((e as Extract<Expect, { route: unknown }>).route, runner);
    });
    settled.set(e, result);
    return result;
  });
  type PingExpect = Extract<Expect, { ping: unknown; reach: boolean }>;
  const proof = (e: Expect): Promise<CheckResult> => {
    const done = settled.get(e);
    if (done) return Promise.resolve(done);
    return eventually(withinOf(e, lab), () => {
      if ("lease" in e) return lease(e.lease, ctx);
      if ("tcp" in e) return tcpReach(e, runner);
      if ("link" in e) return linkState(e.link, runner);
      const pe = e as PingExpect;
      return ping(pe.ping.from, pe.ping.to, pe.reach, runner);
    });
  };
  // The unreachable pings run after the others have passed: the lab is then known to forward
  // (see PING_DEADLINE_S). Everything is reported in the lab's order.
  const refuses = (e: Expect) => "ping" in e && (e as PingExpect).reach === false;
  const parallel = lab.expect.filter((e) => !alone(e));
  const reaching = parallel.filter((e) => !refuses(e));
  const [tried, listening] = await Promise.all([
    each(reaching, proof),
    each(
      Object.entries(lab.nodes).flatMap(([name, node]) => {
        const d = node.dhcpServer;
        return [
          ...(d?.range ? [[name, d.interface, 67] as const] : []),
          ...(d?.range6 ? [[name, d.interface, 547] as const] : []),
        ];
      }),
      ([name, iface, port]) => dhcpListening(name, iface, runner, port),
    ),
  ]);
  // In an IPv6 lab a proof tried once may have run before the kernel had a fresh link up (see
  // linksNotYetUp: no IPv6 on it yet). If one failed, the proofs that failed run once more
  // after every node's links are up (a wait of at most LINKS_SETTLE_MS, only then: asking each
  // namespace costs a process).
  const again = reaching.filter((e, i) => !tried[i]!.pass && withinOf(e, lab) === undefined);
  if (again.length > 0 && labUsesIpv6(lab)) {
    const waited = await pool(
      Object.keys(lab.nodes),
      PROOFS_AT_ONCE,
      async (node) =>
        (await linksSettled(node, runner, LINKS_SETTLE_MS)).map((i) => `${node}/${i}`),
    );
    const down = waited.flatMap((w) => w.status === "fulfilled" ? w.value : []);
    const note = down.length === 0
      ? "tried again once the lab's links were up"
      : `tried again; still operationally down after ${LINKS_SETTLE_MS / 1000} s: ${
        down.join(", ")
      }`;
    const second = await each(again, proof);
    for (const [k, e] of again.entries()) {
      const r = second[k]!;
      tried[reaching.indexOf(e)] = { ...r, evidence: `${r.evidence} (${note})` };
    }
  }
  const then = await each(parallel.filter(refuses), proof);
  const byProof = new Map<Expect, CheckResult>([
    ...reaching.map((e, i) => [e, tried[i]!] as const),
    ...parallel.filter(refuses).map((e, i) => [e, then[i]!] as const),
  ]);
  const results: CheckResult[] = [...parallel.map((e) => byProof.get(e)!), ...listening];
  for (const e of lab.expect.filter(alone)) {
    if ("failover" in e) {
      results.push(await failover(e, lab, withinOf(e, lab), ctx));
      continue;
    }
    results.push(
      await eventually(withinOf(e, lab), () => {
        if (isOvsProof(e)) return ovsProof(e, lab, ctx);
        if ("snat" in e) return snatSeen(e.snat, ctx.host);
        if ("untag" in e) return untagThenPing(e, ctx);
        return tcpReach(e as Extract<Expect, { tcp: unknown }>, runner);
      }),
    );
  }
  return results;
}
