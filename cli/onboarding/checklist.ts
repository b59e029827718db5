// `npm run checklist -- --stack <name>`: prints the console steps a stack still needs, without
// changing anything. It runs a preview (check and diff only: reads, never a write) through the
// Automation API with a records file (CW_IAC_RECORDS), takes the step records the handlers wrote
// there, and lays them out as the one checklist `up` would print. Exit code 0: nothing pending;
// 2: steps pending; 1: the preview itself failed.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import type { ConsoleStep, ReviewRecord } from "../../review/records";
import { RECORDS_ENV, readRecords } from "../../review/recordsFile";
import { buildChecklist, distinctSteps, formatChecklistText, inClickOrder } from "../../review/renderChecklist";
import { knownIntegrations } from "../../program/userIntegrations";
import { askedFor, describeSelection, resolveIntegration } from "../../program/resolve";
import { CommandIo, runAsMain } from "../shared/command";
import { describePulumiFailure } from "../shared/pulumiErrors";
import { projectDir, pulumiBinDir, pulumiEnv } from "../../pulumi-runtime/pulumiCli";

export const EXIT_NOTHING_PENDING = 0;
export const EXIT_STEPS_PENDING = 2;

const USAGE = "usage: npm run checklist -- --stack <name> [--cwd <project dir>]";

interface Options {
  stack: string;
  cwd: string;
}

/** The options from the command line; `undefined` when the user asked for --help. */
function optionsOf(argv: string[], cwd: string): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: { stack: { type: "string", short: "s" }, cwd: { type: "string", short: "C" }, help: { type: "boolean" } },
  });
  if (values.help) return undefined;
  if (!values.stack) throw new Error("--stack is required");
  return { stack: values.stack, cwd: projectDir(values.cwd ?? cwd) };
}

/** "companyId at host", as the handlers name the tenant. */
function tenantOf(site: string | undefined, companyId: string | undefined): string {
  if (!site || !companyId) return "";
  let host = site;
  try {
    host = new URL(site.includes("://") ? site : `https://${site}`).host;
  } catch {
    // keep the site as written
  }
  return `${companyId} at ${host}`;
}

/**
 * The operator's steps among the records a preview wrote, each once, in click order: role
 * screens in the order of `roles` (as the stack declares them), as `up` prints them.
 */
export function pendingSteps(records: ReviewRecord[], roles: string[] = []): ConsoleStep[] {
  const steps = records.flatMap((record) => (record.kind === "step" ? [record.step] : []));
  return inClickOrder(
    distinctSteps(steps),
    roles.map((role) => `System > Security Roles > ${role}`),
  );
}

/**
 * The stack's roles in the order its config declares the integrations, as the tenant program
 * declares them and `up` prints them; [] when the config cannot be read that way.
 */
function declaredRoles(config: Record<string, { value: string }>, project: string): string[] {
  try {
    const entries = JSON.parse(config[`${project}:integrations`]?.value ?? "[]") as {
      kind?: string;
      roleName?: string;
    }[];
    const known = knownIntegrations();
    return entries.map((e) => e.roleName ?? known.get(e.kind ?? "")?.definition.roleName ?? "").filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * For each integration with tiers or options, the selection the stack makes and what each tier
 * or option beyond the base asks for: which block a step on its role comes from.
 */
export function selectionLines(config: Record<string, { value: string }>, project: string): string[] {
  try {
    const entries = JSON.parse(config[`${project}:integrations`]?.value ?? "[]") as {
      kind?: string;
      name?: string;
      tier?: string;
      options?: string[];
    }[];
    const known = knownIntegrations();
    return entries.flatMap((e) => {
      const definition = known.get(e.kind ?? "")?.definition;
      if (!definition || (!definition.tiers && !definition.options)) return [];
      const resolved = resolveIntegration(definition, { tier: e.tier, options: e.options });
      return [`${e.name ?? e.kind} (role ${resolved.roleName}): ${describeSelection(resolved)}${askedFor(resolved)}`];
    });
  } catch {
    return [];
  }
}

export async function checklist(options: Options): Promise<number> {
  const bin = await pulumiBinDir();
  const env = pulumiEnv(bin, options.cwd);
  const pulumiCommand = await PulumiCommand.get({ root: path.dirname(bin) });
  const recordsDir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-checklist-"));
  const envVars = Object.fromEntries(
    Object.entries({ ...env, [RECORDS_ENV]: path.join(recordsDir, "records.jsonl") }).filter(
      ([, v]) => v !== undefined,
    ),
  ) as Record<string, string>;
  let steps: ConsoleStep[];
  let tenant: string;
  let selections: string[];
  try {
    const stack = await LocalWorkspace.selectStack(
      { stackName: options.stack, workDir: options.cwd },
      { pulumiCommand, envVars },
    );
    const config = await stack.getAllConfig();
    tenant = tenantOf(config["connectwise:site"]?.value, config["connectwise:companyId"]?.value);
    const project = await stack.workspace.projectSettings().then((p) => p.name);
    const roles = declaredRoles(config, project);
    selections = selectionLines(config, project);
    // A preview calls only check() and diff(): reads against ConnectWise, nothing written.
    await stack.preview({ diff: false });
    steps = pendingSteps(readRecords(envVars[RECORDS_ENV]), roles);
  } finally {
    fs.rmSync(recordsDir, { recursive: true, force: true });
  }
  if (steps.length === 0) {
    console.log(
      `Nothing pending for stack ${options.stack}${tenant ? ` (${tenant})` : ""}: no console step is needed.`,
    );
    return EXIT_NOTHING_PENDING;
  }
  console.log(formatChecklistText(buildChecklist(tenant ? [tenant] : [], options.stack, steps)));
  if (selections.length > 0)
    console.log(
      [
        "",
        "Tiers and options (what asks for the steps beyond each base table):",
        ...selections.map((l) => `  ${l}`),
      ].join("\n"),
    );
  return EXIT_STEPS_PENDING;
}

/** The command as `npm run checklist` runs it: a bad argument is exit code 1, with the usage. */
async function main(argv: string[], io: CommandIo): Promise<number> {
  let options: Options | undefined;
  try {
    options = optionsOf(argv, io.cwd);
  } catch (error) {
    io.err(`checklist: ${(error as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (!options) {
    io.out(`${USAGE}\n`);
    return EXIT_NOTHING_PENDING;
  }
  try {
    return await checklist(options);
  } catch (error) {
    // The Automation API's error is the whole command result: print pulumi's own errors only.
    io.err(`checklist: ${describePulumiFailure(error, options.stack, io.env)}\n`);
    return 1;
  }
}

if (require.main === module) runAsMain("checklist", main);
