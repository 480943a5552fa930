/**
 * elkjs, the Eclipse Layout Kernel compiled to JavaScript: lays out the lab's picture for
 * `netkit graph --format svg` and `netkit ui` (lib/lab/graph_layout.ts). Chosen over dagre for
 * what a network diagram needs: ports (an edge meets its node at the interface it names, and the
 * interface's label is placed beside it without overlapping), edge labels placed by the layout,
 * and nested nodes (a multi-host lab's nodes inside a box per host) with edges across them.
 * Its cost, measured here: about 50 ms to load (1.6 MB of JavaScript) and 170-250 ms for the first
 * layout while its code warms up, so only svg and ui import it, and lazily (graph_layout.ts);
 * every other command starts as before. License: EPL-2.0 (or GPL-3.0-or-later), shipped unchanged.
 *
 * @module
 */
// This module is where third-party specifiers live (tests/unit/deps_test.ts), imports included.
// deno-lint-ignore no-import-prefix
import bundled from "npm:elkjs@0.12.2/lib/elk.bundled.js";
// deno-lint-ignore no-import-prefix
import type { ELK, ELKConstructorArguments } from "npm:elkjs@0.12.2/lib/elk-api.js";

/** The layout engine's constructor (its CommonJS export, typed). */
const Elk = bundled as unknown as new (args?: ELKConstructorArguments) => ELK;
export default Elk;
export type { ElkExtendedEdge, ElkNode, ElkPort } from "npm:elkjs@0.12.2/lib/elk-api.js";
