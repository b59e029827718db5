// The program: one stack per client tenant. `pulumi stack init acme`, set the connection and the
// integrations in its config (README), then `pulumi up`.
// First: keeps a module the SDK loads eagerly but this program never uses from loading at start.
import "./pulumi-runtime/deferredSdkModules";
import { tenantProgram } from "./program/tenant";

export const { integrations } = tenantProgram();
