// Drift of API members found by preview without a refresh: diff reads the live member (one GET)
// and prints one line per drifted field through report(); update repairs it with the ids kept
// from the last run, so level, business unit and location names are not looked up again.

import { provider } from "../provider/apiMember";
import type { ApiMemberOutputs } from "../provider/apiMember";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox } from "../sandbox/server";
import { configure, startHandlerSandbox } from "./handler-harness";
import { call } from "./sandbox-harness";

let sandbox: RunningSandbox;
let operator: SandboxConsole;
const printed: string[] = [];
const roleIds: Record<string, number> = {};

beforeAll(async () => {
  const started = await startHandlerSandbox();
  ({ sandbox, operator } = started);
  await configure(provider, started.config);
  for (const name of ["Drift Role", "Other Role"]) {
    const created = await call(sandbox, "/system/securityroles", { method: "POST", body: { name } });
    expect(created.status).toBe(201);
    roleIds[name] = created.body.id;
  }
});
afterAll(() => sandbox.close());

beforeEach(() => {
  printed.length = 0;
  jest.spyOn(console, "error").mockImplementation((...parts: unknown[]) => void printed.push(parts.join(" ")));
});
afterEach(() => jest.restoreAllMocks());

function args(identifier: string): Record<string, unknown> {
  return {
    identifier,
    name: "Drift Service",
    email: `${identifier}@acme.example`,
    securityRole: "Drift Role",
    level: "Corporate",
    businessUnit: "Admin",
    location: "Tampa Office",
    defaultTerritory: "Main",
    notes: "Used by the drift suite",
    owner: `drift/test/${identifier}`,
  };
}

async function created(identifier: string): Promise<{ id: string; outs: ApiMemberOutputs; inputs: any }> {
  const checked = await provider.check({}, args(identifier));
  expect(checked.failures).toBeUndefined();
  const { id, outs } = await provider.create(checked.inputs);
  return { id, outs: outs as ApiMemberOutputs, inputs: checked.inputs };
}

/** A change made by hand, through the admin's API key (as someone editing the member in Manage would). */
async function byHand(id: string, operations: { op: string; path: string; value: unknown }[]): Promise<void> {
  const res = await call(sandbox, `/system/apiMembers/${id}`, { method: "PATCH", body: operations });
  expect(res.status).toBe(200);
}

const replace = (path: string, value: unknown) => ({ op: "replace", path, value });

describe("ApiMember drift in preview (diff, no refresh)", () => {
  test("a role renamed by hand is the role's name drift, with its remedy, not a change of the member", async () => {
    await call(sandbox, "/system/securityroles", { method: "POST", body: { name: "Rename Role" } });
    const { id, outs, inputs } = await created("svc-rename");
    const declared = { ...inputs, securityRole: "Rename Role" };
    const { outs: onRole } = await provider.update(id, outs, declared);
    await operator.renameRole("Rename Role", "Renamed Role");
    printed.length = 0;
    const result = await provider.diff(id, onRole as ApiMemberOutputs, declared);
    expect(printed).toEqual([
      "SecurityRole Rename Role: drift: name: Renamed Role => Rename Role; rename it back to Rename Role in System > Security Roles > Renamed Role",
    ]);
    expect(result.changes).toBe(false);
  });

  test("every managed field and the inactive flag: one line each, one GET, and up repairs it", async () => {
    const { id, outs, inputs } = await created("svc-drift");
    await byHand(id, [
      replace("name", "Renamed By Hand"),
      replace("emailAddress", "x@y.example"),
      replace("structureLevel/id", 2),
      replace("defaultDepartment/id", 11),
      replace("securityLocation/id", 3),
      replace("defaultLocation/id", 3),
      replace("salesDefaultLocation/id", 4),
      replace("securityRole/id", roleIds["Other Role"]),
      replace("inactiveFlag", true),
    ]);

    await operator.resetRequests();
    const result = await provider.diff(id, outs, inputs);
    expect((await operator.requests()).counts).toEqual({ "GET /system/apiMembers/{id}": 1 });
    expect(printed).toEqual([
      "ApiMember svc-drift: drift: name: Renamed By Hand => Drift Service",
      "ApiMember svc-drift: drift: email: x@y.example => svc-drift@acme.example",
      "ApiMember svc-drift: drift: securityRole: Other Role => Drift Role",
      "ApiMember svc-drift: drift: level: Region => Corporate",
      "ApiMember svc-drift: drift: businessUnit: Services => Admin",
      "ApiMember svc-drift: drift: location: Remote => Tampa Office",
      "ApiMember svc-drift: drift: defaultTerritory: Europe => Main",
      "ApiMember svc-drift: drift: inactive => active",
    ]);
    const drift = { kind: "update", inputDiff: false };
    expect(result).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
      detailedDiff: {
        name: drift,
        email: drift,
        securityRole: drift,
        level: drift,
        businessUnit: drift,
        location: drift,
        defaultTerritory: drift,
        inactive: drift,
      },
    });

    // up: one GET, one PATCH; the kept ids serve level, business unit and locations, only the
    // role is looked up (the same run may replace roles).
    await operator.resetRequests();
    const { outs: repaired } = await provider.update(id, outs, inputs);
    expect((await operator.requests()).counts).toEqual({
      "GET /system/apiMembers/{id}": 1,
      "GET /system/securityroles": 1,
      "PATCH /system/apiMembers/{id}": 1,
    });
    const live = (await call(sandbox, `/system/apiMembers/${id}`)).body;
    expect(live).toMatchObject({
      name: "Drift Service",
      emailAddress: "svc-drift@acme.example",
      inactiveFlag: false,
      securityRole: { name: "Drift Role" },
      structureLevel: { name: "Corporate" },
      defaultDepartment: { name: "Admin" },
      securityLocation: { name: "Tampa Office" },
      defaultLocation: { name: "Tampa Office" },
      salesDefaultLocation: { name: "Main" },
    });

    printed.length = 0;
    expect(await provider.diff(id, repaired as ApiMemberOutputs, inputs)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(printed).toEqual([]);
  });

  test("one of the two location fields changed by hand is location drift", async () => {
    const { id, outs, inputs } = await created("svc-loc");
    await byHand(id, [replace("defaultLocation/id", 4)]);
    const result = await provider.diff(id, outs, inputs);
    expect(printed).toEqual(["ApiMember svc-loc: drift: location: Europe => Tampa Office"]);
    expect(result.changes).toBe(true);
    await operator.resetRequests();
    await provider.update(id, outs, inputs);
    const patch = (await operator.requests()).entries.find((e) => e.method === "PATCH");
    expect(patch?.requestBody).toEqual([replace("defaultLocation/id", 2)]);
  });

  test("notes edited by hand (the ownership marker removed) are drift, and up writes the marker back", async () => {
    const { id, outs, inputs } = await created("svc-notes");
    const before = (await call(sandbox, `/system/apiMembers/${id}`)).body.notes;
    expect(before).toBe("Used by the drift suite\nmanaged by connectwise-iac: drift/test/svc-notes");
    await byHand(id, [replace("notes", "edited")]);
    await provider.diff(id, outs, inputs);
    expect(printed).toEqual([
      "ApiMember svc-notes: drift: notes: edited => Used by the drift suite\\nmanaged by connectwise-iac: drift/test/svc-notes",
    ]);
    await provider.update(id, outs, inputs);
    expect((await call(sandbox, `/system/apiMembers/${id}`)).body.notes).toBe(before);
  });

  test("a state from before markers: the first up writes the marker, shown as the owner input, not drift", async () => {
    const { id, outs, inputs } = await created("svc-legacy");
    await byHand(id, [replace("notes", "Used by the drift suite")]); // as written before markers
    const { owner: _owner, ...legacy } = outs;
    const result = await provider.diff(id, legacy, inputs);
    expect(printed).toEqual([]);
    expect(result).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
      detailedDiff: { owner: { kind: "add", inputDiff: true } },
    });
    await provider.update(id, legacy, inputs);
    expect((await call(sandbox, `/system/apiMembers/${id}`)).body.notes).toBe(
      "Used by the drift suite\nmanaged by connectwise-iac: drift/test/svc-legacy",
    );
  });

  test("a member that is gone is drift that re-creates it", async () => {
    const { outs, inputs } = await created("svc-gone");
    const result = await provider.diff("99999", outs, inputs);
    expect(printed).toEqual(["ApiMember svc-gone: drift: missing => present"]);
    expect(result).toMatchObject({ changes: true, replaces: ["memberId"] });
  });

  test("a changed input is not reported as drift; refresh re-reads the kept ids from the live member", async () => {
    const { id, outs, inputs } = await created("svc-input");
    expect(outs.refs).toEqual({
      securityRole: roleIds["Drift Role"],
      level: 1,
      businessUnit: 10,
      location: 2,
      defaultTerritory: 1,
    });
    const news = { ...inputs, email: "new@acme.example" };
    const result = await provider.diff(id, outs, news);
    expect(result).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
      detailedDiff: { email: { kind: "update", inputDiff: true } },
    });
    expect(printed).toEqual([]);

    await byHand(id, [replace("salesDefaultLocation/id", 3)]);
    const refreshed = await provider.read(id, outs);
    expect(refreshed.props).toMatchObject({ defaultTerritory: "Remote", refs: { defaultTerritory: 3 } });
    expect(refreshed.inputs).toMatchObject({ notes: "Used by the drift suite", owner: "drift/test/svc-input" });
  });

  test("an unchanged name is not looked up again by check; a changed one is", async () => {
    const { inputs } = await created("svc-check");
    await operator.resetRequests();
    const same = await provider.check(inputs, { ...args("svc-check"), location: "TAMPA OFFICE" });
    expect(same.inputs).toMatchObject({ location: "Tampa Office" });
    expect((await operator.requests()).entries).toEqual([]);
    const moved = await provider.check(inputs, { ...args("svc-check"), location: "remote" });
    expect(moved.inputs).toMatchObject({ location: "Remote" });
    // At most one read of the locations (none when the process cache has them).
    expect(Object.keys((await operator.requests()).counts).every((k) => k === "GET /system/locations")).toBe(true);
  });
});
