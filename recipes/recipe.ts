/**
 * What a recipe is: a named function from options to a lab description.
 *
 * @module
 */
import type { LabInput } from "../lib/lab/schema.ts";
import { checkPrefix } from "../lib/names.ts";

/** Options every recipe takes. */
export interface RecipeOptions {
  /** Prepended to every namespace, bridge and root-side interface name, and to the lab name. @default "" */
  prefix?: string;
  /**
   * A real NIC of the host to join the lab's external bridge, its addresses and routes moving
   * to the bridge (and back on `down`). Only recipes with `uplink: true` take it.
   * @default undefined (the upstream is simulated by a namespace)
   */
  uplink?: string;
  /**
   * The dual-stack variant: IPv6 beside IPv4 everywhere. Only recipes with `ipv6: true` take it.
   * @default false
   */
  ipv6?: boolean;
}

/** A ready-made lab that teaches one thing, as a function from options to a lab description. */
export interface Recipe {
  /** The name used on the command line, e.g. `ovs-internal`. */
  name: string;
  /** One line for `recipe list`. */
  description: string;
  /** What it teaches, in a few words (`veth pairs into an OVS bridge`): `recipe list` shows it. */
  teaches: string;
  /** Whether the recipe takes {@link RecipeOptions.uplink}. @default false */
  uplink?: boolean;
  /** Whether the recipe takes {@link RecipeOptions.ipv6}. @default false */
  ipv6?: boolean;
  /** Builds the lab description. */
  build(options?: RecipeOptions): LabInput;
}

/** A function that applies the prefix to a host-visible name. */
export function prefixer(options: RecipeOptions = {}): (name: string) => string {
  const prefix = checkPrefix(options.prefix ?? "");
  return (name) => prefix + name;
}
