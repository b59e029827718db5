import * as pulumi from "@pulumi/pulumi";
import { ApiKey } from "./apiKey";
import { DynamicResource } from "../pulumi-runtime/dynamicResource";
import { coveredByChecklist } from "./consoleWork";
import { SecurityRole } from "./securityRole";
import { TableSetupAccess } from "./tableSetupAccess";
// Types only (erased at compile time).
import type { PendingItem } from "../review/records";

/** A resource whose console steps the checklist gathers (an ApiKey: the tokens that may exist unseen). */
export type ChecklistSource = SecurityRole | TableSetupAccess | ApiKey;

export interface OperatorChecklistArgs {
  /** The resources whose `pendingSteps` make up the checklist, in the order the operator should visit them. */
  resources: ChecklistSource[];
  /**
   * Where to write the Markdown runbook (e.g. `/path/to/project/runbooks/<stack>.md`). Give an
   * absolute path: a relative one is taken from the provider's working directory, the directory
   * of the program's `main`.
   */
  runbook?: pulumi.Input<string>;
  /** The stack named in "what to run next"; default: the current stack. */
  stack?: pulumi.Input<string>;
}

function itemOf(resource: ChecklistSource): pulumi.Output<PendingItem> {
  if (resource instanceof ApiKey)
    return pulumi
      .all([resource.member, resource.unanswered, resource.description, resource.source, resource.expiration])
      .apply(([member, unanswered, description, source, expiration]) => ({
        resource: `ApiKey for member ${member}`,
        tenant: "",
        steps: [],
        unansweredTokens: unanswered ?? [],
        key: { member, description: description ?? "", source: source ?? "token", expiration: expiration ?? "" },
      }));
  const label =
    resource instanceof SecurityRole
      ? pulumi.interpolate`SecurityRole ${resource.name}`
      : pulumi.interpolate`TableSetupAccess ${resource.role}/${resource.member}`;
  return pulumi
    .all([label, resource.tenant, resource.pendingSteps])
    .apply(([name, tenant, steps]) => ({ resource: name, tenant, steps: steps ?? [] }));
}

/**
 * The stack's one operator checklist. Declare it after everything else (the tenant program
 * does): `up` creates all the API can create, then this fails once with every console step of
 * every listed resource, numbered in click order and grouped by screen, and writes the same as
 * a runbook; once the operator has done them, the next `up` verifies and this succeeds.
 *
 *     new OperatorChecklist("checklist", { resources: [role, access], runbook: "runbooks/acme.md" });
 */
export class OperatorChecklist extends DynamicResource {
  /** Steps pending at the last successful run (0: converged). */
  declare readonly pending: pulumi.Output<number>;
  /** The runbook's absolute path ("" when none). */
  declare readonly runbookPath: pulumi.Output<string>;

  constructor(name: string, args: OperatorChecklistArgs, opts?: pulumi.CustomResourceOptions) {
    // Their steps fail the up here, once, not on each of them (resources/consoleWork.ts).
    for (const resource of args.resources) coveredByChecklist(resource);
    super(
      "operatorChecklist",
      "OperatorChecklist",
      name,
      {
        stack: args.stack ?? pulumi.getStack(),
        items: args.resources.map(itemOf),
        runbook: args.runbook,
        pending: undefined,
        runbookPath: undefined,
      },
      opts,
    );
  }
}
