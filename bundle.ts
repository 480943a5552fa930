#!/usr/bin/env -S deno run -A --no-config --no-lock
/**
 * The entry of `make bundle` (dist/netkit.js): run, it is the netkit CLI; imported, it is the
 * library (everything mod.ts exports). One file is both so that `netkit run SCRIPT` can hand a
 * user's script the very library the running netkit holds (see lib/cli/run.ts). main.ts stays the
 * entry for `deno run main.ts` and `make compile`, where loading the library up front would only
 * slow the CLI's start.
 *
 * @module
 */
export * from "./mod.ts";
import { runMain } from "./main.ts";

if (import.meta.main) await runMain();
