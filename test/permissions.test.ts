// The permission model (catalog/permissions.ts): the levels' order, parsing, the Table Setup rule,
// and that its callers agree: the SecurityRole handler (what preview and up ask of the operator)
// and the matching discover and the access audit use (cli/shared/roleMatch.ts) find the same
// differences on the same live role, a function the catalog lacks included; the program's
// integration schema and TableSetupAccess's check refuse the same roles. Against the sandbox.

import { compareLevel, parseLevel, parsePermissions, tableSetupRuleBroken, type PermissionField } from "../catalog";
import { ConnectWiseClient } from "../connectwise/client";
import { IntegrationDefinitionSchema } from "../program/definitionSchema";
import { shippedPreset } from "../program/presets";
import { provider as roleProvider } from "../provider/securityRole";
import { provider as accessProvider } from "../provider/tableSetupAccess";
import { compare, fieldDifferences } from "../cli/shared/roleMatch";
import { readRoles } from "../cli/shared/tenantRoles";
import type { SandboxConsole } from "../sandbox/console";
import type { RunningSandbox } from "../sandbox/server";
import type { ConsoleStep } from "../review/records";
import { configure, startHandlerSandbox } from "./handler-harness";

let sandbox: RunningSandbox;
let operator: SandboxConsole;

beforeAll(async () => {
  const started = await startHandlerSandbox();
  ({ sandbox, operator } = started);
  await configure(roleProvider, started.config);
});
afterAll(() => sandbox.close());

describe("levels", () => {
  it("are ordered None < My < All, per level kind", () => {
    expect(compareLevel("All", "My")).toBe("more");
    expect(compareLevel("None", "My")).toBe("less");
    expect(compareLevel("My", "My")).toBe("equal");
    expect(compareLevel("My", "None")).toBe("more");
  });

  it("parse in their exact spelling for files, case-insensitively for resource inputs", () => {
    expect(parseLevel(" all ")).toBe("All");
    expect(parseLevel(" all ", true)).toBeUndefined();
    expect(parseLevel("All", true)).toBe("All");
    expect(parseLevel(5)).toBeUndefined();
  });
});

describe("a permissions map", () => {
  it("comes out in catalog spelling and order, unset levels None, every problem named", () => {
    expect(parsePermissions({ "system/table setup": { inquire: "all" }, "Finance/Agreements": { add: "My" } })).toEqual(
      {
        permissions: {
          "Finance/Agreements": { add: "My", edit: "None", delete: "None", inquire: "None" },
          "System/Table Setup": { add: "None", edit: "None", delete: "None", inquire: "All" },
        },
        problems: [],
      },
    );
    expect(
      parsePermissions({
        "Finance/Agreement": {},
        "Finance/Agreements": { ad: "All", inquire: "Al" },
        "finance/agreements": {},
        "System/Security": 5,
      }).problems,
    ).toEqual([
      { kind: "unknown function", rawKey: "Finance/Agreement" },
      { kind: "unknown field", rawKey: "Finance/Agreements", key: "Finance/Agreements", field: "ad" },
      { kind: "not a level", rawKey: "Finance/Agreements", key: "Finance/Agreements", field: "inquire", value: "Al" },
      { kind: "declared twice", rawKey: "finance/agreements", key: "Finance/Agreements" },
      { kind: "not levels", rawKey: "System/Security", key: "System/Security", value: 5 },
    ]);
    expect(parsePermissions([]).problems).toEqual([{ kind: "not a map", value: [] }]);
  });
});

describe("the Table Setup rule", () => {
  it("an allow-list needs System/Table Setup inquire All; without the entry None, or not declared when not exclusive", () => {
    const tables = ["Service / Service Board"];
    expect(tableSetupRuleBroken({ "System/Table Setup": { inquire: "All" } }, tables)).toBeUndefined();
    expect(tableSetupRuleBroken({ "system/table setup": { inquire: " all " } }, tables)).toBeUndefined();
    expect(tableSetupRuleBroken({ "System/Table Setup": { inquire: "My" } }, tables)).toBe("My");
    expect(tableSetupRuleBroken({ "Finance/Agreements": { inquire: "All" } }, tables)).toBe("None");
    expect(tableSetupRuleBroken({ "Finance/Agreements": { inquire: "All" } }, tables, false)).toBe("not declared");
    expect(tableSetupRuleBroken({}, [])).toBeUndefined();
  });

  it("the program's schema and TableSetupAccess's check refuse the same roles", async () => {
    const tableSetup = ["Service / Service Board"];
    const cases: Record<string, unknown>[] = [
      { "System/Table Setup": { inquire: "All" } },
      { "System/Table Setup": { inquire: "My" } },
      { "System/Table Setup": { add: "All" } },
      { "Finance/Agreements": { inquire: "All" } },
      { "system/table setup": { inquire: "All" }, "Finance/Agreements": { inquire: "All" } },
    ];
    const verdicts = [];
    for (const permissions of cases) {
      const definition = IntegrationDefinitionSchema.safeParse({
        id: "x",
        integration: "X",
        roleName: "X",
        keyDescription: "X",
        permissions,
        tableSetup,
      });
      const access = await accessProvider.check(
        {},
        {
          role: "X",
          member: "x",
          publicKey: "public-key",
          privateKey: "private-key",
          tables: tableSetup,
          roleDeclared: { resource: "SecurityRole X", permissions },
        },
      );
      verdicts.push([definition.success, access.failures === undefined]);
    }
    expect(verdicts).toEqual([
      [true, true],
      [false, false],
      [false, false],
      [false, false],
      [true, true],
    ]);
  });
});

describe("the handler and the matching agree on a live role", () => {
  it("the same differences, field by field, a function the catalog lacks included (it grants more)", async () => {
    const table = shippedPreset("lifecycle-manager");
    const name = "AgreeRole";
    const printed = jest.spyOn(console, "error").mockImplementation(() => undefined);
    let steps: ConsoleStep[];
    try {
      const { inputs } = await roleProvider.check({}, { name, permissions: table.permissions });
      const created = await roleProvider.create({ ...inputs, __provider: "<serialized provider>" });
      // The table, then by hand: one level beyond it, one it lacks, one on a function the catalog lacks.
      await operator.setPermissions(name, table.permissions);
      const [granted, lacking] = Object.keys(table.permissions).filter((k) => k !== "System/Table Setup");
      await operator.setPermissions(name, { [granted]: { delete: "All" }, [lacking]: { inquire: "None" } });
      await operator.addExtraFunction(name, "Service Desk", "Ticket Robots", { inquire: "My" });
      const updated = await roleProvider.update(created.id, created.outs, { ...inputs, __provider: "x" });
      steps = updated.outs.pendingSteps;
    } finally {
      printed.mockRestore();
    }

    const client = await ConnectWiseClient.connect({
      site: sandbox.url,
      companyId: sandbox.companyId,
      clientId: sandbox.clientId,
      publicKey: sandbox.publicKey,
      privateKey: sandbox.privateKey,
    });
    const live = (await readRoles(client)).roles.find((r) => r.role.name === name)!;
    const match = compare(live.levels!, table);
    expect(match.verdict).toBe("differs");
    const { beyond, lacks } = fieldDifferences(match);

    const LABEL: Record<PermissionField, string> = {
      add: "Add Level",
      edit: "Edit Level",
      delete: "Delete Level",
      inquire: "Inquire Level",
    };
    const fromMatch = [...beyond, ...lacks]
      .map((d) => `${d.function} ${LABEL[d.field]}: ${d.have} => ${d.need}`)
      .sort();
    const fromHandler = steps
      .flatMap((s) => s.changes.map((c) => `${s.menuPath.slice(3).join("/")} ${c.field}: ${c.current} => ${c.value}`))
      .sort();
    expect(fromMatch).toEqual(fromHandler);
    expect(fromHandler).toContain("Service Desk/Ticket Robots Inquire Level: My => None");
    expect(beyond.map((d) => d.function)).toContain("Service Desk/Ticket Robots");
    expect(fromHandler).toHaveLength(3);
  });
});
