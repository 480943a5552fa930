/**
 * Lab files under 1 MiB shaped to make validation slow: each holds as much as the size bound lets
 * it of one thing (nodes, links, ports, keys, aliases, nesting, problems...), or stays within
 * every count and makes one cross-lab check compare everything with everything. The validation
 * cost test (tests/integration/validate_cost_test.ts) runs `netkit validate` on each.
 *
 * @module
 */

/** One costly lab file. */
export interface CostlyLab {
  /** A short name (also the file's name, with `.yaml`). */
  name: string;
  /** The file's text (at most 1 MiB). */
  text: string;
  /** What `validate` says about it (somewhere in its problems). */
  refusal: RegExp;
}

const hex = (i: number) => i.toString(16);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** The `i`-th address of 10.0.0.0/8 (`i` below 2^24). */
const ip4 = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const flowList = (n: number, item: (i: number) => string) => `[${range(n).map(item).join(",")}]`;
const flowMap = (n: number, item: (i: number) => string) => `{${range(n).map(item).join(", ")}}`;
const lines = (n: number, line: (i: number) => string) => range(n).map(line).join("");

/**
 * Labs whose counts are over the bounds, written to be as big as a file under 1 MiB lets them.
 * Each must be refused.
 */
function overTheCounts(): CostlyLab[] {
  return [
    {
      name: "nodes-100k",
      refusal: /the lab has 100000 nodes; a lab may have at most 4096/,
      text: `name: x\nnodes: ${flowMap(100_000, (i) => `n${hex(i)}`)}\n`,
    },
    {
      name: "nodes-block-80k",
      refusal: /the lab has 80000 nodes/,
      text: `name: x\nnodes:\n${lines(80_000, (i) => ` n${hex(i)}: {}\n`)}`,
    },
    {
      name: "links-190k",
      refusal: /the lab has 190000 links/,
      text: `name: x\nlinks:\n${lines(190_000, () => "- {}\n")}`,
    },
    {
      name: "links-30k-endpoints",
      refusal: /the lab has 30000 links/,
      text: `name: x\nlinks:\n${
        lines(30_000, (i) => `- endpoints: [a:e${hex(i)}, b:e${hex(i)}]\n`)
      }`,
    },
    {
      name: "ports-100k",
      refusal: /the lab has 100000 bridge ports/,
      text: `name: x\nbridges:\n b: {type: ovs, ports: ${flowMap(100_000, (i) => `p${hex(i)}`)}}\n`,
    },
    {
      name: "interfaces-100k",
      refusal: /the lab has 100000 interfaces/,
      text: `name: x\nnodes:\n a: {interfaces: ${flowMap(100_000, (i) => `x${hex(i)}`)}}\n`,
    },
    {
      name: "addresses-70k",
      refusal: /the lab has 70000 addresses/,
      text: `name: x\nnodes:\n a: {interfaces: {e: {addresses: ${
        flowList(70_000, (i) => `${ip4(i)}/8`)
      }}}}\n`,
    },
    {
      name: "sysctls-100k",
      refusal: /the lab has 100000 sysctls/,
      text: `name: x\nnodes:\n a: {sysctls: ${flowMap(100_000, (i) => `n${hex(i)}`)}}\n`,
    },
    {
      name: "routes-200k",
      refusal: /the lab has 200000 routes/,
      text: `name: x\nnodes:\n a:\n  routes: ${flowList(200_000, () => "{}")}\n`,
    },
    {
      name: "expect-200k",
      refusal: /the lab has 200000 expectations/,
      text: `name: x\nexpect: ${flowList(200_000, () => "{}")}\n`,
    },
    {
      name: "generate-200k",
      refusal: /200000 generate entries would make at least 200000 nodes/,
      text: `name: x\ngenerate: ${flowList(200_000, () => "{}")}\n`,
    },
    {
      name: "generate-30k-stars",
      refusal: /30000 generate entries/,
      text: `name: x\ngenerate:\n${
        lines(30_000, (i) => `- star: {count: 1, prefix: g${hex(i)}}\n`)
      }`,
    },
    {
      name: "hosts-100k",
      refusal: /the lab has 100000 host roles/,
      text: `name: x\nhosts: ${flowMap(100_000, (i) => `h${hex(i)}`)}\n`,
    },
    {
      name: "clab-nodes-40k",
      refusal: /the lab has 40000 nodes/,
      text: `name: x\ntopology:\n  nodes: ${flowMap(40_000, (i) => `n${hex(i)}: {kind: linux}`)}\n`,
    },
  ];
}

/** Files that pile up problems, keys and lists no count bounds. Each must be refused. */
function manyProblems(): CostlyLab[] {
  const bigAddressNode = (i: number) =>
    ` n${i}: {role: router, interfaces: {e: {addresses: [${ip4(i * 4 + 1)}/30]}}}\n`;
  return [
    {
      name: "top-keys-100k",
      refusal: /unrecognized key "k0"/,
      text: `name: x\n${lines(100_000, (i) => `k${hex(i)}: 1\n`)}`,
    },
    {
      name: "node-keys-100k",
      refusal: /unrecognized key "k0"/,
      text: `name: x\nnodes:\n a: ${flowMap(100_000, (i) => `k${hex(i)}`)}\n`,
    },
    {
      name: "duplicate-keys-50k",
      refusal: /duplicate key "n0"/,
      text: `name: x\nnodes: ${flowMap(100_000, (i) => `n${hex(i % 50_000)}`)}\n`,
    },
    {
      name: "yaml-errors-100k",
      refusal: /Nested mappings are not allowed/,
      text: `name: x\nnodes:\n${lines(100_000, () => " a: b: c\n")}`,
    },
    {
      name: "ospf-interfaces-150k",
      refusal: /the lab has 150000 OSPF interfaces, BGP neighbors and BGP networks/,
      text: `name: x\nnodes:\n a: {role: router, routing: {ospf: {interfaces: ${
        flowList(150_000, (i) => `x${hex(i)}`)
      }}}}\n`,
    },
    {
      name: "bgp-neighbors-25k",
      refusal: /the lab has 25000 OSPF interfaces/,
      text: `name: x\nnodes:\n${bigAddressNode(0)} a: {role: router, interfaces: {e: {addresses: ${
        flowList(4000, (i) => `${ip4(i * 256 + 1)}/24`)
      }}}, routing: {bgp: {asn: 1, neighbors: ${
        flowList(25_000, (i) => `{address: 10.200.${(i >> 8) & 255}.${i & 255}, asn: 2}`)
      }}}}\n`,
    },
    {
      name: "bgp-networks-60k",
      refusal: /the lab has 60001 OSPF interfaces/,
      text: `name: x\nnodes:\n a: {role: router, routing: {bgp: {asn: 1, neighbors: [{address: ${
        ip4(1)
      }, asn: 2}], networks: ${flowList(60_000, (i) => `${ip4(i * 256)}/24`)}}}}\n`,
    },
    {
      name: "flows-35k",
      refusal: /the lab has 35000 OpenFlow flows/,
      text: `name: x\nbridges:\n${
        lines(
          35,
          (b) =>
            ` b${b}: {type: ovs, flows: ${
              flowList(1000, (i) => `"priority=${i},actions=drop"`)
            }}\n`,
        )
      }`,
    },
    {
      name: "mirror-select-150k",
      refusal: /the lab has 150001 port mirrors/,
      text: `name: x\nbridges:\n b: {type: ovs, mirrors: {m: {output: o, select: ${
        flowList(150_000, (i) => `p${hex(i)}`)
      }}}}\n`,
    },
  ];
}

/** YAML-level bombs: aliases that multiply the document, and deep nesting. */
function yamlBombs(): CostlyLab[] {
  const laughs = [
    "name: x",
    "nodes:",
    "  a:",
    "    sysctls:",
    "      net.l0: &l0 [x, x, x, x, x, x, x, x, x, x]",
    ...range(9).map((k) =>
      `      net.l${k + 1}: &l${k + 1} [${range(10).map(() => `*l${k}`).join(", ")}]`
    ),
  ].join("\n");
  // 40 anchors of 3000 names each, each anchor repeated under 100 nodes.
  const flat = [
    "name: x",
    "nodes:",
    ...range(4000).map((i) =>
      i < 40
        ? `  n${i}: {role: router, routing: {ospf: {interfaces: &a${i} ${
          flowList(3000, (k) => `x${hex(k)}`)
        }}}}`
        : `  n${i}: {role: router, routing: {ospf: {interfaces: *a${i % 40}}}}`
    ),
  ].join("\n");
  const manyAliases = [
    "name: x",
    "nodes:",
    "  a:",
    "    sysctls:",
    ...range(15_000).map((i) => `      net.a${hex(i)}: &a${hex(i)} 1`),
    "    routes:",
    ...range(30_000).map((i) => `      - *a${hex(i % 15_000)}`),
  ].join("\n");
  return [
    { name: "billion-laughs", refusal: /too many alias expansions/, text: `${laughs}\n` },
    { name: "alias-flat-bomb", refusal: /a lab file may use at most 1000/, text: `${flat}\n` },
    {
      name: "aliases-45k",
      refusal: /a lab file may define at most 1000/,
      text: `${manyAliases}\n`,
    },
    {
      name: "self-alias",
      refusal: /alias \*n is inside its own anchor/,
      text: "name: x\nnodes: &n\n  a: *n\n",
    },
    {
      name: "nest-100",
      refusal: /the YAML nests deeper than 64 levels/,
      text: `name: x\nfoo: ${"[".repeat(100)}${"]".repeat(100)}\n`,
    },
    {
      name: "nest-flow-seq",
      refusal: /the YAML nests deeper than 64 levels/,
      text: `name: x\nfoo: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`,
    },
    {
      name: "nest-flow-map",
      refusal: /the YAML nests deeper than 64 levels/,
      text: `name: x\nnodes: ${"{a: ".repeat(100_000)}1${"}".repeat(100_000)}\n`,
    },
    {
      name: "nest-block",
      refusal: /the YAML nests deeper than 64 levels/,
      text: `name: x\nfoo:\n${lines(1200, (i) => `${" ".repeat(i + 1)}- \n`)}`,
    },
  ];
}

/**
 * Labs within every count whose cross-lab checks could compare everything with everything:
 * prefixes of one node, gateways against subnets, ports against links, DHCP servers against an
 * uplink's LAN, proofs against bridges and flows.
 */
function withinTheCounts(): CostlyLab[] {
  const manyIfaces = `name: x\nnodes:\n a:\n  interfaces:\n${
    lines(16_000, (i) => `   x${hex(i)}: {addresses: [${ip4(i * 4 + 1)}/30]}\n`)
  }`;
  const gateways = `name: x\nnodes:\n a:\n  interfaces:\n   e: {addresses: ${
    flowList(16_000, (i) => `${ip4(i * 4 + 1)}/30`)
  }}\n  routes: ${
    flowList(20_000, (i) => `{to: 11.${i >> 8}.${i & 255}.0/24, via: 10.250.0.1}`)
  }\n`;
  // 1024 OVS bridges, 4096 nodes with two links each, 256 untag proofs naming no port.
  const ovs = (proofs: string) =>
    `name: x\nbridges:\n${lines(1024, (b) => ` b${hex(b)}: {type: ovs}\n`)}nodes:\n${
      lines(4096, (n) => ` n${hex(n)}: {}\n`)
    }links:\n${
      lines(8192, (l) => `- endpoints: [n${hex(l >> 1)}:e${l & 1}, b${hex(l & 1023)}:p${hex(l)}]\n`)
    }expect:\n${proofs}`;
  const untag = ovs(
    lines(256, (k) => `- ping: {from: n0, to: 10.0.0.1}\n  untag: {port: q${k}, tag: 5}\n`),
  );
  const flowProofs = `name: x\nbridges:\n b: {type: ovs, flows: ${
    flowList(1000, (i) => `"priority=${i},ip,nw_dst=10.0.${i >> 8}.${i & 255},actions=drop"`)
  }}\nnodes:\n a: {}\nexpect:\n${
    lines(256, (k) =>
      `- ping: {from: a, to: 10.0.0.1}\n  flow: {bridge: b, match: "ip,nw_dst=10.9.9.${k}"}\n`)
  }`;
  // 4096 nodes, each a DHCP server on a bridge linked to an uplink's bridge.
  // 1022 bridges joined to "up": with its uplink, 1023 ports, the most a Linux bridge takes.
  const dhcp = `name: x\nbridges:\n up: {type: linux, uplink: eth9}\n${
    lines(1022, (b) => ` b${hex(b)}: {type: linux}\n`)
  }nodes:\n${
    lines(
      4096,
      (n) =>
        ` n${hex(n)}: {interfaces: {e: {addresses: [${
          ip4(n * 256 + 1)
        }/24]}}, dhcpServer: {interface: e, range: [${ip4(n * 256 + 10)}, ${
          ip4(n * 256 + 20)
        }]}}\n`,
    )
  }links:\n${lines(4096, (n) => `- endpoints: [n${hex(n)}:e, b${hex(n % 1022)}:p${hex(n)}]\n`)}${
    lines(1022, (b) => `- endpoints: [b${hex(b)}:u${hex(b)}, up:v${hex(b)}]\n`)
  }`;
  return [
    {
      name: "prefixes-of-one-node",
      refusal: /no link or internal port puts interface "x0"/,
      text: manyIfaces,
    },
    {
      name: "gateways-by-subnets",
      refusal: /gateway 10\.250\.0\.1 is outside every subnet/,
      text: gateways,
    },
    {
      name: "untag-by-bridges-by-links",
      refusal: /port "q0" is not a port of one of the lab\'s OVS bridges/,
      text: untag,
    },
    {
      name: "flow-proofs-by-flows",
      refusal: /no flow of bridge "b" has the match/,
      text: flowProofs,
    },
    {
      name: "dhcp-servers-by-links",
      refusal: /would answer the real network's clients|uplink \"eth9\" would move/,
      text: dhcp,
    },
    {
      name: "clab-up-lines-by-links",
      refusal: /no link puts interface "e3" into node "n0"/,
      text: `name: x\ntopology:\n  defaults: {kind: linux}\n  nodes:\n${
        lines(2000, (n) =>
          `    n${n}: {exec: [${
            range(8).map((k) => `ip link set e${k} up`).join(", ")
          }]}\n`)
      }  links:\n${
        lines(
          8000,
          (l) => `    - endpoints: [n${l % 2000}:e${l >> 11}, n${(l + 1) % 2000}:f${l}]\n`,
        )
      }`,
    },
    {
      name: "clab-pings-on-one-bridge",
      refusal: /the lab has 15996 expectations/,
      text: `name: x\ntopology:\n  nodes:\n    br: {kind: bridge}\n${
        lines(
          4000,
          (n) =>
            `    n${n}: {kind: linux, exec: [${
              range(4).map((k) => `ip addr add ${ip4(n * 4 + k + 1)}/8 dev e`).join(", ")
            }]}\n`,
        )
      }  links:\n${lines(4000, (n) => `    - endpoints: [n${n}:e, br:p${n}]\n`)}`,
    },
    {
      name: "bgp-neighbors-by-subnets",
      refusal: /BGP neighbor 11\.0\.0\.0 is not in any subnet/,
      text: `name: x\nnodes:\n a: {role: router, interfaces: {e: {addresses: ${
        flowList(4000, (i) => `${ip4(i * 256 + 1)}/24`)
      }}}, routing: {bgp: {asn: 1, neighbors: ${
        flowList(16_000, (i) => `{address: 11.0.${(i >> 8) & 255}.${i & 255}, asn: 2}`)
      }}}}\n`,
    },
    {
      name: "unknown-owners-by-names",
      refusal: /"zz" is neither a node nor a bridge \(known: n0, .*, and 5100 more\)/,
      text: `name: x\nbridges:\n${lines(1024, (b) => ` b${hex(b)}: {type: linux}\n`)}nodes:\n${
        lines(4096, (n) => ` n${hex(n)}: {}\n`)
      }links:\n${lines(8192, (l) => `- endpoints: [zz:e${hex(l)}, b0:p${hex(l)}]\n`)}`,
    },
    {
      name: "mirror-selects-by-ports",
      refusal: /mirror output "zz" is not a port of bridge "b" \(its ports: .*, and 3980 more\)/,
      text: `name: x\nbridges:\n b: {type: ovs, ports: {${
        range(4000).map((i) => `q${hex(i)}: {internal: true}`).join(", ")
      }}, mirrors: {m: {output: zz, select: ${flowList(4000, (i) => `z${hex(i)}`)}}}}\n`,
    },
  ];
}

/** Every costly lab file, each under 1 MiB. */
export function costlyLabs(): CostlyLab[] {
  const all = [...overTheCounts(), ...manyProblems(), ...yamlBombs(), ...withinTheCounts()];
  for (const lab of all) {
    const bytes = new TextEncoder().encode(lab.text).length;
    if (bytes > 1024 * 1024 && !Deno.env.get("SIZES")) {
      throw new Error(`${lab.name}: ${bytes} bytes, over 1 MiB`);
    }
  }
  return all;
}
