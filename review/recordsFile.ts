// How records travel from the provider process to the command that presents them: a file of
// JSON lines, one record a line, named by CW_IAC_RECORDS. The command (npm run checklist, the
// fleet) sets the variable for one stack's operation; the CLI passes its environment to the
// plugins it starts, so whichever dynamic-provider server runs the handlers (ours, or the SDK's
// of a Pulumi installed as released), they append to that stack's file. Unset (plain `pulumi
// preview`), nothing is written and the handlers' lines are all there is.
import * as fs from "fs";
import { isReviewRecord, type ReviewRecord } from "./records";

export const RECORDS_ENV = "CW_IAC_RECORDS";

let warned = false;

/** Appends the records to the file CW_IAC_RECORDS names (nothing when it is unset). */
export function appendRecords(records: ReviewRecord[], env: NodeJS.ProcessEnv = process.env): void {
  const file = env[RECORDS_ENV];
  if (!file || records.length === 0) return;
  try {
    // One write per call, opened for append: lines from concurrent calls never interleave.
    fs.appendFileSync(file, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
  } catch (error) {
    // The command that asked for them says what it lacks; the lines still reach the engine.
    if (!warned) console.error(`connectwise-iac: cannot write review records to ${file}: ${(error as Error).message}`);
    warned = true;
  }
}

/**
 * The records in a file, in the order written; [] when there is no file (nothing was reported).
 * A line cut short (a provider killed mid-write) is skipped; any other line that is not a record
 * is an error, so a command never presents less than the provider reported without saying so.
 */
export function readRecords(file: string): ReviewRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const lines = text.split("\n");
  lines.pop(); // "" when the file ends with a newline, else a line cut short
  return lines
    .filter((line) => line.trim() !== "")
    .map((line, index) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new Error(`${file}:${index + 1}: not a review record (unreadable JSON)`);
      }
      if (!isReviewRecord(value)) throw new Error(`${file}:${index + 1}: not a review record`);
      return value;
    });
}

/** The records once each, in the order first written (diff() runs twice for one resource in `up`). */
export function distinctRecords(records: ReviewRecord[]): ReviewRecord[] {
  const seen = new Set<string>();
  return records.filter((record) => {
    const { urn: _urn, ...rest } = record;
    void _urn;
    const key = JSON.stringify(rest);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
