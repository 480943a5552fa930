/**
 * `up FILE --prefix`: two copies of one lab file (and of one containerlab topology) up side by
 * side on the real kernel, each proving itself, each removed by `down FILE --prefix`, the host
 * as it was. Every name starts with t27.
 *
 * @module
 */
import { assertEquals, assertMatch } from "../helpers/assert.ts";
import {
  assertHostUnchanged,
  isRoot,
  netkit,
  sh,
  snapshot,
  useTestState,
} from "../helpers/host.ts";

useTestState("prefix");
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };
const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;

/** Brings up `file` with each prefix, checks each, and removes each; the host ends as it began. */
async function sideBySide(file: string, lab: string, prefixes: string[], extra: string[] = []) {
  const before = await snapshot();
  try {
    for (const prefix of prefixes) {
      const up = await netkit(["up", file, "--prefix", prefix, ...extra]);
      assertEquals(up.code, 0, up.stdout + up.stderr);
      assertMatch(up.stdout, new RegExp(`Up: lab ${prefix}${lab}\\b`));
      assertEquals(/^FAIL /m.test(up.stdout), false, up.stdout);
    }
    // Both copies are up at once, each with its own namespaces and bridge.
    const netns = await sh("ip", "netns", "list");
    for (const prefix of prefixes) assertMatch(netns, new RegExp(`^${prefix}`, "m"));
    for (const prefix of prefixes) {
      const check = await netkit(["check", `${prefix}${lab}`]);
      assertEquals(check.code, 0, check.stdout + check.stderr);
      assertMatch(check.stdout, /^PASS /m);
    }
  } finally {
    for (const prefix of prefixes) {
      const down = await netkit(["down", file, "--prefix", prefix]);
      assertEquals(down.code, 0, down.stdout + down.stderr);
      assertMatch(down.stdout, new RegExp(`Removed lab ${prefix}${lab}`));
    }
  }
  await assertHostUnchanged(before, "after both copies are down");
}

Deno.test("up FILE --prefix: two copies of one lab file side by side", opts, async () => {
  await sideBySide(`${EXAMPLES}labs/bridge-three.yaml`, "bridge-three", ["t27a-", "t27b-"]);
});

Deno.test("up FILE --prefix: two copies of one containerlab topology", opts, async () => {
  await sideBySide(`${EXAMPLES}clab/bridge.clab.yml`, "bridge-hosts", ["t27c-", "t27d-"], [
    "--ignore-images",
  ]);
});

Deno.test("up FILE --prefix: a name made too long is refused, nothing changed", opts, async () => {
  const before = await snapshot();
  const r = await netkit(["up", `${EXAMPLES}labs/bridge-three.yaml`, "--prefix", "t27-long-"]);
  assertEquals(r.code, 2, r.stdout + r.stderr);
  assertMatch(
    r.stderr,
    /bridge-three\.yaml:30:29: with --prefix t27-long-, the link end "t27-long-lb3-a-p" is 16 bytes: at most 15 \(use a shorter prefix\)$/m,
  );
  await assertHostUnchanged(before, "after a refused prefix");
});
