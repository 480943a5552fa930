/**
 * One netkit run for bench/bench.ts: a star of N namespaces (the `star()` generator) brought up
 * with `upLab`, one ping from the first node to the last, then `downLab`. Prints one JSON line:
 * the phases' times in ms and this process's peak memory (VmHWM, KiB).
 *
 *   deno run -A bench/netkit_star.ts N linux|ovs
 *
 * Run it with NETKIT_STATE_DIR and NETKIT_OVS=private set (bench.ts does); every name starts
 * with `bx-`.
 *
 * @module
 */
import { star } from "../lib/lab/generate.ts";
import { validateLab } from "../lib/lab/validate.ts";
import { upLab } from "../lib/lab/runtime.ts";
import { downLab } from "../lib/lab/teardown.ts";

const count = Number(Deno.args[0] ?? "10");
const bridge = (Deno.args[1] ?? "linux") as "linux" | "ovs";
const t0 = performance.now();
const lab = validateLab(star({ prefix: "bx-", count, bridge, name: "bx-star" }));
const t1 = performance.now();
let pinged = false;
let t2 = t1, t3 = t1;
try {
  await upLab(lab);
  t2 = performance.now();
  const ping = lab.expect[0]!;
  if (!("ping" in ping)) throw new Error("the star's proof is a ping");
  for (let i = 0; i < 10 && !pinged; i++) {
    const r = await new Deno.Command("ip", {
      args: ["netns", "exec", ping.ping.from, "ping", "-c1", "-W1", "-q", ping.ping.to],
      stdout: "null",
      stderr: "null",
    }).output();
    pinged = r.code === 0;
  }
  t3 = performance.now();
} finally {
  await downLab(lab.name);
}
const t4 = performance.now();
const status = await Deno.readTextFile("/proc/self/status");
const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
console.log(JSON.stringify({
  count,
  bridge,
  pinged,
  validateMs: t1 - t0,
  upMs: t2 - t1,
  pingMs: t3 - t2,
  downMs: t4 - t3,
  loadMs: performance.timeOrigin ? t0 : 0,
  peakKiB: hwm,
}));
if (!pinged) Deno.exit(1);
