/**
 * How every runner (lib/exec/runner.ts, lib/exec/ssh_runner.ts) reports a command that a signal
 * ended: by the signal itself, never by guessing from the exit code, since a program may exit
 * 255 by itself (`ip`'s `exit(-1)` on an ordinary error). Real processes, no root needed.
 */
import { assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import { CommandError, ProcessRunner, RecordingRunner } from "../../lib/exec/runner.ts";
import { SshRunner } from "../../lib/exec/ssh_runner.ts";

const EXIT_255 = ["sh", "-c", "echo 'Error: argument is wrong' >&2; exit 255"];
const KILLED = ["sh", "-c", "kill -TERM $$"];

Deno.test("ProcessRunner.run(): exit 255 is no signal; a command that SIGTERM ended says so", async () => {
  const runner = new ProcessRunner();
  const failed = await assertRejects(() => runner.run(EXIT_255), CommandError);
  assertEquals([failed.code, failed.signal], [255, null]);
  assertMatch(failed.message, /^Command failed \(exit 255\): sh -c .*: Error: argument is wrong$/);
  const killed = await assertRejects(() => runner.run(KILLED), CommandError);
  assertEquals([killed.code, killed.signal], [143, "SIGTERM"]);
  assertMatch(killed.message, /^Command failed \(exit 143, ended by SIGTERM\): sh -c/);
  // With allowFailure the result says the same.
  const exited = await runner.run(EXIT_255, { allowFailure: true });
  assertEquals([exited.code, exited.signal], [255, undefined]);
  const ended = await runner.run(KILLED, { allowFailure: true });
  assertEquals([ended.code, ended.signal], [143, "SIGTERM"]);
});

Deno.test("RecordingRunner and SshRunner pass on the signal of a canned result, and only that", async () => {
  const respond = (argv: readonly string[]) =>
    argv.at(-1)!.includes("killed")
      ? { code: 130, stdout: "", stderr: "", signal: "SIGINT" as const }
      : { code: 255, stdout: "", stderr: "" };
  const recording = new RecordingRunner(respond);
  const exited = await assertRejects(() => recording.run(["exits"]), CommandError);
  assertEquals(exited.signal, null);
  const killed = await assertRejects(() => recording.run(["killed"]), CommandError);
  assertEquals([killed.code, killed.signal], [130, "SIGINT"]);
  assertEquals(await recording.spawn(["killed"]).status, { code: 130, signal: "SIGINT" });
  assertEquals(await recording.spawn(["exits"]).status, { code: 255, signal: null });
  // Through ssh: the local ssh process's end is the command's.
  const ssh = new SshRunner({ destination: "h1" }, { local: recording, controlDir: "/c" });
  const remote = await assertRejects(() => ssh.run(["exits"]), CommandError);
  assertEquals([remote.argv, remote.code, remote.signal], [["ssh:h1", "exits"], 255, null]);
  const interrupted = await assertRejects(() => ssh.run(["killed"]), CommandError);
  assertEquals(interrupted.signal, "SIGINT");
});
