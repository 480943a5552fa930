/**
 * Simulated hosts for multi-host tests and the demo, all on one machine:
 *
 * - {@link underlayBridge}: a Linux bridge in the current namespace, the "switch" between hosts,
 *   with an address for the controller;
 * - {@link throwawayKeys}: an SSH key pair, known_hosts and ssh_config made for the run;
 * - {@link simulatedHost}: a network namespace with its own mount namespace (its own /run, so
 *   its own /run/netns and netkit state), one NIC (`eth0`) on the underlay, and Debian's sshd
 *   listening on it with a host key of its own.
 *
 * Each is `AsyncDisposable`: `await using h1 = await simulatedHost("h1", underlay, keys)`
 * removes everything it made when the scope ends, also on failure. Namespaces are entered with
 * `nsenter` argv arrays; processes are stopped by their id only.
 *
 * @module
 */
import { join } from "node:path";

const dec = new TextDecoder();

/** Runs argv; throws with its stderr when it fails. Returns stdout. */
export async function must(...argv: string[]): Promise<string> {
  const [p, ...args] = argv;
  const r = await new Deno.Command(p!, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .output();
  if (r.code !== 0) {
    throw new Error(`${argv.join(" ")} failed (${r.code}): ${dec.decode(r.stderr)}`);
  }
  return dec.decode(r.stdout);
}

/** Waits (bounded) until `fn` returns true. */
export async function waitFor(what: string, fn: () => Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The network between simulated hosts. */
export interface Underlay extends AsyncDisposable {
  /** The bridge's name. */
  bridge: string;
  /** The first three octets of its /24, e.g. `10.251.0`. */
  net: string;
  /** The controller's address on it (`.254`). */
  controller: string;
  mtu: number;
}

/** A Linux bridge `name` with `NET.254/24`, MTU `mtu`: the underlay switch. */
export async function underlayBridge(name: string, net: string, mtu = 1500): Promise<Underlay> {
  await must("ip", "link", "add", "name", name, "mtu", String(mtu), "type", "bridge");
  await must("ip", "link", "set", "dev", name, "addrgenmode", "none"); // no late IPv6 address
  await must("ip", "addr", "add", `${net}.254/24`, "dev", name);
  await must("ip", "link", "set", "dev", name, "up");
  return {
    bridge: name,
    net,
    controller: `${net}.254`,
    mtu,
    async [Symbol.asyncDispose]() {
      await must("ip", "link", "delete", "dev", name).catch(() => {});
    },
  };
}

/** A throwaway SSH identity and the client configuration that uses it. */
export interface SshKeys extends AsyncDisposable {
  dir: string;
  /** The private key. */
  identity: string;
  /** `ssh -F` file: this key, this known_hosts, strict host key checking, user root. */
  config: string;
  knownHosts: string;
}

/** Makes an ed25519 key pair and an ssh_config in a new temporary directory. */
export async function throwawayKeys(): Promise<SshKeys> {
  const dir = await Deno.makeTempDir({ prefix: "netkit-sshkeys-" });
  const identity = join(dir, "id_ed25519");
  const knownHosts = join(dir, "known_hosts");
  const config = join(dir, "ssh_config");
  await must("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "netkit-test", "-f", identity);
  await Deno.writeTextFile(knownHosts, "");
  await Deno.writeTextFile(
    config,
    [
      "Host *",
      `  IdentityFile ${identity}`,
      "  IdentitiesOnly yes",
      `  UserKnownHostsFile ${knownHosts}`,
      "  GlobalKnownHostsFile /dev/null",
      "  StrictHostKeyChecking yes",
      "  User root",
      "",
    ].join("\n"),
  );
  return {
    dir,
    identity,
    config,
    knownHosts,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A simulated host: its own network and mount namespaces, sshd on the underlay. */
export interface SimulatedHost extends AsyncDisposable {
  name: string;
  /** Its address on the underlay. */
  address: string;
  /** The pid of the process holding its namespaces. */
  pid: number;
  /** argv that runs `argv` inside the host (its network and mount namespaces). */
  inside(argv: string[]): string[];
  /** Runs argv inside the host; returns stdout ("" when it fails). */
  run(...argv: string[]): Promise<string>;
  /** Kills sshd — the daemon and every connection's process — with SIGKILL. */
  killSshd(): Promise<void>;
  /** Starts sshd (again). */
  startSshd(): Promise<void>;
  /** What the host holds: its namespaces, links, routes, nftables ruleset, netkit state. */
  snapshot(): Promise<SimHostSnapshot>;
}

/** What a simulated host holds, for before/after comparisons. */
export interface SimHostSnapshot {
  namespaces: string[];
  links: string[];
  routes: string;
  /** `nft list ruleset` in the host's namespace (a multi-host part adds its VXLAN filter). */
  nftables: string;
  stateDir: string[];
}

/** Pids whose network namespace is `/proc/PID/ns/net` of `holder`. */
async function pidsInNetns(holder: number): Promise<number[]> {
  const target = await Deno.readLink(`/proc/${holder}/ns/net`).catch(() => "");
  const out: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const ns = await Deno.readLink(`/proc/${e.name}/ns/net`).catch(() => "");
    if (ns === target) out.push(Number(e.name));
  }
  return out;
}

async function exeOf(pid: number): Promise<string> {
  return await Deno.readLink(`/proc/${pid}/exe`).catch(() => "");
}

/** Options for {@link simulatedHost}. */
export interface SimulatedHostOptions {
  /** The last octet of its underlay address. */
  octet: number;
}

/**
 * Starts simulated host `name` on `underlay`, reachable over SSH with `keys` as root at
 * `NET.octet`. Its known_hosts line is added to `keys`.
 */
export async function simulatedHost(
  name: string,
  underlay: Underlay,
  keys: SshKeys,
  options: SimulatedHostOptions,
): Promise<SimulatedHost> {
  const address = `${underlay.net}.${options.octet}`;
  const dir = await Deno.makeTempDir({ prefix: `netkit-simhost-${name}-` });
  const holder = new Deno.Command("unshare", {
    args: ["--net", "--mount", "--propagation", "private", "--", "sleep", "infinity"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const pid = holder.pid;
  const inside = (
    argv: string[],
  ) => ["nsenter", "-t", String(pid), "--net", "--mount", "--", ...argv];
  const veth = `ul-${name}`.slice(0, 15);
  let sshd: Deno.ChildProcess | undefined;
  const stopSshd = async () => {
    for (const p of await pidsInNetns(pid)) {
      if ((await exeOf(p)) === "/usr/sbin/sshd") {
        try {
          Deno.kill(p, "SIGKILL");
        } catch {
          // gone already
        }
      }
    }
    await sshd?.status;
    sshd = undefined;
  };
  const host: SimulatedHost = {
    name,
    address,
    pid,
    inside,
    async run(...argv) {
      const [p, ...args] = inside(argv);
      const r = await new Deno.Command(p!, { args, stdout: "piped", stderr: "null" }).output();
      return r.code === 0 ? dec.decode(r.stdout) : "";
    },
    killSshd: stopSshd,
    async startSshd() {
      const [p, ...args] = inside(["/usr/sbin/sshd", "-D", "-e", "-f", join(dir, "sshd_config")]);
      sshd = new Deno.Command(p!, { args, stdin: "null", stdout: "null", stderr: "piped" }).spawn();
      sshd.stderr.cancel().catch(() => {});
      await waitFor(
        `sshd on ${name}`,
        async () => (await host.run("ss", "-Hltn", "sport", "=", ":22")).includes(`${address}:22`),
      );
    },
    async snapshot() {
      const links = JSON.parse((await host.run("ip", "-j", "link", "show")) || "[]") as {
        ifname: string;
      }[];
      const stateDir: string[] = [];
      for (const line of (await host.run("ls", "-A", "/run/netkit")).split("\n")) {
        if (line) stateDir.push(line);
      }
      return {
        namespaces: (await host.run("ip", "netns", "list")).split("\n").map((l) => l.split(" ")[0]!)
          .filter(Boolean).sort(),
        links: links.map((l) => l.ifname).sort(),
        routes: await host.run("ip", "route", "show", "table", "all"),
        nftables: await host.run("nft", "list", "ruleset"),
        stateDir,
      };
    },
    async [Symbol.asyncDispose]() {
      await stopSshd();
      // Lab daemons the host may still run (a failed test): by namespace, never by name.
      for (const p of await pidsInNetns(pid)) {
        if (p !== pid) {
          try {
            Deno.kill(p, "SIGKILL");
          } catch {
            // gone
          }
        }
      }
      try {
        holder.kill("SIGKILL");
      } catch {
        // gone
      }
      await holder.status;
      await must("ip", "link", "delete", "dev", veth).catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  try {
    const self = await Deno.readLink("/proc/self/ns/net");
    await waitFor(
      `namespaces of ${name}`,
      async () =>
        (await Deno.readLink(`/proc/${pid}/ns/net`).catch(() => self)) !== self &&
        (await exeOf(pid)).endsWith("/sleep"),
    );
    await must(...inside(["mount", "-t", "tmpfs", "-o", "mode=0755", `nk-${name}-run`, "/run"]));
    await must(...inside(["mkdir", "-p", "/run/netns", "/run/sshd", "/run/lock"]));
    await must(
      "ip",
      "link",
      "add",
      "name",
      veth,
      "mtu",
      String(underlay.mtu),
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "mtu",
      String(underlay.mtu),
      "netns",
      String(pid),
    );
    await must("ip", "link", "set", "dev", veth, "addrgenmode", "none");
    await must("ip", "link", "set", "dev", veth, "master", underlay.bridge, "up");
    await must(...inside(["ip", "link", "set", "dev", "lo", "up"]));
    // No IPv6 link-local address: it would appear a moment later and make snapshots differ.
    await must(...inside(["ip", "link", "set", "dev", "eth0", "addrgenmode", "none"]));
    await must(...inside(["ip", "addr", "add", `${address}/24`, "dev", "eth0"]));
    await must(...inside(["ip", "link", "set", "dev", "eth0", "up"]));
    const hostKey = join(dir, "host_ed25519");
    await must("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", hostKey);
    await Deno.writeTextFile(
      join(dir, "sshd_config"),
      [
        `ListenAddress ${address}`,
        "Port 22",
        `HostKey ${hostKey}`,
        "PidFile /run/sshd.pid",
        `AuthorizedKeysFile ${keys.identity}.pub`,
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "PrintMotd no",
        "MaxSessions 64",
        "MaxStartups 64",
        "LogLevel ERROR",
        "",
      ].join("\n"),
    );
    const pub = (await Deno.readTextFile(`${hostKey}.pub`)).trim().split(" ").slice(0, 2).join(" ");
    await Deno.writeTextFile(keys.knownHosts, `${address} ${pub}\n`, { append: true });
    await host.startSshd();
  } catch (error) {
    await host[Symbol.asyncDispose]();
    throw error;
  }
  return host;
}

/** Writes an inventory for `hosts` (roles = host names) next to `keys`; returns its path. */
export async function writeInventory(
  keys: SshKeys,
  hosts: SimulatedHost[],
  extra: Record<string, string> = {},
): Promise<string> {
  const path = join(keys.dir, "hosts.yaml");
  const lines = [`sshConfig: ${keys.config}`, "hosts:"];
  for (const h of hosts) {
    lines.push(
      `  ${h.name}: { ssh: root@${h.address}, underlay: ${h.address}, cache: /run/netkit-cache }`,
    );
  }
  for (const [role, entry] of Object.entries(extra)) lines.push(`  ${role}: ${entry}`);
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}
