/**
 * How the executor runs commands inside a lab namespace: the argv of one namespace's
 * `ip -batch` and of a command such as `sysctl` that only needs the namespace's network stack.
 *
 * Both join the namespace with `nsenter --net=/run/netns/NS` rather than `ip -n NS` or
 * `ip netns exec NS`. The effect is the same: the same netlink requests (or `/proc/sys/net`
 * writes) in the same network namespace. But `ip -n` and `ip netns exec` also unshare a mount
 * namespace and remount `/sys` for the namespace, and unsharing copies the mount table, which
 * holds one mount per named namespace: at 1,000 namespaces that made each call about 5 ms slower
 * than at 10 (measured here, see bench/RESULTS.md), a cost per namespace that grew with the
 * number of namespaces. `nsenter --net` costs the same at any count.
 *
 * Dry-run and `export` show each command as the plan holds it (`ip -n NS ...`,
 * `ip netns exec NS sysctl ...`): what a person would type, with the identical effect. The real
 * runner may carry both argv shapes out in-process (lib/exec/in_process.ts).
 *
 * @module
 */

/** Where iproute2 keeps the bind mounts of named namespaces (its NETNS_RUN_DIR). */
const NETNS_RUN_DIR = "/run/netns";

/**
 * `argv` run inside the network namespace `ns` (and nothing else of it):
 * `nsenter --net=/run/netns/NS ARGV...`.
 */
export function inNetns(ns: string, argv: readonly string[]): string[] {
  return ["nsenter", `--net=${NETNS_RUN_DIR}/${ns}`, ...argv];
}

/**
 * The argv of one `ip -batch -` (commands on standard input) in namespace `ns`; `""` is the
 * executor's own namespace. `force`: run every line even after one fails (`ip -force`).
 */
export function ipBatchArgv(ns: string, force = false): string[] {
  const ip = force ? ["ip", "-force", "-batch", "-"] : ["ip", "-batch", "-"];
  return ns === "" ? ip : inNetns(ns, ip);
}

/**
 * The namespace file of an argv made by {@link ipBatchArgv} for a namespace (without `force`),
 * `/run/netns/NS`; undefined for any other argv.
 */
export function ipBatchNetnsPath(argv: readonly string[]): string | undefined {
  const [nsenter, net, ...ip] = argv;
  if (nsenter !== "nsenter" || !net?.startsWith(`--net=${NETNS_RUN_DIR}/`)) return undefined;
  return ip.join(" ") === "ip -batch -" ? net.slice("--net=".length) : undefined;
}

/**
 * The argv that sets network sysctls `sets` (`KEY=VALUE`) in namespace `ns`:
 * `nsenter --net=/run/netns/NS sysctl -q -w KEY=VALUE...`.
 */
export function sysctlArgv(ns: string, sets: readonly string[]): string[] {
  return inNetns(ns, ["sysctl", "-q", "-w", ...sets]);
}

/**
 * The namespace file and the `KEY=VALUE` words of an argv made by {@link sysctlArgv} whose every
 * key is a network sysctl (`net.` and letters, digits, `_`, `-`, `.`); undefined for any other.
 */
export function sysctlArgvParts(
  argv: readonly string[],
): { nsPath: string; sets: string[] } | undefined {
  const [nsenter, net, sysctl, q, w, ...sets] = argv;
  if (nsenter !== "nsenter" || !net?.startsWith(`--net=${NETNS_RUN_DIR}/`)) return undefined;
  if (sysctl !== "sysctl" || q !== "-q" || w !== "-w" || sets.length === 0) return undefined;
  if (!sets.every((s) => /^net\.[a-z0-9_.-]+=[^=\s]*$/.test(s))) return undefined;
  return { nsPath: net.slice("--net=".length), sets };
}
