/**
 * Untrusted lab files (root, real kernel): every file in tests/attacks/ is a lab that tries to
 * reach beyond itself — a host sysctl, an interface name iproute2 reads as an index, a host NIC,
 * another lab's port, the terminal, a file that expands without end, a name the host already has.
 * Each goes through `netkit up` (with `--dry-run` where running it would touch the real host if
 * netkit let it through: a sysctl outside the network namespace is global even in a test
 * namespace) and must fail with exit 2, exactly one `FILE:LINE:COLUMN` message at the line
 * marked `# <-`, no control character on the terminal, and the host exactly as it was.
 *
 * The host here has a stand-in for its NIC, `t11-nic` (a veth whose peer is `t11-nicp`, with the
 * alternative name `t11-altnic`), and a namespace of its own, `t11-hostns`.
 *
 * A file with `# each-name: NAME` uses NAME, a property every JavaScript object has, where a file
 * names a node, bridge, port, interface, observer or device; it is checked again with every
 * property name of `Object.prototype` in NAME's place (`validate`: exit 2, one message at the
 * line), and `exec` refuses a node the lab does not have, whatever its name.
 *
 * Also: the name rules hold on the real `ip` (which names it reads as an index, which namespace
 * names as a PID), the sysctl rule on the real kernel's /proc/sys/net, `chain` routes every node
 * to every other, `--uplink` opts in a lab file's uplink, and `clean` never follows a tampered
 * `lab.json` out of the state directory.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import {
  assertHostUnchanged,
  isRoot,
  netkit,
  run,
  sh,
  snapshot,
  useTestState,
} from "../helpers/host.ts";
import { ifnameProblem, nsNameProblem, sysctlKeyProblem } from "../../lib/reach.ts";
import { UPLINK_PROTOCOLS } from "../../lib/uplink_lan.ts";

const STATE = useTestState("attacks");
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };
const ATTACKS = new URL("../attacks/", import.meta.url).pathname;
// deno-lint-ignore no-control-regex -- looking for control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

async function ip(...args: string[]): Promise<void> {
  const r = await run(["ip", ...args]);
  if (r.code !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
}

/**
 * One attack: the file, what it would reach, the args, the message, the line it points at, and
 * (`# allow:`) the `--uplink-allow` names that let it through.
 */
interface Attack {
  file: string;
  reaches: string;
  args: string[];
  error: string;
  line: number;
  /** The name every object has that the marked line uses, to be replaced by each of the others. */
  eachName?: string;
  allow?: string;
}

/** Every property name of `Object.prototype`: names a lab file may not give. */
const INHERITED = Object.getOwnPropertyNames(Object.prototype);

async function attacks(): Promise<Attack[]> {
  const files: string[] = [];
  for await (const e of Deno.readDir(ATTACKS)) if (e.name.endsWith(".yaml")) files.push(e.name);
  return await Promise.all(
    files.sort().map(async (name) => {
      const file = `${ATTACKS}${name}`;
      const text = await Deno.readTextFile(file);
      const header = (key: string) => new RegExp(`^# ${key}: (.*)$`, "m").exec(text)?.[1];
      const lines = text.split("\n");
      const allow = header("allow");
      return {
        file,
        reaches: header("reaches") ?? "",
        args: (header("args") ?? "").split(" ").filter(Boolean),
        error: header("error") ?? "",
        line: lines.findIndex((l) => l.includes("# <-")) + 1,
        ...(header("each-name") ? { eachName: header("each-name")! } : {}),
        ...(allow === undefined ? {} : { allow }),
      };
    }),
  );
}

/** The host's stand-ins: a "NIC" with an alternative name, and a namespace of its own. */
async function withHostObjects(fn: () => Promise<void>): Promise<void> {
  await ip("link", "add", "name", "t11-nic", "type", "veth", "peer", "name", "t11-nicp");
  try {
    await ip("link", "property", "add", "dev", "t11-nic", "altname", "t11-altnic");
    await ip("netns", "add", "t11-hostns");
    await fn();
  } finally {
    await run(["ip", "netns", "delete", "t11-hostns"]);
    await run(["ip", "link", "delete", "dev", "t11-nic"]);
  }
}

Deno.test("the attack corpus: at least 40 files, each saying what it would reach", async () => {
  const all = await attacks();
  assert(all.length >= 40, `${all.length} attacks`);
  for (const a of all) {
    assert(a.reaches.length > 10, `${a.file}: # reaches: says what it would reach`);
    assert(a.error.length > 0, `${a.file}: # error: names the message`);
    assert(a.line > 0, `${a.file}: a line is marked # <-`);
  }
});

Deno.test(
  "every attack: exit 2, one FILE:LINE:COLUMN message at its line, host unchanged",
  opts,
  async () => {
    await withHostObjects(async () => {
      const before = await snapshot();
      for (const a of await attacks()) {
        const r = await netkit(["up", a.file, ...a.args]);
        const name = a.file.slice(ATTACKS.length);
        const where = `${name} (reaches: ${a.reaches})\n${r.stderr}${r.stdout}`;
        assertEquals(r.code, 2, where);
        const located = r.stderr.split("\n").filter((l) => l.startsWith(`${a.file}:`));
        assertEquals(located.length, 1, where);
        assertMatch(located[0]!, new RegExp(`^${a.file}:${a.line}:\\d+: \\S`), where);
        assert(located[0]!.includes(a.error), where);
        assert(!CONTROL.test(r.stderr.replaceAll("\n", "")), `control character: ${where}`);
        await assertHostUnchanged(before, `after ${name}`);
      }
    });
  },
);

Deno.test(
  "every name JavaScript objects have, in every place a file names one: exit 2 at its line",
  opts,
  async () => {
    const before = await snapshot();
    const dir = await Deno.makeTempDir({ prefix: "netkit-t11-names-" });
    try {
      const cases: { file: string; line: number; name: string }[] = [];
      for (const a of await attacks()) {
        if (a.eachName === undefined) continue;
        const lines = (await Deno.readTextFile(a.file)).split("\n");
        const marked = lines[a.line - 1]!;
        const token = new RegExp(`(?<![\\w-])${a.eachName.replaceAll("$", "\\$")}(?![\\w-])`);
        assertMatch(marked, token, a.file);
        for (const name of INHERITED) {
          const file = `${dir}/${a.file.slice(ATTACKS.length, -".yaml".length)}-${name}.yaml`;
          lines[a.line - 1] = marked.replace(token, name);
          await Deno.writeTextFile(file, lines.join("\n"));
          cases.push({ file, line: a.line, name });
        }
      }
      assert(cases.length >= 50 * INHERITED.length, `${cases.length} cases`);
      const r = await netkit(["validate", "--json", ...cases.map((c) => c.file)]);
      assertEquals(r.code, 2, r.stderr);
      const verdicts = new Map(
        (JSON.parse(r.stdout) as { file: string; problems: { line: number; message: string }[] }[])
          .map((v) => [v.file, v.problems]),
      );
      for (const c of cases) {
        const problems = verdicts.get(c.file);
        const where = `${c.file}: ${JSON.stringify(problems)}`;
        assertEquals(problems?.map((p) => p.line), [c.line], where);
        assert(problems?.[0]?.message.includes(c.name), where);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    await assertHostUnchanged(before, "after every name in every place");
  },
);

Deno.test(
  "exec NODE: a node the lab does not have is refused (exit 2), also one every object has",
  opts,
  async () => {
    const before = await snapshot();
    const dir = await Deno.makeTempDir({ prefix: "netkit-t11-exec-" });
    const file = `${dir}/lab.yaml`;
    await Deno.writeTextFile(file, "name: t11-exec\nnodes:\n  t11-xa: {}\n");
    await ip("netns", "add", "constructor"); // a namespace the lab did not create
    try {
      const up = await netkit(["up", file]);
      assertEquals(up.code, 0, up.stderr + up.stdout);
      const own = await netkit(["exec", "t11-xa", "--", "true"]);
      assertEquals(own.code, 0, own.stderr);
      for (const name of [...INHERITED, "t11-xb"]) {
        const r = await netkit(["exec", name, "--", "true"]);
        assertEquals(r.code, 2, `exec ${name}: ${r.stderr}`);
        assertMatch(r.stderr, /No lab that is up has a node/, `exec ${name}`);
      }
    } finally {
      const down = await netkit(["down", "t11-exec"]);
      await run(["ip", "netns", "delete", "constructor"]);
      await Deno.remove(dir, { recursive: true });
      assertEquals(down.code, 0, down.stderr);
    }
    await assertHostUnchanged(before, "after exec");
  },
);

Deno.test(
  "the name rules hold on the real ip: every alias it resolves is refused",
  opts,
  async () => {
    const ns = "t11-names";
    await ip("netns", "add", ns);
    let sleeper: Deno.ChildProcess | undefined;
    try {
      // In a new namespace only lo exists, with index 1: a name ip resolves is an alias of lo.
      const candidates = [
        "if1",
        "if01",
        "if001",
        "if1x",
        "if1.5",
        "if-4294967295",
        "iface1",
        "ifx1",
        "If1",
        "xif1",
        "1",
        "lo",
      ];
      const resolved: string[] = [];
      for (const name of candidates) {
        const r = await run(["ip", "-n", ns, "link", "set", "dev", name, "mtu", "65535"]);
        if (r.code === 0) resolved.push(name);
      }
      for (const name of resolved) {
        assert(
          ifnameProblem(name),
          `ip resolves "${name}"; netkit must refuse it`,
        );
      }
      assertEquals(resolved.filter((n) => n.startsWith("if")).length, 6, resolved.join(" "));

      // "netns N" falls back to the namespace of process N when /run/netns/N does not exist.
      sleeper = new Deno.Command("ip", {
        args: ["netns", "exec", ns, "sleep", "30"],
        stdout: "null",
        stderr: "null",
      }).spawn();
      const pid = sleeper.pid;
      await new Promise((r) => setTimeout(r, 100));
      for (const spelled of [String(pid), `0x${pid.toString(16)}`]) {
        await ip("link", "add", "name", "t11-x1", "type", "veth", "peer", "name", "t11-x2");
        try {
          await ip("link", "set", "dev", "t11-x1", "netns", spelled);
          assertMatch(await sh("ip", "-n", ns, "-o", "link"), /t11-x1/);
          assert(nsNameProblem(spelled), `ip reads "${spelled}" as a PID; netkit must refuse it`);
        } finally {
          await run(["ip", "link", "delete", "dev", "t11-x2"]);
        }
      }
    } finally {
      try {
        sleeper?.kill("SIGKILL");
        await sleeper?.status;
      } catch {
        // gone
      }
      await run(["ip", "netns", "delete", ns]);
    }
  },
);

Deno.test("the sysctl rule holds on the real kernel's /proc/sys/net", opts, async () => {
  const ns = "t11-sysctl";
  await ip("netns", "add", ns);
  try {
    const r = await run([
      "ip",
      "netns",
      "exec",
      ns,
      "find",
      "/proc/sys/net",
      "-type",
      "f",
      "-printf",
      "%m %P\n",
    ]);
    const keys = r.stdout.trim().split("\n").map((l) => {
      const [mode = "", path = ""] = l.split(" ");
      return {
        writable: (parseInt(mode, 8) & 0o200) !== 0,
        key: `net.${path.replaceAll("/", ".")}`,
      };
    });
    assert(keys.length > 200, `${keys.length} keys in a fresh namespace`);
    const wrong: string[] = [];
    for (const { key, writable } of keys) {
      const problem = sysctlKeyProblem(key);
      // A fresh namespace's own keys are allowed; what it may only read is the host's, refused.
      // nf_hooks_lwtunnel is the one writable key that acts kernel-wide.
      const refuse = !writable || key === "net.netfilter.nf_hooks_lwtunnel";
      if (refuse !== (problem !== undefined)) wrong.push(`${key}: ${problem ?? "allowed"}`);
      if (problem && /host-wide$/.test(problem)) wrong.push(`${key}: host-wide but in a namespace`);
    }
    assertEquals(wrong, []);
  } finally {
    await run(["ip", "netns", "delete", ns]);
  }
});

Deno.test("a generated chain: every node reaches every other, then down", opts, async () => {
  const before = await snapshot();
  const dir = await Deno.makeTempDir({ prefix: "netkit-t11-" });
  const file = `${dir}/chain.yaml`;
  await Deno.writeTextFile(
    file,
    "name: t11-chain\ngenerate:\n  - chain: { prefix: t11-c, count: 6 }\n",
  );
  try {
    const up = await netkit(["up", file]);
    assertEquals(up.code, 0, up.stderr + up.stdout);
    assertMatch(up.stdout, /^PASS t11-cn1 -> 10\.60\.0\.18 reachable/m);
    const addresses: string[] = [];
    for (let k = 1; k <= 6; k++) {
      const json = await sh(
        "ip",
        "-n",
        `t11-cn${k}`,
        "-j",
        "-4",
        "addr",
        "show",
        "scope",
        "global",
      );
      for (const l of JSON.parse(json) as { addr_info: { local: string }[] }[]) {
        addresses.push(...l.addr_info.map((a) => a.local));
      }
    }
    assertEquals(addresses.length, 10);
    const pings = [];
    for (let k = 1; k <= 6; k++) {
      for (const to of addresses) {
        pings.push(
          run(["ip", "netns", "exec", `t11-cn${k}`, "ping", "-c1", "-W2", to]).then((r) =>
            r.code === 0 ? "" : `t11-cn${k} -> ${to}`
          ),
        );
      }
    }
    assertEquals((await Promise.all(pings)).filter(Boolean), []);
  } finally {
    const down = await netkit(["down", "t11-chain"]);
    assertEquals(down.code, 0, down.stderr);
    await Deno.remove(dir, { recursive: true });
  }
  await assertHostUnchanged(before, "after the chain");
});

Deno.test(
  "up FILE --uplink NIC: the opt-in a lab file's uplink needs, for that NIC only",
  opts,
  async () => {
    await withHostObjects(async () => {
      const before = await snapshot();
      const file = `${ATTACKS}36-uplink-without-opt-in.yaml`;
      const allowed = await netkit(["up", file, "--uplink", "t11-nic", "--dry-run"]);
      assertEquals(allowed.code, 0, allowed.stderr);
      assertMatch(allowed.stdout, /t11-nic/);
      const unused = await netkit([
        "up",
        `${ATTACKS}55-node-host-namespace.yaml`,
        "--uplink",
        "t11-nic",
      ]);
      assertEquals(unused.code, 2);
      assertMatch(unused.stderr, /--uplink t11-nic: no bridge of .* has uplink: t11-nic/);
      const exported = await netkit(["export", file]);
      assertEquals(exported.code, 2, "export writes a script that would move the NIC: same opt-in");
      assertEquals((await netkit(["export", file, "--uplink", "t11-nic"])).code, 0);
      assertEquals((await netkit(["graph", file])).code, 0, "a picture moves nothing");
      await assertHostUnchanged(before, "after the opt-in checks");
    });
  },
);

/** What the dry run of a lab shows when `--uplink-allow` lets each name through. */
const PLANNED: Record<string, RegExp> = {
  dhcp: /dnsmasq.*--dhcp-range=[0-9a-f]/,
  ra: /dnsmasq.*--enable-ra/,
  ospf: /ospfd/,
  bgp: /bgpd/,
  "proxy-arp": /proxy_arp/,
  "proxy-ndp": /proxy_ndp/,
};

Deno.test(
  "up FILE --uplink NIC --uplink-allow NAMES: what speaks on the uplink's LAN, opted in by name",
  opts,
  async () => {
    await withHostObjects(async () => {
      const before = await snapshot();
      const allowed = (await attacks()).filter((a) => a.allow !== undefined);
      assert(allowed.length >= 10, `${allowed.length} attacks with # allow:`);
      for (const a of allowed) {
        const r = await netkit(["up", a.file, ...a.args, "--uplink-allow", a.allow!, "--dry-run"]);
        assertEquals(r.code, 0, `${a.file} with --uplink-allow ${a.allow}: ${r.stderr}`);
        assertMatch(r.stdout, /t11-nic/);
        for (const name of a.allow!.split(",")) assertMatch(r.stdout, PLANNED[name]!, a.file);
      }
      const ospf = `${ATTACKS}150-ospf-on-uplink-lan.yaml`;
      const other = await netkit(["up", ospf, "--uplink", "t11-nic", "--uplink-allow", "bgp"]);
      assertEquals(other.code, 2, other.stderr);
      assertMatch(other.stderr, /:13:\d+: OSPF on "eth0" .* add --uplink-allow ospf to the/);
      const unused = await netkit([
        "up",
        ospf,
        "--uplink",
        "t11-nic",
        "--uplink-allow",
        "ospf,dhcp",
        "--dry-run",
      ]);
      assertEquals(unused.code, 2, unused.stderr);
      assertMatch(
        unused.stderr,
        /--uplink-allow dhcp: nothing in .* runs that on the uplink's LAN/,
      );
      const alone = await netkit(["up", ospf, "--uplink-allow", "ospf", "--dry-run"]);
      assertEquals(alone.code, 2, alone.stderr);
      assertMatch(alone.stderr, /--uplink-allow applies with --uplink/);
      const unknown = await netkit(["up", ospf, "--uplink", "t11-nic", "--uplink-allow", "rip"]);
      assertEquals(unknown.code, 2, unknown.stderr);
      assertMatch(unknown.stderr, /unknown name "rip" \(known: dhcp, ra, ospf, bgp, proxy-arp/);
      const exported = await netkit(["export", ospf, "--uplink", "t11-nic"]);
      assertEquals(
        exported.code,
        2,
        "export writes a script that would run OSPF there: same opt-in",
      );
      const script = await netkit([
        "export",
        ospf,
        "--uplink",
        "t11-nic",
        "--uplink-allow",
        "ospf",
      ]);
      assertEquals(script.code, 0, script.stderr);
      assertMatch(script.stdout, /--uplink-allow ospf/);
      assertEquals((await netkit(["graph", ospf])).code, 0, "a picture runs nothing");
      const help = await netkit(["up", "--help"]);
      for (const name of UPLINK_PROTOCOLS) assertMatch(help.stdout, new RegExp(`\\b${name}\\b`));
      await assertHostUnchanged(before, "after the --uplink-allow checks");
    });
  },
);

Deno.test("clean never follows a tampered lab.json out of the state directory", opts, async () => {
  const before = await snapshot();
  const victim = "/run/t11-victim";
  await Deno.mkdir(victim, { recursive: true });
  await Deno.writeTextFile(`${victim}/keep`, "not netkit's");
  const labs = `${STATE}/labs`;
  const plant = async (dir: string, name: string) => {
    await Deno.mkdir(`${labs}/${dir}`, { recursive: true });
    await Deno.writeTextFile(
      `${labs}/${dir}/lab.json`,
      JSON.stringify({ lab: { name }, status: "up", createdAt: "2026-01-01T00:00:00Z" }),
    );
  };
  try {
    await plant("t11-evil", "../../t11-victim");
    await plant("t11-other", "t11-someone-else");
    await Deno.mkdir(`${labs}/..t11`, { recursive: true }); // not a lab name: not netkit's
    const clean = await netkit(["clean"]);
    assertEquals(clean.code, 1, clean.stdout + clean.stderr);
    assertMatch(clean.stderr, /t11-evil: The state of lab "t11-evil" .* is not what netkit wrote/);
    assertMatch(clean.stderr, /t11-other: .*names lab "t11-someone-else"/);
    assert(!clean.stderr.includes("..t11"), clean.stderr);
    assertEquals(await Deno.readTextFile(`${victim}/keep`), "not netkit's");
    assertEquals((await Deno.stat(`${labs}/t11-evil/lab.json`)).isFile, true);
  } finally {
    await Deno.remove(victim, { recursive: true }).catch(() => {});
    await Deno.remove(STATE, { recursive: true }).catch(() => {});
  }
  await assertHostUnchanged(before, "after clean");
});
