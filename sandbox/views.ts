// How stored records look on the wire: the schemas of the published spec (SecurityRole,
// SecurityRoleSetting, ApiMember, Member, ...), with `_info` {lastUpdated, updatedBy}; a role's
// also {dateEntered, enteredBy}. The spec types `_info` as a map of strings and names no keys;
// these are the ones Manage records commonly carry, unverified for roles, so the provider must
// manage without the entry pair (it falls back to the update pair).

import { TABLE_SETUP_ENTRIES } from "../catalog";
import { MEMBER_DEFAULTS } from "./memberDefaults";
import {
  DEPARTMENTS,
  LOCATIONS,
  MemberRecord,
  RoleRecord,
  STRUCTURE_LEVELS,
  SettingRecord,
  customizeIdentifierOf,
  moduleFunctionIdentifier,
  moduleIdentifier,
} from "./store";

type View = Record<string, unknown> & { id: number };

const info = (r: { lastUpdated: string; updatedBy: string }) => ({
  lastUpdated: r.lastUpdated,
  updatedBy: r.updatedBy,
});

/** A role's `_info`: when and by whom it was made, when available, then its last update. */
const roleInfo = (role: RoleRecord) => ({
  ...(role.dateEntered !== undefined ? { dateEntered: role.dateEntered } : {}),
  ...(role.enteredBy !== undefined ? { enteredBy: role.enteredBy } : {}),
  ...info(role),
});

export function roleView(role: RoleRecord): View {
  return {
    id: role.id,
    name: role.name,
    ...(role.roleType !== undefined ? { roleType: role.roleType } : {}),
    adminFlag: role.adminFlag,
    inactiveFlag: role.inactiveFlag,
    _info: roleInfo(role),
  };
}

export function roleInfoView(role: RoleRecord): View {
  return {
    id: role.id,
    name: role.name,
    ...(role.roleType !== undefined ? { roleType: role.roleType } : {}),
    inactiveFlag: role.inactiveFlag,
    _info: roleInfo(role),
  };
}

export function settingView(role: RoleRecord, s: SettingRecord): View {
  return {
    id: s.id,
    addLevel: s.addLevel,
    editLevel: s.editLevel,
    deleteLevel: s.deleteLevel,
    inquireLevel: s.inquireLevel,
    moduleFunctionName: s.moduleFunctionName,
    moduleFunctionDescription: s.moduleFunctionName,
    myAllFlag: true,
    moduleFunctionIdentifier: moduleFunctionIdentifier(s.moduleName, s.moduleFunctionName),
    reportFlag: /reports?$/i.test(s.moduleFunctionName),
    restrictFlag: false,
    customFlag: customizeIdentifierOf(s.moduleName, s.moduleFunctionName) !== undefined,
    moduleDescription: s.moduleName,
    moduleIdentifier: moduleIdentifier(s.moduleName),
    moduleName: s.moduleName,
    sortOrder: s.sortOrder,
    _info: info(role),
  };
}

const text = (v: unknown): string => (typeof v === "string" ? v : "");

export function memberRef(m: MemberRecord): { id: number; identifier: string; name: string } {
  const f = m.fields;
  const name = m.licenseClass === "A" ? text(f.name) : `${text(f.firstName)} ${text(f.lastName)}`.trim();
  return { id: m.id, identifier: String(f.identifier), name };
}

export function apiMemberView(m: MemberRecord): View {
  return { id: m.id, ...m.fields, _info: info(m) };
}

/** ApiMember fields that are Member properties under the same name (name and emailAddress are mapped). */
const API_MEMBER_AS_MEMBER = [
  "identifier",
  "inactiveFlag",
  "inactiveDate",
  "timeZone",
  "securityRole",
  "structureLevel",
  "securityLocation",
  "defaultLocation",
  "defaultDepartment",
  "salesDefaultLocation",
  "serviceDefaultBoard",
  "notes",
  "excludedServiceBoardIds",
];

/**
 * What the spec's Member schema requires and a record may lack (an API member has no hire date,
 * phone or email preference; a role is optional on ApiMember). The real values for an API member
 * are not published: the hire date is when it was made, the preferences are Office, and a
 * member without a role shows an empty reference {id: null}.
 */
function memberRequired(m: MemberRecord): Record<string, unknown> {
  const f = m.fields;
  return {
    firstName: f.firstName ?? "",
    lastName: f.lastName ?? "",
    hireDate: f.hireDate ?? m.createdAt ?? m.lastUpdated,
    defaultEmail: f.defaultEmail ?? "Office",
    defaultPhone: f.defaultPhone ?? "Office",
    securityRole: f.securityRole ?? { id: null },
  };
}

/** A copy of the defaults (their arrays are not shared between answers). */
function memberDefaults(): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(MEMBER_DEFAULTS).map(([k, v]) => [k, Array.isArray(v) ? [...(v as unknown[])] : v]),
  );
}

/** Member view of any member; an API member shows its name as firstName and an empty lastName. */
export function memberView(m: MemberRecord): View {
  if (m.licenseClass === "F")
    return { id: m.id, ...memberDefaults(), ...m.fields, ...memberRequired(m), licenseClass: "F", _info: info(m) };
  const f = m.fields;
  const shared = Object.fromEntries(API_MEMBER_AS_MEMBER.filter((k) => f[k] !== undefined).map((k) => [k, f[k]]));
  return {
    id: m.id,
    ...memberDefaults(),
    ...shared,
    ...memberRequired(m),
    licenseClass: "A",
    firstName: f.name ?? "",
    lastName: "",
    ...(f.emailAddress !== undefined ? { officeEmail: f.emailAddress, primaryEmail: f.emailAddress } : {}),
    adminFlag: false,
    _info: info(m),
  };
}

/** Customize items are Table Setup entries; the id is the entry's fixed position in the catalog. */
export function customizeItemView(entry: string): View {
  return { id: TABLE_SETUP_ENTRIES.indexOf(entry) + 1, customizeIdentifier: "SystemTableSetup", itemIdentifier: entry };
}

export const locationViews: View[] = LOCATIONS.map((l) => ({
  id: l.id,
  ownerLevelId: l.structureLevel.id,
  structureLevel: l.structureLevel,
  name: l.name,
  locationFlag: true,
  clientFlag: false,
  workRoleIds: [],
  departmentIds: DEPARTMENTS.map((d) => d.id),
}));

export const departmentViews: View[] = DEPARTMENTS.map((d) => ({ ...d }));

export const structureLevelViews: View[] = STRUCTURE_LEVELS.map((l) => ({ ...l }));
