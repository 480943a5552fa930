/**
 * netkit's own files as untrusted input: a lab name is never a path, a lab.json is checked before
 * netkit acts on it, and rootless mode reads its PID file only from a directory of the user's own.
 */
import { assertEquals, assertRejects, assertThrows } from "../helpers/assert.ts";
import { UsageError } from "../../mod.ts";
import { labDir, listLabNames } from "../../lib/state.ts";
import { listLabs, readLabState } from "../../lib/lab/runtime.ts";
import { DamagedStateError, readLabStateHeader } from "../../lib/lab/lab_state.ts";
import { type Rootless, runningHolder } from "../../lib/lab/rootless.ts";
import { resolveHost } from "../../lib/host.ts";
import { ProcessRunner } from "../../lib/exec/runner.ts";
import { withTempDir } from "../helpers/temp.ts";

/** Writes `state` as lab `dir`'s lab.json under the state root `root`. */
async function writeState(root: string, dir: string, state: unknown): Promise<void> {
  await Deno.mkdir(`${root}/labs/${dir}`, { recursive: true });
  await Deno.writeTextFile(`${root}/labs/${dir}/lab.json`, JSON.stringify(state));
}

Deno.test("labDir() takes a lab name, never a path", () => {
  for (const bad of ["../../etc", "a/b", "..", "", "-x", "a b"]) {
    assertThrows(() => labDir("/run/netkit", bad), UsageError);
  }
  assertEquals(labDir("/run/netkit", "lab-1"), "/run/netkit/labs/lab-1");
});

Deno.test("listLabNames() and readLabState(): only netkit's own state, as netkit wrote it", async () => {
  await withTempDir("netkit-u11-", async (root) => {
    const host = resolveHost({ stateRoot: root });
    {
      const write = (dir: string, state: unknown) => writeState(root, dir, state);
      const lab = (name: string) => ({
        lab: { name, nodes: {}, bridges: {}, links: [], expect: [] },
        status: "up",
        createdAt: "2026-01-01T00:00:00Z",
      });
      await write("good", lab("good"));
      await write("moved", lab("../../etc"));
      await write("other", lab("someone"));
      await write("ovs", {
        ...lab("ovs"),
        ovs: { kind: "private", db: "tcp:1.2.3.4:6640", runDir: "/" },
      });
      await write("names", { ...lab("names"), lab: { ...lab("names").lab, nodes: { "1": {} } } });
      await Deno.mkdir(`${root}/labs/..hidden`);
      await Deno.mkdir(`${root}/labs/with space`);
      assertEquals(await listLabNames(root), ["good", "moved", "names", "other", "ovs"]);
      assertEquals((await readLabState(host, "good"))?.lab.name, "good");
      for (const name of ["moved", "other", "ovs", "names"]) {
        await assertRejects(() => readLabState(host, name), DamagedStateError);
      }
      assertEquals((await listLabs({ host })).map((s) => s.lab.name), ["good"]);
      assertEquals(await readLabState(host, "absent"), undefined);
    }
  });
});

Deno.test("readLabStateHeader() (what down acts on) refuses what netkit did not write", async () => {
  await withTempDir("netkit-u11-", async (root) => {
    const host = resolveHost({ stateRoot: root });
    const write = (name: string, state: unknown) => writeState(root, name, state);
    const base = (name: string) => ({
      // the lab itself is not read: a recorded lab the schema refuses is still removable
      lab: { name, nodes: { "not checked": 1 } },
      status: "starting",
      createdAt: "2026-01-01T00:00:00Z",
    });
    const ovs = {
      kind: "private" as const,
      db: "unix:/run/netkit/ovs/db.sock",
      runDir: "/run/netkit/ovs",
    };
    await write("good", { ...base("good"), ovs, sandbox: "nk-sb-1" });
    assertEquals(await readLabStateHeader(host, "good"), {
      status: "starting",
      createdAt: "2026-01-01T00:00:00Z",
      ovs,
      sandbox: "nk-sb-1",
    });
    const bad: Record<string, unknown> = {
      "other-lab": base("someone"),
      "bad-status": { ...base("bad-status"), status: "gone" },
      "tcp-db": { ...base("tcp-db"), ovs: { ...ovs, db: "tcp:1.2.3.4:6640" } },
      "dotdot": { ...base("dotdot"), ovs: { ...ovs, runDir: "/run/../etc" } },
      "extra-key": { ...base("extra-key"), ovs: { ...ovs, more: 1 } },
      "sandbox-path": { ...base("sandbox-path"), sandbox: "../x" },
      "sandbox-pid": { ...base("sandbox-pid"), sandbox: "1" },
      "no-lab": { status: "up", createdAt: "x" },
    };
    for (const [name, state] of Object.entries(bad)) {
      await write(name, state);
      await assertRejects(() => readLabStateHeader(host, name), DamagedStateError);
    }
    assertEquals(await readLabStateHeader(host, "absent"), undefined);
  });
});

Deno.test("rootless: holder.json is read only from a directory of the user's own", async () => {
  // A live process of this user stands in for the holder (not this one: under a PID namespace
  // of its own, the test runner may be PID 1, which is never a holder).
  const holder = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    await withTempDir("netkit-u11-", async (xdg) => {
      const dir = `${xdg}/netkit`;
      const rl: Rootless = { dir, runner: new ProcessRunner() };
      {
        assertEquals(await runningHolder(rl), undefined); // no directory yet: no holder
        await Deno.mkdir(dir, { mode: 0o700 });
        await Deno.chmod(dir, 0o755); // readable by others: someone else may have made it
        const userns = await Deno.readLink(`/proc/${holder.pid}/ns/user`);
        await Deno.writeTextFile(`${dir}/holder.json`, JSON.stringify({ pid: holder.pid, userns }));
        await assertRejects(() => runningHolder(rl), UsageError);
        await Deno.chmod(dir, 0o700);
        assertEquals((await runningHolder(rl))?.pid, holder.pid); // now the record is believed
        await Deno.remove(dir, { recursive: true });
        await Deno.mkdir(`${xdg}/elsewhere`, { mode: 0o700 });
        await Deno.symlink(`${xdg}/elsewhere`, dir); // a symlink is not the user's directory
        await assertRejects(() => runningHolder(rl), UsageError);
      }
    });
  } finally {
    holder.kill("SIGKILL");
    await holder.status;
  }
});
