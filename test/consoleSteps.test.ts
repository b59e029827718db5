import {
  buildChecklist,
  driftLine,
  formatChecklistText,
  formatRunbook,
  formatStep,
  inClickOrder,
  operatorLine,
  parseOperatorLine,
  report,
  stepFromText,
  toEntry,
} from "../provider/consoleSteps";

const agreements = {
  menuPath: ["System", "Security Roles", "ElementsAPI", "Finance", "Agreements"],
  field: "Add Level",
  value: "All",
  current: "None",
};
const serviceBoard = {
  menuPath: ["System", "Security Roles", "LMAPI", "System", "Table Setup", "Customize"],
  field: "Allow access to these",
  value: "Service / Service Board",
  action: "add" as const,
};

describe("console steps", () => {
  it("formats a set step with its current value, and list steps without one", () => {
    expect(formatStep(agreements)).toBe(
      "System > Security Roles > ElementsAPI > Finance > Agreements: set Add Level to All (now None)",
    );
    expect(formatStep(serviceBoard)).toBe(
      "System > Security Roles > LMAPI > System > Table Setup > Customize: add 'Service / Service Board' in Allow access to these",
    );
    expect(formatStep({ ...serviceBoard, action: "remove", value: "Company / Country" })).toBe(
      "System > Security Roles > LMAPI > System > Table Setup > Customize: remove 'Company / Country' from Allow access to these",
    );
  });

  it("words the two preview line shapes, and parses the operator's back", () => {
    const line = operatorLine("SecurityRole ElementsAPI", agreements);
    expect(line).toBe(
      "SecurityRole ElementsAPI: needs the operator: System > Security Roles > ElementsAPI > Finance > Agreements: set Add Level to All (now None)",
    );
    expect(driftLine("SecurityRole ElementsAPI", "Finance/Agreements add", "None", "All")).toBe(
      "SecurityRole ElementsAPI: drift: Finance/Agreements add: None => All",
    );
    expect(parseOperatorLine(line)).toEqual({ resource: "SecurityRole ElementsAPI", step: formatStep(agreements) });
    expect(parseOperatorLine(operatorLine("TableSetupAccess LMAPI/LMXMember", serviceBoard))?.resource).toBe(
      "TableSetupAccess LMAPI/LMXMember",
    );
    expect(parseOperatorLine("SecurityRole ElementsAPI: drift: Finance/Agreements add: None => All")).toBeUndefined();
    expect(stepFromText(formatStep(agreements))).toEqual({
      menuPath: agreements.menuPath,
      action: "set Add Level to All (now None)",
    });
  });

  it("reports through one function (stderr today)", () => {
    const printed = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      report("x");
      report("a", "b");
      report();
      // The lines of one call go as one message, so they keep their order.
      expect(printed.mock.calls).toEqual([["x"], ["a\nb"]]);
    } finally {
      printed.mockRestore();
    }
  });

  it("builds one checklist: tenant heading, a heading per screen, steps numbered 1..N, what to run next", () => {
    const checklist = buildChecklist(["7 at h", "7 at h"], "acme", [
      toEntry(agreements),
      toEntry({ ...agreements, field: "Inquire Level" }),
      toEntry(serviceBoard),
      toEntry(agreements), // asked twice: listed once
    ]);
    expect(checklist.count).toBe(3);
    expect(formatChecklistText(checklist, "/p/runbooks/acme.md")).toBe(
      [
        "Operator checklist for stack acme: 7 at h needs 3 console steps:",
        "what the published ConnectWise API cannot write; do them in the Manage UI, in this order.",
        "",
        "System > Security Roles > ElementsAPI",
        "  1. Finance > Agreements: set Add Level to All (now None)",
        "  2. Finance > Agreements: set Inquire Level to All (now None)",
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

  it("puts steps that arrive out of order back in click order: screens as given, catalog order, add before inquire", () => {
    const step = (role: string, module: string, fn: string, field: string) =>
      toEntry({ menuPath: ["System", "Security Roles", role, module, fn], field, value: "All", current: "None" });
    const ordered = inClickOrder(
      [
        toEntry(serviceBoard),
        step("LMAPI", "Service Desk", "Service Tickets", "Inquire Level"),
        step("ElementsAPI", "Service Desk", "Service Tickets", "Inquire Level"),
        step("LMAPI", "Service Desk", "Service Tickets", "Add Level"),
        step("LMAPI", "Companies", "Company Maintenance", "Inquire Level"),
      ],
      ["System > Security Roles > ElementsAPI"],
    );
    expect(ordered.map((e) => `${e.menuPath[2]} ${e.menuPath.slice(3).join(" > ")}: ${e.action}`)).toEqual([
      "ElementsAPI Service Desk > Service Tickets: set Inquire Level to All (now None)",
      "LMAPI Companies > Company Maintenance: set Inquire Level to All (now None)",
      "LMAPI Service Desk > Service Tickets: set Add Level to All (now None)",
      "LMAPI Service Desk > Service Tickets: set Inquire Level to All (now None)",
      "LMAPI System > Table Setup > Customize: add 'Service / Service Board' in Allow access to these",
    ]);
  });
});
