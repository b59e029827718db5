// The guardrails' findings (policy/guardrails.ts) and the stack config that sets their levels
// (policy/stackConfig.ts), as data: the policy pack only hands these findings to the CLI
// (test/e2e-guardrails.test.ts runs it with the real CLI).
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { EventCollector } from "../cli/fleet/fleetEvents";
import { FleetReport, markdown, StackReport, textTable } from "../cli/fleet/fleetReport";
import { findPreset } from "../program/presets";
import { resolveIntegration } from "../program/resolve";
import { findViolations, GuardedIntegration, POLICY_NAMES } from "../policy/guardrails";
import { guardedCommand, packConfig, parseGuardrails, stackArg } from "../policy/stackConfig";

function integration(kind: string, over: Partial<GuardedIntegration> = {}): GuardedIntegration {
  const definition = findPreset(kind)!;
  const resolved = resolveIntegration(definition);
  return {
    name: kind,
    kind,
    definition,
    shipped: true,
    role: { name: definition.roleName, permissions: resolved.permissions },
    member: { identifier: `${kind}-api`.slice(0, 15) },
    keys: [{ source: "token", rotateBefore: "7d" }],
    ...over,
  };
}

describe("findViolations", () => {
  it("finds nothing in shipped tables used as shipped (Passportal's own broad table aside)", () => {
    const all = ["elements", "rewst", "smileback", "crushbank", "team-gps", "hudu"].map((k) => integration(k));
    expect(findViolations(all)).toEqual([]);
  });

  it("a role widened to System/Security edit: admin-class and broader than its table", () => {
    const rewst = integration("rewst");
    rewst.role!.permissions = { ...rewst.role!.permissions, "System/Security": { inquire: "All", edit: "All" } };
    expect(findViolations([rewst])).toEqual([
      {
        policy: "admin-function-outside-table",
        integration: "rewst",
        message:
          'role "Rewst API" of rewst grants admin-class System/Security edit All (table: None), beyond rewst\'s published table',
      },
      {
        policy: "role-broader-than-table",
        integration: "rewst",
        message:
          'role "Rewst API" of rewst is broader than rewst\'s published table: System/Security edit All (table: None); System/Security inquire All (table: None)',
      },
    ]);
  });

  it("an option that grants admin-class levels: within the table, flagged as broad", () => {
    const crush = integration("crushbank");
    crush.role!.permissions = resolveIntegration(crush.definition!, { options: ["smartclassifier"] }).permissions;
    expect(findViolations([crush])).toEqual([
      {
        policy: "broad-published-table",
        integration: "crushbank",
        message:
          "crushbank's own published table grants admin-class System/Table Setup edit All; System/Table Setup delete All",
      },
    ]);
  });

  it("Passportal's own table is flagged as broad (advisory by default)", () => {
    const found = findViolations([integration("n-able-passportal")]);
    expect(found.map((f) => f.policy)).toEqual(["broad-published-table"]);
    expect(found[0].message).toContain("System/Security");
  });

  it("a user's own file has no published table: an admin-class grant is found, 'broader' is not judged", () => {
    const mine = integration("rewst", { kind: "my-tool", name: "my-tool", shipped: false });
    mine.role!.permissions = { "System/Member Maintenance": { inquire: "All", edit: "All" } };
    expect(findViolations([mine])).toEqual([
      {
        policy: "admin-function-outside-table",
        integration: "my-tool",
        message:
          'role "Rewst API" of my-tool grants admin-class System/Member Maintenance edit All (table: None), beyond no published table (my-tool is the user\'s own file)',
      },
    ]);
  });

  it("one API member or one role shared by two integrations", () => {
    const a = integration("hudu", { member: { identifier: "Shared" } });
    const b = integration("immybot", { member: { identifier: "shared" }, role: { name: "Hudu API", permissions: {} } });
    expect(findViolations([a, b]).map((f) => f.message)).toEqual([
      'API member "shared" is used by 2 integrations (hudu, immybot): each needs its own',
      'security role "hudu api" is used by 2 integrations (hudu, immybot): each needs its own',
    ]);
  });

  it("a token key rotated with less margin than asked; console keys are not tokens", () => {
    const a = integration("hudu", { keys: [{ source: "token", rotateBefore: "1h" }, { source: "console" }] });
    expect(findViolations([a], { minRotateBefore: "1d" })).toEqual([
      {
        policy: "key-rotation-margin",
        integration: "hudu",
        message: "the API key of hudu is rotated 1h before it expires, less than the 1d margin asked",
      },
    ]);
    expect(findViolations([a], { minRotateBefore: "30m" })).toEqual([]);
  });

  it("a console key in use longer than asked (counted from when the stack first verified it)", () => {
    const a = integration("hudu", { keys: [{ source: "console", verifiedSince: "2026-01-01T00:00:00.000Z" }] });
    const now = new Date("2026-12-06T00:00:00.000Z");
    expect(findViolations([a], { maxConsoleKeyAgeDays: 300, now })).toEqual([
      {
        policy: "key-rotation-margin",
        integration: "hudu",
        message:
          "the console key of hudu has been in use since 2026-01-01 (339 days), longer than the 300 days asked: make a new key in the console and give it to the stack",
      },
    ]);
    expect(findViolations([a], { now })).toEqual([]); // default 365 days
    // A state from before the stack recorded it: no age to judge.
    expect(
      findViolations([integration("hudu", { keys: [{ source: "console" }] })], { maxConsoleKeyAgeDays: 1, now }),
    ).toEqual([]);
  });
});

describe("the stack's guardrails config", () => {
  it("sets each policy's level; the rest keep their defaults", () => {
    const config = parseGuardrails(JSON.stringify({ levels: { "role-broader-than-table": "mandatory" } }));
    const pack = packConfig(config);
    expect(Object.keys(pack)).toEqual(POLICY_NAMES);
    expect(pack["role-broader-than-table"]).toEqual({ enforcementLevel: "mandatory" });
    expect(pack["admin-function-outside-table"]).toEqual({ enforcementLevel: "mandatory" });
    expect(pack["broad-published-table"]).toEqual({ enforcementLevel: "advisory" });
    expect(pack["key-rotation-margin"]).toEqual({
      enforcementLevel: "advisory",
      minRotateBefore: "1d",
      maxConsoleKeyAgeDays: 365,
    });
  });

  it("names every problem by its key", () => {
    expect(() =>
      parseGuardrails({ levels: { "role-broader": "mandatory", "shared-member-or-role": "strict" }, x: 1 }),
    ).toThrow(
      [
        "guardrails.x: unknown field; fields: levels, minRotateBefore, maxConsoleKeyAgeDays",
        "guardrails.levels.role-broader: unknown policy; policies: " + POLICY_NAMES.join(", "),
        'guardrails.levels.shared-member-or-role: "strict" is not one of advisory, mandatory, disabled',
      ].join("\n"),
    );
  });

  it("runs with preview, up and policy analyze, for the stack the arguments name", () => {
    expect(guardedCommand(["preview", "--diff"])).toBe(true);
    expect(guardedCommand(["up", "--yes"])).toBe(true);
    expect(guardedCommand(["policy", "analyze"])).toBe(true);
    expect(guardedCommand(["refresh"])).toBe(false);
    expect(guardedCommand(["stack", "ls"])).toBe(false);
    expect(stackArg(["up", "--stack", "acme"])).toBe("acme");
    expect(stackArg(["up", "-s", "acme"])).toBe("acme");
    expect(stackArg(["up", "--stack=acme"])).toBe("acme");
    expect(stackArg(["up"])).toBeUndefined();
  });
});

describe("the fleet's guardrails column and section", () => {
  const base: StackReport = {
    stack: "acme",
    tenant: "acme at api-na.myconnectwise.net",
    result: "failed",
    creates: 0,
    updates: 1,
    deletes: 0,
    replacements: 0,
    consoleSteps: [],
    drift: [],
    changes: [],
    errors: ["preview failed"],
    seconds: 1,
  };
  const message =
    'role "Rewst API" of rewst grants admin-class System/Security edit All (table: None), beyond rewst\'s published table';

  it("collects the engine's policy events, once each", () => {
    const c = new EventCollector("preview");
    const event: EngineEvent = {
      sequence: 0,
      timestamp: 0,
      policyEvent: {
        message: `A role grants an admin-class function its integration's published table does not.\n${message}\n`,
        resourceUrn:
          "urn:pulumi:acme::connectwise-iac::connectwise:integration:rewst$pulumi-nodejs:dynamic/connectwise:SecurityRole::rewst-role",
        color: "never",
        policyName: "admin-function-outside-table",
        policyPackName: "connectwise-guardrails",
        policyPackVersion: "0.1.0",
        policyPackVersionTag: "0.1.0",
        enforcementLevel: "mandatory",
      },
    };
    c.add(event);
    c.add(event);
    expect(c.figures().policy).toEqual([
      { policy: "admin-function-outside-table", level: "mandatory", resource: "rewst-role", message },
    ]);
  });

  it("a policy column when a stack runs the guardrails, and the findings in the PR comment", () => {
    const report: FleetReport = {
      tool: "connectwise-iac fleet",
      operation: "preview",
      options: [],
      startedAt: "2026-12-06T00:00:00Z",
      stacks: [
        { ...base, policy: [{ policy: "admin-function-outside-table", level: "mandatory", message }] },
        { ...base, stack: "globex", result: "no changes", updates: 0, errors: [] },
      ],
    };
    expect(textTable(report).split("\n")[0]).toMatch(/drift {2}keys expiring {2}policy +result$/);
    expect(textTable(report).split("\n")[1]).toMatch(/ 1 \(1 mandatory\) {2}failed$/);
    expect(textTable(report).split("\n")[2]).toMatch(/ - +no changes$/);
    expect(markdown(report)).toContain(
      [
        "Guardrails (least-privilege policies; a mandatory one blocks this change):",
        "",
        "```diff",
        `- [mandatory] admin-function-outside-table: ${message}`,
        "```",
      ].join("\n"),
    );
    // No stack runs them: the table is as it always was.
    const plain = { ...report, stacks: report.stacks.map((s) => ({ ...s, policy: undefined })) };
    expect(textTable(plain)).not.toContain("policy");
  });
});
