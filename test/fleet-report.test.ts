// The fleet's pure parts: engine events and review records to figures, the exit
// code, the Markdown comment (structure, escaping, the size limit) and the scrubbing of secrets; and --help of every command.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { parseArgs } from "../cli/fleet/fleet";
import { EventCollector, leafChanges } from "../cli/fleet/fleetEvents";
import { driftRecord, resourceOf, stepRecords, type ConsoleStep, type ReviewRecord } from "../review/records";
import {
  exitCode,
  FleetReport,
  GITHUB_COMMENT_LIMIT,
  MARKER,
  markdown,
  mergeReports,
  redact,
  StackReport,
  textTable,
} from "../cli/fleet/fleetReport";

const ROLE_TYPE = "pulumi-nodejs:dynamic/connectwise:SecurityRole";
const urn = (stack: string, type: string, name: string) => `urn:pulumi:${stack}::connectwise-iac::${type}::${name}`;

function step(op: string, type: string, name: string, old?: object, news?: object): EngineEvent {
  const u = urn("acme", type, name);
  const state = (s?: object) => s && { type, urn: u, id: "1", parent: "", inputs: s, outputs: s, provider: "" };
  return {
    sequence: 0,
    timestamp: 0,
    resourcePreEvent: { metadata: { op: op as never, urn: u, type, old: state(old), new: state(news), provider: "" } },
  };
}

const diagnostic = (message: string, severity: "info#err" | "error" = "info#err", u?: string): EngineEvent => ({
  sequence: 0,
  timestamp: 0,
  diagnosticEvent: { message, severity, color: "never", urn: u },
});

describe("EventCollector", () => {
  const role = (add: string) => ({ name: "ElementsAPI", permissions: { "Finance/Agreements": { add } } });

  it("counts operations once per resource and ignores the stack and providers", () => {
    const c = new EventCollector("preview");
    for (const e of [
      step("create", "pulumi:pulumi:Stack", "connectwise-iac-acme"),
      step("create", "pulumi:providers:pulumi-nodejs", "default"),
      step("create", ROLE_TYPE, "elements-role", undefined, role("All")),
      step("create", ROLE_TYPE, "elements-role", undefined, role("All")),
      step("replace", "pulumi-nodejs:dynamic/connectwise:ApiKey", "elements-key", { member: "A" }, { member: "B" }),
      step("create-replacement", "pulumi-nodejs:dynamic/connectwise:ApiKey", "elements-key"),
      step("same", "pulumi-nodejs:dynamic/connectwise:ApiMember", "elements-member"),
    ])
      c.add(e);
    const f = c.figures();
    expect([f.creates, f.updates, f.deletes, f.replacements]).toEqual([1, 0, 0, 1]);
    expect(f.changes.find((x) => x.type === "ApiKey")?.fields).toEqual([{ field: "member", old: "A", new: "B" }]);
  });

  const ROLE = resourceOf("SecurityRole", "ElementsAPI");
  const agreementsAdd: ConsoleStep = {
    menuPath: ["System", "Security Roles", "ElementsAPI", "Finance", "Agreements"],
    changes: [{ field: "Add Level", value: "All", current: "None" }],
  };
  const AGREEMENTS = "System > Security Roles > ElementsAPI > Finance > Agreements: set Add Level to All (now None)";

  it("takes drift and console steps from the records, and marks an update that only restores drift", () => {
    const c = new EventCollector("preview");
    c.add(step("update", ROLE_TYPE, "elements-role", role("All"), role("All")));
    // Lines the provider printed are not read: only records count.
    c.add(diagnostic("SecurityRole ElementsAPI: drift: Finance/Agreements add: None => All\n"));
    const records: ReviewRecord[] = [
      driftRecord(ROLE, "Finance/Agreements add", "None", "All"),
      ...stepRecords(ROLE, [agreementsAdd]),
    ];
    let f = c.figures(records);
    expect(f.drift).toEqual([
      { type: "SecurityRole", label: "ElementsAPI", field: "Finance/Agreements add", live: "None", declared: "All" },
    ]);
    expect(f.consoleSteps).toEqual([AGREEMENTS]);
    expect(f.changes[0].driftOnly).toBe(true);
    expect(c.figures()).toMatchObject({ drift: [], consoleSteps: [] });

    const d = new EventCollector("preview");
    d.add(step("update", ROLE_TYPE, "elements-role", role("None"), role("All")));
    f = d.figures(stepRecords(ROLE, [agreementsAdd]));
    expect(f.drift).toEqual([]);
    expect(f.consoleSteps).toHaveLength(1);
    expect(f.changes[0].fields).toEqual([{ field: "permissions Finance/Agreements add", old: "None", new: "All" }]);
  });

  it("treats an up whose only error is the checklist (with its record) as steps pending, and anything else as a failure", () => {
    const checklistUrn = urn("acme", "pulumi-nodejs:dynamic/connectwise:OperatorChecklist", "checklist");
    const checklistError = diagnostic("Operator checklist for stack acme: ...\n", "error", checklistUrn);
    const checklist: ReviewRecord = {
      kind: "checklist",
      resource: { type: "OperatorChecklist", name: "acme" },
      stack: "acme",
      tenants: ["7 at h"],
      steps: [agreementsAdd],
    };
    const c = new EventCollector("up");
    c.add(checklistError);
    c.add(diagnostic("update failed\n", "error"));
    // The preview half of up reported the step too: the checklist's list is the one kept.
    const records = [
      ...stepRecords(ROLE, [
        agreementsAdd,
        { ...agreementsAdd, changes: [{ field: "Edit Level", value: "All", current: "None" }] },
      ]),
      checklist,
    ];
    expect(c.figures(records)).toMatchObject({ onlyStepsPending: true, errors: [], consoleSteps: [AGREEMENTS] });
    // Without the record the same error is a failure: nothing parses its text.
    expect(c.figures([]).onlyStepsPending).toBe(false);
    expect(c.figures([]).errors).toHaveLength(2);

    const d = new EventCollector("up");
    d.add(checklistError);
    d.add(diagnostic("1 error occurred:\n\t* 401 Unauthorized\n", "error", urn("acme", ROLE_TYPE, "elements-role")));
    expect(d.figures([checklist]).onlyStepsPending).toBe(false);
    expect(d.figures([checklist]).errors).toEqual(["1 error occurred:\n\t* 401 Unauthorized"]);
  });

  it("counts each record once, whole-object drift included", () => {
    const c = new EventCollector("preview");
    const access = resourceOf("TableSetupAccess", "R/M");
    const member = resourceOf("ApiMember", "M");
    const entry: ConsoleStep = {
      menuPath: ["System", "Security Roles", "R", "System", "Table Setup", "Customize"],
      changes: [{ field: "Allow access to these", value: "Service / Service Board", action: "add" }],
    };
    const f = c.figures([
      ...stepRecords(access, [entry]),
      { ...driftRecord(member, "name", "a", "b"), urn: "urn:1" },
      ...stepRecords(access, [entry]),
      driftRecord(member, "name", "a", "b"),
      driftRecord(member, undefined, "inactive", "active"),
    ]);
    expect(f.consoleSteps).toEqual([
      "System > Security Roles > R > System > Table Setup > Customize: add 'Service / Service Board' in Allow access to these",
    ]);
    expect(f.drift).toEqual([
      { type: "ApiMember", label: "M", field: "name", live: "a", declared: "b" },
      { type: "ApiMember", label: "M", live: "inactive", declared: "active" },
    ]);
  });
});

describe("EventCollector: drift is drift", () => {
  const MEMBER_TYPE = "pulumi-nodejs:dynamic/connectwise:ApiMember";
  const KEY_TYPE = "pulumi-nodejs:dynamic/connectwise:ApiKey";
  const ACCESS_TYPE = "pulumi-nodejs:dynamic/connectwise:TableSetupAccess";
  const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

  it("a member reactivated and a revoked key re-minted are drift, not changes, nor what follows them", () => {
    const c = new EventCollector("preview");
    const member = { identifier: "LMXMember", name: "LMX" };
    const key = { member: "APIMember", description: "Elements" };
    c.add(step("update", MEMBER_TYPE, "lm-member", member, member));
    c.add(step("replace", KEY_TYPE, "elements-key", key, key));
    // The key's new values, unknown until up, in the inputs of the access that uses them.
    c.add(step("update", ACCESS_TYPE, "lm-table-setup", { publicKey: "[secret]" }, { publicKey: UNKNOWN }));
    const f = c.figures([
      driftRecord(resourceOf("ApiMember", "LMXMember"), undefined, "inactive", "active"),
      driftRecord(resourceOf("ApiKey", "for member APIMember"), "key", "revoked (answers 401)", "authenticates"),
    ]);
    expect(f.changes.every((x) => x.driftOnly)).toBe(true);
    expect([f.creates, f.updates, f.deletes, f.replacements]).toEqual([0, 0, 0, 0]);
    expect(f.drift).toHaveLength(2);
  });

  it("a change of the pull request stays one, beside drift", () => {
    const c = new EventCollector("preview");
    c.add(
      step(
        "update",
        MEMBER_TYPE,
        "lm-member",
        { identifier: "M", level: "Corporate" },
        { identifier: "M", level: "Region" },
      ),
    );
    c.add(step("update", ACCESS_TYPE, "lm-table-setup", { publicKey: "[secret]" }, { publicKey: UNKNOWN }));
    const f = c.figures([driftRecord(resourceOf("ApiMember", "M"), undefined, "inactive", "active")]);
    expect(f.changes.filter((x) => !x.driftOnly).map((x) => x.name)).toEqual(["lm-member", "lm-table-setup"]);
    expect(f.updates).toBe(2);
  });

  it("a new resource lists what it is declared with: plain values, no key material, nothing unknown", () => {
    const c = new EventCollector("preview");
    c.add(
      step("create", MEMBER_TYPE, "cw-member", undefined, {
        identifier: "CyberDrainCoW",
        email: "it@acme.example",
        level: "Corporate",
        adopt: false,
        owner: "p/s/cw-member",
        __provider: "code",
      }),
    );
    c.add(
      step("create", ACCESS_TYPE, "cw-table-setup", undefined, { role: "R", publicKey: UNKNOWN, tables: ["A / B"] }),
    );
    c.add(step("create", "connectwise:integration:cyberdrain-cow", "cyberdrain-cow", undefined, {}));
    const f = c.figures();
    expect(f.changes.map((x) => [x.type, x.fields.map((y) => y.field)])).toEqual([
      ["Integration", []],
      ["ApiMember", ["identifier", "email", "level"]],
      ["TableSetupAccess", ["role", "tables"]],
    ]);
  });
});

describe("EventCollector on refresh", () => {
  it("reads drift from the outputs read() returned against the state's", () => {
    const c = new EventCollector("refresh");
    const role = (add: string) => ({ name: "R", permissions: { "Finance/Agreements": { add } } });
    c.add(step("refresh", ROLE_TYPE, "elements-role", role("All"), role("None")));
    // The outputs event that follows says "update"; it replaces the pre event.
    c.add(step("update", ROLE_TYPE, "elements-role", role("All"), role("None")));
    c.add(step("refresh", "pulumi-nodejs:dynamic/connectwise:ApiMember", "elements-member", { a: 1 }, { a: 1 }));
    const f = c.figures();
    expect([f.updates, f.deletes]).toEqual([1, 0]);
    expect(f.changes[0].fields).toEqual([{ field: "permissions Finance/Agreements add", old: "All", new: "None" }]);
  });
});

describe("leafChanges", () => {
  it("descends into objects and compares lists whole", () => {
    expect(leafChanges({ a: { b: 1, c: [1] }, d: "x" }, { a: { b: 2, c: [1] }, d: "x", e: true })).toEqual([
      { field: "a b", old: 1, new: 2 },
      { field: "e", old: undefined, new: true },
    ]);
  });
});

function stackReport(stack: string, extra: Partial<StackReport> = {}): StackReport {
  return {
    stack,
    tenant: "acme at api-na.myconnectwise.net",
    result: "no changes",
    creates: 0,
    updates: 0,
    deletes: 0,
    replacements: 0,
    consoleSteps: [],
    drift: [],
    changes: [],
    errors: [],
    seconds: 1,
    ...extra,
  };
}

const fleet = (stacks: StackReport[]): FleetReport => ({
  tool: "connectwise-iac fleet",
  operation: "preview",
  options: [],
  startedAt: "2026-01-01T00:00:00.000Z",
  stacks,
});

describe("exit codes", () => {
  it("0 when nothing is pending, 2 when something is, 1 when a stack failed", () => {
    expect(exitCode(fleet([stackReport("a")]))).toBe(0);
    expect(exitCode(fleet([stackReport("a"), stackReport("b", { result: "steps pending" })]))).toBe(2);
    expect(exitCode(fleet([stackReport("a", { result: "drift" }), stackReport("b", { result: "failed" })]))).toBe(1);
  });
});

describe("markdown", () => {
  const drifted = stackReport("globex", {
    result: "drift",
    updates: 1,
    drift: [{ type: "SecurityRole", label: "R", field: "Finance/Agreements add", live: "None", declared: "All" }],
    consoleSteps: ["SecurityRole R: Finance/Agreements add: None => All"],
    changes: [
      { op: "update", type: "SecurityRole", name: "elements-role", fields: [], driftOnly: true },
      { op: "update", type: "ApiMember", name: "elements-member", fields: [{ field: "name", old: "a|```", new: "b" }] },
      { op: "replace", type: "ApiKey", name: "elements-key", fields: [] },
    ],
  });

  it("puts the marker, then the summary, then one collapsible section per stack", () => {
    const md = markdown(fleet([stackReport("acme"), drifted]));
    const lines = md.split("\n");
    expect(lines[0]).toBe(MARKER);
    expect(md.indexOf("| globex |")).toBeLessThan(md.indexOf("<details>"));
    expect(md.match(/<details>/g)).toHaveLength(2);
    expect(md).toContain("- SecurityRole R: Finance/Agreements add: None (live)");
    expect(md).toContain("! replace (key rotation) ApiKey elements-key");
    expect(md).toContain("-   name: a|'''"); // a value cannot close the fence
    expect(md).not.toContain("update SecurityRole elements-role"); // drift only: shown under Drift
    expect(md).toContain("! 1. SecurityRole R: Finance/Agreements add: None => All");
  });

  it("shows a value only up will know as such, and a refresh as a drift report", () => {
    const unknown = stackReport("acme", {
      result: "changes pending",
      updates: 1,
      changes: [
        {
          op: "update",
          type: "ApiMember",
          name: "m",
          fields: [{ field: "securityRole", old: "R", new: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }],
        },
      ],
    });
    const preview = markdown(fleet([unknown, drifted]));
    expect(preview).toContain("+   securityRole: (known after up)");
    expect(preview).not.toContain("04da6b54");
    expect(preview).toContain("Console steps the merge will require");
    const refresh = markdown({ ...fleet([drifted]), operation: "refresh", options: ["--preview-only"] });
    expect(refresh).not.toMatch(/merge|Changes \(|changes/);
    expect(refresh).toContain("Drift (the live tenant differs from the state):");
    expect(refresh).toContain("Console steps pending");
  });

  it("cuts stack sections last-first, never the summary, and says what it cut", () => {
    const big = Array.from({ length: 40 }, (_, i) =>
      stackReport(`client${String(i).padStart(2, "0")}`, {
        result: "steps pending",
        consoleSteps: Array.from(
          { length: 30 },
          (_, j) => `System > Security Roles > R${j} > Finance > Agreements: set Add Level to All`,
        ),
      }),
    );
    const md = markdown(fleet(big));
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    for (const s of big) expect(md).toContain(`| ${s.stack} |`);
    expect(md).toContain("<b>client00</b>");
    expect(md).not.toContain("<b>client39</b>");
    expect(md).toMatch(/Details of \d+ stacks cut to fit GitHub's 65536-character comment limit: .*client39/);
    const small = markdown(fleet(big), 5_000);
    expect(small).not.toContain("<details>");
    expect(small).toContain("| client39 |");
  });

  it("escapes table cells", () => {
    expect(markdown(fleet([stackReport("a", { tenant: "x|y" })]))).toContain("| x\\|y |");
  });
});

describe("redact, mergeReports, textTable, parseArgs", () => {
  it("replaces every secret value wherever it appears", () => {
    const r = redact(fleet([stackReport("a", { errors: ["401 for key s3cr3t-value in s3cr3t-value"] })]), [
      "s3cr3t-value",
      "",
    ]);
    expect(JSON.stringify(r)).not.toContain("s3cr3t-value");
    expect(r.stacks[0].errors[0]).toBe("401 for key [secret] in [secret]");
  });

  it("merges chunk reports in stack order and refuses mixed operations", () => {
    const merged = mergeReports([fleet([stackReport("b")]), fleet([stackReport("a")])]);
    expect(merged.stacks.map((s) => s.stack)).toEqual(["a", "b"]);
    expect(() => mergeReports([fleet([]), { ...fleet([]), operation: "up" }])).toThrow(/different operations/);
  });

  it("prints an aligned table", () => {
    expect(textTable(fleet([stackReport("acme")])).split("\n")[0]).toMatch(/^stack\s+tenant\s+creates/);
  });

  it("parses the command line", () => {
    expect(parseArgs(["preview", "--stacks", "a, b", "--parallel", "2", "--refresh"])).toMatchObject({
      operation: "preview",
      stacks: ["a", "b"],
      parallel: 2,
      refresh: true,
    });
    expect(parseArgs(["refresh", "--preview-only"]).previewOnly).toBe(true);
    expect(() => parseArgs(["up", "--preview-only"])).toThrow(/unknown option/);
    expect(() => parseArgs(["preview", "--parallel", "0"])).toThrow(/--parallel/);
    expect(() => parseArgs(["report"])).toThrow(/--from/);
    expect(() => parseArgs(["destroy"])).toThrow(/usage/);
  });
});

describe("--help", () => {
  // The commands as users run them (setup has compiled dist/): usage on stdout, exit 0.
  it.each(["fleet", "checklist", "discover", "doctor", "new-client", "access-audit"])(
    "npm run %s -- --help",
    (command) => {
      // The file package.json's script runs (`node dist/cli/.../<command>.js`).
      const scripts = (
        JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as {
          scripts: Record<string, string>;
        }
      ).scripts;
      const file = /^node (dist\/\S+\.js)$/.exec(scripts[command])?.[1];
      expect(file).toBeDefined();
      const run = spawnSync(process.execPath, [path.join(__dirname, "..", file!), "--help"], { encoding: "utf8" });
      expect({ status: run.status, usage: run.stdout.startsWith(`usage: npm run ${command} -- `) }).toEqual({
        status: 0,
        usage: true,
      });
    },
  );
});
