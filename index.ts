// The program: one stack per client tenant. `pulumi stack init acme`, set the connection and the
// integrations in its config (README), then `pulumi up`.
// First: keeps a module the SDK loads eagerly but this program never uses from loading at start.
import "./stacks/deferredSdkModules";
import { tenantProgram } from "./stacks/tenant";

export const { integrations } = tenantProgram();
