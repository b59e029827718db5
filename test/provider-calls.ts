// The ConnectWise calls the provider makes (as provider/*.ts make them, plus the reads a handler
// may add: get by id, counts), driven through the client against a sandbox, for the contract
// and conformance suites: lookups of levels, locations and departments; a security role's life
// (look up by name, create, read, settings, delete); an API member's (look up, create, read,
// patch, put, deactivate); a token, whose it is, and what its member sees. Returns the
// sandbox's request log of exactly these calls.

import { ConnectWiseClient } from "../provider/connectwise/client";
import { z } from "zod";
import { and, eq } from "../provider/connectwise/conditions";
import { ConnectWiseError } from "../provider/connectwise/errors";
import {
  ApiMemberSchema,
  CorporateStructureLevelSchema,
  DepartmentSchema,
  LocationSchema,
  MemberDeactivationSchema,
  MemberSchema,
  MySecurityCustomizeItemSchema,
  MySecuritySchema,
  SecurityRoleSchema,
  SecurityRoleSettingSchema,
  SystemInfoSchema,
  TokenSchema,
} from "../provider/connectwise/schemas";
import { LogEntry, SandboxConsole } from "../sandbox/console";
import type { RunningSandbox } from "../sandbox/server";

/** "METHOD /path" with numeric ids as {id}, as the sandbox counts them: every endpoint driven. */
export const DRIVEN_ENDPOINTS = [
  "GET /system/info",
  "GET /system/myCompany/corporateStructureLevels",
  "GET /system/myCompany/corporateStructureLevels/{id}",
  "GET /system/locations",
  "GET /system/locations/{id}",
  "GET /system/locations/count",
  "GET /system/departments",
  "GET /system/departments/{id}",
  "GET /system/departments/count",
  "GET /system/securityroles",
  "POST /system/securityroles",
  "GET /system/securityroles/{id}",
  "GET /system/securityroles/count",
  "DELETE /system/securityroles/{id}",
  "GET /system/securityRoles/{id}/settings",
  "GET /system/securityRoles/{id}/settings/count",
  "GET /system/apiMembers",
  "POST /system/apiMembers",
  "GET /system/apiMembers/{id}",
  "PATCH /system/apiMembers/{id}",
  "PUT /system/apiMembers/{id}",
  "GET /system/apiMembers/count",
  "GET /system/members",
  "GET /system/members/contract1",
  "POST /system/members/contract1/tokens",
  "POST /system/members/{id}/deactivate",
  "GET /system/mySecurity",
  "GET /system/mySecurity/customizeItems",
];

async function expectFailure(call: Promise<unknown>, status: number): Promise<void> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ConnectWiseError && err.status === status) return;
    throw err;
  }
  throw new Error(`expected a ${status}`);
}

export async function driveProviderCalls(sb: RunningSandbox): Promise<LogEntry[]> {
  const ops = new SandboxConsole(sb.consoleUrl);
  const client = await ConnectWiseClient.connect({
    site: sb.url,
    companyId: sb.companyId,
    clientId: sb.clientId,
    publicKey: sb.publicKey,
    privateKey: sb.privateKey,
  });
  await ops.resetRequests();

  await client.get("/system/info", SystemInfoSchema);

  // Names in the program resolve to ids (provider/lookups.ts reads id and name of every row).
  const IdAndName = z.looseObject({ id: z.number(), name: z.string() });
  const byName = { fields: ["id", "name"], orderBy: "name asc" };
  const level = (await client.list("/system/myCompany/corporateStructureLevels", IdAndName, byName)).find(
    (l) => l.name === "Corporate",
  )!;
  const location = (await client.list("/system/locations", IdAndName, byName)).find((l) => l.name === "Tampa Office")!;
  const department = (await client.list("/system/departments", IdAndName, byName)).find((d) => d.name === "Admin")!;
  await client.list("/system/myCompany/corporateStructureLevels", CorporateStructureLevelSchema, {
    conditions: eq("name", "Corporate"),
  });
  await client.get(`/system/myCompany/corporateStructureLevels/${level.id}`, CorporateStructureLevelSchema);
  await client.list("/system/locations", LocationSchema, { conditions: eq("name", "Tampa Office") });
  await client.get(`/system/locations/${location.id}`, LocationSchema);
  await client.count("/system/locations", eq("name", "Tampa Office"));
  await client.list("/system/departments", DepartmentSchema, { conditions: eq("identifier", "Admin") });
  await client.get(`/system/departments/${department.id}`, DepartmentSchema);
  await client.count("/system/departments");

  // Security role: adopt by name or create; read it and its settings.
  const roleName = 'Contract "Role" \\ 1';
  if ((await client.list("/system/securityroles", SecurityRoleSchema, { conditions: eq("name", roleName) })).length > 0)
    throw new Error("role exists already");
  const role = await client.post("/system/securityroles", { name: roleName }, SecurityRoleSchema);
  await expectFailure(client.post("/system/securityroles", { name: roleName }, SecurityRoleSchema), 400);
  await client.get(`/system/securityroles/${role.id}`, SecurityRoleSchema);
  await client.count("/system/securityroles", eq("name", roleName));
  await client.getOrUndefined(`/system/securityroles/${role.id}`, SecurityRoleSchema);
  await client.list(`/system/securityRoles/${role.id}/settings`, SecurityRoleSettingSchema, { pageSize: 1000 });
  await client.count(`/system/securityRoles/${role.id}/settings`);
  await expectFailure(client.get("/system/securityroles/999999", SecurityRoleSchema), 404);

  // What only the console can do: the operator sets levels and the Table Setup list.
  await ops.setPermissions(roleName, {
    "System/Table Setup": { inquire: "All" },
    "System/Member Maintenance": { inquire: "All" },
  });
  await ops.setTableSetup(roleName, ["Service / Service Board", "Company / Company Status"]);

  // API member: look up by identifier, create, read, update.
  const identifier = "contract1";
  await expectFailure(client.get(`/system/members/${identifier}`, MemberSchema), 404);
  await client.list("/system/apiMembers", ApiMemberSchema, { conditions: eq("identifier", identifier) });
  const created = await client.post(
    "/system/apiMembers",
    {
      identifier,
      name: "Contract One",
      emailAddress: "contract1@example.invalid",
      securityRole: { id: role.id },
      structureLevel: { id: level.id },
      securityLocation: { id: location.id },
      defaultLocation: { id: location.id },
      defaultDepartment: { id: department.id },
      salesDefaultLocation: { id: location.id },
    },
    ApiMemberSchema,
  );
  const memberPath = `/system/apiMembers/${created.id}`;
  const read = await client.get(memberPath, ApiMemberSchema);
  await client.patch(
    memberPath,
    [
      { op: "replace", path: "name", value: "Contract Two" },
      { op: "replace", path: "securityRole", value: { id: role.id } },
    ],
    ApiMemberSchema,
  );
  const { id: _id, _info: _ignored, ...writable } = read;
  await client.put(memberPath, { ...writable, name: "Contract Three", notes: "managed as code" }, ApiMemberSchema);
  await client.count("/system/apiMembers", eq("identifier", identifier));
  await client.get(`/system/members/${identifier}`, MemberSchema);
  await client.list("/system/members", MemberSchema, { conditions: eq("identifier", identifier) });

  // A token, whose member it authenticates as, and what that member sees with it.
  const token = await client.post(`/system/members/${identifier}/tokens`, undefined, TokenSchema);
  const asMember = client.asMember(token.publicKey, token.privateKey);
  await asMember.get("/system/mySecurity", z.array(MySecuritySchema), { pageSize: 1, fields: "member" });
  await asMember.list("/system/mySecurity", MySecuritySchema, {
    conditions: and(eq("moduleName", "System"), eq("moduleFunctionName", "Table Setup")),
  });
  await asMember.list("/system/mySecurity/customizeItems/", MySecurityCustomizeItemSchema, {
    conditions: eq("customizeIdentifier", "SystemTableSetup"),
  });

  // Delete: API members are deactivated (no DELETE exists): by PATCH, or /deactivate for any
  // member; the role goes once no active member uses it.
  await client.patch(memberPath, [{ op: "replace", path: "inactiveFlag", value: true }], ApiMemberSchema);
  await client.post(
    `/system/members/${created.id}/deactivate`,
    { deleteOpenTimeSheetsFlag: false },
    MemberDeactivationSchema,
  );
  const inUse = and(eq("securityRole/id", role.id!), eq("inactiveFlag", false));
  await client.list("/system/members", MemberSchema, { conditions: inUse, fields: ["id", "identifier"] });
  await client.list("/system/apiMembers", ApiMemberSchema, { conditions: inUse, fields: ["id", "identifier"] });
  await client.delete(`/system/securityroles/${role.id}`);
  await expectFailure(client.get(`/system/securityroles/${role.id}`, SecurityRoleSchema), 404);

  return (await ops.requests()).entries;
}
