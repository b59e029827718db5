import { IntegrationDefinition } from "./integration";
import presetData from "./presets.json";

/** Published permission tables shipped with the project (stacks/presets.json, each with sources). */
export const presets: readonly IntegrationDefinition[] = presetData.presets as unknown as IntegrationDefinition[];

export function findPreset(id: string): IntegrationDefinition | undefined {
  return presets.find((p) => p.id === id);
}
