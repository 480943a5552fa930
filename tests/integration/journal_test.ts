/**
 * `down` does not obey its journal blindly, on the real kernel: lines appended to a lab's
 * `journal.jsonl` that netkit never writes (a command of any kind, a file to remove, a namespace or
 * an interface that is not the lab's) are named and skipped, and what they name survives, while
 * the lab's own objects are removed; a lab whose state others could write is not acted on.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import {
  assertHostUnchanged,
  isRoot,
  netkit,
  sh,
  snapshot,
  useTestState,
} from "../helpers/host.ts";

const stateDir = useTestState("journal");
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };

const namespaces = async () =>
  (await sh("ip", "netns", "list")).split("\n").map((l) => l.split(" ")[0]).filter(Boolean);
const linkExists = async (name: string) => (await sh("ip", "link", "show", "dev", name)) !== "";
const exists = (path: string) => Deno.stat(path).then(() => true, () => false);
const mode = async (path: string) => (await Deno.stat(path)).mode! & 0o777;

Deno.test(
  "down skips journal lines netkit never wrote, names them, and what they name survives",
  opts,
  async () => {
    const before = await snapshot();
    const victimDir = await Deno.makeTempDir({ prefix: "netkit-victim-" });
    const victim = `${victimDir}/precious`;
    await Deno.writeTextFile(victim, "keep me\n");
    // Stand-ins for the host's own: a namespace and an interface netkit did not create.
    await sh("ip", "netns", "add", "t25-host-ns");
    await sh("ip", "link", "add", "t25-hostif", "type", "veth", "peer", "name", "t25-hostp");
    assert(await linkExists("t25-hostif"));
    try {
      const up = await netkit(["recipe", "ovs-veth", "--prefix", "t25-", "--no-check"]);
      assertEquals(up.code, 0, up.stderr);
      const lab = `${stateDir}/labs/t25-ovs-veth`;
      // The lab's state is root's alone.
      assertEquals(await mode(lab), 0o711);
      assertEquals(await mode(`${lab}/lab.json`), 0o600);
      assertEquals(await mode(`${lab}/journal.jsonl`), 0o600);
      const ownLines = (await Deno.readTextFile(`${lab}/journal.jsonl`)).trim().split("\n").length;
      const tampered = [
        { key: "x:rm", undo: [{ argv: ["rm", "-rf", victimDir] }] },
        { key: "netns:t25-host-ns", undo: [{ argv: ["ip", "netns", "delete", "t25-host-ns"] }] },
        { key: "link:t25-hostif", undo: [{ argv: ["ip", "link", "delete", "dev", "t25-hostif"] }] },
        { key: "x:file", undo: [{ remove: victim }] },
        // A netkit-shaped undo of the lab's own, smuggled in with a foreign one.
        {
          key: "netns:t25-ns1",
          undo: [{ argv: ["ip", "netns", "delete", "t25-ns1"] }, { argv: ["sh", "-c", "id"] }],
        },
      ];
      await Deno.writeTextFile(
        `${lab}/journal.jsonl`,
        tampered.map((t) => JSON.stringify(t) + "\n").join(""),
        { append: true },
      );
      const down = await netkit(["down", "t25-ovs-veth", "--json"]);
      assertEquals(down.code, 0, down.stderr);
      const result = JSON.parse(down.stdout) as {
        removed: boolean;
        undone: number;
        skipped: { line: number; reason: string }[];
      };
      assert(result.removed);
      assertEquals(result.undone, ownLines);
      assertEquals(
        result.skipped.map((s) => s.line),
        tampered.map((_, i) => ownLines + 1 + i),
      );
      for (
        const [i, reason] of [
          /"rm" is not a program/,
          /t25-host-ns/,
          /t25-hostif/,
          /outside/,
          /"sh"/,
        ].entries()
      ) {
        assertMatch(result.skipped[i]!.reason, reason);
        assertMatch(down.stderr, new RegExp(`journal line ${ownLines + 1 + i} not run`));
      }
      assertEquals(await Deno.readTextFile(victim), "keep me\n");
      assert(
        (await namespaces()).includes("t25-host-ns"),
        "a namespace netkit did not make was removed",
      );
      assert(await linkExists("t25-hostif"), "an interface netkit did not make was removed");
      // The lab's own objects are gone, and so is its state.
      assertEquals((await namespaces()).filter((n) => n!.startsWith("t25-ns")), []);
      assert(!(await linkExists("t25-br1")), "the lab's bridge is left");
      assert(!(await exists(lab)));
    } finally {
      await netkit(["down", "t25-ovs-veth"]);
      await sh("ip", "netns", "delete", "t25-host-ns");
      await sh("ip", "link", "delete", "dev", "t25-hostif");
      await Deno.remove(victimDir, { recursive: true }).catch(() => {});
    }
    await assertHostUnchanged(before, "after a tampered journal");
  },
);

Deno.test(
  "down does not act on a journal that others could have written; fixed, it removes the lab",
  opts,
  async () => {
    const before = await snapshot();
    try {
      const up = await netkit(["recipe", "ovs-veth", "--prefix", "t26-", "--no-check"]);
      assertEquals(up.code, 0, up.stderr);
      const journal = `${stateDir}/labs/t26-ovs-veth/journal.jsonl`;
      await Deno.chmod(journal, 0o666);
      const refused = await netkit(["down", "t26-ovs-veth"]);
      assertEquals(refused.code, 1, refused.stderr);
      assertMatch(refused.stderr, /journal\.jsonl is writable by its group \(mode 0666\)/);
      assert((await namespaces()).includes("t26-ns1"), "down acted on an unsafe journal");
      await Deno.chmod(journal, 0o600);
      const down = await netkit(["down", "t26-ovs-veth"]);
      assertEquals(down.code, 0, down.stderr);
      assertEquals(down.stderr, "");
    } finally {
      await netkit(["down", "t26-ovs-veth"]);
    }
    await assertHostUnchanged(before, "after an unsafe journal");
  },
);
