/**
 * `make bench-multihost`: one lab of 4 × 50 namespaces, brought up from the controller over SSH
 * on 4 simulated hosts (tests/helpers/simhost.ts), against the same 200 namespaces on one host.
 *
 * The lab: on each host a Linux bridge with 50 nodes (one /16 for all), the 4 bridges in a chain
 * across hosts (3 VXLAN tunnels); one proof, the first node of the first host pings the last node
 * of the last. The one-host lab is the same with the chain links as veth pairs. Each figure is the
 * wall time of the CLI (`netkit up FILE [--hosts INV] --no-check`, then `netkit down LAB`), the
 * median of the runs; the first multi-host run also copies netkit (the Deno runtime and the
 * bundle) to every host, and is reported on its own. All simulated hosts share this machine's
 * 2 cores: the figures show what distribution costs, not what more machines would gain.
 *
 * Run it as root inside a namespace of its own (the Makefile target uses `unshare`):
 *   deno run -A bench/multihost.ts [RUNS]     # default 3
 *
 * These are measurements, not tests: nothing here asserts a duration.
 *
 * @module
 */
import { join } from "node:path";
import {
  simulatedHost,
  throwawayKeys,
  underlayBridge,
  writeInventory,
} from "../tests/helpers/simhost.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const RUNS = Number(Deno.args[0] ?? 3);
const HOSTS = 4, PER_HOST = 50;
const dec = new TextDecoder();

async function netkit(...args: string[]): Promise<number> {
  const t0 = performance.now();
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  if (r.code !== 0) {
    throw new Error(
      `netkit ${args.join(" ")}: exit ${r.code}\n${dec.decode(r.stderr)}${dec.decode(r.stdout)}`,
    );
  }
  return ms;
}

/** The lab as JSON (YAML's subset); `multihost: false` gives the one-host version. */
function labJson(name: string, multihost: boolean): string {
  const nodes: Record<string, unknown> = {}, bridges: Record<string, unknown> = {};
  const links: unknown[] = [];
  for (let h = 1; h <= HOSTS; h++) {
    const host = multihost ? { host: `h${h}` } : {};
    bridges[`bm${h}`] = { type: "linux", ...host };
    for (let i = 1; i <= PER_HOST; i++) {
      const node = `m${h}-${i}`;
      nodes[node] = { ...host, interfaces: { eth0: { addresses: [`10.70.${h}.${i}/16`] } } };
      links.push({ endpoints: [`${node}:eth0`, `bm${h}:${node}`] });
    }
    if (h > 1) links.push({ endpoints: [`bm${h - 1}:bm${h - 1}-r`, `bm${h}:bm${h}-l`] });
  }
  return JSON.stringify({
    name,
    ...(multihost ? { hosts: Object.fromEntries([1, 2, 3, 4].map((h) => [`h${h}`, {}])) } : {}),
    nodes,
    bridges,
    links,
    expect: [{ ping: { from: "m1-1", to: `10.70.${HOSTS}.${PER_HOST}` } }],
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => (ms / 1000).toFixed(2);

await using underlay = await underlayBridge("bx-ul", "10.252.0");
await using keys = await throwawayKeys();
await using h1 = await simulatedHost("h1", underlay, keys, { octet: 1 });
await using h2 = await simulatedHost("h2", underlay, keys, { octet: 2 });
await using h3 = await simulatedHost("h3", underlay, keys, { octet: 3 });
await using h4 = await simulatedHost("h4", underlay, keys, { octet: 4 });
const inventory = await writeInventory(keys, [h1, h2, h3, h4]);
const multi = join(keys.dir, "bx-multi.yaml"), single = join(keys.dir, "bx-single.yaml");
await Deno.writeTextFile(multi, labJson("bx-multi", true));
await Deno.writeTextFile(single, labJson("bx-single", false));

const rows: { what: string; up: number[]; down: number[] }[] = [
  { what: `${HOSTS} hosts × ${PER_HOST} over SSH`, up: [], down: [] },
  { what: `1 host × ${HOSTS * PER_HOST}`, up: [], down: [] },
];
// First multi-host run: netkit is copied to every host.
const first = await netkit("up", multi, "--hosts", inventory, "--no-check");
const proof = await netkit("check", "bx-multi");
const firstDown = await netkit("down", "bx-multi");
for (let run = 0; run < RUNS; run++) {
  rows[0]!.up.push(await netkit("up", multi, "--hosts", inventory, "--no-check"));
  rows[0]!.down.push(await netkit("down", "bx-multi"));
  rows[1]!.up.push(await netkit("up", single, "--no-check"));
  rows[1]!.down.push(await netkit("down", "bx-single"));
}
console.log(
  `first multi-host up (copies netkit to ${HOSTS} hosts): ${s(first)} s; down ${
    s(firstDown)
  } s; check (ping m1-1 -> 10.70.${HOSTS}.${PER_HOST} across 3 tunnels) ${s(proof)} s`,
);
console.log(`| lab | up s | down s |\n| --- | --- | --- |`);
for (const r of rows) console.log(`| ${r.what} | ${s(median(r.up))} | ${s(median(r.down))} |`);
console.log(`(medians of ${RUNS} runs; CLI wall time including Deno start)`);
