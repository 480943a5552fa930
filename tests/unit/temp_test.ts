/**
 * The tests' temporary directories: removed after the body, also when it throws, and a failing
 * removal never hides the body's own error.
 */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { withTempDir, withTempDirs } from "../helpers/temp.ts";

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("withTempDir() gives a fresh directory and removes it after the body", async () => {
  let seen = "";
  const result = await withTempDir("netkit-temp-", async (dir) => {
    seen = dir;
    assert(/\/netkit-temp-[^/]+$/.test(dir), dir);
    assertEquals([...Deno.readDirSync(dir)], []);
    await Deno.writeTextFile(`${dir}/a`, "a");
    return 42;
  });
  assertEquals(result, 42);
  assertEquals(await exists(seen), false, `${seen} is left`);
});

Deno.test("withTempDir() removes the directory when the body throws, and rethrows", async () => {
  let seen = "";
  const error = await assertRejects(() =>
    withTempDir("netkit-temp-", async (dir) => {
      seen = dir;
      await Deno.writeTextFile(`${dir}/a`, "a");
      throw new Error("the body failed");
    })
  );
  assertEquals(error.message, "the body failed");
  assertEquals(await exists(seen), false, `${seen} is left`);
});

Deno.test("withTempDir(): the body's error wins over a failing removal", async () => {
  const error = await assertRejects(() =>
    withTempDir("netkit-temp-", async (dir) => {
      await Deno.remove(dir); // so that the helper's removal fails
      throw new Error("the body failed");
    })
  );
  assertEquals(error.message, "the body failed");
});

Deno.test("withTempDir(): a failing removal fails a body that succeeded", async () => {
  await assertRejects(
    () => withTempDir("netkit-temp-", (dir) => Deno.remove(dir)),
    Deno.errors.NotFound,
  );
});

Deno.test("withTempDirs() gives one directory per prefix and removes them all", async () => {
  let seen: string[] = [];
  await assertRejects(() =>
    withTempDirs(["netkit-temp-a-", "netkit-temp-b-"], async ([a, b]) => {
      seen = [a, b];
      assert(/\/netkit-temp-a-[^/]+$/.test(a), a);
      assert(/\/netkit-temp-b-[^/]+$/.test(b), b);
      await Deno.remove(a); // the first removal fails; the second still happens
      throw new Error("the body failed");
    })
  );
  assertEquals(seen.length, 2);
  for (const dir of seen) assertEquals(await exists(dir), false, `${dir} is left`);
});
