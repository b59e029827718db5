// The library entry (package.json "main"): the resources and the integration component, for a
// Pulumi program of your own. Importing it declares nothing; index.ts is the tenant program.
export { SecurityRole } from "./resources/securityRole";
export type { SecurityRoleArgs, PermissionLevels, PermissionLevel } from "./resources/securityRole";
export { ApiMember } from "./resources/apiMember";
export type { ApiMemberArgs } from "./resources/apiMember";
export { ApiKey } from "./resources/apiKey";
export type { ApiKeyArgs } from "./resources/apiKey";
export { TableSetupAccess } from "./resources/tableSetupAccess";
export type { TableSetupAccessArgs } from "./resources/tableSetupAccess";
export { OperatorChecklist } from "./resources/operatorChecklist";
export type { OperatorChecklistArgs, ChecklistSource } from "./resources/operatorChecklist";
export type { ConsoleStep, ReviewRecord } from "./review/records";
export { Integration } from "./program/integration";
export type { IntegrationArgs, IntegrationMemberArgs } from "./program/integration";
export type { IntegrationDefinition } from "./program/definition";
export { presets, findPreset } from "./program/presets";
export { loadIntegrationFiles, parseIntegrationDefinition } from "./program/userIntegrations";
export type { KnownIntegration } from "./program/userIntegrations";
export { tenantProgram } from "./program/tenant";
export type { TenantProgramOptions } from "./program/tenant";
