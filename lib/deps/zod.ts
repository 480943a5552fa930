/**
 * zod, schema validation (lib/lab/schema.ts): its "mini" API, whose schemas carry no methods of
 * their own. Measured in the installed CLI's `up` (bench/RESULTS.md), zod's classic API took
 * 16 ms to load and the lab schema 24 ms to build; with mini, 7 and 10 ms. Import it as a
 * namespace (`import * as z`) so that a bundle keeps only what netkit uses.
 *
 * Mini has no default locale: English messages ("Invalid input: expected number, received
 * string"), which lab-file errors show, are set here once.
 *
 * @module
 */
// This module is where third-party specifiers live (tests/unit/deps_test.ts), imports included.
// deno-lint-ignore no-import-prefix
import { config } from "npm:zod@4.6.7/mini";
// deno-lint-ignore no-import-prefix
import en from "npm:zod@4.6.7/v4/locales/en.js";

config(en());

export * from "npm:zod@4.6.7/mini";
