/**
 * The one file of `make compile` (build/onefile.ts): netkit for a lab VM without Deno.
 *
 * - Copied alone into an empty directory of a mount and network namespace where no Deno is
 *   reachable (PATH without one, /usr/local, the repository, $HOME, /tmp and every cache hidden,
 *   no network), it runs --version, doctor, a sandboxed recipe and its down, a lab file, and a
 *   script that imports "netkit"; twice, and the second time it unpacks nothing.
 * - Two first runs at once on an empty cache both succeed and leave one entry.
 * - A cache entry with one byte changed is found out and unpacked again, never run.
 * - The aarch64 file unpacks an aarch64 runtime.
 * - Root's cache passes over a read-only /var/cache and a link planted in its way.
 * - As a multi-host controller, it copies itself to the hosts, checked by SHA-256.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { isRoot, run, useTestState } from "../helpers/host.ts";
import { withTempDir } from "../helpers/temp.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { dirname, join } from "node:path";
import {
  simulatedHost,
  throwawayKeys,
  underlayBridge,
  writeInventory,
} from "../helpers/simhost.ts";
import { createHash } from "node:crypto";

useTestState("onefile");
const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const X86 = `${REPO}/dist/netkit-x86_64-unknown-linux-gnu`;
const ARM = `${REPO}/dist/netkit-aarch64-unknown-linux-gnu`;
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };
const HEX64 = /^[0-9a-f]{64}$/;

let compiled: Promise<void> | undefined;
/** `make compile`, once per test run (offline: the runtimes come from .tools/ or npm). */
function compile(): Promise<void> {
  compiled ??= (async () => {
    const r = await run(["make", "-C", REPO, "-s", "--no-print-directory", "compile"], {
      env: { NO_COLOR: "1", MAKEFLAGS: "" },
    });
    assertEquals(r.code, 0, r.stdout + r.stderr);
    for (const f of [X86, ARM]) assert((await Deno.lstat(f)).isFile, `${f} is not a regular file`);
  })();
  return compiled;
}

/** The cache entries (64 hex digits) and everything else in a cache directory. */
function cacheListing(cache: string): { entries: string[]; other: string[] } {
  const names = [...Deno.readDirSync(cache)].map((e) => e.name).sort();
  return {
    entries: names.filter((n) => HEX64.test(n)),
    other: names.filter((n) =>
      !HEX64.test(n) && !(HEX64.test(n.slice(0, -3)) && n.endsWith(".ok"))
    ),
  };
}

/** The e_machine of an ELF file: 62 x86_64, 183 aarch64. */
function elfMachine(path: string): number {
  const head = Deno.readFileSync(path).subarray(0, 20);
  assertEquals([...head.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], `${path} is not ELF`);
  return head[18]! | (head[19]! << 8);
}

const sha256 = (path: string) => createHash("sha256").update(Deno.readFileSync(path)).digest("hex");

/**
 * The VM: a private mount and network namespace with no Deno anywhere it can reach. The steps
 * run in order (as `name argv...` lines, in /vm, the one file as ./netkit); each prints its exit
 * code, stdout and stderr between markers.
 */
const VM_SCRIPT = String.raw`
set -u
file=$1; shift
hide() { for p in "$@"; do
  if [ -d "$p" ] && [ ! -L "$p" ]; then mount -t tmpfs -o mode=0755 nk-hide "$p" || exit 97
  elif [ -e "$p" ]; then mount --bind /dev/null "$p" || exit 97; fi
done; }
mount -t tmpfs -o mode=0755 nk-vm /mnt && mkdir /mnt/vm || exit 97
cp "$file" /mnt/vm/netkit && cp "$LAB" /mnt/vm/lab.yaml || exit 97
hide "$REPO" "$DENO_DIR_OF_TESTS" /work /usr/local /root /home /tmp /var/tmp /var/cache /opt /srv
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
while d=$(command -v deno); do hide "$d"; done
ip link set lo up
cd /mnt/vm || exit 97
printf '%s\n' 'import { star, validateLab } from "netkit";' \
  'const lab = validateLab(star({ prefix: "s-", count: 3 }));' \
  'console.log(Object.keys(lab.nodes).join(" "), import.meta.resolve("netkit"));' > script.ts
step() { name=$1; shift; "$@" >/mnt/out 2>/mnt/err; rc=$?
  printf '\n@@@ %s %s\n' "$name" "$rc"; cat /mnt/out; printf '\n@@@-\n'; cat /mnt/err; }
step probe sh -c 'if command -v deno; then exit 1; fi; [ ! -e "$DENO_EXE" ] || exit 2
  for d in /work /usr/local /root /var/cache /tmp; do [ -z "$(ls -A "$d")" ] || exit 3; done
  [ -z "$(ip -o link | grep -v " lo:")" ] || exit 4; ls -A /mnt/vm'
for round in 1 2; do
  step "version$round" ./netkit --version
  step "entry$round" sh -c 'ls -a /var/cache/netkit; stat -c %i /var/cache/netkit/*/'
  step "doctor$round" ./netkit doctor
  step "recipe$round" ./netkit recipe router --prefix of$round- --sandbox
  step "recipe-down$round" ./netkit down of$round-router
  step "lab$round" ./netkit up lab.yaml
  step "lab-down$round" ./netkit down lab.yaml
  step "run$round" ./netkit run script.ts
  step "after$round" sh -c 'ls -a /var/cache/netkit; stat -c %i /var/cache/netkit/*/'
done
`;

interface Step {
  code: number;
  stdout: string;
  stderr: string;
}

function parseSteps(text: string): Map<string, Step> {
  const steps = new Map<string, Step>();
  for (const part of text.split("\n@@@ ").slice(1)) {
    const [head, ...rest] = part.split("\n");
    const [name, code] = head!.split(" ");
    const [stdout, stderr] = rest.join("\n").split("\n@@@-\n");
    steps.set(name!, { code: Number(code), stdout: stdout ?? "", stderr: stderr ?? "" });
  }
  return steps;
}

Deno.test(
  "the x86_64 file, alone where no Deno is reachable, runs every kind of netkit use, and unpacks once",
  opts,
  async () => {
    await compile();
    const r = await run(
      [
        "unshare",
        "--mount",
        "--net",
        "--propagation",
        "private",
        "--",
        "bash",
        "-c",
        VM_SCRIPT,
        "vm",
        X86,
      ],
      {
        env: {
          ...Deno.env.toObject(),
          REPO,
          DENO_DIR_OF_TESTS: dirname(Deno.execPath()),
          DENO_EXE: Deno.execPath(),
          LAB: `${REPO}/examples/labs/bridge-three.yaml`,
          NO_COLOR: "1",
        },
      },
    );
    assertEquals(r.code, 0, r.stderr);
    const steps = parseSteps(r.stdout);
    const step = (name: string) => {
      const s = steps.get(name);
      assert(s, `no step ${name} in:\n${r.stdout}\n${r.stderr}`);
      return s;
    };
    const ok = (name: string) => {
      const s = step(name);
      assertEquals(s.code, 0, `${name}: ${s.stdout}\n${s.stderr}`);
      return s.stdout;
    };

    // Nothing to find: no deno on PATH nor where the tests' one is, the hidden places empty, no
    // network but lo; in /vm the file, a lab file and a script.
    assertEquals(ok("probe").trim().split("\n"), ["lab.yaml", "netkit", "script.ts"]);
    for (const round of [1, 2]) {
      assertEquals(ok(`version${round}`).trim(), denoJson.version);
      assertMatch(ok(`doctor${round}`), /netkit can work here/);
      const recipe = ok(`recipe${round}`);
      assertMatch(recipe, /^PASS /m);
      assert(!/^FAIL /m.test(recipe), recipe);
      ok(`recipe-down${round}`);
      const lab = ok(`lab${round}`);
      assertMatch(lab, /^PASS /m);
      assert(!/^FAIL /m.test(lab), lab);
      ok(`lab-down${round}`);
      // The script's "netkit" is the bundle the file unpacked.
      assertMatch(
        ok(`run${round}`).trim(),
        /^s-h1 s-h2 s-h3 file:\/\/\/var\/cache\/netkit\/[0-9a-f]{64}\/netkit\.js$/,
      );
    }
    // The first --version unpacked one entry (and its stamp); nothing else unpacked it again:
    // the same directory (inode) from then on, and no leftovers.
    const entry1 = ok("entry1").trim().split("\n");
    assertEquals(entry1.length, 5, entry1.join("\n")); // . .. HASH HASH.ok INODE
    assertMatch(entry1[2]!, HEX64);
    assertEquals(entry1[3], `${entry1[2]}.ok`);
    for (const name of ["after1", "entry2", "after2"]) {
      assertEquals(ok(name).trim().split("\n"), entry1, `${name}: the entry changed`);
    }
  },
);

Deno.test(
  "two first runs at once on an empty cache both succeed, with one entry",
  opts,
  async () => {
    await compile();
    await withTempDir("netkit-onefile-race-", async (dir) => {
      const cache = `${dir}/cache`;
      const env = {
        NETKIT_CACHE_DIR: cache,
        NO_COLOR: "1",
        PATH: Deno.env.get("PATH")!,
        HOME: dir,
      };
      const [a, b] = await Promise.all([
        run([X86, "--version"], { env, cwd: dir }),
        run([X86, "--version"], { env, cwd: dir }),
      ]);
      for (const r of [a, b]) {
        assertEquals(r.code, 0, r.stderr);
        assertEquals(r.stdout.trim(), denoJson.version);
      }
      const { entries, other } = cacheListing(cache);
      assertEquals(entries.length, 1, `${entries}`);
      assertEquals(other, [], "leftovers in the cache");
      const info = await Deno.lstat(`${cache}/${entries[0]}`);
      assert(info.isDirectory);
      assertEquals(info.mode! & 0o777, 0o700);
      assertEquals((await Deno.lstat(cache)).mode! & 0o777, 0o700);
    });
  },
);

Deno.test("a cache entry with a byte changed is unpacked again, never run", opts, async () => {
  await compile();
  await withTempDir("netkit-onefile-tamper-", async (dir) => {
    const cache = `${dir}/cache`;
    const env = { NETKIT_CACHE_DIR: cache, NO_COLOR: "1", PATH: Deno.env.get("PATH")!, HOME: dir };
    const first = await run([X86, "--version"], { env, cwd: dir });
    assertEquals(first.code, 0, first.stderr);
    const [hash] = cacheListing(cache).entries;
    const entry = `${cache}/${hash}`;
    // The module that prints the version: one digit of it changed. Were it run, --version
    // would print the changed version.
    const versioned = [...Deno.readDirSync(`${entry}/netkit-cli`)]
      .map((e) => `${entry}/netkit-cli/${e.name}`)
      .find((f) => Deno.readTextFileSync(f).includes(`version: "${denoJson.version}"`));
    assert(versioned, "no module holds the version");
    const targets = [versioned, `${entry}/deno`];
    for (const target of targets) {
      const good = sha256(target);
      const bytes = Deno.readFileSync(target);
      const at = target === versioned
        ? new TextDecoder().decode(bytes).indexOf(`version: "${denoJson.version}"`) + 10
        : bytes.length - 100;
      const file = Deno.openSync(target, { write: true });
      file.seekSync(at, Deno.SeekMode.Start);
      file.writeSync(new Uint8Array([bytes[at]! === 0x39 ? 0x38 : 0x39]));
      file.close();
      assert(sha256(target) !== good, "the byte did not change");

      const again = await run([X86, "--version"], { env, cwd: dir });
      assertEquals(again.code, 0, again.stderr);
      assertEquals(again.stdout.trim(), denoJson.version);
      assertMatch(again.stderr, /was changed: unpacking it again/);
      assertEquals(sha256(target), good, `${target} was not replaced`);
      const { entries, other } = cacheListing(cache);
      assertEquals(entries, [hash!]);
      assertEquals(other, [], "leftovers in the cache");
      // And the run after that starts from the checked entry without a word.
      const warm = await run([X86, "--version"], { env, cwd: dir });
      assertEquals([warm.code, warm.stderr], [0, ""]);
    }
  });
});

Deno.test("each file unpacks the runtime of its architecture", opts, async () => {
  await compile();
  await withTempDir("netkit-onefile-arch-", async (dir) => {
    // A machine that says it is aarch64: the file unpacks (its runtime may then not start here).
    await Deno.mkdir(`${dir}/bin`);
    await Deno.writeTextFile(`${dir}/bin/uname`, "#!/bin/sh\necho aarch64\n", { mode: 0o755 });
    const path = `${dir}/bin:${Deno.env.get("PATH")}`;
    await run([ARM, "--version"], { env: { NETKIT_CACHE_DIR: `${dir}/arm`, PATH: path } });
    const [arm] = cacheListing(`${dir}/arm`).entries;
    assert(arm, "the aarch64 file unpacked nothing");
    assertEquals(elfMachine(`${dir}/arm/${arm}/deno`), 183);

    const x86 = await run([X86, "--version"], { env: { NETKIT_CACHE_DIR: `${dir}/x86` } });
    assertEquals(x86.code, 0, x86.stderr);
    const [entry] = cacheListing(`${dir}/x86`).entries;
    assertEquals(elfMachine(`${dir}/x86/${entry}/deno`), 62);

    // Where uname -m says otherwise, the file says which one to copy and unpacks nothing.
    const wrong = await run([ARM, "--version"], { env: { NETKIT_CACHE_DIR: `${dir}/none` } });
    assertEquals(wrong.code, 126);
    assertMatch(wrong.stderr, /is netkit for aarch64; this machine is x86_64 \(uname -m\)/);
    assert(!(await Deno.stat(`${dir}/none`).then(() => true, () => false)));
  });
});

Deno.test(
  "root's cache passes over a read-only /var/cache and a link planted at /run/netkit-cache",
  opts,
  async () => {
    await compile();
    const script = [
      "mount -t tmpfs -o ro nk-ro /var/cache && mount -t tmpfs -o mode=0755 nk-run /run || exit 97",
      // A link planted where the usual place would be is not followed: read-only /var/cache aside,
      // /run/netkit-cache is a link to a directory anyone may write, so the next place is used.
      "mkdir -m 1777 /run/elsewhere && ln -s /run/elsewhere /run/netkit-cache || exit 97",
      // The file is copied out first: the checkout may be under /tmp, which the next mount hides.
      'cp "$0" /run/netkit-one && chmod 0755 /run/netkit-one || exit 97',
      "mount -t tmpfs -o mode=1777 nk-tmp /tmp && /run/netkit-one --version || exit",
      "echo ==; ls -A /run/elsewhere; echo ==; ls -A /tmp/netkit-cache-0; echo ==",
      "stat -c %a /tmp/netkit-cache-0",
    ].join("\n");
    const r = await run(
      ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, X86],
      { env: { PATH: Deno.env.get("PATH")!, HOME: "/nonexistent", NO_COLOR: "1" } },
    );
    assertEquals(r.code, 0, r.stderr);
    const [version, elsewhere, cache, mode] = r.stdout.split("==\n");
    assertEquals(version!.trim(), denoJson.version);
    assertEquals(elsewhere!.trim(), "", "the planted link was followed");
    assertEquals(cache!.trim().split("\n").length, 2, cache); // HASH and HASH.ok
    assertEquals(mode!.trim(), "700");
  },
);

Deno.test(
  "a multi-host controller that is the one file copies it to each host, checked by SHA-256, and runs it there",
  opts,
  async () => {
    await compile();
    // Every unpacking (controller and hosts) goes to a /var/cache of this test's own.
    const mounted = await run([
      "mount",
      "-t",
      "tmpfs",
      "-o",
      "mode=0755",
      "nk-cache",
      "/var/cache",
    ]);
    assertEquals(mounted.code, 0, mounted.stderr);
    try {
      await using underlay = await underlayBridge("nko-ul", "10.252.0");
      await using keys = await throwawayKeys();
      await using h1 = await simulatedHost("o1", underlay, keys, { octet: 1 });
      await using h2 = await simulatedHost("o2", underlay, keys, { octet: 2 });
      const inventory = await writeInventory(keys, [h1, h2]);
      const file = join(keys.dir, "of.yaml");
      await Deno.writeTextFile(
        file,
        [
          "name: of-mh",
          "hosts: { o1: {}, o2: {} }",
          "nodes:",
          "  a: { host: o1, interfaces: { eth0: { addresses: [10.61.0.1/24] } } }",
          "  b: { host: o2, interfaces: { eth0: { addresses: [10.61.0.2/24] } } }",
          "links:",
          "  - endpoints: [a:eth0, b:eth0]",
          "expect:",
          "  - ping: { from: a, to: 10.61.0.2 }",
        ].join("\n") + "\n",
      );
      const env = { ...Deno.env.toObject(), NO_COLOR: "1" };
      const remote = `/run/netkit-cache/netkit-${sha256(X86).slice(0, 16)}`;
      // o2 already holds a file of that name, with one byte changed: it is replaced, not run.
      const planted = await Deno.readFile(X86);
      planted[planted.length - 1] = planted[planted.length - 1]! ^ 1;
      await Deno.writeFile(join(keys.dir, "planted"), planted);
      const plant = await run([
        ...h2.inside(["sh", "-c", 'mkdir -p /run/netkit-cache && cp "$0" "$1"']),
        join(keys.dir, "planted"),
        remote,
      ]);
      assertEquals(plant.code, 0, plant.stderr);
      try {
        const up = await run([X86, "up", file, "--hosts", inventory], { env, cwd: keys.dir });
        assertEquals(up.code, 0, up.stderr + up.stdout);
        assertMatch(up.stdout, /^PASS \[o1\] a -> 10\.61\.0\.2 reachable/m);
        for (const h of [h1, h2]) {
          const there = await run(h.inside(["sha256sum", remote]));
          assertEquals(there.stdout.split(" ")[0], sha256(X86), `on ${h.name}`);
          const ls = await run(h.inside(["ls", "-A", "/run/netkit-cache"]));
          assertEquals(ls.stdout.trim(), remote.split("/").at(-1), `on ${h.name}: leftovers`);
        }
      } finally {
        const down = await run([X86, "down", "of-mh"], { env, cwd: keys.dir });
        assertEquals(down.code, 0, down.stderr + down.stdout);
      }
    } finally {
      await run(["umount", "/var/cache"]);
    }
  },
);
