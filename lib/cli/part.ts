/**
 * `netkit part up|down|status|check|vnis [LAB]`: what a multi-host controller runs on each host
 * over SSH (see lib/multihost/). Every answer is JSON on standard output. These act on this
 * host's own part only, never on a multi-host record, so a host that is also the controller does
 * not loop.
 *
 * `part up` reads its part on standard input, but what the part may reach beyond itself comes
 * from its command line only: `--tunnels VNI:LOCAL:REMOTE:PORT[,...]` (every tunnel of the part,
 * as the controller's split made it) and `--uplinks NIC[,...]` (the controller's `--uplink`, for
 * this host's bridges). `part vnis` lists the VXLAN VNIs in use here (read only).
 *
 * @module
 */
import { checkLab } from "../check/probes.ts";
import { ExitCode, UsageError } from "../errors.ts";
import { linesOf } from "../exec/runner.ts";
import type { Host } from "../host.ts";
import { readLabState } from "../lab/runtime.ts";
import { downLab } from "../lab/teardown.ts";
import { labStatus } from "../lab/status.ts";
import { type PartMessage, servePart, vnisInUse } from "../multihost/part.ts";
import { checkLabName } from "../names.ts";
import { labDir } from "../state.ts";
import { outLine } from "./output.ts";
import { uplinkAllowOf } from "./lab_arg.ts";
import type { UplinkProtocol } from "../uplink_lan.ts";

/** Flags of `part`. */
export interface PartFlags {
  /** `up`: the tunnels the part may create, `VNI:LOCAL:REMOTE:PORT[,...]`. */
  tunnels?: string;
  /** `up`: the host NICs the part's bridges may take as uplinks, `NIC[,...]`. */
  uplinks?: string;
  /** `up`: what may run on those uplinks' LANs, `PROTOCOL[,...]` (lib/uplink_lan.ts). */
  uplinkAllow?: string;
}

const TUNNEL_NAME = /^\d+:\d+\.\d+\.\d+\.\d+:\d+\.\d+\.\d+\.\d+:\d+$/;

/** A comma-separated list of a flag's (empty: none); each item must match `item`. */
function listOf(value: string | undefined, flag: string, item: RegExp, form: string): string[] {
  const items = value === undefined || value === "" ? [] : value.split(",");
  const bad = items.find((i) => !item.test(i));
  if (bad !== undefined) {
    throw new UsageError(`${flag}: ${JSON.stringify(bad)} is not ${form}`, { where: flag });
  }
  return items;
}

/** `--uplink-allow`, read as `up`'s own (it needs `--uplinks` as `up`'s needs `--uplink`). */
function allowedOnUplinks(flags: PartFlags): UplinkProtocol[] {
  return uplinkAllowOf({
    ...(flags.uplinks !== undefined ? { uplink: flags.uplinks } : {}),
    ...(flags.uplinkAllow !== undefined ? { uplinkAllow: flags.uplinkAllow } : {}),
  });
}

/** Runs `part ACTION [LAB]` on this host. */
export async function partCommand(
  host: Host,
  action: string,
  lab: string | undefined,
  flags: PartFlags = {},
): Promise<void> {
  if (action === "up") {
    const tunnels = listOf(flags.tunnels, "--tunnels", TUNNEL_NAME, "VNI:LOCAL:REMOTE:PORT");
    const uplinks = listOf(flags.uplinks, "--uplinks", /^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "a NIC");
    const code = await servePart(host, {
      lines: linesOf(Deno.stdin.readable),
      send: (message: PartMessage) => Promise.resolve(void outLine(message)),
    }, { tunnels, uplinks, uplinkAllow: allowedOnUplinks(flags) });
    if (code !== 0) throw new ExitCode(code);
    return;
  }
  if (action === "vnis") {
    outLine(await vnisInUse(host));
    return;
  }
  if (lab === undefined) throw new UsageError(`part ${action} needs a lab name`);
  checkLabName(lab);
  try {
    if (action === "down") {
      outLine(await downLab(lab, { host }));
    } else if (action === "status") {
      const state = await readLabState(host, lab);
      outLine(state ? await labStatus(host, state) : null);
    } else if (action === "check") {
      const state = await readLabState(host, lab);
      if (!state) throw new UsageError(`Lab "${lab}" is not up on this host`);
      outLine(
        await checkLab(state.lab, {
          host,
          stateDir: labDir(host.stateRoot, lab),
          ovs: state.ovs,
        }),
      );
    } else {
      throw new UsageError(`Unknown part action "${action}"`, {
        hint: "up, down, status, check, vnis",
      });
    }
  } catch (error) {
    outLine({ error: error instanceof Error ? error.message : String(error) });
    throw new ExitCode(error instanceof UsageError ? 2 : 1);
  }
}
