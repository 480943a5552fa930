/**
 * The CLI's surface: --version, every subcommand's --help, --json where a table is printed,
 * NO_COLOR, `doctor` (as data and as a table) and `completions bash|zsh|fish`.
 */
import { resolveHost } from "../../lib/host.ts";
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import {
  assertHostUnchanged,
  isRoot,
  netkit,
  run,
  snapshot,
  useTestState,
} from "../helpers/host.ts";
import { withTempDir } from "../helpers/temp.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { NETKIT } from "../../main.ts";
import { optionParts } from "../../lib/cli/command_line.ts";
import { recipes } from "../../recipes/mod.ts";
import type { DoctorReport } from "../../lib/doctor.ts";
import { which } from "../../lib/lab/preflight.ts";

useTestState("cli");
const opts = { sanitizeResources: false, sanitizeOps: false };
const subcommands = NETKIT.commands.map((c) => c.name);

/** True when `program` is on PATH. */
const has = async (program: string) => (await which(resolveHost(), program)) !== undefined;

Deno.test("--version prints the version from deno.json", opts, async () => {
  for (const flag of ["--version", "-V"]) {
    const r = await netkit([flag]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.trim(), denoJson.version);
  }
});

Deno.test("every subcommand's --help shows an example", opts, async () => {
  assert(subcommands.includes("doctor") && subcommands.includes("completions"), `${subcommands}`);
  for (const name of subcommands) {
    const r = await netkit([name, "--help"]);
    assertEquals(r.code, 0, `${name} --help: ${r.stderr}`);
    assertMatch(r.stdout, /Example/, `${name} --help has no example:\n${r.stdout}`);
  }
  const top = await netkit(["--help"]);
  for (const name of subcommands) assertMatch(top.stdout, new RegExp(`\\b${name}\\b`));
});

Deno.test("every command that prints a table has --json", opts, async () => {
  const tables: string[] = [];
  for await (const e of Deno.readDir(new URL("../../lib/cli/", import.meta.url))) {
    const name = e.name.replace(/\.ts$/, "");
    if (!subcommands.includes(name)) continue;
    const text = await Deno.readTextFile(new URL(`../../lib/cli/${e.name}`, import.meta.url));
    if (/\btable\(|renderStatus\(|runLabUp\(/.test(text)) tables.push(name);
  }
  assert(tables.includes("status") && tables.includes("doctor"), `${tables}`);
  for (const c of NETKIT.commands) {
    if (!tables.includes(c.name)) continue;
    assert(
      c.options.some((o) => optionParts(o).long === "json"),
      `${c.name} prints a table but has no --json`,
    );
  }
});

Deno.test(
  "doctor --json is a report whose exit code says whether netkit can work",
  opts,
  async () => {
    const before = await snapshot();
    const r = await netkit(["doctor", "--json"]);
    const report = JSON.parse(r.stdout) as DoctorReport;
    assertEquals(typeof report.ok, "boolean");
    assertEquals(r.code, report.ok ? 0 : 1, r.stderr);
    const checks = report.rows.map((row) => row.check);
    for (
      const tool of [
        "ip",
        "ovs-vsctl",
        "ovsdb-server",
        "ovs-vswitchd",
        "dnsmasq",
        "busybox udhcpc",
        "iptables",
        "ping",
        "tcpdump",
        "sysctl",
        "pkill",
      ]
    ) assert(checks.includes(`tool ${tool}`), `no row for ${tool}: ${checks}`);
    for (const check of ["root", "Open vSwitch", "network namespaces: /proc/self/ns/net"]) {
      assert(checks.includes(check), `no row "${check}"`);
    }
    for (const row of report.rows) {
      assert(["ok", "warn", "fail", "skip"].includes(row.status), JSON.stringify(row));
      if (row.status !== "ok") assert(row.fix, `no fix for ${JSON.stringify(row)}`);
    }
    if (isRoot) {
      // The kernel features were tried for real in a throwaway namespace, which is gone again.
      for (const k of ["veth", "bridge", "tun/tap", "NAT (iptables nat table)"]) {
        assert(checks.includes(`kernel: ${k}`), `no row for ${k}`);
      }
      assertEquals(report.rows.find((row) => row.check === "root")?.status, "ok");
      assertEquals(report.rows.find((row) => row.check === "kernel: veth")?.status, "ok");
    } else {
      assertEquals(report.ok, false);
      assertEquals(report.rows.find((row) => row.check === "root")?.fix, "run as root");
    }
    await assertHostUnchanged(before, "after doctor");
  },
);

Deno.test(
  "doctor names the Debian package of each missing tool; without ip it fails",
  opts,
  async () => {
    const before = await snapshot();
    await withTempDir("netkit-doctor-path-", async (dir) => {
      for (const tool of ["ip", "nsenter", "ping"]) {
        const path = await which(resolveHost(), tool);
        if (path) await Deno.symlink(path, `${dir}/${tool}`);
      }
      const some = await netkit(["doctor", "--json"], { PATH: dir });
      const report = JSON.parse(some.stdout) as DoctorReport;
      const row = (check: string) => report.rows.find((r) => r.check === check);
      assertEquals(row("tool dnsmasq")?.status, "warn");
      assertEquals(row("tool dnsmasq")?.fix, "apt-get install dnsmasq-base");
      assertEquals(row("tool busybox udhcpc")?.fix, "apt-get install busybox");
      assertEquals(row("Open vSwitch")?.fix, "apt-get install openvswitch-switch");
      assertEquals(some.code, report.ok ? 0 : 1);
      if (isRoot) assertEquals(report.ok, true, some.stdout);

      await Deno.remove(`${dir}/ip`);
      const none = await netkit(["doctor"], { PATH: dir });
      assertEquals(none.code, 1, none.stdout);
      assertMatch(none.stdout, /tool ip +│ FAIL .*│ apt-get install iproute2/);
      assertMatch(none.stdout, /netkit cannot work here/);
      assertMatch(none.stderr, /tool ip/);
    });
    await assertHostUnchanged(before, "after doctor without tools");
  },
);

Deno.test(
  "doctor prints a table with a fix column, without colour under NO_COLOR",
  opts,
  async () => {
    const r = await netkit(["doctor"], { NO_COLOR: "1" });
    assertMatch(r.stdout, /│ check +│ status +│ detail +│ fix +│/);
    assertMatch(r.stdout, /tool ip +│ OK/);
    assert(!r.stdout.includes("\x1b["), "colour codes under NO_COLOR");
    assertMatch(r.stdout, r.code === 0 ? /netkit can work here/ : /netkit cannot work here/);
  },
);

Deno.test("completions bash: valid bash with every subcommand and recipe", opts, async () => {
  const r = await netkit(["completions", "bash"]);
  assertEquals(r.code, 0, r.stderr);
  const script = r.stdout;
  for (const name of subcommands) assert(script.includes(name), `no subcommand ${name}`);
  for (const name of recipes.keys()) assert(script.includes(name), `no recipe ${name}`);
  const syntax = await run(["bash", "-n"], { stdin: script });
  assertEquals(syntax.code, 0, `bash -n: ${syntax.stderr}`);
  if (await has("shellcheck")) {
    const sc = await run(["shellcheck", "-s", "bash", "-"], { stdin: script });
    assertEquals(sc.code, 0, sc.stdout);
  }

  // Complete for real: source the script, set COMP_WORDS, call the function. Lab names come from
  // `netkit status --json` at completion time; a stand-in binary answers here.
  await withTempDir("netkit-completions-", async (dir) => {
    await Deno.writeTextFile(`${dir}/netkit.bash`, script);
    const fake = `${dir}/fake-netkit`;
    await Deno.writeTextFile(
      fake,
      `#!/bin/sh\n[ "$1 $2" = "status --json" ] && printf '%s\\n' '[' '  {' '    "name": "lab-one",' '    "status": "up"' '  },' '  {' '    "name": "lab-two",' '    "status": "up"' '  }' ']'\n`,
    );
    await Deno.chmod(fake, 0o755);
    const complete = async (...words: string[]) => {
      const r = await run([
        "bash",
        "-c",
        'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _netkit; printf "%s\\n" "${COMPREPLY[@]}"',
        "bash",
        `${dir}/netkit.bash`,
        ...words,
      ]);
      assertEquals(r.code, 0, r.stderr);
      return r.stdout.split("\n").filter(Boolean).sort();
    };
    assertEquals(await complete("netkit", "doc"), ["doctor"]);
    assertEquals(await complete("netkit", "completions", ""), ["bash", "fish", "zsh"]);
    assertEquals(
      await complete("netkit", "recipe", "ovs-"),
      [...recipes.keys()].filter((n) => n.startsWith("ovs-")).sort(),
    );
    assertEquals(await complete("netkit", "recipe", "--prefix", "t1-", "ovs-int"), [
      "ovs-internal",
    ]);
    assertEquals(await complete("netkit", "doctor", "--"), ["--help", "--json"]);
    assertEquals(await complete(fake, "check", ""), ["lab-one", "lab-two"]);
    assertEquals(await complete(fake, "status", "lab-t"), ["lab-two"]);
  });
});

Deno.test("completions zsh and fish name every subcommand and recipe", opts, async () => {
  for (const shell of ["zsh", "fish"]) {
    const r = await netkit(["completions", shell]);
    assertEquals(r.code, 0, r.stderr);
    for (const name of subcommands) assert(r.stdout.includes(name), `${shell}: no ${name}`);
    for (const name of recipes.keys()) assert(r.stdout.includes(name), `${shell}: no ${name}`);
    if (await has(shell)) {
      const syntax = await run([shell, "-n"], { stdin: r.stdout });
      assertEquals(syntax.code, 0, `${shell} -n: ${syntax.stderr}`);
    }
  }
  const bad = await netkit(["completions", "tcsh"]);
  assertEquals(bad.code, 2);
});
