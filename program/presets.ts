// The integrations shipped with the project: program/presets.json, every entry with its sources.
import { z } from "zod";
import type { IntegrationDefinition } from "./definition";
import { IntegrationDefinitionSchema } from "./definitionSchema";
import { describeIssues, inFile } from "./issues";
import presetData from "./presets.json";

/** Where the shipped presets live, as messages name it. */
export const PRESETS_FILE = "program/presets.json";

function parsePresets(data: unknown): IntegrationDefinition[] {
  const schema = z.object({ presets: z.array(IntegrationDefinitionSchema) });
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new Error(describeIssues(inFile(PRESETS_FILE), schema, data, parsed.error).join("\n"));
  return parsed.data.presets;
}

/** Published permission tables shipped with the project, validated as the user's own files are. */
export const presets: readonly IntegrationDefinition[] = parsePresets(presetData);

export function findPreset(id: string): IntegrationDefinition | undefined {
  return presets.find((p) => p.id === id);
}

/** A shipped preset that must exist (a missing one is a bug in presets.json, not user input). */
export function shippedPreset(id: string): IntegrationDefinition {
  const preset = findPreset(id);
  if (!preset) throw new Error(`${PRESETS_FILE} has no preset "${id}"`);
  return preset;
}
