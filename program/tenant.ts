// The program behind every tenant stack: its connection and the integrations it needs.
import * as pulumi from "@pulumi/pulumi";
import { RunError } from "@pulumi/pulumi/errors";
import { z } from "zod";
import { didYouMean, quoted, suggestion } from "../catalog";
import * as path from "path";
import { OperatorChecklist } from "../resources/operatorChecklist";
import { Integration } from "./integration";
import { resolveIntegration } from "./resolve";
import { describeIssues, inConfig } from "./issues";
import { defaultIntegrationsDir, KnownIntegration, knownIntegrations } from "./userIntegrations";
import { packageRoot } from "../pulumi-runtime/packageRoot";

const MemberSettings = z.strictObject({
  identifier: z.string(),
  name: z.string(),
  email: z.string(),
  level: z.string(),
  businessUnit: z.string(),
  location: z.string(),
  defaultTerritory: z.string(),
});

const IntegrationSettings = z.strictObject({
  /** The id of a shipped preset (program/presets.json) or of a file in integrations/. */
  kind: z.string(),
  /** The component's name in this stack; defaults to the kind. */
  name: z.string().optional(),
  roleName: z.string().optional(),
  adopt: z.boolean().optional(),
  /** One of the integration's tiers (program/resolve.ts). */
  tier: z.string().optional(),
  /** Some of the integration's optional blocks; [] for none. */
  options: z.array(z.string()).optional(),
  member: MemberSettings,
});

const StackIntegrations = z.array(IntegrationSettings);
type IntegrationSettings = z.infer<typeof IntegrationSettings>;

/** One message for everything wrong; a RunError, so Pulumi prints it without a stack trace. */
function fail(problems: string[]): never {
  throw new RunError(problems.length === 1 ? problems[0] : `stack config is invalid:\n  ${problems.join("\n  ")}`);
}

/** `<project>:integrations`, validated: every problem named by its config key. */
function readIntegrations(known: Map<string, KnownIntegration>): IntegrationSettings[] {
  const key = `${pulumi.getProject()}:integrations`;
  const kinds = [...known.keys()];
  const raw = new pulumi.Config().get("integrations");
  if (raw === undefined) {
    fail([
      `${key}: missing; list this stack's integrations in Pulumi.${pulumi.getStack()}.yaml ` +
        `(e.g. "- kind: elements" with its member; see the README), known kinds: ${kinds.join(", ")}`,
    ]);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw; // a plain string: reported below as "expected array"
  }
  const parsed = StackIntegrations.safeParse(value);
  const problems = parsed.success ? [] : describeIssues(inConfig(key), StackIntegrations, value, parsed.error);
  if (Array.isArray(value)) {
    const names = new Map<string, number>();
    value.forEach((item: unknown, i) => {
      if (typeof item !== "object" || item === null) return;
      const { kind, name, tier, options } = item as {
        kind?: unknown;
        name?: unknown;
        tier?: unknown;
        options?: unknown;
      };
      const definition = typeof kind === "string" ? known.get(kind)?.definition : undefined;
      if (definition && (typeof tier === "string" || Array.isArray(options))) {
        try {
          resolveIntegration(definition, {
            tier: typeof tier === "string" ? tier : undefined,
            options: Array.isArray(options) ? options.filter((o): o is string => typeof o === "string") : undefined,
          });
        } catch (error) {
          problems.push(`${key}[${i}]: ${(error as Error).message}`);
        }
      }
      if (typeof kind === "string" && !known.has(kind)) {
        problems.push(
          `${key}[${i}].kind: unknown kind "${kind}"${suggestion(didYouMean(kind, kinds, 1))}; known kinds: ${kinds.join(", ")}`,
        );
      }
      // Two entries under one name would declare the same resource names.
      const componentName = typeof name === "string" ? name : kind;
      if (typeof componentName !== "string") return;
      const earlier = names.get(componentName);
      if (earlier !== undefined) {
        problems.push(
          `${key}[${i}]: name ${quoted([componentName])} is already used by ${key}[${earlier}]; give one of them a "name"`,
        );
      } else names.set(componentName, i);
    });
  }
  if (problems.length > 0) fail(problems);
  return parsed.data!;
}

/** The tenant, as each integration's setup screen asks for it: the stack config, else the environment. */
function tenantSetting(name: "site" | "companyId", env: string): string {
  const value = new pulumi.Config("connectwise").get(name) ?? process.env[env];
  if (!value)
    fail([`connectwise:${name}: missing; set it with \`pulumi config set connectwise:${name} <value>\` or ${env}`]);
  return value;
}

export interface TenantProgramOptions {
  /** The folder of the user's own integration files; default: integrations/ at the project root. */
  integrationsDir?: string;
  /** Where the stack's operator runbook (`<stack>.md`) is written; default: runbooks/ at the project root. */
  runbookDir?: string;
}

/**
 * Declares this stack's integrations from its config (`<project>:integrations`, a list) and
 * returns the stack outputs. Called by index.ts, and by the Automation API as an inline program.
 * Bad config or a bad integration file throws one RunError naming every problem's place.
 */
export function tenantProgram(options: TenantProgramOptions = {}) {
  const known = knownIntegrations(options.integrationsDir ?? defaultIntegrationsDir());
  const settings = readIntegrations(known);
  const site = tenantSetting("site", "CONNECTWISE_SITE");
  const companyId = tenantSetting("companyId", "CONNECTWISE_COMPANY_ID");

  // Per integration, what its own setup screen asks for; the private key stays a secret.
  const integrations: Record<string, Record<string, pulumi.Output<string>>> = {};
  const consoleWork: Integration["consoleWork"] = [];
  for (const s of settings) {
    const name = s.name ?? s.kind;
    const integration = new Integration(known.get(s.kind)!.definition, name, {
      member: s.member,
      roleName: s.roleName,
      adopt: s.adopt,
      tier: s.tier,
      options: s.options,
    });
    consoleWork.push(...integration.consoleWork);
    integrations[name] = {
      site: pulumi.output(site),
      companyId: pulumi.output(companyId),
      memberIdentifier: integration.memberIdentifier,
      publicKey: integration.publicKey,
      privateKey: integration.privateKey,
    };
  }
  // Declared last: `up` creates everything the API can, then this fails once with every console
  // step of the stack, and writes them as a runbook.
  new OperatorChecklist("checklist", {
    resources: consoleWork,
    // Absolute: the provider process runs in the directory of the program's main (dist/), not the project's.
    runbook: path.resolve(options.runbookDir ?? path.join(packageRoot(), "runbooks"), `${pulumi.getStack()}.md`),
  });
  return { integrations };
}
