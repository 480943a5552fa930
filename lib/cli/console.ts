/**
 * `netkit console [LAB]`: a prompt inside a lab that is up, like Mininet's CLI.
 *
 * - `NODE CMD...` runs a command in a node (a word that is another node's name becomes that
 *   node's first address: `h1 ping -c1 h2`);
 * - `pingall` (the reachability matrix), `nodes`, `links`, `dump` (addresses and routes),
 *   `status`, `check`, `link NODE:IF down|up`, `impair NODE:IF ...`, `capture NODE:IF ...`;
 * - `help`, `exit` (or Ctrl-D).
 *
 * Lines are read with `node:readline` (line editing, history, Tab completion of commands, nodes
 * and interfaces); words are split as a shell would (quotes, backslashes), but nothing is
 * expanded and no shell runs. Ctrl-C stops the command that runs (its whole process group, which
 * it gets of its own) and returns to the prompt; at the prompt it clears the line.
 *
 * @module
 */
import readline from "node:readline";
import process from "node:process";
import { parse } from "../deps/shell_quote.ts";
import type { Host } from "../host.ts";
import type { LabState } from "../lab/lab_state.ts";
import { labGraph } from "../lab/graph_model.ts";
import { ifaceAddresses } from "../lab/graph_model.ts";
import { pingAll } from "../check/pingall.ts";
import { inNs } from "../plan/step.ts";
import { labDir } from "../state.ts";
import { withVtySocket } from "../lab/vtysh.ts";
import { err, out, printError } from "./output.ts";
import { renderPingAll, upLabNamed } from "./pingall.ts";
import { renderLinks, renderNodes } from "./render.ts";

/** What the console needs from the rest of the CLI. */
interface ConsoleIo {
  /** Runs a netkit command line (the words after `netkit`); resolves with its exit code. */
  netkit(words: string[]): Promise<number>;
}

/** The console's own commands, with what `help` says of them. */
const CONSOLE_COMMANDS: Readonly<Record<string, string>> = {
  pingall: "every node pings every address of the others",
  nodes: "the nodes and bridges, their interfaces and roles",
  links: "the links, end to end, with their addresses",
  dump: "every node's addresses and routes, as they are now",
  status: "the lab as netkit status shows it",
  check: "run the lab's proofs again",
  link: "NODE:IF down|up   take an interface down, or up again",
  impair: "NODE:IF --rate R --loss L% --delay D --jitter J | --clear",
  capture: "NODE:IF [-c N] [--filter BPF] [-w FILE]   (Ctrl-C stops)",
  help: "this list",
  exit: "leave the console (also: quit, Ctrl-D)",
};

/** A console on one lab. */
class LabConsole {
  #running: { stop(): void } | undefined;
  constructor(readonly host: Host, readonly state: LabState, readonly io: ConsoleIo) {}

  get lab() {
    return this.state.lab;
  }

  /** The NODE:IF ends of the lab's nodes. */
  ends(): string[] {
    return labGraph(this.lab).nodes.filter((n) => Object.hasOwn(this.lab.nodes, n.id))
      .flatMap((n) => n.interfaces.map((i) => `${n.id}:${i}`));
  }

  /** Tab completion: commands and nodes first, then NODE:IF ends, then down|up. */
  complete(line: string): [string[], string] {
    const words = line.split(/\s+/);
    const word = words.at(-1) ?? "";
    const nodes = Object.keys(this.lab.nodes);
    let choices: string[];
    if (words.length <= 1) choices = [...Object.keys(CONSOLE_COMMANDS), "quit", ...nodes];
    else if (["link", "impair", "capture"].includes(words[0]!) && words.length === 2) {
      choices = this.ends();
    } else if (words[0] === "link" && words.length === 3) choices = ["down", "up"];
    else if (words[0] === "impair") {
      choices = ["--rate", "--loss", "--delay", "--jitter", "--clear"];
    } else if (words[0] === "capture") choices = ["-c", "--filter", "-w"];
    else if (Object.hasOwn(this.lab.nodes, words[0]!)) choices = nodes;
    else choices = [];
    // A word completed in full is followed by a space, as in a shell.
    return [choices.filter((c) => c.startsWith(word)).map((c) => `${c} `), word];
  }

  /** Stops what runs (Ctrl-C); false when nothing does. */
  interrupt(): boolean {
    if (!this.#running) return false;
    this.#running.stop();
    return true;
  }

  /** Runs one line; false when the console should end. */
  async run(line: string): Promise<boolean> {
    let words: string[];
    try {
      words = splitWords(line);
    } catch (error) {
      printError((error as Error).message);
      return true;
    }
    const [first, ...rest] = words;
    if (first === undefined) return true;
    if (first === "exit" || first === "quit") return false;
    if (Object.hasOwn(this.lab.nodes, first)) {
      await this.inNode(first, rest);
      return true;
    }
    switch (first) {
      case "help":
      case "?":
        out(helpText(this.lab.name, Object.keys(this.lab.nodes)));
        break;
      case "pingall":
        await this.pingall();
        break;
      case "nodes":
        out(renderNodes(labGraph(this.lab)));
        break;
      case "links":
        out(renderLinks(labGraph(this.lab)));
        break;
      case "dump":
        await this.dump();
        break;
      case "status":
      case "check":
        await this.netkit([first, this.lab.name, ...rest]);
        break;
      case "link":
      case "impair":
      case "capture":
        await this.netkit([first, this.lab.name, ...rest]);
        break;
      default:
        printError(`Unknown command or node "${first}": help lists both`);
    }
    return true;
  }

  /** A netkit command; Ctrl-C reaches it as SIGINT (capture stops tcpdump on it). */
  async netkit(words: string[]) {
    this.#running = { stop: () => Deno.kill(Deno.pid, "SIGINT") };
    try {
      await this.io.netkit(words);
    } finally {
      this.#running = undefined;
    }
  }

  /** `NODE CMD...`: the command in the node, in a process group of its own. */
  async inNode(node: string, command: string[]) {
    if (command.length === 0) {
      printError(
        `Say what to run in ${node} (e.g. ${node} ip addr); for a shell: netkit exec ${node}`,
      );
      return;
    }
    const [program = "", ...args] = command;
    const argv = [program, ...args.map((a) => this.addressOf(a) ?? a)];
    const dir = labDir(this.host.stateRoot, this.lab.name);
    let child;
    try {
      child = this.host.runner.spawn(inNs(node, withVtySocket(this.lab, node, argv, dir)), {
        stdout: "inherit",
        stderr: "inherit",
        group: true,
      });
    } catch (error) {
      printError((error as Error).message);
      return;
    }
    this.#running = { stop: () => child.kill("SIGINT") };
    try {
      const status = await child.status;
      if (status.code !== 0 && status.signal !== "SIGINT") err(`(exit ${status.code})\n`);
    } finally {
      this.#running = undefined;
    }
  }

  /** A node's first static address (without its prefix length), for `h1 ping h2`. */
  addressOf(word: string): string | undefined {
    if (!Object.hasOwn(this.lab.nodes, word)) return undefined;
    const node = this.lab.nodes[word]!;
    for (const ifname of Object.keys(node.interfaces)) {
      const a = ifaceAddresses(this.lab, word, ifname).find((x) => x.includes("/"));
      if (a) return a.split("/")[0];
    }
    return undefined;
  }

  async pingall() {
    const abort = new AbortController();
    this.#running = { stop: () => abort.abort() };
    try {
      out(renderPingAll(await pingAll(this.host, this.lab, { signal: abort.signal })));
    } finally {
      this.#running = undefined;
    }
  }

  /** Every node's addresses (`ip -br addr`) and routes (`ip route`, `ip -6 route`). */
  async dump() {
    for (const node of Object.keys(this.lab.nodes)) {
      const run = (argv: string[]) =>
        this.host.runner.run(inNs(node, argv), { allowFailure: true }).then((r) =>
          r.stdout.trimEnd()
        );
      const [addrs, routes, routes6] = await Promise.all([
        run(["ip", "-br", "addr", "show"]),
        run(["ip", "route", "show"]),
        run(["ip", "-6", "route", "show"]),
      ]);
      const v6 = routes6.split("\n").filter((l) =>
        l && !l.startsWith("fe80::") && !/^multicast/.test(l)
      );
      out(
        `== ${node}\n${addrs}\n${routes || "(no IPv4 routes)"}\n${
          v6.length ? `${v6.join("\n")}\n` : ""
        }`,
      );
    }
  }
}

/** The words of a console line, split as a shell would; no expansion, no operators. */
export function splitWords(line: string): string[] {
  const parsed = parse(line, (name: string) => `$${name}`);
  return parsed.map((w) => {
    if (typeof w === "string") return w;
    const op = "op" in w ? w.op : "comment" in w ? "#" : "?";
    if (op === "glob" && "pattern" in w) return String(w.pattern);
    throw new Error(
      `"${op}" is shell syntax and no shell runs here: quote it, or NODE sh -c '...'`,
    );
  });
}

/** What `help` prints. */
function helpText(lab: string, nodes: string[]): string {
  const width = "NODE CMD...".length;
  return [
    `Commands in lab ${lab}:`,
    `  ${"NODE CMD...".padEnd(width)}  run a command in a node (a node's name: its address)`,
    ...Object.entries(CONSOLE_COMMANDS).map(([c, what]) => `  ${c.padEnd(width)}  ${what}`),
    `Nodes: ${nodes.join(", ")}`,
    "Tab completes; Up and Down recall lines; Ctrl-C stops a command.",
    "",
  ].join("\n");
}

/** Runs the console on lab `labName` (or the one lab that is up) until exit or Ctrl-D. */
export async function consoleCommand(
  host: Host,
  labName: string | undefined,
  io: ConsoleIo,
): Promise<void> {
  const state = await upLabNamed(host, labName);
  const c = new LabConsole(host, state, io);
  const terminal = process.stdin.isTTY === true;
  const rl = readline.createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal,
    historySize: 1000,
    completer: (line: string) => c.complete(line),
  });
  // Ctrl-C reaches the console as a key (the terminal is in raw mode): it stops the command
  // that runs. A SIGINT sent to netkit itself (to stop a capture) must not end the console.
  const ignore = () => {};
  Deno.addSignalListener("SIGINT", ignore);
  rl.on("SIGINT", () => {
    if (c.interrupt()) return;
    rl.write(null, { ctrl: true, name: "u" });
    out("^C\n");
    rl.prompt();
  });
  rl.setPrompt(`netkit:${state.lab.name}> `);
  if (terminal) {
    out(`netkit console, lab ${state.lab.name}: help lists the commands, Ctrl-D leaves.\n`);
  }
  rl.prompt();
  try {
    for await (const line of rl) {
      if (!(await c.run(line))) break;
      rl.prompt();
    }
  } finally {
    rl.close();
    Deno.removeSignalListener("SIGINT", ignore);
    if (terminal) out("\n");
  }
}
