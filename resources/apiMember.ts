import * as pulumi from "@pulumi/pulumi";
import { DynamicResource } from "../pulumi-runtime/dynamicResource";
// Types only (erased at compile time): the args are derived from the provider's field table.
import type { ApiMemberArgs } from "../provider/apiMember";

export type { ApiMemberArgs };

/**
 * An API member (System > Members > API Members) managed as code. Names are resolved to the
 * tenant's ids when written; `pulumi preview` fails at check for a level, business unit,
 * location or territory that does not exist, listing the ones that do.
 *
 * How the UI's fields map to the API (inferred, the vendor does not document it): `level` ->
 * `structureLevel`, `businessUnit` -> `defaultDepartment`, `location` -> `securityLocation` and
 * `defaultLocation`, `defaultTerritory` -> `salesDefaultLocation`, `securityRole` ->
 * `securityRole`, `email` -> `emailAddress`.
 *
 * The ConnectWise API cannot delete members: destroying or replacing this resource deactivates
 * a member the stack created (inactiveFlag), so its keys stop authenticating. A member taken over
 * with `adopt: true` is released as it is (set `deactivateAdopted: true` to deactivate it too).
 *
 * The member's notes end with the stack's marker, `managed by connectwise-iac:
 * <project>/<stack>/<resource name>`: another stack declaring the same identifier is refused,
 * and this stack takes its own member back (reactivating it) after a destroy without `adopt`.
 */
export class ApiMember extends DynamicResource {
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
  declare readonly deactivateAdopted: pulumi.Output<boolean | undefined>;
  /** `<project>/<stack>/<resource name>`: who manages the member (the marker in its notes). */
  declare readonly owner: pulumi.Output<string>;
  /** True when the stack took the member over instead of creating it. */
  declare readonly adopted: pulumi.Output<boolean>;
  /** The member's id in ConnectWise. */
  declare readonly memberId: pulumi.Output<number>;
  /** True when the member is deactivated (found by refresh; the next `up` reactivates it). */
  declare readonly inactive: pulumi.Output<boolean>;

  constructor(name: string, args: ApiMemberArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "apiMember",
      "ApiMember",
      name,
      {
        notes: undefined,
        adopt: undefined,
        deactivateAdopted: undefined,
        memberId: undefined,
        inactive: undefined,
        adopted: undefined,
        refs: undefined,
        ...args,
        // The ownership marker: the provider process does not know the project, stack or resource name.
        owner: `${pulumi.getProject()}/${pulumi.getStack()}/${name}`,
      },
      opts,
    );
  }
}
