/**
 * What a lab looks like on the host right now: nodes with their interfaces and addresses, and
 * bridges with their ports and tags. Read from the kernel and OVS, not from the description.
 *
 * @module
 */
import type { Host } from "../host.ts";
import { ovsShow } from "../ovs/query.ts";
import type { LabState } from "./runtime.ts";
import { dhcp6ClientFiles, dhcpClientFiles } from "../primitives/dhcp.ts";
import { labDir } from "../state.ts";
import { type CaptureStatus, labCaptures } from "./captures.ts";
import { type OvsFeatureStatus, ovsFeatureStatus } from "./status_ovs.ts";

/** One interface inside a node. */
export interface InterfaceStatus {
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
  bridges: { name: string; type: "linux" | "ovs"; ports: { name: string; tag?: number }[] }[];
  /** DHCP leases the lab's clients hold, as their hook recorded them. */
  leases: LeaseStatus[];
  /** The lab's packet captures (`capture: true`). */
  captures: CaptureStatus[];
}

/** A DHCP lease held by a lab's client. */
export interface LeaseStatus {
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
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
}

/** Reads the live state of a lab from the kernel and OVS. */
export async function labStatus(host: Host, state: LabState): Promise<LabStatus> {
  const runner = host.runner;
  const nodes = await Promise.all(
    Object.keys(state.lab.nodes).map(async (name) => {
      const r = await runner.run(["ip", "-n", name, "-j", "addr", "show"], { allowFailure: true });
      const links = r.code === 0 ? (JSON.parse(r.stdout || "[]") as IpAddr[]) : [];
      return {
        name,
        interfaces: links.filter((l) => l.ifname !== "lo").map((l) => ({
          name: l.ifname,
          state: l.operstate,
          // IPv4 and global IPv6 addresses (link-local ones are on every interface).
          addresses: (l.addr_info ?? []).filter((a) =>
            a.family === "inet" || (a.family === "inet6" && a.scope === "global")
          ).map((a) => `${a.local}/${a.prefixlen}`),
        })),
      };
    }),
  );
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
    bridges,
    leases: await leasesOf(state, labDir(host.stateRoot, state.lab.name)),
    captures: await labCaptures(host.stateRoot, state.lab),
    ...await ovsFeatureStatus(state.lab, state.ovs, host),
  };
}
