/**
 * Validation of a lab description: the zod schema first (types, unknown keys, names, addresses),
 * then the rules that span the lab (links to things that exist, unique names, addresses inside
 * their subnet). Every problem is reported with its path in the document, so that a lab file can
 * point at the line and column.
 *
 * @module
 */
import { inSubnet, ipToNumber, networkOf } from "../addr.ts";
import { UsageError } from "../errors.ts";
import { type Lab, LabSchema } from "./schema.ts";

/** A path into the lab document, e.g. `["nodes", "ns1", "interfaces", "eth0"]`. */
export type DocPath = (string | number)[];

/** One validation problem. */
export interface LabIssue {
  /** Where in the document. */
  path: DocPath;
  /** What is wrong. */
  message: string;
  /** The problem is the last path element as a key (an unknown key, a bad name), not its value. */
  key?: boolean;
}

/** A lab description is invalid. Nothing was changed on the host. */
export class LabValidationError extends UsageError {
  /**
   * Makes the error from its issues.
   *
   * @param issues Every problem found.
   * @param source What was validated, for the message (`lab`, `recipe NAME`, a file).
   * @param where Where to point, when not at the first issue's path.
   */
  constructor(readonly issues: LabIssue[], readonly source = "lab", where?: string) {
    super(
      `Invalid lab ${source}:\n` +
        issues.map((i) => `  ${where ?? formatPath(i.path)}: ${i.message}`).join("\n"),
      { where: where ?? formatPath(issues[0]?.path ?? []) },
    );
    this.name = "LabValidationError";
  }
}

/** `nodes.ns1.interfaces.eth0` style. */
export function formatPath(path: DocPath): string {
  return path.length === 0 ? "(top level)" : path.map(String).join(".");
}

/** Where each interface of the lab lives, derived from links and internal ports. */
export interface LabLayout {
  /** node -> interface names that land in it. */
  nodeIfaces: Map<string, Set<string>>;
  /** Interface names in the root namespace (bridges and root-side ends). */
  rootIfaces: Set<string>;
}

/** Derives where every interface lives. Assumes owners exist (see {@link validateLab}). */
export function layoutOf(lab: Lab): LabLayout {
  const nodeIfaces = new Map<string, Set<string>>(
    Object.keys(lab.nodes).map((n) => [n, new Set<string>()]),
  );
  const rootIfaces = new Set<string>(Object.keys(lab.bridges));
  for (const link of lab.links) {
    for (const ep of link.endpoints) {
      const [owner = "", ifname = ""] = ep.split(":");
      if (owner in lab.bridges) rootIfaces.add(ifname);
      else nodeIfaces.get(owner)?.add(ifname);
    }
  }
  for (const bridge of Object.values(lab.bridges)) {
    for (const [port, p] of Object.entries(bridge.ports)) {
      if (!p.internal) continue;
      if (p.node) nodeIfaces.get(p.node)?.add(port);
      else rootIfaces.add(port);
    }
  }
  return { nodeIfaces, rootIfaces };
}

/**
 * Validates a lab description. Returns the lab with defaults filled in, or throws
 * {@link LabValidationError} listing every problem with its path.
 */
export function validateLab(input: unknown, source = "lab"): Lab {
  const parsed = LabSchema.safeParse(input);
  if (!parsed.success) {
    throw new LabValidationError(parsed.error.issues.flatMap((i) => zodIssues(i, [])), source);
  }
  const lab = parsed.data;
  const issues = crossCheck(lab);
  if (issues.length) throw new LabValidationError(issues, source);
  return lab;
}

/** zod's message, with the reason spelled out where zod only says "Invalid key in record". */
function issueMessage(issue: { code: string; message: string; path: PropertyKey[] }): string {
  const inner = (issue as { issues?: { message: string }[] }).issues;
  if (issue.code === "invalid_key" && inner?.length) {
    const key = issue.path.at(-1);
    return `invalid name ${JSON.stringify(String(key))}: ${inner.map((i) => i.message).join("; ")}`
      .replace(`: ${JSON.stringify(String(key))} is`, ": it is");
  }
  return issue.message;
}

interface ZodIssueLike {
  code?: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
  issues?: ZodIssueLike[];
  errors?: ZodIssueLike[][];
}

/**
 * One zod issue as {@link LabIssue}s that point at the offending key: an unknown key becomes one
 * issue per key, a bad record key (a name) carries its own messages, and a union (the kinds of
 * `expect`) reports the branch that came closest.
 */
function zodIssues(issue: ZodIssueLike, prefix: DocPath): LabIssue[] {
  const path = [...prefix, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
  if (issue.code === "unrecognized_keys" && issue.keys?.length) {
    return issue.keys.map((k) => ({
      path: [...path, k],
      message: `unrecognized key "${k}"`,
      key: true,
    }));
  }
  if (issue.code === "invalid_key" && issue.issues?.length) {
    return [{ path, message: issueMessage({ ...issue, code: issue.code }), key: true }];
  }
  if (issue.code === "invalid_union" && issue.errors?.length) {
    const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
    return best.flatMap((i) => zodIssues(i, path));
  }
  const missing = /received undefined$/.test(issue.message) && path.length > 0;
  return [{
    path,
    message: missing ? `"${String(path[path.length - 1])}" is missing` : issue.message,
  }];
}

function crossCheck(lab: Lab): LabIssue[] {
  const issues: LabIssue[] = [];
  const add = (path: DocPath, message: string) => issues.push({ path, message });
  const isNode = (n: string) => n in lab.nodes;
  const isBridge = (b: string) => b in lab.bridges;

  for (const name of Object.keys(lab.bridges)) {
    if (isNode(name)) add(["bridges", name], `"${name}" is both a node and a bridge`);
  }

  // Interfaces: every owner exists; no name twice in one namespace.
  const seen = new Map<string, DocPath>(); // "owner-ns/ifname" -> first place
  const claim = (ns: string, ifname: string, path: DocPath) => {
    const key = `${ns}/${ifname}`;
    const first = seen.get(key);
    if (first) {
      add(
        path,
        `interface "${ifname}" is defined twice in ${
          ns === "" ? "the root namespace" : `node "${ns}"`
        } (first at ${formatPath(first)})`,
      );
    } else seen.set(key, path);
  };
  for (const name of Object.keys(lab.bridges)) claim("", name, ["bridges", name]);
  lab.links.forEach((link, i) => {
    link.endpoints.forEach((ep, j) => {
      const [owner = "", ifname = ""] = ep.split(":");
      const path = ["links", i, "endpoints", j];
      if (new TextEncoder().encode(ifname).length > 15) {
        add(path, `interface name "${ifname}" is over 15 bytes`);
      }
      if (isBridge(owner)) claim("", ifname, path);
      else if (isNode(owner)) {
        const createAs = lab.nodes[owner]?.interfaces[ifname]?.createAs;
        claim(owner, ifname, path);
        if (createAs) claim(owner, createAs, path);
      } else {
        add(
          path,
          `"${owner}" is neither a node nor a bridge (known: ${
            [...Object.keys(lab.nodes), ...Object.keys(lab.bridges)].join(", ") || "none"
          })`,
        );
      }
    });
  });
  for (const [bname, bridge] of Object.entries(lab.bridges)) {
    if (bridge.uplink !== undefined) {
      if (bridge.type !== "linux") {
        add(["bridges", bname, "uplink"], "an uplink joins a Linux bridge (type: linux)");
      }
      if (seen.has(`/${bridge.uplink}`)) {
        add(["bridges", bname, "uplink"], `"${bridge.uplink}" is made by the lab, not a NIC`);
      }
    }
    for (const [port, p] of Object.entries(bridge.ports)) {
      const path = ["bridges", bname, "ports", port];
      if (bridge.type === "linux" && (p.internal || p.tag !== undefined)) {
        add(path, "internal ports and VLAN tags need an OVS bridge (type: ovs)");
      }
      if (p.node !== undefined && !p.internal) {
        add([...path, "node"], '"node" is only for internal ports (internal: true)');
      }
      if (p.internal) {
        claim("", port, path); // OVS creates it in the root namespace first
        if (p.node !== undefined) {
          if (!isNode(p.node)) add([...path, "node"], `node "${p.node}" does not exist`);
          else claim(p.node, port, path);
        }
      } else {
        const attached = lab.links.some((l) => l.endpoints.includes(`${bname}:${port}`));
        if (!attached) {
          add(path, `no link ends at "${bname}:${port}": add a link or make it internal`);
        }
      }
    }
  }

  // Node settings refer to interfaces that land in the node; addresses are sane.
  const layout = layoutOf(lab);
  const allAddresses = new Map<string, DocPath>();
  for (const [nname, node] of Object.entries(lab.nodes)) {
    const ifaces = layout.nodeIfaces.get(nname) ?? new Set();
    const subnets: string[] = [];
    for (const [ifname, iface] of Object.entries(node.interfaces)) {
      const path = ["nodes", nname, "interfaces", ifname];
      if (!ifaces.has(ifname)) {
        add(path, `no link or internal port puts interface "${ifname}" into node "${nname}"`);
      }
      iface.addresses.forEach((cidr, k) => {
        const addr = cidr.split("/")[0]!;
        const first = allAddresses.get(addr);
        if (first) {
          add([...path, "addresses", k], `${addr} is already used at ${formatPath(first)}`);
        } else allAddresses.set(addr, [...path, "addresses", k]);
        if (networkOf(cidr) === cidr && !cidr.endsWith("/32")) {
          add(
            [...path, "addresses", k],
            `${cidr} is the network address, not a host address (the seed's slip: use e.g. ${
              cidr.replace(/\.0\//, ".1/")
            })`,
          );
        }
        subnets.push(cidr);
      });
      if (iface.dhcp && iface.addresses.length) {
        add(path, "an interface takes either static addresses or DHCP, not both");
      }
    }
    node.routes.forEach((r, k) => {
      if (r.via !== undefined && !subnets.some((s) => inSubnet(r.via!, s))) {
        add(
          ["nodes", nname, "routes", k, "via"],
          `gateway ${r.via} is outside every subnet of node "${nname}"`,
        );
      }
      if (r.dev !== undefined && !ifaces.has(r.dev)) {
        add(["nodes", nname, "routes", k, "dev"], `node "${nname}" has no interface "${r.dev}"`);
      }
    });
    node.nat.forEach((n, k) => {
      if (n.outInterface !== undefined && !ifaces.has(n.outInterface)) {
        add(
          ["nodes", nname, "nat", k, "outInterface"],
          `node "${nname}" has no interface "${n.outInterface}"`,
        );
      }
    });
    const d = node.dhcpServer;
    if (d) {
      const path = ["nodes", nname, "dhcpServer"];
      const own = node.interfaces[d.interface]?.addresses ?? [];
      if (!ifaces.has(d.interface)) add([...path, "interface"], `no interface "${d.interface}"`);
      else if (own.length === 0) {
        add([...path, "interface"], `"${d.interface}" needs a static address to serve DHCP`);
      } else {
        for (const [k, a] of d.range.entries()) {
          if (!own.some((s) => inSubnet(a, s))) {
            add([...path, "range", k], `${a} is outside ${own.join(", ")}`);
          }
        }
        if (ipToNumber(d.range[0]) > ipToNumber(d.range[1])) {
          add([...path, "range"], "the range's first address is after its last");
        }
      }
    }
  }
  lab.expect.forEach((e, k) => {
    const nodes = "ping" in e && e.ping
      ? [e.ping.from]
      : "lease" in e
      ? [e.lease.node]
      : "snat" in e
      ? [e.snat.from, e.snat.observer]
      : [];
    for (const n of nodes) {
      if (!isNode(n)) add(["expect", k], `node "${n}" does not exist`);
    }
  });
  return issues;
}
