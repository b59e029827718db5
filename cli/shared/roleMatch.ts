// Matching a tenant's security roles against the known integrations' permission tables, for
// `npm run discover`. A role is compared as the provider would compare it when adopted with
// `exclusive` (the default): every catalog function the table does not list must be None.
import { LEVELS, MODULE_FUNCTIONS, PERMISSION_FIELDS, findFunction, functionKey } from "../../catalog";
import type { Level, PermissionField } from "../../catalog";
import type { SecurityRoleSetting } from "../../connectwise/schemas";
import type { IntegrationDefinition } from "../../program/integration";

export type Levels = Record<PermissionField, Level>;
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

const NONE: Levels = { add: "None", edit: "None", delete: "None", inquire: "None" };
const RANK: Record<Level, number> = Object.fromEntries(LEVELS.map((l, i) => [l, i])) as Record<Level, number>;
const CATALOG_KEYS = MODULE_FUNCTIONS.map((f) => functionKey(f.module, f.function));

/** A role's levels per catalog "Module/Function", from its settings; functions the catalog lacks are left out. */
export function liveLevels(settings: SecurityRoleSetting[]): Map<string, Levels> {
  const live = new Map<string, Levels>();
  for (const s of settings) {
    const entry = findFunction(functionKey(s.moduleName ?? "", s.moduleFunctionName ?? ""));
    if (!entry) continue;
    live.set(functionKey(entry.module, entry.function), {
      add: s.addLevel ?? "None",
      edit: s.editLevel ?? "None",
      delete: s.deleteLevel ?? "None",
      inquire: s.inquireLevel ?? "None",
    });
  }
  return live;
}

/** The table's levels per catalog key (unset levels None). */
function wanted(definition: IntegrationDefinition): Map<string, Levels> {
  const want = new Map<string, Levels>();
  for (const [key, levels] of Object.entries(definition.permissions)) {
    const entry = findFunction(key);
    if (entry) want.set(functionKey(entry.module, entry.function), { ...NONE, ...levels });
  }
  return want;
}

/** The role against one table, every catalog function compared. */
export function compare(live: Map<string, Levels>, definition: IntegrationDefinition): RoleMatch {
  const want = wanted(definition);
  const differences: FunctionDifference[] = [];
  for (const key of CATALOG_KEYS) {
    const have = live.get(key) ?? NONE;
    const should = want.get(key) ?? NONE;
    let more = false;
    let less = false;
    for (const field of PERMISSION_FIELDS) {
      if (RANK[have[field]] > RANK[should[field]]) more = true;
      if (RANK[have[field]] < RANK[should[field]]) less = true;
    }
    if (more || less) differences.push({ key, have, want: should, more, less });
  }
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
function isClose(match: RoleMatch, live: Map<string, Levels>): boolean {
  const granted = [...live].filter(([, l]) => PERMISSION_FIELDS.some((f) => l[f] !== "None")).map(([k]) => k);
  const declared = Object.keys(match.definition.permissions).map((k) => {
    const entry = findFunction(k)!;
    return functionKey(entry.module, entry.function);
  });
  const involved = new Set([...granted, ...declared]);
  return match.differences.length <= Math.min(8, Math.max(1, Math.floor(involved.size / 3)));
}

const ORDER: Record<Verdict, number> = { exact: 0, "grants more": 1, "grants less": 2, differs: 3 };

/** The best match of a role among the tables (fewest differing functions), or undefined when none is close. */
export function bestMatch(
  live: Map<string, Levels>,
  definitions: readonly IntegrationDefinition[],
): RoleMatch | undefined {
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
      if (RANK[d.have[field]] > RANK[d.want[field]]) beyond.push(entry);
      else if (RANK[d.have[field]] < RANK[d.want[field]]) lacks.push(entry);
    }
  }
  return { beyond, lacks };
}

/** What a role grants, per catalog function with any level above None: "Finance/Invoicing add All, inquire All". */
export function grantedFunctions(live: Map<string, Levels>): string[] {
  return CATALOG_KEYS.flatMap((key) => {
    const levels = live.get(key);
    const fields = levels ? PERMISSION_FIELDS.filter((f) => levels[f] !== "None") : [];
    return fields.length > 0 ? [`${key} ${fields.map((f) => `${f} ${levels![f]}`).join(", ")}`] : [];
  });
}
