/**
 * The parts of a containerlab node that a namespace honours beyond `exec` (lib/lab/clab.ts):
 *
 * - FRR routers: a node that binds FRR's `daemons` and `frr.conf`
 *   (`binds: [router1/frr.conf:/etc/frr/frr.conf, router1/daemons:/etc/frr/daemons]`, the most
 *   common open router in containerlab labs) runs this host's FRR in its namespace with the
 *   bound configuration, checked line by line (lib/lab/frr_config.ts: routing and interface
 *   configuration only; each refused line is named). The `daemons` file is read as data, never
 *   run: it says which of ospfd, ospf6d and bgpd run. Addresses the configuration gives the
 *   node's linked interfaces become the lab's own (netkit sets them; proofs see them).
 * - A keep-alive `cmd` (`sleep infinity`, `tail -f /dev/null`, a bare shell): a container needs
 *   one to stay up, a namespace does not; ignored with a notice. Any other command is refused.
 *
 * Bound files are read through the reader the caller gives (lib/lab/file.ts: paths relative to
 * the topology file that stay inside its directory); this module reads nothing itself.
 *
 * @module
 */
import { readFrrDaemons, splitFrrConfig } from "./frr_config.ts";

/** Reads a bound file by its path as the topology writes it; throws with the reason it cannot. */
export type BoundFileReader = (path: string) => string;

/** The container paths of FRR's files that netkit reads, and what each is. */
const FRR_BINDS: Record<string, "config" | "daemons" | "ignored"> = {
  "/etc/frr/frr.conf": "config",
  "/etc/frr/daemons": "daemons",
  "/etc/frr/vtysh.conf": "ignored",
};

/** A `cmd` that only keeps a container alive. */
const KEEP_ALIVE =
  /^(sleep (infinity|\d+)|tail -f \/dev\/null|(ba|a)?sh|(ash|sh|bash) -c ["']sleep (infinity|\d+)["'])$/;

/**
 * Why a node's `cmd` is refused, or undefined when it only keeps a container alive (a namespace
 * needs none: the caller notes that it is ignored).
 */
export function keepAliveProblem(cmd: unknown): string | undefined {
  if (typeof cmd === "string" && KEEP_ALIVE.test(cmd.trim())) return undefined;
  return `cmd ${JSON.stringify(cmd)} refused: netkit runs no container command; ` +
    "a keep-alive (sleep infinity, tail -f /dev/null, sh) is ignored";
}

/** What a node's FRR binds make of it. */
interface FrrBinds {
  /** The lab's `routing` for the node (FRR's configuration, and the daemons to run). */
  routing?: { config: string; daemons?: ("ospfd" | "ospf6d" | "bgpd")[] };
  /** Addresses the configuration gives interfaces other than `lo`. */
  addresses: { iface: string; cidr: string }[];
  /** Problems, each with the index of its bind in the list. */
  problems: { bind: number; message: string }[];
  /** Notices, each with the index of its bind. */
  notices: { bind: number; message: string }[];
}

/**
 * Reads a node's `binds` (a list of `HOST:CONTAINER[:MODE]`): FRR's `frr.conf` and `daemons`
 * are read through `read`; any other bind is refused (netkit builds namespaces, not containers).
 */
export function readFrrBinds(binds: unknown, read: BoundFileReader | undefined): FrrBinds {
  const out: FrrBinds = { addresses: [], problems: [], notices: [] };
  if (!Array.isArray(binds)) {
    out.problems.push({ bind: -1, message: "binds is a list of HOST:CONTAINER paths" });
    return out;
  }
  let config: { text: string; bind: number; host: string } | undefined;
  let daemons: { text: string; bind: number; host: string } | undefined;
  binds.forEach((bind, k) => {
    const problem = (message: string) => out.problems.push({ bind: k, message });
    const [host = "", target = "", mode, ...extra] = typeof bind === "string"
      ? bind.split(":")
      : [];
    const what = Object.hasOwn(FRR_BINDS, target) ? FRR_BINDS[target] : undefined;
    if (
      typeof bind !== "string" || extra.length ||
      (mode !== undefined && mode !== "ro" && mode !== "rw")
    ) {
      return problem(`bind ${JSON.stringify(bind)} is not HOST:CONTAINER[:ro]`);
    }
    if (what === undefined) {
      return problem(
        `bind ${JSON.stringify(bind)} refused: netkit builds namespaces, not containers; ` +
          "it reads only FRR's /etc/frr/frr.conf and /etc/frr/daemons",
      );
    }
    if (what === "ignored") {
      out.notices.push({ bind: k, message: `${target} ignored: netkit runs vtysh its own way` });
      return;
    }
    if (read === undefined) {
      return problem(
        `bind ${JSON.stringify(bind)}: bound files are read only from a topology file`,
      );
    }
    let text: string;
    try {
      text = read(host);
    } catch (error) {
      return problem(`bind ${JSON.stringify(bind)}: ${(error as Error).message}`);
    }
    if (what === "config") config = { text, bind: k, host };
    else daemons = { text, bind: k, host };
  });
  if (config === undefined) {
    if (daemons !== undefined) {
      out.problems.push({ bind: daemons.bind, message: "FRR's daemons file without frr.conf" });
    }
    return out;
  }
  const split = splitFrrConfig(config.text);
  for (const p of split.problems) {
    out.problems.push({
      bind: config.bind,
      message: `${config.host} line ${p.line} ${JSON.stringify(p.text)} refused: ${p.message}`,
    });
  }
  out.addresses = split.addresses.filter((a) => a.iface !== "lo");
  out.routing = { config: config.text };
  if (daemons !== undefined) {
    const d = readFrrDaemons(daemons.text);
    for (const p of d.problems) {
      out.problems.push({
        bind: daemons.bind,
        message: `${daemons.host} line ${p.line} ${JSON.stringify(p.text)}: ${p.message}`,
      });
    }
    if (d.notRun.length) {
      out.notices.push({
        bind: daemons.bind,
        message: `${daemons.host} turns on ${d.notRun.join(", ")}: not run (netkit runs zebra, ` +
          "ospfd, ospf6d and bgpd)",
      });
    }
    out.routing.daemons = [...d.enabled] as ("ospfd" | "ospf6d" | "bgpd")[];
  }
  return out;
}
