// Elements' table lives in stacks/presets.json (id "elements"); this name stays for the scripts
// and tests that import it.
import { shippedPreset } from "./presets";

export const elements = shippedPreset("elements");
