// TableSetupAccess handlers against the in-process sandbox: an API member on a role, with a key
// made in the console, verifies the role's Table Setup list; SandboxConsole plays the operator.

import { resourceOf, stepRecords } from "../review/records";
import { formatStep, lineOf } from "../review/renderLine";
import { provider } from "../provider/tableSetupAccess";
import { SandboxConsole } from "../sandbox/console";
import type { RunningSandbox } from "../sandbox/server";
import { configure, rejection, reported, startHandlerSandbox } from "./handler-harness";
import { call } from "./sandbox-harness";

let sandbox: RunningSandbox;
let operator: SandboxConsole;

beforeAll(async () => {
  const started = await startHandlerSandbox();
  ({ sandbox, operator } = started);
  await configure(provider, started.config);
});
afterAll(() => sandbox.close());

/** A role, an API member on it and a console-made key of that member. */
async function memberOnRole(role: string, member: string): Promise<{ publicKey: string; privateKey: string }> {
  const existing = await call(sandbox, `/system/securityroles?conditions=${encodeURIComponent(`name="${role}"`)}`);
  if (existing.body.length === 0)
    expect((await call(sandbox, "/system/securityroles", { method: "POST", body: { name: role } })).status).toBe(201);
  const created = await call(sandbox, "/system/apiMembers", {
    method: "POST",
    body: { identifier: member, name: member, securityRole: { name: role } },
  });
  expect(created.status).toBe(201);
  return operator.createApiKey(member, "table setup verification");
}

async function checked(raw: Record<string, unknown>): Promise<Record<string, any>> {
  const result = await provider.check({}, raw);
  expect(result.failures).toBeUndefined();
  return { ...result.inputs, __provider: "<serialized provider>" };
}

const CUSTOMIZE = "System > Security Roles > TSRole > System > Table Setup > Customize";

/** Every line the handler reports while `run` runs. */

describe("TableSetupAccess", () => {
  let keys: { publicKey: string; privateKey: string };
  beforeAll(async () => {
    keys = await memberOnRole("TSRole", "tsmember");
  });

  it("given a role name, succeeds with the level and the list as pending steps until the operator sets them", async () => {
    const inputs = await checked({ role: "TSRole", member: "tsmember", ...keys, tables: ["service / service board"] });
    expect(inputs.tables).toEqual(["Service / Service Board"]);

    const { id, outs } = await provider.create(inputs);
    expect(id).toBe("TSRole/tsmember");
    // Nothing is reported verified while steps are pending.
    expect(outs).toMatchObject({ role: "TSRole", tables: ["Service / Service Board"], verified: [] });
    expect(outs.tenant).toContain(sandbox.companyId);
    expect(outs.pendingSteps.map(formatStep)).toEqual([
      "System > Security Roles > TSRole > System > Table Setup: set Inquire Level to All (now None)",
      `${CUSTOMIZE}: add 'Service / Service Board' in Allow access to these`,
    ]);
    // Nothing the handler returns may carry the key, except the key inputs themselves.
    expect(JSON.stringify(outs.pendingSteps)).not.toContain(keys.privateKey);
    expect(await reported(() => provider.diff(id, outs, inputs))).toEqual(
      stepRecords(resourceOf("TableSetupAccess", "TSRole/tsmember"), outs.pendingSteps).map(lineOf),
    );

    await operator.setPermissions("TSRole", { "System/Table Setup": { inquire: "All" } });
    await operator.setTableSetup("TSRole", ["Service / Service Board"]);
    // Steps were left at the last up: a change until up verifies.
    expect((await provider.diff(id, outs, inputs)).changes).toBe(true);
    const { outs: done } = await provider.update(id, outs, inputs);
    expect(done).toMatchObject({
      role: "TSRole",
      member: "tsmember",
      tables: ["Service / Service Board"],
      verified: ["Service / Service Board"],
      pendingSteps: [],
    });
    expect((await provider.diff(id, done, inputs)).changes).toBe(false);
  });

  it("given its SecurityRole, never asks for the role's level, and lists the entries while the role is not ready", async () => {
    const declaredKeys = await memberOnRole("TSDeclared", "tsdeclared");
    const roleDeclared = {
      resource: "SecurityRole TSDeclared",
      permissions: { "system/table setup": { inquire: "all" } },
    };
    const inputs = await checked({
      role: "TSDeclared",
      member: "tsdeclared",
      ...declaredKeys,
      tables: ["Service / Service Board"],
      roleDeclared,
    });
    const { outs } = await provider.create(inputs);
    // The role's own checklist asks for Table Setup inquire; the entries are listed already.
    expect(outs.pendingSteps.map(formatStep)).toEqual([
      "System > Security Roles > TSDeclared > System > Table Setup > Customize: add 'Service / Service Board' in Allow access to these",
    ]);
    expect(outs.verified).toEqual([]);

    // The operator did the list but not yet the role's level: still nothing verified.
    await operator.setTableSetup("TSDeclared", ["Service / Service Board"]);
    expect((await provider.update("TSDeclared/tsdeclared", outs, inputs)).outs.verified).toEqual([]);
    await operator.setPermissions("TSDeclared", { "System/Table Setup": { inquire: "All" } });
    const { outs: done } = await provider.update("TSDeclared/tsdeclared", outs, inputs);
    expect(done).toMatchObject({ verified: ["Service / Service Board"], pendingSteps: [] });
  });

  it("refuses, at check, an allow-list on a declared role that leaves System/Table Setup inquire below All", async () => {
    const args = { role: "LifecycleManagerAPI", member: "LMXMember", ...keys, tables: ["Service / Service Board"] };
    const refused = await provider.check(
      {},
      {
        ...args,
        roleDeclared: {
          resource: "SecurityRole LifecycleManagerAPI",
          permissions: { "Service Desk/Service Tickets": { add: "All", inquire: "All" } },
        },
      },
    );
    expect(refused.failures).toEqual([
      {
        property: "roleDeclared",
        reason:
          'TableSetupAccess LifecycleManagerAPI/LMXMember: its role is declared by SecurityRole LifecycleManagerAPI with System/Table Setup inquire None; a Table Setup allow-list needs Inquire All: add "System/Table Setup": { inquire: "All" } to that role\'s permissions',
      },
    ]);
    const my = await provider.check(
      {},
      {
        ...args,
        roleDeclared: { resource: "SecurityRole R", permissions: { "System/Table Setup": { inquire: "My" } } },
      },
    );
    expect(my.failures?.[0].reason).toContain("with System/Table Setup inquire My;");
    const loose = await provider.check(
      {},
      { ...args, roleDeclared: { resource: "SecurityRole R", permissions: {}, exclusive: false } },
    );
    expect(loose.failures?.[0].reason).toContain("with System/Table Setup inquire not declared;");
    // An empty allow-list needs nothing of the role.
    expect(
      (await provider.check({}, { ...args, tables: [], roleDeclared: { resource: "SecurityRole R", permissions: {} } }))
        .failures,
    ).toBeUndefined();
  });

  it("never diffs on the order of tables", async () => {
    await operator.setTableSetup("TSRole", ["Service / Service Board", "Company / Country"]);
    const first = await checked({
      role: "TSRole",
      member: "tsmember",
      ...keys,
      tables: ["Service / Service Board", "Company / Country"],
    });
    const { outs } = await provider.create(first);
    const reordered = await checked({
      role: "TSRole",
      member: "tsmember",
      ...keys,
      tables: ["company / country", "Service / Service Board"],
    });
    expect(reordered.tables).toEqual(first.tables);
    await operator.resetRequests();
    expect(await provider.diff("TSRole/tsmember", outs, reordered)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    // Reads only: the member by the id create kept (as admin), its customize items (as the member):
    // the ApiMember's and the ApiKey's own reads, which our provider server sends once for all three.
    expect(outs.memberId).toEqual(expect.any(Number));
    expect((await operator.requests()).counts).toEqual({
      "GET /system/apiMembers/{id}": 1,
      "GET /system/mySecurity/customizeItems": 1,
    });
  });

  it("a list that reads empty costs one more read, of the level: an unreadable list is no drift", async () => {
    const blindKeys = await memberOnRole("TSBlind", "tsblind");
    await operator.setPermissions("TSBlind", { "System/Table Setup": { inquire: "All" } });
    await operator.setTableSetup("TSBlind", ["Service / Service Board"]);
    const inputs = await checked({
      role: "TSBlind",
      member: "tsblind",
      ...blindKeys,
      tables: ["Service / Service Board"],
    });
    const { outs } = await provider.create(inputs);
    expect(outs).toMatchObject({ verified: ["Service / Service Board"], pendingSteps: [] });

    // The role's level taken away by hand: the list reads empty, though its entry is still set.
    await operator.setPermissions("TSBlind", { "System/Table Setup": { inquire: "None" } });
    await operator.resetRequests();
    let result: any;
    expect(await reported(async () => (result = await provider.diff("TSBlind/tsblind", outs, inputs)))).toEqual([
      "TableSetupAccess TSBlind/tsblind: needs the operator: System > Security Roles > TSBlind > System > Table Setup: set Inquire Level to All (now None)",
      "TableSetupAccess TSBlind/tsblind: needs the operator: System > Security Roles > TSBlind > System > Table Setup > Customize: add 'Service / Service Board' in Allow access to these",
    ]);
    expect(result.changes).toBe(true);
    expect((await operator.requests()).counts).toEqual({
      "GET /system/apiMembers/{id}": 1,
      "GET /system/mySecurity/customizeItems": 1,
      "GET /system/mySecurity": 1,
    });
  });

  it("shows entries allowed by hand as drift, reads them back, and asks to remove them", async () => {
    await operator.setTableSetup("TSRole", ["Service / Service Board", "Member / Member Type"]);
    const inputs = await checked({ role: "TSRole", member: "tsmember", ...keys, tables: ["Service / Service Board"] });
    const outs = { ...inputs, verified: ["Service / Service Board"] };

    let result: any;
    expect(await reported(async () => (result = await provider.diff("TSRole/tsmember", outs, inputs)))).toEqual([
      "TableSetupAccess TSRole/tsmember: drift: Table Setup 'Member / Member Type': allowed => not allowed",
      `TableSetupAccess TSRole/tsmember: needs the operator: ${CUSTOMIZE}: remove 'Member / Member Type' from Allow access to these`,
    ]);
    expect(result.changes).toBe(true);

    const read = await provider.read("TSRole/tsmember", outs);
    expect(read.inputs).toMatchObject({
      role: "TSRole",
      member: "tsmember",
      tables: ["Member / Member Type", "Service / Service Board"],
    });

    const updated = await provider.update("TSRole/tsmember", outs, inputs);
    expect(updated.outs.pendingSteps.map(formatStep)).toEqual([
      `${CUSTOMIZE}: remove 'Member / Member Type' from Allow access to these`,
    ]);
    expect(updated.outs.verified).toEqual([]);
  });

  it("reports a member on another role as a clear difference, and refuses to verify through it", async () => {
    const otherKeys = await memberOnRole("OtherRole", "othermember");
    const inputs = await checked({
      role: "TSRole",
      member: "othermember",
      ...otherKeys,
      tables: ["Service / Service Board"],
    });
    const outs = { ...inputs, verified: [] };

    let result: any;
    expect(await reported(async () => (result = await provider.diff("TSRole/othermember", outs, inputs)))).toEqual([
      "TableSetupAccess TSRole/othermember: drift: member othermember securityRole: OtherRole => TSRole",
    ]);
    expect(result.changes).toBe(true);
    const error = await rejection(provider.create(inputs));
    expect(error.message).toBe(
      'TableSetupAccess TSRole/othermember: API member "othermember" is on security role "OtherRole", not "TSRole"; set its securityRole to "TSRole" so its key shows this role\'s Table Setup list',
    );
  });

  it("replaces on a role or member change; a member gone reads as deleted; delete only tells the operator", async () => {
    const inputs = await checked({ role: "TSRole", member: "tsmember", ...keys, tables: ["Service / Service Board"] });
    const outs = { ...inputs, verified: ["Service / Service Board"] };
    expect(await provider.diff("TSRole/tsmember", outs, { ...inputs, member: "someoneelse" })).toEqual({
      changes: true,
      replaces: ["member"],
      deleteBeforeReplace: false,
    });
    expect(await provider.read("TSRole/nobody", { ...outs, member: "nobody" })).toEqual({ id: "" });

    const printed = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      await operator.resetRequests();
      await provider.delete("TSRole/tsmember", outs as any);
      expect((await operator.requests()).entries).toHaveLength(0);
      const said = printed.mock.calls.map((c) => c[0]).join("\n");
      expect(said).toContain("nothing to delete in ConnectWise");
      expect(said).toContain(
        `remove 'Service / Service Board' in System > Security Roles > TSRole > System > Table Setup > Customize`,
      );
      expect(said).not.toContain(keys.privateKey);
      expect(said).not.toContain(keys.publicKey);
    } finally {
      printed.mockRestore();
    }
  });

  it("a missing or null inquire level on the member's Table Setup row is refused naming endpoint and field, never read as None", async () => {
    const shapeKeys = await memberOnRole("TSShape", "tsshape");
    const inputs = await checked({ role: "TSShape", member: "tsshape", ...shapeKeys, tables: [] });
    try {
      for (const [value, said] of [
        [undefined, "(missing)"],
        [null, "(null)"],
      ] as const) {
        await operator.reshape({
          method: "GET",
          path: "/system/mySecurity",
          field: "inquireLevel",
          ...(value === null ? { value } : {}),
        });
        await operator.resetRequests();
        const lines = await reported(async () => {
          const error = await rejection(provider.create(inputs));
          expect(error.message).toContain("GET /system/mySecurity on ");
          expect(error.message).toContain('(as member "tsshape")');
          expect(error.message).toContain(`without field inquireLevel ${said}`);
          expect(error.message).not.toContain(shapeKeys.privateKey);
        });
        // No step was invented and nothing was written.
        expect(lines).toEqual([]);
        const { entries } = await operator.requests();
        expect(entries.filter((e) => e.method !== "GET")).toEqual([]);
      }
    } finally {
      await operator.reshape();
    }
  });

  it("a key that no longer authenticates is named without showing it", async () => {
    const inputs = await checked({ role: "TSRole", member: "tsmember", ...keys, tables: ["Service / Service Board"] });
    await operator.revokeApiKey("tsmember", keys.publicKey);
    const error = await rejection(provider.create(inputs));
    expect(error.message).toContain('the key given for API member "tsmember" does not authenticate');
    expect(error.message).not.toContain(keys.publicKey);
    expect(error.message).not.toContain(keys.privateKey);
  });

  it("stays in the state, as it was, once the member's key no longer authenticates (never dropped for a 401)", async () => {
    const revokedKeys = await memberOnRole("TSRole", "tsrevoked");
    const inputs = await checked({ role: "TSRole", member: "tsrevoked", ...revokedKeys, tables: [] });
    const props = { ...inputs, verified: [] } as never;
    expect((await provider.read("TSRole/tsrevoked", props)).id).toBe("TSRole/tsrevoked");
    await operator.revokeApiKey("tsrevoked", revokedKeys.publicKey);
    const { __provider: _code, ...declared } = inputs as Record<string, unknown>;
    expect(await provider.read("TSRole/tsrevoked", props)).toEqual({ id: "TSRole/tsrevoked", props, inputs: declared });
  });
});
