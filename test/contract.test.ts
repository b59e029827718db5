// Contract: every request the real handlers make (test/handler-scenario.ts drives SecurityRole,
// ApiMember, ApiKey and TableSetupAccess through every path) and every answer the sandbox gave,
// as the sandbox logged them, match the project's own zod schemas (connectwise/schemas.ts), as
// the typed endpoint layer (connectwise/endpoints.ts) pairs them with each endpoint. Every
// endpoint of the layer must have been exercised, and nothing else called.

import * as path from "path";
import { z } from "zod";
import { ErrorResponseSchema } from "../connectwise/schemas";
import { ENDPOINTS, Endpoint } from "../connectwise/endpoints";
import type { LogEntry } from "../sandbox/console";
import {
  HANDLER_METHODS,
  RESOURCE_TYPES,
  SCENARIO_TIMEOUT_MS,
  driveHandlers,
  endpointMatches,
  pathsWrittenIn,
  providerEndpoints,
} from "./handler-scenario";

interface Shape {
  method: string;
  /** Matched against the logged path. */
  path: RegExp;
  request?: z.ZodType;
  /** The 2xx answer (each row of it when `list`); absent means an empty body (204). */
  response?: z.ZodObject;
  list?: boolean;
}

const endpoints = providerEndpoints();
/** One per endpoint of the layer; each must be exercised (a stale entry fails the suite). */
const SHAPES: Shape[] = endpoints.map(({ name, method, pattern }) => {
  const spec: Endpoint = ENDPOINTS[name];
  return { method, path: pattern, request: spec.request, response: spec.response, list: spec.list };
});

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

let entries: LogEntry[];
let handlerCalls: Set<string>;

beforeAll(async () => {
  ({ entries, handlerCalls } = await driveHandlers());
}, SCENARIO_TIMEOUT_MS);

/** "METHOD /template" of a logged request, by the provider path it came from. */
function endpointOf(entry: LogEntry): string | undefined {
  const endpoint = endpoints.find((e) => endpointMatches(e, entry));
  return endpoint && `${entry.method} ${endpoint.path}`;
}

describe("contract with the project's schemas", () => {
  it("drove every handler method of every resource", () => {
    const expected = RESOURCE_TYPES.flatMap((type) => HANDLER_METHODS.map((method) => `${type}.${method}`));
    expect(expected.filter((call) => !handlerCalls.has(call))).toEqual([]);
  });

  it("exercised every endpoint of the typed layer, and called nothing else", () => {
    // From connectwise/endpoints.ts: a new endpoint there fails this test until the scenario exercises it.
    const unexercised = endpoints.filter((e) => !entries.some((entry) => endpointMatches(e, entry)));
    expect(unexercised.map((e) => `${e.method} ${e.path} (${e.name})`)).toEqual([]);
    expect(entries.filter((e) => !endpointOf(e)).map((e) => `${e.method} ${e.path}`)).toEqual([]);
    expect([...new Set(entries.map(endpointOf))].sort()).toEqual([
      "DELETE /system/securityroles/{id}",
      "GET /system/apiMembers",
      "GET /system/apiMembers/{id}",
      "GET /system/departments",
      "GET /system/locations",
      "GET /system/members",
      "GET /system/myCompany/corporateStructureLevels",
      "GET /system/mySecurity",
      "GET /system/mySecurity/customizeItems/",
      "GET /system/securityRoles/{id}/settings",
      "GET /system/securityroles",
      "GET /system/securityroles/{id}",
      "PATCH /system/apiMembers/{id}",
      "POST /system/apiMembers",
      "POST /system/members/{memberIdentifier}/tokens",
      "POST /system/securityroles",
    ]);
  });

  it("the handlers reach the API only through the typed layer", () => {
    // A path written in provider/ itself would bypass the layer, and with it these suites.
    expect(pathsWrittenIn(path.resolve(__dirname, "../provider"))).toEqual([]);
  });

  it("has one schema per exercised endpoint, none stale", () => {
    const unused = SHAPES.filter((s) => !entries.some((e) => e.method === s.method && s.path.test(e.path)));
    expect(unused.map((s) => `${s.method} ${String(s.path)}`)).toEqual([]);
  });

  it("includes the failures the handlers handle: a refused identifier (400), revoked keys (401), gone objects (404)", () => {
    const failed = (status: number) => [...new Set(entries.filter((e) => e.status === status).map(endpointOf))].sort();
    expect(failed(400)).toEqual(["POST /system/apiMembers"]);
    expect(failed(401)).toEqual(["GET /system/mySecurity", "GET /system/mySecurity/customizeItems/"]);
    expect(failed(404)).toEqual([
      "DELETE /system/securityroles/{id}",
      "GET /system/apiMembers/{id}",
      // A deleted role's settings: how diff tells the role is gone (one read, no role GET).
      "GET /system/securityRoles/{id}/settings",
      "GET /system/securityroles/{id}",
      "PATCH /system/apiMembers/{id}",
    ]);
    expect(entries.filter((e) => ![200, 201, 204, 400, 401, 404].includes(e.status))).toEqual([]);
  });

  it("every request body and every answer matches the schemas", () => {
    expect(entries.length).toBeGreaterThan(60);
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
    const patch = entries.find((e) => e.method === "PATCH" && e.status === 200)!;
    expect(check({ ...patch, requestBody: [{ op: "move", path: "name" }] })).not.toEqual([]);
  });
});
