/**
 * A validation problem and where it is in the lab document: the words every check speaks, the
 * rules of lib/reach.ts and the validation across the lab (lib/lab/validate.ts) alike. It
 * imports nothing, so the lowest rules can use it without reaching up to the validation.
 *
 * @module
 */

/** A path into the lab document, e.g. `["nodes", "ns1", "interfaces", "eth0"]`. */
export type DocPath = (string | number)[];

/** One validation problem. */
export interface LabIssue {
  /** Where in the document. */
  path: DocPath;
  /** What is wrong. */
  message: string;
  /** The problem is the last path element as a key (an unknown key, a bad name), not its value. */
  key?: boolean;
}
