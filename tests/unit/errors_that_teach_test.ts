/**
 * Errors that teach: every problem of a lab file in one pass, each as FILE:LINE:COL with a message
 * a person can act on ("did you mean", the choices of an enum, one message for a misspelled
 * required key), and the cross-checks that would otherwise fail only at run time. No root needed.
 *
 * @module
 */
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { LabFileError, parseLabYaml } from "../../lib/lab/file.ts";
import { LINUX_BRIDGE_MAX_PORTS } from "../../lib/lab/validate.ts";

/** Every problem of a lab file that must fail, as "FILE:LINE:COL: message". */
function problems(text: string): string[] {
  const error = assertThrows(() => parseLabYaml(text, "lab.yaml"), LabFileError);
  const lines = error.problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`);
  for (const line of lines) assert(error.message.includes(line), `not in the message: ${line}`);
  return lines;
}

const PAIR = `name: pair
nodes:
  a:
    interfaces:
      eth0: { addresses: [10.9.0.1/24] }
  b:
    interfaces:
      eth0: { addresses: [10.9.0.2/24] }
    routes:
      - { to: default, via: 10.9.0.1 }
links:
  - endpoints: [a:eth0, b:eth0]
`;

Deno.test("an unknown key names the known key it is closest to", () => {
  assertEquals(problems(PAIR.replace("{ addresses: [10.9.0.1", "{ adresses: [10.9.0.1")), [
    'lab.yaml:5:15: unrecognized key "adresses" (did you mean "addresses"?)',
  ]);
  // Nothing close: no guess.
  assertEquals(problems(PAIR.replace("  b:\n", "  b:\n    colour: blue\n")), [
    'lab.yaml:7:5: unrecognized key "colour"',
  ]);
  // Only the keys of that object are candidates: "role" is a node's key, not an interface's.
  assertEquals(
    problems(
      PAIR.replace("{ addresses: [10.9.0.1/24] }", "{ addresses: [10.9.0.1/24], rol: host }"),
    ),
    [
      'lab.yaml:5:41: unrecognized key "rol"',
    ],
  );
});

Deno.test("an enum error names the field, the bad value and the choices", () => {
  assertEquals(problems("name: x\nbridges:\n  br0: { type: linx }\n"), [
    'lab.yaml:3:16: bridges.br0.type: "linx" is not one of linux, ovs',
  ]);
  assertEquals(problems(PAIR.replace("  b:\n", "  b:\n    role: switch\n")), [
    'lab.yaml:7:11: nodes.b.role: "switch" is not one of host, router',
  ]);
});

Deno.test("a misspelled required key is one message, not two", () => {
  assertEquals(problems(PAIR + "expect:\n  - ping: { fro: b, to: 10.9.0.1 }\n"), [
    'lab.yaml:14:13: unrecognized key "fro" (did you mean "from"?)',
  ]);
  // A required key that is simply missing is still said.
  assertEquals(problems(PAIR + "expect:\n  - ping: { to: 10.9.0.1 }\n"), [
    'lab.yaml:14:5: "from" is missing',
  ]);
});

Deno.test("a duplicate key is reported at its line with the lab's other problems", () => {
  const text = PAIR.replace(
    "      eth0: { addresses: [10.9.0.1/24] }\n",
    "      eth0: {}\n      eth0: {}\n",
  )
    .replace("via: 10.9.0.1", "via: 10.7.0.1");
  assertEquals(problems(text), [
    'lab.yaml:6:7: duplicate key "eth0": each key may appear once in a mapping',
    'lab.yaml:11:29: gateway 10.7.0.1 is outside every subnet of node "b"',
  ]);
  // A duplicate alone is a problem too.
  assertEquals(problems("name: x\nname: y\n"), [
    'lab.yaml:2:1: duplicate key "name": each key may appear once in a mapping',
  ]);
});

Deno.test("one pass: a typo and a gateway outside every subnet are reported together", () => {
  const text = PAIR.replace("  b:\n", "  b:\n    rote: router\n").replace(
    "via: 10.9.0.1",
    "via: 10.7.0.1",
  );
  assertEquals(problems(text), [
    'lab.yaml:7:5: unrecognized key "rote" (did you mean "role"?)',
    'lab.yaml:11:29: gateway 10.7.0.1 is outside every subnet of node "b"',
  ]);
  // A typo in the key of the very node whose gateway is wrong: the hint is taken, the address
  // counts, and the gateway inside it is fine.
  assertEquals(
    problems(PAIR.replace("{ addresses: [10.9.0.2/24] }", "{ adresses: [10.9.0.2/24] }")),
    [
      'lab.yaml:8:15: unrecognized key "adresses" (did you mean "addresses"?)',
    ],
  );
  // A broken part (a bad address) says only its own problem: nothing about what its loss implies.
  assertEquals(
    problems(PAIR.replace("10.9.0.2/24", "10.9.0.2/99").replace("via: 10.9.0.1", "via: 10.7.0.1")),
    [
      "lab.yaml:8:27: expected an IPv4 address with prefix, A.B.C.D/N",
    ],
  );
  // ...while the rest of the lab is still checked.
  const elsewhere = PAIR.replace("10.9.0.2/24", "10.9.0.2/99").replace(
    "  b:\n",
    "    routes: [{ to: 10.8.0.0/24, dev: eth7 }]\n  b:\n",
  );
  assertEquals(problems(elsewhere), [
    'lab.yaml:6:38: node "a" has no interface "eth7"',
    "lab.yaml:9:27: expected an IPv4 address with prefix, A.B.C.D/N",
  ]);
});

Deno.test("an expected lease on an interface its node does not have is refused", () => {
  const text = PAIR +
    "expect:\n  - lease: { node: b, interface: eth1, range: [10.9.0.10, 10.9.0.20] }\n";
  assertEquals(problems(text), ['lab.yaml:14:34: node "b" has no interface "eth1"']);
});

/** A lab with one Linux bridge and `ports` nodes linked to it. */
function bridgeLab(ports: number): string {
  const lines = ["name: big", "bridges:", "  br0: { type: linux }", "nodes:"];
  for (let i = 0; i < ports; i++) lines.push(`  n${i}: {}`);
  lines.push("links:");
  for (let i = 0; i < ports; i++) lines.push(`  - endpoints: [n${i}:eth0, br0:p${i}]`);
  return lines.join("\n") + "\n";
}

Deno.test("a Linux bridge with more ports than the kernel takes is refused at validation", () => {
  assertEquals(LINUX_BRIDGE_MAX_PORTS, 1023);
  assertEquals(parseLabYaml(bridgeLab(1023), "lab.yaml").links.length, 1023);
  const [only, ...rest] = problems(bridgeLab(1024));
  assertEquals(rest, []);
  assertEquals(
    only,
    'lab.yaml:3:3: Linux bridge "br0" has 1024 ports; the kernel takes at most 1023 (it refuses ' +
      'the next with "Exchange full"): use an OVS bridge (type: ovs), or two Linux bridges ' +
      "joined by a link",
  );
});

Deno.test("many typos cost linear time: thousands of unknown keys are reported quickly", () => {
  const lines = ["name: typos", "nodes:"];
  for (let i = 0; i < 4000; i++) {
    lines.push(`  n${i}: { rol: host, rotes: [] }`);
  }
  const start = performance.now();
  const all = problems(lines.join("\n") + "\n");
  const ms = performance.now() - start;
  // All 8,000 are found; the first 100 are shown, then how many more (the output is bounded).
  assertEquals(all.length, 101);
  assert(all[0]!.endsWith('unrecognized key "rol" (did you mean "role"?)'), all[0]);
  assert(all[100]!.endsWith("and 7900 more problems from here on (the first 100 are shown)"));
  assert(ms < 4000, `${ms} ms`); // about 0.7 s here; a quadratic step would take minutes
});
