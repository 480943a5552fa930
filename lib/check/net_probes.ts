/**
 * Proofs about a lab's state and services: a TCP port reachable (with a listener netkit starts
 * for the proof, or one the lab runs), a route present, an interface up or down; and `within`,
 * which retries any proof until it passes or its time is up.
 *
 * @module
 */
import { type OutputWatch, type Process, type Runner, watchOutput } from "../exec/runner.ts";
import { inNs } from "../plan/step.ts";
import { inNetns } from "../exec/netns_argv.ts";
import { familyOf, networkOfAny } from "../addr.ts";
import type { Expect } from "../lab/schema.ts";
import { formatDuration, parseDuration, sleep } from "../units.ts";
import type { CheckResult } from "./proof.ts";

type TcpExpect = Extract<Expect, { tcp: unknown }>;
type RouteExpect = Extract<Expect, { route: unknown }>["route"];
type LinkExpect = Extract<Expect, { link: unknown }>["link"];

/**
 * The prefix of every process a proof starts and stops itself (a listener, a capture, an iperf3
 * server): if netkit is killed mid-proof, the process would outlive it, and keep its namespace
 * (and the lab's interfaces in it) alive after `down`; `timeout` bounds it. It passes the signal
 * that stops it (SIGINT, SIGTERM) on to the command.
 */
export const BOUNDED = ["timeout", "60"] as const;

/** How long the client waits for the connection (busybox nc `-w`), in seconds. */
const CONNECT_TIMEOUT_S = 2;
/** How long a listener may take to listen, in milliseconds. */
const LISTEN_WAIT_MS = 3000;

/**
 * Starts tcpdump in `node` on `iface` with `filter` (line-buffered, each packet handed over at
 * once, bounded by {@link BOUNDED}) and waits until it reports `listening on`. Returns the running
 * capture (stop it to read what it printed), or why it did not start (its stderr).
 */
export async function startTcpdump(
  runner: Runner,
  node: string,
  iface: string,
  filter: string,
): Promise<{ capture: OutputWatch } | { failed: string }> {
  const capture = watchOutput(runner.spawn(inNs(node, [
    ...BOUNDED,
    "tcpdump",
    "-n",
    "-l",
    // Hand each packet over at once: libpcap otherwise delivers in blocks (up to a second), and
    // the last packets of a ping would still be buffered when the capture stops.
    "--immediate-mode",
    "-i",
    iface,
    filter,
  ])));
  if (await capture.ready(/listening on/)) return { capture };
  const err = (await capture.stop()).trim();
  return { failed: `tcpdump reported no "listening on" within 3 s${err ? `: ${err}` : ""}` };
}

/** True when something in `ns` listens on TCP `port`. */
async function listening(ns: string, port: number, runner: Runner): Promise<boolean> {
  const r = await runner.run(
    inNs(ns, ["ss", "-H", "-l", "-t", "-n", "sport", "=", `:${port}`]),
    { allowFailure: true },
  );
  return r.code === 0 && r.stdout.trim() !== "";
}

/**
 * `ip netns exec FROM busybox nc -w 2 TO PORT -e true`: connects and hangs up at once (`-e true`
 * replaces nc with `true` once connected), so it proves the handshake and never waits for the
 * server to speak. With `listen: NODE`, `busybox nc -l -p PORT -e true` listens in NODE for the
 * proof's duration (started, waited for with `ss`, stopped).
 */
export async function tcpReach(e: TcpExpect, runner: Runner): Promise<CheckResult> {
  const { from, to, port, listen } = e.tcp;
  const name = `${from} -> ${to}:${port} (TCP) ${e.reach ? "reachable" : "unreachable"}` +
    (listen === undefined ? "" : `, listener in ${listen}`);
  let listener: Process | undefined;
  try {
    if (listen !== undefined) {
      if (await listening(listen, port, runner)) {
        return { name, pass: false, evidence: `TCP port ${port} is already in use in ${listen}` };
      }
      listener = runner.spawn(
        inNs(listen, [...BOUNDED, "busybox", "nc", "-l", "-p", String(port), "-e", "true"]),
        {
          stdout: "null",
        },
      );
      let exited = false;
      listener.status.then(() => (exited = true));
      const deadline = Date.now() + LISTEN_WAIT_MS;
      while (!(await listening(listen, port, runner))) {
        if (exited || Date.now() > deadline) {
          const why = exited ? await new Response(listener.stderr).text() : "";
          return {
            name,
            pass: false,
            evidence: `the listener in ${listen} did not listen on ${port} within ${
              LISTEN_WAIT_MS / 1000
            } s${why.trim() ? `: ${why.trim()}` : ""}`,
          };
        }
        await sleep(20);
      }
    }
    const r = await runner.run(
      inNs(from, [
        "busybox",
        "nc",
        "-w",
        String(CONNECT_TIMEOUT_S),
        to,
        String(port),
        "-e",
        "true",
      ]),
      { allowFailure: true },
    );
    const connected = r.code === 0;
    return {
      name,
      pass: connected === e.reach,
      evidence: connected
        ? `connected from ${from} to ${to}:${port}`
        : (r.stderr.trim().split("\n")[0] || `busybox nc exit ${r.code}`),
    };
  } finally {
    if (listener) {
      listener.kill();
      await listener.status;
      await listener.stderr?.cancel().catch(() => {});
    }
  }
}

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  /** A multipath (ECMP) route's nexthops. */
  nexthops?: { gateway?: string; dev?: string }[];
}

/** A route's nexthops: its `nexthops` (ECMP), else the one it has (none: a blackhole). */
function hopsOf(x: IpRoute): { gateway?: string; dev?: string }[] {
  if (x.nexthops) return x.nexthops;
  return x.gateway !== undefined || x.dev !== undefined ? [x] : [];
}

/**
 * `10.0.0.5/32` → `10.0.0.5`, `10.0.0.1/24` → `10.0.0.0/24`, `2001:db8::1/64` → `2001:db8::/64`:
 * the way `ip route` prints it.
 */
function routeKey(to: string): string {
  if (to === "default") return to;
  const net = networkOfAny(to);
  return net.endsWith("/32") || net.endsWith("/128") ? net.slice(0, net.lastIndexOf("/")) : net;
}

/**
 * `ip -n NODE [-6] -j route show`: a route to `to` exists (through `via`, out of `dev`, put there
 * by `protocol`, when given). The family is `to`'s, or for `default` the family of `via`.
 */
export async function routePresent(
  e: RouteExpect,
  runner: Runner,
): Promise<CheckResult> {
  const want = routeKey(e.to);
  const v6 = familyOf((e.to === "default" ? e.via : e.to.split("/")[0]) ?? "") === 6;
  const name = `${e.node} has a route to ${e.to}` + (e.via === undefined ? "" : ` via ${e.via}`) +
    (e.dev === undefined ? "" : ` dev ${e.dev}`) +
    (e.protocol === undefined ? "" : ` by ${e.protocol}`) +
    (e.nexthops === undefined ? "" : ` over ${e.nexthops} nexthops`);
  const r = await runner.run(
    ["ip", "-n", e.node, ...(v6 ? ["-6"] : []), "-j", "route", "show"],
    { allowFailure: true },
  );
  if (r.code !== 0) return { name, pass: false, evidence: r.stderr.trim() || `exit ${r.code}` };
  const routes = JSON.parse(r.stdout || "[]") as IpRoute[];
  const text = (x: IpRoute) =>
    [
      x.dst,
      ...hopsOf(x).flatMap((h) => [
        ...(h.gateway ? ["via", h.gateway] : []),
        ...(h.dev ? ["dev", h.dev] : []),
      ]),
      ...(x.protocol ? ["proto", x.protocol] : []),
    ].join(" ");
  const found = routes.find((x) =>
    x.dst === want && (e.via === undefined || hopsOf(x).some((h) => h.gateway === e.via)) &&
    (e.dev === undefined || hopsOf(x).some((h) => h.dev === e.dev)) &&
    (e.protocol === undefined || x.protocol === e.protocol) &&
    (e.nexthops === undefined || hopsOf(x).length === e.nexthops)
  );
  return {
    name,
    pass: found !== undefined,
    evidence: found
      ? text(found)
      : `no such route; ${e.node}'s routes: ${routes.map(text).join("; ") || "none"}`,
  };
}

/** One interface of `ip -j link show`. */
export interface IpLink {
  ifname: string;
  flags: string[];
  operstate: string;
}

/**
 * `ip -n NODE -j link show dev IF`: up means administratively up *and* with a carrier
 * (`LOWER_UP`: for a veth, both ends up); down means not both.
 */
export async function linkState(
  e: LinkExpect,
  runner: Runner,
): Promise<CheckResult> {
  const name = `${e.node}/${e.interface} is ${e.state}`;
  const r = await runner.run(["ip", "-n", e.node, "-j", "link", "show", "dev", e.interface], {
    allowFailure: true,
  });
  if (r.code !== 0) return { name, pass: false, evidence: r.stderr.trim() || `exit ${r.code}` };
  const link = (JSON.parse(r.stdout || "[]") as IpLink[])[0];
  const up = link !== undefined && link.flags.includes("UP") && link.flags.includes("LOWER_UP");
  return {
    name,
    pass: up === (e.state === "up"),
    evidence: link ? `state ${link.operstate}, flags ${link.flags.join(",")}` : "no such interface",
  };
}

/**
 * The interfaces of `ip -j link show` output whose link is up (administratively, and with a
 * carrier) while the kernel still reports them operationally down: their carrier event waits in
 * the kernel's link watch. That runs at most once a second for events it does not deem urgent
 * (a veth end whose peer has the same ifindex in its own namespace, as the first link of a
 * chain has) and needs the RTNL lock, so on a busy host (another lab's namespaces being torn
 * down) it lags up to a second or more behind `ip link set up`. Until it runs, IPv6 is not
 * ready on the interface: no link-local address, no neighbour solicitations answered for its
 * addresses.
 */
export function linksNotYetUp(links: readonly IpLink[]): string[] {
  return links
    .filter((l) => l.flags.includes("UP") && l.flags.includes("LOWER_UP") && l.operstate === "DOWN")
    .map((l) => l.ifname);
}

/**
 * Waits until no interface in namespace `node` is up with a carrier but still operationally
 * down ({@link linksNotYetUp}), asking `nsenter --net=/run/netns/NODE ip -j link show` every
 * 20 ms, for at most `withinMs`. Returns the interfaces still waiting when the time ran out
 * (none once the namespace settled).
 */
export async function linksSettled(
  node: string,
  runner: Runner,
  withinMs: number,
): Promise<string[]> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    const r = await runner.run(inNetns(node, ["ip", "-j", "link", "show"]), { allowFailure: true });
    const waiting = r.code === 0 ? linksNotYetUp(JSON.parse(r.stdout || "[]") as IpLink[]) : [];
    if (waiting.length === 0 || performance.now() >= deadline) return waiting;
    await sleep(20);
  }
}

/**
 * Runs `attempt` until it passes or `within` (a duration such as `10s`) is up, a quarter of a
 * second apart; without `within`, once. The result says how many tries it took, and how long
 * the proof ran (`ms`).
 */
export async function eventually(
  within: string | undefined,
  attempt: () => Promise<CheckResult>,
): Promise<CheckResult> {
  const started = performance.now();
  if (within === undefined) {
    const r = await attempt();
    return { ...r, ms: Math.round(performance.now() - started) };
  }
  const deadline = started + parseDuration(within) / 1000;
  let tries = 0;
  let r: CheckResult;
  for (;;) {
    r = await attempt();
    tries++;
    if (r.pass || performance.now() >= deadline) break;
    await sleep(Math.min(250, Math.max(0, deadline - performance.now())));
  }
  const ms = Math.round(performance.now() - started);
  return {
    ...r,
    name: `${r.name} (within ${formatDuration(parseDuration(within))})`,
    evidence: tries === 1
      ? r.evidence
      : `${r.evidence} (${r.pass ? "passed" : "still failing"} after ${tries} tries, ${
        (ms / 1000).toFixed(1)
      } s)`,
    ms,
  };
}
