import * as pulumi from "@pulumi/pulumi";
import { runtimeProvider } from "./runtimeProvider";
// Types only (erased at compile time): the args are derived from the provider's field table.
import type { TableSetupAccessArgs } from "../provider/tableSetupAccess";

export type { TableSetupAccessArgs };

const provider = runtimeProvider("tableSetupAccess");

/**
 * A role's Table Setup access (System > Security Roles > role > System > Table Setup >
 * Customize). The published API can neither read nor write it for a role, so it is verified
 * by calling as an API member on the role; `pulumi up` fails with the console checklist until
 * the operator has set it. Deleting it changes nothing in ConnectWise.
 */
export class TableSetupAccess extends pulumi.dynamic.Resource {
  /** The role whose list this is. */
  declare readonly role: pulumi.Output<string>;
  /** The API member whose key verifies it. */
  declare readonly member: pulumi.Output<string>;
  declare readonly publicKey: pulumi.Output<string>;
  /** Secret. */
  declare readonly privateKey: pulumi.Output<string>;
  /** The declared entries, sorted, in catalog spelling. */
  declare readonly tables: pulumi.Output<string[]>;
  /** The entries the member's key was allowed at the last verification. */
  declare readonly verified: pulumi.Output<string[]>;

  constructor(name: string, args: TableSetupAccessArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { ...args, verified: undefined },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["privateKey"] }),
      "connectwise",
      "TableSetupAccess",
    );
  }
}
