/**
 * `netkit man`: the manual page, netkit(1), in roff, generated from the CLI's own command
 * definitions (main.ts, lib/cli/command_line.ts) like the completion scripts and `--help`: every subcommand with its usage, description,
 * arguments, options and the examples its `--help` prints; and the lab file, field by field, from
 * its JSON Schema (lib/lab/json_schema.ts, the same descriptions editors show). `make install` puts it in
 * PREFIX/share/man/man1/netkit.1; `netkit man | man -l -` reads it without installing.
 *
 * @module
 */
import { type CliOption, type CliProgram, commandUsage, VERSION_OPTION } from "./command_line.ts";
import { labJsonSchema } from "../lab/json_schema.ts";
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

type JsonSchema = {
  description?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
};

/** The schema at `path` (a key, `*` for a map's values, `[]` for a list's items). */
function schemaAt(schema: JsonSchema, path: string[]): JsonSchema {
  let at = schema;
  for (const segment of path) {
    const next = segment === "*"
      ? at.additionalProperties
      : segment === "[]"
      ? at.items
      : at.properties?.[segment];
    at = typeof next === "object" ? next : {};
  }
  return at;
}

/** The fields of one part of a lab file, as a roff list. */
function fields(title: string, schema: JsonSchema): string[] {
  const props = Object.entries(schema.properties ?? {});
  if (props.length === 0) return [];
  return [
    `.SS "${roff(title)}"`,
    ...props.flatMap(([key, p]) => [".TP", `.B ${roff(key)}`, roff(p.description ?? "")]),
  ];
}

/**
 * The LAB FILE section: what a lab file holds, part by part, from the lab file's JSON Schema (the
 * descriptions editors show on hover).
 */
function labFileSection(): string[] {
  const schema = labJsonSchema() as JsonSchema;
  const at = (...path: string[]) => schemaAt(schema, path);
  const proofs: JsonSchema = {
    properties: Object.fromEntries(
      (at("expect", "[]").anyOf ?? []).map((branch) => {
        const [kind = "", p = {}] = Object.entries(branch.properties ?? {})[0] ?? [];
        return [kind, p];
      }),
    ),
  };
  const generators: JsonSchema = {
    properties: Object.fromEntries(
      (at("generate", "[]").anyOf ?? []).flatMap((b) => Object.entries(b.properties ?? {})),
    ),
  };
  return [
    ".SH LAB FILE",
    "A lab file is YAML: netkit up FILE builds it, netkit validate " +
    "FILE checks it and reports every problem as FILE:LINE:COLUMN. netkit schema " +
    "prints its JSON Schema, which editors use to complete and explain the fields below; " +
    "examples/labs/ holds complete lab files. A containerlab topology (*.clab.yml) is read as " +
    "a lab file too.",
    ".PP",
    ".nf",
    ".RS 4",
    "name: pair",
    "nodes:",
    "  a: { interfaces: { eth0: { addresses: [10.9.0.1/24] } } }",
    "  b: { interfaces: { eth0: { addresses: [10.9.0.2/24] } } }",
    "links:",
    roff("  - endpoints: [a:eth0, b:eth0]"),
    "expect:",
    roff("  - ping: { from: a, to: 10.9.0.2 }"),
    ".RE",
    ".fi",
    ...fields("Top level", schema),
    ...fields("nodes.NAME", at("nodes", "*")),
    ...fields("nodes.NAME.interfaces.IFNAME", at("nodes", "*", "interfaces", "*")),
    ...fields("nodes.NAME.routes[]", at("nodes", "*", "routes", "[]")),
    ...fields("nodes.NAME.nat[]", at("nodes", "*", "nat", "[]")),
    ...fields("nodes.NAME.dhcpServer", at("nodes", "*", "dhcpServer")),
    ...fields("nodes.NAME.routing", at("nodes", "*", "routing")),
    ...fields("bridges.NAME", at("bridges", "*")),
    ...fields("bridges.NAME.ports.PORT", at("bridges", "*", "ports", "*")),
    ...fields("links[]", at("links", "[]")),
    ...fields("expect[] (one kind each, with within: and some with reach:)", proofs),
    ...fields("generate[]", generators),
  ];
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
    "[\OPTIONS\] \COMMAND\ [\ARGS\]",
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
  lines.push(...labFileSection());
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
    ".SH FILES",
    ".TP",
    ".I share/doc/netkit",
    "under the installation prefix (/usr/local by default): the guides that messages name " +
      "(docs/lab\\-file.md, docs/lab\\-file\\-reference.md, docs/multi\\-host.md, " +
      "docs/security.md, ...) and the examples (examples/labs, examples/clab, examples/scripts)",
    ".SH SEE ALSO",
    "ip(8), ip\\-netns(8), ovs\\-vsctl(8), dnsmasq(8)",
  );
  return lines.join("\n") + "\n";
}

/** Prints the manual page. */
export function manCommand(program: CliProgram, version: string): void {
  out(manPage(program, version));
}
