// SecurityRole handlers against the in-process sandbox; SandboxConsole plays the operator and
// reads the request log.

import { provider } from "../provider/securityRole";
import { SandboxConsole } from "../sandbox/console";
import type { RunningSandbox } from "../sandbox/server";
import { configure, rejection, startHandlerSandbox } from "./handler-harness";
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
  const result = await provider.check({}, raw);
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
  const pending = await rejection(provider.create(inputs));
  await operator.setPermissions(name, granted);
  const { outs } = await provider.update(pending.id, pending.properties, inputs);
  return { id: pending.id, outs: outs!, inputs };
}

describe("SecurityRole create", () => {
  it("creates the role, then fails with the console checklist, keeping id and outputs (partial state)", async () => {
    const inputs = await checked({ name: "ElementsAPI", permissions: declared });
    const error = await rejection(provider.create(inputs));

    const role = await operator.role("ElementsAPI");
    expect(error.id).toBe(String(role.id));
    expect(error.properties).toMatchObject({
      ...inputs,
      roleId: role.id,
      tenant: expect.stringContaining(sandbox.companyId),
    });
    expect(error.reasons).toEqual([
      "1. System > Security Roles > ElementsAPI > Finance > Agreements: set Add Level to All (now None)",
      "2. System > Security Roles > ElementsAPI > Finance > Agreements: set Inquire Level to All (now None)",
      "3. System > Security Roles > ElementsAPI > System > Table Setup: set Inquire Level to All (now None)",
    ]);
    expect(error.message).toMatch(/^SecurityRole ElementsAPI on .* needs 3 console steps:\n1\. /);
    expect(error.message.endsWith("Do these in the Manage UI, then run `pulumi up` again to verify.")).toBe(true);

    // The operator sets two of the three: update verifies and still names the one left.
    await operator.setPermissions("ElementsAPI", { "Finance/Agreements": { add: "All", inquire: "All" } });
    const still = await rejection(provider.update(error.id, error.properties, inputs));
    expect(still.reasons).toEqual([
      "1. System > Security Roles > ElementsAPI > System > Table Setup: set Inquire Level to All (now None)",
    ]);

    await operator.setPermissions("ElementsAPI", { "System/Table Setup": { inquire: "All" } });
    const { outs } = await provider.update(error.id, error.properties, inputs);
    expect(outs).toMatchObject({
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

  it("adopts an existing role with adopt: true, and names it without", async () => {
    const { id } = await verifiedRole("AdoptMe");
    const without = await rejection(provider.create(await checked({ name: "adoptme", permissions: declared })));
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
  it("no change: changes false from exactly one role GET and one settings page, no write", async () => {
    const { id, outs, inputs } = await verifiedRole("NoopRole");
    await operator.resetRequests();

    const result = await provider.diff(id, outs, inputs);

    expect(result).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    const { entries } = await operator.requests();
    expect(entries.map((e) => `${e.method} ${e.path.replace(/^.*\/apis\/3\.0/, "")}`).sort()).toEqual([
      `GET /system/securityRoles/${id}/settings`,
      `GET /system/securityroles/${id}`,
    ]);
    const settings = entries.find((e) => e.path.endsWith("/settings"))!;
    expect(JSON.stringify(settings.query)).toContain("1000");
  });

  it("drift made in the console: changes true and one preview line per level", async () => {
    const { id, outs, inputs } = await verifiedRole("DriftRole");
    await operator.setPermissions("DriftRole", {
      "Finance/Agreements": { add: "My" },
      "Finance/Invoicing": { inquire: "All" },
    });
    const printed = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const result = await provider.diff(id, outs, inputs);
      expect(result.changes).toBe(true);
      expect(result.replaces).toEqual([]);
      expect(printed.mock.calls.map((c) => c[0])).toEqual([
        "SecurityRole DriftRole: Finance/Agreements add: My => All",
        // exclusive (the default): a level granted on a function not declared is drift too
        "SecurityRole DriftRole: Finance/Invoicing inquire: All => None",
      ]);
      printed.mockClear();

      // Not exclusive: the undeclared function is not compared.
      const loose = { ...outs, exclusive: false };
      await provider.diff(id, loose, { ...inputs, exclusive: false });
      expect(printed.mock.calls.map((c) => c[0])).toEqual([
        "SecurityRole DriftRole: Finance/Agreements add: My => All",
      ]);
    } finally {
      printed.mockRestore();
    }
  });

  it("a name change replaces the role without asking ConnectWise", async () => {
    const { id, outs, inputs } = await verifiedRole("RenameRole");
    await operator.resetRequests();
    const result = await provider.diff(id, outs, { ...inputs, name: "RenamedRole" });
    expect(result).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: false });
    expect((await operator.requests()).entries).toHaveLength(0);
  });

  it("a role deleted outside Pulumi is replaced", async () => {
    const { id, outs, inputs } = await verifiedRole("GoneRole");
    await call(sandbox, `/system/securityroles/${id}`, { method: "DELETE" });
    const printed = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      expect(await provider.diff(id, outs, inputs)).toMatchObject({ changes: true, replaces: ["name"] });
    } finally {
      printed.mockRestore();
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
    expect(result.inputs).toEqual({ name: "ReadRole", permissions: live, exclusive: true, adopt: false });
    expect(result.props).toMatchObject({ permissions: live, roleId: Number(id) });

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
