// What a stack holds, read offline: its tenant and integrations from Pulumi.<stack>.yaml (plain
// values only, never a `secure:` one), and its API keys from the state (`pulumi stack export`
// without --show-secrets: no passphrase, no decryption, no request to the tenant).
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { declaredOf, DeclaredIntegration, readStackState, StateResource } from "./stackConnection";

/** One API key the stack's state holds (an ApiKey resource's outputs; the secret half is never read). */
export interface StateKey {
  /** The member the key authenticates as. */
  member: string;
  /** "token": minted through the API, expires, rotated by `up`; "console": made by the operator, adopted. */
  source: string;
  /** ISO 8601; "" for a console key (no expiry). */
  expiration: string;
  /** How long before its expiration `up` replaces a token ("7d"). */
  rotateBefore: string;
  /** The resource's name in the stack ("elements-key"). */
  resource: string;
}

export interface StackInventory {
  stack: string;
  /** connectwise:site and connectwise:companyId as the stack file has them (undefined: from the environment). */
  site?: string;
  companyId?: string;
  integrations: DeclaredIntegration[];
  /** The state's keys; undefined when the stack has no state yet (never `up`-ed) or it cannot be read. */
  keys?: StateKey[];
  /** Why the state could not be read, when it could not. */
  stateError?: string;
}

/** The stack file's plain config: site, company and the declared integrations. */
export function readStackFile(
  projectDir: string,
  projectName: string,
  stack: string,
): Pick<StackInventory, "site" | "companyId" | "integrations"> {
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  const parsed = YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  const config = parsed?.config ?? {};
  const plain = (key: string) => {
    const value = config[key];
    return typeof value === "string" ? value : undefined;
  };
  return {
    site: plain("connectwise:site"),
    companyId: plain("connectwise:companyId"),
    // A list in the file, or the JSON text `pulumi config set` writes (as the demo does).
    integrations: declaredOf(
      typeof config[`${projectName}:integrations`] === "string"
        ? { value: config[`${projectName}:integrations`] }
        : { objectValue: config[`${projectName}:integrations`] },
    ),
  };
}

/** The ApiKey resources of a state, as keys. */
export function keysOf(resources: StateResource[]): StateKey[] {
  return resources
    .filter((r) => r.type.endsWith(":ApiKey"))
    .map((r) => {
      const o = r.outputs ?? {};
      const text = (v: unknown) => (typeof v === "string" ? v : "");
      return {
        member: text(o.memberIdentifier) || text(o.member),
        source: text(o.source) || "token",
        expiration: text(o.expiration),
        rotateBefore: text(o.rotateBefore),
        resource: r.urn.split("::").pop() ?? r.urn,
      };
    });
}

/** The stack's inventory: the stack file, and the keys of its state when it has one. */
export async function stackInventory(
  stack: string,
  io: { cwd: string; env: NodeJS.ProcessEnv },
  projectDir: string,
  projectName: string,
): Promise<StackInventory> {
  const inventory: StackInventory = { stack, ...readStackFile(projectDir, projectName, stack) };
  try {
    const resources = await readStackState(stack, { cwd: projectDir, env: io.env });
    if (resources.length > 0) inventory.keys = keysOf(resources);
  } catch (error) {
    const text = (error as Error).message;
    // A stack only in its file (new in this change) has no state yet: that is not an error.
    if (!/no stack named|not found/i.test(text)) inventory.stateError = text;
  }
  return inventory;
}

/** "2027-01-05", or "no expiry" for a console key. */
export function expiryOf(key: StateKey): string {
  return key.expiration ? key.expiration.slice(0, 10) : "no expiry";
}

/** Whether a token expires within `days` of `now` (or has expired). */
export function expiresWithinDays(key: StateKey, days: number, now = Date.now()): boolean {
  if (!key.expiration) return false;
  return Date.parse(key.expiration) - now <= days * 86_400_000;
}
