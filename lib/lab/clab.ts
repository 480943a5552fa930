/**
 * containerlab topologies (`*.clab.yml`) as netkit labs. A topology file is untrusted input like
 * any lab file: it is read into a netkit lab description here, then validated by the same
 * {@link validateLab}, and every problem points at the topology's own line and column.
 *
 * What a namespace lab can honour, and how:
 *
 * | containerlab                                   | netkit                                      |
 * | ---------------------------------------------- | ------------------------------------------- |
 * | node `kind: linux`                             | a namespace `clab-LAB-NODE` (see `prefix`)  |
 * | `network-mode: container:OTHER`                | the node lives in OTHER's namespace         |
 * | node `kind: bridge` / `kind: ovs-bridge`       | a Linux / OVS bridge made by the lab        |
 * | `links: - endpoints: ["n1:eth1", "n2:eth1"]`   | a veth pair (also the `type: veth` form)    |
 * | an endpoint `host:veth-x`                      | `root:veth-x`: a veth end the lab creates   |
 * |                                                | in the root namespace (no address)          |
 * | a link's `mtu` (default 9500)                  | the lab's `mtu` (one for all links)         |
 * | `exec: - ip addr add 10.0.0.1/24 dev eth1`     | an address of the interface (IPv4 or IPv6)  |
 * | `exec: - ip route add DEST via GW [dev IF]`    | a route of the node (`-4`, `-6`)            |
 * | `exec: - ip link set [dev] IF up`              | nothing: netkit brings every interface up   |
 * | `exec: - ip link add NAME type dummy`          | a dummy interface of the node (`dummy`),    |
 * |                                                | refused at `up` by a kernel without one     |
 * | `exec: - ip a`, `ip -br link show`, ...        | nothing: a line that only shows (a notice)  |
 * | `exec: - sysctl -w net.ipv4.ip_forward=1`      | `role: router` (other keys: `sysctls`)      |
 * | `defaults`, `kinds`, `groups`                  | inherited `kind`, `image`, `group`; `exec`  |
 * |                                                | lines appended, as containerlab does        |
 *
 * `ip` takes its usual abbreviations (`ip a a`, `ip l s eth1 up`, `ip r`). A namespace is named as
 * containerlab names the node's container (`clab-LAB-NODE`; `prefix: P` gives `P-LAB-NODE`,
 * `prefix: __lab-name` gives `LAB-NODE` and `prefix: ""` the node's own name), so two topologies
 * whose nodes have the same names can be up at once; a name over 32 bytes is refused at its node.
 *
 * An `exec` line is parsed word by word, never run, and never given to a shell: any other command,
 * or shell syntax, is refused naming the line. Nothing is dropped: every `exec` line becomes part
 * of the lab or is refused at its line, including one in `defaults`, `kinds` or `groups` that no
 * node takes. Names from the topology are looked up only among its own (`Object.hasOwn`, maps
 * without a prototype: lib/lab/own_names.ts), so a node or device called `__proto__` or
 * `constructor` is a name like any other, and the lab's validation refuses it at its line.
 *
 * Kinds that need a container (`nokia_srlinux`, `arista_ceos`, ...) are refused, and so are
 * container images (a namespace runs this host's programs, not the image's; `ignoreImages` turns
 * that refusal into a notice) and the keys that configure a container (`binds`, `env`, `cmd`,
 * ...). `mgmt` and management addresses are ignored with a notice: a netkit lab has no
 * management network. Unlike containerlab, netkit creates the bridges itself (and refuses, like
 * any lab, one that already exists).
 *
 * Proofs: a topology says nothing about what must work, so every pair of addresses in one subnet
 * on one layer-2 segment (a link, or a bridge and its links) becomes a ping from the first node
 * holding an address there to each of the others.
 *
 * @module
 */
import { familyOf, inSubnetAny, parseAnyCidr, parseAnyIp, parseCidr, parseIp } from "../addr.ts";
import { NAME_MAX_BYTES } from "../names.ts";
import { ROOT_OWNER } from "../reach.ts";
import { UsageError } from "../errors.ts";
import type { DocPath, LabIssue } from "./validate.ts";
import { inheritedNameProblem, nameMap } from "./own_names.ts";
import { type BoundFileReader, keepAliveProblem, readFrrBinds } from "./clab_frr.ts";

/** Options for reading a containerlab topology. */
export interface ClabOptions {
  /**
   * Build `linux` nodes that name a container image anyway (as namespaces running this host's
   * programs), with a notice instead of an error.
   * @default false
   */
  ignoreImages?: boolean;
  /**
   * Reads a file a node binds (FRR's `frr.conf`, `daemons`), by the path the topology gives;
   * without one, binds are refused (lib/lab/file.ts gives one for a topology read from disk).
   */
  readBound?: BoundFileReader;
}

/** A topology read into a netkit lab document, with where each part came from. */
interface ClabConversion {
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
const isKind = (k: unknown): k is Kind => typeof k === "string" && Object.hasOwn(KINDS, k);
/** `obj[key]` when `obj` has `key` itself (never what every object inherits), else undefined. */
const own = (obj: Obj, key: string): unknown => Object.hasOwn(obj, key) ? obj[key] : undefined;

/** True for a file name containerlab would read (`*.clab.yml`, `*.clab.yaml`). */
export function isClabFileName(path: string): boolean {
  return /\.clab\.ya?ml$/i.test(path);
}

/** True for a parsed YAML document shaped like a containerlab topology (it has `topology`). */
export function isClabDocument(value: unknown): boolean {
  return isObj(value) && Object.hasOwn(value, "topology") && !Object.hasOwn(value, "nodes");
}

const MGMT_KEYS = new Set(["mgmt-ipv4", "mgmt-ipv6", "mgmt_ipv4", "mgmt_ipv6"]);
const NODE_KEYS = new Set([
  "kind",
  "image",
  "exec",
  "group",
  "labels",
  "binds",
  "sysctls",
  "network-mode",
]);
/** Node settings with no network effect: ignored with a notice. */
const NO_NETWORK_EFFECT = new Set(["startup-delay", "certificate"]);
/** containerlab's MTU for a veth link that says none. */
const CLAB_MTU = 9500;
const WORD = /^[A-Za-z0-9_.:/=@+,-]+$/;
/** The `ip` objects netkit reads, with the abbreviations `ip` takes (`ip a`, `ip l`, `ip r`). */
const IP_OBJECTS: readonly [string, RegExp][] = [
  ["addr", /^a(d(d(r(e(s(s)?)?)?)?)?)?$/],
  ["link", /^l(i(n(k)?)?)?$/],
  ["route", /^r(o(u(t(e)?)?)?)?$/],
  ["neigh", /^n(e(i(g(h(b(o(u?r)?)?)?)?)?)?)?$/],
  ["rule", /^ru(le?)?$/],
];
/** `ip`'s verbs as it abbreviates them (`ip a a`, `ip l s eth1 up`, `ip a sh`). */
const ADD = /^a(dd?)?$/;
const SET = /^s(et?)?$/;
const SHOW = /^(sh(ow?)?|l(i(st?)?|st?|s))$/;
const FORWARDING = new Set(["net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding"]);
const EXEC_FORMS = "ip [-4|-6] addr add CIDR dev IF, ip [-4|-6] route add DEST via GW [dev IF], " +
  "ip route add DEST dev IF, ip link set [dev] IF up, ip ... show, sysctl -w KEY=VALUE";

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
  const r = new ClabReader(options);
  const result = r.result();
  if (!isObj(value)) {
    r.problem([], "a containerlab topology is a mapping with name and topology");
    return result;
  }
  const topology = r.readTopLevel(value);
  if (topology === undefined) return result;
  r.readSettings(topology);
  const rawNodes = topology.nodes;
  if (!isObj(rawNodes)) r.problem(["topology", "nodes"], "topology.nodes is a mapping of nodes");
  if (isObj(rawNodes)) r.readNetworkModes(rawNodes);
  for (const [name, raw] of Object.entries(isObj(rawNodes) ? rawNodes : {})) r.readNode(name, raw);
  r.refuseUntakenExec();
  r.reportImages();
  r.readLinks(topology.links ?? [], isObj(rawNodes) ? rawNodes : undefined);
  r.checkUpLinks();
  r.readMtu();
  if (r.problems.length === 0) r.lab.expect = derivePings(r.lab);
  return result;
}

/** A setting a node inherits, with the topology path it came from. */
type Setting = [unknown, DocPath];

/**
 * The reading of one topology: the lab document being built, the problems and notices found, and
 * where each part of the lab came from. Each part of a topology has its reader.
 */
class ClabReader {
  readonly problems: LabIssue[] = [];
  readonly notices: LabIssue[] = [];
  readonly nodes: Record<string, Obj> = nameMap();
  readonly bridges: Record<string, Obj> = nameMap();
  readonly links: Obj[] = [];
  readonly lab: Obj = { nodes: this.nodes, bridges: this.bridges, links: this.links };
  /** Lab document path (as JSON) -> the topology path it came from. */
  readonly #origins = new Map<string, DocPath>();
  /** The kind of each node that is built. */
  readonly #kindOf = new Map<string, Kind>();
  /** `ip link set IF up` lines, checked against the links once all are read. */
  readonly #upLinks: { node: string; iface: string; path: DocPath }[] = [];
  /** The settings (by path, as JSON) whose `exec` some node takes. */
  readonly #execTaken = new Set<string>();
  /** The problems so far (as JSON), so that a line many nodes inherit is refused once. */
  readonly #problemsSeen = new Set<string>();
  /** Each place an image is set, with the nodes that inherit it. */
  readonly #images = new Map<string, { image: unknown; path: DocPath; nodes: string[] }>();
  #defaults: Obj = {};
  #kinds: Obj = {};
  #groups: Obj = {};
  /** What containerlab puts before a node's name (`clab-LAB-` unless `prefix` says otherwise). */
  #nsPrefix = "";
  /** Each built link's MTU (containerlab's default unless it says `mtu`), with its path. */
  readonly #mtus: Setting[] = [];
  /** Nodes with `network-mode: container:OTHER`, each with the node whose namespace it shares. */
  readonly #sharedWith = new Map<string, string>();

  constructor(readonly options: ClabOptions) {}

  /** The conversion this reader fills in. */
  result(): ClabConversion {
    return {
      lab: this.lab,
      problems: this.problems,
      notices: this.notices,
      origin: (path) => this.origin(path),
    };
  }

  /** Something the topology holds that netkit cannot honour. */
  problem(path: DocPath, message: string, key = false): void {
    const seen = JSON.stringify([path, message, key]);
    if (this.#problemsSeen.has(seen)) return;
    this.#problemsSeen.add(seen);
    this.problems.push({ path, message, ...(key ? { key: true } : {}) });
  }

  /** Something the topology holds that netkit ignores. */
  notice(path: DocPath, message: string): void {
    this.notices.push({ path, message });
  }

  /** Records that `labPath` of the lab document came from `clabPath` (the first one counts). */
  from(labPath: DocPath, clabPath: DocPath): void {
    const key = JSON.stringify(labPath);
    if (!this.#origins.has(key)) this.#origins.set(key, clabPath);
  }

  /**
   * The namespace of node `name`: containerlab's own name for its container, `clab-LAB-NODE`
   * (see {@link namespacePrefix}), or the namespace of the node it shares (`network-mode`). A
   * bridge keeps its name, as in containerlab.
   */
  nsOf(name: string): string {
    const kind = this.#kindOf.get(name);
    if (kind !== undefined && KINDS[kind] !== "namespace") return name;
    return this.#nsPrefix + (this.#sharedWith.get(name) ?? name);
  }

  /**
   * `network-mode: container:OTHER`: the node lives in OTHER's namespace (OTHER a `linux` node of
   * the topology that shares no one else's); its links and exec lines land there. Read for every
   * node before any node is built, so the order of nodes does not matter.
   */
  readNetworkModes(rawNodes: Obj): void {
    for (const [name, raw] of Object.entries(rawNodes)) {
      if (!isObj(raw) || !Object.hasOwn(raw, "network-mode")) continue;
      const path: DocPath = ["topology", "nodes", name, "network-mode"];
      const mode = raw["network-mode"];
      const other = typeof mode === "string" && mode.startsWith("container:")
        ? mode.slice("container:".length)
        : undefined;
      const target = other === undefined ? undefined : own(rawNodes, other);
      const why = other === undefined
        ? `network-mode ${JSON.stringify(mode)} is not supported: netkit reads container:NODE ` +
          "(two nodes in one namespace); host and none have no namespace of the lab's own"
        : !isObj(target)
        ? `network-mode: node "${other}" is not in topology.nodes (netkit shares namespaces ` +
          "only among the topology's own nodes)"
        : Object.hasOwn(target, "network-mode")
        ? `network-mode: node "${other}" shares another node's namespace itself; name that one`
        : undefined;
      if (why) this.problem(path, why);
      else this.#sharedWith.set(name, other!);
    }
  }

  /** The topology path a lab document path came from (its nearest recorded parent's). */
  origin(path: DocPath): DocPath {
    for (let i = path.length; i > 0; i--) {
      const found = this.#origins.get(JSON.stringify(path.slice(0, i)));
      if (found) return found;
    }
    return [];
  }

  /** The document's top level: `name` and `topology`; returns the topology if it is a mapping. */
  readTopLevel(value: Obj): Obj | undefined {
    for (const [key, v] of Object.entries(value)) {
      if (key === "name") {
        this.lab.name = v;
        this.from(["name"], ["name"]);
      } else if (key === "topology") continue;
      else if (key === "mgmt") {
        this.notice(["mgmt"], '"mgmt" is ignored: a netkit lab has no management network');
      } else if (key === "settings") {
        this.notice(["settings"], '"settings" is ignored: it has no network effect');
      } else if (key === "prefix") {
        if (typeof v !== "string") this.problem(["prefix"], "prefix is a string");
      } else {
        this.problem([key], `unrecognized key "${key}" (netkit reads name and topology)`, true);
      }
    }
    if (!Object.hasOwn(value, "name")) this.problem([], '"name" is missing');
    this.#nsPrefix = namespacePrefix(own(value, "name"), own(value, "prefix"));
    const topology = value.topology;
    if (!isObj(topology)) {
      this.problem(["topology"], "topology is a mapping with nodes and links");
      return undefined;
    }
    for (const key of Object.keys(topology)) {
      if (!["nodes", "links", "kinds", "defaults", "groups"].includes(key)) {
        this.problem(
          ["topology", key],
          `unrecognized key "${key}" (netkit reads nodes, links, kinds, defaults and groups)`,
          true,
        );
      }
    }
    return topology;
  }

  /** Settings a node inherits: from its group, its kind's entry in kinds, then defaults. */
  readSettings(topology: Obj): void {
    this.#defaults = isObj(topology.defaults) ? topology.defaults : {};
    this.#kinds = isObj(topology.kinds) ? topology.kinds : {};
    this.#groups = isObj(topology.groups) ? topology.groups : {};
    this.checkKeys(this.#defaults, ["topology", "defaults"], false);
    for (const k of Object.keys(this.#kinds)) {
      this.checkKeys(this.#kinds[k], ["topology", "kinds", k], false);
    }
    for (const g of Object.keys(this.#groups)) {
      this.checkKeys(this.#groups[g], ["topology", "groups", g], false);
    }
  }

  /** The keys of a node's (or a group's, a kind's, the defaults') settings. */
  checkKeys(settings: unknown, path: DocPath, isNode: boolean): void {
    if (settings === null || settings === undefined) return;
    if (!isObj(settings)) return this.problem(path, "expected a mapping of settings");
    for (const key of Object.keys(settings)) {
      if (MGMT_KEYS.has(key)) {
        this.notice([...path, key], `"${key}" is ignored: a netkit lab has no management network`);
      } else if (key === "cmd" || NO_NETWORK_EFFECT.has(key)) {
        this.readIgnored([...path, key], key, settings[key]);
      } else if (!NODE_KEYS.has(key) || (key === "network-mode" && !isNode)) {
        this.problem(
          [...path, key],
          `"${key}" is not supported: netkit builds namespaces, not containers ` +
            "(it reads kind, image, exec, group, labels, binds, sysctls, network-mode and a " +
            "keep-alive cmd)",
          true,
        );
      }
    }
  }

  /** One setting of a node, from the node itself or what it inherits, with its path. */
  setting(name: string, node: Obj, key: string, kind?: string): Setting | undefined {
    const path: DocPath = ["topology", "nodes", name];
    if (Object.hasOwn(node, key)) return [node[key], [...path, key]];
    const group = this.groupOf(node, kind);
    if (group && Object.hasOwn(group[0], key)) return [group[0][key], [...group[1], key]];
    const ofKind = this.kindSettings(kind);
    if (ofKind && Object.hasOwn(ofKind[0], key)) return [ofKind[0][key], [...ofKind[1], key]];
    if (Object.hasOwn(this.#defaults, key)) {
      return [this.#defaults[key], ["topology", "defaults", key]];
    }
    return undefined;
  }

  /**
   * The settings of the group a node is in, with their path, if the topology has that group: the
   * node's own `group`, else its kind's (in `kinds`), else the defaults'.
   */
  groupOf(node: Obj, kind?: string): [Obj, DocPath] | undefined {
    const name = own(node, "group") ?? own(this.kindSettings(kind)?.[0] ?? {}, "group") ??
      own(this.#defaults, "group");
    if (typeof name !== "string") return undefined;
    const group = own(this.#groups, name);
    return isObj(group) ? [group, ["topology", "groups", name]] : undefined;
  }

  /** The settings of `kind` in `topology.kinds`, with their path, if there are any. */
  kindSettings(kind: string | undefined): [Obj, DocPath] | undefined {
    const settings = kind === undefined ? undefined : own(this.#kinds, kind);
    return isObj(settings) ? [settings, ["topology", "kinds", kind!]] : undefined;
  }

  /** The kind of node `name`, or undefined (with a problem) when netkit cannot build it. */
  kindOf(name: string, node: Obj): Kind | undefined {
    const path: DocPath = ["topology", "nodes", name];
    const [kind, kindPath] = this.setting(name, node, "kind") ?? [undefined, path];
    if (kind === undefined) {
      this.problem(path, `node "${name}" has no kind (set kind: linux, or topology.defaults.kind)`);
      return undefined;
    }
    if (kind === "host") {
      this.problem(
        kindPath,
        "kind host is this machine's own network: netkit never configures the host's interfaces",
      );
      return undefined;
    }
    if (!isKind(kind)) {
      this.problem(
        kindPath,
        `netkit builds namespaces, not containers; kind ${
          JSON.stringify(kind)
        } needs a container (netkit builds kinds linux, bridge and ovs-bridge)`,
      );
      return undefined;
    }
    return kind;
  }

  /** One node: a namespace (its `exec` lines read) or a bridge. */
  readNode(name: string, raw: unknown): void {
    const path: DocPath = ["topology", "nodes", name];
    this.checkKeys(raw, path, true);
    const node = isObj(raw) ? raw : {};
    const kind = this.kindOf(name, node);
    if (kind === undefined) return;
    this.#kindOf.set(name, kind);
    const image = KINDS[kind] === "namespace" ? this.setting(name, node, "image", kind) : undefined;
    if (image !== undefined) {
      const key = JSON.stringify(image[1]);
      const seen = this.#images.get(key) ?? { image: image[0], path: image[1], nodes: [] };
      seen.nodes.push(name);
      this.#images.set(key, seen);
    }
    const execs = this.execOf(name, node, kind);
    if (KINDS[kind] !== "namespace" && Object.hasOwn(node, "network-mode")) {
      this.problem(
        [...path, "network-mode"],
        "network-mode on a bridge: netkit's bridges are in the root namespace, not in a node",
      );
    }
    if (KINDS[kind] !== "namespace") {
      this.bridges[name] = { type: KINDS[kind] };
      this.from(["bridges", name], path);
      for (const [, execPath] of execs) {
        this.problem(execPath, "exec on a bridge: netkit runs nothing on bridges");
      }
      return;
    }
    const ns = this.nsOf(name);
    // The node's own name is refused like any name a file gives (lib/lab/own_names.ts), even
    // where its namespace's name, clab-LAB-NODE, would be harmless.
    const inherited = inheritedNameProblem(name);
    if (inherited) return this.problem(path, inherited);
    if (new TextEncoder().encode(ns).length > NAME_MAX_BYTES) {
      return this.problem(
        path,
        `namespace "${ns}" (containerlab's name for node "${name}") is over ${NAME_MAX_BYTES} ` +
          'bytes: shorten the lab\'s name, or set prefix: "" to name each namespace after its node',
      );
    }
    const built: Obj = (this.nodes[ns] ??= {}) as Obj;
    this.from(["nodes", ns], path);
    this.readSysctls(name, node, built, kind);
    this.readBinds(name, node, built, kind);
    for (const [lines, execPath] of execs) {
      if (!Array.isArray(lines)) {
        this.problem(execPath, "exec is a list of commands");
        continue;
      }
      lines.forEach((line, j) => this.readExec(name, built, line, [...execPath, j]));
    }
  }

  /**
   * The `exec` lists a node runs, in containerlab's order: the defaults', its kind's, its
   * group's, then its own (containerlab appends them, so none hides another).
   */
  execOf(name: string, node: Obj, kind: string): Setting[] {
    const sources: Setting[] = [];
    const take = (settings: Obj, path: DocPath) => {
      if (!Object.hasOwn(settings, "exec")) return;
      sources.push([settings.exec, [...path, "exec"]]);
      this.#execTaken.add(JSON.stringify(path));
    };
    take(this.#defaults, ["topology", "defaults"]);
    const ofKind = this.kindSettings(kind);
    if (ofKind) take(...ofKind);
    const group = this.groupOf(node, kind);
    if (group) take(...group);
    take(node, ["topology", "nodes", name]);
    return sources;
  }

  /**
   * The `exec` lines of defaults, kinds and groups that no node takes: containerlab would run
   * them nowhere, and netkit drops nothing silently, so each is refused at its line.
   */
  refuseUntakenExec(): void {
    const untaken = (settings: unknown, path: DocPath, why: string) => {
      if (!isObj(settings) || !Object.hasOwn(settings, "exec")) return;
      if (this.#execTaken.has(JSON.stringify(path))) return;
      const lines = settings.exec;
      if (!Array.isArray(lines)) {
        return this.problem([...path, "exec"], "exec is a list of commands");
      }
      lines.forEach((line, j) => {
        this.problem([...path, "exec", j], `exec line ${JSON.stringify(line)} refused: ${why}`);
      });
    };
    untaken(this.#defaults, ["topology", "defaults"], "no node netkit builds takes it");
    for (const k of Object.keys(this.#kinds)) {
      untaken(this.#kinds[k], ["topology", "kinds", k], `no node netkit builds is of kind ${k}`);
    }
    for (const g of Object.keys(this.#groups)) {
      untaken(this.#groups[g], ["topology", "groups", g], `no node netkit builds is in group ${g}`);
    }
  }

  /** A `cmd` (a keep-alive: a notice; else refused), `startup-delay`, `certificate` (notices). */
  readIgnored(path: DocPath, key: string, value: unknown): void {
    if (key !== "cmd") {
      return this.notice(path, `"${key}" is ignored: it has no network effect in a namespace`);
    }
    const bad = keepAliveProblem(value);
    if (bad) return this.problem(path, bad);
    this.notice(path, `cmd ${JSON.stringify(value)} ignored: a namespace needs no keep-alive`);
  }

  /** A node's `sysctls` (inherited like `exec`): the lab's sysctls, under the lab's rules. */
  readSysctls(name: string, node: Obj, built: Obj, kind: string): void {
    const found = this.setting(name, node, "sysctls", kind);
    if (found === undefined) return;
    const [value, path] = found;
    if (!isObj(value)) return this.problem(path, "sysctls is a mapping of KEY: VALUE");
    const sysctls = (built.sysctls ??= nameMap()) as Obj;
    for (const [key, v] of Object.entries(value)) {
      sysctls[key] = v;
      this.from(["nodes", this.nsOf(name), "sysctls", key], [...path, key]);
    }
  }

  /** A node's `binds`: FRR's configuration and daemons (lib/lab/clab_frr.ts), else refused. */
  readBinds(name: string, node: Obj, built: Obj, kind: string): void {
    const found = this.setting(name, node, "binds", kind);
    if (found === undefined) return;
    const [binds, path] = found;
    const frr = readFrrBinds(binds, this.options.readBound);
    const at = (bind: number): DocPath => (bind < 0 ? path : [...path, bind]);
    for (const p of frr.problems) this.problem(at(p.bind), p.message);
    for (const n of frr.notices) this.notice(at(n.bind), n.message);
    if (frr.routing === undefined) return;
    if (built.routing !== undefined) {
      return this.problem(path, "two nodes in one namespace (network-mode) each bind FRR's files");
    }
    built.role = "router";
    built.routing = frr.routing;
    this.from(["nodes", this.nsOf(name), "role"], path);
    this.from(["nodes", this.nsOf(name), "routing"], path);
    const interfaces = (built.interfaces ??= nameMap()) as Record<string, Obj>;
    for (const { iface, cidr } of frr.addresses) {
      const addresses = ((interfaces[iface] ??= {}).addresses ??= []) as string[];
      this.from(["nodes", this.nsOf(name), "interfaces", iface], path);
      addresses.push(cidr);
    }
  }

  /** Each container image: refused, or with `ignoreImages` a notice. */
  reportImages(): void {
    for (const { image, path, nodes: users } of this.#images.values()) {
      const many = users.length > 1;
      const which = `node${many ? "s" : ""} ${users.join(", ")}`;
      if (this.options.ignoreImages) {
        this.notice(
          path,
          `image ${JSON.stringify(image)} ignored: ${which} run${
            many ? "" : "s"
          } this host's programs`,
        );
      } else {
        this.problem(
          path,
          `image ${JSON.stringify(image)} refused: netkit builds namespaces, not containers ` +
            `(${which} would run this host's programs, not the image's); ` +
            `--ignore-images builds ${many ? "them" : "it"} anyway`,
        );
      }
    }
  }

  /** One `exec` line into the node's interfaces, routes and sysctls. */
  readExec(node: string, built: Obj, line: unknown, path: DocPath): void {
    const refuse = (why: string) =>
      this.problem(path, `exec line ${JSON.stringify(line)} refused: ${why}`);
    if (typeof line !== "string") return refuse("expected a command as text");
    const words = line.trim().split(/\s+/);
    const bad = words.find((w) => !WORD.test(w));
    if (bad !== undefined) {
      return refuse(
        `${JSON.stringify(bad)} is shell syntax; netkit runs no commands from a topology, ` +
          `it reads only: ${EXEC_FORMS}`,
      );
    }
    const exec: ExecLine = { node, built, path, refuse, family: undefined };
    if (words[0] === "sysctl") return this.execSysctl(exec, words.slice(1));
    if (words[0] !== "ip") {
      return refuse(`netkit runs no commands from a topology; it reads only: ${EXEC_FORMS}`);
    }
    const options: string[] = [];
    let i = 1;
    for (; words[i]?.startsWith("-"); i++) options.push(words[i]!);
    const [object = "", verb = "", ...args] = words.slice(i);
    const what = IP_OBJECTS.find(([, re]) => re.test(object))?.[0];
    if (what !== undefined && (verb === "" || SHOW.test(verb))) {
      // A line that only prints (`ip a`, `ip -br link show`): nothing to build, nothing dropped.
      return this.notice(path, `exec line ${JSON.stringify(line)} ignored: it only shows`);
    }
    for (const option of options) {
      if (option === "-4" || option === "-6") exec.family = option === "-4" ? 4 : 6;
      else return refuse(`option ${option} is not supported (netkit reads -4 and -6)`);
    }
    built.interfaces ??= nameMap();
    if (what === "addr" && ADD.test(verb)) return this.execAddrAdd(exec, args);
    if (what === "route" && ADD.test(verb)) return this.execRouteAdd(exec, args);
    if (what === "link" && SET.test(verb)) {
      const rest = args[0] === "dev" ? args.slice(1) : args;
      if (rest.length !== 2 || rest[1] !== "up") return refuse("expected ip link set [dev] IF up");
      this.#upLinks.push({ node, iface: rest[0]!, path });
      return;
    }
    if (what === "link" && ADD.test(verb)) return this.execLinkAdd(exec, args);
    refuse(`netkit runs no commands from a topology; it reads only: ${EXEC_FORMS}`);
  }

  /** `ip link add [name|dev] NAME type dummy`: a dummy interface of the node (`dummy: true`). */
  execLinkAdd({ node, built, path, refuse }: ExecLine, args: string[]): void {
    const type = args[args.indexOf("type") + 1];
    if (!args.includes("type") || type !== "dummy") {
      return refuse(
        "netkit makes a node's interfaces from the topology's links; ip link add reads only " +
          "type dummy",
      );
    }
    const words = args[0] === "name" || args[0] === "dev" ? args.slice(1) : args;
    if (words.length !== 3 || words[1] !== "type") {
      return refuse("expected ip link add [name] NAME type dummy");
    }
    const name = words[0]!;
    const interfaces = built.interfaces as Record<string, Obj>;
    if (interfaces[name]?.dummy === true) return refuse(`dummy "${name}" is added twice`);
    const iface = (interfaces[name] ??= {});
    iface.dummy = true;
    this.from(["nodes", this.nsOf(node), "interfaces", name], path);
    this.from(["nodes", this.nsOf(node), "interfaces", name, "dummy"], path);
  }

  /** `sysctl -w KEY=VALUE`: forwarding makes a router; other keys become `sysctls`. */
  execSysctl({ node, built, path, refuse }: ExecLine, args: string[]): void {
    const rest = args.filter((w) => w !== "-w" && w !== "-q");
    const [setting, ...extra] = rest;
    const m = setting === undefined ? null : /^([a-z0-9_.-]+)=(.+)$/.exec(setting);
    if (!m || extra.length) return refuse(`expected sysctl -w KEY=VALUE`);
    const [, key, val] = m as unknown as [string, string, string];
    if (FORWARDING.has(key) && val === "1") {
      built.role = "router";
      this.from(["nodes", this.nsOf(node), "role"], path);
    } else {
      const sysctls = (built.sysctls ??= nameMap()) as Obj;
      sysctls[key] = val;
      this.#origins.set(JSON.stringify(["nodes", this.nsOf(node), "sysctls", key]), path); // the value's line
    }
  }

  /** `ip addr add CIDR dev IF` (IPv4 or IPv6): an address of the interface. */
  execAddrAdd({ node, built, path, refuse, family }: ExecLine, args: string[]): void {
    const kv = keywords(args, ["dev"]);
    if (typeof kv === "string") return refuse(kv);
    const { dev, positional } = kv;
    if (dev === undefined || positional.length !== 1) {
      return refuse("expected ip addr add CIDR dev IF");
    }
    const cidr = hostPrefix(positional[0]!);
    const wrong = checked(() => anyCidr(cidr)) ?? familyProblem(family, cidr);
    if (wrong) return refuse(wrong);
    const interfaces = built.interfaces as Record<string, Obj>;
    const iface = (interfaces[dev] ??= {});
    const addresses = (iface.addresses ??= []) as string[];
    this.from(["nodes", this.nsOf(node), "interfaces", dev], path);
    this.from(["nodes", this.nsOf(node), "interfaces", dev, "addresses", addresses.length], path);
    addresses.push(cidr);
  }

  /** `ip route add DEST via GW [dev IF]` or `ip route add DEST dev IF`: a route of the node. */
  execRouteAdd({ node, built, path, refuse, family }: ExecLine, args: string[]): void {
    const kv = keywords(args, ["via", "dev"]);
    if (typeof kv === "string") return refuse(kv);
    const { via, dev, positional } = kv;
    if (positional.length !== 1 || (via === undefined && dev === undefined)) {
      return refuse("expected ip route add DEST via GW [dev IF], or ip route add DEST dev IF");
    }
    let to = positional[0]!;
    if (to === "0.0.0.0/0" || to === "::/0") to = "default";
    to = to === "default" ? to : hostPrefix(to);
    const wrong = (to === "default" ? undefined : checked(() => anyCidr(to))) ??
      (via === undefined
        ? undefined
        : checked(() => (/^[\d.]+$/.test(via) ? parseIp(via) : parseAnyIp(via)))) ??
      (to === "default" ? undefined : familyProblem(family, to)) ??
      (via === undefined ? undefined : familyProblem(family, via)) ??
      (to === "default" || via === undefined || familyOf(via) === familyOf(to.split("/")[0]!)
        ? undefined
        : `gateway ${via} is not of the family of ${to}`);
    if (wrong) return refuse(wrong);
    if (to === "default" && via === undefined && family === 6) to = "::/0";
    const routes = (built.routes ??= []) as Obj[];
    this.from(["nodes", this.nsOf(node), "routes", routes.length], path);
    routes.push({
      to,
      ...(via !== undefined ? { via } : {}),
      ...(dev !== undefined ? { dev } : {}),
    });
  }

  /** Links: the brief form (endpoints: ["n1:eth1", "n2:eth1"]) and the veth form. */
  readLinks(rawLinks: unknown, rawNodes: Obj | undefined): void {
    if (!Array.isArray(rawLinks)) this.problem(["topology", "links"], "topology.links is a list");
    (Array.isArray(rawLinks) ? rawLinks : []).forEach((raw, i) => {
      this.readLink(raw, ["topology", "links", i], rawNodes);
    });
  }

  /** One link: a veth pair between two nodes or bridges the lab builds. */
  readLink(raw: unknown, path: DocPath, rawNodes: Obj | undefined): void {
    if (!isObj(raw)) return this.problem(path, 'a link is a mapping with "endpoints"');
    const extended = Object.hasOwn(raw, "type");
    if (extended && raw.type !== "veth") {
      return this.problem(
        [...path, "type"],
        `link type ${JSON.stringify(raw.type)} is not supported: netkit links are veth pairs ` +
          "between nodes and bridges",
      );
    }
    for (const key of Object.keys(raw)) {
      if (key === "endpoints" || key === "type" || key === "mtu") continue;
      if (key === "labels" || key === "vars") continue; // no meaning for the network
      this.problem([...path, key], `"${key}" is not supported on a netkit link`, true);
    }
    const endpoints = raw.endpoints;
    if (!Array.isArray(endpoints) || endpoints.length !== 2) {
      return this.problem([...path, "endpoints"], "a link has exactly two endpoints");
    }
    const ends: string[] = [];
    endpoints.forEach((ep, j) => {
      const epPath: DocPath = [...path, "endpoints", j];
      const end = this.readEndpoint(ep, epPath, extended, rawNodes);
      if (end === undefined) return;
      ends.push(end);
      this.from(["links", this.links.length, "endpoints", ends.length - 1], epPath);
    });
    if (ends.length === 2) {
      this.from(["links", this.links.length], path);
      this.links.push({ endpoints: ends });
      this.#mtus.push(Object.hasOwn(raw, "mtu") ? [raw.mtu, [...path, "mtu"]] : [CLAB_MTU, path]);
    }
  }

  /** One end of a link as `OWNER:IFNAME`, or undefined when it is refused (or its node was). */
  readEndpoint(
    ep: unknown,
    epPath: DocPath,
    extended: boolean,
    rawNodes: Obj | undefined,
  ): string | undefined {
    let owner: unknown, iface: unknown;
    if (extended) {
      if (!isObj(ep)) {
        this.problem(epPath, "an endpoint is a mapping with node and interface");
        return undefined;
      }
      for (const key of Object.keys(ep)) {
        if (key !== "node" && key !== "interface") {
          this.problem([...epPath, key], `"${key}" is not supported on a netkit endpoint`, true);
        }
      }
      owner = ep.node;
      iface = ep.interface;
    } else if (typeof ep === "string" && ep.includes(":")) {
      [owner, iface] = [ep.slice(0, ep.indexOf(":")), ep.slice(ep.indexOf(":") + 1)];
    }
    if (typeof owner !== "string" || typeof iface !== "string") {
      this.problem(epPath, 'an endpoint is "NODE:INTERFACE"');
      return undefined;
    }
    // `host:IF`: a veth end the lab creates in the root namespace, named IF (lib/reach.ts).
    if (owner === "host") return `${ROOT_OWNER}:${iface}`;
    const special = SPECIAL_ENDPOINTS.get(owner);
    if (special) {
      this.problem(epPath, special);
      return undefined;
    }
    if (!(rawNodes !== undefined && Object.hasOwn(rawNodes, owner))) {
      this.problem(epPath, `node "${owner}" is not in topology.nodes`);
      return undefined;
    }
    if (!this.#kindOf.has(owner)) return undefined; // refused above
    return `${this.nsOf(owner)}:${iface}`;
  }

  /**
   * The lab's MTU: containerlab gives every veth link 9500 unless the link says `mtu`; a netkit
   * lab has one MTU for all its interfaces, so links that differ are refused, naming both.
   */
  readMtu(): void {
    const [first, ...rest] = this.#mtus;
    if (first === undefined) return;
    const [mtu, path] = first;
    if (typeof mtu !== "number" || !Number.isInteger(mtu) || mtu < 576 || mtu > 65_535) {
      return this.problem(path, "mtu is a whole number from 576 to 65535");
    }
    for (const [other, otherPath] of rest) {
      if (other === mtu) continue;
      return this.problem(
        otherPath,
        `MTU ${JSON.stringify(other)} differs from the first link's ${mtu}: a netkit lab gives ` +
          `all its links one MTU (containerlab's default is ${CLAB_MTU}; say mtu: on every link)`,
      );
    }
    this.lab.mtu = mtu;
    this.from(["mtu"], path);
  }

  /** `ip link set IF up` must name an interface a link (or a dummy) puts into the node. */
  checkUpLinks(): void {
    const ends = new Set(this.links.flatMap((l) => l.endpoints as string[]));
    const nodes = this.nodes as Record<string, Obj>;
    const isDummy = (ns: string, iface: string) => {
      const interfaces = Object.hasOwn(nodes, ns) ? nodes[ns]!.interfaces as Obj : undefined;
      const i = interfaces && Object.hasOwn(interfaces, iface) ? interfaces[iface] : undefined;
      return isObj(i) && i.dummy === true;
    };
    for (const { node, iface, path } of this.#upLinks) {
      const ns = this.nsOf(node);
      if (!ends.has(`${ns}:${iface}`) && !isDummy(ns, iface)) {
        this.problem(path, `no link puts interface "${iface}" into node "${node}"`);
      }
    }
  }
}

/** One `exec` line being read: its node, what is built for it, and how to refuse the line. */
interface ExecLine {
  node: string;
  built: Obj;
  path: DocPath;
  refuse(why: string): void;
  /** The family `-4` or `-6` asks for, if any. */
  family: 4 | 6 | undefined;
}

/** Checks a prefix of either family (one that looks IPv4 with IPv4's own, precise messages). */
function anyCidr(text: string): void {
  if (/^[\d.]+(\/.*)?$/.test(text)) parseCidr(text);
  else parseAnyCidr(text);
}

/** A bare address as a host prefix (`/32`, `/128`), anything else as it is. */
function hostPrefix(text: string): string {
  if (text.includes("/")) return text;
  const family = familyOf(text);
  return family === 4 ? `${text}/32` : family === 6 ? `${text}/128` : text;
}

/** Why `text` (an address or prefix) is not of the family `-4`/`-6` asks for, if it is not. */
function familyProblem(family: 4 | 6 | undefined, text: string): string | undefined {
  if (family === undefined) return undefined;
  return familyOf(text.split("/")[0]!) === family
    ? undefined
    : `${text} is not an IPv${family} address (the line says -${family})`;
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
const SPECIAL_ENDPOINTS: ReadonlyMap<string, string> = new Map([
  ["mgmt-net", "a link to the management network: a netkit lab has none"],
  [
    "macvlan",
    "a macvlan link attaches to a real NIC of the host: netkit never uses the host's NICs",
  ],
]);

/**
 * What containerlab puts before a node's name to name its container, which netkit gives the
 * node's namespace: `clab-LAB-` by default, `PREFIX-LAB-` with `prefix: PREFIX`, `LAB-` with
 * `prefix: __lab-name`, and nothing with `prefix: ""`. Two topologies whose nodes have the same
 * names can then be up at once, as in containerlab.
 */
function namespacePrefix(lab: unknown, prefix: unknown): string {
  if (typeof lab !== "string") return "";
  if (prefix === undefined) return `clab-${lab}-`;
  if (typeof prefix !== "string" || prefix === "") return "";
  return prefix === "__lab-name" ? `${lab}-` : `${prefix}-${lab}-`;
}

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
      return Object.hasOwn(bridges, owner) ? `bridge:${owner}` : ep;
    };
    join(side(a), side(b));
  }
  const bySegment = new Map<string, { node: string; cidr: string }[]>();
  for (const [node, n] of Object.entries(nodes)) {
    for (const [iface, i] of Object.entries((n.interfaces ?? {}) as Record<string, Obj>)) {
      for (const cidr of (i.addresses ?? []) as string[]) {
        // One proof set per family: an IPv6 address is in no IPv4 subnet.
        const segment = `${find(`${node}:${iface}`)} ${familyOf(cidr.split("/")[0]!)}`;
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
      if (
        first && other.node !== first.node && inSubnetAny(other.cidr.split("/")[0]!, first.cidr)
      ) {
        expect.push({ ping: { from: first.node, to: other.cidr.split("/")[0] } });
      }
    }
  }
  return expect;
}
