/**
 * The CLI of multi-host labs (lib/multihost/): `up FILE --hosts INVENTORY` for a lab whose nodes
 * are placed on hosts, and `down`, `status`, `check`, `exec`, `graph` for a multi-host lab this
 * controller brought up (they look for its record first).
 *
 * @module
 */
import { CheckFailedError, ExitCode } from "../errors.ts";
import type { Host } from "../host.ts";
import { shellLine } from "../exec/shell.ts";
import { graphText } from "../lab/graph.ts";
import type { LabGraph } from "../lab/graph_model.ts";
import { planCommands } from "../lab/runtime.ts";
import { planLab } from "../lab/plan.ts";
import type { Lab } from "../lab/schema.ts";
import type { LabSource } from "../lab/file.ts";
import { LabValidationError } from "../lab/validate.ts";
import { describeHost, type Inventory, loadInventory } from "../multihost/inventory.ts";
import { listRecords, type MultihostRecord, readRecord } from "../multihost/record.ts";
import { labDir } from "../state.ts";
import { uplinkAllowOf } from "./lab_arg.ts";
import {
  checkMultihost,
  downMultihost,
  execMultihost,
  requireInventory,
  rolesOf,
  statusMultihost,
  upMultihost,
} from "../multihost/runtime.ts";
import { placement, recordGraph } from "../multihost/picture.ts";
import { splitLab, type TunnelLink } from "../multihost/split.ts";
import { VXLAN_OVERHEAD } from "../primitives/vxlan.ts";
import { out, outJson, progress, progressDone } from "./output.ts";
import { green } from "./color.ts";
import { renderStatus } from "./render.ts";
import { renderChecks } from "./text.ts";

/** Flags of `up` that matter here. */
interface MultihostUpFlags {
  hosts?: string;
  dryRun?: true;
  check?: boolean;
  json?: true;
  uplink?: string;
  uplinkAllow?: string;
}

function tunnelLines(tunnels: TunnelLink[], mtu: number, underlayMtu: number): string {
  if (tunnels.length === 0) return "";
  const head = `Tunnels: VXLAN over UDP ${tunnels[0]!.port}; lab MTU ${mtu} ` +
    `(underlay MTU ${underlayMtu} − ${VXLAN_OVERHEAD}) on every lab interface\n`;
  return head + tunnels.map((t) => {
    const [a, b] = t.ends;
    return `  ${a.endpoint} (${a.host} ${a.underlay}) <-> ${b.endpoint} (${b.host} ${b.underlay})  VNI ${t.vni}\n`;
  }).join("");
}

/** `up FILE --hosts INVENTORY` for a lab with `hosts` (validated by lib/cli/lab_arg.ts). */
export async function upMultihostCommand(
  host: Host,
  lab: Lab,
  flags: MultihostUpFlags,
  source?: LabSource,
): Promise<void> {
  const inventory: Inventory | undefined = flags.hosts === undefined
    ? undefined
    : await loadInventory(flags.hosts);
  if (flags.dryRun) return dryRun(lab, requireInventory(lab, inventory), flags.json === true);
  const terminal = Deno.stderr.isTerminal();
  let result;
  try {
    result = await upMultihost(host, lab, inventory, {
      check: flags.check !== false,
      ...(flags.uplink !== undefined ? { uplinks: [flags.uplink] } : {}),
      uplinkAllow: uplinkAllowOf(flags),
      onPhase: (phase) =>
        progress(
          phase === "facts"
            ? "reading the hosts"
            : phase === "provision"
            ? "copying netkit where it is missing"
            : phase === "up"
            ? "bringing up every host's part"
            : "committing",
        ),
      ...(terminal
        ? {
          onProgress: (role, i, total, summary) =>
            progress(`[${role} ${i + 1}/${total}] ${summary}`),
        }
        : {}),
    });
  } catch (error) {
    // Lab addresses on a host's underlay network: point at the lines of the file that name them.
    if (error instanceof LabValidationError && source) throw source.errorAt(error.issues);
    throw error;
  }
  progressDone();
  const record = result.record;
  const { checks, status } = result;
  if (flags.json) {
    outJson({
      lab: lab.name,
      already: result.already,
      hosts: Object.fromEntries(
        Object.entries(record.hosts).map(([r, h]) => [r, {
          host: describeHost(h.spec),
          underlay: h.underlay,
          underlayMtu: h.underlayMtu,
          steps: result.steps[r] ?? 0,
          copied: result.copied[r] ?? 0,
        }]),
      ),
      mtu: record.mtu,
      tunnels: record.tunnels,
      ms: result.ms,
      checks,
      status,
    });
  } else {
    const hostList = Object.keys(record.hosts).map((r) =>
      `${r}: ${result.steps[r] ?? 0} steps${result.copied[r] ? `, netkit copied` : ""}`
    ).join("; ");
    out(
      result.already
        ? `Lab ${lab.name} is already up: nothing changed.\n`
        : `${green("Up")}: lab ${lab.name} on ${
          Object.keys(record.hosts).length
        } hosts (${hostList}) in ${result.ms} ms.\n`,
    );
    out(renderRecordStatus(record, status));
    if (checks.length) {
      out(renderChecks(checks.map((c) => ({ ...c, name: `[${c.host}] ${c.name}` }))));
    }
    out(`Remove it with: netkit down ${lab.name}\n`);
  }
  const failed = checks.filter((c) => !c.pass);
  if (failed.length) {
    throw new CheckFailedError(`${failed.length} of ${checks.length} check(s) failed`);
  }
}

/** Prints what each host would run, without contacting any host. */
function dryRun(lab: Lab, inventory: Inventory, json: boolean): void {
  const roles = rolesOf(lab);
  const split = splitLab(
    lab,
    Object.fromEntries(
      roles.map((
        r,
      ) => [r, { address: inventory.hosts[r]!.underlay, mtu: inventory.hosts[r]!.mtu ?? 1500 }]),
    ),
  );
  const hosts = Object.fromEntries(roles.map((role) => {
    const part = split.parts[role]!;
    const steps = planLab(part, { stateDir: labDir("/run/netkit", lab.name) });
    return [role, { host: describeHost(inventory.hosts[role]!), commands: planCommands(steps) }];
  }));
  if (json) return outJson({ lab: lab.name, mtu: split.mtu, tunnels: split.tunnels, hosts });
  out(
    "# each host runs its part with its own netkit (copied there if missing); underlay MTU " +
      "assumed 1500 unless the inventory says (up reads it from each host)\n",
  );
  const tunnels = tunnelLines(split.tunnels, split.mtu, split.underlayMtu).trimEnd();
  if (tunnels) out(tunnels.replace(/^/gm, "# ") + "\n");
  for (const [role, h] of Object.entries(hosts)) {
    out(`\n# host ${role} (${h.host})\n${h.commands.map(shellLine).join("\n")}\n`);
  }
}

/** The status of every host's part, and the tunnels with the lab MTU. */
function renderRecordStatus(
  record: MultihostRecord,
  status: Record<string, unknown>,
): string {
  let text = `Lab ${record.lab.name} (${record.status}) on ${
    Object.keys(record.hosts).length
  } hosts\n`;
  text += tunnelLines(record.tunnels, record.mtu, record.underlayMtu);
  for (const [role, h] of Object.entries(record.hosts)) {
    text += `\n== host ${role}: ${
      describeHost(h.spec)
    }, underlay ${h.underlay} (MTU ${h.underlayMtu})\n`;
    const s = status[role];
    text += s ? renderStatus(s as Parameters<typeof renderStatus>[0]) : "(its part is not up)\n";
  }
  return text;
}

/** `down LAB` for a multi-host lab; false when `lab` is not one. */
export async function downIfMultihost(
  host: Host,
  lab: string,
  json: boolean,
): Promise<boolean> {
  if (!(await readRecord(host.stateRoot, lab))) return false;
  const r = await downMultihost(host, lab);
  if (json) outJson({ lab, ...r });
  else {
    const parts = Object.entries(r.hosts).map(([role, h]) => `${role}: ${h.undone} steps undone`);
    out(`Removed lab ${lab} from every host (${parts.join("; ")}).\n`);
  }
  return true;
}

/** `status LAB` for a multi-host lab; false when `lab` is not one. */
export async function statusIfMultihost(
  host: Host,
  lab: string,
  json: boolean,
): Promise<boolean> {
  const record = await readRecord(host.stateRoot, lab);
  if (!record) return false;
  const status = await statusMultihost(host, record);
  if (json) outJson({ ...record, status });
  else out(renderRecordStatus(record, status));
  return true;
}

/** `check LAB` for a multi-host lab; false when `lab` is not one. */
export async function checkIfMultihost(
  host: Host,
  lab: string,
  json: boolean,
): Promise<boolean> {
  const record = await readRecord(host.stateRoot, lab);
  if (!record) return false;
  const results = await checkMultihost(host, record);
  if (json) outJson(results);
  else out(renderChecks(results.map((c) => ({ ...c, name: `[${c.host}] ${c.name}` }))));
  const failed = results.filter((r) => !r.pass).length;
  if (failed) throw new CheckFailedError(`${failed} of ${results.length} check(s) failed`);
  return true;
}

/** `exec NODE -- CMD` when NODE belongs to a multi-host lab; false otherwise. */
export async function execIfMultihost(
  host: Host,
  node: string,
  command: string[],
): Promise<boolean> {
  const record = (await listRecords(host.stateRoot)).find((r) => Object.hasOwn(r.lab.nodes, node));
  if (!record) return false;
  const code = await execMultihost(host, record, node, command, Deno.stdin.isTerminal());
  if (code !== 0) throw new ExitCode(code);
  return true;
}

/** A multi-host lab's picture: as text, and its lab and model for the other formats. */
interface MultihostPicture {
  /** The text picture, then where each node and bridge runs, then the tunnels. */
  text: string;
  /** The whole lab, as recorded (Mermaid, dot). */
  lab: Lab;
  /** Its model with a box per host and the tunnels' VNIs (SVG). */
  graph: LabGraph;
}

/** `graph LAB` for a multi-host lab: the picture, then where each node and bridge runs. */
export async function graphIfMultihost(
  host: Host,
  lab: string,
): Promise<MultihostPicture | undefined> {
  const record = await readRecord(host.stateRoot, lab);
  if (!record) return undefined;
  const where = placement(record).map((p) =>
    `host ${p.role} (${p.machine}): ${p.members.join(", ")}`
  );
  const text = graphText(record.lab) + "\n" + where.join("\n") + "\n" +
    tunnelLines(record.tunnels, record.mtu, record.underlayMtu);
  return { text, lab: record.lab, graph: recordGraph(record) };
}
