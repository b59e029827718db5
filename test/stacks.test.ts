// The integration components wire the four resources as each integration requires, under
// names that never collide, with the private key kept secret. Runs the program under Pulumi's
// mocks: no engine, no ConnectWise.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const registered: Registered[] = [];

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
  pulumi.runtime.setAllConfig({
    "connectwise:site": "127.0.0.1:1",
    "connectwise:companyId": "acme",
    "connectwise-iac:integrations": JSON.stringify([
      { kind: "elements", member: member("APIMember") },
      { kind: "lifecycle-manager", member: member("LMXMember") },
      { kind: "rewst", name: "rewst-a", member: member("RewstA") },
    ]),
  });
});

function member(identifier: string) {
  return {
    identifier,
    name: identifier,
    email: "it@acme.example",
    level: "Corporate",
    businessUnit: "Admin",
    location: "Main",
    defaultTerritory: "Main",
  };
}

function outputValue<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

describe("tenant program", () => {
  let outputs: Record<string, Record<string, pulumi.Output<string>>>;

  beforeAll(async () => {
    const { tenantProgram } = await import("../program/tenant");
    outputs = tenantProgram().integrations;
    await outputValue(outputs["lifecycle-manager"].publicKey);
    // TableSetupAccess registers once the key's outputs resolve; wait for it (bounded).
    // The checklist registers once the pending steps of every role and access resolve.
    for (let i = 0; i < 100 && !registered.some((r) => r.name === "checklist"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  it("declares role, member and key per integration, and Table Setup only where required", () => {
    const names = registered
      .filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"))
      .map((r) => `${r.type.split(":").pop()} ${r.name}`);
    expect(names.sort()).toEqual(
      [
        "SecurityRole elements-role",
        "ApiMember elements-member",
        "ApiKey elements-key",
        "SecurityRole lifecycle-manager-role",
        "ApiMember lifecycle-manager-member",
        "ApiKey lifecycle-manager-key",
        "TableSetupAccess lifecycle-manager-table-setup",
        "SecurityRole rewst-a-role",
        "ApiMember rewst-a-member",
        "ApiKey rewst-a-key",
        // Declared last: the stack's one checklist of console steps.
        "OperatorChecklist checklist",
      ].sort(),
    );
    const names2 = new Set(registered.map((r) => r.name));
    expect(names2.size).toBe(registered.length);
  });

  it("gives Elements the role its setup page asks for", () => {
    const role = registered.find((r) => r.name === "elements-role")!;
    expect(role.inputs.name).toBe("ElementsAPI");
    expect(role.inputs.permissions).toMatchObject({
      "Finance/Agreements": { add: "All", edit: "All", inquire: "All" },
      "Service Desk/Close Service Tickets": { add: "All", edit: "All", inquire: "All" },
    });
    const key = registered.find((r) => r.name === "elements-key")!;
    expect(key.inputs.description).toBe("Elements");
  });

  it("puts Lifecycle Manager's Service Board on the allow-list of its member's role", () => {
    const access = registered.find((r) => r.name === "lifecycle-manager-table-setup")!;
    expect(access.inputs.tables).toEqual(["Service / Service Board"]);
    expect(access.inputs.role).toBe("LifecycleManagerAPI");
    expect(access.inputs.member).toBe("LMXMember");
    // The role resource was given: its declared permissions ride along for check() to judge.
    expect(access.inputs.roleDeclared).toMatchObject({
      resource: "SecurityRole LifecycleManagerAPI",
      permissions: { "System/Table Setup": { inquire: "All" } },
    });
  });

  it("gathers the console work of every role, Table Setup access and key into one checklist with a runbook", () => {
    const checklist = registered.find((r) => r.name === "checklist")!;
    expect(checklist.inputs.runbook).toBe(path.resolve(__dirname, "..", "runbooks", `${pulumi.getStack()}.md`));
    // Three roles, one Table Setup access, three keys (their unanswered tokens, none here).
    expect(checklist.inputs.items).toHaveLength(7);
    const keys = (checklist.inputs.items as { resource: string }[]).filter((i) => i.resource.startsWith("ApiKey"));
    expect(keys).toHaveLength(3);
    for (const key of keys) expect(key).toMatchObject({ steps: [], unansweredTokens: [] });
  });

  it("exports what each setup screen asks for, the private key as a secret", async () => {
    expect(Object.keys(outputs).sort()).toEqual(["elements", "lifecycle-manager", "rewst-a"]);
    // The tenant comes from the stack's connection config, not from an Integration argument.
    expect(await outputValue(outputs.elements.site)).toBe("127.0.0.1:1");
    expect(await outputValue(outputs.elements.companyId)).toBe("acme");
    expect(await outputValue(outputs.elements.memberIdentifier)).toBe("APIMember");
    expect(await pulumi.isSecret(outputs.elements.privateKey)).toBe(true);
  });
});

describe("Integration", () => {
  it("takes no tenant: the type has no site, and a JavaScript caller passing one is refused", async () => {
    const { Integration } = await import("../program/integration");
    const { shippedPreset } = await import("../program/presets");
    const args = { member: member("Other"), site: "elsewhere.example" };
    // @ts-expect-error site is not an IntegrationArgs field (this line fails to compile if it becomes one)
    const declare = () => new Integration(shippedPreset("elements"), "other", { member: member("Other"), site: "x" });
    expect(declare).toThrow('Integration other: no "site" argument');
    expect(() => new Integration(shippedPreset("elements"), "other", args as never)).toThrow(/connectwise:site/);
    expect(registered.some((r) => r.name.startsWith("other"))).toBe(false);
  });
});
