/**
 * `netkit graph NAME|FILE [--format text|mermaid|dot|svg]`: the lab as a picture. NAME is a lab
 * that is up (a multi-host lab this controller brought up is drawn from its record, a box per
 * host), or a recipe; FILE is a lab file (which one an argument means: `labShownFor`,
 * lib/cli/lab_arg.ts). Changes nothing on the host. `svg` lays the picture out with elkjs,
 * loaded only for it (lib/lab/graph_svg.ts).
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { graphDot, graphMermaid, graphText } from "../lab/graph.ts";
import { type LabGraph, labGraph } from "../lab/graph_model.ts";
import type { Host } from "../host.ts";
import { labShownFor } from "./lab_arg.ts";
import type { Lab } from "../lab/schema.ts";
import { out } from "./output.ts";
import { multihostCommands } from "./multihost_gate.ts";

/** The picture laid out and drawn as SVG (elkjs loads here, for this format only). */
async function svgOf(graph: LabGraph): Promise<string> {
  const [{ layoutGraph }, { graphSvg }] = await Promise.all([
    import("../lab/graph_layout.ts"),
    import("../lab/graph_svg.ts"),
  ]);
  return graphSvg(await layoutGraph(graph));
}

const RENDER = {
  text: graphText,
  mermaid: graphMermaid,
  dot: graphDot,
  svg: (lab: Lab) => svgOf(labGraph(lab)),
} as const;

/** Prints the picture of a lab. */
export async function graphCommand(
  host: Host,
  target: string,
  flags: { format?: string; prefix?: string; ignoreImages?: true },
): Promise<void> {
  const format = flags.format ?? "text";
  if (!(format in RENDER)) {
    throw new UsageError(`Unknown graph format ${JSON.stringify(format)}`, {
      hint: "use text, mermaid, dot or svg",
    });
  }
  const commands = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(target)
    ? await multihostCommands(host, target)
    : undefined;
  // A multi-host lab this controller brought up: drawn from its record (a box per host).
  const multihost = await commands?.graphIfMultihost(host, target);
  if (multihost !== undefined) {
    return out(
      format === "text"
        ? multihost.text
        : format === "svg"
        ? await svgOf(multihost.graph)
        : RENDER[format as "mermaid" | "dot"](multihost.lab),
    );
  }
  // A picture builds nothing: a lab file's uplink is drawn without --uplink.
  const lab = await labShownFor(host, target, flags, { use: "picture", verb: "drawn" });
  out(await RENDER[format as keyof typeof RENDER](lab));
}
