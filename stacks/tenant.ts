// The program behind every tenant stack: its connection and the integrations it needs.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { elements } from "./elements";
import { Integration, IntegrationDefinition } from "./integration";
import { lifecycleManager } from "./lifecycleManager";
import { findPreset, presets } from "./presets";

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
  /** "elements", "lifecycle-manager", or the id of a shipped preset (stacks/presets.json). */
  kind: z.string(),
  /** The component's name in this stack; defaults to the kind. */
  name: z.string().optional(),
  roleName: z.string().optional(),
  adopt: z.boolean().optional(),
  member: MemberSettings,
});

const BUILT_IN: Record<string, IntegrationDefinition> = {
  [elements.id]: elements,
  [lifecycleManager.id]: lifecycleManager,
};

function definitionFor(kind: string): IntegrationDefinition {
  const definition = BUILT_IN[kind] ?? findPreset(kind);
  if (!definition) {
    const known = [...Object.keys(BUILT_IN), ...presets.map((p) => p.id)].join(", ");
    throw new Error(`integrations: unknown kind "${kind}"; known kinds: ${known}`);
  }
  return definition;
}

/**
 * Declares this stack's integrations from its config (`<project>:integrations`, a list) and
 * returns the stack outputs. Called by index.ts, and by the Automation API as an inline program.
 */
export function tenantProgram() {
  const config = new pulumi.Config();
  const parsed = z.array(IntegrationSettings).safeParse(config.requireObject("integrations"));
  if (!parsed.success) {
    throw new Error(`config ${pulumi.getProject()}:integrations is invalid: ${z.prettifyError(parsed.error)}`);
  }
  const connection = new pulumi.Config("connectwise");

  const deployed: Record<string, Integration> = {};
  for (const settings of parsed.data) {
    const name = settings.name ?? settings.kind;
    deployed[name] = new Integration(definitionFor(settings.kind), name, {
      site: connection.require("site"),
      companyId: connection.require("companyId"),
      member: settings.member,
      roleName: settings.roleName,
      adopt: settings.adopt,
    });
  }

  // Per integration, what its own setup screen asks for; the private key stays a secret.
  const integrations = Object.fromEntries(
    Object.entries(deployed).map(([name, i]) => [
      name,
      {
        site: i.site,
        companyId: i.companyId,
        memberIdentifier: i.memberIdentifier,
        publicKey: i.publicKey,
        privateKey: i.privateKey,
      },
    ]),
  );
  return { integrations };
}
