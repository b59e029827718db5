// Zod schemas of the payloads this project sends and receives, written from the published
// 2025.8 spec (schemas of the same names). Objects are loose (unknown extra fields pass through:
// a newer API version may add fields), a field is required only where the spec says so, a
// "nullable" spec field accepts null, and "Max length: N" from the spec's descriptions is kept.

import { z } from "zod";
import { LEVELS, type Level } from "../catalog";

const int32 = z.int32();
const nullableInt32 = int32.nullish();
const nullableBoolean = z.boolean().nullish();
const dateTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: "expected an ISO date-time" });
const info = z.record(z.string(), z.string()).optional();

export const LevelSchema = z.enum(LEVELS as [Level, ...Level[]]);
export type { Level };

/** `{id, name, _info}`: SystemLocationReference, StructureReference, TimeZoneSetupReference, ... */
export const ReferenceSchema = z.looseObject({
  id: nullableInt32,
  name: z.string().optional(),
  _info: info,
});
export type Reference = z.infer<typeof ReferenceSchema>;

/** SystemDepartmentReference: a reference that also carries the department's identifier. */
export const DepartmentReferenceSchema = ReferenceSchema.extend({ identifier: z.string().optional() });
export type DepartmentReference = z.infer<typeof DepartmentReferenceSchema>;

export const MemberReferenceSchema = ReferenceSchema.extend({
  identifier: z.string().optional(),
  dailyCapacity: z.number().nullish(),
});
export type MemberReference = z.infer<typeof MemberReferenceSchema>;

export const SecurityRoleSchema = z.looseObject({
  id: int32.optional(),
  name: z.string().max(30),
  roleType: z.string().max(30).optional(),
  adminFlag: nullableBoolean,
  inactiveFlag: nullableBoolean,
  _info: info,
});
export type SecurityRole = z.infer<typeof SecurityRoleSchema>;

/** The fields of SecurityRoleSetting as the spec lists them (no required list, levels nullable). */
const securityRoleSettingFields = {
  id: int32.optional(),
  addLevel: LevelSchema.nullish(),
  editLevel: LevelSchema.nullish(),
  deleteLevel: LevelSchema.nullish(),
  inquireLevel: LevelSchema.nullish(),
  moduleFunctionName: z.string().optional(),
  moduleFunctionDescription: z.string().optional(),
  myAllFlag: nullableBoolean,
  moduleFunctionIdentifier: z.string().optional(),
  reportFlag: nullableBoolean,
  restrictFlag: nullableBoolean,
  customFlag: nullableBoolean,
  moduleDescription: z.string().optional(),
  moduleIdentifier: z.string().optional(),
  moduleName: z.string().optional(),
  sortOrder: nullableInt32,
  _info: info,
};

/**
 * A role's settings row, stricter than the spec where the handlers rely on a field: the four
 * levels (a missing or null level is refused, never read as None: it could hide a level raised
 * by hand) and the module and function names that say which row it is.
 */
export const SecurityRoleSettingSchema = z.looseObject({
  ...securityRoleSettingFields,
  addLevel: LevelSchema,
  editLevel: LevelSchema,
  deleteLevel: LevelSchema,
  inquireLevel: LevelSchema,
  moduleFunctionName: z.string(),
  moduleName: z.string(),
});
export type SecurityRoleSetting = z.infer<typeof SecurityRoleSettingSchema>;

/** GET /system/mySecurity rows: the caller's own settings, with the member (read projected too, so as the spec). */
export const MySecuritySchema = z.looseObject({
  ...securityRoleSettingFields,
  member: MemberReferenceSchema.optional(),
});
export type MySecurity = z.infer<typeof MySecuritySchema>;

export const CustomizeIdentifierSchema = z.enum([
  "CompanyReports",
  "FinanceReports",
  "MarketingReports",
  "ProcurementReports",
  "ProjectReports",
  "SalesReports",
  "ServiceReports",
  "SystemReports",
  "TimeAndExpenseReports",
  "CompanyConfigurations",
  "FinanceAgreements",
  "ProjectScheduling",
  "ServiceResourceScheduling",
  "SystemManageHostedApi",
  "SystemMyAccount",
  "SystemCustomMenuEntry",
  "SystemMassMaintenance",
  "SystemTableSetup",
]);

export const MySecurityCustomizeItemSchema = z.looseObject({
  id: int32.optional(),
  customizeIdentifier: CustomizeIdentifierSchema.nullish(),
  itemIdentifier: z.string().optional(),
});
export type MySecurityCustomizeItem = z.infer<typeof MySecurityCustomizeItemSchema>;

export const ApiMemberSchema = z.looseObject({
  id: int32.optional(),
  identifier: z.string().max(15),
  /** "Required On Updates" (PUT, and the result of a PATCH). */
  name: z.string().max(30).optional(),
  emailAddress: z.string().max(250).optional(),
  inactiveFlag: nullableBoolean,
  inactiveDate: dateTime.optional(),
  timeZone: ReferenceSchema.optional(),
  securityRole: ReferenceSchema.optional(),
  structureLevel: ReferenceSchema.optional(),
  securityLocation: ReferenceSchema.optional(),
  defaultLocation: ReferenceSchema.optional(),
  defaultDepartment: DepartmentReferenceSchema.optional(),
  salesDefaultLocation: ReferenceSchema.optional(),
  serviceDefaultBoard: ReferenceSchema.optional(),
  notes: z.string().optional(),
  excludedServiceBoardIds: z.array(int32).optional(),
  blockPriceFlag: nullableBoolean,
  blockCostFlag: nullableBoolean,
  _info: info,
});
export type ApiMember = z.infer<typeof ApiMemberSchema>;

/**
 * The fields of Member this project reads (the spec has 126). The spec's required list
 * (identifier, licenseClass, firstName, lastName, hireDate, defaultEmail, defaultPhone,
 * securityRole) is what creating a full member needs; this project never creates members and
 * reads API members through this view too, so only the identifier is required here.
 */
export const MemberSchema = z.looseObject({
  id: int32.optional(),
  identifier: z.string().max(15),
  licenseClass: z.enum(["A", "C", "F", "X"]).nullish(),
  firstName: z.string().max(30).optional(),
  lastName: z.string().max(30).optional(),
  hireDate: dateTime.optional(),
  defaultEmail: z.enum(["Office", "Mobile", "Home"]).nullish(),
  defaultPhone: z.enum(["Office", "Mobile", "Home"]).nullish(),
  officeEmail: z.string().max(250).optional(),
  inactiveFlag: nullableBoolean,
  inactiveDate: dateTime.optional(),
  adminFlag: nullableBoolean,
  securityRole: ReferenceSchema.optional(),
  structureLevel: ReferenceSchema.optional(),
  securityLocation: ReferenceSchema.optional(),
  defaultLocation: ReferenceSchema.optional(),
  defaultDepartment: DepartmentReferenceSchema.optional(),
  _info: info,
});
export type Member = z.infer<typeof MemberSchema>;

/**
 * Body and answer of POST /system/members/{id}/deactivate. The reassignment items
 * (MemberDeactivationItem, ...) are not in the spec subset, so they pass through unchecked.
 */
export const MemberDeactivationSchema = z.looseObject({
  deleteOpenTimeSheetsFlag: nullableBoolean,
});
export type MemberDeactivation = z.infer<typeof MemberDeactivationSchema>;

/** POST /system/members/{memberIdentifier}/tokens: temporary keys. All three are needed to use it. */
export const TokenSchema = z.looseObject({
  publicKey: z.string().min(1),
  privateKey: z.string().min(1),
  expiration: dateTime,
});
export type Token = z.infer<typeof TokenSchema>;

export const LocationSchema = z.looseObject({
  id: int32.optional(),
  ownerLevelId: nullableInt32,
  structureLevel: ReferenceSchema,
  name: z.string().max(50),
  locationFlag: nullableBoolean,
  clientFlag: nullableBoolean,
  workRoleIds: z.array(int32).optional(),
  departmentIds: z.array(int32).optional(),
  _info: info,
});
export type Location = z.infer<typeof LocationSchema>;

export const DepartmentSchema = z.looseObject({
  id: int32.optional(),
  identifier: z.string().max(15),
  name: z.string().max(50),
  _info: info,
});
export type Department = z.infer<typeof DepartmentSchema>;

export const CorporateStructureLevelSchema = z.looseObject({
  id: int32.optional(),
  name: z.string().optional(),
});
export type CorporateStructureLevel = z.infer<typeof CorporateStructureLevelSchema>;

/** The answer of every /count endpoint; the count is what the call is for, so it is required. */
export const CountSchema = z.looseObject({ count: int32 });
export type Count = z.infer<typeof CountSchema>;

export const ValidationErrorSchema = z.looseObject({
  code: z.string().optional(),
  message: z.string().optional(),
  resource: z.string().optional(),
  field: z.string().optional(),
  details: z.string().optional(),
});

/** ErrorResponseMessage: the body of every error answer. */
export const ErrorResponseSchema = z.looseObject({
  code: z.string().optional(),
  message: z.string().optional(),
  errors: z.array(ValidationErrorSchema).nullish(),
});
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;

/**
 * JSON-Patch as the API takes it: lower-case ops; the value's type is that of the target field.
 * Strict, unlike the others: it is only ever sent, and a misspelt key would be silently dropped.
 */
export const PatchOperationSchema = z.strictObject({
  op: z.enum(["add", "replace", "remove"]),
  path: z.string().min(1),
  value: z.unknown().optional(),
});
export type PatchOperation = z.infer<typeof PatchOperationSchema>;

/** GET {site}/login/companyinfo/{companyId} (outside /apis/3.0, no auth); PascalCase as served. */
export const CompanyInfoSchema = z.looseObject({
  CompanyName: z.string().optional(),
  Codebase: z.string().min(1),
  VersionCode: z.string().optional(),
  VersionNumber: z.string().optional(),
  CompanyID: z.string().optional(),
  IsCloud: z.boolean().optional(),
  SiteUrl: z.string().optional(),
});
export type CompanyInfo = z.infer<typeof CompanyInfoSchema>;

/** GET /system/info (Info; not in the spec subset, fields from the generated Go model). */
export const SystemInfoSchema = z.looseObject({
  version: z.string().optional(),
  isCloud: z.boolean().optional(),
  serverTimeZone: z.string().optional(),
  licenseBits: z.array(z.unknown()).optional(),
  cloudRegion: z.string().optional(),
  maxWorkFlowRecordsAllowed: z.number().optional(),
});
export type SystemInfo = z.infer<typeof SystemInfoSchema>;
