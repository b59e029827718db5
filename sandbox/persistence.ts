// The --state file: loaded at start if present, written after every change. Writes go to a
// temporary file beside it (`<file>.<pid>.<random>.tmp`, a name no other write uses) that is then
// renamed over the target, so a crash never leaves half a file. A write that fails removes its
// temporary file; one cut short by a kill (SIGKILL, power loss) leaves it, and the next start
// removes every temporary file of that state file whose process is gone (or, should its pid
// have been reused since, that is older than a write can take).
// A file that exists but cannot be read or parsed stops the start: silently starting over
// would throw away the roles and keys it holds.

import { randomBytes } from "crypto";
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "fs";
import { basename, dirname, join } from "path";

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
  const temp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    writeFileSync(temp, JSON.stringify(state), { mode: 0o600 });
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}

function olderThan(file: string, ms: number): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > ms;
  } catch {
    return false;
  }
}

function processIsAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, under another user.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A write lives for milliseconds: a temporary file this old was left by a process that is gone. */
const STALE_AFTER_MS = 60_000;

/**
 * Removes the temporary files a killed sandbox left beside `path` (`<file>.<pid>[.<random>].tmp`
 * whose pid is not a running process, or that are older than STALE_AFTER_MS); a running
 * sandbox's write in progress is left alone. Returns what it removed.
 */
export function removeStaleTemps(path: string): string[] {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const m = /^(\d+)(?:\.[0-9a-f]+)?\.tmp$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const file = join(dir, name);
    if (processIsAlive(Number(m[1])) && !olderThan(file, STALE_AFTER_MS)) continue;
    rmSync(file, { force: true });
    removed.push(file);
  }
  return removed;
}
