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
  /**
   * Named tiers, cumulative in the order written: tier N grants the base (`permissions`,
   * `tableSetup`) plus the blocks of every tier up to N. A stack picks one with `tier:`; unset,
   * `defaultTier` (else the last tier).
   */
  tiers?: PermissionTier[];
  defaultTier?: string;
  /** Named optional blocks on top of the base (and tier); a stack picks them with `options: [...]`. */
  options?: Record<string, PermissionBlock>;
  /** The options a stack gets when it names none (default: none). */
  defaultOptions?: string[];
  /** What was decided where the vendor's page left something open, and why. */
  notes?: string[];
}

/** Permissions and Table Setup entries a tier or an option adds to the base. */
export interface PermissionBlock {
  /** What the block enables, in the vendor's words. */
  about: string;
  permissions: Record<string, Partial<Record<PermissionField, Level>>>;
  tableSetup: string[];
}

export interface PermissionTier extends PermissionBlock {
  name: string;
}
