// The least-privilege guardrails as data: what each policy finds in a stack's resources, without
// @pulumi/policy (policy/index.ts hands these records to the policy pack; the CLI's listing and
// the tests read them as they are).
import { catalogKey, LEVELS, PERMISSION_FIELDS } from "../catalog";
import type { Level, PermissionField } from "../catalog";
import { parseDuration } from "../provider/duration";
import type { IntegrationDefinition } from "../program/definition";
import { broadest } from "../program/resolve";

export type EnforcementLevel = "advisory" | "mandatory" | "disabled";

/** The policies, their default enforcement and what each finds. */
export const POLICIES = {
  "admin-function-outside-table": {
    enforcementLevel: "mandatory" as EnforcementLevel,
    description:
      "A role grants an admin-class function (System/Security, Member Maintenance, Table Setup edit or delete, ...) its integration's published table does not.",
  },
  "role-broader-than-table": {
    enforcementLevel: "advisory" as EnforcementLevel,
    description: "A role grants a level above its integration's published table (every tier and option counted).",
  },
  "shared-member-or-role": {
    enforcementLevel: "mandatory" as EnforcementLevel,
    description: "One API member or one security role is used by two integrations.",
  },
  "key-rotation-margin": {
    enforcementLevel: "advisory" as EnforcementLevel,
    description:
      "A token key is replaced less than minRotateBefore (default 1d) ahead of its expiration, or a console key has been in use longer than maxConsoleKeyAgeDays (default 365).",
  },
  "broad-published-table": {
    enforcementLevel: "advisory" as EnforcementLevel,
    description:
      "A role grants admin-class functions because its integration's own published table does (N-able Passportal; CrushBank's smartclassifier option).",
  },
} as const;

export type PolicyName = keyof typeof POLICIES;
export const POLICY_NAMES = Object.keys(POLICIES) as PolicyName[];

/** Admin-class functions and the fields that make them so (the role, member and setup screens). */
export const ADMIN_CLASS: Record<string, readonly PermissionField[]> = {
  "System/Security": ["add", "edit", "delete"],
  "System/Member Maintenance": ["add", "edit", "delete"],
  "System/Table Setup": ["edit", "delete"],
  "System/My Company": ["add", "edit", "delete"],
  "System/Manage Hosted API": ["add", "edit", "delete"],
  "System/Mass Maintenance": ["add", "edit", "delete"],
};

type Table = Record<string, Partial<Record<PermissionField, Level>>>;

/** One integration of the stack as the guardrails see it (from the resources the program declared). */
export interface GuardedIntegration {
  /** The component's name in the stack. */
  name: string;
  /** Its kind: a shipped preset or a file in integrations/. */
  kind: string;
  /** The kind's definition and whether a vendor published it (shipped) or the user wrote it. */
  definition?: IntegrationDefinition;
  shipped: boolean;
  role?: { name?: string; permissions?: Record<string, unknown>; urn?: string };
  member?: { identifier?: string };
  keys: { source?: string; rotateBefore?: string; verifiedSince?: string }[];
}

export interface Finding {
  policy: PolicyName;
  /** The integration (component name) it is about. */
  integration: string;
  message: string;
  /** The resource it is about, when one is (the role's URN): the engine ties the finding to it. */
  urn?: string;
}

/** A declared permission map in catalog spelling, each level parsed; unknown names left out. */
function levelsOf(permissions: Record<string, unknown> | undefined): Record<string, Record<PermissionField, Level>> {
  const out: Record<string, Record<PermissionField, Level>> = {};
  for (const [raw, value] of Object.entries(permissions ?? {})) {
    const key = catalogKey(raw);
    if (!key || typeof value !== "object" || value === null) continue;
    const levels = value as Record<string, unknown>;
    out[key] = Object.fromEntries(
      PERMISSION_FIELDS.map((f) => [f, (LEVELS as readonly unknown[]).includes(levels[f]) ? levels[f] : "None"]),
    ) as Record<PermissionField, Level>;
  }
  return out;
}

const rank = (level: Level | undefined): number => LEVELS.indexOf(level ?? "None");

/** Grants of `levels` above `table`: "System/Security edit All (table: None)". */
function above(levels: ReturnType<typeof levelsOf>, table: Table, only?: Record<string, readonly PermissionField[]>) {
  const found: string[] = [];
  for (const [key, fields] of Object.entries(levels))
    for (const field of PERMISSION_FIELDS) {
      if (only && !only[key]?.includes(field)) continue;
      const allowed = table[key]?.[field];
      if (rank(fields[field]) > rank(allowed))
        found.push(`${key} ${field} ${fields[field]} (table: ${allowed ?? "None"})`);
    }
  return found;
}

export interface KeyLimits {
  /** A token's least margin before its expiration, e.g. "1d" (default). */
  minRotateBefore?: string;
  /** A console key's longest use, counted from when the stack first verified it (default 365). */
  maxConsoleKeyAgeDays?: number;
  /** The time ages are counted to (default: now). */
  now?: Date;
}

const DAY_MS = 86_400_000;

/** Every finding of every policy on one stack's integrations. */
export function findViolations(integrations: GuardedIntegration[], limits: KeyLimits = {}): Finding[] {
  const minRotateBefore = limits.minRotateBefore ?? "1d";
  const maxAge = limits.maxConsoleKeyAgeDays ?? 365;
  const now = (limits.now ?? new Date()).getTime();
  const findings: Finding[] = [];
  for (const i of integrations) {
    const levels = levelsOf(i.role?.permissions);
    const table: Table = i.definition && i.shipped ? broadest(i.definition).permissions : {};
    const where = i.shipped ? `${i.kind}'s published table` : `no published table (${i.kind} is the user's own file)`;
    const admin = above(levels, table, ADMIN_CLASS);
    if (admin.length > 0)
      findings.push({
        policy: "admin-function-outside-table",
        integration: i.name,
        message: `role "${i.role?.name ?? "?"}" of ${i.name} grants admin-class ${admin.join("; ")}, beyond ${where}`,
        ...(i.role?.urn ? { urn: i.role.urn } : {}),
      });
    if (i.shipped) {
      const broader = above(levels, table);
      if (broader.length > 0)
        findings.push({
          policy: "role-broader-than-table",
          integration: i.name,
          message: `role "${i.role?.name ?? "?"}" of ${i.name} is broader than ${where}: ${broader.join("; ")}`,
          ...(i.role?.urn ? { urn: i.role.urn } : {}),
        });
      // Admin-class levels the role grants because its published table (or a selected option) does.
      const broad = above(levels, {}, ADMIN_CLASS).filter((b) => !admin.includes(b));
      if (broad.length > 0)
        findings.push({
          policy: "broad-published-table",
          integration: i.name,
          ...(i.role?.urn ? { urn: i.role.urn } : {}),
          message: `${i.kind}'s own published table grants admin-class ${broad.map((b) => b.replace(/ \(table: None\)$/, "")).join("; ")}`,
        });
    }
    const margin = parseDuration(minRotateBefore);
    for (const key of i.keys) {
      if (key.source === "console") {
        // A state from before verifiedSince existed: its age is unknown, nothing is claimed.
        const since = key.verifiedSince ? Date.parse(key.verifiedSince) : NaN;
        const days = Math.floor((now - since) / DAY_MS);
        if (!Number.isNaN(since) && days > maxAge)
          findings.push({
            policy: "key-rotation-margin",
            integration: i.name,
            message: `the console key of ${i.name} has been in use since ${key.verifiedSince!.slice(0, 10)} (${days} days), longer than the ${maxAge} days asked: make a new key in the console and give it to the stack`,
          });
        continue;
      }
      const given = parseDuration(key.rotateBefore ?? "7d");
      if (margin !== undefined && given !== undefined && given < margin)
        findings.push({
          policy: "key-rotation-margin",
          integration: i.name,
          message: `the API key of ${i.name} is rotated ${key.rotateBefore} before it expires, less than the ${minRotateBefore} margin asked`,
        });
    }
  }
  for (const [what, of] of [
    ["API member", (i: GuardedIntegration) => i.member?.identifier?.toLowerCase()],
    ["security role", (i: GuardedIntegration) => i.role?.name?.toLowerCase()],
  ] as const) {
    const by = new Map<string, string[]>();
    for (const i of integrations) {
      const id = of(i);
      if (id) by.set(id, [...(by.get(id) ?? []), i.name]);
    }
    for (const [id, names] of by)
      if (names.length > 1)
        findings.push({
          policy: "shared-member-or-role",
          integration: names.join(", "),
          message: `${what} "${id}" is used by ${names.length} integrations (${names.join(", ")}): each needs its own`,
        });
  }
  return findings;
}
