// What the handlers of one provider configuration share, instead of module globals: the stack
// config handed to configure() (the connection), the per-tenant caches its clients keep
// (codebase, concurrency limit) and the tenant lookups. Built by configure(), handed to every
// handler call. Kept in the provider process only: nothing here is serialized, so no
// credential reaches the state.

import { createHash } from "crypto";
import type * as pulumi from "@pulumi/pulumi";
import { ConnectWiseClient, TenantCaches, newTenantCaches } from "../../connectwise/client";
import { checkClientId, resolveConnection, siteOrigin } from "../../connectwise/connection";
import { Lookups } from "../lookups";

export class HandlerContext {
  /** The codebase and the concurrency limit per tenant, shared by every client of this context. */
  readonly tenants: TenantCaches = newTenantCaches();
  /** The tenant's reference lists (levels, business units, locations), read once. */
  readonly lookups = new Lookups();

  constructor(private readonly config: pulumi.dynamic.Config | undefined) {}

  /**
   * A client for the tenant named by the stack config (or the CONNECTWISE_* environment, read at
   * each call); the codebase is discovered once per tenant.
   */
  async connect(): Promise<ConnectWiseClient> {
    const connection = resolveConnection(this.config);
    checkClientId(connection.clientId);
    return await ConnectWiseClient.connect(connection, { tenants: this.tenants });
  }

  /** The tenant as a client names it ("companyId at host"), without a request. */
  tenant(): string {
    const connection = resolveConnection(this.config);
    return `${connection.companyId.trim()} at ${new URL(siteOrigin(connection.site)).host}`;
  }
}

const CONFIG_KEYS = ["site", "companyId", "clientId", "publicKey", "privateKey"].map((k) => `connectwise:${k}`);

// The engine configures each resource type's provider object on its own (ours and the SDK's
// servers alike) with the same config. They share one context, so the tenant keeps one
// concurrency limit, one codebase discovery and one set of lookups across resource types.
const contexts = new Map<string, HandlerContext>();

/** The context for this stack config (one per distinct connection config in the process). */
export function contextFor(config: pulumi.dynamic.Config | undefined): HandlerContext {
  // Hashed: the key holds no credential.
  const key = createHash("sha256")
    .update(JSON.stringify(CONFIG_KEYS.map((k) => config?.get(k) ?? null)))
    .digest("hex");
  let context = contexts.get(key);
  if (!context) {
    context = new HandlerContext(config);
    contexts.set(key, context);
  }
  return context;
}
