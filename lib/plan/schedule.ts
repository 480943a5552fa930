/**
 * Scheduling for the executor's fast path: a run of consecutive `ip` and `ovs-vsctl` actions
 * becomes a few *levels*; each level is a set of independent *lanes* that run in parallel, and
 * each lane is one process: one `ip -batch` for the root namespace, one `ip -n NS -batch` per
 * namespace, one `ovs-vsctl` transaction (commands joined with `--`).
 *
 * An action never moves before one it may depend on. Within a lane the order is kept. Across
 * lanes, for an action `b` that comes after `a` in the plan:
 *
 * - a root `ip` command that names namespace X (`netns add X`, `... netns X type veth ...`)
 *   comes before every later command run inside X; `netns delete X` comes after every earlier
 *   command inside X;
 * - root `ip` and `ovs-vsctl` commands on the same interface or bridge name keep their order (a
 *   port needs its veth; a moved internal port needs OVS to have made it);
 * - a command inside a namespace that moves a link out (`... netns 1`) is a barrier for all;
 * - a namespace's sysctls (lane `sysctl:X`, see {@link laneOf}) wait only for `netns add X`; what
 *   comes after them in the plan and creates a link in X or runs inside X waits for them;
 * - everything else is independent: two namespaces never wait for each other, and a namespace's
 *   configuration runs beside later root commands that do not name it.
 *
 * For a star of N namespaces this gives the hand-written order: one root batch (every `netns add`,
 * veth pair and bridge port), one OVS transaction, then the N namespaces' batches side by side.
 * For a large lab the executor asks for more ({@link Spread}): the `netns add`s in parallel
 * batches, and the root batch in chunks with the namespaces whose veth pairs are made configured
 * beside the next chunk.
 *
 * @module
 */
import { isRun, type RunAction } from "./step.ts";
import type { Action } from "./step.ts";

const IP_OBJECTS = new Set(["link", "addr", "address", "route", "netns"]);
const OVS_COMMANDS = new Set([
  "add-br",
  "del-br",
  "add-port",
  "del-port",
  "set",
  "remove",
  "clear",
  "add",
]);
const OVS_OPTIONS = new Set(["--if-exists", "--may-exist"]);

/**
 * A sysctl that depends on nothing but its namespace's existence: `ip netns exec NS sysctl
 * [-q] -w KEY=VALUE...` where every KEY is a network sysctl that names no interface
 * (`net.ipv4.ip_forward`, `net.ipv4.conf.all.rp_filter`, not `net.ipv4.conf.eth0.rp_filter`).
 */
const NS_WIDE_SYSCTL =
  /^net\.[a-z0-9_-]+\.(?:(?:conf|neigh)\.(?:all|default)\.[a-z0-9_.-]+|(?!conf\.|neigh\.)[a-z0-9_.-]+)=[^=]*$/;

/**
 * `root`, `ns:NAME`, `sysctl:NAME` or `ovs` for an action the scheduler may batch; undefined
 * otherwise. `sysctl:NAME` holds namespace NAME's namespace-wide network sysctls
 * ({@link NS_WIDE_SYSCTL}): they wait only for the namespace, and run as one `sysctl` process
 * beside its `ip` batch.
 */
export function laneOf(action: Action): string | undefined {
  if (!isRun(action)) return undefined;
  const a = action.argv;
  if (a.some((w) => w === "" || /[\s"'\\#]/.test(w))) return undefined;
  if (a[0] === "ip" && a[1] === "netns" && a[2] === "exec") {
    const sets = a.slice(5).filter((w) => w !== "-q" && w !== "-w");
    const nsWide = a[4] === "sysctl" && a.includes("-w") && sets.length > 0 &&
      sets.every((w) => NS_WIDE_SYSCTL.test(w));
    return nsWide && a[3] ? `sysctl:${a[3]}` : undefined;
  }
  if (a[0] === "ip") {
    const [ns, rest] = a[1] === "-n" ? [a[2] ?? "", a.slice(3)] : ["", a.slice(1)];
    const object = rest[0] ?? "";
    if (!IP_OBJECTS.has(object)) return undefined;
    if (object === "netns" && !["add", "delete", "del"].includes(rest[1] ?? "")) return undefined;
    if (ns !== "" && object === "netns") return undefined;
    return ns === "" ? "root" : `ns:${ns}`;
  }
  if (a[0] === "ovs-vsctl") {
    // Only plain change commands: no global options (--db, --timeout, ...), nothing that prints.
    let expectCommand = true;
    for (const w of a.slice(1)) {
      if (w === "--") expectCommand = true;
      else if (expectCommand && OVS_OPTIONS.has(w)) continue;
      else if (expectCommand) {
        if (!OVS_COMMANDS.has(w)) return undefined;
        expectCommand = false;
      } else if (w.startsWith("--")) return undefined;
    }
    return "ovs";
  }
  return undefined;
}

/** The namespace a `ns:NAME` or `sysctl:NAME` lane runs in; undefined for other lanes. */
export function insideOf(lane: string): string | undefined {
  const m = /^(?:ns|sysctl):(.+)$/.exec(lane);
  return m?.[1];
}

/** One schedulable action and where it came from. */
export interface Scheduled {
  action: RunAction;
  lane: string;
  /** Index of the action in the sequence given to {@link levelsOf}. */
  index: number;
}

/**
 * The interface and bridge names a command acts on: for `ip`, the words after `dev`, `name` and
 * `master`; for `ovs-vsctl`, the bridge and port of `add-br`/`del-br`/`add-port`/`del-port` and
 * the record of `set`/`remove`/`clear`.
 */
function namesOf(argv: readonly string[]): string[] {
  const names: string[] = [];
  if (argv[0] === "ip") {
    argv.forEach((w, i) => {
      if ((w === "dev" || w === "name" || w === "master") && argv[i + 1]) names.push(argv[i + 1]!);
    });
    return names;
  }
  argv.forEach((w, i) => {
    if (w === "add-br" || w === "del-br") names.push(argv[i + 1] ?? "");
    else if (w === "add-port" || w === "del-port") names.push(argv[i + 1] ?? "", argv[i + 2] ?? "");
    else if (w === "set" || w === "remove" || w === "clear") names.push(argv[i + 2] ?? "");
  });
  return names.filter((n) => n !== "");
}

/** The namespaces an `ip` command names as `netns X` (where it creates or moves links). */
function netnsTargets(words: readonly string[]): string[] {
  return words.flatMap((w, i) => (i > 0 && words[i - 1] === "netns" ? [w] : []));
}

/**
 * How {@link levelsOf} may spread a long bring-up over more processes, both measured on a star of
 * 1,000 namespaces on 2 CPUs (bench/RESULTS.md): creating a namespace is the kernel's work on
 * one CPU (about 0.45 ms each), so `netns add`s split over two processes finish in 60 % of the
 * time; and a namespace's own batch can run beside the rest of the root batch instead of after
 * all of it.
 */
interface Spread {
  /**
   * Up to this many parallel lanes for the root namespace's `netns add` commands, each one
   * `ip -batch` of at least {@link NETNS_ADDS_PER_LANE} of them. @default 1
   */
  netnsAddLanes?: number;
  /**
   * Cut the host lane into chunks of this many commands, each its own level (see
   * {@link hostChunkFor}). @default no cut
   */
  hostChunk?: number | undefined;
}

/** The fewest `netns add`s worth a process of their own. */
const NETNS_ADDS_PER_LANE = 32;
/** Lanes of `netns add`s are named `netns-add:K` (K from 0); they run in the root namespace. */
const NETNS_ADD_LANE = "netns-add:";

/**
 * The chunk size for a host lane of `commands` commands: one chunk up to 1,000, else 8 chunks.
 * Each chunk is one more `ip` process: measured on a star, 8 chunks save about 0.12 s at 1,000
 * namespaces and cost about 0.04 s at 100, where the namespaces' own batches are short.
 */
export function hostChunkFor(commands: number): number | undefined {
  return commands <= 1000 ? undefined : Math.ceil(commands / 8);
}

/** Each item's lane, with the root namespace's `netns add`s spread over lanes of their own. */
function spreadLanes(
  items: readonly { action: RunAction; lane: string }[],
  host: string,
  spread: Spread,
): string[] {
  const isAdd = (i: { action: RunAction; lane: string }) =>
    i.lane === "root" && host === "root" && i.action.argv[1] === "netns" &&
    i.action.argv[2] === "add";
  const adds = items.filter(isAdd).length;
  const count = Math.max(
    1,
    Math.min(spread.netnsAddLanes ?? 1, Math.floor(adds / NETNS_ADDS_PER_LANE)),
  );
  if (count === 1) return items.map((i) => i.lane);
  const perLane = Math.ceil(adds / count);
  let k = 0;
  return items.map((i) => (isAdd(i) ? `${NETNS_ADD_LANE}${Math.floor(k++ / perLane)}` : i.lane));
}

/**
 * Splits a sequence of schedulable actions (each with its lane, from {@link laneOf}) into levels:
 * levels run one after the other; the lanes of one level are independent of each other.
 * Returns, per level, the lanes in first-appearance order, each with its actions in plan order.
 *
 * `host` is the lane that plays the root namespace's part: `root`, or for a sandboxed lab
 * (lib/lab/sandbox.ts) `ns:P`, its parent namespace. Its commands keep their order with OVS
 * commands on the same names like root commands do; one that creates or moves a link into
 * namespace X (`... netns X`) comes after `netns add X` and before every later command inside X.
 *
 * `spread` (see {@link Spread}) lets a long bring-up use more processes: the root namespace's
 * `netns add`s in parallel lanes of their own, and the host lane cut into chunks.
 */
export function levelsOf(
  items: readonly { action: RunAction; lane: string }[],
  host = "root",
  spread: Spread = {},
): Scheduled[][][] {
  const lanes = spreadLanes(items, host, spread);
  const laneLevel = new Map<string, number>();
  const mention = new Map<string, number>(); // word -> highest level of a root command naming it
  const hostMention = new Map<string, number>(); // namespace -> level of a host-lane `netns X`
  const added = new Map<string, number>(); // namespace -> level of its `netns add` in its own lane
  const rootName = new Map<string, number>(); // interface -> highest level of a root command on it
  const ovsName = new Map<string, number>(); // interface -> highest level of an ovs command on it
  let maxAll = -1, floor = 0;
  const levelOf: number[] = [];
  const after = (map: Map<string, number>, names: string[], level: number) =>
    names.reduce((l, n) => Math.max(l, (map.get(n) ?? -1) + 1), level);
  const raise = (map: Map<string, number>, names: string[], level: number) => {
    for (const n of names) map.set(n, Math.max(map.get(n) ?? -1, level));
  };
  const hostChunk = { level: -1, size: 0 }; // the host lane's current chunk
  items.forEach(({ action }, index) => {
    const lane = lanes[index]!;
    let level = Math.max(floor, laneLevel.get(lane) ?? 0);
    const words = action.argv;
    const names = namesOf(words);
    const hostNs = lane !== "root" && lane === host;
    const targets = hostNs ? netnsTargets(words.slice(3)) : [];
    const inside = insideOf(lane);
    if (inside !== undefined) {
      level = Math.max(level, (mention.get(inside) ?? -1) + 1, (hostMention.get(inside) ?? -1) + 1);
    }
    // What is made in or configured inside X after X's sysctls waits for them: a `default` key
    // is the template of the interfaces created after it.
    const made = lane === "root" && words[1] !== "netns" ? netnsTargets(words.slice(1)) : targets;
    for (const ns of lane.startsWith("ns:") && !hostNs ? [lane.slice(3), ...made] : made) {
      level = Math.max(level, (laneLevel.get(`sysctl:${ns}`) ?? -1) + 1);
    }
    if (lane.startsWith(NETNS_ADD_LANE)) {
      // `netns add X`: after whatever root command named X before (a `netns delete X`).
      level = after(mention, words.slice(3, 4), level);
    } else if (lane === "root" || hostNs) {
      level = after(ovsName, names, level);
      // `netns delete X` waits for everything that runs inside X
      if (lane === "root" && words[1] === "netns" && words[2] !== "add") {
        for (const inner of [`ns:${words[3]}`, `sysctl:${words[3]}`]) {
          level = Math.max(level, (laneLevel.get(inner) ?? -1) + 1);
        }
      }
      // a link created in or moved to X, or `netns delete X`, waits for `netns add X` (which may
      // run in a lane of its own: see Spread)
      level = after(mention, targets, level);
      if (lane === "root") {
        level = after(added, words[1] === "netns" ? words.slice(3, 4) : netnsTargets(words), level);
      }
    } else if (lane === "ovs") {
      level = after(rootName, names, level);
    } else if (words[1] === "-n" && words.slice(3).includes("netns")) {
      level = Math.max(level, maxAll + 1);
      floor = level + 1;
    }
    if (lane === host && spread.hostChunk !== undefined) {
      // A long host batch is cut into chunks, each a level of its own: what waits only for an
      // earlier chunk (a namespace whose veth it made) runs beside the next one.
      if (level === hostChunk.level && hostChunk.size >= spread.hostChunk) level++;
      if (level !== hostChunk.level) hostChunk.level = level, hostChunk.size = 0;
      hostChunk.size++;
    }
    levelOf.push(level);
    laneLevel.set(lane, level);
    maxAll = Math.max(maxAll, level);
    if (lane === "root" || lane.startsWith(NETNS_ADD_LANE)) raise(mention, words, level);
    if (lane.startsWith(NETNS_ADD_LANE)) raise(added, words.slice(3, 4), level);
    if (lane === "root" || hostNs) raise(rootName, names, level);
    if (hostNs) raise(hostMention, targets, level);
    else if (lane === "ovs") raise(ovsName, names, level);
  });
  const levels: Map<string, Scheduled[]>[] = [];
  items.forEach(({ action }, index) => {
    const lane = lanes[index]!;
    const level = levelOf[index]!;
    while (levels.length <= level) levels.push(new Map());
    const atLevel = levels[level]!;
    if (!atLevel.has(lane)) atLevel.set(lane, []);
    atLevel.get(lane)!.push({ action, lane, index });
  });
  // The root batch and the OVS transaction first: the namespaces' small batches fill in beside.
  const rank = (lane: string) => (insideOf(lane) !== undefined ? 1 : 0);
  return levels.filter((l) => l.size > 0).map((l) =>
    [...l.values()].sort((a, b) => rank(a[0]!.lane) - rank(b[0]!.lane))
  );
}

/** ARG_MAX is far larger; this keeps one `ovs-vsctl` command line to a sane size. */
const OVS_CHUNK_CHARS = 64_000;

/**
 * Joins `ovs-vsctl` commands into as few transactions as the size limit allows; each comes with
 * the number of commands it holds.
 */
export function mergeOvs(
  argvs: readonly (readonly string[])[],
): { argv: string[]; count: number }[] {
  const out: { argv: string[]; count: number }[] = [];
  let current: { argv: string[]; count: number } | undefined;
  let size = 0;
  for (const argv of argvs) {
    const length = argv.reduce((n, w) => n + w.length + 1, 0);
    if (current && size + length > OVS_CHUNK_CHARS) out.push(current), current = undefined;
    if (!current) current = { argv: ["ovs-vsctl", ...argv.slice(1)], count: 1 }, size = length;
    else current.argv.push("--", ...argv.slice(1)), current.count++, size += length + 3;
  }
  if (current) out.push(current);
  return out;
}

/** Runs `fn` over `items` with at most `limit` at a time; settles all, in order. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: "fulfilled", value: await fn(items[i]!) };
      } catch (reason) {
        results[i] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * The namespaces that these undo actions delete (`ip netns delete X`): whatever lives inside
 * them goes with them, so their own undo commands need not run.
 */
export function deletedNamespaces(actions: readonly Action[]): Set<string> {
  const out = new Set<string>();
  for (const a of actions) {
    if (isRun(a) && a.argv[0] === "ip" && a.argv[1] === "netns" && a.argv[3] !== undefined) {
      if (a.argv[2] === "delete" || a.argv[2] === "del") out.add(a.argv[3]);
    }
  }
  return out;
}

/**
 * The OVS bridges that these undo actions delete (a mark-checked bridge removal, or
 * `ovs-vsctl [--if-exists] del-br BR`).
 */
export function deletedBridges(actions: readonly Action[]): Set<string> {
  const out = new Set<string>();
  for (const a of actions) {
    if ("ovsRemove" in a && a.ovsRemove === "bridge") out.add(a.name);
    if (!isRun(a) || a.argv[0] !== "ovs-vsctl") continue;
    const words = a.argv.filter((w) => w !== "--if-exists");
    if (words.length === 3 && words[1] === "del-br") out.add(words[2]!);
  }
  return out;
}

/**
 * The journal keys of Linux bridge ports (`bridge-port:NS/BR/PORT`, see bridgeAttach) whose
 * bridge (`bridge:NS/BR`, see linuxBridge) is undone with them: deleting a bridge releases all
 * its ports at once, where `ip link set dev PORT nomaster` one by one costs about a millisecond
 * each at 1,000 ports.
 */
export function releasedWithBridge(keys: readonly string[]): Set<string> {
  const bridges = new Set(keys.filter((k) => k.startsWith("bridge:")).map((k) => k.slice(7)));
  return new Set(keys.filter((k) => {
    const m = /^bridge-port:([^/]*\/[^/]+)\/[^/]+$/.exec(k);
    return m !== null && bridges.has(m[1]!);
  }));
}

/**
 * True for the removal of a port of one of `bridges` (a mark-checked one, or `ovs-vsctl
 * [--if-exists] del-port BR PORT`): removing the bridge removes it.
 */
export function removedWithBridge(action: Action, bridges: ReadonlySet<string>): boolean {
  if ("ovsRemove" in action) {
    return action.ovsRemove === "port" && bridges.has(action.bridge ?? "");
  }
  if (!isRun(action) || action.argv[0] !== "ovs-vsctl") return false;
  const words = action.argv.filter((w) => w !== "--if-exists");
  return words.length === 4 && words[1] === "del-port" && bridges.has(words[2]!);
}

/** True for a command that runs inside one of `namespaces` (`ip -n X ...`, `ip netns exec X`). */
export function runsInside(action: Action, namespaces: ReadonlySet<string>): boolean {
  if (!isRun(action) || action.argv[0] !== "ip") return false;
  const a = action.argv;
  if (a[1] === "-n") return namespaces.has(a[2] ?? "") && !a.includes("netns");
  return a[1] === "netns" && a[2] === "exec" && namespaces.has(a[3] ?? "");
}
