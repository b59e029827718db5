// The create journal: what a create is about to POST, written to a local file BEFORE the POST and
// kept, once answered, for as long as the stack holds the object (a destroy or release drops it). It is the evidence the tenant cannot give:
// a security role has no field to carry a marker and a minted token cannot be listed, so after a
// run died between the POST and the save of the state (provider or CLI killed, power lost), the
// next run on this machine tells "this stack's POST made it" from "another stack or a person made
// it" by its own record, knows that a token may have been minted unseen, and refuses to adopt a
// role another stack on this machine holds.
//
// One JSON file per POST (mode 0600, in a 0700 directory), written whole (a temporary file
// renamed). No credential is written: a token's record keeps the public key's last four
// characters and the fingerprint its resource id carries. The directory is CW_IAC_JOURNAL_DIR,
// else `cw-iac/journal` under $XDG_STATE_HOME (~/.local/state), never in Pulumi's own home:
// a run on another machine (an ephemeral CI runner) does not see it and falls back to refusing,
// unless that directory is kept between runs.

import { createHash, randomUUID } from "crypto";
import { promises as fs, readFileSync, readdirSync, rmSync } from "fs";
import * as os from "os";
import * as path from "path";

/** This provider process: records of another process are of a run that has ended (the stack lock allows one run). */
export const RUN = randomUUID();

export type JournalKind = "SecurityRole" | "ApiKey";

export interface JournalEntry {
  kind: JournalKind;
  /** "companyId at host", as the client names the tenant. */
  tenant: string;
  /** The natural key, lower case: a role's name, a token's member identifier. */
  key: string;
  /** `<project>/<stack>/<resource name>` of the resource that POSTs ("" when the caller gave none). */
  owner: string;
  /** ISO time, just before the POST was sent. */
  at: string;
  /** The provider process (RUN) that wrote it, its pid and host. */
  run: string;
  pid: number;
  host: string;
  /** Once the answer arrived (or the object was found and taken): the role id, the key's resource id. */
  id?: string;
  /** A token's public key, last four characters, once the answer arrived. */
  hint?: string;
}

/** A record and the file that holds it. */
export interface Recorded extends JournalEntry {
  file: string;
}

export function journalDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CW_IAC_JOURNAL_DIR) return env.CW_IAC_JOURNAL_DIR;
  const state = env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state");
  return path.join(state, "cw-iac", "journal");
}

const prefixOf = (kind: JournalKind, tenant: string, key: string): string =>
  createHash("sha256")
    .update(JSON.stringify([kind, tenant, key.toLowerCase()]))
    .digest("hex")
    .slice(0, 24);

async function writeWhole(file: string, entry: JournalEntry): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, JSON.stringify(entry), { mode: 0o600 });
  await fs.rename(temporary, file);
}

/** Writes the record of a POST about to be sent; the POST must not be sent if this fails. */
export async function record(
  entry: Pick<JournalEntry, "kind" | "tenant" | "key" | "owner">,
  dir = journalDir(),
): Promise<Recorded> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const full: JournalEntry = {
    ...entry,
    key: entry.key.toLowerCase(),
    at: new Date().toISOString(),
    run: RUN,
    pid: process.pid,
    host: os.hostname(),
  };
  const file = path.join(dir, `${prefixOf(entry.kind, entry.tenant, entry.key)}-${randomUUID()}.json`);
  await writeWhole(file, full);
  return { ...full, file };
}

/** The POST was answered (or its object taken): the record names the object now. */
export async function settle(recorded: Recorded, found: { id: string; hint?: string }): Promise<Recorded> {
  const { file, ...entry } = recorded;
  const next: JournalEntry = { ...entry, id: found.id, ...(found.hint ? { hint: found.hint } : {}) };
  await writeWhole(file, next);
  return { ...next, file };
}

/** The record is no longer needed (the POST was refused, or the state holds the object). */
export async function drop(recorded: Recorded): Promise<void> {
  await fs.rm(recorded.file, { force: true });
}

/** Every record of this kind, tenant and key (any owner), oldest first. */
export async function recordsOf(
  kind: JournalKind,
  tenant: string,
  key: string,
  dir = journalDir(),
): Promise<Recorded[]> {
  const prefix = `${prefixOf(kind, tenant, key)}-`;
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const found: Recorded[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".json")) continue;
    const file = path.join(dir, name);
    try {
      const entry = JSON.parse(await fs.readFile(file, "utf8")) as JournalEntry;
      if (entry.kind === kind && entry.tenant === tenant && entry.key === key.toLowerCase())
        found.push({ ...entry, file });
    } catch {
      // Removed meanwhile by the run that wrote it: not a record any more.
    }
  }
  return found.sort((a, b) => a.at.localeCompare(b.at));
}

/** How a record names the run that wrote it, for messages. */
export function runOf(entry: JournalEntry): string {
  return `${entry.owner || "a stack without an owner"} (process ${entry.pid} on ${entry.host}, at ${entry.at})`;
}

/** The `<project>/<stack>` part of an owner. */
export function stackOf(owner: string): string {
  const slash = owner.lastIndexOf("/");
  return slash < 0 ? owner : owner.slice(0, slash);
}

/** Records that this resource holds object `id` (the state holds it), unless a record says so already. */
export async function hold(
  entry: Pick<JournalEntry, "kind" | "tenant" | "key" | "owner">,
  id: string,
  dir = journalDir(),
): Promise<void> {
  const records = await recordsOf(entry.kind, entry.tenant, entry.key, dir);
  if (records.some((r) => r.owner === entry.owner && r.id === id)) return;
  await settle(await record(entry, dir), { id });
}

/** This resource holds object `id` no longer (destroyed, released): its records go (synchronous, for release hooks). */
export function release(
  entry: Pick<JournalEntry, "kind" | "tenant" | "key" | "owner">,
  id: string,
  dir = journalDir(),
): void {
  const prefix = `${prefixOf(entry.kind, entry.tenant, entry.key)}-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".json")) continue;
    const file = path.join(dir, name);
    try {
      const found = JSON.parse(readFileSync(file, "utf8")) as JournalEntry;
      if (found.owner === entry.owner && found.id === id) rmSync(file, { force: true });
    } catch {
      // Gone meanwhile.
    }
  }
}
