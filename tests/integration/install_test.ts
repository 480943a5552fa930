/**
 * `make install` / `make uninstall`: into a temporary PREFIX, the installed `netkit` runs
 * (--version, recipe list) without the repository; completions and the man page (generated from
 * the command definitions) are where shells and man look; with DESTDIR the files land under it
 * while naming their final place, and no Deno outside it; uninstall leaves nothing behind. After
 * `make compile`, what is installed is the one file of dist/ (the file a lab VM gets).
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { isRoot, run } from "../helpers/host.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { NETKIT } from "../../main.ts";
import { recipes } from "../../recipes/mod.ts";

const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
// make deps may install Debian packages: root only, like the other integration tests.
const opts = { ignore: !isRoot, sanitizeResources: false, sanitizeOps: false };
/** Runs argv in `cwd` (by default /, never the repository), without colour or make's flags. */
const exec = (argv: string[], cwd = "/") =>
  run(argv, { cwd, env: { NO_COLOR: "1", MAKEFLAGS: "" } });

/** Every file and directory under `dir`, relative, sorted. */
function tree(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(`${dir}/${rel}`)) {
    const path = `${rel}${e.name}`;
    out.push(e.isDirectory ? `${path}/` : path);
    if (e.isDirectory) out.push(...tree(dir, `${path}/`));
  }
  return out.sort();
}

/** What --help and messages name (docs/multi-host.md, examples/labs/bridge-three.yaml, ...). */
const DOC = "share/doc/netkit/";
const DOCS = [
  "README.md",
  "docs/multi-host.md",
  "docs/security.md",
  "docs/lab-file-reference.md",
  "examples/labs/bridge-three.yaml",
  "examples/labs/two-hosts.yaml",
  "examples/clab/routed.clab.yml",
].map((f) => DOC + f);

/**
 * The `node:` modules imported by the chunks `entries` of the code-split build in `dir`, and by
 * the chunks they import statically (`import ... from "./chunk.js"`), as "CHUNK imports MODULE".
 */
async function nodeImportsFrom(dir: string, entries: string[]): Promise<string[]> {
  const found: string[] = [];
  const seen = new Set<string>();
  const visit = async (chunk: string) => {
    if (seen.has(chunk)) return;
    seen.add(chunk);
    const text = await Deno.readTextFile(`${dir}/${chunk}`);
    for (const [, spec] of text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+"([^"]+)"/gms)) {
      if (spec!.startsWith("node:")) found.push(`${chunk} imports ${spec}`);
      else if (spec!.startsWith("./")) await visit(spec!.slice(2));
    }
    for (const [, spec] of text.matchAll(/^import\s+"(\.\/[^"]+)"/gm)) await visit(spec!.slice(2));
  };
  for (const e of entries) await visit(e);
  return found.sort();
}

const SHARED = [
  "share/bash-completion/completions/netkit",
  "share/fish/vendor_completions.d/netkit.fish",
  "share/man/man1/netkit.1",
  "share/netkit/lab.schema.json",
  "share/zsh/site-functions/_netkit",
];

Deno.test(
  "make install puts a working netkit on PATH; make uninstall removes it",
  opts,
  async () => {
    const tmp = await Deno.makeTempDir({ prefix: "netkit-install-" });
    const prefix = `${tmp}/prefix`;
    try {
      const installed = await exec([
        "make",
        "-C",
        REPO,
        "--no-print-directory",
        "install",
        `PREFIX=${prefix}`,
        "LAUNCHER=1",
      ]);
      assertEquals(installed.code, 0, installed.stdout + installed.stderr);
      const files = tree(prefix).filter((f) => !f.endsWith("/"));
      const compiled = !files.includes("lib/netkit/netkit.js");
      for (const f of ["bin/netkit", ...SHARED, ...DOCS]) {
        assert(files.includes(f), `no ${f}: ${files}`);
      }

      // The command runs from anywhere, and not from the repository's files.
      const netkit = `${prefix}/bin/netkit`;
      if (!compiled) {
        const launcher = await Deno.readTextFile(netkit);
        assert(!launcher.includes(REPO), `the launcher names the repository:\n${launcher}`);
        assert(!launcher.includes("/.tools/"), `the launcher names make's .tools:\n${launcher}`);
        // The launcher runs the code-split CLI; the one-file bundle beside it is its library.
        assertMatch(launcher, new RegExp(`'${prefix}/lib/netkit/netkit-cli/main\\.js'`));
        // It runs the Deno installed beside it, whatever Deno make used.
        assertMatch(launcher, new RegExp(`exec '${prefix}/lib/netkit/deno' run `));
        assert(files.includes("lib/netkit/deno"), `no Deno beside the bundle: ${files}`);
        assert(files.includes("lib/netkit/netkit.js"), `no bundle: ${files}`);
        // Nothing loads Node's compatibility layer as a command starts (Makefile, BUILD_BUNDLES;
        // build/bundle_imports.ts): no node: module among what the CLI's start and its everyday
        // commands import, node:module not at the top of a chunk, not yaml's Node build (which
        // asks for node:process as it loads).
        const cli = `${prefix}/lib/netkit/netkit-cli`;
        const commands = files.filter((f) =>
          /^lib\/netkit\/netkit-cli\/(up|down|status|validate|exec)-\w+\.js$/.test(f)
        ).map((f) => f.slice("lib/netkit/netkit-cli/".length));
        assertEquals(commands.length, 5, files.join("\n"));
        assertEquals(await nodeImportsFrom(cli, ["main.js", ...commands]), []);
        const scripts = files.filter((f) => /^lib\/netkit\/(netkit-cli\/.*|netkit)\.js$/.test(f));
        for (const f of scripts) {
          const text = await Deno.readTextFile(`${prefix}/${f}`);
          assert(!/^import .* from "node:module";$/m.test(text), `${f} imports node:module`);
          assert(!text.includes('__require("node:process")'), `${f}: yaml's Node build`);
        }
      }
      const version = await exec([netkit, "--version"], tmp);
      assertEquals(version.code, 0, version.stderr);
      assertEquals(version.stdout.trim(), denoJson.version);
      const list = await exec([netkit, "recipe", "list"], tmp);
      assertEquals(list.code, 0, list.stderr);
      for (const name of recipes.keys()) assertMatch(list.stdout, new RegExp(`│ ${name} `));
      if (!compiled) {
        // netkit run: the script's "netkit" is the installed library (the bundle), not the repo.
        await Deno.writeTextFile(
          `${tmp}/script.ts`,
          'import { star, validateLab } from "netkit";\n' +
            'const lab = validateLab(star({ prefix: "s-", count: 3 }));\n' +
            "console.log(Object.keys(lab.nodes).join(' '), import.meta.resolve('netkit'));\n",
        );
        const script = await exec([netkit, "run", `${tmp}/script.ts`], tmp);
        assertEquals(script.code, 0, script.stderr);
        assertEquals(
          script.stdout.trim(),
          `s-h1 s-h2 s-h3 file://${prefix}/lib/netkit/netkit.js`,
        );
      }

      // Completions and the man page come from the command definitions.
      const bash = await Deno.readTextFile(`${prefix}/share/bash-completion/completions/netkit`);
      assertEquals(
        (await exec(["bash", "-n", `${prefix}/share/bash-completion/completions/netkit`])).code,
        0,
      );
      assertMatch(bash, /complete -F _netkit netkit/);
      assertMatch(
        await Deno.readTextFile(`${prefix}/share/zsh/site-functions/_netkit`),
        /^#compdef netkit/,
      );
      const man = await Deno.readTextFile(`${prefix}/share/man/man1/netkit.1`);
      assertMatch(man, /^\.TH NETKIT 1 /);
      for (const c of NETKIT.commands) {
        assert(
          man.includes(`.SS "netkit ${c.name.replaceAll("-", "\\-")} `),
          `man page lacks ${c.name}`,
        );
      }
      const rendered = await exec(["man", "-l", `${prefix}/share/man/man1/netkit.1`]);
      if (rendered.code === 0) assertMatch(rendered.stdout, /netkit validate/);

      const removed = await exec([
        "make",
        "-C",
        REPO,
        "--no-print-directory",
        "uninstall",
        `PREFIX=${prefix}`,
      ]);
      assertEquals(removed.code, 0, removed.stderr);
      assertEquals(tree(prefix), [], "make uninstall left files behind");
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
);

Deno.test("make install DESTDIR=...: files under DESTDIR, naming PREFIX", opts, async () => {
  const tmp = await Deno.makeTempDir({ prefix: "netkit-destdir-" });
  try {
    const args = [
      "make",
      "-C",
      REPO,
      "--no-print-directory",
      `DESTDIR=${tmp}`,
      "PREFIX=/opt/netkit",
      "LAUNCHER=1",
    ];
    const installed = await exec([...args, "install"]);
    assertEquals(installed.code, 0, installed.stdout + installed.stderr);
    assertEquals(tree(tmp).filter((f) => !f.startsWith("opt/netkit/")), ["opt/"]);
    const root = `${tmp}/opt/netkit`;
    const files = tree(root).filter((f) => !f.endsWith("/"));
    for (const f of ["bin/netkit", ...SHARED, ...DOCS]) {
      assert(files.includes(f), `no ${f}: ${files}`);
    }
    if (files.includes("lib/netkit/netkit.js")) {
      const launcher = await Deno.readTextFile(`${root}/bin/netkit`);
      assertMatch(launcher, /'\/opt\/netkit\/lib\/netkit\/netkit-cli\/main\.js'/);
      assert(!launcher.includes(tmp), "the launcher names DESTDIR");
      // The only Deno it names is the staged one: the tree works copied to a machine without one.
      assertEquals(
        [...launcher.matchAll(/'([^']*deno)'/g)].map((m) => m[1]),
        ["/opt/netkit/lib/netkit/deno"],
      );
      assert(files.includes("lib/netkit/deno"), `no Deno in the staged tree: ${files}`);
    }
    const removed = await exec([...args, "uninstall"]);
    assertEquals(removed.code, 0, removed.stderr);
    assertEquals(tree(tmp), ["opt/", "opt/netkit/"], "make uninstall left files behind");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test(
  "after make compile, make install installs the one file, which runs netkit run too",
  opts,
  async () => {
    const compiled = await exec(["make", "-C", REPO, "-s", "--no-print-directory", "compile"]);
    assertEquals(compiled.code, 0, compiled.stdout + compiled.stderr);
    const tmp = await Deno.makeTempDir({ prefix: "netkit-install-onefile-" });
    try {
      const args = ["make", "-C", REPO, "--no-print-directory", `DESTDIR=${tmp}`, "PREFIX=/opt/nk"];
      const installed = await exec([...args, "install"]);
      assertEquals(installed.code, 0, installed.stdout + installed.stderr);
      const root = `${tmp}/opt/nk`;
      const files = tree(root).filter((f) => !f.endsWith("/"));
      assertEquals(files.filter((f) => !f.startsWith(DOC)), ["bin/netkit", ...SHARED].sort());
      for (const f of DOCS) assert(files.includes(f), `no ${f}: ${files}`);
      // The installed netkit is the very file a lab VM gets.
      const vmFile = await Deno.readFile(
        `${REPO}/dist/netkit-${Deno.build.arch}-unknown-linux-gnu`,
      );
      assertEquals(await Deno.readFile(`${root}/bin/netkit`), vmFile);

      const cache = `${tmp}/cache`;
      const env = { NO_COLOR: "1", NETKIT_CACHE_DIR: cache, PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };
      const version = await run([`${root}/bin/netkit`, "--version"], { cwd: tmp, env });
      assertEquals(version.code, 0, version.stderr);
      assertEquals(version.stdout.trim(), denoJson.version);
      await Deno.writeTextFile(
        `${tmp}/script.ts`,
        'import { star, validateLab } from "netkit";\n' +
          'const lab = validateLab(star({ prefix: "s-", count: 3 }));\n' +
          "console.log(Object.keys(lab.nodes).join(' '), import.meta.resolve('netkit'));\n",
      );
      const script = await run([`${root}/bin/netkit`, "run", `${tmp}/script.ts`], {
        cwd: tmp,
        env,
      });
      assertEquals(script.code, 0, script.stderr);
      assertMatch(
        script.stdout.trim(),
        new RegExp(`^s-h1 s-h2 s-h3 file://${cache}/[0-9a-f]{64}/netkit\\.js$`),
      );

      const removed = await exec([...args, "uninstall"]);
      assertEquals(removed.code, 0, removed.stderr);
      assertEquals(tree(tmp).filter((f) => !f.startsWith("cache/")), [
        "opt/",
        "opt/nk/",
        "script.ts",
      ]);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
);
