// SecurityRole handlers against the in-process sandbox; SandboxConsole plays the operator and
// reads the request log.

import { formatStep } from "../review/renderLine";
import { provider } from "../provider/securityRole";
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

const PROVIDER_CODE = "<serialized provider>";

/** What the engine hands create/update: the checked inputs plus the serialized provider. */
async function checked(raw: Record<string, unknown>): Promise<Record<string, any>> {
  // A new role's check() reports the steps up will ask for: kept out of the test output.
  const printed = jest.spyOn(console, "error").mockImplementation(() => undefined);
  const result = await provider.check({}, raw).finally(() => printed.mockRestore());
  expect(result.failures).toBeUndefined();
  return { ...result.inputs, __provider: PROVIDER_CODE };
}

const declared = {
  "finance/agreements": { add: "all", inquire: "All" },
  "System/Table Setup": { inquire: "All" },
};
const granted = {
  "Finance/Agreements": { add: "All" as const, inquire: "All" as const },
  "System/Table Setup": { inquire: "All" as const },
};

/** Creates a role whose levels the operator then sets, and returns its verified outputs. */
async function verifiedRole(
  name: string,
): Promise<{ id: string; outs: Record<string, any>; inputs: Record<string, any> }> {
  const inputs = await checked({ name, permissions: declared });
  const pending = await provider.create(inputs);
  await operator.setPermissions(name, granted);
  const { outs } = await provider.update(pending.id, pending.outs, inputs);
  expect(outs.pendingSteps).toEqual([]);
  return { id: pending.id, outs: outs!, inputs };
}

/** Every line the handlers report while `run` runs. */

const stepTexts = (steps: any[]) => steps.map((s) => formatStep(s));

describe("SecurityRole create", () => {
  it("creates the role and succeeds with the console steps still pending as an output", async () => {
    const inputs = await checked({ name: "ElementsAPI", permissions: declared });
    const { id, outs } = await provider.create(inputs);

    const role = await operator.role("ElementsAPI");
    expect(id).toBe(String(role.id));
    expect(outs).toMatchObject({ ...inputs, roleId: role.id, tenant: expect.stringContaining(sandbox.companyId) });
    expect(stepTexts(outs.pendingSteps)).toEqual([
      // One step per function row, naming all its levels.
      "System > Security Roles > ElementsAPI > Finance > Agreements: set Add and Inquire Level to All (now None)",
      "System > Security Roles > ElementsAPI > System > Table Setup: set Inquire Level to All (now None)",
    ]);

    // A role with steps left never diffs as converged, even against unchanged inputs.
    await operator.setPermissions("ElementsAPI", { "Finance/Agreements": { add: "All", inquire: "All" } });
    expect((await provider.diff(id, outs, inputs)).changes).toBe(true);
    // The operator set two of the three: update verifies and still names the one left.
    const still = await provider.update(id, outs, inputs);
    expect(stepTexts(still.outs.pendingSteps)).toEqual([
      "System > Security Roles > ElementsAPI > System > Table Setup: set Inquire Level to All (now None)",
    ]);
    expect((await provider.diff(id, still.outs, inputs)).changes).toBe(true);

    await operator.setPermissions("ElementsAPI", { "System/Table Setup": { inquire: "All" } });
    // Live levels match, but the last up left a step: still a change, so up verifies it.
    expect((await provider.diff(id, still.outs, inputs)).changes).toBe(true);
    const { outs: done } = await provider.update(id, still.outs, inputs);
    expect(done.pendingSteps).toEqual([]);
    expect((await provider.diff(id, done, inputs)).changes).toBe(false);
    expect(done).toMatchObject({
      name: "ElementsAPI",
      permissions: {
        "Finance/Agreements": { add: "All", edit: "None", delete: "None", inquire: "All" },
        "System/Table Setup": { add: "None", edit: "None", delete: "None", inquire: "All" },
      },
      exclusive: true,
      adopt: false,
      roleId: role.id,
    });
  });

  it("check() of a new role reports the steps up will ask for; an existing one reports none", async () => {
    const lines = await reported(() => provider.check({}, { name: "NewRole", permissions: declared }));
    expect(lines).toEqual([
      "SecurityRole NewRole: needs the operator: System > Security Roles > NewRole > Finance > Agreements: set Add and Inquire Level to All (now None)",
      "SecurityRole NewRole: needs the operator: System > Security Roles > NewRole > System > Table Setup: set Inquire Level to All (now None)",
    ]);
    const inputs = await checked({ name: "NewRole", permissions: declared });
    expect(await reported(() => provider.check(inputs, { name: "NewRole", permissions: declared }))).toEqual([]);
    // adopt: true with no such role: up creates it, so the same steps follow a line that says so.
    const adoptNothing = await reported(() =>
      provider.check({}, { name: "NewRole", permissions: declared, adopt: true }),
    );
    expect(adoptNothing[0]).toMatch(/^SecurityRole NewRole: no role of this name to adopt on .*; up creates it$/);
    expect(adoptNothing.slice(1)).toEqual(lines);
  });

  it("preview of an adopting role names the role it takes over and the steps up will ask for", async () => {
    const { id } = await verifiedRole("AdoptPreview");
    await operator.setPermissions("AdoptPreview", { "Finance/Agreements": { add: "None" } });
    const lines = await reported(() =>
      provider.check({}, { name: "AdoptPreview", permissions: declared, adopt: true }),
    );
    expect(lines).toEqual([
      `SecurityRole AdoptPreview: adopts existing role ${id}; up changes nothing on it through the API and asks the operator for 1 step(s)`,
      "SecurityRole AdoptPreview: needs the operator: System > Security Roles > AdoptPreview > Finance > Agreements: set Add Level to All (now None)",
    ]);
  });

  it("destroy releases an adopted role as it is, and deletes it only with deleteAdopted: true", async () => {
    const { id } = await verifiedRole("AdoptRelease");
    const adopted = await provider.create(await checked({ name: "AdoptRelease", permissions: declared, adopt: true }));
    expect(adopted.outs).toMatchObject({ adopted: true });
    await operator.resetRequests();
    const lines = await reported(() => provider.delete(id, adopted.outs));
    expect(lines).toEqual([
      `SecurityRole AdoptRelease: released as it is: role ${id} was adopted, not created by this stack, so it stays in ConnectWise (set deleteAdopted: true before destroying to delete it instead)`,
    ]);
    expect((await operator.requests()).entries).toHaveLength(0);
    expect((await operator.state()).roles.some((r) => r.name === "AdoptRelease")).toBe(true);

    await provider.delete(id, { ...adopted.outs, deleteAdopted: true });
    expect((await operator.state()).roles.some((r) => r.name === "AdoptRelease")).toBe(false);
  });

  it("adopts an existing role with adopt: true, and names it without", async () => {
    const { id } = await verifiedRole("AdoptMe");
    const without = await rejection(provider.create(await checked({ name: "adoptme", permissions: declared })));
    expect(without).not.toHaveProperty("reasons");
    expect(without).toBeInstanceOf(Error);
    expect(without.message).toContain('SecurityRole "AdoptMe" already exists');
    expect(without.message).toContain("set adopt: true to take it over");

    const adopted = await provider.create(await checked({ name: "AdoptMe", permissions: declared, adopt: true }));
    expect(adopted.id).toBe(id);
    expect(adopted.outs).toMatchObject({ roleId: Number(id), adopt: true });
    const roles = (await operator.state()).roles.filter((r) => r.name.toLowerCase() === "adoptme");
    expect(roles).toHaveLength(1);
  });
});

describe("SecurityRole diff", () => {
  it("no change: changes false from exactly one settings page (no role GET), no write", async () => {
    const { id, outs, inputs } = await verifiedRole("NoopRole");
    await operator.resetRequests();

    const result = await provider.diff(id, outs, inputs);

    expect(result).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    const { entries } = await operator.requests();
    expect(entries.map((e) => `${e.method} ${e.path.replace(/^.*\/apis\/3\.0/, "")}`).sort()).toEqual([
      `GET /system/securityRoles/${id}/settings`,
    ]);
    const settings = entries.find((e) => e.path.endsWith("/settings"))!;
    expect(JSON.stringify(settings.query)).toContain("1000");
  });

  it("drift made in the console: changes true, a drift line and the operator's step per level", async () => {
    const { id, outs, inputs } = await verifiedRole("DriftRole");
    await operator.setPermissions("DriftRole", {
      "Finance/Agreements": { add: "My" },
      "Finance/Invoicing": { inquire: "All" },
    });
    let result: any;
    expect(await reported(async () => (result = await provider.diff(id, outs, inputs)))).toEqual([
      "SecurityRole DriftRole: drift: Finance/Agreements add: My => All",
      // exclusive (the default): a level granted on a function not declared is drift too
      "SecurityRole DriftRole: drift: Finance/Invoicing inquire: All => None",
      "SecurityRole DriftRole: needs the operator: System > Security Roles > DriftRole > Finance > Agreements: set Add Level to All (now My)",
      "SecurityRole DriftRole: needs the operator: System > Security Roles > DriftRole > Finance > Invoicing: set Inquire Level to None (now All)",
    ]);
    expect(result.changes).toBe(true);
    expect(result.replaces).toEqual([]);
    // Per level, a property our provider server turns into the engine's detailed diff.
    expect(result.detailedDiff).toEqual({
      'permissions["Finance/Agreements"].add': { kind: "update", inputDiff: false },
      'permissions["Finance/Invoicing"].inquire': { kind: "update", inputDiff: false },
    });

    // Not exclusive: the undeclared function is not compared.
    const loose = { ...outs, exclusive: false };
    expect(await reported(() => provider.diff(id, loose, { ...inputs, exclusive: false }))).toEqual([
      "SecurityRole DriftRole: drift: Finance/Agreements add: My => All",
      "SecurityRole DriftRole: needs the operator: System > Security Roles > DriftRole > Finance > Agreements: set Add Level to All (now My)",
    ]);
  });

  it("a level on a function the catalog lacks (a newer Manage) is drift under exclusive, named raw", async () => {
    const { id, outs, inputs } = await verifiedRole("NewerRole");
    await operator.addExtraFunction("NewerRole", "Service Desk", "Ticket Robots", { inquire: "All" });
    let result: any;
    expect(await reported(async () => (result = await provider.diff(id, outs, inputs)))).toEqual([
      "SecurityRole NewerRole: drift: Service Desk/Ticket Robots inquire: All => None",
      "SecurityRole NewerRole: needs the operator: System > Security Roles > NewerRole > Service Desk > Ticket Robots: set Inquire Level to None (now All)",
    ]);
    expect(result.changes).toBe(true);
    // read() shows it in the declared shape, so `preview --diff` after a refresh names it too.
    const read = await provider.read(id, outs);
    expect(read.props?.permissions["Service Desk/Ticket Robots"]).toMatchObject({ inquire: "All" });
    // Not exclusive: only the declared functions are compared.
    const loose = { ...outs, exclusive: false };
    expect(await reported(() => provider.diff(id, loose, { ...inputs, exclusive: false }))).toEqual([]);
  });

  it("a level changed in the program is operator work, not drift", async () => {
    const { id, outs, inputs } = await verifiedRole("ChangedRole");
    const changed = await checked({
      name: "ChangedRole",
      permissions: {
        "Finance/Agreements": { add: "All", edit: "All", inquire: "All" },
        "System/Table Setup": { inquire: "All" },
      },
    });
    let result: any;
    expect(await reported(async () => (result = await provider.diff(id, outs, changed)))).toEqual([
      "SecurityRole ChangedRole: needs the operator: System > Security Roles > ChangedRole > Finance > Agreements: set Edit Level to All (now None)",
    ]);
    expect(result.changes).toBe(true);
    expect(inputs.permissions).not.toEqual(changed.permissions);
  });

  it("a name change replaces the role without asking ConnectWise", async () => {
    const { id, outs, inputs } = await verifiedRole("RenameRole");
    await operator.resetRequests();
    const result = await provider.diff(id, outs, { ...inputs, name: "RenamedRole" });
    expect(result).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: false });
    expect((await operator.requests()).entries).toHaveLength(0);
  });

  it("a role deleted outside Pulumi is replaced, told by its settings page alone (404)", async () => {
    const { id, outs, inputs } = await verifiedRole("GoneRole");
    await call(sandbox, `/system/securityroles/${id}`, { method: "DELETE" });
    const printed = jest.spyOn(console, "error").mockImplementation(() => undefined);
    await operator.resetRequests();
    try {
      expect(await provider.diff(id, outs, inputs)).toMatchObject({ changes: true, replaces: ["name"] });
    } finally {
      printed.mockRestore();
    }
    expect((await operator.requests()).counts).toEqual({ "GET /system/securityRoles/{id}/settings": 1 });
  });
});

describe("SecurityRole: a settings answer of the wrong shape is refused, not defaulted", () => {
  afterEach(() => operator.reshape());

  it("a missing, null or unknown level: diff (preview) and update (up) fail naming the endpoint and field; no write, no step", async () => {
    const { id, outs, inputs } = await verifiedRole("ShapeRole");
    const settingsPath = `/system/securityRoles/${id}/settings`;
    const cases: [string, Parameters<SandboxConsole["reshape"]>[0], string][] = [
      ["missing", { method: "GET", path: settingsPath, field: "addLevel" }, "settings[0].addLevel is missing"],
      [
        "null",
        { method: "GET", path: settingsPath, field: "inquireLevel", value: null, item: 3 },
        "settings[3].inquireLevel is null",
      ],
      [
        "unknown",
        { method: "GET", path: settingsPath, field: "editLevel", value: "Some", item: 2 },
        'settings[2].editLevel: Invalid option: expected one of "None"|"My"|"All"',
      ],
      [
        "no function name",
        { method: "GET", path: settingsPath, field: "moduleFunctionName", item: 1 },
        "settings[1].moduleFunctionName is missing",
      ],
    ];
    for (const [, rule, field] of cases) {
      await operator.reshape(rule);
      await operator.resetRequests();
      const expected = `ConnectWise 200 InvalidResponse on GET ${settingsPath}: unexpected answer: ${field}`;
      const lines = await reported(async () => {
        await expect(provider.diff(id, outs, inputs)).rejects.toThrow(expected);
        await expect(provider.update(id, outs, inputs)).rejects.toThrow(expected);
        await expect(provider.read(id, outs)).rejects.toThrow(expected);
      });
      // Nothing named None, no drift line, no operator step, nothing written.
      expect(lines).toEqual([]);
      const { entries } = await operator.requests();
      expect(entries.filter((e) => e.method !== "GET")).toEqual([]);
    }
  });
});

describe("SecurityRole read", () => {
  it("reports the live levels in the declared shape, and an empty id once the role is gone", async () => {
    const { id, outs } = await verifiedRole("ReadRole");
    await operator.setPermissions("ReadRole", {
      "Finance/Agreements": { add: "None", edit: "My" },
      "Sales/Opportunity": { inquire: "All" },
    });

    const result = await provider.read(id, outs);

    const live = {
      "Finance/Agreements": { add: "None", edit: "My", delete: "None", inquire: "All" },
      "Sales/Opportunity": { add: "None", edit: "None", delete: "None", inquire: "All" },
      "System/Table Setup": { add: "None", edit: "None", delete: "None", inquire: "All" },
    };
    expect(result.id).toBe(id);
    expect(result.inputs).toEqual({
      name: "ReadRole",
      permissions: live,
      exclusive: true,
      adopt: false,
      deleteAdopted: false,
    });
    expect(result.props).toMatchObject({ permissions: live, roleId: Number(id) });
    // Against what the program declared: the hand-made levels are pending steps.
    expect(stepTexts(result.props!.pendingSteps)).toEqual([
      "System > Security Roles > ReadRole > Finance > Agreements: set Add Level to All (now None), Edit Level to None (now My)",
      "System > Security Roles > ReadRole > Sales > Opportunity: set Inquire Level to None (now All)",
    ]);

    await call(sandbox, `/system/securityroles/${id}`, { method: "DELETE" });
    expect(await provider.read(id, outs)).toEqual({ id: "" });
  });
});

describe("SecurityRole delete", () => {
  it("is refused while an active API member holds the role, naming it, and succeeds once it is inactive", async () => {
    const { id, outs } = await verifiedRole("DeleteRole");
    const created = await call(sandbox, "/system/apiMembers", {
      method: "POST",
      body: { identifier: "roleuser", name: "Role User", securityRole: { id: Number(id) } },
    });
    expect(created.status).toBe(201);

    const refused = await rejection(provider.delete(id, outs));
    expect(refused.message).toContain("active members use it: roleuser");
    expect((await operator.state()).roles.some((r) => r.name === "DeleteRole")).toBe(true);

    const deactivated = await call(sandbox, `/system/apiMembers/${created.body.id}`, {
      method: "PATCH",
      body: [{ op: "replace", path: "inactiveFlag", value: true }],
    });
    expect(deactivated.status).toBe(200);
    await provider.delete(id, outs);
    expect((await operator.state()).roles.some((r) => r.name === "DeleteRole")).toBe(false);
    // Deleting what is already gone is not an error.
    await provider.delete(id, outs);
  });
});
