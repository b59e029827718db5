// `npm run fleet -- ls`: which client has which integrations, offline. Each stack's tenant and
// integrations come from its Pulumi.<stack>.yaml, its keys (source and expiry) from its state
// (`pulumi stack export`, no secret decrypted); no request reaches any tenant and no passphrase is
// needed. One row per integration.
import * as fs from "fs";
import { table } from "../shared/command";
import { expiresWithinDays, expiryOf, StackInventory, stackInventory } from "../shared/stackInventory";

/** A key due within this many days is flagged in the listing ("rotate soon"). */
export const EXPIRY_WARNING_DAYS = 14;

/** The inventory of `stacks`, one CLI run each (`stack export`), a few at a time. */
export async function fleetInventory(
  stacks: string[],
  projectDir: string,
  projectName: string,
  env: NodeJS.ProcessEnv,
): Promise<StackInventory[]> {
  const results: StackInventory[] = [];
  const lanes = 4;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, stacks.length) }, async () => {
      while (next < stacks.length) {
        const i = next++;
        results[i] = await stackInventory(stacks[i], { cwd: projectDir, env }, projectDir, projectName);
      }
    }),
  );
  return results;
}

/** The listing: one row per declared integration, its member, key source and expiry. */
export function inventoryTable(inventories: StackInventory[], now = Date.now()): string {
  const rows: string[][] = [];
  for (const inv of inventories) {
    const tenant =
      inv.companyId && inv.site
        ? `${inv.companyId} at ${inv.site.replace(/^https?:\/\//, "")}`
        : "(from the environment)";
    const entries = inv.integrations.length > 0 ? inv.integrations : [undefined];
    entries.forEach((entry, i) => {
      const key = entry?.identifier ? inv.keys?.find((k) => k.member === entry.identifier) : undefined;
      let source = "-";
      let expires = "-";
      if (inv.stateError) source = "state unreadable";
      else if (!inv.keys) source = "no up yet";
      else if (key) {
        source = key.source === "console" ? "console (adopted)" : "token";
        expires = expiryOf(key);
        if (expiresWithinDays(key, 0, now)) expires += " EXPIRED";
        else if (expiresWithinDays(key, EXPIRY_WARNING_DAYS, now)) expires += " soon";
      } else if (entry) source = "not minted";
      rows.push([
        i === 0 ? inv.stack : "",
        i === 0 ? tenant : "",
        entry ? entry.kind + (entry.name !== entry.kind ? ` (${entry.name})` : "") : "(none declared)",
        entry?.identifier ?? "-",
        source,
        expires,
      ]);
    });
  }
  return table(["stack", "tenant", "integration", "member", "key", "expires"], rows);
}

/** Runs `ls`: prints the table (or writes JSON), exit code 0, or 1 when a state could not be read. */
export async function listFleet(
  stacks: string[],
  options: { projectDir: string; projectName: string; json?: string },
  env: NodeJS.ProcessEnv,
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  const inventories = await fleetInventory(stacks, options.projectDir, options.projectName, env);
  if (options.json) fs.writeFileSync(options.json, `${JSON.stringify({ stacks: inventories }, null, 2)}\n`);
  out(inventoryTable(inventories));
  const unreadable = inventories.filter((inv) => inv.stateError);
  for (const inv of unreadable) err(`${inv.stack}: ${inv.stateError}\n`);
  return unreadable.length > 0 ? 1 : 0;
}
