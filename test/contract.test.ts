// Contract: every request the client makes for the provider and every answer the sandbox gives
// to them match the project's own zod schemas (provider/connectwise/schemas.ts).

import { z } from "zod";
import {
  ApiMemberSchema,
  CorporateStructureLevelSchema,
  CountSchema,
  DepartmentSchema,
  ErrorResponseSchema,
  LocationSchema,
  MemberDeactivationSchema,
  MemberSchema,
  MySecurityCustomizeItemSchema,
  MySecuritySchema,
  PatchOperationSchema,
  SecurityRoleSchema,
  SecurityRoleSettingSchema,
  SystemInfoSchema,
  TokenSchema,
} from "../provider/connectwise/schemas";
import type { LogEntry } from "../sandbox/console";
import { countKey } from "../sandbox/requestLog";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { DRIVEN_ENDPOINTS, driveProviderCalls } from "./provider-calls";

interface Shape {
  method: string;
  /** Matched against the logged path (numeric ids as \d+). */
  path: RegExp;
  request?: z.ZodType;
  /** The 2xx answer (each row of it when `list`); absent means an empty body (204). */
  response?: z.ZodObject;
  list?: boolean;
}

const id = "\\d+";
const SHAPES: Shape[] = [
  { method: "GET", path: /^\/system\/info$/, response: SystemInfoSchema },
  {
    method: "GET",
    path: /^\/system\/myCompany\/corporateStructureLevels$/,
    response: CorporateStructureLevelSchema,
    list: true,
  },
  {
    method: "GET",
    path: new RegExp(`^/system/myCompany/corporateStructureLevels/${id}$`),
    response: CorporateStructureLevelSchema,
  },
  { method: "GET", path: /^\/system\/locations$/, response: LocationSchema, list: true },
  { method: "GET", path: new RegExp(`^/system/locations/${id}$`), response: LocationSchema },
  { method: "GET", path: /^\/system\/(locations|departments|securityroles|apiMembers)\/count$/, response: CountSchema },
  { method: "GET", path: /^\/system\/departments$/, response: DepartmentSchema, list: true },
  { method: "GET", path: new RegExp(`^/system/departments/${id}$`), response: DepartmentSchema },
  { method: "GET", path: /^\/system\/securityroles$/, response: SecurityRoleSchema, list: true },
  { method: "POST", path: /^\/system\/securityroles$/, request: SecurityRoleSchema, response: SecurityRoleSchema },
  { method: "GET", path: new RegExp(`^/system/securityroles/${id}$`), response: SecurityRoleSchema },
  { method: "DELETE", path: new RegExp(`^/system/securityroles/${id}$`) },
  {
    method: "GET",
    path: new RegExp(`^/system/securityRoles/${id}/settings$`),
    response: SecurityRoleSettingSchema,
    list: true,
  },
  { method: "GET", path: new RegExp(`^/system/securityRoles/${id}/settings/count$`), response: CountSchema },
  { method: "GET", path: /^\/system\/apiMembers$/, response: ApiMemberSchema, list: true },
  { method: "POST", path: /^\/system\/apiMembers$/, request: ApiMemberSchema, response: ApiMemberSchema },
  { method: "GET", path: new RegExp(`^/system/apiMembers/${id}$`), response: ApiMemberSchema },
  {
    method: "PATCH",
    path: new RegExp(`^/system/apiMembers/${id}$`),
    request: z.array(PatchOperationSchema),
    response: ApiMemberSchema,
  },
  // "Required On Updates": a PUT carries the name.
  {
    method: "PUT",
    path: new RegExp(`^/system/apiMembers/${id}$`),
    request: ApiMemberSchema.extend({ name: z.string().max(30) }),
    response: ApiMemberSchema,
  },
  { method: "GET", path: /^\/system\/members$/, response: MemberSchema, list: true },
  { method: "GET", path: /^\/system\/members\/[^/]+$/, response: MemberSchema },
  { method: "POST", path: /^\/system\/members\/[^/]+\/tokens$/, response: TokenSchema },
  {
    method: "POST",
    path: new RegExp(`^/system/members/${id}/deactivate$`),
    request: MemberDeactivationSchema,
    response: MemberDeactivationSchema,
  },
  { method: "GET", path: /^\/system\/mySecurity$/, response: MySecuritySchema, list: true },
  {
    method: "GET",
    path: /^\/system\/mySecurity\/customizeItems$/,
    response: MySecurityCustomizeItemSchema,
    list: true,
  },
];

function problems(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join("/") || "(root)"}: ${i.message}`);
}

/**
 * With `fields`, rows hold only the fields asked for: each is checked against the schema with
 * every field optional, and must hold nothing else.
 */
function responseProblems(shape: Shape, entry: LogEntry): string[] {
  const fields = new URLSearchParams(entry.query).get("fields");
  const asked = fields ? new Set(fields.split(",").map((f) => f.split("/")[0])) : undefined;
  const row = asked ? shape.response!.partial() : shape.response!;
  const out = problems(shape.list ? z.array(row) : row, entry.responseBody);
  if (asked) {
    const rows = (Array.isArray(entry.responseBody) ? entry.responseBody : [entry.responseBody]) as Record<
      string,
      unknown
    >[];
    for (const key of new Set(rows.flatMap((r) => Object.keys(r))))
      if (!asked.has(key)) out.push(`${key}: not asked for in fields=${fields}`);
  }
  return out;
}

function check(entry: LogEntry): string[] {
  const where = `${entry.method} ${entry.path} -> ${entry.status}`;
  const shape = SHAPES.find((s) => s.method === entry.method && s.path.test(entry.path));
  if (!shape) return [`${where}: no schema in the contract`];
  const out: string[] = [];
  if (shape.request) out.push(...problems(shape.request, entry.requestBody).map((p) => `${where} request ${p}`));
  else if (entry.requestBody !== undefined) out.push(`${where}: a body was sent where none is expected`);
  if (entry.status >= 200 && entry.status < 300) {
    if (shape.response) out.push(...responseProblems(shape, entry).map((p) => `${where} response ${p}`));
    else if (entry.responseBody !== undefined) out.push(`${where}: a body came back where none is expected`);
  } else {
    out.push(
      ...problems(ErrorResponseSchema.extend({ code: z.string(), message: z.string() }), entry.responseBody).map(
        (p) => `${where} error ${p}`,
      ),
    );
  }
  return out;
}

let sb: RunningSandbox;
let entries: LogEntry[];

beforeAll(async () => {
  sb = await startSandbox({ port: 0 });
  entries = await driveProviderCalls(sb);
});

afterAll(() => sb.close());

describe("contract with the project's schemas", () => {
  it("drove every endpoint the provider uses", () => {
    const driven = new Set(entries.map((e) => countKey(e.method, e.path)));
    expect([...driven].sort()).toEqual([...DRIVEN_ENDPOINTS].sort());
  });

  it("includes the failures the provider relies on: a duplicate (400) and missing objects (404)", () => {
    expect(entries.filter((e) => e.status === 400).map((e) => `${e.method} ${e.path}`)).toEqual([
      "POST /system/securityroles",
    ]);
    expect(entries.filter((e) => e.status === 404)).toHaveLength(3);
    expect(entries.every((e) => [200, 201, 204, 400, 404].includes(e.status))).toBe(true);
  });

  it("every request body and every answer matches the schemas", () => {
    expect(entries.length).toBeGreaterThan(30);
    expect(entries.flatMap(check)).toEqual([]);
  });

  it("the check itself catches a wrong answer", () => {
    const wrong: LogEntry = {
      ...entries.find((e) => e.method === "GET" && /^\/system\/securityroles\/\d+$/.test(e.path) && e.status === 200)!,
    };
    wrong.responseBody = { id: "1", name: "x".repeat(31) };
    expect(check(wrong)).toHaveLength(2);
    expect(check({ ...wrong, method: "PUT" })[0]).toMatch(/no schema in the contract/);
    const projected = entries.find(
      (e) => e.path === "/system/locations" && new URLSearchParams(e.query).get("fields") === "id,name",
    )!;
    expect(check(projected)).toEqual([]);
    expect(check({ ...projected, responseBody: [{ id: 1, name: "Main", manager: {} }] })).toEqual([
      `GET /system/locations -> 200 response manager: not asked for in fields=id,name`,
    ]);
  });
});
