// The validation of an integration definition (definition.ts): one zod schema, names checked
// against the catalog with a did-you-mean, levels and the Table Setup rule by the catalog's
// permission model.
import { z } from "zod";
import {
  CATALOG_KEYS,
  didYouMean,
  LEVELS,
  parseFunction,
  PERMISSION_FIELDS,
  quoted,
  ROLE_NAME_MAX,
  suggestion,
  TABLE_SETUP_ENTRIES,
  TABLE_SETUP_FIX,
  TABLE_SETUP_FUNCTION,
  tableSetupRuleBroken,
} from "../catalog";
import type { Level, PermissionProblem } from "../catalog";
import type { IntegrationDefinition } from "./definition";

type Permissions = IntegrationDefinition["permissions"];

/**
 * Where a problem of the permissions map is, and what it is, in the words the file's other
 * fields get (program/issues.ts); a key declared twice in another case is left to the
 * SecurityRole's check, as before.
 */
function permissionIssue(problem: PermissionProblem): { path: string[]; message: string } | undefined {
  switch (problem.kind) {
    case "unknown function":
      return {
        path: [problem.rawKey],
        message: `unknown module function (write "Module/Function")${suggestion(didYouMean(problem.rawKey, CATALOG_KEYS, 1))}`,
      };
    case "not levels":
      return { path: [problem.rawKey], message: `expected object, got ${JSON.stringify(problem.value)}` };
    case "not a level": {
      const value = problem.value;
      return {
        path: [problem.rawKey, problem.field],
        message:
          `${JSON.stringify(value)} is not one of ${quoted(LEVELS)}` +
          suggestion(typeof value === "string" ? didYouMean(value, LEVELS, 1) : []),
      };
    }
    case "unknown field": {
      const close = didYouMean(problem.field, PERMISSION_FIELDS, 1);
      return {
        path: [problem.rawKey, problem.field],
        message: `unknown field${close.length > 0 ? `; did you mean "${close[0]}"?` : `; fields: ${quoted(PERMISSION_FIELDS)}`}`,
      };
    }
    default:
      return undefined;
  }
}

/** Per function: its levels in field order, then its unknown fields (the order zod reports the file's other objects in). */
const fieldRank = (p: PermissionProblem): number =>
  p.kind === "not a level" ? PERMISSION_FIELDS.indexOf(p.field) : PERMISSION_FIELDS.length;

/**
 * A permissions map, each entry checked by the catalog's permission model (levels in their exact
 * spelling). Every problem but an unknown field stops the checks after it (`continue: false`, as
 * zod's own type and key issues do), so the Table Setup rule below is not judged on a map that
 * does not parse, as before. Each function's levels come out in field order.
 */
const PermissionsBlockSchema = () =>
  z.record(z.string(), z.unknown()).default({}).superRefine(checkPermissions).transform(normalise);

function checkPermissions(permissions: Record<string, unknown>, ctx: z.RefinementCtx): void {
  for (const [rawKey, raw] of Object.entries(permissions)) {
    const problems = parseFunction(rawKey, raw, { exact: true }).problems.sort((a, b) => fieldRank(a) - fieldRank(b));
    for (const problem of problems) {
      const issue = permissionIssue(problem);
      if (issue) ctx.addIssue({ code: "custom", ...issue, continue: problem.kind === "unknown field" });
    }
  }
}

function normalise(permissions: Record<string, unknown>): Permissions {
  return Object.fromEntries(
    Object.entries(permissions).map(([key, levels]) => [
      key,
      Object.fromEntries(
        PERMISSION_FIELDS.filter((f) => f in (levels as object)).map((f) => [f, (levels as Record<string, Level>)[f]]),
      ),
    ]),
  );
}

const PermissionsSchema = z
  .record(z.string(), z.unknown())
  .superRefine((permissions, ctx) => {
    for (const [rawKey, raw] of Object.entries(permissions)) {
      const problems = parseFunction(rawKey, raw, { exact: true }).problems.sort((a, b) => fieldRank(a) - fieldRank(b));
      for (const problem of problems) {
        const issue = permissionIssue(problem);
        if (issue) ctx.addIssue({ code: "custom", ...issue, continue: problem.kind === "unknown field" });
      }
    }
  })
  .refine((permissions) => Object.keys(permissions).length > 0, "lists no permission")
  .transform((permissions): Permissions =>
    Object.fromEntries(
      Object.entries(permissions).map(([key, levels]) => [
        key,
        Object.fromEntries(
          PERMISSION_FIELDS.filter((f) => f in (levels as object)).map((f) => [
            f,
            (levels as Record<string, Level>)[f],
          ]),
        ),
      ]),
    ),
  );

const TableSetupSchema = z
  .array(
    z.string().refine((t) => TABLE_SETUP_ENTRIES.includes(t), {
      error: (issue) =>
        `unknown Table Setup entry (write "Category / Table")${suggestion(didYouMean(String(issue.input), TABLE_SETUP_ENTRIES, 1))}`,
    }),
  )
  .default([]);

/** A tier's or an option's block: it may add only Table Setup entries, or only permissions. */
const BlockFields = {
  about: z.string().min(1),
  permissions: PermissionsBlockSchema(),
  tableSetup: TableSetupSchema,
};

const OPTION_NAME = z
  .string()
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "must be lower-case letters and digits, words joined by '-' (e.g. asset-sync)");

/** The zod schema of one definition; names are checked against the catalog, with a did-you-mean. */
export const IntegrationDefinitionSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "must be lower-case letters and digits, words joined by '-' (e.g. my-tool)"),
    integration: z.string().min(1),
    roleName: z.string().min(1).max(ROLE_NAME_MAX),
    keyDescription: z.string().min(1),
    permissions: PermissionsSchema,
    tableSetup: TableSetupSchema,
    sources: z.array(z.string()).default([]),
    tiers: z.array(z.strictObject({ name: OPTION_NAME, ...BlockFields })).optional(),
    defaultTier: z.string().optional(),
    options: z.record(OPTION_NAME, z.strictObject(BlockFields)).optional(),
    defaultOptions: z.array(z.string()).optional(),
    notes: z.array(z.string()).optional(),
  })
  // Tier and option names are unique, and the defaults name what is declared.
  .superRefine((definition, ctx) => {
    const tiers = (definition.tiers ?? []).map((t) => t.name);
    tiers.forEach((name, i) => {
      if (tiers.indexOf(name) !== i)
        ctx.addIssue({ code: "custom", path: ["tiers", i, "name"], message: `tier "${name}" is declared twice` });
    });
    if (definition.defaultTier !== undefined && !tiers.includes(definition.defaultTier))
      ctx.addIssue({
        code: "custom",
        path: ["defaultTier"],
        message: `no tier "${definition.defaultTier}"; tiers: ${tiers.length > 0 ? quoted(tiers) : "none declared"}`,
      });
    const options = Object.keys(definition.options ?? {});
    (definition.defaultOptions ?? []).forEach((name, i) => {
      if (!options.includes(name))
        ctx.addIssue({
          code: "custom",
          path: ["defaultOptions", i],
          message: `no option "${name}"; options: ${options.length > 0 ? quoted(options) : "none declared"}`,
        });
    });
  })
  // The role owns the Table Setup level: an allow-list on a role that does not grant it would
  // leave the operator asked for opposite levels by the role and by its Table Setup access.
  .superRefine((definition, ctx) => {
    const inquire = tableSetupRuleBroken(definition.permissions, definition.tableSetup);
    // Each block is judged with the base: a block adding entries to a base that does not grant
    // Table Setup inquire must grant it itself (resolve.ts judges the selected combination too).
    for (const block of [...(definition.tiers ?? []), ...Object.values(definition.options ?? {})]) {
      const merged = { ...definition.permissions, ...block.permissions };
      const broken = tableSetupRuleBroken(merged, block.tableSetup);
      if (broken !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["permissions"],
          message: `a tier or option of "${definition.integration}" (${definition.id}) adds Table Setup entries (${block.tableSetup.join(", ")}) but grants ${TABLE_SETUP_FUNCTION} inquire ${broken}; add ${TABLE_SETUP_FIX} to it or to the base`,
        });
    }
    if (inquire === undefined) return;
    ctx.addIssue({
      code: "custom",
      path: ["permissions"],
      message:
        `integration "${definition.integration}" (${definition.id}) has a Table Setup allow-list ` +
        `(${definition.tableSetup.join(", ")}) but its role grants ${TABLE_SETUP_FUNCTION} inquire ${inquire}; ` +
        `add ${TABLE_SETUP_FIX} to its permissions`,
    });
  });

// The schema and the interface describe the same thing.
const _sameShape: IntegrationDefinition = {} as z.infer<typeof IntegrationDefinitionSchema>;
