// Stack config errors: one message that names the config key, thrown as a RunError (which Pulumi
// prints without a stack trace), before anything is declared. And the user's own integration
// files, found in a folder, become kinds a stack can name. Runs under Pulumi's mocks.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { RunError } from "@pulumi/pulumi/errors";
import { tenantProgram } from "../program/tenant";

const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
const KEY = "connectwise-iac:integrations";
let emptyDir: string;

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: { ...args.inputs, publicKey: "pk", privateKey: "sk" } };
      },
      call: () => ({}),
    },
    "connectwise-iac",
    "acme",
    false,
  );
  emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-integrations-"));
});

afterAll(() => fs.rmSync(emptyDir, { recursive: true, force: true }));
beforeEach(() => (registered.length = 0));

function member(overrides: Record<string, unknown> = {}) {
  return {
    identifier: "APIMember",
    name: "API member",
    email: "it@acme.example",
    level: "Corporate",
    businessUnit: "Admin",
    location: "Main",
    defaultTerritory: "Main",
    ...overrides,
  };
}

/** Runs the program with this `integrations` value (undefined: unset); returns what it threw. */
function failure(integrations: unknown, dir = emptyDir): Error {
  const config: Record<string, string> = { "connectwise:site": "127.0.0.1:1", "connectwise:companyId": "acme" };
  if (integrations !== undefined)
    config[KEY] = typeof integrations === "string" ? integrations : JSON.stringify(integrations);
  pulumi.runtime.setAllConfig(config);
  try {
    tenantProgram({ integrationsDir: dir });
  } catch (error) {
    expect(RunError.isInstance(error)).toBe(true);
    expect(registered).toEqual([]); // refused before declaring anything
    return error as Error;
  }
  throw new Error("the program accepted this config");
}

describe("stack config errors name the config key", () => {
  it("a misspelled member field, with a did-you-mean", () => {
    const { email: _email, ...rest } = member();
    const error = failure([
      { kind: "elements", member: member() },
      { kind: "lifecycle-manager", name: "lm", member: { ...rest, emial: "it@acme.example" } },
    ]);
    // One line: the misspelling explains the missing "email".
    expect(error.message).toBe(`${KEY}[1].member.emial: unknown field; did you mean "email"?`);
  });

  it("an unknown kind, with a did-you-mean and the known kinds", () => {
    const error = failure([{ kind: "elemnts", member: member() }]);
    expect(error.message).toMatch(
      new RegExp(
        `^${escape(KEY)}\\[0\\]\\.kind: unknown kind "elemnts" \\(did you mean "elements"\\?\\); known kinds: elements, lifecycle-manager, rewst`,
      ),
    );
    expect(error.message).not.toContain("\n");
  });

  it("a missing integrations key", () => {
    const error = failure(undefined);
    expect(error.message).toMatch(
      new RegExp(`^${escape(KEY)}: missing; list this stack's integrations in Pulumi\\.acme\\.yaml`),
    );
  });

  it("a value that is not a list, and a wrong type inside an entry", () => {
    expect(failure("elements").message).toBe(`${KEY}: expected array, got "elements"`);
    expect(failure([{ kind: "rewst", adopt: "yes", member: member() }]).message).toBe(
      `${KEY}[0].adopt: expected boolean, got "yes"`,
    );
  });

  it("several problems: one message, one line each", () => {
    const error = failure([{ kind: "elemnts", adopt: "yes", member: member() }]);
    expect(error.message.split("\n")).toEqual([
      "stack config is invalid:",
      `  ${KEY}[0].adopt: expected boolean, got "yes"`,
      expect.stringMatching(/^ {2}connectwise-iac:integrations\[0\]\.kind: unknown kind "elemnts"/),
    ]);
  });

  it("two entries that would declare the same resource names", () => {
    const error = failure([
      { kind: "rewst", member: member() },
      { kind: "rewst", member: member({ identifier: "Rewst2" }) },
    ]);
    expect(error.message).toBe(`${KEY}[1]: name "rewst" is already used by ${KEY}[0]; give one of them a "name"`);
  });

  it("a missing connection site", () => {
    pulumi.runtime.setAllConfig({ [KEY]: JSON.stringify([{ kind: "elements", member: member() }]) });
    const saved = process.env.CONNECTWISE_SITE;
    delete process.env.CONNECTWISE_SITE;
    try {
      expect(() => tenantProgram({ integrationsDir: emptyDir })).toThrow(/^connectwise:site: missing/);
    } finally {
      if (saved !== undefined) process.env.CONNECTWISE_SITE = saved;
    }
  });
});

describe("the user's own integrations folder", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-integrations-"));
    fs.writeFileSync(
      path.join(dir, "my-tool.yaml"),
      [
        "id: my-tool",
        "integration: My Tool",
        "roleName: MyToolAPI",
        "keyDescription: My Tool",
        "permissions:",
        "  Companies/Contacts: { inquire: All }",
        "  System/Table Setup: { inquire: All }",
        "tableSetup: [Service / Service Board]",
      ].join("\n"),
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("gives a stack a kind it can name, declared like a shipped preset", async () => {
    pulumi.runtime.setAllConfig({
      "connectwise:site": "127.0.0.1:1",
      "connectwise:companyId": "acme",
      [KEY]: JSON.stringify([{ kind: "my-tool", member: member({ identifier: "MyTool" }) }]),
    });
    const { integrations } = tenantProgram({ integrationsDir: dir });
    expect(Object.keys(integrations)).toEqual(["my-tool"]);
    await new Promise<void>((resolve) => pulumi.output(integrations["my-tool"].publicKey).apply(() => resolve()));
    for (let i = 0; i < 100 && !registered.some((r) => r.name === "my-tool-table-setup"); i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const role = registered.find((r) => r.name === "my-tool-role")!;
    expect(role.type).toBe("pulumi-nodejs:dynamic/connectwise:SecurityRole");
    expect(role.inputs).toMatchObject({ name: "MyToolAPI", permissions: { "Companies/Contacts": { inquire: "All" } } });
    expect(registered.find((r) => r.name === "my-tool-table-setup")?.inputs.tables).toEqual([
      "Service / Service Board",
    ]);
    expect(registered.find((r) => r.name === "my-tool-key")?.inputs.description).toBe("My Tool");
  });

  it("is refused with the config key when a stack names a kind no file defines", () => {
    expect(failure([{ kind: "my-tol", member: member() }], dir).message).toMatch(
      /^connectwise-iac:integrations\[0\]\.kind: unknown kind "my-tol" \(did you mean "my-tool"\?\); known kinds: .*my-tool$/,
    );
  });
});

describe("tiers and options in the stack config", () => {
  it("a tier and options select the role's table", async () => {
    pulumi.runtime.setAllConfig({
      "connectwise:site": "127.0.0.1:1",
      "connectwise:companyId": "acme",
      [KEY]: JSON.stringify([
        { kind: "rewst", tier: "authentication", member: member({ identifier: "Rewst" }) },
        { kind: "smileback", options: [], member: member({ identifier: "Smile" }) },
      ]),
    });
    const { integrations } = tenantProgram({ integrationsDir: emptyDir });
    await new Promise<void>((resolve) => pulumi.output(integrations["smileback"].publicKey).apply(() => resolve()));
    for (let i = 0; i < 100 && !registered.some((r) => r.name === "checklist"); i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const rewst = registered.find((r) => r.name === "rewst-role")!;
    expect(Object.keys(rewst.inputs.permissions as object).sort()).toEqual([
      "Companies/Company Maintenance",
      "System/Member Maintenance",
    ]);
    // SmileBack without its allow-list option: no Table Setup allow-list to declare.
    expect(registered.some((r) => r.name === "smileback-table-setup")).toBe(false);
  });

  it("an unknown tier or option is refused with the config key and what the integration offers", () => {
    const error = failure([
      { kind: "rewst", tier: "half", member: member() },
      { kind: "crushbank", options: ["kba"], member: member({ identifier: "Crush" }) },
    ]);
    expect(error.message.split("\n")).toEqual([
      "stack config is invalid:",
      `  ${KEY}[0]: integration "rewst": no tier "half"; tiers: authentication, full`,
      `  ${KEY}[1]: integration "crushbank": no option "kba"; options: smartclassifier, solved-my-issue, ticket-budgeter, kba-articles`,
    ]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
