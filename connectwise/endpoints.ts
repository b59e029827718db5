// The ConnectWise endpoints this project calls, each written once: its method, its path (under
// /apis/3.0, as the published spec lists it; `{...}` a parameter) and the zod schemas of what is
// sent and answered. The handlers, doctor and the contract suite all take them from here, so a
// path is never spelt twice and the suites know every endpoint without reading sources. Only
// endpoints the published spec lists belong here (docs/architecture.md, rule 1).

import { z } from "zod";
import type { ConnectWiseClient, ListOptions } from "./client";
import { eq } from "./conditions";
import {
  ApiMemberSchema,
  CorporateStructureLevelSchema,
  DepartmentSchema,
  LocationSchema,
  MemberSchema,
  MySecurityCustomizeItemSchema,
  MySecuritySchema,
  PatchOperationSchema,
  SecurityRoleSchema,
  SecurityRoleSettingSchema,
  TokenSchema,
} from "./schemas";
import type {
  ApiMember,
  Member,
  MySecurity,
  MySecurityCustomizeItem,
  PatchOperation,
  SecurityRole,
  SecurityRoleSetting,
  Token,
} from "./schemas";

export interface Endpoint {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** The path under /apis/3.0; `{name}` is a parameter. */
  path: string;
  /** The request body, when one is sent. */
  request?: z.ZodType;
  /** The 2xx answer (each row of it when `list`); absent: an empty body. */
  response?: z.ZodObject;
  list?: boolean;
  /** For a GET with a parameter: the list endpoint whose first row's id reads it (doctor's probe). */
  idFrom?: string;
}

/** Every endpoint, GETs in the order doctor probes them. */
export const ENDPOINTS = {
  securityRoles: { method: "GET", path: "/system/securityroles", response: SecurityRoleSchema, list: true },
  securityRole: {
    method: "GET",
    path: "/system/securityroles/{id}",
    response: SecurityRoleSchema,
    idFrom: "securityRoles",
  },
  roleSettings: {
    method: "GET",
    path: "/system/securityRoles/{id}/settings",
    response: SecurityRoleSettingSchema,
    list: true,
    idFrom: "securityRoles",
  },
  apiMembers: { method: "GET", path: "/system/apiMembers", response: ApiMemberSchema, list: true },
  apiMember: { method: "GET", path: "/system/apiMembers/{id}", response: ApiMemberSchema, idFrom: "apiMembers" },
  members: { method: "GET", path: "/system/members", response: MemberSchema, list: true },
  corporateStructureLevels: {
    method: "GET",
    path: "/system/myCompany/corporateStructureLevels",
    response: CorporateStructureLevelSchema,
    list: true,
  },
  locations: { method: "GET", path: "/system/locations", response: LocationSchema, list: true },
  departments: { method: "GET", path: "/system/departments", response: DepartmentSchema, list: true },
  mySecurity: { method: "GET", path: "/system/mySecurity", response: MySecuritySchema, list: true },
  myCustomizeItems: {
    method: "GET",
    path: "/system/mySecurity/customizeItems/",
    response: MySecurityCustomizeItemSchema,
    list: true,
  },
  createSecurityRole: {
    method: "POST",
    path: "/system/securityroles",
    request: SecurityRoleSchema,
    response: SecurityRoleSchema,
  },
  deleteSecurityRole: { method: "DELETE", path: "/system/securityroles/{id}" },
  createApiMember: { method: "POST", path: "/system/apiMembers", request: ApiMemberSchema, response: ApiMemberSchema },
  patchApiMember: {
    method: "PATCH",
    path: "/system/apiMembers/{id}",
    request: z.array(PatchOperationSchema),
    response: ApiMemberSchema,
  },
  mintToken: { method: "POST", path: "/system/members/{memberIdentifier}/tokens", response: TokenSchema },
} as const satisfies Record<string, Endpoint>;

export type EndpointName = keyof typeof ENDPOINTS;

/** The endpoint's path with its parameters filled in (each percent-encoded). */
export function pathOf(name: EndpointName, params: Record<string, string | number> = {}): string {
  return ENDPOINTS[name].path.replace(/\{(\w+)\}/g, (_, param: string) => {
    const value = params[param];
    if (value === undefined) throw new Error(`ConnectWise ${ENDPOINTS[name].path}: no value for {${param}}`);
    return encodeURIComponent(String(value));
  });
}

// ---- Security roles ----------------------------------------------------------------------------

export function listSecurityRoles(client: ConnectWiseClient, options?: ListOptions): Promise<SecurityRole[]> {
  return client.list(pathOf("securityRoles"), SecurityRoleSchema, options);
}

/** The role called `name` (the API matches names case-insensitively), or undefined. */
export async function securityRoleNamed(client: ConnectWiseClient, name: string): Promise<SecurityRole | undefined> {
  const [role] = await listSecurityRoles(client, { conditions: eq("name", name) });
  return role;
}

/** A role's record; undefined when it does not exist (404). */
export function securityRole(client: ConnectWiseClient, roleId: number | string): Promise<SecurityRole | undefined> {
  return client.getOrUndefined(pathOf("securityRole", { id: roleId }), SecurityRoleSchema);
}

export function createSecurityRole(client: ConnectWiseClient, name: string): Promise<SecurityRole> {
  return client.post(pathOf("createSecurityRole"), { name }, SecurityRoleSchema);
}

export function deleteSecurityRole(client: ConnectWiseClient, roleId: number | string): Promise<void> {
  return client.delete(pathOf("deleteSecurityRole", { id: roleId }));
}

/** A role's settings: by default one page of 1000, which holds every module function. */
export function roleSettings(
  client: ConnectWiseClient,
  roleId: number | string,
  options: ListOptions = { pageSize: 1000 },
): Promise<SecurityRoleSetting[]> {
  return client.list(pathOf("roleSettings", { id: roleId }), SecurityRoleSettingSchema, options);
}

// ---- Members -----------------------------------------------------------------------------------

export function listApiMembers(client: ConnectWiseClient, options?: ListOptions): Promise<ApiMember[]> {
  return client.list(pathOf("apiMembers"), ApiMemberSchema, options);
}

/** The API member with this identifier, or undefined (full members are not listed here). */
export async function memberByIdentifier(
  client: ConnectWiseClient,
  identifier: string,
): Promise<ApiMember | undefined> {
  const [member] = await listApiMembers(client, { conditions: eq("identifier", identifier) });
  return member;
}

/** An API member's record by id; undefined when it does not exist (404). */
export function apiMember(client: ConnectWiseClient, memberId: number | string): Promise<ApiMember | undefined> {
  return client.getOrUndefined(pathOf("apiMember", { id: memberId }), ApiMemberSchema);
}

export function createApiMember(client: ConnectWiseClient, body: Record<string, unknown>): Promise<ApiMember> {
  return client.post(pathOf("createApiMember"), body, ApiMemberSchema);
}

export function patchApiMember(
  client: ConnectWiseClient,
  memberId: number | string,
  operations: PatchOperation[],
): Promise<ApiMember> {
  return client.patch(pathOf("patchApiMember", { id: memberId }), operations, ApiMemberSchema);
}

/** Members, full and API (the API lists both here). */
export function listMembers(client: ConnectWiseClient, options?: ListOptions): Promise<Member[]> {
  return client.list(pathOf("members"), MemberSchema, options);
}

/** Mints a key pair for the member; sent once (a lost answer may still have minted it). */
export function mintToken(client: ConnectWiseClient, memberIdentifier: string): Promise<Token> {
  return client.post(pathOf("mintToken", { memberIdentifier }), undefined, TokenSchema);
}

// ---- The calling member ------------------------------------------------------------------------

/** The calling member's security rows; needs no permission. */
export function mySecurity(client: ConnectWiseClient, options?: ListOptions): Promise<MySecurity[]> {
  return client.list(pathOf("mySecurity"), MySecuritySchema, options);
}

/** The first page of the calling member's security rows, as one GET (e.g. `{pageSize: 1, fields: "member"}`). */
export function mySecurityPage(
  client: ConnectWiseClient,
  query: Record<string, string | number>,
): Promise<MySecurity[]> {
  return client.get(pathOf("mySecurity"), z.array(MySecuritySchema), query);
}

/** The identifier of the calling member (one row of mySecurity names it), or undefined when none is named. */
export async function callingMember(client: ConnectWiseClient): Promise<string | undefined> {
  const [row] = await mySecurityPage(client, { pageSize: 1, fields: "member" });
  return row?.member?.identifier ?? undefined;
}

/** The calling member's own items of one customize list (e.g. "SystemTableSetup"). */
export function myCustomizeItems(
  client: ConnectWiseClient,
  customizeIdentifier: string,
): Promise<MySecurityCustomizeItem[]> {
  return client.list(pathOf("myCustomizeItems"), MySecurityCustomizeItemSchema, {
    conditions: eq("customizeIdentifier", customizeIdentifier),
  });
}

// ---- Reference data ----------------------------------------------------------------------------

export interface NamedItem {
  id: number;
  name: string;
}

// Only id and name are requested (fields projection), so the full spec schemas do not apply.
const IdAndName = z.looseObject({ id: z.number(), name: z.string() });

/** The lists an API member's references are named from. */
export type NamedList = "corporateStructureLevels" | "departments" | "locations" | "securityRoles";

/** Every item of a reference list, id and name only, by name. */
export async function namedItems(client: ConnectWiseClient, list: NamedList): Promise<NamedItem[]> {
  const rows = await client.list(pathOf(list), IdAndName, { fields: ["id", "name"], orderBy: "name asc" });
  return rows.map(({ id, name }) => ({ id, name }));
}
