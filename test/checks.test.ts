// Bad input fails at check(), before any request, with a reason that names the resource type,
// the field, the bad value and what is allowed. Values still unknown during preview (the
// engine's sentinel) are not judged. SecurityRole and TableSetupAccess rows; other resources
// keep their rows in their own files.

import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { provider as securityRole } from "../provider/securityRole";
import { provider as tableSetupAccess } from "../provider/tableSetupAccess";

const role = (overrides: Record<string, unknown>) => ({
  name: "ElementsAPI",
  permissions: { "Finance/Agreements": { inquire: "All" } },
  ...overrides,
});
const access = (overrides: Record<string, unknown>) => ({
  role: "ElementsAPI",
  member: "elements",
  publicKey: "PUBLICKEY",
  privateKey: "PRIVATEKEY",
  tables: ["Service / Service Board"],
  ...overrides,
});

type Row = [
  label: string,
  check: typeof securityRole.check,
  inputs: Record<string, unknown>,
  property: string,
  reason: RegExp,
];

const rows: Row[] = [
  [
    "SecurityRole: unknown module",
    securityRole.check,
    role({ permissions: { "Finanse/Agreements": { add: "All" } } }),
    'permissions["Finanse/Agreements"]',
    /^SecurityRole permissions: unknown module "Finanse" in "Finanse\/Agreements" \(did you mean "Finance"\?\); modules are "Companies", /,
  ],
  [
    "SecurityRole: unknown function",
    securityRole.check,
    role({ permissions: { "Finance/Agrements": { add: "All" } } }),
    'permissions["Finance/Agrements"]',
    /^SecurityRole permissions: unknown function "Agrements" in module Finance \("Finance\/Agrements"\) \(did you mean "Finance\/Agreements"\?\)$/,
  ],
  [
    "SecurityRole: key without a module",
    securityRole.check,
    role({ permissions: { Agreements: { add: "All" } } }),
    'permissions["Agreements"]',
    /^SecurityRole permissions: "Agreements" is not a "Module\/Function" key/,
  ],
  [
    "SecurityRole: bad level",
    securityRole.check,
    role({ permissions: { "Finance/Agreements": { add: "Full" } } }),
    'permissions["Finance/Agreements"].add',
    /^SecurityRole permissions: Finance\/Agreements add level "Full" is not allowed; use "None", "My", "All"$/,
  ],
  [
    "SecurityRole: unknown level field",
    securityRole.check,
    role({ permissions: { "Finance/Agreements": { view: "All" } } }),
    'permissions["Finance/Agreements"].view',
    /unknown field "view"; allowed fields are "add", "edit", "delete", "inquire"/,
  ],
  [
    "SecurityRole: function declared twice",
    securityRole.check,
    role({ permissions: { "Finance/Agreements": {}, "finance/agreements": {} } }),
    'permissions["finance/agreements"]',
    /declares Finance\/Agreements a second time/,
  ],
  [
    "SecurityRole: name over 30 characters",
    securityRole.check,
    role({ name: "A".repeat(31) }),
    "name",
    /^SecurityRole name: "A{31}" has 31 characters; ConnectWise allows at most 30$/,
  ],
  [
    "SecurityRole: empty name",
    securityRole.check,
    role({ name: "  " }),
    "name",
    /^SecurityRole name: " {2}" is not allowed/,
  ],
  [
    "SecurityRole: empty permissions, not exclusive",
    securityRole.check,
    role({ permissions: {}, exclusive: false }),
    "permissions",
    /^SecurityRole permissions: empty with exclusive false/,
  ],
  [
    "SecurityRole: exclusive not a boolean",
    securityRole.check,
    role({ exclusive: "yes" }),
    "exclusive",
    /^SecurityRole exclusive: "yes" is not allowed; use true or false$/,
  ],
  [
    "TableSetupAccess: unknown table",
    tableSetupAccess.check,
    access({ tables: ["Service / Service Bord"] }),
    "tables[0]",
    /^TableSetupAccess tables: unknown Table Setup entry "Service \/ Service Bord" \(did you mean "Service \/ Service Board"\?\)/,
  ],
  [
    "TableSetupAccess: duplicate table",
    tableSetupAccess.check,
    access({ tables: ["Service / Service Board", "service / service board"] }),
    "tables[1]",
    /^TableSetupAccess tables: "Service \/ Service Board" is listed twice; tables is a set$/,
  ],
  [
    "TableSetupAccess: tables not a list",
    tableSetupAccess.check,
    access({ tables: "Service / Service Board" }),
    "tables",
    /^TableSetupAccess tables: expected a list/,
  ],
  [
    "TableSetupAccess: member over 15 characters",
    tableSetupAccess.check,
    access({ member: "m".repeat(16) }),
    "member",
    /^TableSetupAccess member: "m{16}" has 16 characters; ConnectWise allows at most 15$/,
  ],
  [
    "TableSetupAccess: empty role",
    tableSetupAccess.check,
    access({ role: "" }),
    "role",
    /^TableSetupAccess role: "" is not allowed/,
  ],
  [
    "TableSetupAccess: empty private key",
    tableSetupAccess.check,
    access({ privateKey: "" }),
    "privateKey",
    /^TableSetupAccess privateKey: the value given is not allowed/,
  ],
];

describe("check() refuses bad input", () => {
  it.each(rows)("%s", async (_label, check, inputs, property, reason) => {
    const { failures } = await check({}, inputs);
    expect(failures).toEqual([{ property, reason: expect.stringMatching(reason) }]);
  });
});

describe("check() normalises", () => {
  it("SecurityRole: trims, fixes case, fills unset levels with None, defaults exclusive and adopt", async () => {
    const { inputs, failures } = await securityRole.check(
      {},
      {
        name: " ElementsAPI ",
        permissions: {
          "service desk/service tickets": { inquire: "all", edit: "MY" },
          "finance/agreements": { add: "none" },
        },
      },
    );
    expect(failures).toBeUndefined();
    expect(inputs).toEqual({
      name: "ElementsAPI",
      permissions: {
        "Finance/Agreements": { add: "None", edit: "None", delete: "None", inquire: "None" },
        "Service Desk/Service Tickets": { add: "None", edit: "My", delete: "None", inquire: "All" },
      },
      exclusive: true,
      adopt: false,
      deleteAdopted: false,
    });
  });

  it("TableSetupAccess: catalog spelling, sorted", async () => {
    const { inputs } = await tableSetupAccess.check(
      {},
      access({ tables: ["service / service board", "Company / Country"] }),
    );
    expect(inputs!.tables).toEqual(["Company / Country", "Service / Service Board"]);
  });

  it("never echoes key material", async () => {
    const { failures } = await tableSetupAccess.check(
      {},
      access({ publicKey: 42, privateKey: { secret: "SHOULD-NOT-SHOW" } }),
    );
    expect(failures).toHaveLength(2);
    expect(JSON.stringify(failures)).not.toContain("SHOULD-NOT-SHOW");
  });
});

describe("check() skips values unknown during preview", () => {
  it.each([
    ["SecurityRole name", securityRole.check, role({ name: unknownValue })],
    ["SecurityRole permissions", securityRole.check, role({ permissions: unknownValue })],
    [
      "SecurityRole one function's levels",
      securityRole.check,
      role({ permissions: { "Finance/Agreements": unknownValue } }),
    ],
    [
      "SecurityRole one level",
      securityRole.check,
      role({ permissions: { "Finance/Agreements": { add: unknownValue } } }),
    ],
    ["SecurityRole exclusive", securityRole.check, role({ exclusive: unknownValue })],
    [
      "TableSetupAccess keys and member",
      tableSetupAccess.check,
      access({ member: unknownValue, publicKey: unknownValue, privateKey: unknownValue }),
    ],
    ["TableSetupAccess tables", tableSetupAccess.check, access({ tables: unknownValue })],
    [
      "TableSetupAccess one table",
      tableSetupAccess.check,
      access({ tables: [unknownValue, "Service / Service Board"] }),
    ],
  ] as [string, typeof securityRole.check, Record<string, unknown>][])("%s", async (_label, check, inputs) => {
    expect((await check({}, inputs)).failures).toBeUndefined();
  });
});
