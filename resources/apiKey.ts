import * as pulumi from "@pulumi/pulumi";
import { DynamicResource } from "../pulumi-runtime/dynamicResource";
// Types only (erased at compile time): the args are derived from the provider's field table.
import type { ApiKeyArgs, KeySource } from "../provider/apiKey";
import type { UnansweredToken } from "../review/records";

export type { ApiKeyArgs };

/**
 * An API key pair of a member. The published API can neither list nor revoke keys: refresh
 * drops a key that no longer authenticates (preview already reports it as drift), and destroying
 * it only prints where the operator revokes it (System > Members > API Members > {member} > API Keys).
 */
export class ApiKey extends DynamicResource {
  declare readonly member: pulumi.Output<string>;
  declare readonly description: pulumi.Output<string>;
  declare readonly source: pulumi.Output<KeySource>;
  declare readonly rotateBefore: pulumi.Output<string>;
  declare readonly publicKey: pulumi.Output<string>;
  /** Secret. */
  declare readonly privateKey: pulumi.Output<string>;
  /** When the key stops authenticating (ISO 8601); "" for console keys, which do not expire. */
  declare readonly expiration: pulumi.Output<string>;
  /** The member the key authenticates as, as the tenant spells it. */
  declare readonly memberIdentifier: pulumi.Output<string>;
  /** True for a console key: verified, not made, by the stack; destroy leaves it as it is. */
  declare readonly adopted: pulumi.Output<boolean>;
  /** A console key: when the stack first verified it (ISO 8601); the guardrails hold its age. */
  declare readonly verifiedSince: pulumi.Output<string | undefined>;
  /**
   * Token POSTs that got no answer, each of which may have minted a key the stack never received
   * (member, time; the OperatorChecklist's runbook lists them for the operator to revoke).
   */
  declare readonly unanswered: pulumi.Output<UnansweredToken[] | undefined>;

  constructor(name: string, args: ApiKeyArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      source: undefined,
      rotateBefore: undefined,
      publicKey: undefined,
      expiration: undefined,
      memberIdentifier: undefined,
      adopted: undefined,
      verifiedSince: undefined,
      unanswered: undefined,
      ...args,
      // Names the create journal's records of its token POSTs (the provider does not know the stack).
      owner: `${pulumi.getProject()}/${pulumi.getStack()}/${name}`,
      // A console key's private key is an input too: keep it secret in the state's inputs as well.
      privateKey: args.privateKey === undefined ? undefined : pulumi.secret(args.privateKey),
    };
    super("apiKey", "ApiKey", name, props, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["privateKey"] }));
  }
}
