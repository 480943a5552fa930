/**
 * What `netkit graph NAME` and `netkit export NAME` show (lib/cli/lab_arg.ts: `labShownFor`): a
 * lab file, else the lab of that name that is up, else the recipe; a flag that shapes a recipe
 * never applies to a lab that is up.
 */
import { assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import { UsageError } from "../../mod.ts";
import { labShownFor } from "../../lib/cli/lab_arg.ts";
import { resolveHost } from "../../lib/host.ts";
import { RecordingRunner } from "../../lib/exec/runner.ts";
import { withTempDir } from "../helpers/temp.ts";

/** Records lab `name` as up under the state root `root`, with one node `only-<name>`. */
async function upLab(root: string, name: string): Promise<void> {
  await Deno.mkdir(`${root}/labs/${name}`, { recursive: true });
  const lab = { name, nodes: { [`only-${name}`]: {} }, bridges: {}, links: [], expect: [] };
  await Deno.writeTextFile(
    `${root}/labs/${name}/lab.json`,
    JSON.stringify({ lab, status: "up", createdAt: "2026-01-01T00:00:00Z" }),
  );
}

const nodes = (lab: { nodes: object }) => Object.keys(lab.nodes);
const draw = { use: "picture", verb: "drawn" } as const;
const exported = { use: "build", verb: "exported" } as const;

Deno.test("labShownFor(): a lab that is up wins over the recipe of its name, as graph drew it", async () => {
  await withTempDir("netkit-shown-", async (root) => {
    const host = resolveHost({ stateRoot: root, runner: new RecordingRunner() });
    const recipe = await labShownFor(host, "ovs-veth", {}, exported);
    assertEquals(nodes(recipe), ["ns1", "ns2"], "no lab is up: the recipe");
    await upLab(root, "ovs-veth");
    await upLab(root, "demo");
    for (const how of [draw, exported]) {
      assertEquals(nodes(await labShownFor(host, "ovs-veth", {}, how)), ["only-ovs-veth"]);
      assertEquals(nodes(await labShownFor(host, "demo", {}, how)), ["only-demo"]);
    }
  });
});

Deno.test("labShownFor(): a shaping flag means the recipe, and is refused for a lab that is only up", async () => {
  await withTempDir("netkit-shown-", async (root) => {
    const host = resolveHost({ stateRoot: root, runner: new RecordingRunner() });
    await upLab(root, "ovs-veth");
    await upLab(root, "demo");
    const prefixed = await labShownFor(host, "ovs-veth", { prefix: "t1-" }, draw);
    assertEquals(nodes(prefixed), ["t1-ns1", "t1-ns2"]);
    const prefix = await assertRejects(
      () => labShownFor(host, "demo", { prefix: "t1-" }, exported),
      UsageError,
    );
    assertEquals(
      prefix.message,
      '--prefix shapes a recipe or a lab file: lab "demo" is up and exported as it is',
    );
    const sandbox = await assertRejects(
      () => labShownFor(host, "demo", { sandbox: true }, draw),
      UsageError,
    );
    assertMatch(sandbox.message, /^--sandbox .* lab "demo" is up and drawn as it is$/);
  });
});

Deno.test("labShownFor(): a lab file wins over a lab that is up; an unknown name lists both kinds", async () => {
  await withTempDir("netkit-shown-", async (root) => {
    const host = resolveHost({ stateRoot: root, runner: new RecordingRunner() });
    await upLab(root, "bridge-three");
    const file = new URL("../../examples/labs/bridge-three.yaml", import.meta.url).pathname;
    assertEquals(nodes(await labShownFor(host, file, {}, draw)), ["lb3-a", "lb3-b", "lb3-c"]);
    const error = await assertRejects(() => labShownFor(host, "nothing", {}, exported), UsageError);
    assertEquals(error.message, 'No lab named "nothing" is up, and no recipe has that name');
    assertMatch(error.hint ?? "", /^labs that are up: bridge-three; recipes: ovs-veth, /);
  });
});
