/**
 * `netkit validate FILE...`: good files pass (exit 0), bad ones fail with FILE:LINE:COL lines
 * (exit 2), many files in one call, as root and as an unprivileged user (nobody, through
 * setpriv), and nothing on the host changes: no namespace, no link, no state directory.
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
import { bundlePath } from "../helpers/bundle.ts";
import type { FileVerdict } from "../../lib/cli/validate.ts";

const stateDir = useTestState("validate");
const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const opts = { sanitizeResources: false, sanitizeOps: false };
const dec = new TextDecoder();

const BAD = `name: bad
nodes:
  a:
    role: switch
    interfaces:
      eth0: { addresses: [10.0.0.1/33] }
`;
const BAD_CLAB = `name: bad-clab
topology:
  nodes:
    srl:
      kind: nokia_srlinux
    n1:
      kind: linux
      exec:
        - ip addr add 10.0.0.1/24 dev eth1 && reboot
`;

/** Copies the example files and two bad files into a directory anyone can read. */
async function fixtures(): Promise<{ dir: string; good: string[]; bad: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "netkit-validate-" });
  const good: string[] = [];
  for (const sub of ["labs", "clab"]) {
    for await (const e of Deno.readDir(`${REPO}/examples/${sub}`)) {
      await Deno.copyFile(`${REPO}/examples/${sub}/${e.name}`, `${dir}/${e.name}`);
      good.push(`${dir}/${e.name}`);
    }
  }
  await Deno.writeTextFile(`${dir}/bad.yaml`, BAD);
  await Deno.writeTextFile(`${dir}/bad.clab.yml`, BAD_CLAB);
  await Deno.chmod(dir, 0o755);
  for await (const e of Deno.readDir(dir)) await Deno.chmod(`${dir}/${e.name}`, 0o644);
  return { dir, good: good.sort(), bad: [`${dir}/bad.yaml`, `${dir}/bad.clab.yml`] };
}

Deno.test("validate: good files exit 0, bad files exit 2 with FILE:LINE:COL", opts, async () => {
  const { dir, good, bad } = await fixtures();
  const before = await snapshot();
  try {
    const ok = await netkit(["validate", "--ignore-images", ...good]);
    assertEquals(ok.code, 0, ok.stderr);
    for (const f of good) assertMatch(ok.stdout, new RegExp(`^valid +${f} \\(lab `, "m"));

    const mixed = await netkit(["validate", "--ignore-images", ...good, ...bad]);
    assertEquals(mixed.code, 2, mixed.stdout);
    assertMatch(
      mixed.stderr,
      new RegExp(
        `^${dir}/bad\\.yaml:4:11: nodes\\.a\\.role: "switch" is not one of host, router$`,
        "m",
      ),
    );
    assertMatch(mixed.stderr, new RegExp(`^${dir}/bad\\.yaml:6:27: .*A\\.B\\.C\\.D/N`, "m"));
    assertMatch(
      mixed.stderr,
      new RegExp(`^${dir}/bad\\.clab\\.yml:5:13: netkit builds namespaces, not containers`, "m"),
    );
    assertMatch(mixed.stderr, new RegExp(`^${dir}/bad\\.clab\\.yml:9:11: exec line`, "m"));
    assertMatch(mixed.stdout, new RegExp(`^invalid ${dir}/bad\\.yaml \\(2 problems\\)$`, "m"));

    // Images are refused unless --ignore-images: one line per place an image is written.
    const images = await netkit(["validate", "--quiet", `${dir}/bridge.clab.yml`]);
    assertEquals(images.code, 2);
    assertEquals(images.stdout, "");
    assertMatch(images.stderr, /bridge\.clab\.yml:16:14: image "alpine:3" refused/);

    const json = await netkit(["validate", "--json", good[0]!, bad[0]!]);
    assertEquals(json.code, 2);
    const verdicts = JSON.parse(json.stdout) as FileVerdict[];
    assertEquals(verdicts.map((v) => v.ok), [true, false]);
    assertEquals(verdicts[1]?.problems.map((p) => [p.line, p.column]), [[4, 11], [6, 27]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await assertHostUnchanged(before, "after validate");
  assert(!(await Deno.stat(stateDir).catch(() => undefined)), "validate made a state directory");
});

Deno.test(
  "validate as nobody: no root needed, same verdicts",
  { ...opts, ignore: !isRoot || !(await sh("sh", "-c", "command -v setpriv")) },
  async () => {
    const { dir, good, bad } = await fixtures();
    const denoDir = await Deno.makeTempDir({ prefix: "netkit-validate-denodir-" });
    await sh("chown", "nobody", denoDir);
    const bundle = await bundlePath();
    const before = await snapshot();
    const asNobody = async (...args: string[]) => {
      const r = await new Deno.Command("setpriv", {
        args: [
          "--reuid=nobody",
          "--regid=nogroup",
          "--clear-groups",
          Deno.execPath(),
          "run",
          "-A",
          bundle,
          "validate",
          ...args,
        ],
        cwd: dir,
        env: { NO_COLOR: "1", DENO_DIR: denoDir, HOME: denoDir },
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
    };
    try {
      const id = await new Deno.Command("setpriv", {
        args: ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "id", "-u"],
        stdout: "piped",
      }).output();
      assert(dec.decode(id.stdout).trim() !== "0", "setpriv did not drop root");
      const ok = await asNobody("--ignore-images", ...good);
      assertEquals(ok.code, 0, ok.stderr + ok.stdout);
      assertEquals(ok.stdout.split("\n").filter((l) => l.startsWith("valid")).length, good.length);
      const failed = await asNobody("--ignore-images", ...good, ...bad);
      assertEquals(failed.code, 2, failed.stderr);
      assertMatch(failed.stderr, new RegExp(`^${dir}/bad\\.yaml:6:27: `, "m"));
      assertMatch(failed.stderr, new RegExp(`^${dir}/bad\\.clab\\.yml:9:11: exec line`, "m"));
    } finally {
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(denoDir, { recursive: true });
    }
    await assertHostUnchanged(before, "after validate as nobody");
  },
);
