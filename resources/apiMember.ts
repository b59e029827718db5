import * as pulumi from "@pulumi/pulumi";
import { runtimeProvider } from "./runtimeProvider";

/** Serialized into the state as `__provider`; loads dist/provider/apiMember.js at run time. */
const provider = runtimeProvider("apiMember");

/**
 * An API member (System > Members > API Members). Names are resolved to the tenant's ids when
 * written; `pulumi preview` fails at check for a level, business unit, location or territory
 * that does not exist, listing the ones that do.
 *
 * How the UI's fields map to the API (inferred, the vendor does not document it): `level` ->
 * `structureLevel`, `businessUnit` -> `defaultDepartment`, `location` -> `securityLocation` and
 * `defaultLocation`, `defaultTerritory` -> `salesDefaultLocation`, `securityRole` ->
 * `securityRole`, `email` -> `emailAddress`.
 */
export interface ApiMemberArgs {
  /** Member ID, at most 15 characters. Changing it replaces the member (a new one is created, the old one deactivated). */
  identifier: pulumi.Input<string>;
  /** Member name, at most 30 characters. */
  name: pulumi.Input<string>;
  /** Email address (emailAddress), at most 250 characters. */
  email: pulumi.Input<string>;
  /** Name of the security role the member holds, e.g. a SecurityRole's `name` output. */
  securityRole: pulumi.Input<string>;
  /** Corporate structure level name, e.g. "Corporate" (structureLevel). */
  level: pulumi.Input<string>;
  /** Business unit (department) name, e.g. "Admin" (defaultDepartment). */
  businessUnit: pulumi.Input<string>;
  /** Location name (securityLocation and defaultLocation). */
  location: pulumi.Input<string>;
  /** Default territory: a location name (salesDefaultLocation). */
  defaultTerritory: pulumi.Input<string>;
  /** Free-text notes on the member; leaving it out after setting it clears the notes. */
  notes?: pulumi.Input<string>;
  /**
   * Take over an API member that already exists with this identifier (it is updated to these
   * values and reactivated). Without it, an existing identifier fails the create.
   */
  adopt?: pulumi.Input<boolean>;
}

/**
 * An API member managed as code. The ConnectWise API cannot delete members: destroying or
 * replacing this resource deactivates the member (inactiveFlag), so its keys stop
 * authenticating. Use the `retainOnDelete` resource option to leave it active instead.
 */
export class ApiMember extends pulumi.dynamic.Resource {
  declare readonly identifier: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly email: pulumi.Output<string>;
  declare readonly securityRole: pulumi.Output<string>;
  declare readonly level: pulumi.Output<string>;
  declare readonly businessUnit: pulumi.Output<string>;
  declare readonly location: pulumi.Output<string>;
  declare readonly defaultTerritory: pulumi.Output<string>;
  declare readonly notes: pulumi.Output<string | undefined>;
  declare readonly adopt: pulumi.Output<boolean | undefined>;
  /** The member's id in ConnectWise. */
  declare readonly memberId: pulumi.Output<number>;
  /** True when the member is deactivated (found by refresh; the next `up` reactivates it). */
  declare readonly inactive: pulumi.Output<boolean>;

  constructor(name: string, args: ApiMemberArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { notes: undefined, adopt: undefined, memberId: undefined, inactive: undefined, ...args },
      opts,
      "connectwise",
      "ApiMember",
    );
  }
}
