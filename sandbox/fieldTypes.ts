// The queryable fields of each resource the sandbox serves, with their types: what `conditions`
// and `orderBy` may name. Written from the schemas in the published spec (a subset of each:
// the scalar fields and the id/name of references). Lookups are case-insensitive.

import { MEMBER_DEFAULTS } from "./memberDefaults";

export type FieldType = "string" | "number" | "boolean" | "date";

export interface FieldInfo {
  path: string;
  type: FieldType;
}

/** Lower-cased path -> the field's canonical path and type. */
export type FieldTypes = ReadonlyMap<string, FieldInfo>;

type Spec = FieldType | "ref" | "departmentRef" | "memberRef";

function describe(fields: Record<string, Spec>): FieldTypes {
  const out = new Map<string, FieldInfo>();
  const add = (path: string, type: FieldType) => out.set(path.toLowerCase(), { path, type });
  for (const [name, spec] of Object.entries({
    ...fields,
    "_info/lastUpdated": "date",
    "_info/updatedBy": "string",
  } as Record<string, Spec>)) {
    if (spec === "ref" || spec === "departmentRef" || spec === "memberRef") {
      add(`${name}/id`, "number");
      add(`${name}/name`, "string");
      if (spec !== "ref") add(`${name}/identifier`, "string");
    } else {
      add(name, spec);
    }
  }
  return out;
}

export const SECURITY_ROLE = describe({
  id: "number",
  name: "string",
  roleType: "string",
  adminFlag: "boolean",
  inactiveFlag: "boolean",
});

export const SECURITY_ROLE_INFO = describe({
  id: "number",
  name: "string",
  roleType: "string",
  inactiveFlag: "boolean",
});

const settingFields: Record<string, Spec> = {
  id: "number",
  addLevel: "string",
  editLevel: "string",
  deleteLevel: "string",
  inquireLevel: "string",
  moduleFunctionName: "string",
  moduleFunctionDescription: "string",
  myAllFlag: "boolean",
  moduleFunctionIdentifier: "string",
  reportFlag: "boolean",
  restrictFlag: "boolean",
  customFlag: "boolean",
  moduleDescription: "string",
  moduleIdentifier: "string",
  moduleName: "string",
  sortOrder: "number",
};

export const SECURITY_ROLE_SETTING = describe(settingFields);

export const MY_SECURITY = describe({ ...settingFields, member: "memberRef" });

export const MY_SECURITY_CUSTOMIZE_ITEM = describe({
  id: "number",
  customizeIdentifier: "string",
  itemIdentifier: "string",
});

export const API_MEMBER = describe({
  id: "number",
  identifier: "string",
  name: "string",
  emailAddress: "string",
  inactiveFlag: "boolean",
  inactiveDate: "date",
  timeZone: "ref",
  securityRole: "ref",
  structureLevel: "ref",
  securityLocation: "ref",
  defaultLocation: "ref",
  defaultDepartment: "departmentRef",
  salesDefaultLocation: "ref",
  serviceDefaultBoard: "ref",
  notes: "string",
  blockPriceFlag: "boolean",
  blockCostFlag: "boolean",
});

/** The scalar defaults every member shows, under their own types (lists are not condition fields). */
const memberDefaultFields = Object.fromEntries(
  Object.entries(MEMBER_DEFAULTS).flatMap(([name, value]): [string, FieldType][] =>
    typeof value === "boolean"
      ? [[name, "boolean"]]
      : typeof value === "number"
        ? [[name, "number"]]
        : typeof value === "string"
          ? [[name, "string"]]
          : [],
  ),
);

export const MEMBER = describe({
  ...memberDefaultFields,
  id: "number",
  identifier: "string",
  licenseClass: "string",
  firstName: "string",
  lastName: "string",
  title: "string",
  notes: "string",
  inactiveFlag: "boolean",
  inactiveDate: "date",
  hireDate: "date",
  adminFlag: "boolean",
  officeEmail: "string",
  primaryEmail: "string",
  defaultEmail: "string",
  defaultPhone: "string",
  timeZone: "ref",
  securityRole: "ref",
  structureLevel: "ref",
  securityLocation: "ref",
  defaultLocation: "ref",
  defaultDepartment: "departmentRef",
  salesDefaultLocation: "ref",
});

export const LOCATION = describe({
  id: "number",
  name: "string",
  ownerLevelId: "number",
  structureLevel: "ref",
  locationFlag: "boolean",
  clientFlag: "boolean",
});

export const DEPARTMENT = describe({ id: "number", identifier: "string", name: "string" });

export const CORPORATE_STRUCTURE_LEVEL = describe({ id: "number", name: "string" });
