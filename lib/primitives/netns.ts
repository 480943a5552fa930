/**
 * Network namespaces and their per-namespace settings.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { checkNsName } from "../names.ts";
import { sysctlKeyProblem, sysctlValueProblem } from "../reach.ts";
import { cmd, inNs, ip, type Step } from "../plan/step.ts";

/**
 * `ip netns add NAME` (and `ip -n NAME link set dev lo up`): a new network namespace with its
 * loopback up. Undo: `ip netns delete NAME`, which also removes every interface inside it.
 *
 * @param name The namespace name (at most 32 bytes).
 * @returns The step; nothing runs until an executor applies it.
 * @throws {UsageError} When the name is invalid.
 * @example A namespace, as a step (`await lab.add(createNs("ns1"))` creates it in a lab)
 * ```ts
 * import { createNs } from "../../mod.ts";
 * const step = createNs("ns1");
 * console.log(step.do.map((a) => "argv" in a ? a.argv.join(" ") : ""));
 * // [ "ip netns add ns1", "ip -n ns1 link set dev lo up" ]
 * ```
 */
export function createNs(name: string): Step {
  checkNsName(name);
  return {
    key: `netns:${name}`,
    summary: `create namespace ${name}`,
    do: [ip(undefined, "netns", "add", name), ip(name, "link", "set", "dev", "lo", "up")],
    undo: [ip(undefined, "netns", "delete", name)],
  };
}

/**
 * `ip netns delete NAME`: removes a namespace and every interface inside it. It has no undo.
 *
 * @example Delete a namespace made earlier
 * ```ts
 * import { deleteNs } from "../../mod.ts";
 * const step = deleteNs("ns-old"); // run it with `await lab.add(step)`
 * ```
 */
export function deleteNs(name: string): Step {
  checkNsName(name);
  return {
    key: `netns-delete:${name}`,
    summary: `delete namespace ${name}`,
    do: [ip(undefined, "netns", "delete", name)],
    undo: [],
  };
}

/**
 * `ip netns exec NS sysctl -w KEY=VALUE`: sets a sysctl inside a namespace (never the host's).
 * Undo sets `undoValue` when given; otherwise the value goes away with the namespace. Only keys
 * of the namespace's own (`net.*`, less the host-wide ones) and printable values are accepted:
 * see `sysctlKeyProblem` in lib/reach.ts.
 *
 * @throws {UsageError} When the key is not the namespace's own or the value is not printable.
 *
 * @example Turn off IPv6 in a namespace
 * ```ts
 * import { sysctl } from "../../mod.ts";
 * sysctl("ns1", "net.ipv6.conf.all.disable_ipv6", "1");
 * ```
 */
export function sysctl(ns: string, key: string, value: string, undoValue?: string): Step {
  checkNsName(ns);
  for (const v of [value, ...(undoValue === undefined ? [] : [undoValue])]) {
    const bad = sysctlKeyProblem(key) ?? sysctlValueProblem(key, v);
    if (bad) throw new UsageError(`Cannot set sysctl in ${ns}: ${bad}`);
  }
  return {
    key: `sysctl:${ns}/${key}`,
    summary: `set ${key}=${value} in ${ns}`,
    do: [cmd(...inNs(ns, ["sysctl", "-q", "-w", `${key}=${value}`]))],
    undo: undoValue === undefined
      ? []
      : [cmd(...inNs(ns, ["sysctl", "-q", "-w", `${key}=${undoValue}`]))],
  };
}

/**
 * `ip netns exec NS sysctl -w net.ipv4.ip_forward=1`: turns IPv4 forwarding on inside one
 * namespace. Forwarding is per namespace: the host's own setting is never touched (a common slip
 * is to set it in the root namespace). Undo turns it off again.
 *
 * @example Make namespace rt a router
 * ```ts
 * import { ipForward } from "../../mod.ts";
 * ipForward("rt");
 * ```
 */
export function ipForward(ns: string): Step {
  return { ...sysctl(ns, "net.ipv4.ip_forward", "1", "0"), key: `forward:${ns}` };
}

/**
 * `ip netns exec NS sysctl -w net.ipv6.conf.all.forwarding=1`: turns IPv6 forwarding on inside
 * one namespace (never the host's). Undo turns it off again.
 *
 * @example Make namespace rt an IPv6 router
 * ```ts
 * import { ipv6Forward } from "../../mod.ts";
 * ipv6Forward("rt");
 * ```
 */
export function ipv6Forward(ns: string): Step {
  return { ...sysctl(ns, "net.ipv6.conf.all.forwarding", "1", "0"), key: `forward6:${ns}` };
}
