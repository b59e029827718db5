import * as pulumi from "@pulumi/pulumi";
import { runtimeProvider } from "./runtimeProvider";

export interface TableSetupAccessArgs {
  /** The security role whose Table Setup "Allow access to these" list this declares (e.g. a SecurityRole's `name`). */
  role: pulumi.Input<string>;
  /** The identifier of an API member on `role`; its key reads the list back (e.g. an ApiMember's `identifier`). */
  member: pulumi.Input<string>;
  /** That member's public key (e.g. an ApiKey's `publicKey`). */
  publicKey: pulumi.Input<string>;
  /** That member's private key (e.g. an ApiKey's `privateKey`); kept secret in the state. */
  privateKey: pulumi.Input<string>;
  /**
   * The Table Setup entries the role may use, "Category / Table" as System > Table Setup lists
   * them (e.g. "Service / Service Board"); a set: order does not matter, duplicates are an
   * error. Exactly these: an entry allowed by hand but not listed is drift.
   */
  tables: pulumi.Input<pulumi.Input<string>[]>;
}

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
