// The program: one stack per client tenant. `pulumi stack init acme`, set the connection and the
// integrations in its config (README), then `pulumi up`.
// First: keeps a module the SDK loads eagerly but this program never uses from loading at start.
import "./pulumi-runtime/deferredSdkModules";
import { startProviderEarly } from "./pulumi-runtime/earlyStart";
import { unmappedPromiseTraces } from "./pulumi-runtime/leakStacks";
import type * as tenant from "./program/tenant";

// The SDK's promise traces skip source maps (pulumi-runtime/leakStacks.ts).
unmappedPromiseTraces();
// The provider plugin starts now, while the rest of the program loads (pulumi-runtime/earlyStart.ts).
startProviderEarly();

/**
 * Exported as a function: the SDK's runner calls it after a few awaits of its own, which lets
 * the invoke above reach the engine before the program's modules load (they are required here,
 * not at the top). Its result is the stack's outputs, as the module's exports were.
 */
export = function program(): { integrations: ReturnType<typeof tenant.tenantProgram>["integrations"] } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { tenantProgram } = require("./program/tenant") as typeof tenant;
  const { integrations } = tenantProgram();
  return { integrations };
};
