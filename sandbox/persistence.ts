// The --state file: loaded at start if present, written after every change. Writes go to a
// temporary file that is then renamed over the target, so a crash never leaves half a file.

import { existsSync, readFileSync, renameSync, writeFileSync } from "fs";

/** The parsed file, or undefined when there is none. */
export function loadState(path: string): unknown {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, "utf8"));
}

export function saveState(path: string, state: unknown): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state), { mode: 0o600 });
  renameSync(temp, path);
}
