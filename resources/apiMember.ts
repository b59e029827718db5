import * as pulumi from "@pulumi/pulumi";
import { runtimeProvider } from "./runtimeProvider";
// Types only (erased at compile time): the args are derived from the provider's field table.
import type { ApiMemberArgs } from "../provider/apiMember";

/** Serialized into the state as `__provider`; loads dist/provider/apiMember.js at run time. */
const provider = runtimeProvider("apiMember");

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
 * the member (inactiveFlag), so its keys stop authenticating. Use the `retainOnDelete` resource
 * option to leave it active instead.
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
