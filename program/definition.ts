// What an integration requires of a tenant, as data: the shape of every entry in
// program/presets.json and of every file in the user's integrations/ folder. Its validation is
// definitionSchema.ts; this file imports no zod, so the library's type declarations do not either
// (a user's strict tsc without skipLibCheck then never reads zod's).
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
