// The vendor data the spec suites read at test time from ../shared (beside the project; never
// copied in). CW_IAC_SHARED points elsewhere (a git worktree's ../ is not the project's). A file
// that is not there fails the suite that needs it, naming the path and how to provide it: a
// suite that cannot run never passes.
import * as fs from "fs";
import * as path from "path";

/** The folder holding `connectwise/openapi-subset.json` and the other vendor files. */
export const SHARED_DIR = path.resolve(process.env.CW_IAC_SHARED || path.resolve(__dirname, "..", "..", "shared"));

/** The absolute path of `relative` under SHARED_DIR (whether or not it exists). */
export function sharedPath(relative: string): string {
  return path.join(SHARED_DIR, relative);
}

/** Why `file` cannot be read, as a suite's failure says it. */
export function missingSharedMessage(file: string): string {
  return (
    `${file} is missing, so this suite cannot run: put the design data folder ("shared") beside the ` +
    `project as ../shared, or set CW_IAC_SHARED to its path`
  );
}

/** `relative` under SHARED_DIR parsed as JSON; throws missingSharedMessage when it is not there. */
export function readSharedJson<T = unknown>(relative: string): T {
  const file = sharedPath(relative);
  if (!fs.existsSync(file)) throw new Error(missingSharedMessage(file));
  return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}
