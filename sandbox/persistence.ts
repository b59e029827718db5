// The --state file: loaded at start if present, written after every change. Writes go to a
// temporary file that is then renamed over the target, so a crash never leaves half a file.
// A file that exists but cannot be read or parsed stops the start: silently starting over
// would throw away the roles and keys it holds.

import { existsSync, readFileSync, renameSync, writeFileSync } from "fs";

/** The parsed file, or undefined when there is none; throws naming the file and what is wrong. */
export function loadState(path: string): unknown {
  if (!existsSync(path)) return undefined;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`state file ${path} cannot be read: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`state file ${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

export function saveState(path: string, state: unknown): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state), { mode: 0o600 });
  renameSync(temp, path);
}
