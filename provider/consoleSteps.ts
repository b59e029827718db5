// What the published API cannot write is handed to the operator as console steps: exact menu
// paths, in the order an operator clicks, and the values to set. Used by the handlers for the
// preview lines (diff) and for the checklist a resource fails with until the steps are done.

import { PartialFailure } from "./handlerKit";

/** One thing the operator sets in the Manage UI. */
export interface ConsoleStep {
  /** The menu path, e.g. ["System", "Security Roles", "ElementsAPI", "Finance", "Agreements"]. */
  menuPath: string[];
  /** The field on that page, e.g. "Add Level". */
  field: string;
  /** What to set it to (or the action, e.g. "add 'Service / Service Board'"). */
  value: string;
  /** What it is now, when known. */
  current?: string;
  /**
   * How the line reads: "set" (default) "set {field} to {value}"; "add"/"remove" for list
   * fields: "add '{value}' in {field}" / "remove '{value}' from {field}".
   */
  action?: "set" | "add" | "remove";
}

/** One difference between the live object and the declared one, for the preview. */
export interface PendingDifference {
  /** Which part of the resource, e.g. "Finance/Agreements". */
  key: string;
  /** The field within it, e.g. "add". */
  field: string;
  current: string;
  desired: string;
}

const FINAL_INSTRUCTION = "Do these in the Manage UI, then run `pulumi up` again to verify.";

/** One checklist line without its number: "System > ... > Agreements: set Add Level to All (now None)". */
export function formatStep(step: ConsoleStep): string {
  const now = step.current === undefined ? "" : ` (now ${step.current})`;
  const what =
    step.action === "add"
      ? `add '${step.value}' in ${step.field}`
      : step.action === "remove"
        ? `remove '${step.value}' from ${step.field}`
        : `set ${step.field} to ${step.value}`;
  return `${step.menuPath.join(" > ")}: ${what}${now}`;
}

/** The numbered checklist, in the given (click) order, headed by the tenant and the resource. */
export function formatChecklist(tenant: string, resource: string, steps: ConsoleStep[]): string {
  const lines = steps.map((step, i) => `${i + 1}. ${formatStep(step)}`);
  return [
    `${resource} on ${tenant} needs ${steps.length} console step${steps.length === 1 ? "" : "s"}:`,
    ...lines,
  ].join("\n");
}

/** One line per difference: "SecurityRole ElementsAPI: Finance/Agreements add: None => All". */
export function previewLines(resource: string, diffs: PendingDifference[]): string[] {
  return diffs.map((d) => `${resource}: ${d.key} ${d.field}: ${d.current} => ${d.desired}`);
}

/**
 * The rejection a create/update ends with while console steps remain. Pulumi keeps `id` and
 * `properties` in the state (partial failure), so nothing is orphaned and the next `up` calls
 * update(), which verifies again. `reasons` holds the numbered checklist lines, one per step.
 */
export function pendingStepsError(args: {
  id: string;
  properties: object;
  tenant: string;
  resource: string;
  steps: ConsoleStep[];
}): PartialFailure {
  const checklist = formatChecklist(args.tenant, args.resource, args.steps);
  return new PartialFailure(
    `${checklist}\n${FINAL_INSTRUCTION}`,
    args.id,
    args.properties,
    args.steps.map((step, i) => `${i + 1}. ${formatStep(step)}`),
  );
}
