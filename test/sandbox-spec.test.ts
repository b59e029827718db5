// Every view the sandbox answers a GET with carries what the published spec's schema requires
// (../shared/connectwise/openapi-subset.json, read at test time): Member for every member, API
// members included however they were made, ApiMember, SecurityRole, Location, Department, ...
// The answers are also checked for type, enum and length against the schema.

import * as fs from "fs";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { OpenApiValidator, SchemaObject, Spec } from "./openapi-validator";
import { call } from "./sandbox-harness";
import { missingSharedMessage, sharedPath } from "./shared-data";

const SPEC_PATH = sharedPath("connectwise/openapi-subset.json");

let sb: RunningSandbox;
let validator: OpenApiValidator;

beforeAll(async () => {
  // Without the spec the suite cannot run, and fails saying what to provide.
  if (!fs.existsSync(SPEC_PATH)) throw new Error(missingSharedMessage(SPEC_PATH));
  validator = new OpenApiValidator(JSON.parse(fs.readFileSync(SPEC_PATH, "utf8")) as Spec);
  sb = await startSandbox({ port: 0 });
});

afterAll(() => sb?.close());

/** GETs `apiPath` and returns the violations of the spec's 200 schema for it (empty when it conforms). */
async function violations(apiPath: string): Promise<string[]> {
  const res = await call(sb, apiPath);
  expect([apiPath, res.status]).toEqual([apiPath, 200]);
  const op = validator.findOperation("get", apiPath.split("?")[0]);
  if (!op) throw new Error(`the spec lists no GET ${apiPath}`);
  const content = op.operation.responses["200"]?.content ?? {};
  const schema: SchemaObject | undefined = Object.values(content)[0]?.schema;
  if (!schema) throw new Error(`the spec has no 200 schema for GET ${op.template}`);
  return validator.validate(schema, res.body, `GET ${apiPath}`, "response");
}

describe("views against the spec's schemas (required, types)", () => {
  it("the spec still requires what this suite was written for", () => {
    const schemas = validator.spec.components.schemas;
    expect(schemas.Member.required).toEqual(
      expect.arrayContaining(["identifier", "licenseClass", "firstName", "lastName", "hireDate", "defaultEmail"]),
    );
    expect(schemas.Member.required).toEqual(expect.arrayContaining(["defaultPhone", "securityRole"]));
    expect(schemas.ApiMember.required).toEqual(["identifier"]);
  });

  it("Member: every member, API members made with and without role, email and name", async () => {
    const role = (await call(sb, "/system/securityroles", { method: "POST", body: { name: "SpecRole" } })).body;
    const made = [
      { identifier: "SpecBare" },
      { identifier: "SpecMail", emailAddress: "mail@spec.invalid" },
      {
        identifier: "SpecFull",
        name: "Spec Full",
        emailAddress: "full@spec.invalid",
        securityRole: { id: role.id },
        defaultLocation: { id: 1 },
        defaultDepartment: { id: 10 },
        notes: "all of it",
      },
    ];
    const ids: number[] = [];
    for (const body of made) {
      const res = await call(sb, "/system/apiMembers", { method: "POST", body });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    // A deactivated one too.
    expect((await call(sb, `/system/members/${ids[2]}/deactivate`, { method: "POST", body: {} })).status).toBe(200);

    const problems = [
      ...(await violations("/system/members?pageSize=1000")),
      ...(await violations("/system/members/admin")),
      ...(await violations("/system/members/101")),
    ];
    for (const id of ids) problems.push(...(await violations(`/system/members/${id}`)));
    for (const identifier of ["SpecBare", "SpecMail", "SpecFull"])
      problems.push(...(await violations(`/system/members/${identifier}`)));
    expect(problems).toEqual([]);

    const bare = (await call(sb, "/system/members/SpecBare")).body;
    expect(bare).toMatchObject({ defaultEmail: "Office", defaultPhone: "Office", securityRole: { id: null } });
    expect(Date.parse(bare.hireDate)).not.toBeNaN();
    const full = (await call(sb, "/system/members/SpecFull")).body;
    expect(full.securityRole).toEqual({ id: role.id, name: "SpecRole" });
    // The required fields filter like any other.
    const byRole = await call(sb, `/system/members?conditions=${encodeURIComponent(`securityRole/id=${role.id}`)}`);
    expect(byRole.body.map((m: { identifier: string }) => m.identifier)).toEqual(["SpecFull"]);
  });

  it("ApiMember, SecurityRole, settings, mySecurity, locations, departments, structure levels", async () => {
    const role = (await call(sb, "/system/securityroles?conditions=name%3D%22Admin%22")).body[0];
    const setting = (await call(sb, `/system/securityRoles/${role.id}/settings?pageSize=1`)).body[0];
    const ops = new SandboxConsole(sb.consoleUrl);
    await ops.setTableSetup("Admin", ["Products / UOM"]);
    const paths = [
      "/system/apiMembers?pageSize=1000",
      "/system/apiMembers/default",
      "/system/securityroles?pageSize=1000",
      `/system/securityroles/${role.id}`,
      "/system/securityroles/info",
      `/system/securityroles/${role.id}/info`,
      `/system/securityRoles/${role.id}/settings?pageSize=1000`,
      `/system/securityRoles/${role.id}/settings/${setting.id}`,
      "/system/securityroles/count",
      "/system/mySecurity",
      "/system/mySecurity/customizeItems/",
      "/system/locations",
      "/system/locations/1",
      "/system/departments",
      "/system/departments/10",
      "/system/myCompany/corporateStructureLevels",
      "/system/myCompany/corporateStructureLevels/1",
    ];
    const apiMembers = (await call(sb, "/system/apiMembers?pageSize=1000")).body as { id: number }[];
    paths.push(...apiMembers.map((m) => `/system/apiMembers/${m.id}`));
    const problems: string[] = [];
    for (const p of paths) problems.push(...(await violations(p)));
    expect(problems).toEqual([]);
  });
});
