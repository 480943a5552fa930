/**
 * `netkit --rootless COMMAND` (and any lab command run by a user who is not root, when the
 * kernel allows unprivileged user namespaces): the command runs inside the user's own
 * namespaces (see lib/lab/rootless.ts) and this process only passes its exit code on.
 *
 * @module
 */
import { join } from "node:path";
import type { CliFlags } from "./command_line.ts";
import { ExitCode, UsageError } from "../errors.ts";
import type { Environment, Host } from "../host.ts";
import type { Runner } from "../exec/runner.ts";
import {
  type Rootless,
  rootlessDir,
  rootlessUnavailable,
  runInside,
  runningHolder,
} from "../lab/rootless.ts";
import type { Lab } from "../lab/schema.ts";
import { labFromArg } from "./lab_arg.ts";

const OVS_REASON =
  "ovs-vswitchd cannot run in an unprivileged user namespace (it needs /dev/net/tun or the openvswitch kernel module)";

function refuseOvs(lab: Lab): void {
  throw new UsageError(
    `Lab "${lab.name}" uses Open vSwitch, which needs root: ${OVS_REASON}; nothing was changed`,
    { hint: "run it with sudo (the Linux-bridge labs, such as router, run rootless)" },
  );
}

/** FRR's daemons switch to user frr, which a user namespace mapping only the user cannot do. */
function refuseRouting(lab: Lab): void {
  throw new UsageError(
    `Lab "${lab.name}" runs routing daemons (FRR), which need root: they switch to user "frr", ` +
      "and a rootless lab's user namespace maps only your own user; nothing was changed",
    { hint: "run it with sudo" },
  );
}

/** The command about to run, as the command line gave it. */
interface RootlessCall {
  /** The command's name (`up`, `down`, ...). */
  name: string;
  args: readonly string[];
  flags: CliFlags;
  /** `--rootless` was given. */
  forced: boolean;
}

/**
 * Runs before every command's action in rootless mode. Inside the namespaces it does nothing;
 * outside, it runs the command inside and throws {@link ExitCode} with its exit code, or
 * returns what the command's host context must say when it runs here (a read-only command with
 * no rootless labs looks at an empty state directory).
 */
export async function rootlessPreAction(
  command: RootlessCall,
  env: Environment,
  runner: Runner,
): Promise<Partial<Host>> {
  if (env.rootlessInner) return {};
  const rl: Rootless = { dir: rootlessDir(env), runner };
  const { forced, name, args } = command;
  if (!forced && Deno.uid() === 0) return {};
  const opts = command.flags as {
    dryRun?: boolean;
    sandbox?: boolean;
    prefix?: string;
    uplink?: string;
  };
  let host: Partial<Host> = {};
  let delegate: boolean;
  switch (name) {
    case "recipe":
    case "up": {
      if (name === "recipe" && ["list", "export"].includes(args[0] ?? "")) return {};
      if (opts.dryRun) return {}; // prints commands, changes nothing: no namespaces needed
      const { usesOvs } = await import("../lab/plan.ts");
      const lab = await labFromArg(args[0]!, opts, name === "up" ? "file" : "recipe");
      if (usesOvs(lab)) refuseOvs(lab);
      if (Object.values(lab.nodes).some((n) => n.routing !== undefined)) refuseRouting(lab);
      delegate = true;
      break;
    }
    case "down":
    case "clean":
      delegate = true;
      break;
    case "status":
    case "check":
    case "exec":
    case "graph":
      // Read-only: with no holder running there are no rootless labs (none is started for this).
      delegate = (await runningHolder(rl)) !== undefined;
      if (!delegate && (forced || !(await rootlessUnavailable(rl)))) {
        host = { stateRoot: join(rl.dir, "no-labs") }; // no holder: no rootless labs
      }
      break;
    case "ovs":
      if (!forced) return {};
      throw new UsageError(`netkit ovs needs root: ${OVS_REASON}`, { hint: "run it with sudo" });
    default:
      return {}; // doctor, export, completions: nothing to run inside
  }
  if (!delegate) return host;
  const unavailable = await rootlessUnavailable(rl);
  if (unavailable) {
    if (!forced) return {}; // not root and no user namespaces: the command says it needs root
    throw new UsageError(`--rootless: ${unavailable}; nothing was changed`, {
      hint:
        "run it as root, or allow unprivileged user namespaces (sysctl user.max_user_namespaces)",
    });
  }
  throw new ExitCode(await runInside(rl));
}
