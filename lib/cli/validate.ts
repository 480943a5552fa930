/**
 * `netkit validate FILE...`: checks lab files (and containerlab topologies) the way `up` does
 * before it changes anything, and nothing more: no root, nothing on the host is read or touched
 * beyond the files themselves. Every problem is printed as `FILE:LINE:COL: message` on standard
 * error; the exit code is 0 when every file is valid, 2 otherwise. For CI and pre-commit hooks.
 *
 * @module
 */
import { ExitCode } from "../errors.ts";
import { type LabFileProblem, loadLabFile } from "../lab/file.ts";
import { UsageError } from "../errors.ts";
import { err, out, outJson } from "./output.ts";
import { green, red } from "./color.ts";

/** Flags of `validate`. */
interface ValidateFlags {
  ignoreImages?: true;
  json?: true;
  quiet?: true;
}

/** What `validate --json` prints for one file. */
export interface FileVerdict {
  file: string;
  ok: boolean;
  lab?: string;
  problems: LabFileProblem[];
  notices: LabFileProblem[];
}

const where = (p: LabFileProblem) => `${p.file}:${p.line}:${p.column}`;

/** Checks one file; never throws for a bad file. */
async function verdict(file: string, flags: ValidateFlags): Promise<FileVerdict> {
  const notices: LabFileProblem[] = [];
  try {
    const lab = await loadLabFile(file, {
      ...(flags.ignoreImages ? { ignoreImages: true } : {}),
      onNotice: (n) => notices.push(n),
    });
    return { file, ok: true, lab: lab.name, problems: [], notices };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const problems = "problems" in error
      ? (error as { problems: LabFileProblem[] }).problems
      : [{ file, line: 1, column: 1, message: error.message }];
    return { file, ok: false, problems, notices };
  }
}

/** Runs `validate FILE...`: exit 0 when all are valid, 2 when one is not. */
export async function validateCommand(files: string[], flags: ValidateFlags): Promise<void> {
  const verdicts: FileVerdict[] = [];
  for (const file of files) verdicts.push(await verdict(file, flags));
  if (flags.json) outJson(verdicts);
  else {
    for (const v of verdicts) {
      for (const n of v.notices) err(`${where(n)}: notice: ${n.message}\n`);
      for (const p of v.problems) err(`${where(p)}: ${p.message}\n`);
      if (!flags.quiet) {
        out(
          v.ok
            ? `${green("valid")}   ${v.file} (lab ${v.lab})\n`
            : `${red("invalid")} ${v.file} (${v.problems.length} problem${
              v.problems.length === 1 ? "" : "s"
            })\n`,
        );
      }
    }
  }
  if (verdicts.some((v) => !v.ok)) throw new ExitCode(2);
}
