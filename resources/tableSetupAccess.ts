import * as pulumi from "@pulumi/pulumi";
import { DynamicResource } from "../pulumi-runtime/dynamicResource";
import { SecurityRole } from "./securityRole";
import { declaredRole, failWhilePending } from "./consoleWork";
// Types only (erased at compile time): the args are derived from the provider's field table.
import type { ConsoleStep } from "../review/records";
import type { RoleDeclaration, TableSetupAccessArgs as FieldArgs } from "../provider/tableSetupAccess";

/** What users write: `role` is the SecurityRole resource (preferred) or the name of a role the program does not manage. */
export type TableSetupAccessArgs = Omit<FieldArgs, "role" | "roleDeclared"> & {
  role: SecurityRole | pulumi.Input<string>;
};

/**
 * A role's Table Setup access (System > Security Roles > role > System > Table Setup >
 * Customize). The published API can neither read nor write it for a role, so it is verified
 * by calling as an API member on the role; what the operator still has to set is the
 * `pendingSteps` output (gathered by an OperatorChecklist). Deleting it changes nothing in
 * ConnectWise.
 *
 * Given the SecurityRole resource, the role owns the System/Table Setup inquire level: preview
 * refuses a role whose declared permissions leave it below All; so does a role name that a
 * SecurityRole of the same program declares. Given the name of a role the program does not
 * declare, this resource asks the operator for that level itself. An `up` that leaves steps
 * pending fails: with the OperatorChecklist that lists it, else on this resource.
 */
export class TableSetupAccess extends DynamicResource {
  /** The role whose list this is. */
  declare readonly role: pulumi.Output<string>;
  /** The API member whose key verifies it. */
  declare readonly member: pulumi.Output<string>;
  declare readonly publicKey: pulumi.Output<string>;
  /** Secret. */
  declare readonly privateKey: pulumi.Output<string>;
  /** The declared entries, sorted, in catalog spelling. */
  declare readonly tables: pulumi.Output<string[]>;
  /** The entries the member's key was allowed at the last verification; empty while steps are pending. */
  declare readonly verified: pulumi.Output<string[]>;
  /** "companyId at host". */
  declare readonly tenant: pulumi.Output<string>;
  /** The console steps the operator still has to do; empty once verified. */
  declare readonly pendingSteps: pulumi.Output<ConsoleStep[]>;

  constructor(name: string, args: TableSetupAccessArgs, opts?: pulumi.CustomResourceOptions) {
    const { role, ...rest } = args;
    const managed = role instanceof SecurityRole ? role : undefined;
    // A role named as a string that the same program declares is judged as the resource would be
    // (looked up once the program has declared its roles: the name resolves after this constructor).
    const roleDeclared: pulumi.Input<RoleDeclaration | undefined> = managed
      ? {
          resource: `SecurityRole ${managed.declared.name}`,
          permissions: managed.declared.permissions as Record<string, unknown>,
          exclusive: managed.declared.exclusive,
        }
      : pulumi.output(role as pulumi.Input<string>).apply((name): RoleDeclaration | undefined => {
          const declared = typeof name === "string" ? declaredRole(name) : undefined;
          return declared && { ...declared };
        });
    super(
      "tableSetupAccess",
      "TableSetupAccess",
      name,
      {
        ...rest,
        // A managed role by its declared name (known at preview, where the role's outputs are
        // unknown once it is planned to update), and the role as a dependency.
        role: managed ? managed.declared.name : (role as pulumi.Input<string>),
        roleDeclared,
        verified: undefined,
        tenant: undefined,
        pendingSteps: undefined,
      },
      pulumi.mergeOptions(opts, {
        additionalSecretOutputs: ["privateKey"],
        ...(managed ? { dependsOn: [managed] } : {}),
      }),
    );
    failWhilePending(
      this,
      pulumi.interpolate`TableSetupAccess ${this.role}/${this.member}`,
      this.tenant,
      this.pendingSteps,
    );
  }
}
