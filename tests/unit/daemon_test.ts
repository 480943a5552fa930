/**
 * The checked-pid record of the daemons netkit starts (lib/exec/daemon.ts), with real processes
 * (no root needed): a daemon is noted in a root-only record and stopped only while the process
 * behind its pid still is the one recorded; a pid another process has taken is never signalled.
 */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { withTempDir } from "../helpers/temp.ts";
import { ProcessRunner } from "../../lib/exec/runner.ts";
import { daemonPid, recordDaemon, recordFile, stopDaemon } from "../../lib/exec/daemon.ts";

const runner = new ProcessRunner();

/** A live child process standing in for a daemon; killed (and reaped) by `dispose`. */
function spawn(program: string, ...args: string[]) {
  const child = new Deno.Command(program, { args, stdin: "piped", stdout: "null", stderr: "null" })
    .spawn();
  return {
    pid: child.pid,
    status: child.status,
    async dispose() {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await child.status;
    },
  };
}

/** True while `pid` runs (a zombie has exited: it only waits to be reaped). */
async function alive(pid: number): Promise<boolean> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
  return stat !== "" && !/\) [ZX] /.test(stat);
}

Deno.test("recordDaemon() notes pid, start time and command line in a new 0600 file; stopDaemon() stops that process", async () => {
  await withTempDir("netkit-daemon-", async (dir) => {
    const daemon = spawn("sleep", "30");
    try {
      const pidFile = `${dir}/d.pid`;
      await Deno.writeTextFile(pidFile, `${daemon.pid}\n`);
      await Deno.writeTextFile(recordFile(pidFile), "old\n", { mode: 0o644 }); // a stale one
      await recordDaemon(runner, pidFile);
      const info = await Deno.stat(recordFile(pidFile));
      assertEquals(info.mode! & 0o777, 0o600);
      const record = JSON.parse(await Deno.readTextFile(recordFile(pidFile)));
      const stat = await Deno.readTextFile(`/proc/${daemon.pid}/stat`);
      assertEquals(record.pid, daemon.pid);
      assertEquals(record.startTime, stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
      const cmdline = await Deno.readTextFile(`/proc/${daemon.pid}/cmdline`);
      assertEquals(record.cmdline, cmdline.split("\0").slice(0, -1));
      assertEquals(record.cmdline.at(-1), "30");
      assertEquals(await daemonPid(runner, pidFile, "sleep"), daemon.pid);
      assertEquals(await stopDaemon(runner, pidFile, "sleep"), true);
      assertEquals((await daemon.status).signal, "SIGTERM");
      assert(!(await Deno.stat(recordFile(pidFile)).then(() => true, () => false)));
    } finally {
      await daemon.dispose();
    }
  });
});

Deno.test("a pid that another process has taken since is never signalled: the daemon counts as gone", async () => {
  await withTempDir("netkit-daemon-", async (dir) => {
    const daemon = spawn("sleep", "30");
    // The same command line, started a few clock ticks later (a tick is 10 ms): only the start
    // time tells it apart.
    await new Promise((r) => setTimeout(r, 50));
    const other = spawn("sleep", "30");
    try {
      const pidFile = `${dir}/d.pid`;
      await Deno.writeTextFile(pidFile, `${daemon.pid}\n`);
      await recordDaemon(runner, pidFile);
      await daemon.dispose(); // the daemon dies...
      // ...and its pid goes to another process: the pid file and the record now name it.
      const record = JSON.parse(await Deno.readTextFile(recordFile(pidFile)));
      await Deno.writeTextFile(recordFile(pidFile), JSON.stringify({ ...record, pid: other.pid }));
      await Deno.writeTextFile(pidFile, `${other.pid}\n`);
      const start = async (pid: number) => {
        const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
        return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
      };
      assert(record.startTime !== await start(other.pid), "started in the same clock tick");
      assertEquals(await daemonPid(runner, pidFile, "sleep"), undefined);
      assertEquals(await stopDaemon(runner, pidFile, "sleep", { timeoutMs: 200 }), false);
      assert(await alive(other.pid), "the other process was signalled");
    } finally {
      await other.dispose();
      await daemon.dispose();
    }
  });
});

Deno.test("a record whose pid was changed: the daemon is still found through its pid file, the other process is left alone", async () => {
  await withTempDir("netkit-daemon-", async (dir) => {
    const daemon = spawn("sleep", "30");
    const other = spawn("sleep", "31"); // started in the same clock tick: told apart by its command line
    try {
      const pidFile = `${dir}/d.pid`;
      await Deno.writeTextFile(pidFile, `${daemon.pid}\n`);
      await recordDaemon(runner, pidFile);
      const record = JSON.parse(await Deno.readTextFile(recordFile(pidFile)));
      await Deno.writeTextFile(recordFile(pidFile), JSON.stringify({ ...record, pid: other.pid }));
      assertEquals(await stopDaemon(runner, pidFile, "sleep"), true);
      assertEquals((await daemon.status).signal, "SIGTERM");
      assert(await alive(other.pid), "the other process was signalled");
    } finally {
      await other.dispose();
      await daemon.dispose();
    }
  });
});

Deno.test("a record kept elsewhere (FRR's: in the state directory) is the one read and removed", async () => {
  await withTempDir("netkit-daemon-", async (dir) => {
    const daemon = spawn("sleep", "30");
    try {
      const pidFile = `${dir}/d.pid`;
      const record = `${dir}/elsewhere.netkit`;
      await Deno.writeTextFile(pidFile, `${daemon.pid}\n`);
      await recordDaemon(runner, pidFile, { record });
      assert(!(await Deno.stat(recordFile(pidFile)).then(() => true, () => false)));
      assertEquals((await Deno.stat(record)).mode! & 0o777, 0o600);
      // A forged default record next to the pid file is not the one read.
      await Deno.writeTextFile(recordFile(pidFile), "{}");
      assertEquals(await daemonPid(runner, pidFile, "sleep", { record }), daemon.pid);
      assertEquals(await stopDaemon(runner, pidFile, "sleep", { record }), true);
      assert(!(await Deno.stat(record).then(() => true, () => false)));
    } finally {
      await daemon.dispose();
    }
  });
});

Deno.test("without a record, only `program` naming this pid file on its command line counts; a damaged record counts as gone", async () => {
  await withTempDir("netkit-daemon-", async (dir) => {
    const pidFile = `${dir}/d.pid`;
    // udhcpc's way: `busybox udhcpc ... -p PIDFILE` (here: sh waiting on its stdin).
    const client = spawn("sh", "-c", "read x", "sh", "-p", pidFile);
    const stranger = spawn("sleep", "30");
    try {
      await Deno.writeTextFile(pidFile, `${client.pid}\n`);
      assertEquals(await daemonPid(runner, pidFile, "dnsmasq"), undefined);
      assertEquals(await daemonPid(runner, pidFile, "sh"), client.pid);
      await Deno.writeTextFile(recordFile(pidFile), "not json");
      assertEquals(await daemonPid(runner, pidFile, "sh"), undefined);
      await Deno.remove(recordFile(pidFile));
      await Deno.writeTextFile(pidFile, `${stranger.pid}\n`);
      assertEquals(await daemonPid(runner, pidFile, "sleep"), undefined);
      await Deno.writeTextFile(pidFile, `${client.pid}\n`);
      assertEquals(await stopDaemon(runner, pidFile, "sh"), true);
      assertEquals((await client.status).signal, "SIGTERM");
      assert(await alive(stranger.pid));
    } finally {
      await client.dispose();
      await stranger.dispose();
    }
  });
});

Deno.test("recordDaemon() waits a bounded time for the pid file (dhclient writes it just after its parent returns)", async () => {
  await withTempDir("netkit-daemon-", async (dir) => {
    const daemon = spawn("sleep", "30");
    try {
      const pidFile = `${dir}/d.pid`;
      const error = await assertRejects(() => recordDaemon(runner, pidFile, { timeoutMs: 50 }));
      assert(String(error).includes("No running daemon"), String(error));
      const late = new Promise((r) => setTimeout(r, 100))
        .then(() => Deno.writeTextFile(pidFile, `${daemon.pid}\n`));
      await recordDaemon(runner, pidFile);
      await late;
      assertEquals(await daemonPid(runner, pidFile, "sleep"), daemon.pid);
    } finally {
      await daemon.dispose();
    }
  });
});
