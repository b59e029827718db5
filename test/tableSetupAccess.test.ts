// TableSetupAccess handlers against the in-process sandbox: an API member on a role, with a key
// made in the console, verifies the role's Table Setup list; SandboxConsole plays the operator.

import { provider } from "../provider/tableSetupAccess";
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

describe("TableSetupAccess", () => {
  let keys: { publicKey: string; privateKey: string };
  beforeAll(async () => {
    keys = await memberOnRole("TSRole", "tsmember");
  });

  it("fails with a checklist naming the role until the operator sets the list, then verifies", async () => {
    const inputs = await checked({ role: "TSRole", member: "tsmember", ...keys, tables: ["service / service board"] });
    expect(inputs.tables).toEqual(["Service / Service Board"]);

    const error = await rejection(provider.create(inputs));
    expect(error.id).toBe("TSRole/tsmember");
    expect(error.properties).toMatchObject({ role: "TSRole", tables: ["Service / Service Board"], verified: [] });
    expect(error.reasons).toEqual([
      "1. System > Security Roles > TSRole > System > Table Setup: set Inquire Level to All (now None)",
      `2. ${CUSTOMIZE}: add 'Service / Service Board' in Allow access to these`,
    ]);
    expect(error.message).toContain("TableSetupAccess TSRole/tsmember on ");
    // Nothing the handler reports may carry the key.
    expect(JSON.stringify({ message: error.message, reasons: error.reasons })).not.toContain(keys.privateKey);

    await operator.setPermissions("TSRole", { "System/Table Setup": { inquire: "All" } });
    await operator.setTableSetup("TSRole", ["Service / Service Board"]);
    const { outs } = await provider.update(error.id, error.properties, inputs);
    expect(outs).toMatchObject({
      role: "TSRole",
      member: "tsmember",
      tables: ["Service / Service Board"],
      verified: ["Service / Service Board"],
    });

    const created = await provider.create(inputs);
    expect(created.id).toBe("TSRole/tsmember");
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
    // Reads only: the member (as admin), then its Table Setup level and customize items (as the member).
    expect((await operator.requests()).counts).toEqual({
      "GET /system/apiMembers": 1,
      "GET /system/mySecurity": 1,
      "GET /system/mySecurity/customizeItems": 1,
    });
  });

  it("shows entries allowed by hand as drift, reads them back, and asks to remove them", async () => {
    await operator.setTableSetup("TSRole", ["Service / Service Board", "Member / Member Type"]);
    const inputs = await checked({ role: "TSRole", member: "tsmember", ...keys, tables: ["Service / Service Board"] });
    const outs = { ...inputs, verified: ["Service / Service Board"] };

    const printed = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      expect((await provider.diff("TSRole/tsmember", outs, inputs)).changes).toBe(true);
      expect(printed.mock.calls.map((c) => c[0])).toEqual([
        "TableSetupAccess TSRole/tsmember: Table Setup 'Member / Member Type': allowed => not allowed",
      ]);
    } finally {
      printed.mockRestore();
    }

    const read = await provider.read("TSRole/tsmember", outs);
    expect(read.inputs).toMatchObject({
      role: "TSRole",
      member: "tsmember",
      tables: ["Member / Member Type", "Service / Service Board"],
    });

    const error = await rejection(provider.update("TSRole/tsmember", outs, inputs));
    expect(error.reasons).toEqual([`1. ${CUSTOMIZE}: remove 'Member / Member Type' from Allow access to these`]);
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

    const printed = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      expect((await provider.diff("TSRole/othermember", outs, inputs)).changes).toBe(true);
      expect(printed.mock.calls.map((c) => c[0])).toEqual([
        "TableSetupAccess TSRole/othermember: member othermember securityRole: OtherRole => TSRole",
      ]);
    } finally {
      printed.mockRestore();
    }
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

  it("a key that no longer authenticates is named without showing it", async () => {
    const inputs = await checked({ role: "TSRole", member: "tsmember", ...keys, tables: ["Service / Service Board"] });
    await operator.revokeApiKey("tsmember", keys.publicKey);
    const error = await rejection(provider.create(inputs));
    expect(error.message).toContain('the key given for API member "tsmember" does not authenticate');
    expect(error.message).not.toContain(keys.publicKey);
    expect(error.message).not.toContain(keys.privateKey);
  });

  it("reads as gone once the member's key no longer authenticates", async () => {
    const revokedKeys = await memberOnRole("TSRole", "tsrevoked");
    const inputs = await checked({ role: "TSRole", member: "tsrevoked", ...revokedKeys, tables: [] });
    const props = { ...inputs, verified: [] } as never;
    expect((await provider.read("TSRole/tsrevoked", props)).id).toBe("TSRole/tsrevoked");
    await operator.revokeApiKey("tsrevoked", revokedKeys.publicKey);
    expect(await provider.read("TSRole/tsrevoked", props)).toEqual({ id: "" });
  });
});
