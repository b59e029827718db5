import * as pulumi from "@pulumi/pulumi";
import { runtimeProvider } from "./runtimeProvider";

/** Serialized into the state as `__provider`; loads dist/provider/apiKey.js at run time. */
const provider = runtimeProvider("apiKey");

export interface ApiKeyArgs {
  /** Identifier of the member the key belongs to, e.g. an ApiMember's `identifier` output. */
  member: pulumi.Input<string>;
  /** What the key is for; changing it replaces the key. */
  description: pulumi.Input<string>;
  /**
   * "token" (default): minted through POST /system/members/{member}/tokens; such keys expire
   * and are replaced `rotateBefore` ahead of their expiration. "console": a persistent key made
   * by the operator in System > Members > {member} > API Keys, given as `publicKey` and
   * `privateKey` and verified by authenticating with it.
   */
  source?: pulumi.Input<"token" | "console">;
  /** With source "console" only: the key's public key. */
  publicKey?: pulumi.Input<string>;
  /** With source "console" only: the key's private key (kept secret in the state). */
  privateKey?: pulumi.Input<string>;
  /**
   * How long before its expiration a token is replaced by a new one: days, hours or minutes,
   * e.g. "7d" (default), "12h", "30m", "1d12h". Checked at every preview and up.
   */
  rotateBefore?: pulumi.Input<string>;
}

/**
 * An API key pair of a member. The published API can neither list nor revoke keys: refresh
 * drops a key that no longer authenticates, and destroying it only prints where the operator
 * revokes it (System > Members > {member} > API Keys).
 */
export class ApiKey extends pulumi.dynamic.Resource {
  declare readonly member: pulumi.Output<string>;
  declare readonly description: pulumi.Output<string>;
  declare readonly source: pulumi.Output<"token" | "console">;
  declare readonly rotateBefore: pulumi.Output<string>;
  declare readonly publicKey: pulumi.Output<string>;
  /** Secret. */
  declare readonly privateKey: pulumi.Output<string>;
  /** When the key stops authenticating (ISO 8601); "" for console keys, which do not expire. */
  declare readonly expiration: pulumi.Output<string>;
  /** The member the key authenticates as, as the tenant spells it. */
  declare readonly memberIdentifier: pulumi.Output<string>;

  constructor(name: string, args: ApiKeyArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      source: undefined,
      rotateBefore: undefined,
      publicKey: undefined,
      expiration: undefined,
      memberIdentifier: undefined,
      ...args,
      // A console key's private key is an input too: keep it secret in the state's inputs as well.
      privateKey: args.privateKey === undefined ? undefined : pulumi.secret(args.privateKey),
    };
    super(
      provider,
      name,
      props,
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["privateKey"] }),
      "connectwise",
      "ApiKey",
    );
  }
}
