// An integration's tiers and options resolved into the one table a stack grants: the base, the
// selected tier (and every tier before it), the selected options; each level and Table Setup
// entry keeps the name of what asked for it ("base", "tier full", "option asset-sync"), which
// preview, the checklist, the access audit and `npm run integrations` show.
import { LEVELS, PERMISSION_FIELDS, TABLE_SETUP_FIX, TABLE_SETUP_FUNCTION, tableSetupRuleBroken } from "../catalog";
import type { PermissionField } from "../catalog";
import type { IntegrationDefinition, PermissionBlock } from "./definition";

/** What a stack (or `npm run integrations -- show`) selects. */
export interface Selection {
  tier?: string;
  options?: string[];
}

/** Where each granted level and Table Setup entry came from. */
export interface Origins {
  permissions: Record<string, Partial<Record<PermissionField, string>>>;
  tableSetup: Record<string, string>;
}

/** A definition with its selection applied: no tiers or options left, the table as granted. */
export interface ResolvedIntegration extends IntegrationDefinition {
  /** The tier granted (undefined when the integration has none). */
  tier?: string;
  /** The options granted, in the definition's order. */
  selectedOptions: string[];
  origins: Origins;
}

export const BASE = "base";

/** The tier names, in order. */
export const tierNames = (definition: IntegrationDefinition): string[] => (definition.tiers ?? []).map((t) => t.name);
export const optionNames = (definition: IntegrationDefinition): string[] => Object.keys(definition.options ?? {});

/** The tier a stack gets when it names none: defaultTier, else the last (the vendor's full table). */
export function defaultTier(definition: IntegrationDefinition): string | undefined {
  const tiers = tierNames(definition);
  return definition.defaultTier ?? tiers[tiers.length - 1];
}

/** A block of the definition with its label, in the order they apply. */
function blocksOf(definition: IntegrationDefinition, tier: string | undefined, options: string[]) {
  const blocks: { label: string; block: Pick<PermissionBlock, "permissions" | "tableSetup"> }[] = [
    { label: BASE, block: definition },
  ];
  const tiers = definition.tiers ?? [];
  const upTo = tier === undefined ? -1 : tiers.findIndex((t) => t.name === tier);
  for (const t of tiers.slice(0, upTo + 1)) blocks.push({ label: `tier ${t.name}`, block: t });
  for (const [name, block] of Object.entries(definition.options ?? {}))
    if (options.includes(name)) blocks.push({ label: `option ${name}`, block });
  return blocks;
}

/**
 * The table `definition` grants with `selection` (unset fields: its defaults). Throws an Error
 * naming the unknown tier or option and what the definition offers.
 */
export function resolveIntegration(definition: IntegrationDefinition, selection: Selection = {}): ResolvedIntegration {
  const tiers = tierNames(definition);
  const offered = optionNames(definition);
  const problems: string[] = [];
  if (selection.tier !== undefined && !tiers.includes(selection.tier))
    problems.push(
      `no tier "${selection.tier}"; ` + (tiers.length > 0 ? `tiers: ${tiers.join(", ")}` : "it declares no tiers"),
    );
  for (const option of selection.options ?? [])
    if (!offered.includes(option))
      problems.push(
        `no option "${option}"; ` + (offered.length > 0 ? `options: ${offered.join(", ")}` : "it declares no options"),
      );
  if (problems.length > 0) throw new Error(`integration "${definition.id}": ${problems.join("; ")}`);

  const tier = selection.tier ?? defaultTier(definition);
  const chosen = selection.options ?? definition.defaultOptions ?? [];
  const selectedOptions = offered.filter((o) => chosen.includes(o));
  const permissions: IntegrationDefinition["permissions"] = {};
  const origins: Origins = { permissions: {}, tableSetup: {} };
  const tableSetup: string[] = [];
  for (const { label, block } of blocksOf(definition, tier, selectedOptions)) {
    for (const [key, levels] of Object.entries(block.permissions)) {
      const merged = (permissions[key] ??= {});
      const from = (origins.permissions[key] ??= {});
      for (const field of PERMISSION_FIELDS) {
        const level = levels[field];
        if (level === undefined) continue;
        const had = merged[field];
        // A level granted twice keeps the block that first asked for it at that level.
        if (had === undefined || LEVELS.indexOf(level) > LEVELS.indexOf(had)) {
          merged[field] = level;
          from[field] = label;
        }
      }
    }
    for (const entry of block.tableSetup)
      if (!tableSetup.includes(entry)) {
        tableSetup.push(entry);
        origins.tableSetup[entry] = label;
      }
  }
  // Keep the fields of each function in field order, as the schema writes them.
  for (const key of Object.keys(permissions))
    permissions[key] = Object.fromEntries(
      PERMISSION_FIELDS.filter((f) => permissions[key][f] !== undefined).map((f) => [f, permissions[key][f]]),
    );
  const broken = tableSetupRuleBroken(permissions, tableSetup);
  if (broken !== undefined)
    throw new Error(
      `integration "${definition.id}" with ${describeSelection({ tier, selectedOptions })}: its Table Setup entries ` +
        `need ${TABLE_SETUP_FUNCTION} inquire All, the selection grants ${broken}; add ${TABLE_SETUP_FIX}`,
    );
  const { tiers: _t, defaultTier: _d, options: _o, defaultOptions: _do, ...rest } = definition;
  return { ...rest, permissions, tableSetup, tier, selectedOptions, origins };
}

/** `tier "full"`, `options asset-sync, helpdesk`, `tier "full", no options`: for messages and listings. */
export function describeSelection(r: { tier?: string; selectedOptions: string[] }): string {
  const parts: string[] = [];
  if (r.tier !== undefined) parts.push(`tier "${r.tier}"`);
  parts.push(r.selectedOptions.length > 0 ? `options ${r.selectedOptions.join(", ")}` : "no options");
  return parts.join(", ");
}

/** Every tier and every option: the broadest table the vendor publishes for the integration. */
export function broadest(definition: IntegrationDefinition): ResolvedIntegration {
  const tiers = tierNames(definition);
  return resolveIntegration(definition, { tier: tiers[tiers.length - 1], options: optionNames(definition) });
}

/** Per tier or option beyond the base, what it asks for: functions, then Table Setup entries. */
export function blocksAsking(resolved: ResolvedIntegration): Map<string, string[]> {
  const byBlock = new Map<string, string[]>();
  const add = (origin: string, what: string) => {
    const list = byBlock.get(origin) ?? [];
    if (!list.includes(what)) list.push(what);
    byBlock.set(origin, list);
  };
  for (const [key, fields] of Object.entries(resolved.origins.permissions))
    for (const origin of Object.values(fields)) if (origin !== BASE) add(origin, key);
  for (const [entry, origin] of Object.entries(resolved.origins.tableSetup))
    if (origin !== BASE) add(origin, `Table Setup "${entry}"`);
  return byBlock;
}

/** `; tier full asks for Companies/Configurations, Companies/Contacts`: for preview and the checklist. */
export function askedFor(resolved: ResolvedIntegration): string {
  return [...blocksAsking(resolved)].map(([origin, what]) => `; ${origin} asks for ${what.join(", ")}`).join("");
}
