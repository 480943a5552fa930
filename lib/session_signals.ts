/**
 * What a script's labs do when the script gets SIGINT (Ctrl-C) or SIGTERM: a lab the script
 * holds with `await using` is removed (after the step being added settles), one it does not hold
 * stays up, and the script says on standard error how to remove it; then the script exits 130 or
 * 143, as a shell reports a process ended by that signal. A second signal while labs are being
 * removed ends the script at once (the listeners are gone by then).
 *
 * This is the one place in lib/ that prints: the script's own output is the only place a user
 * sees what became of the lab. The listeners exist only while a lab is open, so a script without
 * one keeps Deno's own handling.
 *
 * @module
 */

/** What {@link watchSignals} needs of a lab (lib/session.ts: `LabSession`). */
interface WatchedLab {
  readonly name: string;
  /** Whether the script holds it with `await using`. */
  readonly held: boolean;
  /** Removes it. */
  down(): Promise<unknown>;
}

const SIGNALS = [["SIGINT", 130], ["SIGTERM", 143]] as const;
const open = new Set<WatchedLab>();
let listeners: [Deno.Signal, () => void][] = [];

function install(): void {
  listeners = SIGNALS.map(([signal, code]) => [signal, () => void onSignal(signal, code)]);
  for (const [signal, fn] of listeners) Deno.addSignalListener(signal, fn);
}

function uninstall(): void {
  for (const [signal, fn] of listeners) Deno.removeSignalListener(signal, fn);
  listeners = [];
}

async function onSignal(signal: Deno.Signal, code: number): Promise<void> {
  uninstall();
  let failed = false;
  for (const lab of [...open]) {
    if (!lab.held) {
      console.error(
        `netkit: ${signal}: lab "${lab.name}" stays up; remove it with: netkit down ${lab.name}`,
      );
      continue;
    }
    console.error(`netkit: ${signal}: removing lab "${lab.name}"`);
    try {
      await lab.down();
    } catch (error) {
      failed = true;
      console.error(
        `netkit: error: could not remove lab "${lab.name}": ${(error as Error).message}`,
      );
    }
  }
  Deno.exit(failed ? 1 : code);
}

/** Watches for SIGINT and SIGTERM while `lab` is open; the function returned stops watching. */
export function watchSignals(lab: WatchedLab): () => void {
  open.add(lab);
  if (listeners.length === 0) install();
  return () => {
    open.delete(lab);
    if (open.size === 0) uninstall();
  };
}
