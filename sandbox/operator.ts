// `npm run sandbox -- operator --stack <name>`: plays the operator on a sandbox tenant, from the
// stack's state: every console step its SecurityRoles and TableSetupAccess resources still list
// (`pendingSteps`, as the last `up` left them) is done through the sandbox's console plane, as
// someone clicking them in the Manage UI would. The steps come as data (the records the handlers
// wrote into the state), never parsed from the runbook's text. Then `pulumi up` verifies them.
//
// A tool beside the sandbox, for people trying the project without a tenant: it reads the stack
// with the project's Pulumi CLI (pulumiCli.ts) and talks to nothing but the console plane, which
// answers only loopback; a real tenant has no console plane, so it cannot change one.
import * as path from "path";
import { parseArgs } from "util";
import { functionKey, isPermissionField, parseLevel, type Level, type PermissionField } from "../catalog";
import { type ConsoleStep, changesOf } from "../review/records";
import { inClickOrder } from "../review/renderChecklist";
import { formatStep } from "../review/renderLine";
import { SandboxConsole, type PermissionUpdate } from "./console";

export const OPERATOR_USAGE = `Usage: npm run sandbox -- operator --stack <name> [--cwd <project dir>] [--console <url>] [--dry-run]

Plays the operator on a sandbox tenant: does, through the sandbox's console plane, every console
step the stack's state lists as pending (the checklist of its last \`up\`), then prints them.
Run \`npm run pulumi -- up --yes --stack <name>\` afterwards: it verifies them and converges.

Options:
  --stack NAME     the stack whose pending steps to do (required)
  --cwd DIR        the project folder (default: the nearest Pulumi.yaml at or above this folder)
  --console URL    the sandbox's consoleUrl (default: the stack's connectwise:site + /console)
  --dry-run        print the steps, change nothing
  --help           this text
`;

/** What the operator does on one role: levels per "Module/Function", and the list's entries. */
export interface RoleWork {
  permissions: PermissionUpdate;
  add: string[];
  remove: string[];
}

const LEVEL_FIELD: Record<string, PermissionField> = {
  "Add Level": "add",
  "Edit Level": "edit",
  "Delete Level": "delete",
  "Inquire Level": "inquire",
};

/**
 * The steps as console work per role, from their data: a function row's levels
 * (System > Security Roles > role > Module > Function), a Table Setup list's entries
 * (... > System > Table Setup > Customize). A step of any other shape is refused by name.
 */
export function operatorWork(steps: readonly ConsoleStep[]): Map<string, RoleWork> {
  const work = new Map<string, RoleWork>();
  for (const step of steps) {
    const [system, roles, role, module, fn, customize, ...rest] = step.menuPath;
    if (system !== "System" || roles !== "Security Roles" || !role || !module || !fn || rest.length > 0)
      throw new Error(`not a security-role step: ${formatStep(step)}`);
    const entry = work.get(role) ?? { permissions: {}, add: [], remove: [] };
    work.set(role, entry);
    for (const change of changesOf(step)) {
      if (customize === "Customize") {
        if (change.action === "add") entry.add.push(change.value);
        else if (change.action === "remove") entry.remove.push(change.value);
        else throw new Error(`not a list step: ${formatStep(step)}`);
        continue;
      }
      const field = LEVEL_FIELD[change.field];
      const level: Level | undefined = parseLevel(change.value, true);
      if (customize !== undefined || !field || !isPermissionField(field) || !level)
        throw new Error(`not a level step: ${formatStep(step)}`);
      const key = functionKey(module, fn);
      entry.permissions[key] = { ...entry.permissions[key], [field]: level };
    }
  }
  return work;
}

/** Does the work through the console plane; a list step edits the role's list as it is now. */
export async function playOperator(operator: SandboxConsole, work: Map<string, RoleWork>): Promise<void> {
  for (const [role, { permissions, add, remove }] of work) {
    if (Object.keys(permissions).length > 0) await operator.setPermissions(role, permissions);
    if (add.length > 0 || remove.length > 0) {
      const now = (await operator.role(role)).tableSetup;
      const tables = [...now.filter((t) => !remove.includes(t)), ...add.filter((t) => !now.includes(t))];
      await operator.setTableSetup(role, tables);
    }
  }
}

/** The pending steps a stack's exported state lists, per resource in state order. */
export function pendingStepsOf(deployment: unknown): ConsoleStep[] {
  const resources = (deployment as { resources?: { outputs?: { pendingSteps?: unknown } }[] })?.resources ?? [];
  return resources.flatMap((r) =>
    Array.isArray(r.outputs?.pendingSteps) ? (r.outputs.pendingSteps as ConsoleStep[]) : [],
  );
}

/** The sandbox's console plane for a stack whose site is the sandbox's url. */
export function consoleUrlOf(site: string): string {
  return `${(site.includes("://") ? site : `http://${site}`).replace(/\/+$/, "")}/console`;
}

/** The command; resolves to its exit code (0 done, 1 a failure, 2 a bad argument). */
export async function operatorCommand(
  argv: string[],
  out: (text: string) => void,
  err: (text: string) => void = out,
): Promise<number> {
  let values: { stack?: string; cwd?: string; console?: string; "dry-run"?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: argv,
      options: {
        stack: { type: "string", short: "s" },
        cwd: { type: "string", short: "C" },
        console: { type: "string" },
        "dry-run": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
    if (!values.help && !values.stack) throw new Error("--stack is required");
  } catch (error) {
    err(`sandbox operator: ${(error as Error).message}\n${OPERATOR_USAGE}`);
    return 2;
  }
  if (values.help) {
    out(OPERATOR_USAGE);
    return 0;
  }
  // Loaded here: the sandbox server itself needs none of the Pulumi tooling.
  const { LocalWorkspace, PulumiCommand } = await import("@pulumi/pulumi/automation");
  const { projectDir, pulumiBinDir, pulumiEnv } = await import("../pulumi-runtime/pulumiCli");
  const cwd = projectDir(values.cwd ?? process.cwd());
  const bin = await pulumiBinDir();
  const envVars = Object.fromEntries(Object.entries(pulumiEnv(bin, cwd)).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  const stack = await LocalWorkspace.selectStack(
    { stackName: values.stack!, workDir: cwd },
    { pulumiCommand: await PulumiCommand.get({ root: path.dirname(bin) }), envVars },
  );
  // In click order, as the checklist lists them.
  const steps = inClickOrder(pendingStepsOf((await stack.exportStack()).deployment));
  if (steps.length === 0) {
    out(`Nothing pending in the state of stack ${values.stack}: no console step to do.\n`);
    return 0;
  }
  const work = operatorWork(steps);
  const site = values.console ? undefined : (await stack.getConfig("connectwise:site")).value;
  const consoleUrl = values.console ?? consoleUrlOf(site!);
  if (!values["dry-run"]) await playOperator(new SandboxConsole(consoleUrl), work);
  out(
    `${values["dry-run"] ? "Would do" : "Done"} on ${consoleUrl}, as the operator in the Manage UI:\n` +
      steps.map((s) => `  ${formatStep(s)}\n`).join("") +
      (values["dry-run"] ? "" : `Next: npm run pulumi -- up --yes --stack ${values.stack} (it verifies them)\n`),
  );
  return 0;
}
