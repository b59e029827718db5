// OperatorChecklist handlers: one checklist per stack from the pending steps of its resources,
// the runbook file, and a diff that never shows a stack with pending steps as converged. No
// request is made (the steps come in as inputs).

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ConsoleStep, PendingItem } from "../review/records";
import { provider } from "../provider/operatorChecklist";
import { PartialFailure } from "../provider/handlerKit";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { rejection } from "./handler-harness";
import { RECORDS_ENV, readRecords } from "../review/recordsFile";
import { formatStep } from "../review/renderLine";

const TENANT = "cw_company at 127.0.0.1:1234";
const level = (role: string, module: string, fn: string, field: string): ConsoleStep => ({
  menuPath: ["System", "Security Roles", role, module, fn],
  changes: [{ field, value: "All", current: "None" }],
});
const entry = (role: string, table: string): ConsoleStep => ({
  menuPath: ["System", "Security Roles", role, "System", "Table Setup", "Customize"],
  changes: [{ field: "Allow access to these", value: table, action: "add" }],
});

const items: PendingItem[] = [
  {
    resource: "SecurityRole ElementsAPI",
    tenant: TENANT,
    steps: [level("ElementsAPI", "Companies", "Company Maintenance", "Inquire Level")],
  },
  {
    resource: "SecurityRole LifecycleManagerAPI",
    tenant: TENANT,
    steps: [
      level("LifecycleManagerAPI", "Service Desk", "Service Tickets", "Add Level"),
      level("LifecycleManagerAPI", "System", "Table Setup", "Inquire Level"),
    ],
  },
  // Declared after the role: its entries come after that role's levels.
  {
    resource: "TableSetupAccess LifecycleManagerAPI/LMXMember",
    tenant: TENANT,
    steps: [entry("LifecycleManagerAPI", "Service / Service Board")],
  },
  // A role the program does not manage: its level and list on their own screen, level first.
  {
    resource: "TableSetupAccess Outside/svc",
    tenant: TENANT,
    steps: [entry("Outside", "Company / Country"), level("Outside", "System", "Table Setup", "Inquire Level")],
  },
  { resource: "SecurityRole Quiet", tenant: TENANT, steps: [] },
];

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-checklist-"))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("OperatorChecklist", () => {
  it("fails once with one plain-error checklist, in click order, and writes the runbook", async () => {
    const runbook = path.join(dir, "runbooks", "acme.md");
    const inputs = { stack: "acme", items, runbook };
    expect((await provider.check({}, inputs)).failures).toBeUndefined();
    const error = await rejection(provider.create(inputs));
    expect(error).not.toBeInstanceOf(PartialFailure);
    expect(error).not.toHaveProperty("reasons");
    expect(error.message).toBe(
      [
        `Operator checklist for stack acme: ${TENANT} needs 6 console steps:`,
        "what the published ConnectWise API cannot write; do them in the Manage UI, in this order.",
        "",
        "System > Security Roles > ElementsAPI",
        "  1. Companies > Company Maintenance: set Inquire Level to All (now None)",
        "",
        "System > Security Roles > LifecycleManagerAPI",
        "  2. Service Desk > Service Tickets: set Add Level to All (now None)",
        "  3. System > Table Setup: set Inquire Level to All (now None)",
        "  4. System > Table Setup > Customize: add 'Service / Service Board' in Allow access to these",
        "",
        "System > Security Roles > Outside",
        "  5. System > Table Setup: set Inquire Level to All (now None)",
        "  6. System > Table Setup > Customize: add 'Company / Country' in Allow access to these",
        "",
        `Runbook: ${runbook}`,
        "Next: do these in the Manage UI, then run `pulumi up --stack acme` again: it verifies them and converges. `npm run checklist -- --stack acme` lists what is still pending.",
      ].join("\n"),
    );
    const written = fs.readFileSync(runbook, "utf8");
    expect(written).toContain(`Tenant: ${TENANT}`);
    expect(written.match(/^- \[ \] \d+\. /gm)).toHaveLength(6);
    expect(written).toContain("## System > Security Roles > LifecycleManagerAPI\n");
  });

  it("diff shows changes while steps are pending or were at the last run; succeeds and rewrites the runbook when none", async () => {
    const runbook = path.join(dir, "done.md");
    const pending = { stack: "acme", items, runbook };
    const done = { stack: "acme", items: items.map((i) => ({ ...i, steps: [] })), runbook };
    const outs = { ...done, pending: 0, runbookPath: runbook };
    expect((await provider.diff("checklist-acme", outs, pending)).changes).toBe(true);
    expect((await provider.diff("checklist-acme", { ...outs, pending: 3 }, done)).changes).toBe(true);
    expect((await provider.diff("checklist-acme", outs, done)).changes).toBe(false);
    // Steps not known yet (preview of a role's update): the role shows the change, this does not.
    const unknownSteps = { ...done, items: [{ ...items[0], steps: unknownValue }] } as any;
    expect((await provider.diff("checklist-acme", outs, unknownSteps)).changes).toBe(false);
    expect((await provider.diff("checklist-acme", { ...outs, pending: 2 }, unknownSteps)).changes).toBe(true);

    // A runbook left listing steps by a failed up is rewritten once they are done; a missing one is no change.
    await rejection(provider.create(pending));
    expect((await provider.diff("checklist-acme", outs, done)).changes).toBe(true);
    const created = await provider.create(done);
    expect(created.outs).toMatchObject({ pending: 0, runbookPath: runbook });
    expect(fs.readFileSync(runbook, "utf8")).toContain("Nothing pending");
    expect((await provider.diff("checklist-acme", outs, done)).changes).toBe(false);
    fs.rmSync(runbook);
    const updated = await provider.update("checklist-acme", outs, done);
    expect(updated.outs.pending).toBe(0);
  });

  it("hands the command that asked (CW_IAC_RECORDS) the same checklist as one record, in click order", async () => {
    const file = path.join(dir, "records.jsonl");
    process.env[RECORDS_ENV] = file;
    try {
      await rejection(provider.create({ stack: "acme", items }));
      // Converged: no record at all.
      await provider.create({ stack: "acme", items: items.map((i) => ({ ...i, steps: [] })) });
    } finally {
      delete process.env[RECORDS_ENV];
    }
    const records = readRecords(file);
    expect(records).toHaveLength(1);
    const [record] = records;
    if (record.kind !== "checklist") throw new Error(`expected the checklist record, got ${record.kind}`);
    expect(record).toMatchObject({ stack: "acme", tenants: [TENANT], resource: { type: "OperatorChecklist" } });
    expect(record.steps.map(formatStep)).toEqual([
      "System > Security Roles > ElementsAPI > Companies > Company Maintenance: set Inquire Level to All (now None)",
      "System > Security Roles > LifecycleManagerAPI > Service Desk > Service Tickets: set Add Level to All (now None)",
      "System > Security Roles > LifecycleManagerAPI > System > Table Setup: set Inquire Level to All (now None)",
      "System > Security Roles > LifecycleManagerAPI > System > Table Setup > Customize: add 'Service / Service Board' in Allow access to these",
      "System > Security Roles > Outside > System > Table Setup: set Inquire Level to All (now None)",
      "System > Security Roles > Outside > System > Table Setup > Customize: add 'Company / Country' in Allow access to these",
    ]);
  });

  it("check refuses a missing stack name", async () => {
    const result = await provider.check({}, { items: [] });
    expect(result.failures?.[0]).toMatchObject({ property: "stack" });
  });
});
