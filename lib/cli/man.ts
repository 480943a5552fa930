/**
 * `netkit man`: the manual page, netkit(1), in roff, generated from the CLI's own command
 * definitions (main.ts, lib/cli/command_line.ts) like the completion scripts and `--help`: every subcommand with its usage, description,
 * arguments, options and the examples its `--help` prints. `make install` puts it in
 * PREFIX/share/man/man1/netkit.1; `netkit man | man -l -` reads it without installing.
 *
 * @module
 */
import { type CliOption, type CliProgram, commandUsage, VERSION_OPTION } from "./command_line.ts";
import { out } from "./output.ts";

/** Escapes text for roff: backslashes, and a leading dot or quote. */
const roff = (s: string) =>
  s.replaceAll("\\", "\\e").replaceAll("-", "\\-").replace(/^([.'])/gm, "\\&$1");

function options(list: readonly CliOption[]): string[] {
  return list.flatMap((o) => [
    ".TP",
    `.B ${roff(o.flags)}`,
    roff(o.description),
  ]);
}

/**
 * The manual page of `program` in roff.
 *
 * @param program The CLI's command definitions (main.ts).
 * @param version netkit's version, for the page's header.
 */
function manPage(program: CliProgram, version: string): string {
  const lines = [
    `.TH NETKIT 1 "" "netkit ${roff(version)}" "User Commands"`,
    ".SH NAME",
    `netkit \\- ${roff(program.description)}`,
    ".SH SYNOPSIS",
    ".B netkit",
    "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]",
    ".SH DESCRIPTION",
    "netkit builds Linux network labs (network namespaces, veth pairs, Linux bridges, Open " +
    "vSwitch, routers, SNAT, DHCP) from recipes, lab files or containerlab topologies, proves " +
    "that they work, and removes them without a trace.",
    ".SH OPTIONS",
    ...options([VERSION_OPTION, ...program.globalOptions]),
    ".SH COMMANDS",
  ];
  for (const cmd of program.commands) {
    const aliases = cmd.aliases?.length ? ` (alias: ${cmd.aliases.join(", ")})` : "";
    const usage = commandUsage(cmd, true).split(" ").slice(1).join(" ");
    lines.push(
      `.SS "netkit ${roff(cmd.name)} ${roff(usage)}"`,
      roff(cmd.description) + roff(aliases),
    );
    for (const a of cmd.args) lines.push(".TP", `.I ${roff(a.name)}`, roff(a.description));
    lines.push(...options(cmd.options));
    if (cmd.helpAfter) lines.push(".PP", ".nf", ".RS 4", roff(cmd.helpAfter.trim()), ".RE", ".fi");
  }
  lines.push(
    ".SH EXIT STATUS",
    "0 success; 1 a command failed (the bring\\-up was rolled back) or a proof failed; 2 bad " +
      "input (an unknown recipe, a malformed lab file reported as FILE:LINE:COLUMN, a name over " +
      "15 bytes, a missing tool, not root), and nothing was changed on the host.",
    ".SH ENVIRONMENT",
    ".TP",
    ".B NETKIT_STATE_DIR",
    "where labs are recorded (default /run/netkit)",
    ".TP",
    ".B NETKIT_OVS",
    "system, private or auto: which Open vSwitch netkit uses",
    ".TP",
    ".B NO_COLOR",
    "no colour in tables",
    ".SH SEE ALSO",
    "ip(8), ip\\-netns(8), ovs\\-vsctl(8), dnsmasq(8)",
  );
  return lines.join("\n") + "\n";
}

/** Prints the manual page. */
export function manCommand(program: CliProgram, version: string): void {
  out(manPage(program, version));
}
