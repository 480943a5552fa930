/**
 * The controller side of a multi-host lab: `upMultihost()` and `downMultihost()`, with status,
 * check and exec over every host.
 *
 * How a bring-up goes:
 *
 * 1. The lab was validated once (its file, with positions); the inventory maps its host roles to
 *    machines (inventory.ts). A role without a machine is refused.
 * 2. Every host is reached over SSH (one control-master connection each) and read, nothing
 *    changed: the interface holding its underlay address, that network and its MTU. A host that
 *    cannot be reached, or does not hold its underlay address, is refused by name; so is a lab
 *    address that overlaps an underlay network. Exit 2, nothing changed anywhere.
 * 3. The split (split.ts): one part per host, a VNI per link between hosts, the lab MTU.
 * 4. Each host gets this very netkit (program.ts) and says which VXLAN VNIs it already uses
 *    (`netkit part vnis`): one the lab would use there with the same port is refused by VNI,
 *    host and who has it, exit 2, nothing built anywhere. Then the controller's record is
 *    written (record.ts), and each host gets its part, which it brings up with its own executor
 *    and journal (part.ts), all hosts in parallel, progress streamed back. What a part may reach
 *    is on its `part up` command line ({@link partUpArgv}), never only in the part.
 * 5. Two phases: when every host reports its part prepared, each is told to commit; when any
 *    fails, every other is told to abort and removes its part. A host whose connection is lost
 *    removes its part by itself once it notices the controller is gone.
 *
 * Why netkit runs on each host, instead of the controller sending each `ip` command over SSH:
 * a host's plan depends on facts only that host knows (its OVS, its state directory, its NICs),
 * daemon files and the journal must be on the host, `netkit down LAB` on the host alone must
 * work after a controller crash (it needs the host's own lab state and journal), and one SSH
 * session per host is far fewer round trips than one per command batch.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Host } from "../host.ts";
import { CommandError, linesOf, type Process, type Runner, textOf } from "../exec/runner.ts";
import { SSH_FAILED, SshRunner } from "../exec/ssh_runner.ts";
import type { Lab } from "../lab/schema.ts";
import { LabValidationError } from "../lab/validate.ts";
import type { LabStatus } from "../lab/status.ts";
import type { CheckResult } from "../check/probes.ts";
import { multihostRecordDir, withFileLock } from "../state.ts";
import { checkLabName } from "../names.ts";
import { join } from "node:path";
import { DEFAULT_CACHE, describeHost, type HostSpec, type Inventory } from "./inventory.ts";
import type { PartMessage, PartRequest } from "./part.ts";
import {
  ensureBundle,
  localArgv,
  provision,
  remoteProgram,
  type SelfProgram,
  selfProgram,
} from "./program.ts";
import {
  type MultihostRecord,
  readRecord,
  type RecordHost,
  removeRecord,
  writeRecord,
} from "./record.ts";
import { overlaps, type Split, splitLab, vniClashes, type VniUse } from "./split.ts";
import { tunnelName } from "../reach.ts";
import { hostOf } from "./validate.ts";
import type { UplinkProtocol } from "../uplink_lan.ts";

/** One host as the controller reaches it. */
interface HostConnection {
  role: string;
  spec: HostSpec;
  /** The host context's runner for a `local` role, an {@link SshRunner} wrapping it otherwise. */
  runner: Runner;
}

/**
 * The connections to a lab's hosts: one SSH control master per remote host, closed (and its
 * socket directory removed) on dispose.
 */
class HostConnections implements AsyncDisposable {
  private constructor(
    readonly hosts: Map<string, HostConnection>,
    private readonly controlDir: string,
  ) {}

  /** Prepares runners for `roles` (nothing connects until the first command). */
  static async open(
    host: Host,
    specs: Record<string, HostSpec>,
    roles: readonly string[],
    sshConfig?: string,
  ): Promise<HostConnections> {
    const controlDir = await Deno.makeTempDir({ prefix: "netkit-ssh-" });
    const hosts = new Map<string, HostConnection>();
    for (const role of roles) {
      const spec = specs[role]!;
      const runner = spec.local ? host.runner : new SshRunner({
        destination: spec.ssh!,
        port: spec.port,
        configFile: sshConfig,
      }, { local: host.runner, controlDir });
      hosts.set(role, { role, spec, runner });
    }
    return new HostConnections(hosts, controlDir);
  }

  /** The connection of `role`. */
  get(role: string): HostConnection {
    return this.hosts.get(role)!;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(
      [...this.hosts.values()].map((h) =>
        h.runner instanceof SshRunner ? h.runner.close() : Promise.resolve()
      ),
    );
    await Deno.remove(this.controlDir, { recursive: true }).catch(() => {});
  }
}

/** What the controller reads from a host before changing anything. */
interface HostFacts {
  /** The interface holding the underlay address. */
  iface: string;
  /** The underlay network as `address/prefix`. */
  network: string;
  /** The underlay MTU (the interface's, or the inventory's). */
  mtu: number;
}

/** A host could not be reached or is not as the inventory says: bad input, exit 2. */
function unreachable(conn: HostConnection, error: unknown): UsageError {
  const detail = error instanceof CommandError
    ? error.stderr.trim().split("\n").slice(-1)[0] || `exit ${error.code}`
    : error instanceof Error
    ? error.message
    : String(error);
  return new UsageError(
    `Host ${conn.role} (${describeHost(conn.spec)}) is unreachable: ${detail}`,
    { where: `--hosts: ${conn.role}`, hint: "check the inventory, the network and sshd there" },
  );
}

/** Reads a host's underlay interface, network and MTU (`ip -j -4 addr show`). */
async function readFacts(conn: HostConnection): Promise<HostFacts> {
  let text: string;
  try {
    text = (await conn.runner.run(["ip", "-j", "-4", "addr", "show"])).stdout;
  } catch (error) {
    throw unreachable(conn, error);
  }
  const links = JSON.parse(text || "[]") as {
    ifname: string;
    mtu: number;
    addr_info?: { local: string; prefixlen: number }[];
  }[];
  for (const link of links) {
    const a = link.addr_info?.find((i) => i.local === conn.spec.underlay);
    if (a) {
      return {
        iface: link.ifname,
        network: `${a.local}/${a.prefixlen}`,
        mtu: conn.spec.mtu ?? link.mtu,
      };
    }
  }
  throw new UsageError(
    `Host ${conn.role} (${describeHost(conn.spec)}) has no address ${conn.spec.underlay}, ` +
      "its underlay address in the inventory",
    { where: `--hosts: ${conn.role}.underlay` },
  );
}

/** Options for {@link upMultihost}. */
interface UpMultihostOptions {
  /** The controller's cache (a bundle built from a source checkout). @default host.cacheDir */
  cacheDir?: string;
  /**
   * The host NICs the command line allows as a bridge's uplink (`--uplink NIC`), passed on to
   * the host whose part has that bridge. @default []
   */
  uplinks?: readonly string[];
  /**
   * What may run on an uplink's LAN (`--uplink-allow`, lib/uplink_lan.ts), passed on with the
   * uplinks. @default []
   */
  uplinkAllow?: readonly UplinkProtocol[];
  /** Progress of one host's part. */
  onProgress?: (role: string, index: number, total: number, summary: string) => void;
  /** Called for each phase: reading hosts, copying netkit, bringing parts up. */
  onPhase?: (phase: "facts" | "provision" | "up" | "commit", detail?: string) => void;
  /** Called once the hosts are prepared, before commit (tests: crash trials). */
  onPrepared?: () => Promise<void> | void;
  /** How this netkit runs (tests). @default selfProgram() */
  self?: SelfProgram;
  /** Run every host's proofs right after the commit. @default false */
  check?: boolean;
}

/** What {@link upMultihost} did. */
interface UpMultihostResult {
  record: MultihostRecord;
  already: boolean;
  /** Steps per host. */
  steps: Record<string, number>;
  /** Files copied to hosts (netkit itself). */
  copied: Record<string, number>;
  ms: number;
  /** Every host's proofs (when asked for), run right after the commit. */
  checks: HostCheckResult[];
  /** Every host's part as it is now. */
  status: Record<string, LabStatus | null>;
}

/** A host's part failed; carries the role and whether it was bad input. */
class PartError extends Error {
  constructor(readonly role: string, message: string, readonly usage: boolean) {
    super(`host ${role}: ${message}`);
    this.name = "PartError";
  }
}

interface Outcome {
  code: number;
  committed: boolean;
  /** What the host reported with its commit: its proofs and status. */
  report?: { checks: CheckResult[]; status: LabStatus | null };
  rolledBack: boolean;
  stderr: string;
}

/** One host's `part up` conversation (see part.ts). */
class PartSession {
  readonly prepared: Promise<{ steps: number; already: boolean }>;
  readonly outcome: Promise<Outcome>;
  private readonly child: Process;
  private readonly input: WritableStreamDefaultWriter<Uint8Array>;
  private decided = false;
  /** The host reported its own failure (its upLab rolled back what it had done). */
  failedCleanly = false;

  constructor(
    readonly role: string,
    runner: Runner,
    argv: string[],
    request: PartRequest,
    onProgress?: UpMultihostOptions["onProgress"],
  ) {
    const child = runner.spawn(argv, { stdin: "piped" });
    this.child = child;
    this.input = child.stdin!.getWriter();
    void this.send(JSON.stringify(request) + "\n");
    const stderr = textOf(child.stderr);
    let resolve!: (v: { steps: number; already: boolean }) => void;
    let reject!: (e: Error) => void;
    this.prepared = new Promise((res, rej) => (resolve = res, reject = rej));
    this.prepared.catch(() => {}); // handled by the caller through allSettled
    this.outcome = (async () => {
      let committed = false, rolledBack = false, settled = false;
      let report: Outcome["report"];
      for await (const line of linesOf(child.stdout!)) {
        let message: PartMessage;
        try {
          message = JSON.parse(line) as PartMessage;
        } catch {
          continue; // not ours (a login banner, a warning)
        }
        if ("progress" in message) {
          const p = message.progress;
          onProgress?.(role, p.index, p.total, p.summary);
        } else if ("prepared" in message) {
          settled = true;
          resolve(message.prepared);
        } else if ("error" in message) {
          settled = true;
          this.failedCleanly = true;
          reject(new PartError(role, message.error.message, message.error.usage));
        } else if ("committed" in message) {
          committed = true;
          report = message.committed;
        } else if ("rolledBack" in message) rolledBack = true;
      }
      const { code } = await child.status;
      const errText = await stderr;
      if (!settled) {
        const why = code === SSH_FAILED
          ? `the SSH connection failed or was lost (${errText.trim().split("\n").at(-1) ?? ""})`
          : `netkit exited ${code} before its part was up${errText ? `: ${errText.trim()}` : ""}`;
        reject(new PartError(role, why, false));
      }
      return { code, committed, rolledBack, stderr: errText, ...(report ? { report } : {}) };
    })();
  }

  /** Writes to the host's netkit; false when it no longer reads. */
  private async send(text: string): Promise<boolean> {
    try {
      await this.input.write(new TextEncoder().encode(text));
      return true;
    } catch {
      return false;
    }
  }

  /** Tells the host to commit or to abort (once). */
  async decide(commit: boolean): Promise<void> {
    if (this.decided) return;
    this.decided = true;
    await this.send(commit ? "commit\n" : "abort\n");
    await this.input.close().catch(() => {});
  }
}

/** The roles a lab uses (those with something placed on them), sorted. */
export function rolesOf(lab: Lab): string[] {
  return [...new Set(hostOf(lab).values())].sort();
}

/** Refuses an inventory that leaves out one of the lab's roles. */
export function requireInventory(lab: Lab, inventory: Inventory | undefined): Inventory {
  const roles = rolesOf(lab);
  if (!inventory) {
    throw new UsageError(
      `Lab "${lab.name}" places nodes on hosts ${roles.join(", ")}: say which machines play ` +
        "them with --hosts FILE",
      {
        hint: "a lab file only names host roles; the machines, and whether netkit may log in to " +
          "them, come from your own inventory (see netkit up --help)",
      },
    );
  }
  const missing = roles.filter((r) => !inventory.hosts[r]);
  if (missing.length) {
    throw new UsageError(
      `The inventory has no machine for host role${missing.length > 1 ? "s" : ""} ${
        missing.join(", ")
      } of lab "${lab.name}"`,
      { where: "--hosts", hint: `known roles: ${Object.keys(inventory.hosts).join(", ")}` },
    );
  }
  const seen = new Map<string, string>();
  for (const role of roles) {
    const u = inventory.hosts[role]!.underlay;
    if (seen.has(u)) {
      throw new UsageError(
        `Host roles ${seen.get(u)} and ${role} have the same underlay address ${u}`,
        { where: "--hosts" },
      );
    }
    seen.set(u, role);
  }
  return inventory;
}

/** Runs `fn` holding the lab's lock; a lab left without a record leaves no lock file either. */
async function withRecordLock<T>(host: Host, lab: string, fn: () => Promise<T>): Promise<T> {
  const dir = multihostRecordDir(host.stateRoot);
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const lock = join(dir, `${checkLabName(lab)}.lock`);
  try {
    return await withFileLock(lock, fn);
  } finally {
    if (!(await readRecord(host.stateRoot, lab).catch(() => undefined))) {
      await Deno.remove(lock).catch(() => {});
      await removeRecord(host.stateRoot, lab);
    }
  }
}

/**
 * Brings a multi-host lab up from the controller (see the module doc for the steps). The phases,
 * in order: {@link alreadyUp} (a record of this lab exists), {@link readHosts} (facts, the
 * underlay overlap check, the split), {@link planRecord} (how netkit runs on each host),
 * {@link provisionHosts} (netkit copied where missing), {@link requireFreeVnis} (no VNI of the
 * lab already in use on its host), {@link startParts} (every host's
 * `part up`), then {@link settleParts}: all commit, or {@link rollBack} all.
 *
 * @throws {UsageError} Bad input (a role without a machine, a host unreachable, a host refusing
 *   its part): nothing was changed on any host.
 * @throws {LabValidationError} Lab addresses overlap a host's underlay network (the issues'
 *   paths point into the lab): nothing was changed on any host.
 * @throws {PartError} A host's part failed; every host's part was rolled back.
 */
export async function upMultihost(
  host: Host,
  lab: Lab,
  inventory: Inventory | undefined,
  options: UpMultihostOptions = {},
): Promise<UpMultihostResult> {
  const started = performance.now();
  const inv = requireInventory(lab, inventory);
  const roles = rolesOf(lab);
  return await withRecordLock(host, lab.name, async () => {
    const existing = await readRecord(host.stateRoot, lab.name);
    if (existing) return await alreadyUp(host, lab, existing, options);
    await using conns = await HostConnections.open(host, inv.hosts, roles, inv.sshConfig);
    const bringUp: BringUp = { host, lab, inv, roles, conns, options };
    const { facts, split } = await readHosts(bringUp);
    const self = options.self ?? selfProgram();
    const { record, bundle } = await planRecord(bringUp, facts, split, self);
    options.onPhase?.("provision");
    const copied = await provisionHosts(bringUp, self, bundle);
    await requireFreeVnis(bringUp, record);
    await writeRecord(host.stateRoot, record);
    options.onPhase?.("up");
    const sessions = startParts(bringUp, record, split);
    const result = await settleParts(bringUp, record, sessions);
    return { ...result, copied, ms: Math.round(performance.now() - started) };
  });
}

/** What every phase of {@link upMultihost} works with. */
interface BringUp {
  host: Host;
  lab: Lab;
  inv: Inventory;
  /** The lab's host roles, sorted. */
  roles: string[];
  conns: HostConnections;
  options: UpMultihostOptions;
}

/**
 * A record of this lab exists: the same lab up is a success that changes nothing (its status,
 * and its proofs when asked); anything else is refused.
 */
async function alreadyUp(
  host: Host,
  lab: Lab,
  existing: MultihostRecord,
  options: UpMultihostOptions,
): Promise<UpMultihostResult> {
  if (existing.status === "up" && JSON.stringify(existing.lab) === JSON.stringify(lab)) {
    const [status, checks] = await Promise.all([
      statusMultihost(host, existing),
      options.check ? checkMultihost(host, existing) : Promise.resolve([]),
    ]);
    return { record: existing, already: true, steps: {}, copied: {}, ms: 0, checks, status };
  }
  throw new UsageError(
    existing.status === "up"
      ? `A different lab named "${lab.name}" is already up`
      : `Lab "${lab.name}" was left half-built by an interrupted bring-up`,
    { hint: `run: netkit down ${lab.name}` },
  );
}

/**
 * Reads every host (changing nothing), refuses lab addresses on an underlay network, and splits
 * the lab over the hosts.
 */
async function readHosts(
  { lab, inv, roles, conns, options }: BringUp,
): Promise<{ facts: Record<string, HostFacts>; split: Split }> {
  options.onPhase?.("facts");
  const facts = Object.fromEntries(
    await Promise.all(roles.map(async (r) => [r, await readFacts(conns.get(r))] as const)),
  );
  const clash = overlaps(lab, Object.fromEntries(roles.map((r) => [r, facts[r]!.network])));
  if (clash.length) {
    throw new LabValidationError(
      clash.map((c) => ({
        path: c.path,
        message: `${c.cidr} overlaps host ${c.host}'s underlay network ${c.underlay}, the ` +
          "network the lab's tunnels run on: give the lab addresses outside it",
      })),
      `lab ${lab.name}`,
    );
  }
  const split = splitLab(
    lab,
    Object.fromEntries(
      roles.map((r) => [r, { address: inv.hosts[r]!.underlay, mtu: facts[r]!.mtu }]),
    ),
  );
  return { facts, split };
}

/**
 * The controller's record (status `starting`): each host's machine, how netkit runs there, its
 * underlay; the tunnels and the lab MTU. Builds the bundle a remote host needs, if any.
 */
async function planRecord(
  { host, lab, inv, roles, options }: BringUp,
  facts: Record<string, HostFacts>,
  split: Split,
  self: SelfProgram,
): Promise<{ record: MultihostRecord; bundle: string | undefined }> {
  const hosts: Record<string, RecordHost> = {};
  const needsBundle = self.kind !== "compiled" && roles.some((r) => !inv.hosts[r]!.local);
  const bundle = needsBundle
    ? await ensureBundle(self, options.cacheDir ?? host.cacheDir, host.runner)
    : undefined;
  for (const role of roles) {
    const spec = inv.hosts[role]!;
    const program = spec.local
      ? localArgv(self)
      : (await remoteProgram(self, bundle, spec.cache ?? DEFAULT_CACHE)).argv;
    hosts[role] = {
      spec,
      program,
      underlay: facts[role]!.network,
      underlayMtu: facts[role]!.mtu,
    };
  }
  const record: MultihostRecord = {
    lab,
    status: "starting",
    ...(inv.sshConfig !== undefined ? { sshConfig: inv.sshConfig } : {}),
    hosts,
    tunnels: split.tunnels,
    mtu: split.mtu,
    underlayMtu: split.underlayMtu,
    createdAt: new Date().toISOString(),
  };
  return { record, bundle };
}

/** Copies netkit to every remote host that lacks this build; returns files copied per host. */
async function provisionHosts(
  { roles, conns }: BringUp,
  self: SelfProgram,
  bundle: string | undefined,
): Promise<Record<string, number>> {
  const copied: Record<string, number> = {};
  await Promise.all(roles.map(async (role) => {
    const conn = conns.get(role);
    if (!(conn.runner instanceof SshRunner)) return;
    const program = await remoteProgram(self, bundle, conn.spec.cache ?? DEFAULT_CACHE);
    try {
      copied[role] = await provision(conn.runner, role, program);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw unreachable(conn, error);
    }
  }));
  return copied;
}

/**
 * Refuses the lab when one of its hosts already uses one of the VNIs it would use there (with the
 * same UDP port): a VXLAN device of the host, or another netkit lab's tunnel (each host answers
 * `netkit part vnis`, reading only). One line naming the VNI, the host and who has it; exit 2;
 * nothing built anywhere.
 */
async function requireFreeVnis(
  { lab, roles, conns }: BringUp,
  record: MultihostRecord,
): Promise<void> {
  const inUse = Object.fromEntries(
    await Promise.all(roles.map(async (role) => {
      const conn = conns.get(role);
      const uses = await partCall<VniUse[] | { error?: string }>(
        conn,
        record.hosts[role]!.program,
        ["vnis"],
      );
      if (!Array.isArray(uses)) throw new PartError(role, uses.error ?? "no VNI list", false);
      return [role, uses] as const;
    })),
  );
  const clashes = vniClashes(lab.name, record.tunnels, inUse);
  const first = clashes[0];
  if (!first) return;
  const spec = record.hosts[first.host]!.spec;
  const who = first.by.lab !== undefined
    ? `lab "${first.by.lab}" has it for a tunnel`
    : `VXLAN device "${first.by.device}" has it`;
  const more = clashes.length > 1 ? ` (and ${clashes.length - 1} more clash(es))` : "";
  throw new UsageError(
    `VNI ${first.vni} (UDP ${first.port}) of lab "${lab.name}" is already in use on host ` +
      `${first.host} (${describeHost(spec)}): ${who}${more}`,
    {
      where: `--hosts: ${first.host}`,
      hint:
        (first.by.lab !== undefined
          ? `remove that lab (netkit down ${first.by.lab}), or `
          : "a host holds one VXLAN device per VNI and UDP port: remove that device, or ") +
        "rename this lab (its VNIs come from its name)",
    },
  );
}

/**
 * `netkit part up` for `role`, with what its part may reach on its own command line: its tunnels
 * (`--tunnels`, as the split made them) and the NICs its bridges may take (`--uplinks`, the
 * controller's `--uplink` for this host's bridges only). The host refuses anything else.
 */
export function partUpArgv(
  program: readonly string[],
  part: Lab,
  uplinks: readonly string[],
  uplinkAllow: readonly UplinkProtocol[] = [],
): string[] {
  const argv = [...program, "part", "up"];
  const tunnels = (part.tunnels ?? []).map(tunnelName);
  if (tunnels.length) argv.push("--tunnels", tunnels.join(","));
  const nics = new Set(Object.values(part.bridges).flatMap((b) => b.uplink ?? []));
  const allowed = uplinks.filter((nic) => nics.has(nic));
  if (allowed.length) argv.push("--uplinks", allowed.join(","));
  if (allowed.length && uplinkAllow.length) argv.push("--uplink-allow", uplinkAllow.join(","));
  return argv;
}

/** Starts every host's `part up` conversation, all in parallel. */
function startParts(
  { roles, conns, options }: BringUp,
  record: MultihostRecord,
  split: Split,
): PartSession[] {
  return roles.map((role) => {
    const part = split.parts[role]!;
    return new PartSession(
      role,
      conns.get(role).runner,
      partUpArgv(
        record.hosts[role]!.program,
        part,
        options.uplinks ?? [],
        options.uplinkAllow ?? [],
      ),
      { part, check: options.check ?? false },
      options.onProgress,
    );
  });
}

/**
 * The second phase: waits until every host has its part prepared (or failed), then tells all to
 * commit, or all to abort. Returns what the hosts reported after a commit every host confirmed;
 * otherwise rolls every host back and throws ({@link rollBack}).
 */
async function settleParts(
  bringUp: BringUp,
  record: MultihostRecord,
  sessions: PartSession[],
): Promise<Omit<UpMultihostResult, "copied" | "ms">> {
  const { host, options } = bringUp;
  const settled = await Promise.allSettled(sessions.map((s) => s.prepared));
  const failures = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as Error] : []));
  if (failures.length === 0) await options.onPrepared?.();
  const commit = failures.length === 0;
  options.onPhase?.("commit", commit ? "commit" : "abort");
  await Promise.all(sessions.map((s) => s.decide(commit)));
  const outcomes = await Promise.all(sessions.map((s) => s.outcome));
  const steps: Record<string, number> = {};
  settled.forEach((s, i) => {
    if (s.status === "fulfilled") steps[sessions[i]!.role] = s.value.steps;
  });
  if (!commit || !outcomes.every((o) => o.committed)) {
    return await rollBack(bringUp, record, sessions, outcomes, failures);
  }
  record.status = "up";
  await writeRecord(host.stateRoot, record);
  return {
    record,
    already: false,
    steps,
    checks: outcomes.flatMap((o, i) =>
      (o.report?.checks ?? []).map((c) => ({ ...c, host: sessions[i]!.role }))
    ),
    status: Object.fromEntries(
      outcomes.map((o, i) => [sessions[i]!.role, o.report?.status ?? null]),
    ),
  };
}

/**
 * Rolls back every host that may still hold its part — those that committed (a commit that only
 * some hosts confirmed) and those whose conversation was cut before they confirmed their
 * rollback — then throws the first failure: a {@link UsageError} when every host refused its
 * part as bad input, a {@link PartError} otherwise. The record goes once every host confirmed.
 */
async function rollBack(
  { host, lab, conns }: BringUp,
  record: MultihostRecord,
  sessions: PartSession[],
  outcomes: Outcome[],
  failures: Error[],
): Promise<never> {
  const unconfirmed = sessions.filter((s, i) =>
    outcomes[i]!.committed || (!s.failedCleanly && !outcomes[i]!.rolledBack)
  );
  const leftovers: string[] = [];
  await Promise.all(unconfirmed.map(async (s) => {
    try {
      await partDown(conns.get(s.role), record.hosts[s.role]!.program, lab.name);
    } catch {
      leftovers.push(s.role);
    }
  }));
  if (leftovers.length === 0) await removeRecord(host.stateRoot, lab.name);
  const first = failures[0] ??
    new PartError(
      sessions.find((_, i) => !outcomes[i]!.committed)!.role,
      "did not commit",
      false,
    );
  const usage = failures.length > 0 && failures.every((f) => f instanceof PartError && f.usage);
  const tail = leftovers.length
    ? `; host${leftovers.length > 1 ? "s" : ""} ${leftovers.join(", ")} could not be reached ` +
      "to confirm: each removes its part by itself once it notices the controller is gone " +
      `(or run netkit down ${lab.name} there, or here again)`
    : "; every host's part was rolled back";
  if (usage) {
    throw new UsageError(`${first.message}${tail}`, {
      where: `host ${(first as PartError).role}`,
    });
  }
  throw new PartError(
    first instanceof PartError ? first.role : "?",
    `${
      first instanceof PartError ? first.message.replace(/^host \S+: /, "") : first.message
    }${tail}`,
    false,
  );
}

/** Runs `netkit part ACTION LAB` on a host and parses its JSON answer. */
async function partCall<T>(
  conn: HostConnection,
  program: string[],
  args: string[],
): Promise<T> {
  const r = await conn.runner.run([...program, "part", ...args], { allowFailure: true });
  const last = r.stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(last) as T;
  } catch {
    if (r.code === SSH_FAILED) throw unreachable(conn, new CommandError(["ssh"], r.code, r.stderr));
    throw new PartError(conn.role, r.stderr.trim() || `exit ${r.code}`, false);
  }
}

/** `netkit part down LAB` on a host. */
async function partDown(conn: HostConnection, program: string[], lab: string) {
  const r = await partCall<{ removed?: boolean; undone?: number; error?: string }>(
    conn,
    program,
    ["down", lab],
  );
  if (r.error) throw new PartError(conn.role, r.error, false);
  return r;
}

/** What {@link downMultihost} did on each host. */
interface DownMultihostResult {
  removed: boolean;
  hosts: Record<string, { removed: boolean; undone: number }>;
}

/**
 * Removes a multi-host lab from every host (each undoes its own journal), then the controller's
 * record. Hosts that cannot be reached keep the record, so `down` can be run again.
 */
export async function downMultihost(host: Host, name: string): Promise<DownMultihostResult> {
  return await withRecordLock(host, name, async () => {
    const record = await readRecord(host.stateRoot, name);
    if (!record) return { removed: false, hosts: {} };
    const roles = Object.keys(record.hosts);
    const specs = Object.fromEntries(roles.map((r) => [r, record.hosts[r]!.spec]));
    await using conns = await HostConnections.open(host, specs, roles, record.sshConfig);
    const hosts: DownMultihostResult["hosts"] = {};
    const errors: string[] = [];
    await Promise.all(roles.map(async (role) => {
      try {
        const r = await partDown(conns.get(role), record.hosts[role]!.program, name);
        hosts[role] = { removed: r.removed ?? false, undone: r.undone ?? 0 };
      } catch (error) {
        errors.push(error instanceof Error ? error.message : String(error));
      }
    }));
    if (errors.length) {
      throw new Error(
        `Could not fully remove lab "${name}" (the record is kept; run down again):\n` +
          errors.map((e) => `  ${e}`).join("\n"),
      );
    }
    await removeRecord(host.stateRoot, name);
    return { removed: true, hosts };
  });
}

/** The live status of each host's part (undefined for a host whose part is not up). */
export async function statusMultihost(
  host: Host,
  record: MultihostRecord,
): Promise<Record<string, LabStatus | null>> {
  const roles = Object.keys(record.hosts);
  const specs = Object.fromEntries(roles.map((r) => [r, record.hosts[r]!.spec]));
  await using conns = await HostConnections.open(host, specs, roles, record.sshConfig);
  const out: Record<string, LabStatus | null> = {};
  await Promise.all(roles.map(async (role) => {
    out[role] = await partCall<LabStatus | null>(
      conns.get(role),
      record.hosts[role]!.program,
      ["status", record.lab.name],
    );
  }));
  return out;
}

/** A proof's result, with the host it ran on. */
type HostCheckResult = CheckResult & { host: string };

/** Runs every host's proofs (each host those of its part), in parallel. */
export async function checkMultihost(
  host: Host,
  record: MultihostRecord,
): Promise<HostCheckResult[]> {
  const roles = Object.keys(record.hosts);
  const specs = Object.fromEntries(roles.map((r) => [r, record.hosts[r]!.spec]));
  await using conns = await HostConnections.open(host, specs, roles, record.sshConfig);
  const per = await Promise.all(roles.map(async (role) => {
    const results = await partCall<CheckResult[]>(
      conns.get(role),
      record.hosts[role]!.program,
      ["check", record.lab.name],
    );
    return results.map((r) => ({ ...r, host: role }));
  }));
  return per.flat();
}

/**
 * Runs `command` inside node `node` of a multi-host lab, on its host, with the terminal
 * (`ssh -tt` when standard input is a terminal). Returns the exit code.
 */
export async function execMultihost(
  host: Host,
  record: MultihostRecord,
  node: string,
  command: string[],
  tty: boolean,
): Promise<number> {
  const role = record.lab.nodes[node]?.host;
  if (role === undefined) throw new UsageError(`Lab "${record.lab.name}" has no node "${node}"`);
  await using conns = await HostConnections.open(
    host,
    { [role]: record.hosts[role]!.spec },
    [role],
    record.sshConfig,
  );
  const conn = conns.get(role);
  const argv = ["ip", "netns", "exec", node, ...command];
  const terminal = { stdin: "inherit", stdout: "inherit", stderr: "inherit" } as const;
  const child = conn.runner instanceof SshRunner
    ? conn.runner.spawn(argv, { ...terminal, tty })
    : conn.runner.spawn(argv, terminal);
  return (await child.status).code;
}
