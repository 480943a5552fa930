/**
 * `netkit completions bash|zsh|fish`: a shell completion script for the command tree as it is
 * now. Subcommands, options and recipe names are read at generation time (from the CLI's own
 * command tree and the recipe registry); lab names are asked at completion time with
 * `netkit status --json`, and exec's nodes with `ip netns list`.
 *
 * @module
 */
import {
  type CliArgument,
  type CliOption,
  type CliProgram,
  HELP_OPTION,
  optionParts,
  VERSION_OPTION,
} from "./command_line.ts";
import { recipes } from "../../recipes/mod.ts";
import { out } from "./output.ts";

/**
 * What one positional argument completes to: the union of these sources. Read from the argument's
 * name and description, so commands added later complete sensibly without touching this file.
 */
interface ArgCompletion {
  /** Literal words (choices, or words quoted in the description like "list"). */
  words: string[];
  /** Recipe names (from the registry, at generation time). */
  recipes: boolean;
  /** Names of labs that are up (from `netkit status --json`, at completion time). */
  labs: boolean;
  /** Network namespaces (from `ip netns list`, at completion time). */
  nodes: boolean;
  /** File names. */
  files: boolean;
  /** Command names (for a variadic command line, like exec's). */
  commands: boolean;
  /** The argument takes any number of words. */
  variadic: boolean;
}

/** One option of a subcommand. */
interface OptionSpec {
  short?: string;
  long?: string;
  description: string;
  /** The option takes a value (`--prefix <prefix>`). */
  takesValue: boolean;
}

/** One subcommand, as the completion scripts see it. */
interface CommandSpec {
  name: string;
  aliases: string[];
  description: string;
  options: OptionSpec[];
  args: ArgCompletion[];
}

/** What the scripts are generated from. */
interface CompletionSpec {
  commands: CommandSpec[];
  globalOptions: OptionSpec[];
  recipes: string[];
}

function optionSpec(o: CliOption): OptionSpec {
  const p = optionParts(o);
  return {
    ...(p.short ? { short: `-${p.short}` } : {}),
    long: `--${p.negated ? "no-" : ""}${p.long}`,
    description: o.description,
    takesValue: p.takesValue,
  };
}

function argCompletion(command: string, arg: CliArgument): ArgCompletion {
  const { name, description: desc } = arg;
  const variadic = arg.variadic === true;
  const quoted = [...desc.matchAll(/"([-a-z0-9]+)"/g)].map((m) => m[1]!);
  return {
    words: arg.choices?.length ? [...arg.choices] : quoted,
    recipes: !arg.choices?.length &&
      ((command === "recipe" && name === "name") || name === "recipe" ||
        /recipe name/.test(desc)),
    labs: name === "lab" && /lab name/.test(desc),
    nodes: name === "node",
    files: /file|path|dir|script/i.test(name) || /\bor (a |the )?(lab |YAML )*file\b/i.test(desc),
    commands: variadic && name === "command",
    variadic,
  };
}

/** Reads the completion spec from the CLI's command definitions and the recipe registry. */
function completionSpec(program: CliProgram): CompletionSpec {
  const commands = program.commands.map((c): CommandSpec => ({
    name: c.name,
    aliases: [...(c.aliases ?? [])],
    description: c.description,
    options: [...c.options, HELP_OPTION].map(optionSpec),
    args: c.args.map((a) => argCompletion(c.name, a)),
  }));
  return {
    commands,
    globalOptions: [VERSION_OPTION, ...program.globalOptions, HELP_OPTION].map(optionSpec),
    recipes: [...recipes.keys()],
  };
}

const flagsOf = (opts: OptionSpec[]) =>
  opts.flatMap((o) => [o.short, o.long]).filter((f): f is string => !!f);
const names = (c: CommandSpec) => [c.name, ...c.aliases];
/** Only words made of safe characters: they go inside quotes in every shell unescaped. */
const safe = (list: string[]) => list.filter((w) => /^[-A-Za-z0-9_.+]+$/.test(w));
const words = (list: string[]) => safe(list).join(" ");
/** Single-quoted for sh-like shells (bash, zsh). */
const sq = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
/** Single-quoted for fish (which escapes with backslashes inside single quotes). */
const fq = (s: string) => `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
/** The literal words an argument completes to, recipe names included. */
const staticWords = (
  a: ArgCompletion,
  spec: CompletionSpec,
) => [...new Set([...a.words, ...(a.recipes ? spec.recipes : [])])];
const valuedFlags = (spec: CompletionSpec) => [
  ...new Set(
    flagsOf(
      spec.commands.flatMap((c) => c.options).concat(spec.globalOptions)
        .filter((o) => o.takesValue),
    ),
  ),
];

/** Turns `netkit status --json` (an array of labs, indented by 2) into lab names. */
const LABS_SED = `sed -n 's/^    "name": "\\([^"]*\\)".*/\\1/p'`;

/** The bash script. */
function bashScript(spec: CompletionSpec, version: string): string {
  const valued = valuedFlags(spec);
  const valuedPattern = valued.length ? valued.join("|") : "--netkit-no-valued-option";
  const optionCases = spec.commands.map((c) =>
    `      ${names(c).join("|")}) _netkit_reply "${words(flagsOf(c.options))}" ;;`
  ).join("\n");
  const argCases: string[] = [];
  for (const c of spec.commands) {
    c.args.forEach((a, i) => {
      const pattern = a.variadic
        ? names(c).map((n) => `"${n} "*`).join("|")
        : names(c).map((n) => `"${n} ${i}"`).join("|");
      const list = [words(staticWords(a, spec))];
      if (a.labs) list.push("$(_netkit_labs)");
      if (a.nodes) list.push("$(_netkit_nodes)");
      const actions = [`_netkit_reply "${list.filter(Boolean).join(" ")}"`];
      if (a.files) actions.push("_netkit_more -f");
      if (a.commands) actions.push("_netkit_more -c");
      argCases.push(`    ${pattern}) ${actions.join("; ")} ;;`);
    });
  }
  return `# bash completion for netkit ${version} (generated by: netkit completions bash)
# Install: netkit completions bash > /etc/bash_completion.d/netkit
#      or: source <(netkit completions bash)

# Lab names, asked from netkit itself at completion time.
_netkit_labs() {
  "\${_netkit_bin:-netkit}" status --json 2>/dev/null | ${LABS_SED}
}

# Network namespaces (exec runs in a namespace of a lab that is up).
_netkit_nodes() {
  ip netns list 2>/dev/null | cut -d' ' -f1
}

# COMPREPLY := the words of $1 that start with $cur.
_netkit_reply() {
  mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur")
}

# COMPREPLY += file names (-f) or command names (-c) that start with $cur.
_netkit_more() {
  local -a more
  mapfile -t more < <(compgen "$1" -- "$cur")
  COMPREPLY+=("\${more[@]}")
}

_netkit() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  local prev=""
  ((COMP_CWORD > 0)) && prev=\${COMP_WORDS[COMP_CWORD - 1]}
  local _netkit_bin=\${COMP_WORDS[0]}
  local cmd="" nargs=0 i w skip=0 dashdash=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if ((skip)); then skip=0; continue; fi
    if ((!dashdash)) && [[ $w == -- ]]; then dashdash=1; continue; fi
    if ((!dashdash)) && [[ $w == -* ]]; then
      case $w in
        ${valuedPattern}) skip=1 ;;
      esac
      continue
    fi
    if [[ -z $cmd ]]; then cmd=$w; else nargs=$((nargs + 1)); fi
  done
  if ((!dashdash)); then
    case $prev in
      ${valuedPattern})
        COMPREPLY=()
        return
        ;;
    esac
  fi
  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then
      _netkit_reply "${words(flagsOf(spec.globalOptions))}"
    else
      _netkit_reply "${words(spec.commands.flatMap(names))}"
    fi
    return
  fi
  if ((!dashdash)) && [[ $cur == -* ]]; then
    case $cmd in
${optionCases}
    esac
    return
  fi
  case "$cmd $nargs" in
${argCases.join("\n")}
  esac
}

complete -F _netkit netkit
`;
}

/** Escapes a description for zsh's _arguments `[...]` and _describe `name:description`. */
const zdesc = (s: string) => s.replace(/([[\]:\\])/g, "\\$1");
const zfn = (command: string, i: number) => `_netkit_${command.replace(/[^A-Za-z0-9]/g, "_")}_${i}`;

/** The zsh script. */
function zshScript(spec: CompletionSpec, version: string): string {
  const optSpec = (o: OptionSpec) => {
    const flags = [o.short, o.long].filter(Boolean) as string[];
    const value = o.takesValue ? `:${(o.long ?? o.short ?? "value").replace(/^-+/, "")}: ` : "";
    if (flags.length === 1) return sq(`${flags[0]}[${zdesc(o.description)}]${value}`);
    return `'(${flags.join(" ")})'{${flags.join(",")}}${sq(`[${zdesc(o.description)}]${value}`)}`;
  };
  const fns: string[] = [];
  const cases = spec.commands.map((c) => {
    const args = c.args.map((a, i) => {
      const body: string[] = [];
      const w = safe(staticWords(a, spec));
      if (w.length) body.push(`  local -a w=(${w.join(" ")})`, "  _describe -t values 'value' w");
      if (a.labs) body.push("  _netkit_labs");
      if (a.nodes) body.push("  _netkit_nodes");
      if (a.files) body.push("  _files");
      if (a.commands) body.push("  _command_names -e");
      if (!body.length) body.push("  _message 'value'");
      fns.push(`${zfn(c.name, i)}() {\n${body.join("\n")}\n}`);
      return sq(`${a.variadic ? "*" : i + 1}: :${zfn(c.name, i)}`);
    });
    return `        ${names(c).join("|")})\n          _arguments -s ${
      [...c.options.map(optSpec), ...args].join(" ")
    }\n          ;;`;
  }).join("\n");
  const described = spec.commands.flatMap((c) =>
    names(c).map((n) => `    ${sq(`${n}:${zdesc(c.description)}`)}`)
  );
  return `#compdef netkit
# zsh completion for netkit ${version} (generated by: netkit completions zsh)
# Install: netkit completions zsh > "\${fpath[1]}/_netkit"   (then: compinit)
#      or: source <(netkit completions zsh)

typeset -g _netkit_bin=netkit

# Lab names, asked from netkit itself at completion time.
_netkit_labs() {
  local -a labs
  labs=(\${(f)"$("$_netkit_bin" status --json 2>/dev/null | ${LABS_SED})"})
  _describe -t labs 'lab' labs
}

# Network namespaces (exec runs in a namespace of a lab that is up).
_netkit_nodes() {
  local -a nodes
  nodes=(\${(f)"$(ip netns list 2>/dev/null | cut -d' ' -f1)"})
  _describe -t nodes 'node' nodes
}

${fns.join("\n\n")}

_netkit() {
  _netkit_bin=\${words[1]}
  local curcontext="$curcontext" state line
  local -a commands
  commands=(
${described.join("\n")}
  )
  _arguments -C ${spec.globalOptions.map(optSpec).join(" ")} '1: :->command' '*:: :->args'
  case $state in
    command)
      _describe -t commands 'netkit command' commands
      ;;
    args)
      case $words[1] in
${cases}
      esac
      ;;
  esac
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _netkit "$@"
else
  compdef _netkit netkit
fi
`;
}

/** The fish script. */
function fishScript(spec: CompletionSpec, version: string): string {
  const lines: string[] = [];
  const opt = (cond: string, o: OptionSpec) =>
    `complete -c netkit -n ${fq(cond)}${o.short ? ` -s ${o.short.replace(/^-/, "")}` : ""}${
      o.long ? ` -l ${o.long.replace(/^--/, "")}` : ""
    }${o.takesValue ? " -r" : ""} -d ${fq(o.description)}`;
  for (const o of spec.globalOptions) lines.push(opt("__fish_use_subcommand", o));
  for (const c of spec.commands) {
    for (const n of names(c)) {
      lines.push(`complete -c netkit -n __fish_use_subcommand -a ${n} -d ${fq(c.description)}`);
    }
  }
  for (const c of spec.commands) {
    const seen = `__fish_seen_subcommand_from ${names(c).join(" ")}`;
    for (const o of c.options) lines.push(opt(seen, o));
    c.args.forEach((a, i) => {
      const cond = fq(`${seen}; and __netkit_nargs ${a.variadic ? "-ge" : "-eq"} ${i}`);
      const w = words(staticWords(a, spec));
      if (w) lines.push(`complete -c netkit -n ${cond} -a ${fq(w)}`);
      if (a.labs) lines.push(`complete -c netkit -n ${cond} -a '(__netkit_labs)'`);
      if (a.nodes) lines.push(`complete -c netkit -n ${cond} -a '(__netkit_nodes)'`);
      if (a.files) lines.push(`complete -c netkit -n ${cond} -F`);
      if (a.commands) lines.push(`complete -c netkit -n ${cond} -a '(__fish_complete_command)'`);
    });
  }
  return `# fish completion for netkit ${version} (generated by: netkit completions fish)
# Install: netkit completions fish > ~/.config/fish/completions/netkit.fish

# Lab names, asked from netkit itself at completion time.
function __netkit_labs
    set -l bin (commandline -opc)[1]
    test -n "$bin"; or set bin netkit
    $bin status --json 2>/dev/null | ${LABS_SED}
end

# Network namespaces (exec runs in a namespace of a lab that is up).
function __netkit_nodes
    ip netns list 2>/dev/null | cut -d' ' -f1
end

# Compares the number of the subcommand's positional arguments before the cursor: OP N.
function __netkit_nargs
    set -l words (commandline -opc)
    set -l n -1
    set -l skip 0
    set -l dashdash 0
    for w in $words[2..-1]
        if test $skip -eq 1
            set skip 0
            continue
        end
        if test $dashdash -eq 0
            switch $w
                case --
                    set dashdash 1
                    continue
                case ${valuedFlags(spec).join(" ") || "--netkit-no-valued-option"}
                    set skip 1
                    continue
                case '-*'
                    continue
            end
        end
        set n (math $n + 1)
    end
    test $n $argv[1] $argv[2]
end

complete -c netkit -f
${lines.join("\n")}
`;
}

/** Prints the completion script for `shell` (bash, zsh or fish). */
export function completionsCommand(shell: string, program: CliProgram, version: string): void {
  const spec = completionSpec(program);
  const script = shell === "bash"
    ? bashScript(spec, version)
    : shell === "zsh"
    ? zshScript(spec, version)
    : fishScript(spec, version);
  out(script);
}
