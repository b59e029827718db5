// The permission model: the levels and their order, how a role's levels compare with declared
// ones, the parsing of a permissions map ("Module/Function" => levels), and the Table Setup rule.
// Used by the program's integration schema (program/definition.ts), the SecurityRole and
// TableSetupAccess handlers, and the matching discover and the access audit share
// (cli/shared/roleMatch.ts). Data and plain functions only: the callers word their own messages
// from the problems found here.
//
// A function the catalog lacks (a newer Manage lists it among a role's settings) keeps its raw
// "Module/Function" name in a role's live levels. It cannot be declared, so wherever every
// undeclared function must be None (`exclusive`, and the matching, which compares as `exclusive`
// does) any level above None on it is a difference: the role grants more than declared.
import { MODULE_FUNCTIONS, findFunction, functionKey } from "./moduleFunctions";

export type PermissionField = "add" | "edit" | "delete" | "inquire";
/** The four level kinds of a module function, in the order the Manage UI shows them. */
export const PERMISSION_FIELDS: readonly PermissionField[] = ["add", "edit", "delete", "inquire"];
export type Level = "None" | "My" | "All";
/** The levels, from the least to the most granted. */
export const LEVELS: readonly Level[] = ["None", "My", "All"];

/** The four levels of one module function. */
export type Levels = Record<PermissionField, Level>;
/** A function nothing is granted on: what an undeclared one must be under `exclusive`. */
export const NO_LEVELS: Readonly<Levels> = Object.freeze({
  add: "None",
  edit: "None",
  delete: "None",
  inquire: "None",
});

/** Every catalog function's "Module/Function" key, in catalog (click) order. */
export const CATALOG_KEYS: readonly string[] = MODULE_FUNCTIONS.map((f) => functionKey(f.module, f.function));
const CATALOG_POSITION = new Map(CATALOG_KEYS.map((k, i) => [k, i]));

/** The catalog's spelling of a "Module/Function" key (case-insensitive, trimmed), or undefined when it lacks it. */
export function catalogKey(raw: string): string | undefined {
  const entry = findFunction(raw);
  return entry && functionKey(entry.module, entry.function);
}

/** Whether `key` (in catalog spelling) is a catalog function. */
export const inCatalog = (key: string): boolean => CATALOG_POSITION.has(key);

/** Sorts catalog keys in catalog order. */
export function catalogOrder(a: string, b: string): number {
  return (CATALOG_POSITION.get(a) ?? 0) - (CATALOG_POSITION.get(b) ?? 0);
}

/** Module and function of a key: the catalog's entry, else the raw names either side of the first "/". */
export function moduleAndFunction(key: string): { module: string; function: string } {
  const entry = findFunction(key);
  if (entry) return entry;
  const slash = key.indexOf("/");
  return { module: key.slice(0, slash), function: key.slice(slash + 1) };
}

// ---- Levels and their order ---------------------------------------------------------------------

const RANK: Record<Level, number> = Object.fromEntries(LEVELS.map((l, i) => [l, i])) as Record<Level, number>;

/** How one level a role has stands against the level wanted of it. */
export type Grant = "more" | "less" | "equal";

/** `have` against `want`: the role grants more, less or the same. */
export function compareLevel(have: Level, want: Level): Grant {
  return RANK[have] > RANK[want] ? "more" : RANK[have] < RANK[want] ? "less" : "equal";
}

/**
 * A level as written: one of LEVELS. `exact`: only their spelling (integration files);
 * otherwise case-insensitive and trimmed (resource inputs). Undefined when it is none.
 */
export function parseLevel(value: unknown, exact = false): Level | undefined {
  if (typeof value !== "string") return undefined;
  if (exact) return LEVELS.find((l) => l === value);
  const wanted = value.trim().toLowerCase();
  return LEVELS.find((l) => l.toLowerCase() === wanted);
}

export const isPermissionField = (field: string): field is PermissionField =>
  (PERMISSION_FIELDS as readonly string[]).includes(field);

/** One level kind of one function where a role and what is wanted of it differ. */
export interface LevelDifference {
  /** "Module/Function": catalog spelling, or the raw name of a function the catalog lacks. */
  key: string;
  field: PermissionField;
  have: Level;
  want: Level;
  grant: "more" | "less";
}

/** A role's levels per "Module/Function". */
export type LiveLevels = Map<string, Levels>;

/** What a role is compared with: the declared levels, and whether every other function must be None. */
export interface Declared {
  /** "Module/Function" (catalog spelling) => levels. */
  permissions: Readonly<Record<string, Levels>>;
  /** True: every function not declared must be None (catalog functions and those the catalog lacks). */
  exclusive?: boolean;
}

/** What a function must be: its declared levels, None when exclusive and undeclared, undefined when not compared. */
export function wantedLevels(declared: Declared, key: string): Levels | undefined {
  return declared.permissions[key] ?? (declared.exclusive ? NO_LEVELS : undefined);
}

/**
 * Every level of the role that differs from the declared state: the catalog's functions in
 * catalog (click) order, field by field, then under `exclusive` each level above None on a
 * function the catalog lacks (in the role's order).
 */
export function compareRole(live: LiveLevels, declared: Declared): LevelDifference[] {
  const differences: LevelDifference[] = [];
  const compare = (key: string, have: Levels, want: Levels) => {
    for (const field of PERMISSION_FIELDS) {
      const grant = compareLevel(have[field], want[field]);
      if (grant !== "equal") differences.push({ key, field, have: have[field], want: want[field], grant });
    }
  };
  for (const key of CATALOG_KEYS) {
    const want = wantedLevels(declared, key);
    if (want) compare(key, live.get(key) ?? NO_LEVELS, want);
  }
  if (declared.exclusive) for (const [key, have] of live) if (!inCatalog(key)) compare(key, have, NO_LEVELS);
  return differences;
}

/** Whether any level of `levels` is above None. */
export const grantsAny = (levels: Levels): boolean => PERMISSION_FIELDS.some((f) => levels[f] !== "None");

/** One setting of a role as the API lists it (SecurityRoleSetting). */
export interface RoleSetting {
  moduleName?: string | null;
  moduleFunctionName?: string | null;
  addLevel?: Level | null;
  editLevel?: Level | null;
  deleteLevel?: Level | null;
  inquireLevel?: Level | null;
}

/**
 * A role's levels per "Module/Function", from its settings (unset levels None). A function the
 * catalog lacks keeps its raw name (see the top of this file).
 */
export function liveLevels(settings: readonly RoleSetting[]): LiveLevels {
  const live: LiveLevels = new Map();
  for (const s of settings) {
    const raw = functionKey(s.moduleName ?? "", s.moduleFunctionName ?? "");
    live.set(catalogKey(raw) ?? raw, {
      add: s.addLevel ?? "None",
      edit: s.editLevel ?? "None",
      delete: s.deleteLevel ?? "None",
      inquire: s.inquireLevel ?? "None",
    });
  }
  return live;
}

// ---- Parsing a permissions map ------------------------------------------------------------------

/** What is wrong in a permissions map; the caller words it. `rawKey` is the key as written. */
export type PermissionProblem =
  | { kind: "not a map"; value: unknown }
  | { kind: "unknown function"; rawKey: string }
  | { kind: "declared twice"; rawKey: string; key: string }
  | { kind: "not levels"; rawKey: string; key: string; value: unknown }
  | { kind: "unknown field"; rawKey: string; key: string; field: string }
  | { kind: "not a level"; rawKey: string; key: string; field: PermissionField; value: unknown };

export interface ParseOptions {
  /** Levels only in their exact spelling (integration files); otherwise case-insensitive. */
  exact?: boolean;
  /** A value not known yet (preview): kept as given, unchecked. */
  pending?: (value: unknown) => boolean;
}

/**
 * One entry of a permissions map as written: its key in catalog spelling and its four levels
 * (unset None), or the problems, in the order written. `key` is undefined when the catalog lacks
 * the function; `levels` when they do not parse.
 */
export function parseFunction(
  rawKey: string,
  raw: unknown,
  options: ParseOptions = {},
): { key?: string; levels?: Levels; problems: PermissionProblem[] } {
  const pending = options.pending ?? (() => false);
  const key = catalogKey(rawKey);
  if (!key) return { problems: [{ kind: "unknown function", rawKey }] };
  if (pending(raw)) return { key, levels: raw as Levels, problems: [] };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return { key, problems: [{ kind: "not levels", rawKey, key, value: raw }] };
  const levels: Levels = { ...NO_LEVELS };
  const problems: PermissionProblem[] = [];
  for (const [field, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!isPermissionField(field)) problems.push({ kind: "unknown field", rawKey, key, field });
    else if (pending(v)) levels[field] = v as Level;
    else if (v !== undefined) {
      const level = parseLevel(v, options.exact);
      if (level) levels[field] = level;
      else problems.push({ kind: "not a level", rawKey, key, field, value: v });
    }
  }
  return { key, levels, problems };
}

/**
 * A permissions map as written ("Module/Function" => {add?, edit?, delete?, inquire?}), checked:
 * keys in catalog spelling, each function once (a second key for it, in another case, is a
 * problem and is not parsed), unset levels None, in catalog order; and every problem, in the
 * order written. Undefined and null read as an empty map.
 */
export function parsePermissions(
  value: unknown,
  options: ParseOptions = {},
): { permissions: Record<string, Levels>; problems: PermissionProblem[] } {
  const declared = value ?? {};
  if (typeof declared !== "object" || Array.isArray(declared))
    return { permissions: {}, problems: [{ kind: "not a map", value: declared }] };
  const parsed: Record<string, Levels> = {};
  const problems: PermissionProblem[] = [];
  for (const [rawKey, raw] of Object.entries(declared as Record<string, unknown>)) {
    const known = catalogKey(rawKey);
    if (known && parsed[known]) {
      problems.push({ kind: "declared twice", rawKey, key: known });
      continue;
    }
    const { key, levels, problems: found } = parseFunction(rawKey, raw, options);
    problems.push(...found);
    if (key && levels) parsed[key] = levels;
  }
  return {
    permissions: Object.fromEntries(Object.entries(parsed).sort(([a], [b]) => catalogOrder(a, b))),
    problems,
  };
}

// ---- The Table Setup rule -----------------------------------------------------------------------

/** The function whose inquire level a Table Setup allow-list needs. */
export const TABLE_SETUP_FUNCTION = "System/Table Setup";
/** The level it needs. */
export const TABLE_SETUP_INQUIRE: Level = "All";

/**
 * The System/Table Setup inquire level a declared permissions map grants (as written: keys in
 * any case, levels case-insensitive; an unreadable level counts as None). Without an entry it is
 * None when the role is exclusive (every undeclared function None), "not declared" when not.
 */
export function declaredTableSetupInquire(
  permissions: Readonly<Record<string, unknown>>,
  exclusive = true,
): Level | "not declared" {
  const entry = Object.entries(permissions).find(([key]) => catalogKey(key) === TABLE_SETUP_FUNCTION);
  if (!entry) return exclusive ? "None" : "not declared";
  const inquire = (entry[1] as Record<string, unknown> | undefined)?.inquire;
  return parseLevel(inquire) ?? "None";
}

/**
 * The Table Setup rule: a role with a non-empty allow-list must grant System/Table Setup inquire
 * All (without it the list is neither used nor readable, and the role and its access would ask
 * the operator for opposite levels). Returns the level that breaks it, undefined when kept.
 */
export function tableSetupRuleBroken(
  permissions: Readonly<Record<string, unknown>>,
  tables: readonly unknown[],
  exclusive = true,
): Level | "not declared" | undefined {
  if (tables.length === 0) return undefined;
  const level = declaredTableSetupInquire(permissions, exclusive);
  return level === TABLE_SETUP_INQUIRE ? undefined : level;
}

/** The fix the rule asks for, as users write it. */
export const TABLE_SETUP_FIX = `"${TABLE_SETUP_FUNCTION}": { inquire: "${TABLE_SETUP_INQUIRE}" }`;
