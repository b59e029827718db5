// The program: one stack per client tenant. `pulumi stack init acme`, set the connection and the
// integrations in its config (README), then `pulumi up`.
import { tenantProgram } from "./stacks/tenant";

export const { integrations } = tenantProgram();
