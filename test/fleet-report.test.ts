// The fleet's pure parts: the provider-diagnostics contract, engine events to figures, the exit
// code, the Markdown comment (structure, escaping, the size limit) and the scrubbing of secrets; and --help of every command.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { parseArgs } from "../cli/fleet/fleet";
import { checklistSteps, EventCollector, leafChanges, parseProviderLine } from "../cli/fleet/fleetEvents";
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

describe("parseProviderLine (the provider's diagnostics contract)", () => {
  it("reads today's per-level line", () => {
    expect(parseProviderLine("SecurityRole ElementsAPI v2: Finance/Agreements add: None => All\n")).toEqual({
      kind: "difference",
      type: "SecurityRole",
      label: "ElementsAPI v2",
      key: "Finance/Agreements",
      field: "add",
      live: "None",
      declared: "All",
    });
  });

  it("reads the new step and drift lines", () => {
    expect(
      parseProviderLine("TableSetupAccess LMX/LMXMember: needs the operator: add 'Service / Service Board'"),
    ).toEqual({
      kind: "step",
      type: "TableSetupAccess",
      label: "LMX/LMXMember",
      step: "add 'Service / Service Board'",
    });
    expect(parseProviderLine("ApiMember APIMember: drift: name: API member => Elements API member")).toEqual({
      kind: "drift",
      type: "ApiMember",
      label: "APIMember",
      field: "name",
      live: "API member",
      declared: "Elements API member",
    });
  });

  it("ignores anything else", () => {
    expect(
      parseProviderLine("ApiKey APIMember: the token expires at 2026-01-01, within rotateBefore 7d"),
    ).toBeUndefined();
    expect(parseProviderLine("")).toBeUndefined();
  });
});

describe("checklistSteps", () => {
  it("reads the engine's rendering of a partial failure's reasons", () => {
    const message =
      "2 errors occurred:\n\t* 1. System > Security Roles > R > Finance > Agreements: set Add Level to All (now None)\n\t* 2. x: y\n\n";
    expect(checklistSteps(message)).toEqual([
      "System > Security Roles > R > Finance > Agreements: set Add Level to All (now None)",
      "x: y",
    ]);
  });

  it("reads the provider's own checklist message, and refuses other errors", () => {
    expect(checklistSteps("SecurityRole R on acme at host needs 1 console step:\n1. a > b: set c")).toEqual([
      "a > b: set c",
    ]);
    expect(checklistSteps("1 error occurred:\n\t* connect ECONNREFUSED 127.0.0.1:1")).toBeUndefined();
    // The stack's one checklist: steps under one heading per screen, then the runbook and what to run next.
    expect(
      checklistSteps(
        [
          "Operator checklist for stack acme: 7 at host needs 2 console steps:",
          "what the published ConnectWise API cannot write; do them in the Manage UI, in this order.",
          "",
          "System > Security Roles > R",
          "  1. Finance > Agreements: set Add Level to All (now None)",
          "",
          "System > Security Roles > S",
          "  2. System > Table Setup > Customize: add 'Service / Service Board' in Allow access to these",
          "",
          "Runbook: /p/runbooks/acme.md",
          "Next: do these in the Manage UI, then run `pulumi up --stack acme` again.",
        ].join("\n"),
      ),
    ).toEqual([
      "System > Security Roles > R > Finance > Agreements: set Add Level to All (now None)",
      "System > Security Roles > S > System > Table Setup > Customize: add 'Service / Service Board' in Allow access to these",
    ]);
    expect(checklistSteps("update failed")).toBeUndefined();
  });
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

  it("tells drift (the state recorded another level) from a pending step (the program asks for more)", () => {
    const c = new EventCollector("preview");
    c.add(step("update", ROLE_TYPE, "elements-role", role("All"), role("All")));
    c.add(diagnostic("SecurityRole ElementsAPI: Finance/Agreements add: None => All\n\n"));
    let f = c.figures();
    expect(f.drift).toEqual([
      { type: "SecurityRole", label: "ElementsAPI", field: "Finance/Agreements add", live: "None", declared: "All" },
    ]);
    expect(f.consoleSteps).toEqual(["SecurityRole ElementsAPI: Finance/Agreements add: None => All"]);
    expect(f.changes[0].driftOnly).toBe(true);

    const d = new EventCollector("preview");
    d.add(step("update", ROLE_TYPE, "elements-role", role("None"), role("All")));
    d.add(diagnostic("SecurityRole ElementsAPI: Finance/Agreements add: None => All\n"));
    f = d.figures();
    expect(f.drift).toEqual([]);
    expect(f.consoleSteps).toHaveLength(1);
    expect(f.changes[0].fields).toEqual([{ field: "permissions Finance/Agreements add", old: "None", new: "All" }]);
  });

  it("treats an up that failed only with a checklist as steps pending, and anything else as a failure", () => {
    const c = new EventCollector("up");
    c.add(diagnostic("SecurityRole R: Finance/Agreements add: None => All\n"));
    c.add(
      diagnostic(
        "1 error occurred:\n\t* 1. System > Security Roles > R > Finance > Agreements: set Add Level to All\n",
        "error",
        "u",
      ),
    );
    c.add(diagnostic("update failed\n", "error"));
    expect(c.figures()).toMatchObject({
      onlyStepsPending: true,
      errors: [],
      consoleSteps: ["System > Security Roles > R > Finance > Agreements: set Add Level to All"],
    });
    const d = new EventCollector("up");
    d.add(diagnostic("1 error occurred:\n\t* 401 Unauthorized\n", "error", "u"));
    expect(d.figures().onlyStepsPending).toBe(false);
    expect(d.figures().errors).toHaveLength(1);
  });

  it("counts new-format step and drift lines, once each", () => {
    const c = new EventCollector("preview");
    c.add(
      diagnostic(
        "TableSetupAccess R/M: needs the operator: add 'Service / Service Board'\nApiMember M: drift: name: a => b\n",
      ),
    );
    c.add(diagnostic("TableSetupAccess R/M: needs the operator: add 'Service / Service Board'\n"));
    const f = c.figures();
    expect(f.consoleSteps).toEqual(["TableSetupAccess R/M: add 'Service / Service Board'"]);
    expect(f.drift).toHaveLength(1);
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
