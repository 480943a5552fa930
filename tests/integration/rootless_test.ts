/**
 * Rootless mode on the real kernel: a throwaway unprivileged user brings up the router recipe
 * and the bridge-three lab file in namespaces of its own, uses them from other processes, and
 * removes them. Nothing ever appears in the host's namespaces, and no process of the user is
 * left. An OVS recipe is refused in one line, before anything changes.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { assertHostUnchanged, type HostSnapshot, isRoot, sh, snapshot } from "../helpers/host.ts";
import { withTempDir } from "../helpers/temp.ts";

const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const REPO = new URL("../..", import.meta.url).pathname;
const dec = new TextDecoder();

/** A user made for one test, with a home, a private XDG_RUNTIME_DIR and a copy of Deno's cache. */
interface TestUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  env: Record<string, string>;
}

/** Runs `fn` with a fresh test user whose home is a temporary directory; removes both after. */
async function withUser<T>(fn: (user: TestUser) => Promise<T>): Promise<T> {
  return await withTempDir("nkt-rootless-", async (home) => {
    const user = await makeUser(home);
    try {
      return await fn(user);
    } finally {
      await removeUser(user);
    }
  });
}

async function makeUser(home: string): Promise<TestUser> {
  const name = `t9-${crypto.randomUUID().slice(0, 8)}`;
  const r = await new Deno.Command("useradd", {
    args: ["--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name],
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(r.code, 0, dec.decode(r.stderr));
  const uid = Number((await sh("id", "-u", name)).trim());
  const gid = Number((await sh("id", "-g", name)).trim());
  const cache = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
  await Deno.mkdir(`${home}/deno`);
  await sh("cp", "-a", `${cache}/.`, `${home}/deno`);
  await Deno.mkdir(`${home}/xdg`, { mode: 0o700 });
  await sh("chown", "-R", `${uid}:${gid}`, home);
  return {
    name,
    uid,
    gid,
    home,
    env: {
      NO_COLOR: "1",
      HOME: home,
      DENO_DIR: `${home}/deno`,
      XDG_RUNTIME_DIR: `${home}/xdg`,
      PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    },
  };
}

/** The PIDs of the processes that run as `uid`. */
async function processesOf(uid: number): Promise<number[]> {
  const pids: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const status = await Deno.readTextFile(`/proc/${e.name}/status`).catch(() => "");
    const m = status.match(/^Uid:\s+(\d+)/m);
    if (m && Number(m[1]) === uid) pids.push(Number(e.name));
  }
  return pids;
}

async function removeUser(user: TestUser): Promise<void> {
  // Only if a test failed half-way: end what this user still runs, by PID.
  for (const pid of await processesOf(user.uid)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  for (let i = 0; i < 50 && (await processesOf(user.uid)).length; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await sh("userdel", user.name);
}

/** Runs `netkit ARGS...` as `user` (not root: rootless mode is the default). */
async function asUser(user: TestUser, args: string[]) {
  const r = await new Deno.Command("setpriv", {
    args: [
      `--reuid=${user.uid}`,
      `--regid=${user.gid}`,
      "--clear-groups",
      Deno.execPath(),
      "run",
      "-A",
      "--no-check",
      "--cached-only",
      MAIN,
      ...args,
    ],
    cwd: REPO,
    env: user.env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

/** The host's network, without the processes (the lab's daemons run while it is up). */
function network(s: HostSnapshot) {
  return {
    namespaces: s.namespaces,
    links: s.links,
    routes: s.routes,
    firewall: s.firewall,
    sysctls: s.sysctls,
    resolvConf: s.resolvConf,
  };
}

Deno.test(
  "rootless: router and bridge-three in a user's own namespaces, nothing on the host",
  opts,
  async () => {
    const before = await snapshot();
    await withUser(async (user) => {
      const up = await asUser(user, ["recipe", "router", "--prefix", "t9-"]);
      assertEquals(up.code, 0, up.stdout + up.stderr);
      assertMatch(up.stdout, /Up: lab t9-router/);
      assert(!/FAIL/.test(up.stdout), up.stdout);
      assertEquals((up.stdout.match(/^PASS /gm) ?? []).length, 8, up.stdout);

      const file = await asUser(user, ["--rootless", "up", "examples/labs/bridge-three.yaml"]);
      assertEquals(file.code, 0, file.stdout + file.stderr);
      assert(!/FAIL/.test(file.stdout), file.stdout);
      assertMatch(file.stdout, /PASS lb3-a -> 10\.77\.0\.2 reachable/);

      // While both labs are up, the host's own namespaces, links, routes and firewall are as
      // they were: everything lives in the user's namespaces.
      const during = await snapshot();
      assertEquals(network(during), network(before), "the host's network changed while up");

      // Other processes of the same user find the labs.
      const status = await asUser(user, ["status", "--json"]);
      assertEquals(status.code, 0, status.stderr);
      const labs = (JSON.parse(status.stdout) as { name: string; status: string }[])
        .map((l) => `${l.name}:${l.status}`).sort();
      assertEquals(labs, ["bridge-three:up", "t9-router:up"]);
      const exec = await asUser(user, [
        "exec",
        "t9-vm2",
        "--",
        "ping",
        "-c1",
        "-W1",
        "192.168.100.1",
      ]);
      assertEquals(exec.code, 0, exec.stdout + exec.stderr);
      assertMatch(exec.stdout, /1 received/);
      const check = await asUser(user, ["check", "t9-router"]);
      assertEquals(check.code, 0, check.stdout + check.stderr);
      assertMatch(check.stdout, /PASS t9-wan sees t9-vm2's packets .* from 192\.168\.100\.11/);
      // root sees none of it.
      assert(!(await sh("ip", "netns", "list")).includes("t9-"), "a t9- namespace on the host");

      const down1 = await asUser(user, ["down", "t9-router"]);
      assertEquals(down1.code, 0, down1.stderr);
      assertMatch(down1.stdout, /Removed lab t9-router/);
      const down2 = await asUser(user, ["down", "examples/labs/bridge-three.yaml"]);
      assertEquals(down2.code, 0, down2.stderr);
      assertMatch(down2.stdout, /Removed lab bridge-three/);

      // The last down stopped the holder: no process of the user is left.
      assertEquals(await processesOf(user.uid), [], "processes of the test user remain");
      const after = await asUser(user, ["status"]);
      assertEquals(after.code, 0, after.stderr);
      assertMatch(after.stdout, /No labs are up/);
      assertEquals(await processesOf(user.uid), [], "status left a process behind");
    });
    await assertHostUnchanged(before, "after a rootless run");
  },
);

Deno.test(
  "rootless: an OVS recipe is refused in one line, before anything changes",
  opts,
  async () => {
    const before = await snapshot();
    await withUser(async (user) => {
      const r = await asUser(user, ["--rootless", "recipe", "ovs-veth", "--prefix", "t9-"]);
      assertEquals(r.code, 2, r.stdout + r.stderr);
      const lines = r.stderr.trim().split("\n");
      assertMatch(
        lines[0]!,
        /^netkit: error: Lab "t9-ovs-veth" uses Open vSwitch, which needs root/,
      );
      assertEquals(r.stdout, "");
      // So is a lab with routing daemons (FRR switches to user frr, which is not mapped).
      const routed = await asUser(user, [
        "--rootless",
        "recipe",
        "ospf-triangle",
        "--prefix",
        "t9-",
      ]);
      assertEquals(routed.code, 2, routed.stdout + routed.stderr);
      assertMatch(
        routed.stderr,
        /^netkit: error: Lab "t9-ospf-triangle" runs routing daemons \(FRR\), which need root/,
      );
      // Nothing was started or written: no holder, no rootless directory.
      assertEquals(await processesOf(user.uid), []);
      const entries = [];
      for await (const e of Deno.readDir(`${user.home}/xdg`)) entries.push(e.name);
      assertEquals(entries, []);
    });
    await assertHostUnchanged(before, "after a refused rootless OVS recipe");
  },
);
