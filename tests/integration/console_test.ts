/**
 * The person at the keyboard (root, tmux): `netkit exec NODE` opens a shell in the node,
 * `netkit console` is a prompt inside the lab, and tables fit an 80-column terminal. Each is
 * driven through a real terminal, tmux (`send-keys`), and checked by what the screen shows
 * (`capture-pane`), waiting (bounded) for what a person would wait for.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { isRoot, netkit, useTestState } from "../helpers/host.ts";
import { waitFor } from "../helpers/measure.ts";
import { withTempDir } from "../helpers/temp.ts";
import type { PingAllReport } from "../../lib/check/pingall.ts";

useTestState("console");
const hasTmux = (() => {
  try {
    return new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();
const opts = { ignore: !isRoot || !hasTmux, sanitizeResources: false, sanitizeOps: false };
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const NETKIT = [Deno.execPath(), "run", "-A", "--no-check", MAIN];

/** kc-a and kc-b share a bridge; kc-c is alone on another subnet (nobody reaches it). */
const LAB = `name: kc-lab
nodes:
  kc-a:
    interfaces:
      eth0: { addresses: [10.78.0.1/24] }
  kc-b:
    interfaces:
      eth0: { addresses: [10.78.0.2/24] }
  kc-c:
    interfaces:
      eth0: { addresses: [10.79.0.3/24] }
bridges:
  kc-br1: { type: linux }
  kc-br2: { type: linux }
links:
  - endpoints: [kc-a:eth0, kc-br1:kc-a-p]
  - endpoints: [kc-b:eth0, kc-br1:kc-b-p]
  - endpoints: [kc-c:eth0, kc-br2:kc-c-p]
`;

/** A tmux server of the test's own (its socket in `dir`) and an 80x30 session in it. */
class Terminal {
  constructor(readonly dir: string, readonly session: string) {}

  tmux(...args: string[]): Deno.CommandOutput {
    return new Deno.Command("tmux", {
      args,
      env: { TMUX_TMPDIR: this.dir, SHELL: "/bin/bash", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
  }

  /** Starts `argv` in a new 80x30 session. */
  start(argv: string[]) {
    const r = this.tmux("new-session", "-d", "-x", "80", "-y", "30", "-s", this.session, ...argv);
    assert(r.success, new TextDecoder().decode(r.stderr));
  }

  /** Types `text` as it is (never read as a key name: "up" is not the Up key). */
  type(text: string) {
    this.tmux("send-keys", "-t", this.session, "-l", text);
  }

  /** Presses keys (tmux key names: Enter, Tab, C-c, C-d, Up). */
  keys(...keys: string[]) {
    this.tmux("send-keys", "-t", this.session, ...keys);
  }

  /**
   * The screen and what scrolled off it, each line as the program wrote it (`-J`: lines tmux
   * wrapped joined again, trailing spaces kept), up to the cursor's line.
   */
  screen(): string {
    return new TextDecoder().decode(
      this.tmux("capture-pane", "-p", "-J", "-t", this.session, "-S", "-200").stdout,
    ).replace(/\n+$/, ""); // the empty rows below the cursor
  }

  /** Waits (up to `ms`) until the screen matches `pattern`; fails the test with the screen. */
  async waitFor(pattern: RegExp, ms = 10_000): Promise<string> {
    let screen = "";
    const seen = await waitFor(() => pattern.test(screen = this.screen()), ms);
    assert(seen, `the screen never showed ${pattern}:\n${screen}`);
    return screen;
  }

  /** True while the session runs. */
  alive(): boolean {
    return this.tmux("has-session", "-t", this.session).success;
  }

  kill() {
    this.tmux("kill-server");
  }
}

/** Brings the lab up, runs `fn` with a terminal, and removes both whatever happens. */
async function withLabTerminal(fn: (t: Terminal) => Promise<void>) {
  await withTempDir("netkit-console-", async (dir) => {
    await Deno.writeTextFile(`${dir}/lab.yaml`, LAB);
    const up = await netkit(["up", `${dir}/lab.yaml`, "--no-check"]);
    assertEquals(up.code, 0, up.stderr);
    const t = new Terminal(dir, "kc");
    try {
      await fn(t);
    } finally {
      t.kill();
      const down = await netkit(["down", "kc-lab"]);
      assertEquals(down.code, 0, down.stderr);
    }
  });
}

Deno.test(
  "netkit exec NODE opens a shell in the node, its prompt naming lab and node",
  opts,
  () =>
    withLabTerminal(async (t) => {
      t.start([...NETKIT, "exec", "kc-b"]);
      await t.waitFor(/^\[kc-lab:kc-b\] .*# $/m);
      t.keys("ip -br addr show dev eth0; echo NODE=$NETKIT_NODE", "Enter");
      const screen = await t.waitFor(/^NODE=kc-b$/m);
      assertMatch(screen, /^eth0@\S+\s+UP\s+10\.78\.0\.2\/24/m);
      // bash's rc file (bash --rcfile FILE -i) removed itself once read: a terminal closed
      // under the shell leaves nothing behind.
      t.type(`f=$(tr '\\0' '\\n' </proc/$$/cmdline | sed -n 3p); [ -e "$f" ] || echo "gone:$f"`);
      t.keys("Enter");
      await t.waitFor(/^gone:\/tmp\/netkit-bashrc-\S+$/m);
      // Ctrl-C stops what runs in the shell, and the shell (and netkit) stay.
      t.keys("ping 10.78.0.1", "Enter");
      await t.waitFor(/icmp_seq=2 /);
      t.keys("C-c");
      await t.waitFor(/packets transmitted[^]*\n\[kc-lab:kc-b\] .*# $/m);
      t.keys("exit", "Enter");
      assert(await waitFor(() => !t.alive(), 10_000), `the shell did not end:\n${t.screen()}`);

      // Everything after NODE is the command: no -- needed.
      const r = await netkit(["exec", "kc-a", "ping", "-c1", "-W2", "10.78.0.2"]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stdout, /1 received/);
    }),
);

Deno.test(
  "netkit console runs commands in nodes, pingall, completes with Tab, survives Ctrl-C",
  opts,
  () =>
    withLabTerminal(async (t) => {
      t.start([...NETKIT, "console", "kc-lab"]);
      const prompt = /netkit:kc-lab> $/;
      await t.waitFor(prompt);

      t.keys("pingall", "Enter");
      let screen = await t.waitFor(/^2\/6 reachable$/m, 20_000);
      // kc-a pings kc-b's address; nobody reaches kc-c, nor kc-c anyone.
      assertMatch(screen, /│ 10\.78\.0\.2 \(kc-b:eth0\)\s+│ ok\s+│\s+│ X\s+│/);
      assertMatch(screen, /│ 10\.79\.0\.3 \(kc-c:eth0\)\s+│ X\s+│ X\s+│\s+│/);

      // Tab completes the command (twice: both that start so), the interface, and the state,
      // each key sent on its own, as a person types them.
      t.keys("lin");
      await t.waitFor(/netkit:kc-lab> lin$/);
      t.keys("Tab");
      await t.waitFor(/netkit:kc-lab> link$/);
      t.keys("Tab");
      await t.waitFor(/^links +link *\n+netkit:kc-lab> link$/m);
      t.keys(" kc-a:");
      await t.waitFor(/netkit:kc-lab> link kc-a:$/);
      t.keys("Tab");
      await t.waitFor(/netkit:kc-lab> link kc-a:eth0 $/);
      t.keys("do");
      await t.waitFor(/netkit:kc-lab> link kc-a:eth0 do$/);
      t.keys("Tab");
      await t.waitFor(/netkit:kc-lab> link kc-a:eth0 down $/);
      t.keys("Enter");
      await t.waitFor(/^kc-a:eth0 in lab kc-lab is down\.$/m);
      t.keys("kc-b ping -c1 -W1 kc-a", "Enter");
      await t.waitFor(/0 received[^]*\(exit 1\)\nnetkit:kc-lab> $/);
      // Up recalls the line before: the link command, edited to up.
      t.keys("Up");
      await t.waitFor(/netkit:kc-lab> kc-b ping -c1 -W1 kc-a$/);
      t.keys("Up");
      await t.waitFor(/netkit:kc-lab> link kc-a:eth0 down $/);
      t.keys("BSpace", "BSpace", "BSpace", "BSpace", "BSpace");
      await t.waitFor(/netkit:kc-lab> link kc-a:eth0 $/);
      t.type("up");
      await t.waitFor(/netkit:kc-lab> link kc-a:eth0 up$/);
      t.keys("Enter");
      await t.waitFor(/^kc-a:eth0 in lab kc-lab is up\.$/m);

      // Ctrl-C stops the running command, not the console.
      t.keys("kc-b ping kc-a", "Enter");
      await t.waitFor(/icmp_seq=2 /);
      t.keys("C-c");
      await t.waitFor(/packets transmitted[^]*\nnetkit:kc-lab> $/);
      t.keys("kc-b echo still here", "Enter");
      screen = await t.waitFor(/^still here\nnetkit:kc-lab> $/m);
      assert(t.alive());

      t.keys("C-d");
      assert(await waitFor(() => !t.alive(), 10_000), `the console did not end:\n${t.screen()}`);
    }),
);

Deno.test(
  "pingall LAB prints the matrix in one shot, and --json the report",
  opts,
  () =>
    withLabTerminal(async () => {
      const r = await netkit(["pingall", "kc-lab", "--json"]);
      assertEquals(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as PingAllReport;
      assertEquals([report.reachable, report.total], [2, 6]);
      assertEquals(report.nodes, ["kc-a", "kc-b", "kc-c"]);
      assertEquals(
        report.results.filter((x) => x.reached).map((x) => `${x.from}>${x.to}`).sort(),
        ["kc-a>10.78.0.2", "kc-b>10.78.0.1"],
      );
      const text = await netkit(["pingall", "kc-lab"]);
      assertMatch(text.stdout, /^2\/6 reachable$/m);
    }),
);

Deno.test(
  "on an 80-column terminal, status, doctor and recipe list fit in 80 columns",
  opts,
  () =>
    withLabTerminal(async (t) => {
      const commands = [["status", "kc-lab"], ["status"], ["doctor"], ["recipe", "list"]];
      for (const [i, args] of commands.entries()) {
        const session = new Terminal(t.dir, `fit${i}`);
        session.start(["sh", "-c", `"$@"; echo END-OF-OUTPUT; sleep 60`, "sh", ...NETKIT, ...args]);
        const screen = await session.waitFor(/^END-OF-OUTPUT$/m, 20_000);
        const widest = Math.max(...screen.split("\n").map((l) => [...l].length));
        assert(
          widest <= 80,
          `netkit ${args.join(" ")} printed a line of ${widest} columns:\n${screen}`,
        );
        assertMatch(screen, /┌/, `netkit ${args.join(" ")} printed no table:\n${screen}`);
      }
    }),
);

Deno.test(
  "status says how long a lab is up, its mode and its impairments",
  opts,
  () =>
    withLabTerminal(async () => {
      const impair = await netkit(["impair", "kc-lab", "kc-a:eth0", "--rate", "10mbit"]);
      assertEquals(impair.code, 0, impair.stderr);
      const one = await netkit(["status", "kc-lab"]);
      assertEquals(one.code, 0, one.stderr);
      assertMatch(one.stdout, /^Lab kc-lab \(up \d+ s\), mode: host, /m);
      assertMatch(one.stdout, /│ kc-a:eth0 +│ rate 10 Mbit\/s +│/);
      assertMatch(one.stdout, /│ kc-b +│ eth0 +│ up +│ 10\.78\.0\.2\/24 +│/);
      const all = await netkit(["status"]);
      assertMatch(all.stdout, /│ kc-lab +│ up +│ host +│ 3 +│ 2 +│ \S+ +│ up \d+ s +│/);
      const cleared = await netkit(["impair", "kc-lab", "kc-a:eth0", "--clear"]);
      assertEquals(cleared.code, 0, cleared.stderr);
      assert(!/kc-a:eth0 +│ rate/.test((await netkit(["status", "kc-lab"])).stdout));
    }),
);
