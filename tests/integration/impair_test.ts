/**
 * Impairments on the real kernel (root): a lab file's rate and loss measured (iperf3 throughput
 * within ±20 % of the rate; loss over 500 pings within a binomial tolerance), `netkit impair`
 * changing and clearing them (throughput back up, loss gone), `netkit link` flapping a link,
 * every one-off change journaled so that `down` leaves the host as it was.
 *
 * The loss tolerance: 500 echo replies each dropped with p = 10 % lose k ~ Binomial(500, 0.1):
 * mean 50, σ = √(500 · 0.1 · 0.9) ≈ 6.7. The test accepts 17 ≤ k ≤ 83 (±5σ); a correct rule falls
 * outside with probability below 10⁻⁶ per run (normal tail 5.7·10⁻⁷; the binomial's tails here
 * are no heavier), so the test does not flake, while no loss (0) or double loss (≈100) fails it.
 * At p = 20 %: mean 100, σ ≈ 8.9, accepted 56..144.
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
import { pingCounts, throughputMbps } from "../helpers/measure.ts";
import { hasQdisc, ProcessRunner } from "../../mod.ts";

const stateDir = useTestState("impair");
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };

/** a has two links: eth0 to b (rate-limited), eth1 to c (lossy), so each is measured alone. */
const LAB = `name: t15-imp
nodes:
  t15-a:
    interfaces:
      eth0: { addresses: [10.15.1.1/24], impair: { rate: 10mbit } }
      eth1: { addresses: [10.15.2.1/24], impair: { loss: 10% } }
  t15-b:
    interfaces:
      eth0: { addresses: [10.15.1.2/24] }
  t15-c:
    interfaces:
      eth0: { addresses: [10.15.2.2/24] }
links:
  - endpoints: [t15-a:eth0, t15-b:eth0]
  - endpoints: [t15-a:eth1, t15-c:eth0]
`;

/** Replies from a to c lost over 500 pings; asserts the binomial tolerance for share p. */
async function assertLoss(p: number, what: string): Promise<number> {
  const n = 500;
  const { transmitted, received } = await pingCounts("t15-c", "10.15.2.1", n);
  assertEquals(transmitted, n);
  const lost = n - received;
  const sigma = Math.sqrt(n * p * (1 - p));
  const [low, high] = [Math.ceil(n * p - 5 * sigma), Math.floor(n * p + 5 * sigma)];
  assert(lost >= low && lost <= high, `${what}: ${lost} of ${n} lost, expected ${low}..${high}`);
  return lost;
}

/** a -> b throughput within ±20 % of `mbit`. */
async function assertRate(mbit: number, what: string): Promise<number> {
  const got = await throughputMbps("t15-a", "t15-b", "10.15.1.2");
  assert(
    got >= mbit * 0.8 && got <= mbit * 1.2,
    `${what}: ${got.toFixed(2)} Mbit/s, expected ${mbit} ±20 %`,
  );
  return got;
}

Deno.test(
  "impairments: measured rate and loss, changed and cleared on the running lab, removed by down",
  opts,
  async () => {
    const before = await snapshot();
    const dir = await Deno.makeTempDir({ prefix: "netkit-t15-" });
    const file = `${dir}/imp.yaml`;
    await Deno.writeTextFile(file, LAB);
    try {
      const up = await netkit(["up", file]);
      assertEquals(up.code, 0, up.stderr + up.stdout);

      // The lab file's impairments, measured.
      const rate = await assertRate(10, "rate: 10mbit");
      const lost = await assertLoss(0.1, "loss: 10%");
      // The nftables rule counted what it dropped: at least the lost replies (IPv6 chatter too).
      const rule = await sh(
        "ip",
        "netns",
        "exec",
        "t15-a",
        "nft",
        "list",
        "table",
        "inet",
        "netkit-loss-eth1",
      );
      assertMatch(rule, /comment "netkit:t15-imp"/);
      const dropped = Number(/counter packets (\d+)/.exec(rule)?.[1] ?? -1);
      assert(dropped >= lost, `the rule counted ${dropped} drops, ping lost ${lost}`);
      assert(
        !/netkit/.test(await sh("nft", "list", "ruleset")),
        "a netkit rule in the host's firewall",
      );

      // --clear: full speed and no loss again.
      for (const end of ["t15-a:eth0", "t15-a:eth1"]) {
        const clear = await netkit(["impair", "t15-imp", end, "--clear"]);
        assertEquals(clear.code, 0, clear.stderr);
        assertMatch(clear.stdout, /Cleared the impairment/);
      }
      const free = await throughputMbps("t15-a", "t15-b", "10.15.1.2");
      assert(free > 3 * 10, `after --clear: ${free.toFixed(1)} Mbit/s, expected well over 10`);
      const clean = await pingCounts("t15-c", "10.15.2.1", 500);
      assertEquals(clean.received, 500, "after --clear no reply is lost");
      assertEquals(
        (await sh("ip", "netns", "exec", "t15-a", "nft", "list", "tables")).trim(),
        "",
        "the drop table is gone",
      );
      const again = await netkit(["impair", "t15-imp", "t15-a:eth1", "--clear"]);
      assertEquals(again.code, 0);
      assertMatch(again.stdout, /was not impaired: nothing changed/);

      // Impairments set on the running lab.
      const slow = await netkit(["impair", "t15-imp", "t15-a:eth0", "--rate", "5mbit"]);
      assertEquals(slow.code, 0, slow.stderr);
      await assertRate(5, "netkit impair --rate 5mbit");
      const lossy = await netkit(["impair", "t15-imp", "t15-a:eth1", "--loss", "20%"]);
      assertEquals(lossy.code, 0, lossy.stderr);
      await assertLoss(0.2, "netkit impair --loss 20%");
      // A new impairment replaces the old one: only the rate now, and the loss rule is gone.
      const replace = await netkit(["impair", "t15-imp", "t15-a:eth1", "--rate", "20mbit"]);
      assertEquals(replace.code, 0, replace.stderr);
      assertEquals((await sh("ip", "netns", "exec", "t15-a", "nft", "list", "tables")).trim(), "");
      assertMatch(
        await sh("ip", "netns", "exec", "t15-a", "tc", "qdisc", "show", "dev", "eth1"),
        /tbf .*rate 20Mbit/,
      );

      // A flap: down, then up again.
      const down = await netkit(["link", "t15-imp", "t15-a:eth0", "down"]);
      assertEquals(down.code, 0, down.stderr);
      assertEquals((await pingCounts("t15-b", "10.15.1.1", 3)).received, 0);
      const back = await netkit(["link", "t15-imp", "t15-a:eth0", "up"]);
      assertEquals(back.code, 0, back.stderr);
      let pong = 0;
      for (let i = 0; i < 20 && pong === 0; i++) {
        pong = (await pingCounts("t15-b", "10.15.1.1", 1)).received;
      }
      assertEquals(pong, 1, "after link up, b reaches a again");

      // Every one-off change went into the lab's journal, undo first.
      const journal = await Deno.readTextFile(`${stateDir}/labs/t15-imp/journal.jsonl`);
      for (
        const key of [
          "impair-clear:t15-a/eth0",
          "impair:t15-a/eth1",
          "down:t15-a/eth0",
          "up:t15-a/eth0",
        ]
      ) {
        assert(journal.includes(`"key":"${key}"`), `${key} not journaled:\n${journal}`);
      }
      console.log(
        `rate 10mbit: ${rate.toFixed(2)} Mbit/s; loss 10%: ${lost}/500; cleared: ${
          free.toFixed(0)
        } Mbit/s`,
      );
    } finally {
      const down = await netkit(["down", "t15-imp"]);
      assertEquals(down.code, 0, down.stderr);
      await Deno.remove(dir, { recursive: true });
    }
    await assertHostUnchanged(before, "after the impairment lab and down");
  },
);

Deno.test("bad impairments: exit 2, where and why, nothing changed", opts, async () => {
  const before = await snapshot();
  const dir = await Deno.makeTempDir({ prefix: "netkit-t15-" });
  try {
    const file = `${dir}/bad.yaml`;
    await Deno.writeTextFile(
      file,
      LAB.replace("rate: 10mbit", "rate: 10mbps").replace("loss: 10%", "loss: 1000%"),
    );
    const r = await netkit(["up", file]);
    assertEquals(r.code, 2, r.stderr);
    assertMatch(r.stderr, new RegExp(`${file}:5:58: "10mbps": tc's "bps" means bytes per second`));
    assertMatch(r.stderr, new RegExp(`${file}:6:58: "1000%" is not a percentage`));

    const netem = (await hasQdisc("netem", new ProcessRunner())).ok;
    if (!netem) {
      // This kernel has no netem: delay is refused in one line, before anything changes.
      await Deno.writeTextFile(file, LAB.replace("loss: 10%", "delay: 20ms"));
      const d = await netkit(["up", file]);
      assertEquals(d.code, 2, d.stderr);
      assertMatch(
        d.stderr,
        /^netkit: error: nodes\.t15-a\.interfaces\.eth1\.impair\.delay: delay needs the kernel's netem qdisc/,
      );
      assertEquals(d.stderr.trim().split("\n").length, 1, d.stderr);
      const dry = await netkit(["up", file, "--dry-run"]);
      assertEquals(dry.code, 2, dry.stderr);
      const doctor = await netkit(["doctor"]);
      assertMatch(doctor.stdout, /kernel: netem .*WARN/);
    } else {
      console.log("this kernel has netem: the refusal of delay is not exercised");
    }

    // On a running lab: bad values and unknown ends are refused before anything changes.
    await Deno.writeTextFile(file, LAB);
    assertEquals((await netkit(["up", file, "--no-check"])).code, 0);
    const tc = await sh("ip", "netns", "exec", "t15-a", "tc", "qdisc", "show");
    for (
      const [args, re] of [
        [["--rate", "fast"], /Invalid rate: "fast" is not a rate/],
        [["--loss", "5"], /Invalid percentage/],
        [["--rate", "1mbit", "--clear"], /--clear removes the impairment/],
        [[], /Say what to do/],
        [["--jitter", "1ms"], /--jitter varies a delay/],
      ] as const
    ) {
      const bad = await netkit(["impair", "t15-imp", "t15-a:eth0", ...args]);
      assertEquals(bad.code, 2, `${args.join(" ")}: ${bad.stderr}`);
      assertMatch(bad.stderr, re);
    }
    for (
      const [end, re] of [["t15-x:eth0", /has no node "t15-x"/], [
        "t15-a:eth9",
        /has no interface "eth9"[\s\S]*eth0, eth1/,
      ], ["t15-a", /expected NODE:IFACE/]] as const
    ) {
      const bad = await netkit(["impair", "t15-imp", end, "--rate", "1mbit"]);
      assertEquals(bad.code, 2, bad.stderr);
      assertMatch(bad.stderr, re);
    }
    if (!netem) {
      const d = await netkit(["impair", "t15-imp", "t15-a:eth0", "--delay", "20ms"]);
      assertEquals(d.code, 2, d.stderr);
      assertMatch(d.stderr, /--delay: delay needs the kernel's netem qdisc/);
    }
    assertEquals(
      await sh("ip", "netns", "exec", "t15-a", "tc", "qdisc", "show"),
      tc,
      "qdiscs unchanged",
    );
    const notUp = await netkit(["link", "t15-nolab", "t15-a:eth0", "down"]);
    assertEquals(notUp.code, 2);
    assertMatch(notUp.stderr, /Lab "t15-nolab" is not up/);
  } finally {
    await netkit(["down", "t15-imp"]);
    await Deno.remove(dir, { recursive: true });
  }
  await assertHostUnchanged(before, "after bad impairments");
});

/** A bridge between a and b; c wired to the root namespace. */
const ENDS_LAB = `name: t15-ends
bridges:
  t15-br: { type: linux }
nodes:
  t15-a:
    interfaces:
      eth0: { addresses: [10.15.7.1/24] }
  t15-b:
    interfaces:
      eth0: { addresses: [10.15.7.2/24] }
  t15-c:
    interfaces:
      eth0: { addresses: [10.15.8.2/24] }
links:
  - endpoints: [t15-a:eth0, t15-br:t15-pa]
  - endpoints: [t15-b:eth0, t15-br:t15-pb]
  - endpoints: [t15-c:eth0, root:t15-rc]
`;

Deno.test(
  "netkit link: a bridge's port and a root-side end too, and no interface that is not the lab's",
  opts,
  async () => {
    const before = await snapshot();
    const dir = await Deno.makeTempDir({ prefix: "netkit-t15-" });
    const file = `${dir}/ends.yaml`;
    await Deno.writeTextFile(file, ENDS_LAB);
    /** The state flags of a root-namespace interface. */
    const flags = async (
      dev: string,
    ) => (JSON.parse(await sh("ip", "-j", "link", "show", "dev", dev))[0].flags as string[]);
    try {
      const up = await netkit(["up", file]);
      assertEquals(up.code, 0, up.stderr + up.stdout);
      // The bridge's port to a, down: a is cut off from b; up again: they talk again.
      const cut = await netkit(["link", "t15-ends", "t15-br:t15-pa", "down"]);
      assertEquals(cut.code, 0, cut.stderr);
      assertMatch(cut.stdout, /t15-br:t15-pa in lab t15-ends is down/);
      assertEquals((await pingCounts("t15-a", "10.15.7.2", 2)).received, 0);
      assertEquals((await netkit(["link", "t15-ends", "t15-br:t15-pa", "up"])).code, 0);
      let pong = 0;
      for (let i = 0; i < 20 && pong === 0; i++) {
        pong = (await pingCounts("t15-a", "10.15.7.2", 1)).received;
      }
      assertEquals(pong, 1, "after the port is up again, a reaches b");
      // The root-side end of c's link.
      assertEquals((await netkit(["link", "t15-ends", "root:t15-rc", "down"])).code, 0);
      assert(!(await flags("t15-rc")).includes("UP"), "root:t15-rc is down");
      // Ends that are not the lab's links' own: refused, nothing changed.
      for (
        const [end, re] of [
          ["root:lo", /no node "root" and no link end "root:lo"[\s\S]*root:t15-rc/],
          ["t15-br:t15-px", /no link end "t15-br:t15-px"/],
          ["t15-zz:eth0", /no node "t15-zz"/],
        ] as const
      ) {
        const bad = await netkit(["link", "t15-ends", end, "down"]);
        assertEquals(bad.code, 2, `${end}: ${bad.stderr}`);
        assertMatch(bad.stderr, re);
      }
      assert((await flags("lo")).includes("UP"), "lo untouched");
      // impair takes a node's interface only.
      const imp = await netkit(["impair", "t15-ends", "root:t15-rc", "--rate", "1mbit"]);
      assertEquals(imp.code, 2, imp.stderr);
    } finally {
      const down = await netkit(["down", "t15-ends"]);
      assertEquals(down.code, 0, down.stderr);
      await Deno.remove(dir, { recursive: true });
    }
    await assertHostUnchanged(before, "after netkit link on a bridge port and a root end");
  },
);
