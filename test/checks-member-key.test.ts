// check() of ApiMember and ApiKey: every invalid input is a CheckFailure naming the resource, the
// field, the bad value and what is allowed; the only requests are the cached name lookups.

import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { provider as apiKey } from "../provider/apiKey";
import { provider as apiMember } from "../provider/apiMember";
import { parseDuration } from "../provider/duration";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox } from "../sandbox/server";
import { configure, startHandlerSandbox } from "./handler-harness";

let sandbox: RunningSandbox;
let operator: SandboxConsole;

beforeAll(async () => {
  const started = await startHandlerSandbox();
  ({ sandbox, operator } = started);
  await configure(apiMember, started.config);
});
afterAll(() => sandbox.close());

const member = {
  identifier: "svc-check",
  name: "Check Member",
  email: "check@example.com",
  securityRole: "Not Yet Created",
  level: "Corporate",
  businessUnit: "Admin",
  location: "Main",
  defaultTerritory: "Remote",
};

async function memberFailures(overrides: Record<string, unknown>): Promise<Record<string, string>> {
  const result = await apiMember.check({}, { ...member, ...overrides });
  return Object.fromEntries((result.failures ?? []).map((f) => [f.property, f.reason]));
}

describe("ApiMember check", () => {
  test("valid input is normalised to the tenant's spelling; the role is not looked up", async () => {
    await operator.resetRequests();
    const result = await apiMember.check(
      {},
      {
        ...member,
        identifier: " svc-check ",
        level: "corporate",
        businessUnit: "SERVICES",
        location: "tampa office",
        notes: " hi ",
      },
    );
    expect(result.failures).toBeUndefined();
    expect(result.inputs).toEqual({
      ...member,
      level: "Corporate",
      businessUnit: "Services",
      location: "Tampa Office",
      notes: "hi",
    });
    const paths = Object.keys((await operator.requests()).counts).sort();
    expect(paths).toEqual([
      "GET /system/departments",
      "GET /system/locations",
      "GET /system/myCompany/corporateStructureLevels",
    ]);

    // Cached per process: a second check makes no request at all.
    await operator.resetRequests();
    expect((await apiMember.check({}, member)).failures).toBeUndefined();
    expect((await operator.requests()).entries).toEqual([]);
  });

  test("identifier over 15, name over 30 and a bad email fail with the value and the limit", async () => {
    const failures = await memberFailures({
      identifier: "identifier-too-long",
      name: "A name that is well over thirty characters",
      email: "not-an-email",
    });
    expect(failures.identifier).toBe(
      'ApiMember identifier-too-long: identifier "identifier-too-long" has 19 characters; ConnectWise allows at most 15',
    );
    expect(failures.name).toContain(
      'name "A name that is well over thirty characters" has 42 characters; ConnectWise allows at most 30',
    );
    expect(failures.email).toContain('email "not-an-email" is not a valid email address');
  });

  test("missing and mistyped fields fail", async () => {
    const failures = await memberFailures({ name: undefined, securityRole: 7, adopt: "yes" });
    expect(failures.name).toContain("name is required");
    expect(failures.securityRole).toContain("securityRole is required: give a non-empty string (got 7)");
    expect(failures.adopt).toContain('adopt must be true or false (got "yes")');
  });

  test.each([
    ["level", "Corprate", '"Corporate"', "Corporate, Region"],
    ["businessUnit", "Servces", '"Services"', "Admin, Projects, Sales, Services"],
    ["location", "Tampa Ofice", '"Tampa Office"', "Europe, Main, Remote, Tampa Office"],
    ["defaultTerritory", "Europa", '"Europe"', "Europe, Main, Remote, Tampa Office"],
  ])("unknown %s %j fails with did-you-mean and the names that exist", async (field, value, suggestion, known) => {
    const failures = await memberFailures({ [field]: value });
    expect(Object.keys(failures)).toEqual([field]);
    expect(failures[field]).toContain(`ApiMember svc-check: ${field} "${value}" is not one of the`);
    expect(failures[field]).toContain(`did you mean ${suggestion}?`);
    expect(failures[field]).toContain(known);
  });

  test("a name with nothing close lists the names without a suggestion", async () => {
    const failures = await memberFailures({ level: "Galaxy" });
    expect(failures.level).not.toContain("did you mean");
    expect(failures.level).toContain("Known corporate structure levels: Corporate, Region");
  });

  test("computed (unknown) values pass check untouched during preview", async () => {
    const result = await apiMember.check(
      {},
      { ...member, securityRole: unknownValue, location: unknownValue, identifier: unknownValue, email: unknownValue },
    );
    expect(result.failures).toBeUndefined();
    expect(result.inputs).toMatchObject({
      securityRole: unknownValue,
      location: unknownValue,
      identifier: unknownValue,
    });
  });
});

describe("ApiKey check", () => {
  async function keyFailures(news: Record<string, unknown>): Promise<Record<string, string>> {
    const result = await apiKey.check({}, news);
    return Object.fromEntries((result.failures ?? []).map((f) => [f.property, f.reason]));
  }

  test("defaults source token and rotateBefore 7d, and sends no request", async () => {
    await operator.resetRequests();
    const result = await apiKey.check({}, { member: " svc-a ", description: "Elements" });
    expect(result).toEqual({
      inputs: { member: "svc-a", description: "Elements", source: "token", rotateBefore: "7d" },
    });
    expect((await operator.requests()).entries).toEqual([]);
  });

  test("source, key inputs and rotateBefore are validated; key values are never echoed", async () => {
    const secret = "PRIVATE-do-not-echo";
    expect(await keyFailures({ member: "svc-a", description: "x", source: "portal" })).toEqual({
      source: expect.stringContaining('ApiKey for member svc-a: source "portal" is not allowed; use "token"'),
    });
    const tokenWithKeys = await keyFailures({
      member: "svc-a",
      description: "x",
      publicKey: "pub",
      privateKey: secret,
    });
    expect(tokenWithKeys.privateKey).toContain('privateKey is only allowed with source "console"');
    const consoleWithout = await keyFailures({
      member: "svc-a",
      description: "x",
      source: "console",
      publicKey: "pub",
    });
    expect(consoleWithout).toEqual({
      privateKey: expect.stringContaining('privateKey is required with source "console"'),
    });
    const badDuration = await keyFailures({ member: "svc-a", description: "x", rotateBefore: "a week" });
    expect(badDuration.rotateBefore).toContain(
      'rotateBefore "a week" is not a duration; use days, hours or minutes such as "7d"',
    );
    const tooLong = await keyFailures({ member: "identifier-too-long", description: "" });
    expect(tooLong.member).toContain("has 19 characters; member identifiers have at most 15");
    expect(tooLong.description).toContain("description is required");
    expect(JSON.stringify([tokenWithKeys, consoleWithout])).not.toContain(secret);
  });

  test("console keys given as computed values pass during preview", async () => {
    const result = await apiKey.check(
      {},
      { member: unknownValue, description: "x", source: "console", publicKey: unknownValue, privateKey: unknownValue },
    );
    expect(result.failures).toBeUndefined();
  });
});

describe("parseDuration", () => {
  test.each([
    ["7d", 7 * 86_400_000],
    ["12h", 12 * 3_600_000],
    ["30m", 30 * 60_000],
    ["1d12h", 36 * 3_600_000],
    [" 2D ", 2 * 86_400_000],
  ])("%j is %d ms", (text, ms) => expect(parseDuration(text)).toBe(ms));

  test.each(["", "7", "d", "7 days", "-1d", "1.5h", "7s"])("%j is not a duration", (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});
