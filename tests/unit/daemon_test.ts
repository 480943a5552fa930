/**
 * The checked-pid record of the daemons netkit starts (lib/exec/daemon.ts), with real processes
 * (no root needed): a daemon is noted in a root-only record, only while the process its pid file
 * names is the program started with that pid file, and stopped only while the process behind its
 * pid still is the one recorded; a pid another process has taken is never signalled.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import { withTempDir } from "../helpers/temp.ts";
import { ProcessRunner } from "../../lib/exec/runner.ts";
import { daemonPid, recordDaemon, recordFile, stopDaemon } from "../../lib/exec/daemon.ts";
import { Executor, StepError } from "../../lib/plan/executor.ts";
import { cmd, type Step } from "../../lib/plan/step.ts";

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

/**
 * A stand-in daemon that names `pidFile` on its command line, as every daemon netkit starts does
 * (`--pidfile=PIDFILE`): `sh` waiting on its standard input. `extra` words tell two apart.
 */
const daemonOf = (pidFile: string, ...extra: string[]) =>
  spawn("sh", "-c", "read x", "sh", `--pidfile=${pidFile}`, ...extra);

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

/** True while `pid` runs (a zombie has exited: it only waits to be reaped). */
async function alive(pid: number): Promise<boolean> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
  return stat !== "" && !/\) [ZX] /.test(stat);
}

Deno.test("recordDaemon() notes pid, start time and command line in a new 0600 file; stopDaemon() stops that process", async () => {
  await withTempDir("netkit-daemon-", async (dir) => {
    const pidFile = `${dir}/d.pid`;
    const daemon = daemonOf(pidFile);
    try {
      await Deno.writeTextFile(pidFile, `${daemon.pid}\n`);
      await Deno.writeTextFile(recordFile(pidFile), "old\n", { mode: 0o644 }); // a stale one
      await recordDaemon(runner, pidFile, "sh");
      const info = await Deno.stat(recordFile(pidFile));
      assertEquals(info.mode! & 0o777, 0o600);
      const record = JSON.parse(await Deno.readTextFile(recordFile(pidFile)));
      const stat = await Deno.readTextFile(`/proc/${daemon.pid}/stat`);
      assertEquals(record.pid, daemon.pid);
      assertEquals(record.startTime, stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
      const cmdline = await Deno.readTextFile(`/proc/${daemon.pid}/cmdline`);
      assertEquals(record.cmdline, cmdline.split("\0").slice(0, -1));
      assertEquals(record.cmdline.at(-1), `--pidfile=${pidFile}`);
      assertEquals(await daemonPid(runner, pidFile, "sh"), daemon.pid);
      assertEquals(await stopDaemon(runner, pidFile, "sh"), true);
      assertEquals((await daemon.status).signal, "SIGTERM");
      assert(!(await exists(recordFile(pidFile))));
    } finally {
      await daemon.dispose();
    }
  });
});

Deno.test("a pid that another process has taken since is never signalled: the daemon counts as gone", async () => {
  await withTempDir("netkit-daemon-", async (dir) => {
    const pidFile = `${dir}/d.pid`;
    const daemon = daemonOf(pidFile);
    // The same command line, started a few clock ticks later (a tick is 10 ms): only the start
    // time tells it apart.
    await new Promise((r) => setTimeout(r, 50));
    const other = daemonOf(pidFile);
    try {
      await Deno.writeTextFile(pidFile, `${daemon.pid}\n`);
      await recordDaemon(runner, pidFile, "sh");
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
      assertEquals(await daemonPid(runner, pidFile, "sh"), undefined);
      assertEquals(await stopDaemon(runner, pidFile, "sh", { timeoutMs: 200 }), false);
      assert(await alive(other.pid), "the other process was signalled");
    } finally {
      await other.dispose();
      await daemon.dispose();
    }
  });
});

Deno.test("a record whose pid was changed: the daemon is still found through its pid file, the other process is left alone", async () => {
  await withTempDir("netkit-daemon-", async (dir) => {
    const pidFile = `${dir}/d.pid`;
    const daemon = daemonOf(pidFile);
    const other = daemonOf(pidFile, "other"); // started in the same clock tick: told apart by its command line
    try {
      await Deno.writeTextFile(pidFile, `${daemon.pid}\n`);
      await recordDaemon(runner, pidFile, "sh");
      const record = JSON.parse(await Deno.readTextFile(recordFile(pidFile)));
      await Deno.writeTextFile(recordFile(pidFile), JSON.stringify({ ...record, pid: other.pid }));
      assertEquals(await stopDaemon(runner, pidFile, "sh"), true);
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
    const pidFile = `${dir}/d.pid`;
    const daemon = daemonOf(pidFile);
    try {
      const record = `${dir}/elsewhere.netkit`;
      await Deno.writeTextFile(pidFile, `${daemon.pid}\n`);
      await recordDaemon(runner, pidFile, "sh", { record });
      assert(!(await exists(recordFile(pidFile))));
      assertEquals((await Deno.stat(record)).mode! & 0o777, 0o600);
      // A forged default record next to the pid file is not the one read.
      await Deno.writeTextFile(recordFile(pidFile), "{}");
      assertEquals(await daemonPid(runner, pidFile, "sh", { record }), daemon.pid);
      assertEquals(await stopDaemon(runner, pidFile, "sh", { record }), true);
      assert(!(await exists(record)));
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

Deno.test("without a record, a daemon whose command line names another file of its own (a capture's pcap) is found by that file", async () => {
  await withTempDir("netkit-daemon-", async (dir) => {
    const pidFile = `${dir}/tcpdump.pid`;
    const pcap = `${dir}/eth0.pcap`;
    // tcpdump's way: started by start-stop-daemon (which writes the pid file), it names its pcap.
    const capture = spawn("sh", "-c", "read x", "sh", "-w", pcap);
    try {
      await Deno.writeTextFile(pidFile, `${capture.pid}\n`);
      assertEquals(await daemonPid(runner, pidFile, "sh"), undefined); // not by the pid file
      assertEquals(
        await daemonPid(runner, pidFile, "sh", { named: `${dir}/other.pcap` }),
        undefined,
      );
      assertEquals(await stopDaemon(runner, pidFile, "sh", { named: pcap }), true);
      assertEquals((await capture.status).signal, "SIGTERM");
    } finally {
      await capture.dispose();
    }
  });
});

Deno.test("recordDaemon() waits a bounded time for the pid file (dhclient writes it just after its parent returns)", async () => {
  await withTempDir("netkit-daemon-", async (dir) => {
    const pidFile = `${dir}/d.pid`;
    const daemon = daemonOf(pidFile);
    try {
      const error = await assertRejects(() =>
        recordDaemon(runner, pidFile, "sh", { timeoutMs: 50 })
      );
      assertEquals(error.message, `No running sh behind ${JSON.stringify(pidFile)}`);
      const late = new Promise((r) => setTimeout(r, 100))
        .then(() => Deno.writeTextFile(pidFile, `${daemon.pid}\n`));
      await recordDaemon(runner, pidFile, "sh");
      await late;
      assertEquals(await daemonPid(runner, pidFile, "sh"), daemon.pid);
    } finally {
      await daemon.dispose();
    }
  });
});

Deno.test("recordDaemon() never notes a process that is not `program` naming its pid file (FRR's pid file lies where user frr may write)", async () => {
  await withTempDir("netkit-daemon-", async (dir) => {
    const pidFile = `${dir}/d.pid`;
    const stranger = spawn("sleep", "30"); // some other process, root's own
    const wrongProgram = daemonOf(pidFile); // names the pid file, but is not the program started
    try {
      const cases: [pid: number, program: string][] = [
        [stranger.pid, "sleep"], // the program's name, but not started with this pid file
        [wrongProgram.pid, "zebra"], // started with this pid file, but another program
        [Deno.pid, "zebra"], // netkit itself
      ];
      for (const [pid, program] of cases) {
        await Deno.writeTextFile(pidFile, `${pid}\n`);
        const error = await assertRejects(() =>
          recordDaemon(runner, pidFile, program, { timeoutMs: 100 })
        );
        const runs = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0").slice(0, -1);
        assertEquals(
          error.message,
          `Pid file ${JSON.stringify(pidFile)} named pid ${pid}, which is not ${program} started ` +
            `with that pid file (it runs ${JSON.stringify(runs.join(" "))}): not recorded`,
        );
        assert(!(await exists(recordFile(pidFile))), `pid ${pid} was recorded`);
        // Nothing recorded, nothing that passes for the daemon: a stop signals no one.
        assertEquals(await stopDaemon(runner, pidFile, program, { timeoutMs: 100 }), false);
      }
      assert(await alive(stranger.pid), "the unrelated process was signalled");
      assert(await alive(wrongProgram.pid), "the other program was signalled");
    } finally {
      await stranger.dispose();
      await wrongProgram.dispose();
    }
  });
});

Deno.test("recordDaemon() waits while the pid file names another process, and notes the daemon once it names it", async () => {
  await withTempDir("netkit-daemon-", async (dir) => {
    const pidFile = `${dir}/d.pid`;
    const stranger = spawn("sleep", "30");
    const daemon = daemonOf(pidFile);
    try {
      await Deno.writeTextFile(pidFile, `${stranger.pid}\n`);
      const late = new Promise((r) => setTimeout(r, 100))
        .then(() => Deno.writeTextFile(pidFile, `${daemon.pid}\n`));
      await recordDaemon(runner, pidFile, "sh");
      await late;
      const record = JSON.parse(await Deno.readTextFile(recordFile(pidFile)));
      assertEquals(record.pid, daemon.pid);
    } finally {
      await stranger.dispose();
      await daemon.dispose();
    }
  });
});

Deno.test("a bring-up whose daemon pid file names another process fails that step, and its rollback signals no one", async () => {
  await withTempDir("netkit-daemon-", async (dir) => {
    const pidFile = `${dir}/d.pid`;
    const stranger = spawn("sleep", "30");
    try {
      // Written before netkit notes the daemon, by whoever may write the pid file's directory.
      await Deno.writeTextFile(pidFile, `${stranger.pid}\n`);
      const step: Step = {
        key: "daemon:dnsmasq@t",
        summary: "start dnsmasq",
        do: [cmd("true"), { recordDaemon: pidFile, program: "dnsmasq" }],
        undo: [{ stopDaemon: pidFile, program: "dnsmasq" }],
        pidFile,
      };
      const error = await assertRejects(() => new Executor({ runner }).apply([step]), StepError);
      assertMatch(error.message, new RegExp(`named pid ${stranger.pid}, which is not dnsmasq`));
      assertEquals(error.undoErrors, []);
      assert(!(await exists(recordFile(pidFile))), "the other process was recorded");
      assert(await alive(stranger.pid), "the other process was signalled");
    } finally {
      await stranger.dispose();
    }
  });
});
