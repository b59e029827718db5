// Vendor conformance: the calls the provider makes (test/provider-calls.ts), as the sandbox
// logged them, checked against the vendor's OpenAPI 2025.8 subset read at test time from
// ../shared/connectwise/openapi-subset.json (not ours to ship, so never copied in). Every
// method and path must be one the spec lists, with its exact casing; query parameters must be
// declared; bodies must match the request and response schemas; statuses must be the
// documented success codes. Where the subset is incomplete, the test says so by asserting it.

import * as fs from "fs";
import * as path from "path";
import type { LogEntry } from "../sandbox/console";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { MatchedOperation, OpenApiValidator, SchemaObject, Spec } from "./openapi-validator";
import { driveProviderCalls } from "./provider-calls";

const SPEC_PATH = path.resolve(__dirname, "../../shared/connectwise/openapi-subset.json");
const MEDIA_TYPE = "application/vnd.connectwise.com+json; version=2025.8";

/** Called by the provider, in the vendor's full spec, but not in the subset (nothing to check against). */
const OUTSIDE_SUBSET = ["GET /system/info"];

/**
 * Where the sandbox's answers and the vendor schema part ways, reported to the sandbox's owner.
 * Member requires hireDate and defaultPhone; the sandbox's Member view of an API member
 * (licenseClass A) leaves them out. What the real API returns there is not published. The
 * client does not depend on either (MemberSchema requires only the identifier). Each entry
 * must still occur: once the sandbox is fixed, the entry goes.
 */
const KNOWN_SANDBOX_DEVIATIONS: RegExp[] = [
  /^GET \/system\/members(\/contract1)? response(\[\d+\])?\/(hireDate|defaultPhone): required$/,
];

if (!fs.existsSync(SPEC_PATH)) {
  describe("vendor conformance (../shared/connectwise/openapi-subset.json)", () => {
    if (process.env.CI) {
      it("needs ../shared in CI", () => {
        throw new Error(
          `../shared is required in CI: ${SPEC_PATH} does not exist, so the vendor-conformance suite cannot run`,
        );
      });
    } else {
      it("did not run: ../shared/connectwise/openapi-subset.json is not beside the project", () => {
        process.stderr.write(`conformance: did not run, ${SPEC_PATH} is missing (it is required when CI is set)\n`);
        expect(fs.existsSync(SPEC_PATH)).toBe(false);
      });
    }
  });
} else {
  const spec = JSON.parse(fs.readFileSync(SPEC_PATH, "utf8")) as Spec;
  const validator = new OpenApiValidator(spec);
  let sb: RunningSandbox;
  let entries: LogEntry[];

  beforeAll(async () => {
    sb = await startSandbox({ port: 0 });
    entries = await driveProviderCalls(sb);
  });

  afterAll(() => sb.close());

  const label = (e: LogEntry) => `${e.method} ${e.path}`;
  const inSubset = (e: LogEntry) => !OUTSIDE_SUBSET.includes(label(e));
  const matched = (e: LogEntry): MatchedOperation => validator.findOperation(e.method, e.path)!;

  /** PATCH bodies: the spec types PatchOperation.value as `object`; a value is checked against the field it targets instead. */
  function patchProblems(e: LogEntry, op: MatchedOperation, target: SchemaObject): string[] {
    const body = e.requestBody;
    if (!Array.isArray(body)) return [`${label(e)} request: expected an array of PatchOperation`];
    const patchSchema = validator.resolve({ $ref: "#/components/schemas/PatchOperation" })!;
    const withoutValue: SchemaObject = { ...patchSchema, properties: { ...patchSchema.properties } };
    delete withoutValue.properties!.value;
    const resource = validator.resolve(target)!;
    return body.flatMap((operation: Record<string, unknown>, i: number) => {
      const at = `${label(e)} request[${i}]`;
      const { value, ...rest } = operation;
      const out = validator.validate(withoutValue, rest, at, "request");
      const field = String(operation.path ?? "")
        .replace(/^\//, "")
        .split("/");
      let schema: SchemaObject | undefined = resource;
      for (const name of field) schema = schema && validator.resolve(schema)?.properties?.[name];
      if (!schema)
        return [...out, `${at}: path ${String(operation.path)} names no property of ${op.template}'s resource`];
      return operation.op === "remove" ? out : [...out, ...validator.validate(schema, value, `${at}/value`, "request")];
    });
  }

  function bodyProblems(e: LogEntry): string[] {
    const op = matched(e);
    const out: string[] = [];
    const where = label(e);
    const requestSchema = op.operation.requestBody?.content["application/json"]?.schema;
    const successSchema = Object.entries(op.operation.responses).find(([code]) => code.startsWith("2"))?.[1].content?.[
      MEDIA_TYPE
    ]?.schema;
    if (e.method === "PATCH") out.push(...patchProblems(e, op, successSchema!));
    else if (requestSchema) {
      if (e.requestBody === undefined && op.operation.requestBody?.required)
        out.push(`${where}: the spec requires a body`);
      else
        out.push(
          ...validator.validate(
            requestSchema,
            e.requestBody,
            `${where} request`,
            e.method === "PUT" ? "update" : "request",
          ),
        );
    } else if (e.requestBody !== undefined) out.push(`${where}: a body was sent to an operation that takes none`);

    if (e.status >= 200 && e.status < 300) {
      const documented = op.operation.responses[String(e.status)];
      if (!documented)
        return [
          ...out,
          `${where}: status ${e.status}, the spec documents ${Object.keys(op.operation.responses).join(", ")}`,
        ];
      const schema = documented.content?.[MEDIA_TYPE]?.schema;
      const projected = new URLSearchParams(e.query).has("fields");
      if (schema)
        out.push(
          ...validator.validate(schema, e.responseBody, `${where} response`, projected ? "projected" : "response"),
        );
      else if (e.responseBody !== undefined) out.push(`${where}: a body came back where the spec documents none`);
    } else {
      // The spec documents no error responses; its ErrorResponseMessage schema is what errors are.
      out.push(
        ...validator.validate(
          { $ref: "#/components/schemas/ErrorResponseMessage" },
          e.responseBody,
          `${where} error ${e.status}`,
          "response",
        ),
      );
    }
    return out;
  }

  describe("vendor conformance (../shared/connectwise/openapi-subset.json)", () => {
    it("reads the 2025.8 subset", () => {
      expect((spec as unknown as { info: { version: string } }).info.version).toBe("2025.8");
      expect(Object.keys(spec.paths).length).toBeGreaterThan(20);
    });

    it("calls only methods and paths the spec lists, with the spec's casing", () => {
      const unlisted = entries.filter(inSubset).filter((e) => !validator.findOperation(e.method, e.path));
      expect(
        unlisted.map(
          (e) =>
            `${label(e)} (case-insensitive match: ${validator.caseInsensitiveTemplates(e.method, e.path).join(", ") || "none"})`,
        ),
      ).toEqual([]);
      const templates = new Set(entries.filter(inSubset).map((e) => `${e.method} ${matched(e).template}`));
      expect(templates).toContain("GET /system/securityRoles/{parentId}/settings");
      expect(templates).toContain("GET /system/securityroles/{id}");
      expect(templates).toContain("GET /system/members/{memberIdentifier:regex(^(types. |(");
      expect(templates).toContain("POST /system/members/{memberIdentifier}/tokens");
      // The request log keeps paths without a trailing slash, so the one template that has one
      // is matched without it (whether the client sent the slash is not visible in the log).
      const slashless = new Set(
        entries
          .filter(inSubset)
          .filter((e) => matched(e).trailingSlashDiffers)
          .map((e) => matched(e).template),
      );
      expect([...slashless]).toEqual(["/system/mySecurity/customizeItems/"]);
    });

    it("would catch a wrong casing or an unlisted method", () => {
      expect(validator.findOperation("GET", "/system/securityroles/5/settings")).toBeUndefined();
      expect(validator.caseInsensitiveTemplates("GET", "/system/securityroles/5/settings")).toEqual([
        "/system/securityRoles/{parentId}/settings",
      ]);
      expect(validator.findOperation("PUT", "/system/securityroles/5")).toBeUndefined();
      expect(validator.findOperation("DELETE", "/system/apiMembers/5")).toBeUndefined();
      expect(validator.findOperation("GET", "/system/securityroles/abc")).toBeUndefined();
    });

    it("says which calls the subset cannot check: /system/info and /login/companyinfo are not in it", () => {
      const called = new Set(entries.map(label));
      for (const outside of OUTSIDE_SUBSET) {
        expect(called).toContain(outside);
        expect(validator.findOperation(outside.split(" ")[0], outside.split(" ")[1])).toBeUndefined();
      }
      // Codebase discovery is outside /apis/3.0: not in the request log and not in the spec.
      expect(Object.keys(spec.paths)).not.toContain("/system/info");
      expect(Object.keys(spec.paths).filter((p) => p.startsWith("/login"))).toEqual([]);
      expect(entries.some((e) => e.path.startsWith("/login"))).toBe(false);
    });

    it("sends only the query parameters each operation declares, with their types", () => {
      const problems = entries.filter(inSubset).flatMap((e) => {
        const params = matched(e).operation.parameters ?? [];
        return [...new URLSearchParams(e.query)].flatMap(([name, value]) => {
          const declared = params.find((p) => p.in === "query" && p.name === name);
          if (!declared) return [`${label(e)}: query parameter ${name} is not declared`];
          return validator.validate(
            declared.schema ?? {},
            declared.schema?.type === "integer" ? Number(value) : value,
            `${label(e)}?${name}`,
            "request",
          );
        });
      });
      expect(problems).toEqual([]);
      expect(entries.some((e) => new URLSearchParams(e.query).has("conditions"))).toBe(true);
    });

    it("answers with the documented success status, and bodies match the vendor schemas", () => {
      const problems = entries.filter(inSubset).flatMap(bodyProblems);
      expect(problems.filter((p) => !KNOWN_SANDBOX_DEVIATIONS.some((known) => known.test(p)))).toEqual([]);
      for (const known of KNOWN_SANDBOX_DEVIATIONS) expect(problems.some((p) => known.test(p))).toBe(true);
      expect(entries.filter((e) => e.status >= 400).length).toBeGreaterThan(0);
    });

    it("states where the subset is incomplete: PatchOperation.value is typed object, some $refs are not included", () => {
      // The generated spec types PatchOperation.value as `object` (C#'s System.Object: any JSON);
      // a replace of `name` sends a string, so values are checked against their target field.
      expect(spec.components.schemas.PatchOperation.properties!.value).toEqual({ type: "object" });
      const listed = spec["x-subset-provenance"].unresolved_refs_not_included;
      for (const name of validator.unresolvedRefs) expect(listed).toContain(name);
      expect(listed).toEqual(
        expect.arrayContaining(["BoardReference", "MemberDeactivationItem", "MemberTypeReference"]),
      );
      for (const name of listed) expect(spec.components.schemas[name]).toBeUndefined();
    });

    it("the checks fail on a response that breaks the vendor schema", () => {
      const role = entries.find(
        (e) => e.method === "GET" && /^\/system\/securityroles\/\d+$/.test(e.path) && e.status === 200,
      )!;
      const broken = { ...role, responseBody: { id: 1.5, name: "x".repeat(31), adminFlag: "yes", extra: 1 } };
      expect(bodyProblems(broken)).toEqual([
        "GET " + role.path + " response/id: expected an integer",
        "GET " + role.path + " response/name: longer than 30",
        "GET " + role.path + " response/adminFlag: expected a boolean",
        "GET " + role.path + " response/extra: not a property of the spec's schema",
      ]);
      const put = entries.find((e) => e.method === "PUT")!;
      const { name: _name, ...withoutName } = put.requestBody as Record<string, unknown>;
      expect(bodyProblems({ ...put, requestBody: withoutName })).toContain(`PUT ${put.path} request/name: required`);
      expect(bodyProblems({ ...role, status: 201 })[0]).toMatch(/status 201, the spec documents 200/);
    });
  });
}
