import * as pulumi from "@pulumi/pulumi";
import { runtimeProvider } from "./runtimeProvider";

import type { Level } from "../catalog";

/** A permission level as the Manage UI offers it. Input is case-insensitive; unset means None. */
export type PermissionLevel = Level;

/** The four levels of one module function (System > Security Roles > role > Module > Function). */
export interface PermissionLevels {
  /** Add Level. Unset means None. */
  add?: pulumi.Input<PermissionLevel>;
  /** Edit Level. Unset means None. */
  edit?: pulumi.Input<PermissionLevel>;
  /** Delete Level. Unset means None. */
  delete?: pulumi.Input<PermissionLevel>;
  /** Inquire Level. Unset means None. */
  inquire?: pulumi.Input<PermissionLevel>;
}

export interface SecurityRoleArgs {
  /** The role name (at most 30 characters). The API cannot rename a role: a change replaces it. */
  name: pulumi.Input<string>;
  /**
   * Levels per module function, keyed "Module/Function" as the Manage UI names them (e.g.
   * "Finance/Agreements", "Service Desk/Service Tickets"; see provider/catalog.ts). The API
   * cannot write levels: `pulumi up` verifies them and, while any differs, fails with the
   * numbered console checklist; the next `up` verifies again.
   */
  permissions: pulumi.Input<Record<string, pulumi.Input<PermissionLevels>>>;
  /**
   * True (default): every catalog function not declared must be None, so a level granted by
   * hand is drift. False: only the declared functions are checked (then permissions must not
   * be empty).
   */
  exclusive?: pulumi.Input<boolean>;
  /** Take over a role of this name that already exists, instead of failing on create. */
  adopt?: pulumi.Input<boolean>;
}

const provider = runtimeProvider("securityRole");

/**
 * A ConnectWise Manage security role (System > Security Roles). Created and deleted through the
 * API; its permission levels are verified, and set by the operator from a printed checklist.
 * Delete is refused while an active member or API member holds the role.
 */
export class SecurityRole extends pulumi.dynamic.Resource {
  /** The role name. */
  declare readonly name: pulumi.Output<string>;
  /** The declared levels, normalised: catalog spelling, all four levels per function. */
  declare readonly permissions: pulumi.Output<
    Record<string, Record<"add" | "edit" | "delete" | "inquire", PermissionLevel>>
  >;
  /** Whether undeclared functions must be None (default true). */
  declare readonly exclusive: pulumi.Output<boolean>;
  /** Whether an existing role of this name was taken over (matters only at create). */
  declare readonly adopt: pulumi.Output<boolean>;
  /** The role's id in ConnectWise. */
  declare readonly roleId: pulumi.Output<number>;
  /** "companyId at host" the role lives on. */
  declare readonly tenant: pulumi.Output<string>;

  constructor(name: string, args: SecurityRoleArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { exclusive: undefined, adopt: undefined, ...args, roleId: undefined, tenant: undefined },
      opts,
      "connectwise",
      "SecurityRole",
    );
  }
}
