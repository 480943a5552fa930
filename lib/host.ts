/**
 * The host context: every "where" and "how" netkit decides about the machine it runs on, decided
 * once at the edge and handed down. The CLI resolves it in main.ts; a script gets one from
 * {@link resolveHost} (which `openLab()`, `upLab()`, `downLab()` and the other library entry
 * points call when given none). Lower layers receive a {@link Host}; they never read the
 * environment or choose a runner themselves.
 *
 * The environment variables netkit reads, all of them and only here ({@link readEnvironment}):
 *
 * - `NETKIT_STATE_DIR`: where labs are recorded (default `/run/netkit`);
 * - `NETKIT_OVS`: `auto` (default: the system's Open vSwitch when one answers, else netkit's
 *   private one), `system` or `private`;
 * - `NETKIT_OVS_DIR`: the private OVS's run directory (default `/run/netkit/ovs`);
 * - `NETKIT_ROOTLESS_INNER`, `NETKIT_ROOTLESS_HOLDER`, `XDG_RUNTIME_DIR`: rootless mode (see
 *   lib/lab/rootless.ts);
 * - `PATH`: where the tools a plan calls are looked for; `NO_COLOR`: no colour in tables;
 * - `COLUMNS`: the width tables fit (without a terminal; lib/cli/render.ts); `SHELL`: the shell
 *   `netkit exec NODE` opens (lib/cli/exec.ts);
 * - `XDG_CACHE_HOME`, `HOME`: netkit's cache on this machine (the bundle a multi-host controller
 *   copies to its hosts, lib/multihost/program.ts).
 *
 * @module
 */
import { UsageError } from "./errors.ts";
import { ProcessRunner, type Runner } from "./exec/runner.ts";

/** How a new lab's Open vSwitch is chosen. */
export type OvsMode = "auto" | "system" | "private";

/** The environment, as netkit reads it (once, in {@link readEnvironment}). */
export interface Environment {
  /** `NETKIT_STATE_DIR`. */
  stateDir?: string | undefined;
  /** `NETKIT_OVS`. */
  ovs?: string | undefined;
  /** `NETKIT_OVS_DIR`. */
  ovsDir?: string | undefined;
  /** `NETKIT_ROOTLESS_INNER=1`: this process runs inside the rootless namespaces. */
  rootlessInner: boolean;
  /** `NETKIT_ROOTLESS_HOLDER=1`: this process is the rootless namespaces' holder. */
  rootlessHolder: boolean;
  /** `XDG_RUNTIME_DIR`. */
  xdgRuntimeDir?: string | undefined;
  /** `PATH`. */
  path?: string | undefined;
  /** `NO_COLOR` is set (to anything but the empty string). */
  noColor: boolean;
  /** `XDG_CACHE_HOME`. */
  xdgCacheHome?: string | undefined;
  /** `HOME`. */
  home?: string | undefined;
  /** `COLUMNS`. */
  columns?: string | undefined;
  /** `SHELL`. */
  shell?: string | undefined;
}

/** The one place netkit reads environment variables. */
export function readEnvironment(): Environment {
  const get = (name: string) => Deno.env.get(name);
  return {
    stateDir: get("NETKIT_STATE_DIR"),
    ovs: get("NETKIT_OVS"),
    ovsDir: get("NETKIT_OVS_DIR"),
    rootlessInner: get("NETKIT_ROOTLESS_INNER") === "1",
    rootlessHolder: get("NETKIT_ROOTLESS_HOLDER") === "1",
    xdgRuntimeDir: get("XDG_RUNTIME_DIR"),
    path: get("PATH"),
    noColor: !!get("NO_COLOR"),
    xdgCacheHome: get("XDG_CACHE_HOME"),
    home: get("HOME"),
    columns: get("COLUMNS"),
    shell: get("SHELL"),
  };
}

/** Where and how netkit works on this host. Resolved once; see the module doc. */
export interface Host {
  /** netkit's state on this host: `labs/<lab>/` for each lab (see lib/state.ts). */
  readonly stateRoot: string;
  /** How a new lab's Open vSwitch is chosen (see lib/ovs/instance.ts). */
  readonly ovsMode: OvsMode;
  /** The private Open vSwitch's run directory: one per host, whatever `stateRoot` says. */
  readonly privateOvsDir: string;
  /** Runs every command. */
  readonly runner: Runner;
  /**
   * Labs live in the user's own user namespace (rootless mode, lib/lab/rootless.ts): the daemons
   * of a plan keep the namespace's root, and the SNAT proof counts with nftables.
   */
  readonly rootless: boolean;
  /** Directories searched for the tools a plan calls (`PATH`). */
  readonly path: readonly string[];
  /**
   * netkit's cache on this machine (`$XDG_CACHE_HOME/netkit`, else `~/.cache/netkit`): what a
   * multi-host controller builds once and copies to its hosts (lib/multihost/program.ts).
   */
  readonly cacheDir: string;
}

const DEFAULT_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * Resolves the host context from the environment; `overrides` win over what the environment
 * says.
 *
 * @param overrides Fields to set instead of reading them (a runner that records, another state
 * directory, ...).
 * @param env The environment to read. @default {@link readEnvironment}()
 * @returns The host context.
 * @throws {UsageError} When `NETKIT_OVS` is not auto, system or private.
 * @example A host whose commands are recorded, not run
 * ```ts
 * import { RecordingRunner, resolveHost } from "../mod.ts";
 * const host = resolveHost({ runner: new RecordingRunner(), stateRoot: "/tmp/netkit-demo" });
 * console.log(host.ovsMode, host.privateOvsDir);
 * ```
 */
export function resolveHost(
  overrides: Partial<Host> = {},
  env: Environment = readEnvironment(),
): Host {
  const mode = env.ovs || "auto";
  if (overrides.ovsMode === undefined && !["auto", "system", "private"].includes(mode)) {
    throw new UsageError(`Invalid NETKIT_OVS=${JSON.stringify(mode)}`, {
      hint: "use auto, system or private",
    });
  }
  return {
    stateRoot: env.stateDir || "/run/netkit",
    ovsMode: mode as OvsMode,
    privateOvsDir: env.ovsDir || "/run/netkit/ovs",
    runner: new ProcessRunner(),
    rootless: env.rootlessInner,
    path: (env.path ?? DEFAULT_PATH).split(":").filter(Boolean),
    cacheDir: `${env.xdgCacheHome || `${env.home || "/root"}/.cache`}/netkit`,
    ...overrides,
  };
}

/** Throws {@link UsageError} unless this process runs as root (`what` names the action). */
export function requireRoot(what = "This command"): void {
  if (Deno.uid() !== 0) {
    throw new UsageError(`${what} needs root: it creates namespaces and interfaces`, {
      hint: "run it with sudo",
    });
  }
}
