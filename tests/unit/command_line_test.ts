/**
 * The command-line parser (lib/cli/command_line.ts) on a small program, and on netkit's own
 * definitions (main.ts): what a user types, what the command gets, and each kind of mistake as
 * one error with the command's help to print after it.
 */
import { assert, assertEquals, assertMatch, assertThrows } from "../helpers/assert.ts";
import {
  type CliProgram,
  CommandLineError,
  helpText,
  optionParts,
  parseCommandLine,
} from "../../lib/cli/command_line.ts";
import { NETKIT } from "../../main.ts";

const program: CliProgram = {
  name: "prog",
  description: "A program.",
  version: "1.2.3",
  globalOptions: [{ flags: "--rootless", description: "elsewhere" }],
  commands: [
    {
      name: "up",
      description: "bring it up",
      args: [{ name: "file", description: "a file", required: true }],
      options: [
        { flags: "--dry-run", description: "print" },
        { flags: "--no-check", description: "skip the proofs" },
        { flags: "-w, --write <file>", description: "where" },
        { flags: "--format <format>", description: "how", choices: ["sh", "txt"], default: "sh" },
      ],
      helpAfter: "Example:\n  prog up x",
    },
    {
      name: "status",
      aliases: ["ls"],
      description: "show",
      args: [{ name: "lab", description: "a lab", required: false }],
      options: [],
    },
    {
      name: "link",
      description: "flap",
      args: [{ name: "state", description: "down or up", required: true, choices: ["down", "up"] }],
      options: [],
    },
    {
      name: "exec",
      description: "run",
      args: [
        { name: "node", description: "where", required: true },
        { name: "command", description: "what", required: true, variadic: true },
      ],
      options: [],
    },
    {
      name: "run",
      description: "a script",
      args: [
        { name: "script", description: "the script", required: true },
        { name: "args", description: "its arguments", required: false, variadic: true },
      ],
      options: [{ flags: "--quiet", description: "say less" }],
      passThrough: true,
    },
  ],
};

const parse = (...argv: string[]) => {
  const call = parseCommandLine(program, argv);
  assert(call.kind === "command", JSON.stringify(call));
  return { name: call.command.name, args: call.args, flags: call.flags, global: call.global };
};
const refused = (argv: string[], message: RegExp) => {
  const error = assertThrows(() => parseCommandLine(program, argv), CommandLineError);
  assertMatch(error.message, message);
  return error;
};

Deno.test("a command line: arguments, flags by camel-cased name, defaults, --no-X", () => {
  assertEquals(parse("up", "lab.yaml", "--dry-run", "--no-check"), {
    name: "up",
    args: ["lab.yaml"],
    flags: { dryRun: true, check: false, format: "sh" },
    global: {},
  });
  assertEquals(parse("up", "-w", "out", "lab.yaml", "--format=txt").flags, {
    check: true, // --no-check declared and not given
    write: "out",
    format: "txt",
  });
  // A value may start with a dash: the option takes the next word, whatever it is.
  assertEquals(parse("up", "x", "--write", "-").flags.write, "-");
  assertEquals(parse("up", "x", "-w", "-rf").flags.write, "-rf");
  assertEquals(parse("ls").name, "status");
  assertEquals(parse("--rootless", "status").global, { rootless: true });
  assertEquals(parse("status", "--rootless").global, { rootless: true });
});

Deno.test("variadic arguments, -- and a script's own options", () => {
  assertEquals(parse("exec", "n1", "--", "ping", "-c1", "10.0.0.1").args, [
    "n1",
    "ping",
    "-c1",
    "10.0.0.1",
  ]);
  // Everything after the script is the script's, --help included; a first -- is dropped.
  assertEquals(parse("run", "--quiet", "s.ts", "--prefix", "x", "--help"), {
    name: "run",
    args: ["s.ts", "--prefix", "x", "--help"],
    flags: { quiet: true },
    global: {},
  });
  // --help wins over the mistakes beside it, before -- only.
  assertEquals(parseCommandLine(program, ["up", "--bogus", "--help"]).kind, "help");
  assertEquals(parse("exec", "n1", "--", "cat", "--help").args, ["n1", "cat", "--help"]);
  assertEquals(parse("run", "s.ts", "--", "--rootless").args, ["s.ts", "--rootless"]);
});

Deno.test("each mistake: one error, the command's help to print after it", () => {
  const e = refused(["up", "x", "--bogus"], /^unknown option '--bogus'$/);
  assertMatch(e.help, /^Usage: prog up \[options\] <file>\n/);
  assertMatch(e.help, /Example:\n {2}prog up x\n$/);
  refused(["up", "x", "--check"], /^unknown option '--check'$/); // only --no-check is declared
  refused(["up", "x", "--no-dry-run"], /^unknown option '--no-dry-run'$/);
  refused(["up", "x", "-rf"], /^unknown option '-r'$/);
  refused(["up", "x", "--write"], /^option '-w, --write <file>' argument missing$/);
  refused(["up", "x", "--dry-run=yes"], /^option '--dry-run' takes no value$/);
  refused(
    ["up", "x", "--format", "pdf"],
    /argument 'pdf' is invalid\. Allowed choices are sh, txt/,
  );
  refused(["up"], /^missing required argument 'file'$/);
  refused(
    ["up", "a", "b"],
    /^too many arguments for 'up'\. Expected 1 argument but got 2: a, b\.$/,
  );
  refused(["link", "sideways"], /value 'sideways' is invalid for argument 'state'/);
  refused(["exec", "n1"], /^missing required argument 'command'$/);
  const unknown = refused(["nope"], /^unknown command 'nope'$/);
  assertMatch(unknown.help, /^Usage: prog \[options\] \[command\]/);
  refused(["--bogus", "up"], /^unknown option '--bogus'$/);
  refused(["-xrootless", "up"], /^unknown option '-xrootless'$/);
});

Deno.test("--help, help COMMAND, --version and no command at all", () => {
  const help = (...argv: string[]) => {
    const call = parseCommandLine(program, argv);
    assert(call.kind === "help", JSON.stringify(call));
    return call.text;
  };
  assertEquals(help("up", "x", "--help"), helpText(program, program.commands[0]));
  assertEquals(help("help", "up"), helpText(program, program.commands[0]));
  assertEquals(help(), helpText(program));
  assertEquals(help("-h"), helpText(program));
  assertEquals(parseCommandLine(program, ["-V"]), { kind: "version", text: "1.2.3" });
  const up = helpText(program, program.commands[0]);
  assertMatch(up, /^ {2}-w, --write <file>\s+where$/m);
  assertMatch(up, /^ {2}--format <format>\s+how \(choices: "sh", "txt", default: "sh"\)$/m);
  assertMatch(helpText(program), /^ {2}status\|ls \[lab\]\s+show$/m);
});

Deno.test("netkit's own definitions: every option reads, no two options of a command clash", () => {
  for (const command of NETKIT.commands) {
    const seen = new Set<string>();
    for (const option of [...command.options, ...NETKIT.globalOptions]) {
      const { long, short } = optionParts(option);
      for (const name of [long, short].filter(Boolean)) {
        assert(!seen.has(name!), `${command.name}: ${name} twice`);
        seen.add(name!);
      }
    }
    const variadic = command.args.findIndex((a) => a.variadic);
    assert(variadic === -1 || variadic === command.args.length - 1, command.name);
    assertMatch(helpText(NETKIT, command), /Example/, `${command.name} --help has no example`);
  }
});
