/**
 * `netkit ui [LAB] [--port N] [--no-open] [--control]`: a live picture of the labs that are up, in
 * the browser (lib/ui/server.ts says who may ask what). The first line printed is the URL with
 * its token; then it serves until Ctrl-C (SIGINT) or SIGTERM, stops its captures, answers what is
 * in flight and exits, leaving no process behind.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Host } from "../host.ts";
import { checkLabName } from "../names.ts";
import { out } from "./output.ts";

/** Flags of `ui`. */
interface UiFlags {
  port?: string;
  /** `--no-open`. */
  open?: false;
  control?: true;
}

/** The `--port` value: 1 to 65535 (0 or none: a free port). */
function portOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new UsageError(`Invalid port ${JSON.stringify(text)}: a number from 1 to 65535`, {
      where: "--port",
    });
  }
  return Number(text) || undefined;
}

/** Opens `url` in the user's browser when the host has `xdg-open`; quietly nothing otherwise. */
function openBrowser(host: Host, url: string): void {
  try {
    host.runner.spawn(["xdg-open", url], {
      stdout: "null",
      stderr: "null",
      detached: true,
    }).status.catch(() => {});
  } catch {
    // No xdg-open: the printed URL is the way in.
  }
}

/** Runs `ui`. */
export async function uiCommand(
  host: Host,
  lab: string | undefined,
  flags: UiFlags,
): Promise<void> {
  if (lab !== undefined) checkLabName(lab);
  const port = portOf(flags.port);
  const { startUi } = await import("../ui/server.ts");
  const stop = new AbortController();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const onSignal = () => stop.abort();
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    let ui;
    try {
      ui = await startUi({
        host,
        signal: stop.signal,
        ...(lab !== undefined ? { lab } : {}),
        ...(port !== undefined ? { port } : {}),
        ...(flags.control ? { control: true } : {}),
      });
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse) {
        throw new UsageError(`Port ${port} is in use`, { where: "--port" });
      }
      throw error;
    }
    out(`${ui.url}\n`);
    out(
      `netkit ui: ${lab === undefined ? "the labs that are up" : `lab ${lab}`}, ${
        flags.control ? "with control (the page may change labs)" : "read-only"
      }; Ctrl-C stops it\n`,
    );
    if (flags.open !== false) openBrowser(host, ui.url);
    await ui.finished;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
}
