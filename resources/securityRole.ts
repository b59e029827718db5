import * as pulumi from "@pulumi/pulumi";
import { DynamicResource } from "../pulumi-runtime/dynamicResource";
import { declareRole, failWhilePending } from "./consoleWork";

// Types only (erased at compile time): the args are derived from the provider's field table, so
// this module loads no provider code.
import type { ConsoleStep } from "../review/records";
import type { PermissionLevel, PermissionLevels, SecurityRoleArgs, SecurityRoleInputs } from "../provider/securityRole";

export type { PermissionLevel, PermissionLevels, SecurityRoleArgs };

/**
 * A ConnectWise Manage security role (System > Security Roles). Created and deleted through the
 * API; its permission levels are verified, and set by the operator: the steps still to do are
 * the `pendingSteps` output, which an OperatorChecklist turns into the stack's one checklist.
 * Delete is refused while an active member or API member holds the role. An `up` that leaves
 * steps pending fails: with the OperatorChecklist that lists the role, else on the role itself.
 */
export class SecurityRole extends DynamicResource {
  /** The role name. */
  declare readonly name: pulumi.Output<string>;
  /** The declared levels, normalised: catalog spelling, all four levels per function. */
  declare readonly permissions: pulumi.Output<SecurityRoleInputs["permissions"]>;
  /** Whether undeclared functions must be None (default true). */
  declare readonly exclusive: pulumi.Output<boolean>;
  /** Whether an existing role of this name may be taken over (matters only at create). */
  declare readonly adopt: pulumi.Output<boolean>;
  /** Whether destroy deletes the role even when it was adopted (default false: released as it is). */
  declare readonly deleteAdopted: pulumi.Output<boolean>;
  /** `<project>/<stack>/<resource name>`: the resource the create journal's records name. */
  declare readonly owner: pulumi.Output<string>;
  /** True when create took over an existing role rather than creating it. */
  declare readonly adopted: pulumi.Output<boolean>;
  /** The role's id in ConnectWise. */
  declare readonly roleId: pulumi.Output<number>;
  /** "companyId at host" the role lives on. */
  declare readonly tenant: pulumi.Output<string>;
  /** The console steps the operator still has to do for this role; empty once its levels are verified. */
  declare readonly pendingSteps: pulumi.Output<ConsoleStep[]>;

  /**
   * What the program declared, as given (not outputs: a new resource's outputs are unknown during
   * preview). TableSetupAccess reads it to refuse a role that would not grant Table Setup access.
   */
  readonly declared: { name: string; permissions: SecurityRoleArgs["permissions"]; exclusive?: boolean };

  constructor(name: string, args: SecurityRoleArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "securityRole",
      "SecurityRole",
      name,
      {
        exclusive: undefined,
        adopt: undefined,
        deleteAdopted: undefined,
        ...args,
        // Names the create journal's records: the provider process does not know the project, stack or resource name.
        owner: `${pulumi.getProject()}/${pulumi.getStack()}/${name}`,
        roleId: undefined,
        adopted: undefined,
        tenant: undefined,
        pendingSteps: undefined,
      },
      opts,
    );
    this.declared = {
      name: typeof args.name === "string" ? args.name : name,
      permissions: args.permissions,
      exclusive: typeof args.exclusive === "boolean" ? args.exclusive : undefined,
    };
    if (typeof args.name === "string")
      declareRole(args.name, {
        resource: `SecurityRole ${args.name}`,
        permissions: args.permissions as Record<string, unknown>,
        exclusive: this.declared.exclusive,
      });
    failWhilePending(this, pulumi.interpolate`SecurityRole ${this.name}`, this.tenant, this.pendingSteps);
  }
}
