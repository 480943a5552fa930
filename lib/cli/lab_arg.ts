/**
 * The one way a command-line argument and its flags become a validated lab: a recipe name
 * (with `--prefix`, `--uplink` and `--ipv6`) or a lab file (with `--prefix`, lib/lab/prefix.ts,
 * and `--uplink`), then `--sandbox`. Used by `recipe`, `up`,
 * `export`, `graph` and rootless mode's pre-check, so they all read the same flags the same way.
 * The commands that only read a lab (`graph`, `export`) may also name a lab that is up; which
 * of the three an argument means is decided once, in {@link labShownFor}.
 *
 * A lab may touch only what it creates (lib/reach.ts). The one exception is a NIC of the host as
 * a bridge's `uplink`, and only when the command line names that same NIC with `--uplink`: the
 * router recipe's uplink, or a lab file's `bridges.NAME.uplink`. A picture (`graph`) builds
 * nothing and needs no opt-in.
 *
 * @module
 */
import { getRecipe, type Recipe, type RecipeOptions, recipes } from "../../recipes/mod.ts";
import { UsageError } from "../errors.ts";
import { type LabSource, readLabSource } from "../lab/file.ts";
import { checkLabName, checkPrefix, isLabFileArg } from "../names.ts";
import type { Lab } from "../lab/schema.ts";
import {
  type LabIssue,
  LabValidationError,
  validateLab,
  type ValidateOptions,
} from "../lab/validate.ts";
import { prefixLab } from "../lab/prefix.ts";
import { UPLINK_PROTOCOLS, type UplinkProtocol, uplinkProtocolUses } from "../uplink_lan.ts";
import { printNotice } from "./output.ts";
import type { Host } from "../host.ts";
import { listLabs, readLabState } from "../lab/runtime.ts";

/** The flags that shape a lab. */
interface LabFlags {
  /** `--prefix P`: the host-visible names of a recipe or a lab file start with P. */
  prefix?: string | undefined;
  /**
   * `--uplink IFACE`: a recipe's real uplink NIC, or the NIC a lab file's `bridges.NAME.uplink`
   * may take (without it, a lab file's uplink is refused).
   */
  uplink?: string | undefined;
  /**
   * `--uplink-allow NAME[,NAME...]`: what a lab file may run on the uplink's LAN, the real
   * network (lib/uplink_lan.ts: dhcp, ra, ospf, bgp, proxy-arp, proxy-ndp). Only with `--uplink`.
   */
  uplinkAllow?: string | undefined;
  /** `--ipv6`: a recipe's dual-stack variant. */
  ipv6?: boolean | undefined;
  /** `--sandbox`: the lab lives inside one namespace of its own (lib/lab/sandbox.ts). */
  sandbox?: boolean | undefined;
  /** `--ignore-images`: a containerlab topology's images become notices (lib/lab/clab.ts). */
  ignoreImages?: boolean | undefined;
  /**
   * `--hosts FILE`: the inventory of the machines that play a multi-host lab's host roles
   * (lib/multihost/inventory.ts); only for a lab file that places its nodes on hosts.
   */
  hosts?: string | undefined;
}

/** What an argument may name: a recipe, a lab file, or either (a file when one exists). */
type LabArgKind = "recipe" | "file" | "recipe or file";

/** The recipe's options from the flags; `--uplink` only where the recipe takes one. */
function recipeOptions(recipe: Recipe, flags: LabFlags): RecipeOptions {
  if (flags.uplink !== undefined && !recipe.uplink) {
    throw new UsageError(`Recipe "${recipe.name}" has no uplink`, {
      hint: `recipes with one: ${
        [...recipes.values()].filter((r) => r.uplink).map((r) => r.name).join(", ")
      }`,
    });
  }
  if (flags.ipv6 && !recipe.ipv6) {
    throw new UsageError(`Recipe "${recipe.name}" has no --ipv6 variant`, {
      hint: `recipes with one: ${
        [...recipes.values()].filter((r) => r.ipv6).map((r) => r.name).join(", ")
      }`,
    });
  }
  return {
    ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
    ...(flags.uplink !== undefined ? { uplink: flags.uplink } : {}),
    ...(flags.ipv6 ? { ipv6: true } : {}),
  };
}

/**
 * `--uplink-allow`'s names, each one of {@link UPLINK_PROTOCOLS}; only with `--uplink`.
 *
 * @throws {UsageError} An unknown name, or `--uplink-allow` without `--uplink`.
 */
export function uplinkAllowOf(flags: LabFlags): UplinkProtocol[] {
  if (flags.uplinkAllow === undefined) return [];
  if (flags.uplink === undefined) {
    throw new UsageError(
      "--uplink-allow applies with --uplink: it names what may run on that " +
        "uplink's LAN",
      { where: "--uplink-allow" },
    );
  }
  return flags.uplinkAllow.split(",").map((word) => {
    const name = word.trim();
    if (!(UPLINK_PROTOCOLS as readonly string[]).includes(name)) {
      throw new UsageError(
        `--uplink-allow: unknown name ${JSON.stringify(name)} (known: ${
          UPLINK_PROTOCOLS.join(", ")
        })`,
        { where: "--uplink-allow" },
      );
    }
    return name as UplinkProtocol;
  });
}

/**
 * An `--uplink-allow` name that nothing in the lab needs is a mistake, like an `--uplink` that
 * no bridge takes: said at once, rather than allowed for nothing.
 */
function requireAllowUsed(lab: Lab, allow: readonly UplinkProtocol[], arg: string): void {
  const used = new Set(uplinkProtocolUses(lab).flatMap((u) => u.protocols));
  const unused = allow.filter((name) => !used.has(name));
  if (unused.length === 0) return;
  throw new UsageError(
    `--uplink-allow ${unused.join(",")}: nothing in ${arg} runs that on the uplink's LAN`,
    {
      where: "--uplink-allow",
      hint:
        "--uplink-allow names what a lab file may run on the uplink's LAN (the real network); " +
        "leave out the names it does not need",
    },
  );
}

/** Marks `lab` sandboxed when `sandbox` is set. */
function withSandbox<T extends object>(lab: T, sandbox: boolean | undefined): T {
  return sandbox ? { ...lab, sandbox: true } : lab;
}

/**
 * A multi-host lab (one with `hosts:`) is built only from the machines the command line's
 * `--hosts FILE` names, and never sandboxed; `--hosts` with a lab that places nothing on hosts
 * is a mistake. A picture needs no machines.
 */
function requireHostsFlag(lab: Lab, flags: LabFlags, use: LabUse): void {
  if (lab.hosts === undefined) {
    if (flags.hosts !== undefined) {
      throw new UsageError(`--hosts was given, but lab "${lab.name}" places nothing on hosts`, {
        where: "--hosts",
        hint: 'a multi-host lab lists its host roles under "hosts" and puts "host: ROLE" on nodes',
      });
    }
    return;
  }
  if (flags.sandbox) {
    throw new UsageError(`Lab "${lab.name}" places its nodes on hosts: it cannot be sandboxed`, {
      where: "--sandbox",
    });
  }
  if (use === "build" && flags.hosts === undefined) {
    const roles = Object.keys(lab.hosts);
    throw new UsageError(
      `Lab "${lab.name}" places its nodes on hosts ${roles.join(", ")}: say which machines ` +
        "play them with netkit up FILE --hosts INVENTORY",
      {
        hint: "a lab file only names host roles; the machines, and whether netkit may log in to " +
          "them, come from your own inventory (see netkit up --help)",
      },
    );
  }
}

/**
 * The lab of `source` with `prefix` before its host-visible names (lib/lab/prefix.ts), validated
 * again; every problem (a name the prefix makes too long) points into the file.
 */
function withPrefix(source: LabSource, prefix: string, options: ValidateOptions): LabSource {
  const renamed = prefixLab(source.lab, checkPrefix(prefix));
  const errorAt = (issues: LabIssue[]) =>
    source.errorAt(issues.map((i) => ({ ...i, path: renamed.origin(i.path) })));
  if (renamed.problems.length) throw source.errorAt(renamed.problems);
  try {
    return { ...source, lab: validateLab(renamed.lab, `file ${source.file}`, options), errorAt };
  } catch (error) {
    if (error instanceof LabValidationError) throw errorAt(error.issues);
    throw error;
  }
}

/** What a command does with the lab: builds it (or writes a script that does), or draws it. */
type LabUse = "build" | "picture";

/** A lab made from an argument, and, for a lab file, the way back into the file. */
interface LabFromArg {
  lab: Lab;
  /** The lab file it came from (to point at the line of a problem found later). */
  source?: LabSource;
}

/**
 * The lab that `arg` and `flags` describe, validated, with its lab file when it comes from one.
 *
 * @throws {UsageError} An unknown recipe, a bad lab file, or a flag that does not apply.
 */
export async function labSourceFromArg(
  arg: string,
  flags: LabFlags,
  kind: LabArgKind,
  use: LabUse = "build",
): Promise<LabFromArg> {
  const file = kind === "file" || (kind === "recipe or file" && await isLabFileArg(arg));
  const uplinks = flags.uplink === undefined ? [] : [flags.uplink];
  const uplinkAllow = uplinkAllowOf(flags);
  if (file) {
    if (flags.ipv6) {
      throw new UsageError("--ipv6 applies to recipes, not to lab files", {
        hint: "edit the file, or start from a recipe: netkit recipe export NAME --ipv6",
      });
    }
    const options = {
      uplinks: use === "picture" ? "any" as const : uplinks,
      uplinkAllow: use === "picture" ? "any" as const : uplinkAllow,
      ...(flags.ignoreImages ? { ignoreImages: true } : {}),
    };
    const read = await readLabSource(arg, { ...options, onNotice: printNotice });
    const source = flags.prefix === undefined ? read : withPrefix(read, flags.prefix, options);
    const used = Object.values(source.lab.bridges).some((b) => b.uplink === flags.uplink);
    if (flags.uplink !== undefined && !used) {
      throw new UsageError(
        `--uplink ${flags.uplink}: no bridge of ${arg} has uplink: ${flags.uplink}`,
        {
          hint: "--uplink NIC allows a lab file's bridges.NAME.uplink: NIC; leave it out otherwise",
        },
      );
    }
    requireAllowUsed(source.lab, uplinkAllow, arg);
    requireHostsFlag(source.lab, flags, use);
    return { lab: withSandbox(source.lab, flags.sandbox), source };
  }
  if (flags.hosts !== undefined) {
    throw new UsageError("--hosts applies to lab files that place nodes on hosts, not to recipes");
  }
  const recipe = getRecipe(arg);
  const lab = validateLab(
    withSandbox(recipe.build(recipeOptions(recipe, flags)), flags.sandbox),
    `recipe ${recipe.name}`,
    { uplinks, uplinkAllow },
  );
  return { lab };
}

/**
 * The lab that `arg` and `flags` describe, validated (see {@link labSourceFromArg}).
 *
 * @throws {UsageError} An unknown recipe, a bad lab file, or a flag that does not apply.
 */
export async function labFromArg(
  arg: string,
  flags: LabFlags,
  kind: LabArgKind,
  use: LabUse = "build",
): Promise<Lab> {
  return (await labSourceFromArg(arg, flags, kind, use)).lab;
}

/** The flags that shape a recipe or a lab file; a lab that is up is shown as it is. */
const SHAPING_FLAGS = [
  "prefix",
  "uplink",
  "uplinkAllow",
  "ipv6",
  "sandbox",
  "ignoreImages",
  "hosts",
] as const;

/** How a command that reads a lab shows it: `graph` draws it, `export` exports it. */
interface ShownOptions {
  /** What the command does with the lab (a picture accepts any uplink). */
  use: LabUse;
  /** The command's verb for a lab that is up, in the error about a flag: `drawn`, `exported`. */
  verb: string;
}

/**
 * The lab a command that only reads one (`graph`, `export`) shows for `arg`:
 *
 * 1. a lab file, when `arg` names one (see `isLabFileArg`);
 * 2. else the lab called `arg` that is up (a script's lab included), as its state records it;
 * 3. else the recipe called `arg`.
 *
 * A flag that shapes a recipe or a lab file (`--prefix`, `--uplink`, ...) never applies to a lab
 * that is up: with one, a name that is both means the recipe, and a lab that is up and no recipe
 * is refused.
 *
 * @throws {UsageError} A shaping flag with a lab that is up, a name that is none of the three, or
 * what {@link labFromArg} throws.
 */
export async function labShownFor(
  host: Host,
  arg: string,
  flags: LabFlags,
  options: ShownOptions,
): Promise<Lab> {
  if (await isLabFileArg(arg)) return await labFromArg(arg, flags, "file", options.use);
  const up = isLabName(arg) ? await readLabState(host, arg) : undefined;
  const shaping = SHAPING_FLAGS.filter((f) => flags[f] !== undefined && flags[f] !== false);
  if (up && (shaping.length === 0 || !recipes.has(arg))) {
    if (shaping.length) {
      throw new UsageError(
        `--${shaping[0]} shapes a recipe or a lab file: lab "${arg}" is up and ${options.verb} ` +
          "as it is",
      );
    }
    return up.lab;
  }
  if (!up && !recipes.has(arg)) {
    const labs = (await listLabs({ host })).map((s) => s.lab.name);
    throw new UsageError(`No lab named "${arg}" is up, and no recipe has that name`, {
      hint: `labs that are up: ${labs.join(", ") || "none"}; recipes: ${
        [...recipes.keys()].join(", ")
      }; or name a lab file`,
    });
  }
  return await labFromArg(arg, flags, "recipe", options.use);
}

/** Whether `name` may name a lab (see `checkLabName`). */
function isLabName(name: string): boolean {
  try {
    checkLabName(name);
    return true;
  } catch {
    return false;
  }
}
