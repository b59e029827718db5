import * as pulumi from "@pulumi/pulumi";
import { runtimeProviderText } from "./runtimeProvider";

/**
 * What pulumi.dynamic.Resource is (type `pulumi-nodejs:dynamic/connectwise:<type>`, run by the
 * pulumi-nodejs provider plugin, handlers named by `__provider`), with runtimeProviderText as
 * `__provider` instead of a closure serialized at every run.
 */
export abstract class DynamicResource extends pulumi.CustomResource {
  /** The URN the engine gives this resource, known before its registration is answered. */
  readonly plannedUrn: Promise<string>;

  protected constructor(
    handlerModule: string,
    type: string,
    name: string,
    props: pulumi.Inputs,
    opts?: pulumi.CustomResourceOptions,
  ) {
    const fullType = `pulumi-nodejs:dynamic/connectwise:${type}`;
    super(fullType, name, { ...props, __provider: runtimeProviderText(handlerModule) }, opts);
    this.plannedUrn = plannedUrn(fullType, name, opts?.parent);
  }
}

/** The URN of a resource of `type` named `name` under `parent` (the stack when none), as the SDK's createUrn builds it. */
function plannedUrn(type: string, name: string, parent: pulumi.Resource | undefined): Promise<string> {
  const root = `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::`;
  if (!parent) return Promise.resolve(`${root}${type}::${name}`);
  // A component's URN is known once its registration is answered, which needs no provider.
  return new Promise((resolve) =>
    parent.urn.apply((parentUrn) => {
      const prefix = parentUrn.substring(0, parentUrn.lastIndexOf("::")) + "$";
      resolve(`${prefix.endsWith("::pulumi:pulumi:Stack$") ? root : prefix}${type}::${name}`);
    }),
  );
}

/**
 * `resource` for another resource's `dependsOn`. In an update, the resource itself: the dependent
 * registers once the resource's own registration is answered (created, updated or unchanged),
 * which is what orders creates and deletes. In a preview, where nothing is written, a stand-in
 * with the same URN: the engine records the same dependency, but the dependent registers at once
 * instead of after the resource's diff, so a preview's reads (one or two per resource) run side by
 * side rather than one engine round trip and one request after another.
 */
export function dependencyOn(resource: DynamicResource): pulumi.Input<pulumi.Resource> {
  if (!pulumi.runtime.isDryRun()) return resource;
  return resource.plannedUrn.then((urn) => new pulumi.DependencyResource(urn));
}
