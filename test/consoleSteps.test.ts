import { formatChecklist, formatStep, pendingStepsError, previewLines } from "../provider/consoleSteps";

const agreements = {
  menuPath: ["System", "Security Roles", "ElementsAPI", "Finance", "Agreements"],
  field: "Add Level",
  value: "All",
  current: "None",
};
const serviceBoard = {
  menuPath: ["System", "Security Roles", "ElementsAPI", "System", "Table Setup", "Customize"],
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
      "System > Security Roles > ElementsAPI > System > Table Setup > Customize: add 'Service / Service Board' in Allow access to these",
    );
    expect(formatStep({ ...serviceBoard, action: "remove", value: "Company / Country" })).toBe(
      "System > Security Roles > ElementsAPI > System > Table Setup > Customize: remove 'Company / Country' from Allow access to these",
    );
  });

  it("numbers the checklist in the given order under a heading naming tenant and resource", () => {
    expect(formatChecklist("sandbox at 127.0.0.1:8080", "SecurityRole ElementsAPI", [agreements, serviceBoard])).toBe(
      [
        "SecurityRole ElementsAPI on sandbox at 127.0.0.1:8080 needs 2 console steps:",
        "1. System > Security Roles > ElementsAPI > Finance > Agreements: set Add Level to All (now None)",
        "2. System > Security Roles > ElementsAPI > System > Table Setup > Customize: add 'Service / Service Board' in Allow access to these",
      ].join("\n"),
    );
    expect(formatChecklist("t", "R", [agreements]).split("\n")[0]).toBe("R on t needs 1 console step:");
  });

  it("prints one preview line per difference", () => {
    expect(
      previewLines("SecurityRole ElementsAPI", [
        { key: "Finance/Agreements", field: "add", current: "None", desired: "All" },
        { key: "Finance/Agreements", field: "inquire", current: "My", desired: "All" },
      ]),
    ).toEqual([
      "SecurityRole ElementsAPI: Finance/Agreements add: None => All",
      "SecurityRole ElementsAPI: Finance/Agreements inquire: My => All",
    ]);
    expect(previewLines("SecurityRole X", [])).toEqual([]);
  });

  it("builds the partial-failure rejection: checklist first, the instruction last, numbered reasons", () => {
    const properties = { name: "ElementsAPI", roleId: 7 };
    const error = pendingStepsError({
      id: "7",
      properties,
      tenant: "sandbox at h",
      resource: "SecurityRole ElementsAPI",
      steps: [agreements],
    });
    expect(error.id).toBe("7");
    expect(error.properties).toBe(properties);
    expect(error.message).toBe(
      "SecurityRole ElementsAPI on sandbox at h needs 1 console step:\n" +
        "1. System > Security Roles > ElementsAPI > Finance > Agreements: set Add Level to All (now None)\n" +
        "Do these in the Manage UI, then run `pulumi up` again to verify.",
    );
    expect(error.reasons).toEqual([
      "1. System > Security Roles > ElementsAPI > Finance > Agreements: set Add Level to All (now None)",
    ]);
  });
});
