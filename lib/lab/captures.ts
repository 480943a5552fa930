/**
 * The packet captures of labs (`capture: true`): what a lab records now, and what is kept on the
 * host after `down` (under `$NETKIT_STATE_DIR/captures/<lab>/<node>/<interface>.pcap`) until
 * `clean` removes it.
 *
 * @module
 */
import { join } from "node:path";
import { captureFiles } from "../primitives/capture.ts";
import { captureDir, capturesRoot, labDir } from "../state.ts";
import type { Lab } from "./schema.ts";

/** One capture file. */
export interface CaptureStatus {
  lab: string;
  node: string;
  interface: string;
  /** The pcap file. */
  file: string;
  /** Its size in bytes (0 when tcpdump has not written it yet). */
  bytes: number;
  /** Whether the lab's tcpdump still records into it. */
  running: boolean;
}

async function sizeOf(path: string): Promise<number> {
  return (await Deno.stat(path).catch(() => undefined))?.size ?? 0;
}

/** True when the pid in `pidFile` is a running tcpdump. */
async function tcpdumpRuns(pidFile: string): Promise<boolean> {
  const pid = (await Deno.readTextFile(pidFile).catch(() => "")).trim();
  if (!/^\d+$/.test(pid)) return false;
  const comm = await Deno.readTextFile(`/proc/${pid}/comm`).catch(() => "");
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
  return comm.trim() === "tcpdump" && !/\) Z /.test(stat);
}

/** The captures lab `lab` (up) records, from its description; `root` is the state root. */
export async function labCaptures(root: string, lab: Lab): Promise<CaptureStatus[]> {
  const options = { dir: captureDir(root, lab.name), stateDir: labDir(root, lab.name) };
  const out: CaptureStatus[] = [];
  for (const [node, n] of Object.entries(lab.nodes)) {
    for (const [ifname, iface] of Object.entries(n.interfaces)) {
      if (!iface.capture) continue;
      const files = captureFiles(options, node, ifname);
      out.push({
        lab: lab.name,
        node,
        interface: ifname,
        file: files.pcap,
        bytes: await sizeOf(files.pcap),
        running: await tcpdumpRuns(files.pid),
      });
    }
  }
  return out;
}

/**
 * Every capture file kept under the state root `root` (`captures/<lab>/<node>/<iface>.pcap`),
 * sorted.
 */
export async function keptCaptures(root: string): Promise<CaptureStatus[]> {
  const out: CaptureStatus[] = [];
  const list = async (dir: string) => {
    const names: string[] = [];
    try {
      for await (const e of Deno.readDir(dir)) if (e.isDirectory || e.isFile) names.push(e.name);
    } catch {
      // absent: nothing kept
    }
    return names.sort();
  };
  for (const lab of await list(capturesRoot(root))) {
    for (const node of await list(join(capturesRoot(root), lab))) {
      for (const file of await list(join(capturesRoot(root), lab, node))) {
        if (!file.endsWith(".pcap")) continue;
        const path = join(capturesRoot(root), lab, node, file);
        out.push({
          lab,
          node,
          interface: file.slice(0, -".pcap".length),
          file: path,
          bytes: await sizeOf(path),
          running: false,
        });
      }
    }
  }
  return out;
}

/** Removes every kept capture under the state root `root` (`clean`); returns how many. */
export async function removeCaptures(root: string): Promise<number> {
  const kept = await keptCaptures(root);
  await Deno.remove(capturesRoot(root), { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  return kept.length;
}
