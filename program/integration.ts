import * as pulumi from "@pulumi/pulumi";
import { ApiKey } from "../resources/apiKey";
import { ApiMember } from "../resources/apiMember";
import { SecurityRole } from "../resources/securityRole";
import type { ChecklistSource } from "../resources/operatorChecklist";
import { TableSetupAccess } from "../resources/tableSetupAccess";
import { dependencyOn } from "../pulumi-runtime/dynamicResource";
import { IntegrationDefinition } from "./definition";
import { askedFor, describeSelection, resolveIntegration, ResolvedIntegration } from "./resolve";

export type { IntegrationDefinition } from "./definition";

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

/**
 * The tenant is not an argument: every resource acts on the tenant of the provider connection
 * (`connectwise:site` and `connectwise:companyId`, or the CONNECTWISE_* environment variables).
 */
export interface IntegrationArgs {
  member: IntegrationMemberArgs;
  /** Override the definition's role name (two integrations on one role name would collide). */
  roleName?: string;
  /** Take over a role and member that already exist under these names. */
  adopt?: boolean;
  /** The tier to grant, of the definition's `tiers` (default: its defaultTier, else the last). */
  tier?: string;
  /** The optional blocks to grant, of the definition's `options` (default: its defaultOptions). */
  options?: string[];
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
  /** The resources an OperatorChecklist gathers: the role, then its Table Setup access, then the key. */
  readonly consoleWork: ChecklistSource[];
  /** What the integration's own setup screen asks for, besides the tenant's site and company id. */
  readonly memberIdentifier: pulumi.Output<string>;
  readonly publicKey: pulumi.Output<string>;
  readonly privateKey: pulumi.Output<string>;
  /** The table granted: the definition with the stack's tier and options applied, with origins. */
  readonly resolved: ResolvedIntegration;

  constructor(
    definition: IntegrationDefinition,
    name: string,
    args: IntegrationArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    // For JavaScript callers, whom the type does not stop: a tenant here would be silently ignored.
    for (const field of ["site", "companyId"])
      if (field in args)
        throw new Error(
          `Integration ${name}: no "${field}" argument; the tenant is the provider connection's (connectwise:site, connectwise:companyId)`,
        );
    // Before super: an unknown tier or option is the caller's error, not a half-declared component.
    const resolved = resolveIntegration(definition, { tier: args.tier, options: args.options });
    super(`connectwise:integration:${definition.id}`, name, {}, opts);
    this.resolved = resolved;
    const parent = { parent: this };
    const roleName = args.roleName ?? definition.roleName;
    if ((definition.tiers ?? []).length > 0 || Object.keys(definition.options ?? {}).length > 0)
      void pulumi.log.info(`${name}: ${describeSelection(resolved)}${askedFor(resolved)}`, this);

    this.role = new SecurityRole(
      `${name}-role`,
      {
        name: roleName,
        permissions: resolved.permissions,
        adopt: args.adopt,
      },
      parent,
    );
    // Names as declared (plain values, known at preview), each with the resource it names as a
    // dependency: an output of a resource that preview plans to update is unknown there, and
    // would make the key and the Table Setup access look replaced when only their dependency
    // restores drift (what the fleet's pull-request comment must not predict).
    this.member = new ApiMember(
      `${name}-member`,
      {
        ...args.member,
        securityRole: roleName,
        adopt: args.adopt,
      },
      { parent: this, dependsOn: [dependencyOn(this.role)] },
    );
    this.key = new ApiKey(
      `${name}-key`,
      {
        member: args.member.identifier,
        description: definition.keyDescription,
      },
      { parent: this, dependsOn: [dependencyOn(this.member)] },
    );
    if (resolved.tableSetup.length > 0) {
      this.tableSetup = new TableSetupAccess(
        `${name}-table-setup`,
        {
          // The resource, not its name: the role owns the Table Setup inquire level, and check()
          // refuses an allow-list on a role whose declared permissions do not grant it.
          role: this.role,
          member: args.member.identifier,
          publicKey: this.key.publicKey,
          privateKey: this.key.privateKey,
          tables: resolved.tableSetup,
        },
        { parent: this, dependsOn: [dependencyOn(this.member)] },
      );
    }

    // The key last: it has no steps, only tokens that may exist unseen (listed in the runbook).
    this.consoleWork = this.tableSetup ? [this.role, this.tableSetup, this.key] : [this.role, this.key];
    this.memberIdentifier = this.member.identifier;
    this.publicKey = this.key.publicKey;
    this.privateKey = pulumi.secret(this.key.privateKey);
    this.registerOutputs({
      memberIdentifier: this.memberIdentifier,
      publicKey: this.publicKey,
      privateKey: this.privateKey,
    });
  }
}
