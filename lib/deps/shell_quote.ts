/**
 * shell-quote's parser: the words of a `netkit console` line, split as a shell would (quotes,
 * backslashes), without running a shell (lib/cli/console.ts).
 *
 * @module
 */
// @ts-types="npm:@types/shell-quote@1.7.5"
export { parse } from "npm:shell-quote@1.8.3";
