// `npm run discover`: run as users run it (node dist/cli/onboarding/discover.js, a child process) against an
// in-process sandbox seeded by hand: an Elements-shaped role with a member, an over-privileged
// SmileBack role whose member is inactive, a role short of a user's own integration, and the
// seed's Admin. Proves the matches, the YAML block, --write, read-only requests and no key in output.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PassThrough } from "stream";
import YAML from "yaml";
import { newClient } from "../cli/onboarding/new-client";
import { pulumiBinDir } from "../pulumi-runtime/pulumiCli";
import { ConnectWiseClient } from "../connectwise/client";
import { ApiMemberSchema, SecurityRoleSchema } from "../connectwise/schemas";
import { IntegrationDefinition } from "../program/integration";
import { findPreset } from "../program/presets";
import { bestMatch, compare, liveLevels } from "../cli/shared/roleMatch";
import { HandlerSandbox, startHandlerSandbox } from "./handler-harness";
import { runCommand, unpublishedGets } from "./read-only-commands";

const PROJECT_ROOT = path.resolve(__dirname, "..");
const DISCOVER = path.join(PROJECT_ROOT, "dist", "cli", "onboarding", "discover.js");
const PASSPHRASE = "discover-test-passphrase";

let tempDir: string;
let projectDir: string;
let env: NodeJS.ProcessEnv;
let h: HandlerSandbox;

const MY_TOOL = `id: my-backup-tool
integration: My Backup Tool
roleName: MyBackupToolAPI
keyDescription: My Backup Tool
permissions:
  Companies/Company Maintenance: { inquire: All }
  Service Desk/Service Tickets: { add: All, edit: All, inquire: All }
`;

const run = (args: string[]) => runCommand(DISCOVER, args, projectDir, env);

async function seed(): Promise<void> {
  const admin = await ConnectWiseClient.connect({
    site: h.sandbox.url,
    companyId: h.sandbox.companyId,
    clientId: h.sandbox.clientId,
    publicKey: h.sandbox.publicKey,
    privateKey: h.sandbox.privateKey,
  });
  const role = async (name: string, permissions: Record<string, object>) => {
    const made = await admin.post("/system/securityroles", { name }, SecurityRoleSchema);
    await h.operator.setPermissions(name, permissions);
    return made.id!;
  };
  const member = (identifier: string, name: string, roleId: number, inactive = false) =>
    admin.post(
      "/system/apiMembers",
      {
        identifier,
        name,
        emailAddress: `${identifier.toLowerCase()}@acme.example`,
        securityRole: { id: roleId },
        structureLevel: { name: "Corporate" },
        securityLocation: { name: "Main" },
        defaultLocation: { name: "Main" },
        defaultDepartment: { name: "Admin" },
        salesDefaultLocation: { name: "Tampa Office" },
        ...(inactive ? { inactiveFlag: true } : {}),
      },
      ApiMemberSchema,
    );
  const elements = await role("Elements By Hand", findPreset("elements")!.permissions);
  await member("ElemHand", "Elements (by hand)", elements);
  const smile = await role("SmileBack Plus", {
    ...findPreset("smileback")!.permissions,
    "Finance/Invoicing": { add: "All", edit: "All", inquire: "All" },
    "System/Member Maintenance": { inquire: "All", edit: "All" },
  });
  await member("OldSmile", "SmileBack (old)", smile, true);
  await role("Backup Tool", {
    "Companies/Company Maintenance": { inquire: "All" },
    "Service Desk/Service Tickets": { inquire: "All" },
  });
}

beforeAll(async () => {
  if (!fs.existsSync(DISCOVER)) throw new Error(`${DISCOVER} is missing: run npm run build first`);
  await pulumiBinDir(); // the first run may build the CLI
  h = await startHandlerSandbox();
  await seed();
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-discover-"));
  projectDir = path.join(tempDir, "project");
  fs.mkdirSync(path.join(projectDir, "integrations"), { recursive: true });
  fs.copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(projectDir, "Pulumi.yaml"));
  fs.writeFileSync(path.join(projectDir, "integrations", "my-backup-tool.yaml"), MY_TOOL);
  for (const dir of ["backend", "home"]) fs.mkdirSync(path.join(tempDir, dir));
  env = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${path.join(tempDir, "backend")}`,
    PULUMI_HOME: path.join(tempDir, "home"),
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
  };
  for (const key of Object.keys(env)) if (key.startsWith("CONNECTWISE_")) delete env[key];
  delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
  // The stack as new-client makes it, already declaring elements (for --write's refusal).
  const made = await newClient(
    [
      "acme",
      ...["--site", h.sandbox.url, "--company", h.sandbox.companyId, "--client-id", h.sandbox.clientId],
      ...["--integration", "elements", "--email", "it@acme.example"],
    ],
    {
      cwd: projectDir,
      env: { ...env, CONNECTWISE_PUBLIC_KEY: h.sandbox.publicKey, CONNECTWISE_PRIVATE_KEY: h.sandbox.privateKey },
      stdin: new PassThrough(),
      out: () => undefined,
      err: (t) => process.stderr.write(t),
    },
  );
  if (made !== 0) throw new Error("new-client failed");
}, 20 * 60_000);

afterAll(async () => {
  await h?.sandbox.close();
  if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
});

beforeEach(() => h.operator.resetRequests());

/** Only GET requests reached the API; and no key in what was printed. */
async function expectReadOnlyAndClean(result: { out: string; err: string }) {
  const { entries } = await h.operator.requests();
  expect(entries.length).toBeGreaterThan(0);
  expect(entries.filter((e) => e.method !== "GET").map((e) => `${e.method} ${e.path}`)).toEqual([]);
  expect(unpublishedGets(entries.map((e) => e.path))).toEqual([]);
  for (const secret of [h.sandbox.publicKey, h.sandbox.privateKey]) {
    expect((result.out + result.err).includes(secret)).toBe(false); // not toContain: a failure would print it
  }
}

/** The block printed after "To adopt them", parsed. */
function printedBlock(out: string): { config: Record<string, Array<Record<string, any>>> } {
  const at = out.indexOf("To adopt them");
  expect(at).toBeGreaterThanOrEqual(0);
  return YAML.parse(out.slice(out.indexOf("\n", at) + 1));
}

test("lists roles and API members, matches each role, and prints the adopting block", async () => {
  const result = await run(["--stack", "acme"]);
  expect(result.err).toBe("");
  expect(result.code).toBe(0);
  const out = result.out;
  const line = (start: string) => out.split("\n").find((l) => l.trimStart().startsWith(start)) ?? "";
  expect(line("Elements By Hand")).toMatch(/ElemHand\s+elements: exact\s+-$/);
  expect(line("SmileBack Plus")).toMatch(/OldSmile \(inactive\)\s+smileback: grants more\s+Finance\/Invoicing /);
  expect(line("SmileBack Plus")).toContain("System/Member Maintenance e:All>None");
  expect(line("Backup Tool")).toMatch(
    /my-backup-tool: grants less\s+Service Desk\/Service Tickets a:None>All e:None>All/,
  );
  expect(line("Admin")).toMatch(/^ *Admin\s+-\s+unmatched\s+-$/); // the seed's admin is a full member, not an API member
  // API members: level, business unit, location, active.
  expect(line("OldSmile")).toMatch(/OldSmile\s+SmileBack Plus\s+Corporate\s+Admin\s+Main\s+no$/);
  expect(line("ElemHand")).toMatch(/ElemHand\s+Elements By Hand\s+Corporate\s+Admin\s+Main\s+yes$/);

  expect(Object.keys(printedBlock(out))).toEqual(["config"]); // the block ends the output: paste all of it
  expect(Object.keys(printedBlock(out).config)).toEqual(["connectwise-iac:integrations"]);
  const items = printedBlock(out).config["connectwise-iac:integrations"];
  // Roles come in name order: Backup Tool, Elements By Hand, SmileBack Plus.
  expect(items).toEqual([
    // No member on that role: new-client's identifier, the rest TODO lines.
    { kind: "my-backup-tool", adopt: true, roleName: "Backup Tool", member: { identifier: "MyAPI" } },
    {
      kind: "elements",
      adopt: true,
      roleName: "Elements By Hand",
      member: {
        identifier: "ElemHand",
        name: "Elements (by hand)",
        email: "elemhand@acme.example",
        level: "Corporate",
        businessUnit: "Admin",
        location: "Main",
        defaultTerritory: "Tampa Office",
      },
    },
    expect.objectContaining({ kind: "smileback", adopt: true, roleName: "SmileBack Plus" }),
  ]);
  expect(out).toContain('# role "SmileBack Plus" grants more than the smileback table on 2 function(s)');
  expect(out).toContain("# API member OldSmile is inactive in Manage: up reactivates it");
  expect(out).toContain("# TODO email:");
  expect(out).toContain("Already declared in Pulumi.acme.yaml: elements (leave those out;");
  await expectReadOnlyAndClean(result);
}, 120_000);

test("--write adds the new kinds to the stack file, keeps its comments, refuses the kind already declared", async () => {
  const file = path.join(projectDir, "Pulumi.acme.yaml");
  const before = fs.readFileSync(file, "utf8");
  expect(before).toContain("# TODO level:"); // new-client's comment, to be kept
  const result = await run(["--stack", "acme", "--write"]);
  expect(result.err).toBe("");
  expect(result.code).toBe(1); // one entry refused
  expect(result.out).toContain("Added to Pulumi.acme.yaml: my-backup-tool, smileback (adopt: true).");
  expect(result.out).toContain("Refused elements: already declared (connectwise-iac:integrations[0]); left as is.");

  const after = fs.readFileSync(file, "utf8");
  expect(after).toContain("# TODO level:");
  expect(after).toContain("# API member OldSmile is inactive in Manage: up reactivates it");
  const config = YAML.parse(after).config;
  expect(config["connectwise:privateKey"]).toEqual({ secure: expect.stringMatching(/^v1:/) });
  const kinds = config["connectwise-iac:integrations"].map((i: { kind: string; adopt?: boolean }) => [i.kind, i.adopt]);
  expect(kinds).toEqual([
    ["elements", undefined],
    ["my-backup-tool", true],
    ["smileback", true],
  ]);
  expect(config["connectwise-iac:integrations"][2].member.identifier).toBe("OldSmile");
  for (const secret of [h.sandbox.publicKey, h.sandbox.privateKey]) expect(after.includes(secret)).toBe(false);
  await expectReadOnlyAndClean(result);

  // Run again: every kind is declared now, nothing is written.
  const again = await run(["--stack", "acme", "--write"]);
  expect(again.code).toBe(1);
  expect(again.out).not.toContain("Added to");
  expect(fs.readFileSync(file, "utf8")).toBe(after);
}, 120_000);

test("--write into a stack that declares no integration yet writes a block list", async () => {
  const made = await newClient(
    ["bare", "--site", h.sandbox.url, "--company", h.sandbox.companyId, "--client-id", h.sandbox.clientId],
    {
      cwd: projectDir,
      env: { ...env, CONNECTWISE_PUBLIC_KEY: h.sandbox.publicKey, CONNECTWISE_PRIVATE_KEY: h.sandbox.privateKey },
      stdin: new PassThrough(),
      out: () => undefined,
      err: (t) => process.stderr.write(t),
    },
  );
  expect(made).toBe(0);
  const file = path.join(projectDir, "Pulumi.bare.yaml");
  expect(fs.readFileSync(file, "utf8")).toContain("connectwise-iac:integrations: []");
  const result = await run(["--stack", "bare", "--write"]);
  expect(result.code).toBe(0);
  const text = fs.readFileSync(file, "utf8");
  expect(text).toMatch(
    /connectwise-iac:integrations:\n {4}# role "Backup Tool"[^\n]*\n(.*\n)* {4}- kind: my-backup-tool\n/,
  );
  expect(YAML.parse(text).config["connectwise-iac:integrations"].map((i: { kind: string }) => i.kind)).toEqual([
    "my-backup-tool",
    "elements",
    "smileback",
  ]);
  await expectReadOnlyAndClean(result);
}, 120_000);

test("refuses without a stack, and says why when the passphrase is missing", async () => {
  const none = await run([]);
  expect(none.code).toBe(2);
  expect(none.err).toContain("give the stack: --stack <name>");
  const saved = env;
  env = { ...env, PULUMI_CONFIG_PASSPHRASE: undefined };
  try {
    const noPass = await run(["--stack", "acme"]);
    expect(noPass.code).toBe(2);
    expect(noPass.err).toContain(
      'discover: stack "acme": no passphrase: set PULUMI_CONFIG_PASSPHRASE_FILE (a file holding it) or PULUMI_CONFIG_PASSPHRASE',
    );
  } finally {
    env = saved;
  }
}, 120_000);

describe("role matching (cli/shared/roleMatch.ts)", () => {
  const elements = findPreset("elements") as IntegrationDefinition;
  const row = (key: string, levels: Record<string, string>) => {
    const [moduleName, moduleFunctionName] = [key.slice(0, key.indexOf("/")), key.slice(key.indexOf("/") + 1)];
    // A full row, as the client reads it (a row without a level is refused before liveLevels).
    const none = { addLevel: "None", editLevel: "None", deleteLevel: "None", inquireLevel: "None" };
    return { moduleName, moduleFunctionName, ...none, ...levels } as never;
  };
  const asSettings = (permissions: Record<string, Record<string, string>>) =>
    Object.entries(permissions).map(([key, l]) =>
      row(key, {
        addLevel: l.add ?? "None",
        editLevel: l.edit ?? "None",
        deleteLevel: l.delete ?? "None",
        inquireLevel: l.inquire ?? "None",
      }),
    );

  test("exact, grants more, grants less and differs (both) against one table", () => {
    const exact = liveLevels(asSettings(elements.permissions));
    expect(compare(exact, elements).verdict).toBe("exact");
    const more = liveLevels(
      asSettings({ ...elements.permissions, "Finance/Invoicing": { inquire: "All", add: "My" } }),
    );
    expect(compare(more, elements)).toMatchObject({
      verdict: "grants more",
      differences: [{ key: "Finance/Invoicing" }],
    });
    const less = liveLevels(asSettings({ ...elements.permissions, "Finance/Invoicing": { inquire: "My" } }));
    expect(compare(less, elements).verdict).toBe("grants less");
    const both = liveLevels(
      asSettings({
        ...elements.permissions,
        "Finance/Invoicing": { inquire: "My" },
        "System/Security": { inquire: "All" },
      }),
    );
    expect(compare(both, elements).verdict).toBe("differs");
  });

  test("a role with nothing granted, or everything, matches no table; a function the catalog lacks grants more", () => {
    expect(bestMatch(new Map(), [elements])).toBeUndefined();
    const everything = asSettings(
      Object.fromEntries(
        [
          "Companies/Contacts",
          "Finance/Invoicing",
          "System/Security",
          "System/Member Maintenance",
          "Service Desk/Service Tickets",
        ]
          .concat(Object.keys(elements.permissions))
          .map((k) => [k, { add: "All", edit: "All", delete: "All", inquire: "All" }]),
      ),
    );
    expect(bestMatch(liveLevels(everything), [elements])).toBeUndefined();
    const withUnknown = [
      ...asSettings(elements.permissions),
      row("Service Desk/Ticket Robots", { inquireLevel: "All" }),
    ];
    // As the SecurityRole handler compares it under exclusive (catalog/permissions.ts): a level there is beyond the table.
    const match = bestMatch(liveLevels(withUnknown), [elements]);
    expect(match?.verdict).toBe("grants more");
    expect(match?.differences.map((d) => d.key)).toEqual(["Service Desk/Ticket Robots"]);
    expect(
      bestMatch(liveLevels([...asSettings(elements.permissions), row("Service Desk/Ticket Robots", {})]), [elements])
        ?.verdict,
    ).toBe("exact");
  });
});
