/**
 * Output that fits: tables wrap to the terminal's width (and print in full without one), `status`
 * says how long a lab is up, and the console splits and completes words as a person expects.
 */
import { assert, assertEquals, assertMatch, assertThrows } from "../helpers/assert.ts";
import { fitWidths, table, wrapText } from "../../lib/cli/render.ts";
import { upFor } from "../../lib/cli/text.ts";
import { splitWords } from "../../lib/cli/console.ts";

Deno.env.set("NO_COLOR", "1");

const widest = (text: string) => Math.max(...text.split("\n").map((l) => [...l].length));

Deno.test("table() wraps the widest cells so that no line is wider than the width", () => {
  const long = "two namespaces on OVS bridge br1 through veth pairs; ns1 pings ns2 ".repeat(3);
  for (const width of [40, 60, 80, 120]) {
    const t = table(["recipe", "what it builds and proves", "from"], { width });
    t.push(["ovs-veth", long, "seed 000, section 1"]);
    t.push(["a-very-long-name-without-any-space-in-it-at-all", "short", "x"]);
    const text = t.toString();
    assert(widest(text) <= width, `${width}:\n${text}`);
    // Nothing is lost: every word of the long cell is still there.
    for (const word of ["namespaces", "through", "pings"]) assert(text.includes(word), text);
  }
});

Deno.test("table() without a width prints every cell in full, on one line", () => {
  const t = table(["a", "b"], { width: undefined });
  t.push(["x".repeat(150), "y"]);
  assert(t.toString().includes("x".repeat(150)));
});

Deno.test("fitWidths() keeps narrow columns and shares the rest by width", () => {
  assertEquals(fitWidths([["ab", "cd"]], 80), undefined);
  const widths = fitWidths([["id", "x".repeat(100), "y".repeat(50)]], 80)!;
  assertEquals(widths[0], 2);
  assert(widths[1]! > widths[2]!, `${widths}`);
  assert(widths.reduce((a, b) => a + b, 0) + 3 * 3 + 1 <= 80, `${widths}`);
});

Deno.test("wrapText() breaks at spaces, and cuts a word longer than the width", () => {
  assertEquals(wrapText("one two three", 7), "one two\nthree");
  assertEquals(wrapText("abcdefghij", 4), "abcd\nefgh\nij");
  assertEquals(wrapText("fits", 10), "fits");
});

Deno.test("upFor() says how long a lab is up", () => {
  const now = Date.parse("2026-01-01T12:00:00Z");
  const ago = (s: number) => new Date(now - s * 1000).toISOString();
  assertEquals(upFor(ago(40), now), "up 40 s");
  assertEquals(upFor(ago(5 * 60 + 10), now), "up 5 min");
  assertEquals(upFor(ago(2 * 3600 + 5 * 60), now), "up 2 h 5 min");
  assertEquals(upFor(ago(3 * 86400), now), "up 3 days");
});

Deno.test("splitWords() splits a console line as a shell would, and runs no shell syntax", () => {
  assertEquals(splitWords(`rt vtysh -c "show ip route"`), ["rt", "vtysh", "-c", "show ip route"]);
  assertEquals(splitWords(`h1 echo 'a  b' $HOME`), ["h1", "echo", "a  b", "$HOME"]);
  for (const line of ["h1 ls | wc", "h1 ls > out", "h1 true && reboot"]) {
    assertMatch(assertThrows(() => splitWords(line)).message, /shell syntax/, line);
  }
});
