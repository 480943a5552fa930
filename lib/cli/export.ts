/**
 * `netkit export NAME|FILE --format sh [--teardown]`: one POSIX sh script that builds the lab (a
 * lab file, a lab that is up — a script's too — as its state records it, or a recipe; which one
 * a name means is `labShownFor`'s rule, lib/cli/lab_arg.ts, as for `graph`) with plain
 * ip/ovs-vsctl/iptables/dnsmasq commands, or removes it again.
 * Changes nothing on the host.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Host } from "../host.ts";
import { exportLabScript } from "../lab/script.ts";
import { labShownFor } from "./lab_arg.ts";
import { out } from "./output.ts";

/** Flags of `export`. */
interface ExportFlags {
  format: string;
  teardown?: true;
  prefix?: string;
  /** The router recipe's real NIC, or the one a lab file's bridges may take (`--uplink NIC`). */
  uplink?: string;
  /** What the lab file may run on the uplink's LAN (`--uplink-allow ospf,bgp`). */
  uplinkAllow?: string;
  sandbox?: true;
  ignoreImages?: true;
}

/** Runs `export`. */
export async function exportCommand(host: Host, target: string, flags: ExportFlags): Promise<void> {
  if (flags.format !== "sh") {
    throw new UsageError(`Unknown export format ${JSON.stringify(flags.format)}`, {
      hint: "use --format sh",
    });
  }
  const lab = await labShownFor(host, target, flags, { use: "build", verb: "exported" });
  const command = ["netkit", "export", target, "--format", "sh"];
  if (flags.prefix !== undefined) command.push("--prefix", flags.prefix);
  if (flags.uplink !== undefined) command.push("--uplink", flags.uplink);
  if (flags.uplinkAllow !== undefined) command.push("--uplink-allow", flags.uplinkAllow);
  if (flags.sandbox) command.push("--sandbox");
  if (flags.ignoreImages) command.push("--ignore-images");
  out(
    await exportLabScript(host, lab, {
      command: command.join(" "),
      ...(flags.teardown ? { teardown: true } : {}),
    }),
  );
}
