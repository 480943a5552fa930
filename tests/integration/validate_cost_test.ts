/**
 * Validation cost (issue 25): no lab file under 1 MiB may make `netkit validate` work for long.
 * Each file of tests/helpers/costly_labs.ts — as many nodes, links, ports, keys, problems or
 * aliases as 1 MiB holds, deep nesting, or a lab within every count whose cross checks could
 * compare everything with everything — runs through `netkit validate` as its own process, and
 * must be refused (exit 2, its first problem as `FILE:LINE:COL`, the reason expected) within a
 * generous ceiling. Measured on a 2-CPU machine shared with other work, each took 0.1 to 1.5 s
 * of CPU (most of it the YAML library reading 1 MiB), where before the worst took minutes; the
 * ceiling leaves room for a slow CI runner. No root needed: validate touches nothing.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { netkit } from "../helpers/host.ts";
import { withTempDir } from "../helpers/temp.ts";
import { costlyLabs } from "../helpers/costly_labs.ts";

/** The most one file may take, wall clock, process start included. */
const CEILING_MS = 10_000;

Deno.test("validate: every costly lab file under 1 MiB is refused within the ceiling", async () => {
  await withTempDir("netkit-cost-", async (dir) => {
    const slow: string[] = [];
    for (const lab of costlyLabs()) {
      const file = `${dir}/${lab.name}.yaml`;
      await Deno.writeTextFile(file, lab.text);
      const started = performance.now();
      const r = await netkit(["validate", file]);
      const ms = performance.now() - started;
      const where = `${lab.name} (${Math.round(ms)} ms):\n${r.stderr.slice(0, 2000)}`;
      assertEquals(r.code, 2, where);
      const first = r.stderr.split("\n")[0] ?? "";
      assertMatch(first, new RegExp(`^${file}:\\d+:\\d+: \\S`), where);
      assert(lab.refusal.test(r.stderr), `${where}\nexpected ${lab.refusal}`);
      assert(r.stderr.split("\n").length <= 103, `at most 100 problems and a count: ${where}`);
      if (ms > CEILING_MS) slow.push(`${lab.name}: ${Math.round(ms)} ms`);
    }
    assertEquals(slow, [], `over ${CEILING_MS} ms`);
  });
});
