import * as pulumi from "@pulumi/pulumi";
import { runtimeProviderText } from "./runtimeProvider";

/**
 * What pulumi.dynamic.Resource is (type `pulumi-nodejs:dynamic/connectwise:<type>`, run by the
 * pulumi-nodejs provider plugin, handlers named by `__provider`), with runtimeProviderText as
 * `__provider` instead of a closure serialized at every run.
 */
export abstract class DynamicResource extends pulumi.CustomResource {
  protected constructor(
    handlerModule: string,
    type: string,
    name: string,
    props: pulumi.Inputs,
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      `pulumi-nodejs:dynamic/connectwise:${type}`,
      name,
      { ...props, __provider: runtimeProviderText(handlerModule) },
      opts,
    );
  }
}
