// What an integration requires of a tenant, as data: the shape of every entry in
// program/presets.json and of every file in the user's integrations/ folder, and its validation.
import { z } from "zod";
import {
  didYouMean,
  findFunction,
  functionKey,
  LEVELS,
  MODULE_FUNCTIONS,
  PERMISSION_FIELDS,
  ROLE_NAME_MAX,
  suggestion,
  TABLE_SETUP_ENTRIES,
} from "../catalog";
import type { Level, PermissionField } from "../catalog";

/** What an integration requires of a tenant: its published permission table, as data. */
export interface IntegrationDefinition {
  /** Stable id (the `kind` a stack's config names), used in the component's type and resource names: never change it once deployed. */
  id: string;
  /** The integration's name as its vendor writes it. */
  integration: string;
  /** The security role to create for it (at most 30 characters). */
  roleName: string;
  /** "Module/Function" => levels; unset levels are None. */
  permissions: Record<string, Partial<Record<PermissionField, Level>>>;
  /** Table Setup "Allow access to these" entries, "Category / Table"; empty: no allow-list step. */
  tableSetup: string[];
  /** The API key's description in System > Members > API Keys. */
  keyDescription: string;
  /** Where the permission table was published. */
  sources: string[];
}

const TABLE_SETUP_FUNCTION = "System/Table Setup";
const FUNCTION_KEYS = MODULE_FUNCTIONS.map((f) => functionKey(f.module, f.function));
const LevelSchema = z.enum(LEVELS as [Level, ...Level[]]);
const LevelsSchema = z.strictObject(
  Object.fromEntries(PERMISSION_FIELDS.map((f) => [f, LevelSchema.optional()])) as Record<
    PermissionField,
    z.ZodOptional<typeof LevelSchema>
  >,
);

/** The zod schema of one definition; names are checked against the catalog, with a did-you-mean. */
export const IntegrationDefinitionSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "must be lower-case letters and digits, words joined by '-' (e.g. my-tool)"),
    integration: z.string().min(1),
    roleName: z.string().min(1).max(ROLE_NAME_MAX),
    keyDescription: z.string().min(1),
    permissions: z
      .record(
        z.string().refine((key) => findFunction(key) !== undefined, {
          error: (issue) =>
            `unknown module function (write "Module/Function")${suggestion(didYouMean(String(issue.input), FUNCTION_KEYS, 1))}`,
        }),
        LevelsSchema,
      )
      .refine((permissions) => Object.keys(permissions).length > 0, "lists no permission"),
    tableSetup: z
      .array(
        z.string().refine((t) => TABLE_SETUP_ENTRIES.includes(t), {
          error: (issue) =>
            `unknown Table Setup entry (write "Category / Table")${suggestion(didYouMean(String(issue.input), TABLE_SETUP_ENTRIES, 1))}`,
        }),
      )
      .default([]),
    sources: z.array(z.string()).default([]),
  })
  // The role owns the Table Setup level: an allow-list on a role that does not grant it would
  // leave the operator asked for opposite levels by the role and by its Table Setup access.
  .superRefine((definition, ctx) => {
    if (definition.tableSetup.length === 0) return;
    const declared = Object.entries(definition.permissions).find(([key]) => {
      const fn = findFunction(key);
      return fn !== undefined && functionKey(fn.module, fn.function) === TABLE_SETUP_FUNCTION;
    });
    const inquire = declared?.[1].inquire ?? "None";
    if (inquire === "All") return;
    ctx.addIssue({
      code: "custom",
      path: ["permissions"],
      message:
        `integration "${definition.integration}" (${definition.id}) has a Table Setup allow-list ` +
        `(${definition.tableSetup.join(", ")}) but its role grants ${TABLE_SETUP_FUNCTION} inquire ${inquire}; ` +
        `add "${TABLE_SETUP_FUNCTION}": { inquire: "All" } to its permissions`,
    });
  });

// The schema and the interface describe the same thing.
const _sameShape: IntegrationDefinition = {} as z.infer<typeof IntegrationDefinitionSchema>;
