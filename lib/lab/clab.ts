/**
 * containerlab topologies (`*.clab.yml`) as netkit labs. A topology file is untrusted input like
 * any lab file: it is read into a netkit lab description here, then validated by the same
 * {@link validateLab}, and every problem points at the topology's own line and column.
 *
 * What a namespace lab can honour, and how:
 *
 * | containerlab                                   | netkit                                      |
 * | ---------------------------------------------- | ------------------------------------------- |
 * | node `kind: linux`                             | a network namespace named after the node    |
 * | node `kind: bridge` / `kind: ovs-bridge`       | a Linux / OVS bridge made by the lab        |
 * | `links: - endpoints: ["n1:eth1", "n2:eth1"]`   | a veth pair (also the `type: veth` form)    |
 * | `exec: - ip addr add 10.0.0.1/24 dev eth1`     | an address of the interface                 |
 * | `exec: - ip route add DEST via GW [dev IF]`    | a route of the node                         |
 * | `exec: - ip link set [dev] IF up`              | nothing: netkit brings every interface up   |
 * | `exec: - sysctl -w net.ipv4.ip_forward=1`      | `role: router` (other keys: `sysctls`)      |
 * | `defaults`, `kinds`, `groups`                  | inherited `kind`, `image` and `exec`        |
 *
 * An `exec` line is parsed word by word, never run, and never given to a shell: any other command,
 * or shell syntax, is refused naming the line. Kinds that need a container (`nokia_srlinux`,
 * `arista_ceos`, ...) are refused, and so are container images (a namespace runs this host's
 * programs, not the image's; `ignoreImages` turns that refusal into a notice) and the keys that
 * configure a container (`binds`, `env`, `cmd`, ...). `mgmt`, `prefix` and management addresses
 * are ignored with a notice: a netkit lab has no management network. Unlike containerlab, netkit
 * creates the bridges itself (and refuses, like any lab, one that already exists).
 *
 * Proofs: a topology says nothing about what must work, so every pair of addresses in one subnet
 * on one layer-2 segment (a link, or a bridge and its links) becomes a ping from the first node
 * holding an address there to each of the others.
 *
 * @module
 */
import { inSubnet, parseCidr, parseIp } from "../addr.ts";
import { UsageError } from "../errors.ts";
import type { DocPath, LabIssue } from "./validate.ts";

/** Options for reading a containerlab topology. */
export interface ClabOptions {
  /**
   * Build `linux` nodes that name a container image anyway (as namespaces running this host's
   * programs), with a notice instead of an error.
   * @default false
   */
  ignoreImages?: boolean;
}

/** A topology read into a netkit lab document, with where each part came from. */
export interface ClabConversion {
  /** The netkit lab document (to be validated with `validateLab`). */
  lab: Record<string, unknown>;
  /** What cannot be honoured, with paths into the topology document. */
  problems: LabIssue[];
  /** What is ignored, with paths into the topology document. */
  notices: LabIssue[];
  /** The topology path a path of the netkit lab document came from. */
  origin(path: DocPath): DocPath;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The kinds netkit builds, and what it builds for each. */
const KINDS = { linux: "namespace", bridge: "linux", "ovs-bridge": "ovs" } as const;
type Kind = keyof typeof KINDS;
const isKind = (k: unknown): k is Kind => typeof k === "string" && k in KINDS;

/** True for a file name containerlab would read (`*.clab.yml`, `*.clab.yaml`). */
export function isClabFileName(path: string): boolean {
  return /\.clab\.ya?ml$/i.test(path);
}

/** True for a parsed YAML document shaped like a containerlab topology (it has `topology`). */
export function isClabDocument(value: unknown): boolean {
  return isObj(value) && "topology" in value && !("nodes" in value);
}

const MGMT_KEYS = new Set(["mgmt-ipv4", "mgmt-ipv6", "mgmt_ipv4", "mgmt_ipv6"]);
const NODE_KEYS = new Set(["kind", "image", "exec", "group", "labels"]);
const WORD = /^[A-Za-z0-9_.:/=@+,-]+$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const FORWARDING = new Set(["net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding"]);
const EXEC_FORMS = "ip addr add CIDR dev IF, ip route add DEST via GW [dev IF], " +
  "ip route add DEST dev IF, ip link set [dev] IF up, sysctl -w KEY=VALUE";

/**
 * Reads a parsed containerlab topology into a netkit lab document. Pure: it reads nothing and
 * runs nothing.
 *
 * @param value The parsed YAML document.
 * @param options See {@link ClabOptions}.
 * @returns The lab document, the problems and notices (paths into the topology), and a map from
 *   lab document paths back to the topology.
 */
export function clabToLab(value: unknown, options: ClabOptions = {}): ClabConversion {
  const problems: LabIssue[] = [];
  const notices: LabIssue[] = [];
  const origins = new Map<string, DocPath>();
  const from = (labPath: DocPath, clabPath: DocPath) => {
    const key = JSON.stringify(labPath);
    if (!origins.has(key)) origins.set(key, clabPath);
  };
  const problem = (path: DocPath, message: string, key = false): void => {
    problems.push({ path, message, ...(key ? { key: true } : {}) });
  };
  const notice = (path: DocPath, message: string): void => {
    notices.push({ path, message });
  };

  const nodes: Record<string, Obj> = {};
  const bridges: Record<string, Obj> = {};
  const links: Obj[] = [];
  const lab: Obj = { nodes, bridges, links };
  const origin = (path: DocPath): DocPath => {
    for (let i = path.length; i > 0; i--) {
      const found = origins.get(JSON.stringify(path.slice(0, i)));
      if (found) return found;
    }
    return [];
  };
  const result = { lab, problems, notices, origin };
  if (!isObj(value)) {
    problem([], "a containerlab topology is a mapping with name and topology");
    return result;
  }

  for (const [key, v] of Object.entries(value)) {
    if (key === "name") {
      lab.name = v;
      from(["name"], ["name"]);
    } else if (key === "topology") continue;
    else if (key === "mgmt") {
      notice(["mgmt"], '"mgmt" is ignored: a netkit lab has no management network');
    } else if (key === "prefix") {
      notice(["prefix"], '"prefix" is ignored: netkit names each namespace after its node');
    } else {
      problem([key], `unrecognized key "${key}" (netkit reads name and topology)`, true);
    }
  }
  if (!("name" in value)) problem([], '"name" is missing');
  const topology = value.topology;
  if (!isObj(topology)) {
    problem(["topology"], "topology is a mapping with nodes and links");
    return result;
  }
  for (const key of Object.keys(topology)) {
    if (!["nodes", "links", "kinds", "defaults", "groups"].includes(key)) {
      problem(
        ["topology", key],
        `unrecognized key "${key}" (netkit reads nodes, links, kinds, defaults and groups)`,
        true,
      );
    }
  }

  // Settings a node inherits: from its group, its kind's entry in kinds, then defaults.
  const defaults = isObj(topology.defaults) ? topology.defaults : {};
  const kinds = isObj(topology.kinds) ? topology.kinds : {};
  const groups = isObj(topology.groups) ? topology.groups : {};
  const checkKeys = (settings: unknown, path: DocPath, isNode: boolean) => {
    if (settings === null || settings === undefined) return;
    if (!isObj(settings)) return problem(path, "expected a mapping of settings");
    for (const key of Object.keys(settings)) {
      if (MGMT_KEYS.has(key)) {
        notice([...path, key], `"${key}" is ignored: a netkit lab has no management network`);
      } else if (!NODE_KEYS.has(key) || (key === "group" && !isNode)) {
        problem(
          [...path, key],
          `"${key}" is not supported: netkit builds namespaces, not containers ` +
            "(it reads kind, image, exec, group and labels)",
          true,
        );
      }
    }
  };
  checkKeys(defaults, ["topology", "defaults"], false);
  for (const k of Object.keys(kinds)) checkKeys(kinds[k], ["topology", "kinds", k], false);
  for (const g of Object.keys(groups)) checkKeys(groups[g], ["topology", "groups", g], false);

  const rawNodes = topology.nodes;
  if (!isObj(rawNodes)) problem(["topology", "nodes"], "topology.nodes is a mapping of nodes");
  const nodeEntries = Object.entries(isObj(rawNodes) ? rawNodes : {});
  const kindOf = new Map<string, Kind>();
  const upLinks: { node: string; iface: string; path: DocPath }[] = [];
  const images = new Map<string, { image: unknown; path: DocPath; nodes: string[] }>();
  for (const [name, raw] of nodeEntries) {
    const path: DocPath = ["topology", "nodes", name];
    checkKeys(raw, path, true);
    const node = isObj(raw) ? raw : {};
    const group = typeof node.group === "string" && isObj(groups[node.group])
      ? groups[node.group] as Obj
      : {};
    const groupPath: DocPath = ["topology", "groups", String(node.group)];
    // One setting, with the path it came from.
    const setting = (key: string, kind?: string): [unknown, DocPath] | undefined => {
      if (key in node) return [node[key], [...path, key]];
      if (key in group) return [group[key], [...groupPath, key]];
      const ofKind = kind !== undefined && isObj(kinds[kind]) ? kinds[kind] as Obj : {};
      if (key in ofKind) return [ofKind[key], ["topology", "kinds", String(kind), key]];
      if (key in defaults) return [defaults[key], ["topology", "defaults", key]];
      return undefined;
    };
    const [kind, kindPath] = setting("kind") ?? [undefined, path];
    if (kind === undefined) {
      problem(path, `node "${name}" has no kind (set kind: linux, or topology.defaults.kind)`);
      continue;
    }
    if (kind === "host") {
      problem(
        kindPath,
        "kind host is this machine's own network: netkit never configures the host's interfaces",
      );
      continue;
    }
    if (!isKind(kind)) {
      problem(
        kindPath,
        `netkit builds namespaces, not containers; kind ${
          JSON.stringify(kind)
        } needs a container (netkit builds kinds linux, bridge and ovs-bridge)`,
      );
      continue;
    }
    kindOf.set(name, kind);
    const image = KINDS[kind] === "namespace" ? setting("image", kind) : undefined;
    if (image !== undefined) {
      const key = JSON.stringify(image[1]);
      const seen = images.get(key) ?? { image: image[0], path: image[1], nodes: [] };
      seen.nodes.push(name);
      images.set(key, seen);
    }
    const exec = setting("exec", kind);
    if (KINDS[kind] !== "namespace") {
      bridges[name] = { type: KINDS[kind] };
      from(["bridges", name], path);
      if (exec !== undefined) problem(exec[1], "exec on a bridge: netkit runs nothing on bridges");
      continue;
    }
    const built: Obj = {};
    nodes[name] = built;
    from(["nodes", name], path);
    if (exec === undefined) continue;
    const [lines, execPath] = exec;
    if (!Array.isArray(lines)) {
      problem(execPath, "exec is a list of commands");
      continue;
    }
    lines.forEach((line, j) => readExec(name, built, line, [...execPath, j]));
  }

  for (const { image, path, nodes: users } of images.values()) {
    const many = users.length > 1;
    const which = `node${many ? "s" : ""} ${users.join(", ")}`;
    if (options.ignoreImages) {
      notice(
        path,
        `image ${JSON.stringify(image)} ignored: ${which} run${
          many ? "" : "s"
        } this host's programs`,
      );
    } else {
      problem(
        path,
        `image ${JSON.stringify(image)} refused: netkit builds namespaces, not containers ` +
          `(${which} would run this host's programs, not the image's); ` +
          `--ignore-images builds ${many ? "them" : "it"} anyway`,
      );
    }
  }

  /** One `exec` line into the node's interfaces, routes and sysctls. */
  function readExec(node: string, built: Obj, line: unknown, path: DocPath): void {
    const refuse = (why: string) =>
      problem(path, `exec line ${JSON.stringify(line)} refused: ${why}`);
    if (typeof line !== "string") return refuse("expected a command as text");
    const words = line.trim().split(/\s+/);
    const bad = words.find((w) => !WORD.test(w));
    if (bad !== undefined) {
      return refuse(
        `${JSON.stringify(bad)} is shell syntax; netkit runs no commands from a topology, ` +
          `it reads only: ${EXEC_FORMS}`,
      );
    }
    const labPath = ["nodes", node];
    if (words[0] === "sysctl") {
      const rest = words.slice(1).filter((w) => w !== "-w" && w !== "-q");
      const [setting, ...extra] = rest;
      const m = setting === undefined ? null : /^([a-z0-9_.-]+)=(.+)$/.exec(setting);
      if (!m || extra.length) return refuse(`expected sysctl -w KEY=VALUE`);
      const [, key, val] = m as unknown as [string, string, string];
      if (FORWARDING.has(key) && val === "1") {
        built.role = "router";
        from([...labPath, "role"], path);
      } else {
        const sysctls = (built.sysctls ??= {}) as Obj;
        sysctls[key] = val;
        from([...labPath, "sysctls", key], path);
      }
      return;
    }
    if (words[0] !== "ip") {
      return refuse(`netkit runs no commands from a topology; it reads only: ${EXEC_FORMS}`);
    }
    let i = 1;
    while (words[i]?.startsWith("-")) {
      if (words[i] === "-6") return refuse("netkit labs are IPv4 only");
      if (words[i] !== "-4") return refuse(`option ${words[i]} is not supported`);
      i++;
    }
    const [object = "", verb = "", ...args] = words.slice(i);
    const interfaces = (built.interfaces ??= {}) as Record<string, Obj>;
    if (/^a(d(d(r(e(s(s)?)?)?)?)?)?$/.test(object) && verb === "add") {
      const kv = keywords(args, ["dev"]);
      if (typeof kv === "string") return refuse(kv);
      const { dev, positional } = kv;
      if (dev === undefined || positional.length !== 1) {
        return refuse("expected ip addr add CIDR dev IF");
      }
      let cidr = positional[0]!;
      if (IPV4.test(cidr)) cidr += "/32";
      const wrong = checked(() => parseCidr(cidr));
      if (wrong) return refuse(wrong);
      const iface = (interfaces[dev] ??= {});
      const addresses = (iface.addresses ??= []) as string[];
      from([...labPath, "interfaces", dev], path);
      from([...labPath, "interfaces", dev, "addresses", addresses.length], path);
      addresses.push(cidr);
      return;
    }
    if (/^r(o(u(t(e)?)?)?)?$/.test(object) && verb === "add") {
      const kv = keywords(args, ["via", "dev"]);
      if (typeof kv === "string") return refuse(kv);
      const { via, dev, positional } = kv;
      if (positional.length !== 1 || (via === undefined && dev === undefined)) {
        return refuse("expected ip route add DEST via GW [dev IF], or ip route add DEST dev IF");
      }
      let to = positional[0]!;
      if (to === "0.0.0.0/0") to = "default";
      if (IPV4.test(to)) to += "/32";
      const wrong = (to === "default" ? undefined : checked(() => parseCidr(to))) ??
        (via === undefined ? undefined : checked(() => parseIp(via)));
      if (wrong) return refuse(wrong);
      const routes = (built.routes ??= []) as Obj[];
      from([...labPath, "routes", routes.length], path);
      routes.push({
        to,
        ...(via !== undefined ? { via } : {}),
        ...(dev !== undefined ? { dev } : {}),
      });
      return;
    }
    if (object === "link" && verb === "set") {
      const rest = args[0] === "dev" ? args.slice(1) : args;
      if (rest.length !== 2 || rest[1] !== "up") return refuse("expected ip link set [dev] IF up");
      upLinks.push({ node, iface: rest[0]!, path });
      return;
    }
    refuse(`netkit runs no commands from a topology; it reads only: ${EXEC_FORMS}`);
  }

  // Links: the brief form (endpoints: ["n1:eth1", "n2:eth1"]) and the veth form.
  const rawLinks = topology.links ?? [];
  if (!Array.isArray(rawLinks)) problem(["topology", "links"], "topology.links is a list");
  (Array.isArray(rawLinks) ? rawLinks : []).forEach((raw, i) => {
    const path: DocPath = ["topology", "links", i];
    if (!isObj(raw)) return problem(path, 'a link is a mapping with "endpoints"');
    const extended = "type" in raw;
    if (extended && raw.type !== "veth") {
      return problem(
        [...path, "type"],
        `link type ${JSON.stringify(raw.type)} is not supported: netkit links are veth pairs ` +
          "between nodes and bridges",
      );
    }
    for (const key of Object.keys(raw)) {
      if (key === "endpoints" || key === "type") continue;
      if (key === "labels" || key === "vars") continue; // no meaning for the network
      problem([...path, key], `"${key}" is not supported on a netkit link`, true);
    }
    const endpoints = raw.endpoints;
    if (!Array.isArray(endpoints) || endpoints.length !== 2) {
      return problem([...path, "endpoints"], "a link has exactly two endpoints");
    }
    const ends: string[] = [];
    endpoints.forEach((ep, j) => {
      const epPath: DocPath = [...path, "endpoints", j];
      let owner: unknown, iface: unknown;
      if (extended) {
        if (!isObj(ep)) return problem(epPath, "an endpoint is a mapping with node and interface");
        for (const key of Object.keys(ep)) {
          if (key !== "node" && key !== "interface") {
            problem([...epPath, key], `"${key}" is not supported on a netkit endpoint`, true);
          }
        }
        owner = ep.node;
        iface = ep.interface;
      } else if (typeof ep === "string" && ep.includes(":")) {
        [owner, iface] = [ep.slice(0, ep.indexOf(":")), ep.slice(ep.indexOf(":") + 1)];
      }
      if (typeof owner !== "string" || typeof iface !== "string") {
        return problem(epPath, 'an endpoint is "NODE:INTERFACE"');
      }
      const special = SPECIAL_ENDPOINTS[owner];
      if (special) return problem(epPath, special);
      if (!(isObj(rawNodes) && owner in rawNodes)) {
        return problem(epPath, `node "${owner}" is not in topology.nodes`);
      }
      if (!kindOf.has(owner)) return; // refused above
      ends.push(`${owner}:${iface}`);
      from(["links", links.length, "endpoints", ends.length - 1], epPath);
    });
    if (ends.length === 2) {
      from(["links", links.length], path);
      links.push({ endpoints: ends });
    }
  });

  // `ip link set IF up` must name an interface a link puts into the node.
  const ends = new Set(links.flatMap((l) => l.endpoints as string[]));
  for (const { node, iface, path } of upLinks) {
    if (!ends.has(`${node}:${iface}`)) {
      problem(path, `no link puts interface "${iface}" into node "${node}"`);
    }
  }
  if (problems.length === 0) lab.expect = derivePings(lab);
  return result;
}

/** The message of the {@link UsageError} `check` throws, or undefined when it passes. */
function checked(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
}

/** Endpoint owners containerlab reserves, and why netkit refuses each. */
const SPECIAL_ENDPOINTS: Record<string, string> = {
  host: "a link into the host's own namespace: netkit never configures the host's interfaces",
  "mgmt-net": "a link to the management network: a netkit lab has none",
  macvlan: "a macvlan link attaches to a real NIC of the host: netkit never uses the host's NICs",
};

/** Splits `args` into keyword values (`dev eth1`) and the remaining words, or says why not. */
function keywords(
  args: string[],
  allowed: string[],
): { positional: string[]; dev?: string; via?: string } | string {
  const out: { positional: string[]; dev?: string; via?: string } = { positional: [] };
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (allowed.includes(word)) {
      const value = args[++i];
      if (value === undefined) return `"${word}" needs a value`;
      out[word as "dev" | "via"] = value;
    } else if (/^[a-z]+$/.test(word) && word !== "default") {
      return `"${word}" is not supported (netkit reads ${allowed.join(" and ")})`;
    } else out.positional.push(word);
  }
  return out;
}

/**
 * One ping per address that shares a subnet and a layer-2 segment with the first address on it:
 * segments are links joined through bridges.
 */
function derivePings(lab: Obj): Obj[] {
  const nodes = lab.nodes as Record<string, Obj>;
  const bridges = lab.bridges as Record<string, Obj>;
  const links = lab.links as { endpoints: string[] }[];
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    const p = parent.get(x) ?? x;
    if (p === x) return x;
    const root = find(p);
    parent.set(x, root);
    return root;
  };
  const join = (a: string, b: string) => parent.set(find(a), find(b));
  for (const { endpoints: [a = "", b = ""] } of links) {
    const side = (ep: string) => {
      const owner = ep.slice(0, ep.indexOf(":"));
      return owner in bridges ? `bridge:${owner}` : ep;
    };
    join(side(a), side(b));
  }
  const bySegment = new Map<string, { node: string; cidr: string }[]>();
  for (const [node, n] of Object.entries(nodes)) {
    for (const [iface, i] of Object.entries((n.interfaces ?? {}) as Record<string, Obj>)) {
      for (const cidr of (i.addresses ?? []) as string[]) {
        const segment = find(`${node}:${iface}`);
        const members = bySegment.get(segment);
        if (members === undefined) bySegment.set(segment, [{ node, cidr }]);
        else members.push({ node, cidr });
      }
    }
  }
  const expect: Obj[] = [];
  for (const members of bySegment.values()) {
    const [first, ...others] = members;
    for (const other of others) {
      if (first && other.node !== first.node && inSubnet(other.cidr.split("/")[0]!, first.cidr)) {
        expect.push({ ping: { from: first.node, to: other.cidr.split("/")[0] } });
      }
    }
  }
  return expect;
}
