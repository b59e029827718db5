// Review records and their renderings: the terminal line of each record, one report() per call
// (one diagnostic, and the records to the file a command names), the records file read back,
// the checklist and the runbook.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { report } from "../provider/report";
import { driftRecord, notice, resourceOf, stepRecords, type ConsoleStep, type ReviewRecord } from "../review/records";
import { RECORDS_ENV, appendRecords, distinctRecords, readRecords } from "../review/recordsFile";
import { buildChecklist, formatChecklistText, inClickOrder } from "../review/renderChecklist";
import { formatStep, lineOf, linesOf } from "../review/renderLine";
import { formatRunbook } from "../review/renderRunbook";

const agreementsPath = ["System", "Security Roles", "ElementsAPI", "Finance", "Agreements"];
const agreements: ConsoleStep = {
  menuPath: agreementsPath,
  changes: [{ field: "Add Level", value: "All", current: "None" }],
};
const customize = ["System", "Security Roles", "LMAPI", "System", "Table Setup", "Customize"];
const serviceBoard: ConsoleStep = {
  menuPath: customize,
  changes: [{ field: "Allow access to these", value: "Service / Service Board", action: "add" }],
};

describe("console steps", () => {
  it("formats a set step with its current value, and list steps without one", () => {
    expect(formatStep(agreements)).toBe(
      "System > Security Roles > ElementsAPI > Finance > Agreements: set Add Level to All (now None)",
    );
    expect(formatStep(serviceBoard)).toBe(
      "System > Security Roles > LMAPI > System > Table Setup > Customize: add 'Service / Service Board' in Allow access to these",
    );
    expect(
      formatStep({
        menuPath: customize,
        changes: [{ field: "Allow access to these", value: "Company / Country", action: "remove" }],
      }),
    ).toBe(
      "System > Security Roles > LMAPI > System > Table Setup > Customize: remove 'Company / Country' from Allow access to these",
    );
  });

  it("names every level of a function row in one step, grouping the levels that share a value", () => {
    const level = (field: string, value: string, current = "None") => ({ field: `${field} Level`, value, current });
    const row = (...changes: ConsoleStep["changes"]) => formatStep({ menuPath: agreementsPath, changes });
    expect(row(level("Add", "All"), level("Edit", "All"), level("Inquire", "All"))).toBe(
      "System > Security Roles > ElementsAPI > Finance > Agreements: set Add, Edit and Inquire Level to All (now None)",
    );
    expect(row(level("Add", "All"), level("Edit", "All"), level("Inquire", "My"))).toBe(
      "System > Security Roles > ElementsAPI > Finance > Agreements: set Add and Edit Level to All (now None), Inquire Level to My (now None)",
    );
    // The same value from different levels: the screen shows what each is now.
    expect(row(level("Add", "None", "All"), level("Delete", "None", "My"))).toBe(
      "System > Security Roles > ElementsAPI > Finance > Agreements: set Add Level to None (now All), Delete Level to None (now My)",
    );
    // A role's Table Setup list in one step, every entry named.
    const entry = (value: string, action: "add" | "remove") => ({ field: "Allow access to these", value, action });
    expect(
      formatStep({
        menuPath: customize,
        changes: [
          entry("Company / Company Status", "add"),
          entry("Company / Company Type", "add"),
          entry("Service / Service Board", "add"),
          entry("Company / Country", "remove"),
        ],
      }),
    ).toBe(
      "System > Security Roles > LMAPI > System > Table Setup > Customize: add 'Company / Company Status', " +
        "'Company / Company Type' and 'Service / Service Board' in Allow access to these; remove 'Company / Country' from Allow access to these",
    );
    // A step kept in a state written before steps were grouped (one level, inline) still reads.
    const legacy = { menuPath: agreementsPath, field: "Add Level", value: "All", current: "None" };
    expect(formatStep(legacy as unknown as ConsoleStep)).toBe(formatStep(agreements));
  });

  const role = resourceOf("SecurityRole", "ElementsAPI");

  it("renders each record as the line users know", () => {
    const [step] = stepRecords(role, [agreements]);
    expect(lineOf(step)).toBe(
      "SecurityRole ElementsAPI: needs the operator: System > Security Roles > ElementsAPI > Finance > Agreements: set Add Level to All (now None)",
    );
    expect(lineOf(driftRecord(role, "Finance/Agreements add", "None", "All"))).toBe(
      "SecurityRole ElementsAPI: drift: Finance/Agreements add: None => All",
    );
    // A whole object, and values a line cannot hold as they are.
    const member = resourceOf("ApiMember", "APIMember");
    expect(lineOf(driftRecord(member, undefined, "inactive", "active"))).toBe(
      "ApiMember APIMember: drift: inactive => active",
    );
    expect(lineOf(driftRecord(member, "notes", "a\nb", ""))).toBe(
      "ApiMember APIMember: drift: notes: a\\nb => (empty)",
    );
    expect(lineOf(notice(resourceOf("ApiKey", "X", "for member "), "adopts the console key"))).toBe(
      "ApiKey for member X: adopts the console key",
    );
    expect(lineOf(notice(resourceOf("SecurityRole", "  "), "no name"))).toBe("SecurityRole: no name");
  });

  describe("report()", () => {
    let dir: string;
    beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-review-"))));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    afterEach(() => delete process.env[RECORDS_ENV]);

    it("prints the records of one call as one message (stderr outside our provider server), and writes nothing unasked", () => {
      const printed = jest.spyOn(console, "error").mockImplementation(() => undefined);
      try {
        report(notice(role, "x"));
        report(driftRecord(role, "f", "a", "b"), ...stepRecords(role, [agreements, serviceBoard]));
        report();
        // A resource's steps are one line pointing to the checklist, which lists them once.
        expect(printed.mock.calls).toEqual([
          ["SecurityRole ElementsAPI: x"],
          [
            "SecurityRole ElementsAPI: drift: f: a => b\nSecurityRole ElementsAPI: needs the operator: 2 console steps " +
              "on System > Security Roles > ElementsAPI, System > Security Roles > LMAPI (listed in the stack's operator " +
              "checklist; `npm run checklist -- --stack <stack>` prints them)",
          ],
        ]);
      } finally {
        printed.mockRestore();
      }
      expect(fs.readdirSync(dir)).toEqual([]);
    });

    it("hands the same records, as data, to the file CW_IAC_RECORDS names", () => {
      const file = path.join(dir, "records.jsonl");
      process.env[RECORDS_ENV] = file;
      const printed = jest.spyOn(console, "error").mockImplementation(() => undefined);
      const sent: ReviewRecord[] = [driftRecord(role, "f", "a", "b"), ...stepRecords(role, [agreements, serviceBoard])];
      try {
        report(...sent);
        report(notice(role, "y"));
      } finally {
        printed.mockRestore();
      }
      const read = readRecords(file);
      expect(read).toEqual([...sent, notice(role, "y")]);
      // No URN outside a provider call; the same record twice (diff runs twice in `up`) counts once.
      expect(read.every((r) => r.urn === undefined)).toBe(true);
      expect(distinctRecords([...read, { ...read[0], urn: "urn:x" }])).toHaveLength(read.length);
    });

    it("reads no file as no records, skips a line cut short, and refuses anything else", () => {
      expect(readRecords(path.join(dir, "absent.jsonl"))).toEqual([]);
      const file = path.join(dir, "cut.jsonl");
      appendRecords([notice(role, "whole")], { [RECORDS_ENV]: file });
      fs.appendFileSync(file, '{"kind":"step","resou');
      expect(readRecords(file)).toEqual([notice(role, "whole")]);
      fs.writeFileSync(file, "SecurityRole ElementsAPI: drift: f: a => b\n");
      expect(() => readRecords(file)).toThrow(/cut\.jsonl:1: not a review record/);
      fs.writeFileSync(file, '{"kind":"other","resource":{"type":"T","name":""}}\n');
      expect(() => readRecords(file)).toThrow(/not a review record/);
    });
  });

  it("puts one resource's steps on one line wherever they come in a report", () => {
    const other = resourceOf("TableSetupAccess", "LMAPI/LMX");
    const lines = linesOf([
      ...stepRecords(role, [agreements]),
      notice(other, "n"),
      ...stepRecords(other, [serviceBoard]),
      ...stepRecords(role, [agreements]),
    ]);
    expect(lines.map((l) => l.split(" (listed")[0])).toEqual([
      "SecurityRole ElementsAPI: needs the operator: 2 console steps on System > Security Roles > ElementsAPI",
      "TableSetupAccess LMAPI/LMX: n",
      "TableSetupAccess LMAPI/LMX: needs the operator: 1 console step on System > Security Roles > LMAPI",
    ]);
  });

  it("builds one checklist: tenant heading, a heading per screen, steps numbered 1..N, what to run next", () => {
    const checklist = buildChecklist(["7 at h", "7 at h"], "acme", [
      agreements,
      { menuPath: ["System", "Security Roles", "ElementsAPI", "Finance", "Invoicing"], changes: agreements.changes },
      serviceBoard,
      agreements, // asked twice: listed once
    ]);
    expect(checklist.count).toBe(3);
    expect(formatChecklistText(checklist, "/p/runbooks/acme.md")).toBe(
      [
        "Operator checklist for stack acme: 7 at h needs 3 console steps:",
        "what the published ConnectWise API cannot write; do them in the Manage UI, in this order.",
        "",
        "System > Security Roles > ElementsAPI",
        "  1. Finance > Agreements: set Add Level to All (now None)",
        "  2. Finance > Invoicing: set Add Level to All (now None)",
        "",
        "System > Security Roles > LMAPI",
        "  3. System > Table Setup > Customize: add 'Service / Service Board' in Allow access to these",
        "",
        "Runbook: /p/runbooks/acme.md",
        "Next: do these in the Manage UI, then run `pulumi up --stack acme` again: it verifies them and converges. `npm run checklist -- --stack acme` lists what is still pending.",
      ].join("\n"),
    );
    const runbook = formatRunbook(checklist);
    expect(runbook).toContain("# Operator checklist: stack acme\n");
    expect(runbook).toContain("## System > Security Roles > LMAPI\n\n- [ ] 3. System > Table Setup > Customize: add");
    expect(formatRunbook(buildChecklist(["7 at h"], "acme", []))).toContain("Nothing pending");
  });

  it("puts steps that arrive out of order back in click order: screens as given, module then function order", () => {
    const step = (role: string, module: string, fn: string, field: string): ConsoleStep => ({
      menuPath: ["System", "Security Roles", role, module, fn],
      changes: [{ field, value: "All", current: "None" }],
    });
    const ordered = inClickOrder(
      [
        serviceBoard,
        step("LMAPI", "Service Desk", "Service Tickets", "Inquire Level"),
        step("ElementsAPI", "Service Desk", "Service Tickets", "Inquire Level"),
        step("LMAPI", "Finance", "Agreements", "Add Level"),
        step("LMAPI", "Companies", "Company Maintenance", "Inquire Level"),
      ],
      ["System > Security Roles > ElementsAPI"],
    );
    expect(ordered.map((e) => `${e.menuPath[2]} ${formatStep({ ...e, menuPath: e.menuPath.slice(3) })}`)).toEqual([
      "ElementsAPI Service Desk > Service Tickets: set Inquire Level to All (now None)",
      "LMAPI Companies > Company Maintenance: set Inquire Level to All (now None)",
      "LMAPI Finance > Agreements: set Add Level to All (now None)",
      "LMAPI Service Desk > Service Tickets: set Inquire Level to All (now None)",
      "LMAPI System > Table Setup > Customize: add 'Service / Service Board' in Allow access to these",
    ]);
  });
});
