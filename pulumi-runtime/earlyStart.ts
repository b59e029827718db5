// Started by the program (index.ts) before its own modules load: the provider plugin starts while
// the program loads, not after.
import * as pulumi from "@pulumi/pulumi";

/** The invoke token: it names no function (the provider answers it with an error, dropped here). */
export const EARLY_START_TOKEN = "pulumi-nodejs:dynamic:start";

/**
 * The engine starts a provider plugin the first time something needs it: left alone, that is the
 * first dynamic resource's registration, after the program has loaded its modules and read its
 * config, so the plugin's start (the shim, node, gRPC, the handlers' modules) comes on top of the
 * program's. An invoke through the same default provider (`pulumi-nodejs`, no version: the one
 * every dynamic resource uses) makes the engine start and configure it now, on the other core.
 * Nothing reaches ConnectWise and nothing is registered; the answer is ignored.
 */
export function startProviderEarly(): void {
  pulumi.runtime.invoke(EARLY_START_TOKEN, {}).then(
    () => undefined,
    () => undefined,
  );
}
