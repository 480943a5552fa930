/**
 * `netkit man`: the manual page, netkit(1), in roff, generated from the CLI's own command tree
 * (main.ts buildCli()) like the completion scripts: every subcommand with its usage, description,
 * arguments, options and the examples its `--help` prints. `make install` puts it in
 * PREFIX/share/man/man1/netkit.1; `netkit man | man -l -` reads it without installing.
 *
 * @module
 */
import type { Command } from "../deps/commander.ts";
import { out } from "./output.ts";

// Structural view of commander's objects: only what the page reads.
interface CmdView {
  name(): string;
  aliases(): string[];
  description(): string;
  usage(): string;
  helpInformation(): string;
  outputHelp(): void;
  configureOutput(o: { writeOut?: (s: string) => void; writeErr?: (s: string) => void }): unknown;
  readonly options: readonly { flags: string; description: string; hidden?: boolean }[];
  readonly registeredArguments: readonly { name(): string; description: string }[];
  readonly commands: readonly CmdView[];
}

/** Escapes text for roff: backslashes, and a leading dot or quote. */
const roff = (s: string) =>
  s.replaceAll("\\", "\\e").replaceAll("-", "\\-").replace(/^([.'])/gm, "\\&$1");

/** What `--help` prints after the generated part (the examples), or "". */
function helpAfter(cmd: CmdView): string {
  let text = "";
  cmd.configureOutput({ writeOut: (s) => (text += s) });
  cmd.outputHelp();
  return text.startsWith(cmd.helpInformation())
    ? text.slice(cmd.helpInformation().length).trim()
    : "";
}

function options(cmd: CmdView): string[] {
  return cmd.options.filter((o) => !o.hidden).flatMap((o) => [
    ".TP",
    `.B ${roff(o.flags)}`,
    roff(o.description),
  ]);
}

/**
 * The manual page of `program` in roff.
 *
 * @param program The CLI's command tree (main.ts buildCli()).
 * @param version netkit's version, for the page's header.
 */
export function manPage(program: Command, version: string): string {
  const root = program as unknown as CmdView;
  const commands = root.commands.filter((c) => c.name() !== "help");
  const lines = [
    `.TH NETKIT 1 "" "netkit ${roff(version)}" "User Commands"`,
    ".SH NAME",
    `netkit \\- ${roff(root.description())}`,
    ".SH SYNOPSIS",
    ".B netkit",
    "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]",
    ".SH DESCRIPTION",
    "netkit builds Linux network labs (network namespaces, veth pairs, Linux bridges, Open " +
    "vSwitch, routers, SNAT, DHCP) from recipes, lab files or containerlab topologies, proves " +
    "that they work, and removes them without a trace.",
    ".SH OPTIONS",
    ...options(root),
    ".SH COMMANDS",
  ];
  for (const cmd of commands) {
    const aliases = cmd.aliases().length ? ` (alias: ${cmd.aliases().join(", ")})` : "";
    lines.push(
      `.SS "netkit ${roff(cmd.name())} ${roff(cmd.usage())}"`,
      roff(cmd.description()) + roff(aliases),
    );
    for (const a of cmd.registeredArguments) {
      lines.push(".TP", `.I ${roff(a.name())}`, roff(a.description));
    }
    lines.push(...options(cmd));
    const after = helpAfter(cmd);
    if (after) lines.push(".PP", ".nf", ".RS 4", roff(after), ".RE", ".fi");
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
export function manCommand(program: Command, version: string): void {
  out(manPage(program, version));
}
