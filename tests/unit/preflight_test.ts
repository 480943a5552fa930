/**
 * Preflight against a host whose answers are canned: a lab's own veth ends still vanishing after
 * `down` are waited for; anything else that holds a lab's name is a conflict at once.
 */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { RecordingRunner, validateLab } from "../../mod.ts";
import { HostConflictError, requireNoConflicts } from "../../lib/lab/preflight.ts";
import { DUMMY_PROBE_ARGV, DummyMissingError, requireDummy } from "../../lib/lab/dummy_probe.ts";

const lab = validateLab({
  name: "pf",
  nodes: { "pf-a": { interfaces: { eth0: { addresses: ["10.77.0.1/24"] } } } },
  bridges: { "pf-br": { type: "linux" } },
  links: [{ endpoints: ["pf-a:eth0", "pf-br:pf-a-p"] }],
});

/** A host whose `ip -j -d link show` lists `links` for the first `times` calls, then only lo. */
function hostWith(links: { ifname: string; kind?: string }[], times: number) {
  let calls = 0;
  const runner = new RecordingRunner((argv) => {
    if (argv.join(" ") !== "ip -j -d link show") return undefined;
    const now = calls++ < times ? links : [];
    const json = [{ ifname: "lo" }, ...now].map((l) =>
      l.kind === undefined ? { ifname: l.ifname } : { ...l, linkinfo: { info_kind: l.kind } }
    );
    return { code: 0, stdout: JSON.stringify(json), stderr: "" };
  });
  return { runner, calls: () => calls };
}

Deno.test("requireNoConflicts() waits for the lab's veth ends that are on their way out", async () => {
  const host = hostWith([{ ifname: "pf-a-p", kind: "veth" }], 3);
  await requireNoConflicts(lab, undefined, host.runner);
  assertEquals(host.calls(), 4, "asked until the veth end was gone");
});

Deno.test("requireNoConflicts() reports a name held by anything but a veth at once", async () => {
  const host = hostWith([{ ifname: "pf-br", kind: "bridge" }], 1_000);
  const error = await assertRejects(
    () => requireNoConflicts(lab, undefined, host.runner),
    HostConflictError,
  );
  assert(error.message.includes('interface "pf-br"'), error.message);
  assertEquals(host.calls(), 1);
});

Deno.test("requireDummy() asks the kernel only for a lab with dummies, and refuses at each one", async () => {
  const asked: string[] = [];
  const runner = (code: number) =>
    new RecordingRunner((argv) => {
      asked.push(argv.join(" "));
      return { code, stdout: "", stderr: code ? "Error: Unknown device type.\n" : "" };
    });
  await requireDummy(lab, runner(2));
  assertEquals(asked, [], "a lab without dummies asks nothing");
  const withDummy = validateLab({
    name: "pf-d",
    nodes: { "pf-d": { interfaces: { lo1: { dummy: true, addresses: ["10.77.1.1/32"] } } } },
  });
  await requireDummy(withDummy, runner(0));
  assertEquals(asked, [DUMMY_PROBE_ARGV.join(" ")]);
  const error = await assertRejects(() => requireDummy(withDummy, runner(2)), DummyMissingError);
  assertEquals(error.issues.map((i) => i.path.join(".")), ["nodes.pf-d.interfaces.lo1.dummy"]);
  assert(error.message.includes("(ip: Unknown device type)"), error.message);
});
