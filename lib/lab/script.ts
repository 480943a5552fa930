/**
 * Export a lab as one POSIX sh script: the plan's commands, every word quoted (shescape, see
 * lib/exec/shell.ts), under `set -eu`; and the matching teardown script, the undo actions of the
 * plan in reverse. File writes (the DHCP client's hook) become quoted here-documents, so nothing
 * in them is expanded.
 *
 * The scripts keep their daemon files (dnsmasq's pid and lease files, udhcpc's hook) in a
 * directory of their own, `<state root>/sh/<lab>` (lib/host.ts), apart from netkit's `labs/`, so that
 * netkit never takes a script-built lab for one of its own (and `netkit down` never removes the
 * files the teardown script needs).
 *
 * A script starts no Open vSwitch. When netkit would use its private instance, every `ovs-vsctl`
 * carries the same `--db=` netkit would pass, and a comment says how to start it.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { scriptLine } from "../exec/shell.ts";
import type { Host } from "../host.ts";
import { type Action, type OvsRemoveAction, shownArgv, type Step } from "../plan/step.ts";
import { addressOvs, ovsDbOf, type OvsTarget, vsctl } from "../ovs/target.ts";
import { planFor } from "./runtime.ts";
import { printable } from "../reach.ts";
import type { Lab } from "./schema.ts";

/** Where an exported script keeps its daemon files, under the state root `root`. */
function scriptStateDir(root: string, lab: string): string {
  return join(root, "sh", lab);
}

/** Options for {@link labScript}. */
interface LabScriptOptions {
  /** The plan's steps (from {@link planLab} with `stateDir`). */
  steps: readonly Step[];
  /** The OVS netkit would use; a private one adds `--db=` to every `ovs-vsctl`. */
  ovs?: OvsTarget | undefined;
  /** A sandboxed lab's parent namespace, for the script's header. */
  sandbox?: string | undefined;
  /** The directory the steps keep their files in. */
  stateDir: string;
  /** Print the teardown script instead. */
  teardown?: boolean;
  /** How the script was made, for its header (e.g. `netkit export lab.yaml --format sh`). */
  command?: string;
}

const comment = (text: string) => `# ${printable(text.replace(/[\r\n]+/g, " "))}`;

function heredoc(path: string, content: string, mode: number): string[] {
  const lines = content.split("\n");
  let tag = "NETKIT_EOF";
  for (let i = 1; lines.includes(tag); i++) tag = `NETKIT_EOF_${i}`;
  const target = `${scriptLine(["cat"])} > ${scriptLine([path])}`;
  const write = content.endsWith("\n")
    ? [`${target} <<'${tag}'`, content + tag]
    : [`${scriptLine(["printf", "%s", content])} > ${scriptLine([path])}`];
  return [
    scriptLine(["mkdir", "-p", dirname(path)]),
    ...write,
    scriptLine(["chmod", mode.toString(8), path]),
  ];
}

/**
 * A mark-checked OVS removal as one shell command: the row's UUID from `ovs-vsctl find` with the
 * lab's mark, then its removal by UUID (see {@link OvsRemoveAction}).
 */
function ovsRemoveLine(a: OvsRemoveAction, ovs: OvsTarget | undefined): string {
  const table = a.ovsRemove === "bridge" ? "Bridge" : "Port";
  const find = vsctl(ovs, "--bare", "--columns=_uuid", "find", table, `name=${a.name}`);
  find.push(`external_ids:netkit-lab=${a.lab}`);
  const remove = a.ovsRemove === "bridge"
    ? vsctl(ovs, "remove", "Open_vSwitch", ".", "bridges")
    : vsctl(ovs, "--if-exists", "remove", "Bridge", a.bridge ?? "", "ports");
  return `{ uuid=$(${scriptLine(find)}) && { [ -z "$uuid" ] || ${scriptLine(remove)} "$uuid"; }; }`;
}

function actionLines(action: Action, ovs: OvsTarget | undefined): string[] {
  if ("write" in action) return heredoc(action.write, action.content, action.mode ?? 0o644);
  if ("ovsRemove" in action) return [ovsRemoveLine(action, ovs)];
  if ("recordDaemon" in action) return []; // netkit's own bookkeeping: nothing for a script
  return [scriptLine(addressOvs(shownArgv(action), ovs))];
}

/**
 * Renders a lab's plan as a POSIX sh script (or its teardown script). Pure: see
 * {@link exportLabScript} for the one that plans for this host.
 */
export function labScript(lab: Lab, options: LabScriptOptions): string {
  const { steps, stateDir } = options;
  const db = ovsDbOf(options.ovs);
  const made = options.command ?? "netkit export";
  const usesDir = JSON.stringify(steps).includes(stateDir);
  const head = [
    "#!/bin/sh",
    comment(
      options.teardown
        ? `Removes lab ${lab.name} as built by its exported script (${made}).`
        : `Builds lab ${lab.name} with plain commands (${made}).`,
    ),
    options.teardown
      ? "# Keeps going past what is already gone; exits 1 when a command failed. Run as root."
      : `# Run as root. Remove the lab with the teardown script (${made} --teardown).`,
  ];
  if (lab.description) head.push(comment(lab.description));
  const sandbox = options.sandbox;
  if (sandbox !== undefined) {
    head.push(comment(`Sandboxed: everything outside the lab's namespaces lives in ${sandbox}.`));
  }
  if (options.ovs?.kind === "sandbox") {
    head.push(
      comment(`It runs the lab's own ovsdb-server and ovs-vswitchd inside ${sandbox}, files in`),
      comment(`${options.ovs.runDir}.`),
    );
  } else if (options.ovs) {
    head.push(
      "# ovs-vsctl needs a running Open vSwitch: this script starts none.",
      db
        ? comment(`It talks to netkit's private OVS at ${db}; start it with: netkit ovs start`)
        : comment(`It talks to the system's OVS (${options.ovs.db}).`),
    );
  }
  if (usesDir) head.push(comment(`Daemon files (pid, leases, hook) live in ${stateDir}.`));
  head.push("set -eu", "");

  const body: string[] = [];
  if (!options.teardown) {
    if (usesDir) body.push(scriptLine(["mkdir", "-p", stateDir]), "");
    for (const step of steps) {
      body.push(comment(step.summary), ...step.do.flatMap((a) => actionLines(a, options.ovs)), "");
    }
    body.push(comment(`lab ${lab.name} is up`));
    return [...head, ...body].join("\n") + "\n";
  }
  body.push("failed=0", "");
  for (const step of [...steps].reverse()) {
    if (step.undo.length === 0) continue;
    body.push(
      comment(`undo: ${step.summary}`),
      ...step.undo.flatMap((a) => {
        const lines = actionLines(a, options.ovs).map((l) => `${l} || failed=1`);
        // A daemon that already exited has removed its pid file: nothing to stop.
        const argv = shownArgv(a);
        if (argv[0] === "pkill" && argv[1] === "-F") {
          return lines.map((l) => `[ ! -e ${scriptLine([argv[2]!])} ] || ${l}`);
        }
        return lines;
      }),
      "",
    );
  }
  if (usesDir) {
    body.push(comment("the script's own directories, when empty"));
    if (options.ovs?.kind === "sandbox") {
      body.push(`${scriptLine(["rmdir", options.ovs.runDir])} || failed=1`);
    }
    body.push(
      `${scriptLine(["rmdir", stateDir])} || failed=1`,
      `${scriptLine(["rmdir", dirname(stateDir), dirname(dirname(stateDir))])} 2>/dev/null || :`,
      "",
    );
  }
  body.push('exit "$failed"');
  return [...head, ...body].join("\n") + "\n";
}

/**
 * The build (or teardown) script of a lab for this host: the OVS is the one netkit would choose
 * ({@link planForHost}); nothing is changed or started.
 */
export async function exportLabScript(
  host: Host,
  lab: Lab,
  options: { teardown?: boolean; command?: string } = {},
): Promise<string> {
  const stateDir = scriptStateDir(host.stateRoot, lab.name);
  const { steps, sharedSteps, ovs, sandbox } = await planFor(host, lab, stateDir);
  return labScript(lab, {
    steps: steps.slice(sharedSteps), // a script starts no private OVS: see the module doc
    ovs,
    sandbox,
    stateDir,
    ...(options.teardown ? { teardown: true } : {}),
    ...(options.command !== undefined ? { command: options.command } : {}),
  });
}
