import type * as pulumi from "@pulumi/pulumi";
import { ConnectWiseClient } from "../connectwise/client";
import { resolveConnection } from "../connectwise/connection";

// The stack config handed to configure(). Kept in the provider process only: this module is
// required at run time, never serialized, so nothing here reaches the state.
let stackConfig: pulumi.dynamic.Config | undefined;

export function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  stackConfig = req.config;
  return Promise.resolve();
}

/** A client for the tenant named by the stack config (or the CONNECTWISE_* environment). */
export function connect(): Promise<ConnectWiseClient> {
  return ConnectWiseClient.connect(resolveConnection(stackConfig));
}
