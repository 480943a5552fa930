/**
 * lib/exec/in_process.ts on the real kernel (root): a namespace's `ip -batch` run in-process
 * over rtnetlink does what `ip -batch` does, line for line: the same addresses, links and routes,
 * and for a failing line the same message and line number; network sysctls set in-process are
 * what `sysctl -w` sets, with sysctl's messages. Two twin namespaces t13-nl-a (in-process)
 * and t13-nl-b (ip); both are removed afterwards.
 *
 * @module
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { isRoot, sh } from "../helpers/host.ts";
import { ipBatchInProcess, parseLine, sysctlInProcess } from "../../lib/exec/in_process.ts";
import type { RunResult } from "../../lib/exec/runner.ts";

const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };
const [A, B] = ["t13-nl-a", "t13-nl-b"];

async function ipBatch(ns: string, script: string): Promise<RunResult> {
  const child = new Deno.Command("nsenter", {
    args: [`--net=/run/netns/${ns}`, "ip", "-batch", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(script));
  await w.close();
  const r = await child.output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

/** Twin namespaces, each with a veth pair inside (e1/e2) and one more veth end (x1). */
async function twins(fn: () => Promise<void>): Promise<void> {
  const setup = [A, B].flatMap((ns) => [
    `netns add ${ns}`,
    `link add name e1 netns ${ns} type veth peer name e2 netns ${ns}`,
    `link add name x1 netns ${ns} type veth peer name x2 netns ${ns}`,
  ]);
  const add = await new Deno.Command("ip", { args: ["-batch", "-"], stdin: "piped" }).spawn();
  const w = add.stdin.getWriter();
  await w.write(new TextEncoder().encode(setup.join("\n") + "\n"));
  await w.close();
  assertEquals((await add.status).code, 0);
  try {
    await fn();
  } finally {
    await sh("ip", "netns", "delete", A);
    await sh("ip", "netns", "delete", B);
  }
}

/** What a namespace holds, without what differs between twins (indexes, MAC addresses). */
async function state(ns: string): Promise<string> {
  type Link = { ifname: string; flags: string[]; operstate: string; addr_info: unknown[] };
  const links = JSON.parse(await sh("ip", "-n", ns, "-j", "addr", "show")) as Link[];
  // Sorted: the kernel lists routes in the order they appeared, and the IPv6 multicast routes of
  // two links appear when each link's addrconf work runs, which the load of the machine orders.
  const routes = (await sh("ip", "-n", ns, "route", "show", "table", "all"))
    .split("\n").sort().join("\n");
  return JSON.stringify(
    links.map((l) => ({ ifname: l.ifname, flags: l.flags, state: l.operstate, a: l.addr_info })),
    null,
    1,
  ) + routes;
}

const GOOD = [
  "link set dev lo up",
  "link set dev e1 addrgenmode none",
  "link set dev e2 addrgenmode none",
  "addr add 10.0.0.1/24 dev e1",
  "address add 10.0.0.2/24 dev e2",
  "link set dev e1 up",
  "link set dev e2 up",
  "link set dev x1 name y1",
  "link set dev y1 addrgenmode none up",
  "addr add 127.0.0.5/8 dev lo",
  "addr add 10.1.0.1/32 dev y1",
  "route add 10.9.0.0/16 via 10.0.0.2",
  "route add 10.8.0.0/16 via 10.0.0.3 dev e1",
  "route add 10.7.0.0/16 dev e2",
  "route add default via 10.0.0.2",
  "link set dev y1 down",
];

Deno.test("an in-process batch leaves a namespace as ip -batch leaves its twin", opts, async () => {
  await twins(async () => {
    const script = GOOD.join("\n") + "\n";
    assertEquals(ipBatchInProcess(`/run/netns/${A}`, script), { code: 0, stdout: "", stderr: "" });
    assertEquals(await ipBatch(B, script), { code: 0, stdout: "", stderr: "" });
    const [a, b] = [await state(A), await state(B)];
    assert(a.includes("10.9.0.0/16 via 10.0.0.2 dev e2"), a);
    assertEquals(a, b);
  });
});

Deno.test(
  "a failing line: the same message and line number as ip, and no line after it",
  opts,
  async () => {
    for (
      const bad of [
        "link set dev nope up",
        "addr add 10.0.0.1/24 dev e1",
        "route add 10.7.0.0/16 via 10.77.0.9",
        "route add 10.7.0.1/16 via 10.0.0.2",
        "link set dev e1 name e2",
      ]
    ) {
      await twins(async () => {
        const script =
          `link set dev lo up\naddr add 10.0.0.1/24 dev e1\n${bad}\nlink set dev e2 up\n`;
        const inProcess = ipBatchInProcess(`/run/netns/${A}`, script);
        const ip = await ipBatch(B, script);
        assertEquals(inProcess, ip, bad);
        assertEquals(ip.code, 1, bad);
        assertEquals(await state(A), await state(B), bad);
      });
    }
  },
);

Deno.test("lines it does not handle go to ip: nothing is done in-process", opts, () => {
  for (
    const line of [
      "link add name v1 type veth peer name v2",
      "link set dev e1 master br0",
      "addr add 10.0.0.1/24 dev e1 brd +",
      "addr del 10.0.0.1/24 dev e1",
      "route add 10.0.0.0/8 via 10.0.0.1 metric 5",
      "route replace default via 10.0.0.1",
      "link set dev e1",
      "netns add x",
    ]
  ) {
    assertEquals(parseLine(line), undefined, line);
    assertEquals(ipBatchInProcess("/run/netns/none", `link set dev lo up\n${line}\n`), undefined);
  }
  // a namespace that does not exist: the process reports it
  assertEquals(ipBatchInProcess("/run/netns/t13-nl-none", "link set dev lo up\n"), undefined);
});

async function sysctl(ns: string, ...args: string[]): Promise<RunResult> {
  const r = await new Deno.Command("nsenter", {
    args: [`--net=/run/netns/${ns}`, "sysctl", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

Deno.test(
  "network sysctls set in-process are what sysctl -w sets, with its messages",
  opts,
  async () => {
    await twins(async () => {
      const sets = ["net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=2"];
      assertEquals(sysctlInProcess(`/run/netns/${A}`, sets), { code: 0, stdout: "", stderr: "" });
      assertEquals(await sysctl(B, "-q", "-w", ...sets), { code: 0, stdout: "", stderr: "" });
      const read = ["net.ipv4.ip_forward", "net.ipv4.conf.all.rp_filter"];
      const [a, b] = [await sysctl(A, ...read), await sysctl(B, ...read)];
      assertEquals(a.stdout, "net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.rp_filter = 2\n");
      assertEquals(a, b);
      // only the namespace changed: this one keeps its own value
      assertEquals((await sh("sysctl", "-n", "net.ipv4.conf.all.rp_filter")).trim() === "2", false);
      const bad = ["net.ipv4.nope=1", "net.ipv4.conf.all.forwarding=abc", "net.ipv4.ip_forward=0"];
      assertEquals(sysctlInProcess(`/run/netns/${A}`, bad), await sysctl(B, "-q", "-w", ...bad));
      assertEquals(await sysctl(A, "net.ipv4.ip_forward"), await sysctl(B, "net.ipv4.ip_forward"));
    });
  },
);
