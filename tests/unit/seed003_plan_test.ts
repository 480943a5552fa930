/**
 * Seed 003's plans without touching the host: the router's SNAT argv is the seed's rule, inside
 * `rt`; forwarding is turned on inside `rt` and never in the root namespace; the veth ends are
 * created as link-in-rt/link-ex-rt and renamed; DHCP replies through an OVS userspace bridge get
 * their checksum filled in.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { getRecipe, planLab, validateLab } from "../../mod.ts";
import type { RunAction } from "../../lib/plan/step.ts";
import { router } from "../../recipes/router.ts";

const argvs = (name: string, datapathType: "netdev" | "system" = "netdev") =>
  planLab(validateLab(getRecipe(name).build()), { stateDir: "/tmp/x", datapathType })
    .flatMap((s) => s.do)
    .filter((a): a is RunAction => "argv" in a)
    .map((a) => a.argv);

const has = (all: string[][], argv: string[]) =>
  all.some((a) => JSON.stringify(a) === JSON.stringify(argv));

Deno.test("router plan: the seed's SNAT rule, inside rt", () => {
  const all = argvs("router");
  const nat = all.filter((a) => a.includes("nat"));
  assertEquals(nat, [[
    "ip",
    "netns",
    "exec",
    "rt",
    "iptables",
    "-w",
    "-t",
    "nat",
    "-A",
    "POSTROUTING",
    "-s",
    "10.0.0.0/24",
    "!",
    "-d",
    "10.0.0.0/24",
    "-m",
    "comment",
    "--comment",
    "netkit:router",
    "-j",
    "SNAT",
    "--to-source",
    "192.168.100.11",
  ]]);
});

Deno.test("router plan: ip_forward inside rt, never in the root namespace", () => {
  const all = argvs("router");
  assert(has(all, ["ip", "netns", "exec", "rt", "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]));
  const forward = all.filter((a) => a.some((w) => w.includes("ip_forward")));
  assertEquals(forward.length, 1);
  assert(forward.every((a) => a.slice(0, 4).join(" ") === "ip netns exec rt"));
  assert(!all.some((a) => a[0] === "sysctl"), "a sysctl in the root namespace");
});

Deno.test("router plan: link-in-rt/link-ex-rt created in rt and renamed eth0/eth1", () => {
  const all = argvs("router");
  assert(
    has(all, [
      "ip",
      "link",
      "add",
      "name",
      "link-in-rt",
      "netns",
      "rt",
      "numtxqueues",
      "1",
      "numrxqueues",
      "1",
      "type",
      "veth",
      "peer",
      "name",
      "link-in-br",
      "numtxqueues",
      "1",
      "numrxqueues",
      "1",
    ]),
  );
  assert(has(all, ["ip", "-n", "rt", "link", "set", "dev", "link-in-rt", "name", "eth0"]));
  assert(has(all, ["ip", "-n", "rt", "link", "set", "dev", "link-ex-rt", "name", "eth1"]));
  assert(has(all, ["ip", "-n", "rt", "addr", "add", "192.168.100.11/24", "dev", "eth1"]));
  assert(has(all, ["ip", "-n", "vm1", "route", "add", "default", "via", "10.0.0.254"]));
  const dnsmasq = all.find((a) => a.includes("dnsmasq"))!;
  assert(dnsmasq.includes("--dhcp-range=10.0.0.151,10.0.0.160,43200"));
  assert(dnsmasq.includes("--dhcp-option=option:router,10.0.0.254"));
  // The DHCP client runs after the server, with netkit's own hook.
  const server = all.indexOf(dnsmasq);
  const client = all.findIndex((a) => a.includes("udhcpc"));
  assert(client > server);
  assert(all[client]!.includes("-s"));
  // A Linux bridge keeps checksum offload state: no CHECKSUM rule.
  assert(!all.some((a) => a.includes("CHECKSUM")));
});

Deno.test("router recipe: the upstream namespace's name is an option", () => {
  const lab = validateLab(router.build({ prefix: "x-", wan: "up" }));
  assert("x-up" in lab.nodes);
  assert(!("x-wan" in lab.nodes));
});

Deno.test("ovs-dhcp plan: dnsmasq with lease time 86400 on rif0, checksum fill on netdev", () => {
  const all = argvs("ovs-dhcp");
  const dnsmasq = all.find((a) => a.includes("dnsmasq"))!;
  assert(dnsmasq.includes("--dhcp-range=10.0.4.11,10.0.4.20,86400"));
  assert(dnsmasq.includes("--interface=rif0"));
  const fill = all.findIndex((a) => a.includes("CHECKSUM"));
  assert(fill >= 0 && fill < all.indexOf(dnsmasq));
  assert(all[fill]!.slice(0, 4).join(" ") === "ip netns exec r0");
  assert(!argvs("ovs-dhcp", "system").some((a) => a.includes("CHECKSUM")));
});

Deno.test("ovs-vlan plan: access ports tagged 10, 10, 20 and untagged", () => {
  const adds = argvs("ovs-vlan").filter((a) => a[0] === "ovs-vsctl" && a[1] === "add-port");
  assertEquals(adds.map((a) => a[4]?.startsWith("tag=") ? a[4] : "untagged"), [
    "tag=10",
    "tag=10",
    "tag=20",
    "untagged",
  ]);
});
