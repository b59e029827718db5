// `npm run integrations`: list, show (the console checklist of a new tenant, with its step count
// and the tier or option each step comes from) and compare, on the shipped presets and a user's
// integrations/ folder. It reads definitions only: no ConnectWise, no Pulumi.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../cli/onboarding/integrations";
import type { CommandIo } from "../cli/shared/command";

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io = {
    cwd: process.cwd(),
    env: process.env,
    stdin: process.stdin,
    out: (t: string) => (out += t),
    err: (t: string) => (err += t),
  } as CommandIo;
  const code = await main(argv, io);
  return { code, out, err };
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-integrations-"));
  fs.writeFileSync(
    path.join(dir, "my-backup-tool.yaml"),
    [
      "id: my-backup-tool",
      "integration: My Backup Tool",
      "roleName: MyBackupToolAPI",
      "keyDescription: My Backup Tool",
      "permissions:",
      "  Companies/Company Maintenance: { inquire: All }",
      "  Service Desk/Service Tickets: { add: All, edit: All, inquire: All }",
      "options:",
      "  configs:",
      "    about: Configuration sync",
      "    permissions:",
      "      Companies/Configurations: { inquire: All }",
      "",
    ].join("\n"),
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("npm run integrations", () => {
  it("lists the shipped integrations with their tiers and options, then the user's files", async () => {
    const { code, out } = await run("--dir", dir);
    expect(code).toBe(0);
    const line = (kind: string) => out.split("\n").find((l) => l.trim().startsWith(`${kind} `)) ?? "";
    expect(line("rewst")).toMatch(/authentication < full \(default full\)\s+shipped$/);
    expect(line("crushbank")).toMatch(/smartclassifier, solved-my-issue, ticket-budgeter, kba-articles\s+shipped$/);
    expect(line("my-backup-tool")).toMatch(/configs\s+\S+\/my-backup-tool\.yaml$/);
    expect(out.split("\n").filter((l) => l.trim()).length).toBe(1 + 21 + 1);
  });

  it("show: the checklist a new tenant gets, its step count, and the block each step comes from", async () => {
    const { code, out } = await run("show", "manageengine-endpoint-central-msp", "--options", "asset-sync");
    expect(code).toBe(0);
    expect(out).toBe(
      [
        'ManageEngine Endpoint Central MSP (manageengine-endpoint-central-msp), options asset-sync: role "Endpoint Central MSP API", key "ManageEngine Endpoint Central MSP"',
        "A new tenant needs 3 console steps, in this order:",
        "",
        "System > Security Roles > Endpoint Central MSP API",
        "  1. Companies > Company Maintenance: set Inquire Level to All (now None)",
        "  2. Companies > Configurations: set Add, Edit and Inquire Level to All (now None)  [option asset-sync]",
        "  3. System > Table Setup: set Inquire Level to All (now None)",
        "",
        "Sources: https://manageengine.com/desktop-management-msp/connectwise-roles-permissions.html",
        "Note: The vendor splits its table into a basic block and two optional features; a stack gets the basic block unless it names the options it uses.",
        "",
      ].join("\n"),
    );
  });

  it("show: SmileBack's allow-list (on by default) is a step of its own", async () => {
    const { out } = await run("show", "smileback");
    // One step per function row, one for the allow-list naming both entries.
    expect(out).toContain("A new tenant needs 13 console steps");
    expect(out).toContain(
      "  13. System > Table Setup > Customize: add 'Service / Service Board' and 'Service / Surveys - Service' in Allow access to these  [option allow-list]",
    );
    expect((await run("show", "smileback", "--options", "")).out).toContain("A new tenant needs 12 console steps");
  });

  it("compare: what each grants that the other does not, every tier and option counted", async () => {
    const { code, out } = await run("compare", "smileback", "team-gps");
    expect(code).toBe(0);
    expect(out).toBe(
      [
        "smileback grants what team-gps does not (2):",
        "  Marketing/Marketing Groups add All (team-gps: None)",
        "  Marketing/Marketing Groups inquire All (team-gps: None)",
        "team-gps grants what smileback does not (0):",
        "  nothing",
        "",
      ].join("\n"),
    );
  });

  it("names what is wrong, with the usage; --help prints the usage", async () => {
    const unknown = await run("show", "rewsst");
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/^integrations: no integration "rewsst"; known: elements, lifecycle-manager, rewst,/);
    const tier = await run("show", "rewst", "--tier", "half");
    expect(tier.err).toContain('integrations: integration "rewst": no tier "half"; tiers: authentication, full');
    const help = await run("--help");
    expect(help.code).toBe(0);
    expect(help.out).toContain("compare <a> <b>");
  });

  it("runs as npm run integrations does (the compiled command)", () => {
    const result = spawnSync(
      process.execPath,
      [path.join(__dirname, "..", "dist", "cli", "onboarding", "integrations.js"), "show", "mspcfo"],
      {
        encoding: "utf8",
      },
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("A new tenant needs 1 console step, in this order:");
  });
});
