/**
 * The command line's grammar, as data: each subcommand's arguments and options
 * ({@link CliCommand}), read by the parser here, by `--help`, by the completion scripts
 * (lib/cli/completions.ts) and by the manual page (lib/cli/man.ts). Options are parsed by
 * `parseArgs` of `node:util` (strict: an unknown option is an error; in the bundles, the Node.js
 * project's package of it, build/node_builtins/util.ts, which has no `allowNegative` and no
 * need of it: a `--no-X` option is declared to it as an option of its own, so only the form the
 * command declares is known); this module adds what it leaves to its caller: subcommands,
 * required and surplus arguments, choices, and the help text.
 *
 * Why not a CLI framework: measured in the installed CLI (bench/RESULTS.md), loading commander
 * cost every command about 15 ms of its start, more than the rest of `netkit down`'s own code.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";

/** A positional argument. */
export interface CliArgument {
  name: string;
  description: string;
  /** `<name>` (true) or `[name]` (false). */
  required: boolean;
  /** Takes the rest of the words (`<name...>`). */
  variadic?: boolean;
  /** The only values it accepts. */
  choices?: readonly string[];
}

/** An option: `flags` as in `-w, --write <file>`, `--dry-run` or `--no-check`. */
export interface CliOption {
  flags: string;
  description: string;
  /** The only values it accepts (an option that takes a value). */
  choices?: readonly string[];
  /** Its value when the command line does not give it. */
  default?: string;
}

/** One subcommand. */
export interface CliCommand {
  name: string;
  aliases?: readonly string[];
  description: string;
  args: readonly CliArgument[];
  options: readonly CliOption[];
  /** Printed after the generated help: examples first. */
  helpAfter?: string;
  /** Every word after the first argument belongs to that argument's program (`netkit run`). */
  passThrough?: boolean;
}

/** The whole command line. */
export interface CliProgram {
  name: string;
  description: string;
  version: string;
  /** Options of every command (before or after its name). */
  globalOptions: readonly CliOption[];
  commands: readonly CliCommand[];
}

/** Option values, by camel-cased long name (`--dry-run`: `dryRun`; `--no-check`: `check`). */
export type CliFlags = Record<string, string | boolean | undefined>;

/** What a command line asks for. */
type Invocation =
  | { kind: "help"; text: string }
  | { kind: "version"; text: string }
  | { kind: "command"; command: CliCommand; args: string[]; flags: CliFlags; global: CliFlags };

/**
 * A command line that does not parse: exit code 2. `help` is the help of the command it was for
 * (or the program's), which the CLI prints after the message.
 */
export class CommandLineError extends UsageError {
  /** The help text to print after the message. */
  readonly help: string;
  constructor(message: string, help: string) {
    super(message);
    this.name = "CommandLineError";
    this.help = help;
  }
}

/** Every command's `-h, --help`. */
export const HELP_OPTION: CliOption = {
  flags: "-h, --help",
  description: "display help for command",
};
/** The program's `-V, --version`. */
export const VERSION_OPTION: CliOption = {
  flags: "-V, --version",
  description: "output the version number",
};

/** An option's parts: `-w, --write <file>` is short `w`, long `write`, key `write`, a value. */
export function optionParts(option: CliOption): {
  short?: string;
  long: string;
  key: string;
  takesValue: boolean;
  negated: boolean;
} {
  const m = /^(?:-([A-Za-z]), )?--([a-z][a-z0-9-]*)(?: <[^>]+>)?$/.exec(option.flags);
  if (!m) throw new Error(`bad option flags: ${option.flags}`);
  const negated = m[2]!.startsWith("no-");
  const long = negated ? m[2]!.slice(3) : m[2]!;
  return {
    ...(m[1] ? { short: m[1] } : {}),
    long,
    key: long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()),
    takesValue: option.flags.includes("<"),
    negated,
  };
}

/** `<name>`, `[name]`, `<name...>`. */
const argumentUsage = (a: CliArgument) =>
  `${a.required ? "<" : "["}${a.name}${a.variadic ? "..." : ""}${a.required ? ">" : "]"}`;

/**
 * `up [options] <file>`: the command's name (and aliases) with its arguments, as the program's
 * help lists it (`[options]` only where it has options of its own); `always`: as its own help
 * and the manual page show it (every command has `--help`).
 */
export function commandUsage(command: CliCommand, always = false): string {
  return [
    [command.name, ...(command.aliases ?? [])].join("|"),
    ...(always || command.options.length ? ["[options]"] : []),
    ...command.args.map(argumentUsage),
  ].join(" ");
}

/** Text wrapped to `width` columns, lines after the first indented by `indent`. */
function wrap(text: string, width: number, indent: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width - indent) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${" ".repeat(indent)}`);
}

/** Two columns: terms padded to `width`, descriptions wrapped at `wrapAt` columns. */
function columns(rows: [string, string][], width: number, wrapAt = 80): string {
  return rows.map(([term, text]) =>
    `  ${term.padEnd(width)}  ${wrap(text, wrapAt, width + 4)}`.trimEnd()
  ).join("\n");
}

function describeOption(o: CliOption): string {
  const notes = [
    ...(o.choices ? [`choices: ${o.choices.map((c) => `"${c}"`).join(", ")}`] : []),
    ...(o.default !== undefined ? [`default: "${o.default}"`] : []),
  ];
  return notes.length ? `${o.description} (${notes.join(", ")})` : o.description;
}
const describeArgument = (a: CliArgument) =>
  a.choices
    ? `${a.description} (choices: ${a.choices.map((c) => `"${c}"`).join(", ")})`
    : a.description;

/** The help of the program (no command) or of one command, as `--help` prints it. */
export function helpText(program: CliProgram, command?: CliCommand): string {
  const widest = (rows: [string, string][][]) => Math.max(...rows.flat().map(([t]) => t.length));
  if (!command) {
    const options: [string, string][] = [VERSION_OPTION, ...program.globalOptions, HELP_OPTION]
      .map((o) => [o.flags, describeOption(o)]);
    const commands: [string, string][] = program.commands.map((c) => [
      commandUsage(c),
      c.description,
    ]);
    commands.push(["help [command]", "display help for command"]);
    const width = widest([options, commands]);
    return [
      `Usage: ${program.name} [options] [command]`,
      program.description,
      `Options:\n${columns(options, width, Infinity)}`,
      `Commands:\n${columns(commands, width, Infinity)}`,
    ].join("\n\n") + "\n";
  }
  const args: [string, string][] = command.args.map((a) => [a.name, describeArgument(a)]);
  const options: [string, string][] = [...command.options, HELP_OPTION]
    .map((o) => [o.flags, describeOption(o)]);
  const width = widest([args, options]);
  const sections = [
    `Usage: ${program.name} ${commandUsage(command, true)}`,
    wrap(command.description, 80, 0),
  ];
  if (args.length) sections.push(`Arguments:\n${columns(args, width)}`);
  sections.push(`Options:\n${columns(options, width)}`);
  if (command.helpAfter) sections.push(command.helpAfter);
  return sections.join("\n\n") + "\n";
}

/** The command named `name` (or by an alias), or undefined. */
function findCommand(program: CliProgram, name: string): CliCommand | undefined {
  return program.commands.find((c) => c.name === name || c.aliases?.includes(name));
}

/**
 * Reads a command line (the words after `netkit`). Throws {@link CommandLineError} for an
 * unknown command or option, a missing or surplus argument, or a value outside its choices.
 */
export function parseCommandLine(program: CliProgram, argv: readonly string[]): Invocation {
  const globals = program.globalOptions.map(optionParts);
  const global: CliFlags = {};
  const at = readLeadingGlobals(program, globals, argv, global);
  if (typeof at !== "number") return at;
  const command = readCommandName(program, argv, at);
  if ("kind" in command) return command;
  const help = () => helpText(program, command);
  const { words, passed } = splitPassThrough(command, argv.slice(at + 1));
  const declared = declaredOptions(program, command);
  const joined = joinOptionValues(words, declared);
  if (asksForHelp(joined)) return { kind: "help", text: help() };
  const parsed = parseOptions(joined, declared, help);
  const flags = readFlags(parsed, declared, help);
  for (const { key } of globals) {
    if (flags[key] !== undefined) global[key] = flags[key];
    delete flags[key];
  }
  const args = [...parsed.positionals, ...passed];
  checkArguments(command, args, help);
  return { kind: "command", command, args, flags, global };
}

/** An option this command line may name: its parts, by long name, with its definition. */
type DeclaredOption = ReturnType<typeof optionParts> & { option: CliOption };

/** What `parseArgs` makes of the words. */
type ParsedWords = ReturnType<typeof parseArgs>;

/**
 * Global options before the command's name (boolean ones only), set in `global`: the index of
 * the first other word, or the program's help or version when asked for.
 */
function readLeadingGlobals(
  program: CliProgram,
  globals: readonly ReturnType<typeof optionParts>[],
  argv: readonly string[],
  global: CliFlags,
): number | Invocation {
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith("-"); i++) {
    const word = argv[i]!;
    if (word === "-h" || word === "--help") return { kind: "help", text: helpText(program) };
    if (word === "-V" || word === "--version") return { kind: "version", text: program.version };
    const parts = word.startsWith("--") ? globals.find((p) => p.long === word.slice(2)) : undefined;
    if (!parts || parts.takesValue) {
      throw new CommandLineError(`unknown option '${word}'`, helpText(program));
    }
    global[parts.key] = true;
  }
  return i;
}

/**
 * The command named at `argv[at]`; no name, or `help [command]`, asks for help (an unknown
 * command is an error).
 */
function readCommandName(
  program: CliProgram,
  argv: readonly string[],
  at: number,
): CliCommand | Invocation {
  const name = argv[at];
  if (name === undefined) return { kind: "help", text: helpText(program) };
  if (name === "help") {
    // `help --help`, `help -h`: the program's help, like `help` alone.
    if (argv[at + 1] === "--help" || argv[at + 1] === "-h") {
      return { kind: "help", text: helpText(program) };
    }
    const about = argv[at + 1] === undefined ? undefined : findCommand(program, argv[at + 1]!);
    if (argv[at + 1] !== undefined && !about) {
      throw new CommandLineError(`unknown command '${argv[at + 1]}'`, helpText(program));
    }
    return { kind: "help", text: helpText(program, about) };
  }
  const command = findCommand(program, name);
  if (!command) throw new CommandLineError(`unknown command '${name}'`, helpText(program));
  return command;
}

/**
 * A pass-through command's words: options up to the first argument are netkit's, the rest is
 * the program's, as written (less a leading `--`).
 */
function splitPassThrough(
  command: CliCommand,
  words: string[],
): { words: string[]; passed: string[] } {
  if (!command.passThrough) return { words, passed: [] };
  const first = words.findIndex((w) => !w.startsWith("-"));
  if (first < 0) return { words, passed: [] };
  let passed = words.slice(first + 1);
  if (passed[0] === "--") passed = passed.slice(1);
  return { words: words.slice(0, first + 1), passed };
}

/** Every option this command line may name, read once, by long name. */
function declaredOptions(program: CliProgram, command: CliCommand): Map<string, DeclaredOption> {
  return new Map(
    [...command.options, ...program.globalOptions, HELP_OPTION].map((option) => {
      const parts = optionParts(option);
      return [parts.long, { option, ...parts }];
    }),
  );
}

/**
 * An option that takes a value takes the next word, whatever it starts with (`--filter "-w x"`
 * is a filter): joined as `--filter=-w x`, which parseArgs does not find ambiguous. Words after
 * `--` stay as they are.
 */
function joinOptionValues(
  words: readonly string[],
  declared: ReadonlyMap<string, DeclaredOption>,
): string[] {
  const joined: string[] = [];
  for (let k = 0; k < words.length; k++) {
    const word = words[k]!;
    if (word === "--") {
      joined.push(...words.slice(k));
      break;
    }
    const valued = [...declared.values()].find((d) =>
      d.takesValue && (word === `--${d.long}` || (d.short && word === `-${d.short}`))
    );
    if (valued && k + 1 < words.length) joined.push(`--${valued.long}=${words[++k]}`);
    else joined.push(word);
  }
  return joined;
}

/** `-h` or `--help` before any `--`. */
function asksForHelp(joined: readonly string[]): boolean {
  const end = joined.indexOf("--");
  return joined.slice(0, end < 0 ? undefined : end).some((w) => w === "-h" || w === "--help");
}

/** The words through `parseArgs` (strict), its errors said as the command's help says them. */
function parseOptions(
  joined: string[],
  declared: ReadonlyMap<string, DeclaredOption>,
  help: () => string,
): ParsedWords {
  const config: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const d of declared.values()) {
    config[parsedName(d)] = {
      type: d.takesValue ? "string" : "boolean",
      ...(d.short ? { short: d.short } : {}),
    };
  }
  try {
    return parseArgs({
      args: joined,
      options: config,
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    // parseArgs names an option `--filter <value>`: say it as its help does.
    const message = parseArgsMessage(error).replace(
      /'(?:-[A-Za-z], )?--([a-z][a-z0-9-]*) <value>'/,
      (m, long) => declared.has(long) ? `'${declared.get(long)!.option.flags}'` : m,
    );
    throw new CommandLineError(message, help());
  }
}

/** The name `parseArgs` knows an option by: its long name, `no-X` for a declared `--no-X`. */
const parsedName = (d: DeclaredOption) => (d.negated ? `no-${d.long}` : d.long);

/** Each declared option's value, by key: as given (within its choices), or its default. */
function readFlags(
  parsed: ParsedWords,
  declared: ReadonlyMap<string, DeclaredOption>,
  help: () => string,
): CliFlags {
  const flags: CliFlags = {};
  for (const d of declared.values()) {
    const { option, key, negated } = d;
    const value = parsed.values[parsedName(d)] as string | boolean | undefined;
    if (negated) {
      // `--no-check` declared: `check` is true unless the command line says `--no-check`.
      flags[key] = value !== true;
      continue;
    }
    if (value === undefined) {
      if (option.default !== undefined) flags[key] = option.default;
      continue;
    }
    if (typeof value === "string" && option.choices && !option.choices.includes(value)) {
      throw new CommandLineError(
        `option '${option.flags}' argument '${value}' is invalid. Allowed choices are ${
          option.choices.join(", ")
        }.`,
        help(),
      );
    }
    flags[key] = value;
  }
  return flags;
}

/** The command's arguments: each required one given, within its choices, none too many. */
function checkArguments(command: CliCommand, args: readonly string[], help: () => string): void {
  const variadic = command.args.at(-1)?.variadic === true;
  command.args.forEach((a, k) => {
    if (a.required && args[k] === undefined) {
      throw new CommandLineError(`missing required argument '${a.name}'`, help());
    }
    if (a.choices && args[k] !== undefined && !a.choices.includes(args[k]!)) {
      throw new CommandLineError(
        `command-argument value '${args[k]}' is invalid for argument '${a.name}'. ` +
          `Allowed choices are ${a.choices.join(", ")}.`,
        help(),
      );
    }
  });
  if (!variadic && args.length > command.args.length) {
    const n = command.args.length;
    throw new CommandLineError(
      `too many arguments for '${command.name}'. Expected ${n} argument${n === 1 ? "" : "s"} ` +
        `but got ${args.length}: ${args.join(", ")}.`,
      help(),
    );
  }
}

/** parseArgs' message, in the words of the rest of the CLI. */
function parseArgsMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const option = /'([^']+)'/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) return `unknown option '${option}'`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
    return /argument missing/.test(message)
      ? `option '${option}' argument missing`
      : `option '${option.replace(/ <value>$/, "")}' takes no value`;
  }
  return message;
}
