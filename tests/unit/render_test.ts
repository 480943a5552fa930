/**
 * What `up` prints for a big lab: a summary counted from the lab (no table), and the proofs as a
 * count with each failure, against the full list for a small lab.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { star, validateLab } from "../../mod.ts";
import { labSummary } from "../../lib/lab/status.ts";
import { PROOFS_LISTED, renderProofs, renderSummary } from "../../lib/cli/text.ts";
import type { CheckResult } from "../../lib/check/probes.ts";

Deno.env.set("NO_COLOR", "1");

Deno.test("labSummary() counts namespaces, veth pairs and each bridge's ports", () => {
  const lab = validateLab({
    ...star({ prefix: "u-", count: 30, bridge: "ovs" }),
    bridges: { "u-br": { type: "ovs", ports: { tap9: { internal: true } } } },
  });
  assertEquals(labSummary(lab), {
    name: "u-star",
    namespaces: 30,
    links: 30,
    bridges: [{ name: "u-br", type: "ovs", ports: 31 }],
    proofs: 1,
  });
  const text = renderSummary(labSummary(lab));
  assertMatch(text, /^Lab u-star: 30 namespaces, 30 veth pairs, 1 bridge:$/m);
  assertMatch(text, /^ {2}u-br \(OVS\): 31 ports$/m);
  assertMatch(text, /netkit status u-star/);
  assert(!/u-h1\b/.test(text), text);
});

Deno.test("renderProofs() lists a few proofs, and for many the count and each failure", () => {
  const result = (i: number, pass: boolean): CheckResult => ({
    name: `h${i} -> 10.0.0.${i} reachable`,
    pass,
    evidence: `${pass ? 1 : 0} received`,
  });
  const few = Array.from({ length: PROOFS_LISTED }, (_, i) => result(i, true));
  assertEquals((renderProofs(few).match(/^PASS h/gm) ?? []).length, PROOFS_LISTED);
  const many = Array.from({ length: 50 }, (_, i) => result(i, i !== 7 && i !== 30));
  const text = renderProofs(many);
  assertMatch(text, /^FAIL 48 of 50 proofs passed$/m);
  assertEquals(text.match(/^FAIL h\d+/gm), ["FAIL h7", "FAIL h30"]);
  assert(!/^PASS h/m.test(text), text);
  assertMatch(renderProofs(many.map((r) => ({ ...r, pass: true }))), /^PASS 50 of 50 proofs/);
});
