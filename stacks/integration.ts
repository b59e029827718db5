import * as pulumi from "@pulumi/pulumi";
import { ApiKey } from "../resources/apiKey";
import { ApiMember } from "../resources/apiMember";
import { SecurityRole } from "../resources/securityRole";
import type { Level, PermissionField } from "../catalog";
import { TableSetupAccess } from "../resources/tableSetupAccess";

/** What an integration requires of a tenant: its published permission table, as data. */
export interface IntegrationDefinition {
  /** Stable id, used in the component's type and resource names: never change it once deployed. */
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

/** The per-tenant settings of one integration's API member. */
export interface IntegrationMemberArgs {
  /** Member ID (at most 15 characters). */
  identifier: string;
  /** Member name (at most 30 characters). */
  name: string;
  email: string;
  /** Corporate structure level, e.g. "Corporate". */
  level: string;
  /** Business unit (department), e.g. "Admin". */
  businessUnit: string;
  location: string;
  defaultTerritory: string;
}

export interface IntegrationArgs {
  /** The tenant, as the integration's setup screen asks for it. */
  site: pulumi.Input<string>;
  companyId: pulumi.Input<string>;
  member: IntegrationMemberArgs;
  /** Override the definition's role name (two integrations on one role name would collide). */
  roleName?: string;
  /** Take over a role and member that already exist under these names. */
  adopt?: boolean;
}

/**
 * One integration in one tenant: its security role, API member, API key and, where the
 * integration needs one, its Table Setup allow-list. Resource names are prefixed with the
 * component's name, so two integrations in one stack never collide.
 */
export class Integration extends pulumi.ComponentResource {
  readonly role: SecurityRole;
  readonly member: ApiMember;
  readonly key: ApiKey;
  readonly tableSetup?: TableSetupAccess;
  /** What the integration's own setup screen asks for. */
  readonly site: pulumi.Output<string>;
  readonly companyId: pulumi.Output<string>;
  readonly memberIdentifier: pulumi.Output<string>;
  readonly publicKey: pulumi.Output<string>;
  readonly privateKey: pulumi.Output<string>;

  constructor(
    definition: IntegrationDefinition,
    name: string,
    args: IntegrationArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super(`connectwise:integration:${definition.id}`, name, {}, opts);
    const parent = { parent: this };

    this.role = new SecurityRole(
      `${name}-role`,
      {
        name: args.roleName ?? definition.roleName,
        permissions: definition.permissions,
        adopt: args.adopt,
      },
      parent,
    );
    this.member = new ApiMember(
      `${name}-member`,
      {
        ...args.member,
        securityRole: this.role.name,
        adopt: args.adopt,
      },
      parent,
    );
    this.key = new ApiKey(
      `${name}-key`,
      {
        member: this.member.identifier,
        description: definition.keyDescription,
      },
      parent,
    );
    if (definition.tableSetup.length > 0) {
      this.tableSetup = new TableSetupAccess(
        `${name}-table-setup`,
        {
          role: this.role.name,
          member: this.member.identifier,
          publicKey: this.key.publicKey,
          privateKey: this.key.privateKey,
          tables: definition.tableSetup,
        },
        parent,
      );
    }

    this.site = pulumi.output(args.site);
    this.companyId = pulumi.output(args.companyId);
    this.memberIdentifier = this.member.identifier;
    this.publicKey = this.key.publicKey;
    this.privateKey = pulumi.secret(this.key.privateKey);
    this.registerOutputs({
      site: this.site,
      companyId: this.companyId,
      memberIdentifier: this.memberIdentifier,
      publicKey: this.publicKey,
      privateKey: this.privateKey,
    });
  }
}
