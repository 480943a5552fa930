/**
 * Lab files: every problem reported as FILE:LINE:COLUMN with the exact position; recipes exported
 * to YAML parse back to the same lab; the sh export is quoted and complete. No root needed.
 *
 * @module
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertThrows,
} from "../helpers/assert.ts";
import { withTempDir } from "../helpers/temp.ts";
import {
  LabFileError,
  labToYaml,
  loadLabFile,
  MAX_LAB_FILE_BYTES,
  parseLabYaml,
  readLabName,
} from "../../lib/lab/file.ts";
import { labScript } from "../../lib/lab/script.ts";
import { planLab } from "../../lib/lab/plan.ts";
import { validateLab } from "../../lib/lab/validate.ts";
import { UsageError } from "../../lib/errors.ts";
import { recipes } from "../../recipes/mod.ts";
import { withinOf } from "../../lib/check/probes.ts";

/** The first problem of a lab file that must fail, as "LINE:COLUMN: message". */
function firstProblem(text: string): string {
  const error = assertThrows(() => parseLabYaml(text, "lab.yaml"), LabFileError);
  assert(error instanceof UsageError, "a LabFileError is a UsageError (exit code 2)");
  const p = error.problems[0]!;
  assertEquals(p.file, "lab.yaml");
  assertMatch(error.message, new RegExp(`^lab\\.yaml:${p.line}:${p.column}: `, "m"));
  return `${p.line}:${p.column}: ${p.message}`;
}

/** Asserts that one of the problems, as "LINE:COLUMN: message", matches `pattern`. */
function assertProblem(text: string, pattern: RegExp): void {
  const error = assertThrows(() => parseLabYaml(text, "lab.yaml"), LabFileError);
  const all = error.problems.map((p) => `${p.line}:${p.column}: ${p.message}`);
  assert(all.some((p) => pattern.test(p)), `no problem matches ${pattern}:\n${all.join("\n")}`);
}

const PAIR = `name: pair
nodes:
  a:
    interfaces:
      eth0: { addresses: [10.9.0.1/24] }
  b:
    interfaces:
      eth0: { addresses: [10.9.0.2/24] }
links:
  - endpoints: [a:eth0, b:eth0]
`;

Deno.test("a valid lab file parses to the validated lab", () => {
  const lab = parseLabYaml(PAIR, "lab.yaml");
  assertEquals(lab.name, "pair");
  assertEquals(lab.nodes.a?.interfaces.eth0?.addresses, ["10.9.0.1/24"]);
  assertEquals(lab.links[0]?.endpoints, ["a:eth0", "b:eth0"]);
  assertEquals(lab.nodes.b?.role, "host");
});

Deno.test("unknown key: reported at the key", () => {
  assertMatch(
    firstProblem(PAIR.replace("  b:\n", "  b:\n    colour: blue\n")),
    /^7:5: unrecognized key "colour"$/,
  );
  assertMatch(
    firstProblem("name: x\nnodez: {}\n"),
    /^2:1: unrecognized key "nodez" \(did you mean "nodes"\?\)$/,
  );
});

Deno.test("wrong type: reported at the value", () => {
  assertMatch(firstProblem("name: x\nnodes: 5\n"), /^2:8: .*expected record, received number/);
  assertMatch(
    firstProblem(
      "name: x\nbridges:\n  br:\n    type: ovs\n    ports:\n      p1: { internal: true, tag: ten }\n",
    ),
    /^6:34: .*expected number/,
  );
  assertMatch(
    firstProblem("name: x\nbridges:\n  br: { type: hub }\n"),
    /^3:15: bridges\.br\.type: "hub" is not one of linux, ovs$/,
  );
});

Deno.test("interface name over 15 bytes: reported at the name", () => {
  assertMatch(
    firstProblem("name: x\nbridges:\n  a-very-long-bridge: { type: linux }\n"),
    /^3:3: .*"a-very-long-bridge".*18 bytes.*at most 15 bytes/,
  );
  assertProblem(
    PAIR.replace("[a:eth0, b:eth0]", "[a:eth0, b:eth0123456789abc]"),
    /^10:25: interface name "eth0123456789abc" is over 15 bytes/,
  );
});

Deno.test("bad CIDR: reported at the address", () => {
  assertMatch(
    firstProblem(PAIR.replace("10.9.0.2/24", "10.9.0.2/33")),
    /^8:27: expected an IPv4 address with prefix, A\.B\.C\.D\/N$/,
  );
  assertMatch(
    firstProblem(PAIR.replace("10.9.0.2/24", "10.9.0.0/24")),
    /^8:27: 10\.9\.0\.0\/24 is the network address/,
  );
});

Deno.test("duplicate names: YAML duplicate keys are errors, at the second key", () => {
  assertMatch(
    firstProblem(PAIR.replace("  b:\n", "  a:\n")),
    /^6:3: duplicate key "a": each key may appear once in a mapping$/,
  );
  // A node and a bridge of the same name: the cross-check, at the bridge.
  assertProblem(
    PAIR + "bridges:\n  a: { type: linux }\n",
    /^12:3: "a" is both a node and a bridge$/,
  );
});

Deno.test("links to things that do not exist: reported at the endpoint", () => {
  assertProblem(
    PAIR.replace("[a:eth0, b:eth0]", "[a:eth0, c:eth0]"),
    /^10:25: "c" is neither a node nor a bridge \(known: a, b\)$/,
  );
  const ports = "name: x\nnodes: { a: {} }\nbridges:\n  br:\n    type: ovs\n    ports:\n" +
    "      p1: { internal: true, node: ghost }\n";
  assertMatch(firstProblem(ports), /^7:35: node "ghost" does not exist$/);
});

Deno.test("missing keys point at the nearest parent that exists", () => {
  assertMatch(
    firstProblem(PAIR + "expect:\n  - ping: { from: a }\n"),
    /^12:5: "to" is missing$/,
  );
  assertMatch(firstProblem("nodes: {}\n"), /^1:1: "name" is missing$/);
  assertMatch(firstProblem(""), /^1:1: the file holds no lab/);
});

Deno.test("every problem is listed, in file order", () => {
  const text = PAIR.replace("10.9.0.1/24", "10.9.0.1/99").replace("  b:\n", "  b:\n    x: 1\n");
  const error = assertThrows(() => parseLabYaml(text, "lab.yaml"), LabFileError);
  assertEquals(
    error.problems.map((p) => `${p.line}:${p.column}`),
    ["5:27", "7:5"],
  );
  assertMatch(error.message, /^invalid lab file lab\.yaml \(2 problems\):\nlab\.yaml:5:27: /);
});

Deno.test("YAML syntax errors: reported at their position", () => {
  assertMatch(firstProblem("name: x\nnodes: [a\n"), /^3:1: /);
  assertMatch(firstProblem("name: x\n\tnodes: {}\n"), /^2:1: /);
});

Deno.test("alias bombs are refused", () => {
  const bomb = [
    "name: x",
    "a: &a [x, x, x, x, x, x, x, x, x]",
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]",
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]",
    "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]",
  ].join("\n");
  assertMatch(firstProblem(bomb), /^3:8: too many alias expansions/);
});

Deno.test("files over 1 MiB are refused before parsing", async () => {
  const big = "name: x\n" + "#".repeat(MAX_LAB_FILE_BYTES) + "\n";
  assertMatch(firstProblem(big), /^1:1: the file is \d+ bytes; a lab file may be at most 1048576/);
  await withTempDir("netkit-labfile-", async (dir) => {
    await Deno.writeTextFile(`${dir}/big.yaml`, big);
    const error = await assertRejects(() => loadLabFile(`${dir}/big.yaml`), LabFileError);
    assertMatch(error.message, /big\.yaml:1:1: the file is \d+ bytes/);
    assertMatch(
      (await assertRejects(() => loadLabFile(`${dir}/none.yaml`), LabFileError)).message,
      /no\ such\ file/,
    );
    assertMatch(
      (await assertRejects(() => loadLabFile(dir), LabFileError)).message,
      /not\ a\ regular\ file/,
    );
  });
});

Deno.test("readLabName() needs only a valid name (down works on an edited file)", async () => {
  await withTempDir("netkit-labfile-", async (dir) => {
    await Deno.writeTextFile(`${dir}/lab.yaml`, "name: pair\nnodes: 5\n");
    assertEquals(await readLabName(`${dir}/lab.yaml`), "pair");
    await Deno.writeTextFile(`${dir}/bad.yaml`, "nodes: {}\nname: bad name\n");
    assertMatch(
      (await assertRejects(() => readLabName(`${dir}/bad.yaml`), LabFileError)).message,
      /bad\.yaml:2:7:/,
    );
  });
});

Deno.test("every recipe exported to YAML parses back to the same lab", () => {
  assert(recipes.size >= 2);
  for (const recipe of recipes.values()) {
    for (const options of [{}, { prefix: "t4-" }]) {
      const lab = validateLab(recipe.build(options), recipe.name);
      const text = labToYaml(lab, [`recipe ${recipe.name}`]);
      assertMatch(text, /^# recipe /);
      assertEquals(parseLabYaml(text, `${recipe.name}.yaml`), lab, recipe.name);
    }
  }
});

Deno.test("examples/labs/bridge-three.yaml is valid and plans a Linux bridge lab", async () => {
  const path = new URL("../../examples/labs/bridge-three.yaml", import.meta.url).pathname;
  const lab = await loadLabFile(path);
  assertEquals(Object.keys(lab.nodes), ["lb3-a", "lb3-b", "lb3-c"]);
  assertEquals(lab.bridges["lb3-br"]?.type, "linux");
  assertEquals(lab.expect.length, 3);
  const steps = planLab(lab, { stateDir: "/tmp/x" });
  assert(steps.some((s) => s.key === "bridge:/lb3-br"));
  assertEquals(steps.filter((s) => s.key.startsWith("netns:")).length, 3);
});

Deno.test("sh export: every word quoted, set -eu, heredoc for the DHCP hook, teardown reversed", () => {
  const lab = validateLab({
    name: "d",
    nodes: {
      s: {
        interfaces: { eth0: { addresses: ["10.5.0.1/24"] } },
        dhcpServer: { interface: "eth0", range: ["10.5.0.50", "10.5.0.50"] },
      },
      c: { interfaces: { eth0: { dhcp: true } } },
    },
    links: [{ endpoints: ["s:eth0", "c:eth0"] }],
  });
  const stateDir = "/run/x/sh/d";
  const steps = planLab(lab, { stateDir });
  const up = labScript(lab, { steps, stateDir });
  assertMatch(up, /^#!\/bin\/sh\n/);
  assertMatch(up, /^set -eu$/m);
  assertMatch(up, /^'ip' 'netns' 'add' 's'$/m);
  assertMatch(up, /^'mkdir' '-p' '\/run\/x\/sh\/d'$/m);
  assertMatch(up, /^'cat' > '\/run\/x\/sh\/d\/udhcpc-c@eth0\.hook' <<'NETKIT_EOF'\n#!\/bin\/sh\n/m);
  assertMatch(up, /^NETKIT_EOF\n'chmod' '755' /m);
  assertMatch(up, /'dnsmasq' '--conf-file=\/dev\/null'/);
  for (const line of up.split("\n").filter((l) => /^'(ip|ovs-vsctl|dnsmasq)'/.test(l))) {
    assertMatch(line, /^('[^']*'( |$))+$/, `every word quoted: ${line}`);
  }
  const down = labScript(lab, { steps, stateDir, teardown: true });
  assertMatch(down, /^set -eu$/m);
  const order = ["'pkill'", "'netns' 'delete' 'c'", "'netns' 'delete' 's'"].map((w) =>
    down.indexOf(w)
  );
  assert(order.every((i, k) => i > 0 && (k === 0 || i > order[k - 1]!)), "undo in reverse");
  assertMatch(down, /exit "\$failed"\n$/);
});

Deno.test("sh export for a private OVS: --db on every ovs-vsctl, nothing started", () => {
  const lab = validateLab(recipes.get("ovs-veth")!.build({ prefix: "t4-" }));
  const steps = planLab(lab, { stateDir: "/s" });
  const ovs = { kind: "private" as const, db: "unix:/run/n/ovs/db.sock", runDir: "/run/n/ovs" };
  const up = labScript(lab, { steps, stateDir: "/s", ovs });
  assertMatch(up, /# ovs-vsctl needs a running Open vSwitch: this script starts none/);
  const vsctl = up.split("\n").filter((l) => l.startsWith("'ovs-vsctl'"));
  assert(vsctl.length > 0);
  // A bounded wait too: netkit may stop its own OVS while a killed netkit's call still waits.
  for (const l of vsctl) {
    assertMatch(l, /^'ovs-vsctl' '--db=unix:\/run\/n\/ovs\/db\.sock' '--timeout=60' /);
  }
  assert(!/ovsdb-server|ovs-vswitchd|ovs-ctl/.test(up.replace(/^#.*$/gm, "")));
  const system = labScript(lab, {
    steps,
    stateDir: "/s",
    ovs: { kind: "system", db: "unix:/run/openvswitch/db.sock", runDir: "/run/openvswitch" },
  });
  assert(!system.includes("--db="), "the system OVS needs no --db");
  assert(!system.includes("--timeout"), "nor a bound: netkit never stops it");
});

/** One expectation of every kind, as written in a lab file (the `within` is added below it). */
const EVERY_KIND: Record<string, string> = {
  ping: "ping: { from: a, to: 10.9.0.2 }",
  lease: "lease: { node: a, interface: eth0, range: [10.9.0.10, 10.9.0.20] }",
  snat: "snat: { from: a, to: 10.9.0.2, observer: b, interface: eth0, source: 10.9.0.1 }",
  untag: "untag: { port: p1, tag: 10 }\n    ping: { from: a, to: 10.9.0.2 }",
  tcp: "tcp: { from: a, to: 10.9.0.2, port: 80, listen: b }",
  route: "route: { node: a, to: 10.9.0.0/24 }",
  link: "link: { node: a, interface: eth0 }",
  slaac: "slaac: { node: a, interface: eth0, prefix: 2001:db8::/64 }",
  failover: "failover: { down: a:eth0, from: a, to: 10.9.0.2 }",
  flow: "flow: { bridge: br0, match: ip }\n    ping: { from: a, to: 10.9.0.2 }",
  linkDown: "linkDown: a:eth0\n    ping: { from: a, to: 10.9.0.2 }",
  capture: "capture: { node: b, interface: eth0 }\n    ping: { from: a, to: 10.9.0.2 }",
  throughput: "throughput: { from: a, server: b, to: 10.9.0.2, rate: 1000000 }",
};

Deno.test("within: every proof kind takes the same duration beside it; a bad one is at its value", () => {
  const at = (kind: string, within: string) => {
    const proof = EVERY_KIND[kind]!;
    const text = `${PAIR}expect:\n  - ${proof}\n    within: ${within}\n`;
    return { text, line: text.split("\n").length - 1 };
  };
  for (const kind of Object.keys(EVERY_KIND)) {
    for (const bad of ["soon", "11min", "12"]) {
      const { text, line } = at(kind, bad);
      assertProblem(text, new RegExp(`^${line}:13: .*`));
      const error = assertThrows(() => parseLabYaml(text, "lab.yaml"), LabFileError);
      assert(
        error.problems.some((p) => p.line === line && p.column === 13),
        `${kind} within: ${bad}: ${error.message}`,
      );
    }
    // A good one parses (validation of the names is another matter), at the expectation.
    const { text } = at(kind, "12s");
    const error = (() => {
      try {
        parseLabYaml(text, "lab.yaml");
      } catch (e) {
        return e as LabFileError;
      }
    })();
    const atWithin = (error?.problems ?? []).filter((p) => /within/.test(p.message));
    assertEquals(atWithin, [], `${kind}: within: 12s refused`);
  }
  // The old form, a number of seconds inside the proof, is refused where it stands.
  assertMatch(
    firstProblem(
      `${PAIR}expect:\n  - slaac: { node: a, interface: eth0, prefix: 2001:db8::/64, within: 12 }\n`,
    ),
    /^12:\d+: unrecognized key "within"$/,
  );
});

Deno.test("withinOf(): a proof's own within; else the convergence time for what settles", () => {
  const pair = parseLabYaml(PAIR, "lab.yaml");
  const routed = structuredClone(pair);
  routed.nodes.a!.routing = { ospf: { dead: 40 } } as never;
  const ping = { ping: { from: "a", to: "10.9.0.2" }, reach: true };
  assertEquals(withinOf({ ...ping, within: "5s" }, routed), "5s");
  assertEquals(withinOf(ping, pair), undefined);
  assertEquals(withinOf(ping, routed), "80s");
  assertEquals(withinOf({ ...ping, reach: false }, routed), undefined);
  const slaac = { slaac: { node: "a", interface: "eth0", prefix: "2001:db8::/64" } };
  assertEquals(withinOf(slaac, pair), "30s");
  const failover = { failover: { down: "a:eth0", from: "a", to: "10.9.0.2" } };
  assertEquals(withinOf(failover, routed), "80s");
  assertEquals(withinOf({ ...failover, within: "12s" }, routed), "12s");
  const route = { route: { node: "a", to: "default" as const } };
  assertEquals(withinOf(route, pair), undefined);
  assertEquals(withinOf(route, routed), "80s");
});
