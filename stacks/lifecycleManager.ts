// Lifecycle Manager's table lives in stacks/presets.json (id "lifecycle-manager"); this name stays
// for the scripts and tests that import it.
import { shippedPreset } from "./presets";

export const lifecycleManager = shippedPreset("lifecycle-manager");
