/**
 * What a lab looks like on the host right now: nodes with their interfaces and addresses, and
 * bridges with their ports and tags. Read from the kernel and OVS, not from the description.
 *
 * @module
 */
import type { Host } from "../host.ts";
import { ovsShow } from "../ovs/query.ts";
import type { LabState } from "./lab_state.ts";
import { dhcp6ClientFiles, dhcpClientFiles } from "../primitives/dhcp.ts";
import { labDir } from "../state.ts";
import { inNetns } from "../exec/netns_argv.ts";
import { pool } from "../plan/schedule.ts";
import type { Lab } from "./schema.ts";
import { type CaptureStatus, labCaptures } from "./captures.ts";
import { type OvsFeatureStatus, ovsFeatureStatus } from "./status_ovs.ts";
import { ROOT_OWNER } from "../reach.ts";
import { readImpairments } from "./impairments.ts";

/** One interface inside a node. */
interface InterfaceStatus {
  name: string;
  state: string;
  addresses: string[];
}

/** The live state of one lab (flows, bonds, mirrors and QoS when the lab declares them). */
export interface LabStatus extends OvsFeatureStatus {
  name: string;
  status: LabState["status"];
  ovs: string;
  /** A sandboxed lab's parent namespace (lib/lab/sandbox.ts). */
  sandbox?: string;
  nodes: { name: string; interfaces: InterfaceStatus[] }[];
  /**
   * The lab's `root:IFNAME` link ends (lib/reach.ts: `ROOT_OWNER`), in the root namespace (a
   * sandboxed lab's: its sandbox), when it has any.
   */
  rootEnds?: InterfaceStatus[];
  bridges: { name: string; type: "linux" | "ovs"; ports: { name: string; tag?: number }[] }[];
  /** DHCP leases the lab's clients hold, as their hook recorded them. */
  leases: LeaseStatus[];
  /** The lab's packet captures (`capture: true`). */
  captures: CaptureStatus[];
  /** When its bring-up started (ISO 8601). */
  createdAt: string;
  /** Where it lives: in the host's namespaces, in a sandbox, or in the user's own (rootless). */
  mode: "host" | "sandbox" | "rootless";
  /** The impairments its interfaces have now (netkit impair, or the lab file's impair). */
  impairments: ImpairmentStatus[];
}

/** What slows down, delays or drops the traffic leaving an interface, as the kernel has it. */
interface ImpairmentStatus {
  node: string;
  interface: string;
  /** Said as a person would: `delay 20 ms ± 5 ms, loss 2%, rate 10 Mbit/s`. */
  impairment: string;
}

/** A DHCP lease held by a lab's client. */
interface LeaseStatus {
  node: string;
  interface: string;
  address: string;
  router: string;
  /** Lease time in seconds. */
  leaseTime: number;
  server: string;
}

/** The leases recorded by the lab's DHCP clients (see dhcpHook in lib/primitives/dhcp.ts). */
async function leasesOf(state: LabState, stateDir: string): Promise<LeaseStatus[]> {
  const out: LeaseStatus[] = [];
  for (const [node, n] of Object.entries(state.lab.nodes)) {
    for (const [iface, cfg] of Object.entries(n.interfaces)) {
      if (cfg.dhcp6) {
        const text = await Deno.readTextFile(dhcp6ClientFiles(stateDir, node, iface).lease)
          .catch(() => "");
        const rec = Object.fromEntries(
          text.trim().split("\n").filter(Boolean).map((l) => l.split("=", 2) as [string, string]),
        );
        if (rec.ip) {
          out.push({
            node,
            interface: iface,
            address: `${rec.ip}/${rec.prefixlen ?? ""}`,
            router: "",
            leaseTime: Number(rec.lease ?? 0),
            server: rec.serverid ?? "",
          });
        }
      }
      if (!cfg.dhcp) continue;
      const text = await Deno.readTextFile(dhcpClientFiles(stateDir, node, iface).lease)
        .catch(() => "");
      const rec = Object.fromEntries(
        text.trim().split("\n").filter(Boolean).map((l) => l.split("=", 2) as [string, string]),
      );
      if (!rec.ip) continue;
      out.push({
        node,
        interface: iface,
        address: `${rec.ip}/${rec.mask ?? ""}`,
        router: rec.router ?? "",
        leaseTime: Number(rec.lease ?? 0),
        server: rec.serverid ?? "",
      });
    }
  }
  return out;
}

interface IpAddr {
  ifname: string;
  operstate: string;
  flags?: string[];
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
}

/** What a lab is made of, counted from its description (reads nothing from the host). */
export interface LabSummary {
  name: string;
  namespaces: number;
  /** veth pairs. */
  links: number;
  bridges: { name: string; type: "linux" | "ovs"; ports: number }[];
  /** How many proofs the lab has (`expect`). */
  proofs: number;
}

/** Counts what a lab is made of, for a summary instead of the full {@link labStatus} table. */
export function labSummary(lab: Lab): LabSummary {
  const ports = new Map<string, number>();
  for (const link of lab.links) {
    for (const end of link.endpoints) {
      const owner = end.split(":")[0] ?? "";
      if (owner in lab.bridges) ports.set(owner, (ports.get(owner) ?? 0) + 1);
    }
  }
  return {
    name: lab.name,
    namespaces: Object.keys(lab.nodes).length,
    links: lab.links.length,
    bridges: Object.entries(lab.bridges).map(([name, b]) => ({
      name,
      type: b.type,
      ports: (ports.get(name) ?? 0) + Object.values(b.ports).filter((p) => p.internal).length +
        (b.uplink === undefined ? 0 : 1),
    })),
    proofs: lab.expect.length,
  };
}

/**
 * `up` or `down` (or the kernel's word for anything else, in lower case). An OVS internal port,
 * a dummy or a tun reports its operational state as UNKNOWN: it is up when the interface is up
 * and has a carrier (`LOWER_UP`).
 */
function linkState(l: IpAddr): string {
  const state = l.operstate.toLowerCase();
  if (state !== "unknown") return state;
  return l.flags?.includes("UP") && l.flags.includes("LOWER_UP") ? "up" : "down";
}

/** The impairments of `node`'s interfaces (lib/lab/impairments.ts). */
async function impairmentsOf(host: Host, node: string): Promise<ImpairmentStatus[]> {
  const byDev = await readImpairments(host.runner, node);
  return [...byDev].map(([dev, impairment]) => ({ node, interface: dev, impairment }));
}

/** One interface as `ip -j addr show` gives it. */
function interfaceStatus(l: IpAddr): InterfaceStatus {
  return {
    name: l.ifname,
    state: linkState(l),
    // IPv4 and global IPv6 addresses (link-local ones are on every interface).
    addresses: (l.addr_info ?? []).filter((a) =>
      a.family === "inet" || (a.family === "inet6" && a.scope === "global")
    ).map((a) => `${a.local}/${a.prefixlen}`),
  };
}

/** The lab's `root:` ends as the root namespace (or the lab's sandbox) has them, if it has any. */
async function rootEndsOf(host: Host, state: LabState): Promise<{ rootEnds?: InterfaceStatus[] }> {
  const names = new Set(
    state.lab.links.flatMap((l) => l.endpoints).filter((e) => e.startsWith(`${ROOT_OWNER}:`))
      .map((e) => e.slice(ROOT_OWNER.length + 1)),
  );
  if (names.size === 0) return {};
  const inRoot = state.sandbox === undefined ? ["ip"] : ["ip", "-n", state.sandbox];
  const r = await host.runner.run([...inRoot, "-j", "addr", "show"], { allowFailure: true });
  const links = r.code === 0 ? (JSON.parse(r.stdout || "[]") as IpAddr[]) : [];
  return { rootEnds: links.filter((l) => names.has(l.ifname)).map(interfaceStatus) };
}

/** How many namespaces labStatus reads at once. */
const READS_AT_ONCE = 8;

/** Reads the live state of a lab from the kernel and OVS. */
export async function labStatus(host: Host, state: LabState): Promise<LabStatus> {
  const runner = host.runner;
  const read = await pool(
    Object.keys(state.lab.nodes),
    READS_AT_ONCE,
    (name) => runner.run(inNetns(name, ["ip", "-j", "addr", "show"]), { allowFailure: true }),
  );
  const nodes = Object.keys(state.lab.nodes).map((name, i) => {
    const r = read[i]!;
    const links = r.status === "fulfilled" && r.value.code === 0
      ? (JSON.parse(r.value.stdout || "[]") as IpAddr[])
      : [];
    return { name, interfaces: links.filter((l) => l.ifname !== "lo").map(interfaceStatus) };
  });
  const show = state.ovs
    ? await ovsShow({ ovs: state.ovs, host }).catch(() => undefined)
    : undefined;
  // A sandboxed lab's root side (Linux bridges and their ports) lives in its parent namespace.
  const sandbox = state.sandbox;
  const inRoot = sandbox === undefined ? ["ip"] : ["ip", "-n", sandbox];
  const bridges = await Promise.all(
    Object.entries(state.lab.bridges).map(async ([name, b]) => {
      if (b.type === "ovs") {
        const live = show?.bridges.find((x) => x.name === name);
        return {
          name,
          type: b.type,
          ports: (live?.ports ?? []).filter((p) => p.name !== name).map((p) =>
            p.tag === undefined ? { name: p.name } : { name: p.name, tag: p.tag }
          ),
        };
      }
      const r = await runner.run([...inRoot, "-j", "link", "show", "master", name], {
        allowFailure: true,
      });
      const ports = r.code === 0 ? (JSON.parse(r.stdout || "[]") as { ifname: string }[]) : [];
      return { name, type: b.type, ports: ports.map((p) => ({ name: p.ifname })) };
    }),
  );
  return {
    name: state.lab.name,
    status: state.status,
    ovs: state.ovs ? `${state.ovs.kind} (${state.ovs.db})` : "none",
    ...(sandbox !== undefined ? { sandbox } : {}),
    nodes,
    ...await rootEndsOf(host, state),
    bridges,
    leases: await leasesOf(state, labDir(host.stateRoot, state.lab.name)),
    captures: await labCaptures(host.stateRoot, state.lab),
    createdAt: state.createdAt,
    mode: sandbox !== undefined ? "sandbox" : host.rootless ? "rootless" : "host",
    impairments:
      (await pool(Object.keys(state.lab.nodes), READS_AT_ONCE, (n) => impairmentsOf(host, n)))
        .flatMap((r) => r.status === "fulfilled" ? r.value : []),
    ...await ovsFeatureStatus(state.lab, state.ovs, host),
  };
}
