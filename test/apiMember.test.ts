// ApiMember handlers against the in-process sandbox; the request log shows what each handler sent.

import { provider } from "../provider/apiMember";
import type { ApiMemberOutputs } from "../provider/apiMember";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox } from "../sandbox/server";
import { configure, rejection, startHandlerSandbox } from "./handler-harness";
import { call } from "./sandbox-harness";

let sandbox: RunningSandbox;
let operator: SandboxConsole;

beforeAll(async () => {
  const started = await startHandlerSandbox();
  ({ sandbox, operator } = started);
  await configure(provider, started.config);
  // Roles for the members below, as a SecurityRole would have created them.
  for (const name of ["Integration", "Integration Two"]) {
    const created = await call(sandbox, "/system/securityroles", {
      method: "POST",
      body: { name, roleType: "AdminRole" },
    });
    expect(created.status).toBe(201);
  }
});
afterAll(() => sandbox.close());

const PROVIDER_CODE = "<serialized provider>";

function args(identifier: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    identifier,
    name: `Integration ${identifier}`,
    email: `${identifier}@example.com`,
    securityRole: "Integration",
    level: "Corporate",
    businessUnit: "Admin",
    location: "Tampa Office",
    defaultTerritory: "Main",
    // What the ApiMember class sets: <project>/<stack>/<resource name>.
    owner: `handlers/test/${identifier}`,
    ...overrides,
  };
}

/** What the engine hands create/update: the checked inputs plus the serialized provider. */
async function checked(raw: Record<string, unknown>, olds: Record<string, unknown> = {}): Promise<any> {
  const result = await provider.check(olds, raw);
  expect(result.failures).toBeUndefined();
  return { ...result.inputs, __provider: PROVIDER_CODE };
}

async function created(
  identifier: string,
  overrides: Record<string, unknown> = {},
): Promise<{ id: string; outs: ApiMemberOutputs; inputs: any }> {
  const inputs = await checked(args(identifier, overrides));
  const { id, outs } = await provider.create(inputs);
  return { id, outs, inputs };
}

async function live(id: string): Promise<any> {
  const res = await call(sandbox, `/system/apiMembers/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

/** The requests made since the last reset, as "METHOD path" with their bodies. */
async function requestsSince(): Promise<{ method: string; path: string; requestBody: any }[]> {
  return (await operator.requests()).entries.map(({ method, path, requestBody }) => ({ method, path, requestBody }));
}

describe("ApiMember create", () => {
  test("posts the member with every name resolved to the tenant's id", async () => {
    await operator.resetRequests();
    const { id, outs } = await created("svc-create", { level: "corporate", location: "tampa office" });

    const posts = (await requestsSince()).filter((r) => r.method === "POST");
    expect(posts).toHaveLength(1);
    expect(posts[0].path).toMatch(/\/system\/apiMembers$/i);
    const roleId = (await call(sandbox, `/system/securityroles?conditions=${encodeURIComponent('name="Integration"')}`))
      .body[0].id;
    expect(posts[0].requestBody).toMatchObject({
      identifier: "svc-create",
      name: "Integration svc-create",
      emailAddress: "svc-create@example.com",
      securityRole: { id: roleId },
      structureLevel: { id: 1 },
      securityLocation: { id: 2 },
      defaultLocation: { id: 2 },
      defaultDepartment: { id: 10 },
      salesDefaultLocation: { id: 1 },
    });

    // Outputs: the inputs in the tenant's spelling, plus the id and the active flag.
    expect(outs).toMatchObject({
      identifier: "svc-create",
      level: "Corporate",
      location: "Tampa Office",
      memberId: Number(id),
      inactive: false,
    });
    const member = await live(id);
    expect(member).toMatchObject({
      identifier: "svc-create",
      securityRole: { name: "Integration" },
      salesDefaultLocation: { name: "Main" },
    });
  });

  test("an existing identifier without adopt fails naming the member and the way out", async () => {
    // Made by hand: no stack's marker.
    const byHand = await call(sandbox, "/system/apiMembers", {
      method: "POST",
      body: { identifier: "svc-taken", name: "By Hand", securityRole: { name: "Integration" } },
    });
    expect(byHand.status).toBe(201);
    await operator.resetRequests();
    const error = await rejection(provider.create(await checked(args("svc-taken", { name: "Someone Else" }))));
    expect(error.message).toContain('"svc-taken" already exists');
    expect(error.message).toContain("set adopt: true to take it over");
    expect((await requestsSince()).filter((r) => r.method !== "GET")).toEqual([]);
  });

  test("re-creating its own member takes it back: patches what differs, reactivates it, no second member", async () => {
    const first = await created("svc-adopt");
    await provider.delete(first.id, first.outs);
    expect((await live(first.id)).inactiveFlag).toBe(true);

    await operator.resetRequests();
    const { id, outs } = await created("svc-adopt", { adopt: true, name: "Adopted Name", defaultTerritory: "Europe" });
    expect(id).toBe(first.id);
    expect(outs).toMatchObject({ adopt: true, inactive: false, name: "Adopted Name" });
    const writes = (await requestsSince()).filter((r) => r.method !== "GET");
    expect(writes).toHaveLength(1);
    expect(writes[0].method).toBe("PATCH");
    expect(writes[0].requestBody).toEqual(
      expect.arrayContaining([
        { op: "replace", path: "name", value: "Adopted Name" },
        { op: "replace", path: "salesDefaultLocation/id", value: 4 },
        { op: "replace", path: "inactiveFlag", value: false },
        // its marker, back in place of the released one destroy left
        { op: "replace", path: "notes", value: "managed by connectwise-iac: handlers/test/svc-adopt" },
      ]),
    );
    expect(writes[0].requestBody).toHaveLength(4);
    expect(await live(id)).toMatchObject({
      inactiveFlag: false,
      name: "Adopted Name",
      salesDefaultLocation: { name: "Europe" },
    });
  });

  test("an unknown role name fails the create before any write, listing the roles", async () => {
    await operator.resetRequests();
    const error = await rejection(provider.create(await checked(args("svc-norole", { securityRole: "Integratoin" }))));
    expect(error.message).toContain('securityRole "Integratoin"');
    expect(error.message).toContain('did you mean "Integration"');
    expect(error.message).toContain("Admin, Integration, Integration Two");
    expect((await requestsSince()).filter((r) => r.method !== "GET")).toEqual([]);
  });
});

describe("ApiMember diff and update", () => {
  test("an unchanged program is no change: check looks nothing up again, diff reads the member once", async () => {
    const { id, outs, inputs } = await created("svc-noop");
    await operator.resetRequests();
    const again = await checked(args("svc-noop", { level: "CORPORATE", businessUnit: " admin " }), inputs);
    // Unchanged names keep the spelling checked last time, without a lookup.
    expect(again).toMatchObject({ level: "Corporate", businessUnit: "Admin" });
    expect((await operator.requests()).entries).toEqual([]);
    const result = await provider.diff(id, { ...outs, __provider: "<older provider code>" } as any, again);
    expect(result).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect((await operator.requests()).counts).toEqual({ "GET /system/apiMembers/{id}": 1 });
  });

  test("one changed field is one PATCH with only that operation", async () => {
    const { id, outs } = await created("svc-update");
    const news = await checked(args("svc-update", { email: "new@example.com" }));
    expect(await provider.diff(id, outs, news)).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
      detailedDiff: { email: { kind: "update", inputDiff: true } },
    });

    await operator.resetRequests();
    const { outs: updated } = await provider.update(id, outs, news);
    const requests = await requestsSince();
    // The live member first (to repair drift too), then only what differs.
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({ method: "GET" });
    expect(requests[1]).toMatchObject({
      method: "PATCH",
      requestBody: [{ op: "replace", path: "emailAddress", value: "new@example.com" }],
    });
    expect(updated).toMatchObject({ email: "new@example.com", memberId: Number(id) });
  });

  test("a new role name moves the member to that role", async () => {
    const { id, outs } = await created("svc-role");
    const news = await checked(args("svc-role", { securityRole: "Integration Two" }));
    await operator.resetRequests();
    await provider.update(id, outs, news);
    const [patch] = await requestsSince().then((rs) => rs.filter((r) => r.method === "PATCH"));
    const roleTwo = (
      await call(sandbox, `/system/securityroles?conditions=${encodeURIComponent('name="Integration Two"')}`)
    ).body[0].id;
    expect(patch.requestBody).toEqual([{ op: "replace", path: "securityRole/id", value: roleTwo }]);
    expect((await live(id)).securityRole).toMatchObject({ id: roleTwo, name: "Integration Two" });

    // Roles are looked up afresh (a role made later in the same run is found, under its own id).
    const later = await call(sandbox, "/system/securityroles", { method: "POST", body: { name: "Integration Later" } });
    const moved = await provider.update(
      id,
      { ...outs, securityRole: "Integration Two" },
      await checked(args("svc-role", { securityRole: "integration later" })),
    );
    expect((await live(id)).securityRole).toMatchObject({ id: later.body.id, name: "Integration Later" });
    expect(moved.outs).toMatchObject({ securityRole: "integration later" });
    // Refresh reads the tenant's spelling back; a difference in case alone is no change.
    const refreshed = await provider.read(id, moved.outs as ApiMemberOutputs);
    expect(refreshed.props).toMatchObject({ securityRole: "Integration Later" });
    expect(
      (
        await provider.diff(
          id,
          refreshed.props as ApiMemberOutputs,
          await checked(args("svc-role", { securityRole: "integration later" })),
        )
      ).changes,
    ).toBe(false);
  });

  test("a new location writes both location fields; a new identifier replaces the member", async () => {
    const { id, outs } = await created("svc-move");
    const moved = await checked(args("svc-move", { location: "Remote" }));
    await operator.resetRequests();
    await provider.update(id, outs, moved);
    const [patch] = (await requestsSince()).filter((r) => r.method === "PATCH");
    expect(patch.requestBody).toEqual([
      { op: "replace", path: "securityLocation/id", value: 3 },
      { op: "replace", path: "defaultLocation/id", value: 3 },
    ]);
    const renamed = await checked(args("svc-moved"));
    expect(await provider.diff(id, outs, renamed)).toMatchObject({
      changes: true,
      replaces: ["identifier"],
      deleteBeforeReplace: false,
    });
  });
});

describe("ApiMember read and delete", () => {
  test("read reports a change made outside Pulumi, field by field, in the input shape", async () => {
    const { id, outs } = await created("svc-drift");
    const patched = await call(sandbox, `/system/apiMembers/${id}`, {
      method: "PATCH",
      body: [
        { op: "replace", path: "name", value: "Renamed By Hand" },
        { op: "replace", path: "defaultLocation/id", value: 4 },
      ],
    });
    expect(patched.status).toBe(200);
    const result = await provider.read(id, outs);
    expect(result.id).toBe(id);
    expect(result.inputs).toEqual({ ...args("svc-drift"), name: "Renamed By Hand", location: "Europe" });
    expect(result.props).toMatchObject({
      name: "Renamed By Hand",
      location: "Europe",
      memberId: Number(id),
      inactive: false,
    });

    // The next diff against the refreshed state is a change back to the program's values.
    const back = await provider.diff(id, result.props as ApiMemberOutputs, await checked(args("svc-drift")));
    expect(back.changes).toBe(true);
  });

  test("read of a member that does not exist returns an empty id", async () => {
    const { outs } = await created("svc-ghost");
    expect(await provider.read("99999", outs)).toEqual({ id: "" });
  });

  test("delete deactivates the member, and its keys stop authenticating", async () => {
    const { id, outs } = await created("svc-delete");
    const key = await operator.createApiKey("svc-delete", "before delete");
    expect((await call(sandbox, "/system/mySecurity?pageSize=1", { keys: key })).status).toBe(200);

    await operator.resetRequests();
    await provider.delete(id, outs);
    const writes = (await requestsSince()).filter((r) => r.method !== "GET");
    // One PATCH: deactivated, and the ownership marker becomes a released one (the stack holds it no longer).
    expect(writes).toEqual([
      {
        method: "PATCH",
        path: expect.stringMatching(new RegExp(`/system/apiMembers/${id}$`, "i")),
        requestBody: [
          { op: "replace", path: "inactiveFlag", value: true },
          {
            op: "replace",
            path: "notes",
            value: expect.stringMatching(
              /^released by connectwise-iac: handlers\/test\/svc-delete at \d{4}-\d\d-\d\dT[\d:.]+Z$/,
            ),
          },
        ],
      },
    ]);
    expect((await live(id)).inactiveFlag).toBe(true);
    expect((await call(sandbox, "/system/mySecurity?pageSize=1", { keys: key })).status).toBe(401);

    // Refresh sees the deactivation; the next up reactivates.
    const refreshed = await provider.read(id, outs);
    expect(refreshed.props).toMatchObject({ inactive: true });
    const inputs = await checked(args("svc-delete"));
    expect((await provider.diff(id, refreshed.props as ApiMemberOutputs, inputs)).changes).toBe(true);
    await operator.resetRequests();
    await provider.update(id, refreshed.props as ApiMemberOutputs, inputs);
    // Reactivated, and the stack's marker is written back in place of the released one.
    expect((await requestsSince()).filter((r) => r.method !== "GET").map((r) => r.requestBody)).toEqual([
      [
        { op: "replace", path: "notes", value: "managed by connectwise-iac: handlers/test/svc-delete" },
        { op: "replace", path: "inactiveFlag", value: false },
      ],
    ]);
  });

  test("delete of a member that is already gone succeeds", async () => {
    const { outs } = await created("svc-gone");
    await expect(provider.delete("99998", outs)).resolves.toBeUndefined();
  });
});
