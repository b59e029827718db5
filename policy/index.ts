// The least-privilege policy pack (@pulumi/policy), run by `npm run pulumi -- preview/up` when the
// stack's config asks for it (connectwise-iac:guardrails), by the fleet, and by
// `pulumi policy analyze --policy-pack policy` against a stack's state. Each policy's enforcement
// level comes from the policy pack config the wrapper writes from the stack config
// (policy/stackConfig.ts); what each one finds is policy/guardrails.ts.
import { PolicyPack } from "@pulumi/policy";
import type { PolicyResource, ReportViolation, StackValidationArgs } from "@pulumi/policy";
import { knownIntegrations } from "../program/userIntegrations";
import { presets } from "../program/presets";
import { findViolations, GuardedIntegration, POLICIES, POLICY_NAMES, PolicyName } from "./guardrails";

export const COMPONENT_PREFIX = "connectwise:integration:";
const DYNAMIC = "pulumi-nodejs:dynamic/connectwise:";

/** The stack's integrations, each with its role, member and keys (children of its component). */
function integrationsOf(resources: PolicyResource[]): GuardedIntegration[] {
  const known = knownIntegrations();
  const shipped = new Set(presets.map((p) => p.id));
  const byUrn = new Map<string, GuardedIntegration>();
  for (const r of resources)
    if (r.type.startsWith(COMPONENT_PREFIX)) {
      const kind = r.type.slice(COMPONENT_PREFIX.length);
      byUrn.set(r.urn, {
        name: r.name,
        kind,
        definition: known.get(kind)?.definition,
        shipped: shipped.has(kind),
        keys: [],
      });
    }
  for (const r of resources) {
    const owner = r.parent ? byUrn.get(r.parent.urn) : undefined;
    if (!owner || !r.type.startsWith(DYNAMIC)) continue;
    const props = r.props as Record<string, unknown>;
    switch (r.type.slice(DYNAMIC.length)) {
      case "SecurityRole":
        owner.role = {
          name: props.name as string,
          permissions: props.permissions as Record<string, unknown>,
          urn: r.urn,
        };
        break;
      case "ApiMember":
        owner.member = { identifier: props.identifier as string };
        break;
      case "ApiKey":
        owner.keys.push({
          source: props.source as string,
          rotateBefore: props.rotateBefore as string,
          verifiedSince: props.verifiedSince as string | undefined,
        });
        break;
    }
  }
  return [...byUrn.values()];
}

/** One stack validation per policy: findViolations once, its findings for this policy reported. */
function validate(policy: PolicyName) {
  return (args: StackValidationArgs, report: ReportViolation) => {
    const limits = args.getConfig<{ minRotateBefore?: string; maxConsoleKeyAgeDays?: number }>();
    for (const finding of findViolations(integrationsOf(args.resources), limits))
      if (finding.policy === policy) report(finding.message, finding.urn);
  };
}

new PolicyPack("connectwise-guardrails", {
  policies: POLICY_NAMES.map((name) => ({
    name,
    description: POLICIES[name].description,
    enforcementLevel: POLICIES[name].enforcementLevel,
    configSchema:
      name === "key-rotation-margin"
        ? {
            properties: {
              minRotateBefore: { type: "string", default: "1d" },
              maxConsoleKeyAgeDays: { type: "number", default: 365 },
            },
          }
        : undefined,
    validateStack: validate(name),
  })),
});
