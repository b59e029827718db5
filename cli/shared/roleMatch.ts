// Matching a tenant's security roles against the known integrations' permission tables, for
// `npm run discover` and the access audit. A role is compared as the provider compares it when
// adopted with `exclusive` (the default), by the catalog's permission model (catalog/permissions.ts):
// every function the table does not list must be None, a function the catalog lacks included.
import { resolveIntegration } from "../../program/resolve";
import {
  CATALOG_KEYS,
  NO_LEVELS,
  PERMISSION_FIELDS,
  catalogKey,
  compareLevel,
  compareRole,
  grantsAny,
  inCatalog,
} from "../../catalog";
import type { Level, Levels, LiveLevels, PermissionField } from "../../catalog";
import type { IntegrationDefinition } from "../../program/integration";

export type { Levels };
export { liveLevels } from "../../catalog";
export type Verdict = "exact" | "grants more" | "grants less" | "differs";

/** One function whose levels differ: what the role has against what the table asks. */
export interface FunctionDifference {
  key: string;
  have: Levels;
  want: Levels;
  /** The role grants more than the table on some field / less on some field. */
  more: boolean;
  less: boolean;
}

export interface RoleMatch {
  definition: IntegrationDefinition;
  verdict: Verdict;
  differences: FunctionDifference[];
}

/** The table's levels per catalog key (unset levels None). */
function wanted(definition: IntegrationDefinition): Record<string, Levels> {
  const want: Record<string, Levels> = {};
  for (const [key, levels] of Object.entries(definition.permissions)) {
    const known = catalogKey(key);
    if (known) want[known] = { ...NO_LEVELS, ...levels };
  }
  return want;
}

/** The role against one table: every catalog function, and any function the catalog lacks, compared. */
export function compare(live: LiveLevels, table: IntegrationDefinition): RoleMatch {
  // A definition with tiers or options is compared as a stack gets it unselected (its defaults).
  const definition = table.tiers || table.options ? resolveIntegration(table) : table;
  const want = wanted(definition);
  const byKey = new Map<string, FunctionDifference>();
  for (const d of compareRole(live, { permissions: want, exclusive: true })) {
    const entry = byKey.get(d.key) ?? {
      key: d.key,
      have: live.get(d.key) ?? NO_LEVELS,
      want: want[d.key] ?? NO_LEVELS,
      more: false,
      less: false,
    };
    if (d.grant === "more") entry.more = true;
    else entry.less = true;
    byKey.set(d.key, entry);
  }
  const differences = [...byKey.values()];
  const more = differences.some((d) => d.more);
  const less = differences.some((d) => d.less);
  const verdict: Verdict = !more && !less ? "exact" : more && less ? "differs" : more ? "grants more" : "grants less";
  return { definition, verdict, differences };
}

/**
 * Close enough to call it a match: at most a third of the functions involved (the table's and
 * the role's granted ones) differ, and never more than 8. Beyond that the role is something else
 * (an admin role, another tool's) and adopting it under this kind would be a guess.
 */
function isClose(match: RoleMatch, live: LiveLevels): boolean {
  const granted = [...live].filter(([, l]) => grantsAny(l)).map(([k]) => k);
  const declared = Object.keys(match.definition.permissions).map((k) => catalogKey(k)!);
  const involved = new Set([...granted, ...declared]);
  return match.differences.length <= Math.min(8, Math.max(1, Math.floor(involved.size / 3)));
}

const ORDER: Record<Verdict, number> = { exact: 0, "grants more": 1, "grants less": 2, differs: 3 };

/** The best match of a role among the tables (fewest differing functions), or undefined when none is close. */
export function bestMatch(live: LiveLevels, definitions: readonly IntegrationDefinition[]): RoleMatch | undefined {
  const candidates = definitions
    .map((d) => compare(live, d))
    .filter((m) => isClose(m, live))
    .sort((a, b) => a.differences.length - b.differences.length || ORDER[a.verdict] - ORDER[b.verdict]);
  return candidates[0];
}

const SHORT: Record<PermissionField, string> = { add: "a", edit: "e", delete: "d", inquire: "i" };

/** "Finance/Invoicing a:All>None" style: the fields that differ, have > want. */
export function describeDifference(d: FunctionDifference): string {
  const fields = PERMISSION_FIELDS.filter((f) => d.have[f] !== d.want[f]).map(
    (f) => `${SHORT[f]}:${d.have[f]}>${d.want[f]}`,
  );
  return `${d.key} ${fields.join(" ")}`;
}

/** One permission field where a role and a table disagree: the role's level and the table's. */
export interface FieldDifference {
  function: string;
  field: PermissionField;
  have: Level;
  need: Level;
}

/** The differences field by field, split: what the role grants beyond the table, and what it lacks. */
export function fieldDifferences(match: RoleMatch): { beyond: FieldDifference[]; lacks: FieldDifference[] } {
  const beyond: FieldDifference[] = [];
  const lacks: FieldDifference[] = [];
  for (const d of match.differences) {
    for (const field of PERMISSION_FIELDS) {
      const entry = { function: d.key, field, have: d.have[field], need: d.want[field] };
      const grant = compareLevel(d.have[field], d.want[field]);
      if (grant === "more") beyond.push(entry);
      else if (grant === "less") lacks.push(entry);
    }
  }
  return { beyond, lacks };
}

/**
 * What a role grants, per function with any level above None (catalog order, then the functions
 * the catalog lacks): "Finance/Invoicing add All, inquire All".
 */
export function grantedFunctions(live: LiveLevels): string[] {
  const keys = [...CATALOG_KEYS, ...[...live.keys()].filter((key) => !inCatalog(key))];
  return keys.flatMap((key) => {
    const levels = live.get(key);
    const fields = levels ? PERMISSION_FIELDS.filter((f) => levels[f] !== "None") : [];
    return fields.length > 0 ? [`${key} ${fields.map((f) => `${f} ${levels![f]}`).join(", ")}`] : [];
  });
}
