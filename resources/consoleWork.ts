// What the program side knows about console work across resources, so a stack never ends `up`
// clean while the operator still has steps to do, checklist or not:
//
//  - failWhilePending: once `up` has created or verified a SecurityRole or TableSetupAccess and
//    it still has steps pending, the program fails with them (one error on the resource, its
//    steps listed once, no stack trace), unless an OperatorChecklist lists the resource: that
//    checklist fails the up once with every step of the stack instead.
//  - declaredRole: the SecurityRoles the program declares, by name, so a TableSetupAccess that
//    names one as a string is judged as one given the resource is.
import * as pulumi from "@pulumi/pulumi";
import type { ConsoleStep } from "../review/records";
import { buildChecklist, formatChecklistText, inClickOrder } from "../review/renderChecklist";

/**
 * The exit code with which a Node.js Pulumi program tells its language host that it failed and
 * has said why (the SDK's own, for an error it has logged): the `up` fails, nothing more printed.
 */
const FAILED_AFTER_MESSAGE = 32;

/** A SecurityRole as the program declared it (resources/securityRole.ts `declared`). */
export interface DeclaredRole {
  /** The resource's label, e.g. `SecurityRole LifecycleManagerAPI`. */
  resource: string;
  permissions: Record<string, unknown>;
  exclusive?: boolean;
}

// On globalThis: two copies of this module (the package's and one nested in a program's
// node_modules) see the same program.
const KEY = Symbol.for("connectwise-iac.resources.consoleWork");
interface Registry {
  covered: WeakSet<pulumi.Resource>;
  roles: Map<string, DeclaredRole>;
}
type Global = typeof globalThis & { [KEY]?: Registry };
const registry: Registry = ((globalThis as Global)[KEY] ??= { covered: new WeakSet(), roles: new Map() });

/** An OperatorChecklist lists this resource: its steps fail the up there, once, with the stack's others. */
export function coveredByChecklist(resource: pulumi.Resource): void {
  registry.covered.add(resource);
}

/** Records a SecurityRole the program declares under a known name. */
export function declareRole(name: string, role: DeclaredRole): void {
  registry.roles.set(name.trim().toLowerCase(), role);
}

/** The SecurityRole of this name the program declares, if any (names compare as ConnectWise does: case-insensitively). */
export function declaredRole(name: string): DeclaredRole | undefined {
  return registry.roles.get(name.trim().toLowerCase());
}

/**
 * The error an `up` ends with when `resource` still has console steps and no OperatorChecklist
 * lists it. Judged once its outputs are known (after its create or update), by which time the
 * program has declared its checklist, if it has one. Preview never fails for it: the steps
 * show there as one pointer line per resource.
 */
export function failWhilePending(
  resource: pulumi.Resource,
  label: pulumi.Input<string>,
  tenant: pulumi.Input<string>,
  pendingSteps: pulumi.Output<ConsoleStep[]>,
): void {
  pulumi.all([label, tenant, pendingSteps]).apply(([name, on, steps]) => {
    if (pulumi.runtime.isDryRun() || registry.covered.has(resource) || !steps || steps.length === 0) return;
    const checklist = buildChecklist(on ? [on] : [], pulumi.getStack(), inClickOrder(steps));
    // One error on the resource, as written (a thrown error would print a stack trace); then the
    // program ends with the code that tells the language host the failure is already reported.
    void pulumi.log.error(
      `${name}: the console steps below are still to do (the published API cannot write them); ` +
        "this up fails until the next one verifies them. Declare an OperatorChecklist listing this " +
        "resource to get every step of the stack as one checklist and runbook.\n" +
        formatChecklistText(checklist),
      resource,
    );
    process.exitCode = FAILED_AFTER_MESSAGE;
  });
}
