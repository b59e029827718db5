// `npm run access-audit`: run as users run it (node dist/cli/audit/access-audit.js, a child process)
// against two in-process sandboxes seeded by hand. acme: an Elements-shaped role made by hand
// (exact), a hand-made over-privileged Rewst role, an inactive SmileBack member, a role short of a
// user's own integration, a declared member that does not exist, an API member no integration
// declares on a role named like a script tag, an unused role, and a state (pulumi stack import)
// whose keys expire in 5 and 40 days. globex: Elements exact and an undeclared SmileBack-like
// member. Proves the findings, the exit codes, the JSON / Markdown / HTML files (the page in
// headless Chromium: colours, hover, click, no network, a screenshot), GET requests only, and no
// key anywhere. The outputs are kept in test-output/access-audit/ (printed at the end).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PassThrough } from "stream";
import YAML from "yaml";
import type { Browser } from "playwright-core";
import { AccessAudit } from "../cli/audit/accessAuditReport";
import { auditHtml, escapeHtml } from "../cli/audit/accessAuditHtml";
import { newClient } from "../cli/onboarding/new-client";
import { pulumiBinDir, pulumiEnv, runPulumi } from "../pulumi-runtime/pulumiCli";
import { ConnectWiseClient } from "../connectwise/client";
import { ApiMemberSchema, SecurityRoleSchema } from "../connectwise/schemas";
import { findPreset } from "../program/presets";
import { resolveIntegration } from "../program/resolve";
import { HandlerSandbox, startHandlerSandbox } from "./handler-harness";
import { runCommand, unpublishedGets } from "./read-only-commands";

const PROJECT_ROOT = path.resolve(__dirname, "..");
const AUDIT = path.join(PROJECT_ROOT, "dist", "cli", "audit", "access-audit.js");
const DISCOVER = path.join(PROJECT_ROOT, "dist", "cli", "onboarding", "discover.js");
const OUTPUT = path.join(PROJECT_ROOT, "test-output", "access-audit");
const PASSPHRASE = "access-audit-test-passphrase";
const SCRIPT_ROLE = "<script>alert(1)</script>";
// Key material the imported state holds: it must never be printed.
const STATE_PUBLIC = "5f0c2a9e7b1d4c38a6e2";
const STATE_PRIVATE = "c3d9e1f7a2b84d6e9f10";

let tempDir: string;
let projectDir: string;
let env: NodeJS.ProcessEnv;
let acme: HandlerSandbox;
let globex: HandlerSandbox;
const started = Date.now();
const timings: string[] = [];

const MY_TOOL = `id: my-backup-tool
integration: My Backup Tool
roleName: MyBackupToolAPI
keyDescription: My Backup Tool
permissions:
  Companies/Company Maintenance: { inquire: All }
  Service Desk/Service Tickets: { add: All, edit: All, inquire: All }
`;

const run = (script: string, args: string[]) => runCommand(script, args, projectDir, env);
const audit = (args: string[]) => run(AUDIT, args);

async function adminOf(h: HandlerSandbox) {
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
  const member = (identifier: string, roleId: number, inactive = false) =>
    admin.post(
      "/system/apiMembers",
      {
        identifier,
        name: identifier,
        emailAddress: `${identifier.toLowerCase()}@client.example`,
        securityRole: { id: roleId },
        structureLevel: { name: "Corporate" },
        securityLocation: { name: "Main" },
        defaultLocation: { name: "Main" },
        defaultDepartment: { name: "Admin" },
        ...(inactive ? { inactiveFlag: true } : {}),
      },
      ApiMemberSchema,
    );
  const roleId = async (name: string) =>
    (await admin.list("/system/securityroles", SecurityRoleSchema)).find((r) => r.name === name)!.id!;
  return { role, member, roleId };
}

async function seedAcme(): Promise<void> {
  const { role, member } = await adminOf(acme);
  // An Elements-shaped role made by hand, with its member.
  await member("ElemHand", await role("Elements By Hand", findPreset("elements")!.permissions));
  // A hand-made over-privileged role: Rewst's table plus invoicing and member maintenance.
  const rewst = await role("Rewst Plus", {
    ...resolveIntegration(findPreset("rewst")!).permissions, // its default tier: full
    "Finance/Invoicing": { add: "All", edit: "All", inquire: "All" },
    "System/Member Maintenance": { inquire: "All", edit: "All" },
  });
  await member("RewstHand", rewst);
  // An inactive member, on an active role that matches its table.
  await member("OldSmile", await role("SmileBack", findPreset("smileback")!.permissions), true);
  // A role short of a user's own integration.
  await member(
    "BackupHand",
    await role("Backup Tool", {
      "Companies/Company Maintenance": { inquire: "All" },
      "Service Desk/Service Tickets": { inquire: "All" },
    }),
  );
  // An API member nobody declares, on a role whose name is markup.
  await member(
    "Mystery",
    await role(SCRIPT_ROLE, {
      "Companies/Contacts": { inquire: "All", edit: "All" },
      "System/Security": { inquire: "All" },
    }),
  );
  // A role nobody uses.
  await role("Old Sync Tool", { "Companies/Contacts": { inquire: "All" } });
}

/** The key pair globex's stack connects with: an API member's console key, as a real tenant has it. */
let globexKeys: { publicKey: string; privateKey: string };

async function seedGlobex(): Promise<void> {
  const { role, member, roleId } = await adminOf(globex);
  await member("IacG", await roleId("Admin"));
  globexKeys = await globex.operator.createApiKey("IacG", "connectwise-iac");
  await member("ElemG", await role("ElementsAPI", findPreset("elements")!.permissions));
  // A role that both grants more and lacks what MSP360's table asks.
  await member(
    "BackupG",
    await role("MSP360 Mixed", {
      ...findPreset("msp360-managed-backup")!.permissions,
      "Finance/Agreements": { inquire: "All" },
      "System/Security": { inquire: "All" },
    }),
  );
  await member(
    "SmileG",
    await role("Smile Copy", {
      ...findPreset("smileback")!.permissions,
      "Finance/Invoicing": { inquire: "All" },
    }),
  );
}

const memberBlock = (identifier: string) => ({
  identifier,
  name: identifier,
  email: "it@client.example",
  level: "Corporate",
  businessUnit: "Admin",
  location: "Main",
  defaultTerritory: "Main",
});

/** A stack as new-client makes it, its integrations then set to `entries`. */
async function makeStack(
  name: string,
  h: HandlerSandbox,
  entries: object[],
  keys: { publicKey: string; privateKey: string } = h.sandbox,
): Promise<void> {
  const made = await newClient(
    [name, "--site", h.sandbox.url, "--company", h.sandbox.companyId, "--client-id", h.sandbox.clientId],
    {
      cwd: projectDir,
      env: { ...env, CONNECTWISE_PUBLIC_KEY: keys.publicKey, CONNECTWISE_PRIVATE_KEY: keys.privateKey },
      stdin: new PassThrough(),
      out: () => undefined,
      err: (t) => process.stderr.write(t),
    },
  );
  if (made !== 0) throw new Error(`new-client ${name} failed`);
  const file = path.join(projectDir, `Pulumi.${name}.yaml`);
  const doc = YAML.parseDocument(fs.readFileSync(file, "utf8"));
  doc.setIn(["config", "connectwise-iac:integrations"], doc.createNode(entries));
  fs.writeFileSync(file, doc.toString());
}

const KEY_TYPE = "pulumi-nodejs:dynamic/connectwise:ApiKey";

/** acme's state, as `up` would have left it for two integrations' keys (one minted, one a console key). */
async function importAcmeState(): Promise<void> {
  const bin = await pulumiBinDir();
  const penv = pulumiEnv(bin, projectDir, env);
  const exported = await runPulumi(bin, ["stack", "export", "--stack", "acme"], { env: penv, cwd: projectDir });
  if (exported.code !== 0) throw new Error(exported.stderr);
  const state = JSON.parse(exported.stdout);
  const stackUrn = "urn:pulumi:acme::connectwise-iac::pulumi:pulumi:Stack::connectwise-iac-acme";
  const providerUrn = "urn:pulumi:acme::connectwise-iac::pulumi:providers:pulumi-nodejs::default";
  const providerId = "5b2f6a40-1c3e-4d7a-9e8b-0f1a2b3c4d5e";
  const day = 86_400_000;
  const key = (kind: string, member: string, inDays: number | null) => {
    const component = `urn:pulumi:acme::connectwise-iac::connectwise:integration:${kind}::${kind}`;
    const inputs = {
      member,
      description: kind,
      source: inDays === null ? "console" : "token",
      rotateBefore: "7d",
    };
    return [
      { urn: component, custom: false, type: `connectwise:integration:${kind}`, parent: stackUrn },
      {
        urn: `urn:pulumi:acme::connectwise-iac::connectwise:integration:${kind}$${KEY_TYPE}::${kind}-key`,
        custom: true,
        id: `${member}/${STATE_PUBLIC.slice(-4)}`,
        type: KEY_TYPE,
        parent: component,
        provider: `${providerUrn}::${providerId}`,
        inputs,
        outputs: {
          ...inputs,
          publicKey: `${STATE_PUBLIC}${member}`,
          privateKey: {
            "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
            plaintext: JSON.stringify(STATE_PRIVATE),
          },
          expiration: inDays === null ? "" : new Date(Date.now() + inDays * day + 3_600_000).toISOString(),
          memberIdentifier: member,
          adopted: inDays === null,
        },
      },
    ];
  };
  state.deployment.resources = [
    { urn: stackUrn, custom: false, type: "pulumi:pulumi:Stack" },
    { urn: providerUrn, custom: true, id: providerId, type: "pulumi:providers:pulumi-nodejs", inputs: {}, outputs: {} },
    ...key("elements", "ElemHand", 5),
    ...key("rewst", "RewstHand", 40),
    ...key("my-backup-tool", "BackupHand", null),
  ];
  const file = path.join(tempDir, "acme-state.json");
  fs.writeFileSync(file, JSON.stringify(state));
  const imported = await runPulumi(bin, ["stack", "import", "--stack", "acme", "--file", file], {
    env: penv,
    cwd: projectDir,
  });
  if (imported.code !== 0) throw new Error(imported.stderr);
}

beforeAll(async () => {
  for (const script of [AUDIT, DISCOVER])
    if (!fs.existsSync(script)) throw new Error(`${script} is missing: run npm run build first`);
  await pulumiBinDir(); // the first run may build the CLI
  acme = await startHandlerSandbox();
  globex = await startHandlerSandbox();
  await seedAcme();
  await seedGlobex();
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-audit-"));
  projectDir = path.join(tempDir, "project");
  fs.mkdirSync(path.join(projectDir, "integrations"), { recursive: true });
  fs.copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(projectDir, "Pulumi.yaml"));
  fs.writeFileSync(path.join(projectDir, "integrations", "my-backup-tool.yaml"), MY_TOOL);
  for (const dir of ["backend", "home"]) fs.mkdirSync(path.join(tempDir, dir));
  fs.mkdirSync(OUTPUT, { recursive: true });
  env = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${path.join(tempDir, "backend")}`,
    PULUMI_HOME: path.join(tempDir, "home"),
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
  };
  for (const key of Object.keys(env)) if (key.startsWith("CONNECTWISE_")) delete env[key];
  delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
  await makeStack("acme", acme, [
    { kind: "elements", adopt: true, roleName: "Elements By Hand", member: memberBlock("ElemHand") },
    { kind: "rewst", adopt: true, roleName: "Rewst Plus", member: memberBlock("RewstHand") },
    { kind: "smileback", adopt: true, roleName: "SmileBack", member: memberBlock("OldSmile") },
    { kind: "my-backup-tool", adopt: true, roleName: "Backup Tool", member: memberBlock("BackupHand") },
    { kind: "lifecycle-manager", member: memberBlock("LifecycleAPI") },
  ]);
  await makeStack(
    "globex",
    globex,
    [
      { kind: "elements", adopt: true, member: memberBlock("ElemG") },
      { kind: "msp360-managed-backup", adopt: true, roleName: "MSP360 Mixed", member: memberBlock("BackupG") },
    ],
    globexKeys,
  );
  await importAcmeState();
  timings.push(`set-up (two sandboxes, two stacks, a state import): ${Date.now() - started} ms`);
}, 20 * 60_000);

afterAll(async () => {
  await acme?.sandbox.close();
  await globex?.sandbox.close();
  if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  console.log(
    `access-audit outputs in ${OUTPUT}:\n  ${fs.readdirSync(OUTPUT).sort().join("\n  ")}\n${timings.join("\n")}`,
  );
});

beforeEach(async () => {
  await acme.operator.resetRequests();
  await globex.operator.resetRequests();
});

const SECRETS = () => [
  acme.sandbox.publicKey,
  acme.sandbox.privateKey,
  globex.sandbox.publicKey,
  globex.sandbox.privateKey,
  globexKeys.publicKey,
  globexKeys.privateKey,
  STATE_PUBLIC,
  STATE_PRIVATE,
];

/** Only GET requests reached each tenant, every one published; no key in `texts`. */
async function expectReadOnlyAndClean(sandboxes: HandlerSandbox[], texts: string[]) {
  for (const h of sandboxes) {
    const { entries } = await h.operator.requests();
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.filter((e) => e.method !== "GET").map((e) => `${e.method} ${e.path}`)).toEqual([]);
    expect(unpublishedGets(entries.map((e) => e.path))).toEqual([]);
  }
  for (const secret of SECRETS()) for (const text of texts) expect(text.includes(secret)).toBe(false); // not toContain: a failure would print it
}

test("one stack: each declared member against its table, undeclared members, unused roles, inactive members, keys; exit 2", async () => {
  const t0 = Date.now();
  const result = await audit(["--stack", "acme"]);
  timings.push(`audit --stack acme: ${Date.now() - t0} ms`);
  fs.writeFileSync(path.join(OUTPUT, "audit-acme.txt"), result.out + result.err);
  expect(result.err).toBe("");
  expect(result.code).toBe(2);
  const out = result.out;
  const line = (start: string) => out.split("\n").find((l) => l.trimStart().startsWith(start)) ?? `(no ${start})`;
  expect(out).toMatch(/^Stack acme: sandbox at 127\.0\.0\.1:\d+/);
  expect(line("elements ")).toMatch(/^ *elements\s+ElemHand\s+Elements By Hand\s+exact\s+0\s+0$/);
  expect(line("rewst ")).toMatch(/^ *rewst\s+RewstHand\s+Rewst Plus\s+grants more\s+4\s+0$/);
  expect(out).toContain(
    "beyond its table: Finance/Invoicing: add All (table: None), edit All (table: None), inquire All (table: None)",
  );
  expect(out).toContain("beyond its table: System/Member Maintenance:");
  expect(line("smileback ")).toMatch(/^ *smileback\s+OldSmile \(inactive\)\s+SmileBack\s+exact\s+0\s+0$/);
  expect(out).toContain("note: API member OldSmile is inactive");
  expect(line("my-backup-tool ")).toMatch(/^ *my-backup-tool\s+BackupHand\s+Backup Tool\s+grants less\s+0\s+2$/);
  expect(out).toContain(
    "lacks:            Service Desk/Service Tickets: add None (table: All), edit None (table: All)",
  );
  expect(line("lifecycle-manager ")).toMatch(/^ *lifecycle-manager\s+LifecycleAPI\s+-\s+missing\s+0\s+0$/);
  expect(out).toContain('note: no API member "LifecycleAPI" in the tenant');
  // Undeclared: close to no table, so its role's grants are listed.
  expect(line("Mystery ")).toMatch(/^ *Mystery\s+<script>alert\(1\)<\/script>\s+yes\s+undeclared$/);
  expect(out).toContain("grants: Companies/Contacts edit All, inquire All");
  // Roles without an active member: the unused one, and SmileBack (only OldSmile, inactive).
  expect(line("Old Sync Tool")).toMatch(/Old Sync Tool\s+1\s+-$/);
  expect(line("SmileBack  ")).toMatch(/SmileBack\s+\d+\s+OldSmile$/);
  expect(line("OldSmile  ")).toMatch(/OldSmile\s+API member\s+SmileBack$/);
  // Keys from the imported state: 5 days is within the default 14, 40 is not, a console key has no expiry.
  expect(line("ElemHand ")).toMatch(/ElemHand\s+elements\s+\S+\s+5\s+near expiry$/);
  expect(line("RewstHand ")).toMatch(/RewstHand\s+rewst\s+\S+\s+40\s+ok$/);
  expect(line("BackupHand ")).toMatch(/BackupHand\s+my-backup-tool\s+never \(console key\)\s+-\s+no expiry$/);
  // rewst, my-backup-tool, lifecycle-manager; Mystery; Old Sync Tool, SmileBack; OldSmile; ElemHand's key.
  expect(out).toContain("8 finding(s) for stack acme.");
  await expectReadOnlyAndClean([acme], [out]);

  // --expiry-days 3: the 5-day key is no longer flagged.
  const later = await audit(["--stack", "acme", "--expiry-days", "3"]);
  expect(later.out).toMatch(/ElemHand\s+elements\s+\S+\s+5\s+ok/);
  expect(later.out).toContain("7 finding(s) for stack acme.");

  // The discover output of the same tenant, for the record.
  const discovered = await run(DISCOVER, ["--stack", "acme"]);
  expect(discovered.code).toBe(0);
  fs.writeFileSync(path.join(OUTPUT, "discover-acme.txt"), discovered.out + discovered.err);
  await expectReadOnlyAndClean([acme], [discovered.out, discovered.err]);
}, 180_000);

test("a role whose settings come back wrong-shaped is unknown in the audit and in discover, never exact; the run goes on", async () => {
  const { id } = await acme.operator.role("Elements By Hand");
  // Every row of its settings without addLevel (a newer or broken API): its levels cannot be known.
  await acme.operator.reshape({ method: "GET", path: `/system/securityRoles/${id}/settings`, field: "addLevel" });
  try {
    const result = await audit(["--stack", "acme"]);
    expect(result.err).toBe("");
    expect(result.code).toBe(2);
    const line = (start: string) =>
      result.out.split("\n").find((l) => l.trimStart().startsWith(start)) ?? `(no ${start})`;
    expect(line("elements ")).toMatch(/^ *elements\s+ElemHand\s+Elements By Hand\s+unknown\s+0\s+0$/);
    expect(result.out).toContain(
      `note: role "Elements By Hand": levels unknown, its settings could not be read: ConnectWise 200 InvalidResponse on GET /system/securityRoles/${id}/settings: unexpected answer: settings[0].addLevel is missing`,
    );
    // The other roles are audited as before; the unknown one is a finding (8, as in the run above, plus it).
    expect(line("rewst ")).toMatch(/grants more/);
    expect(result.out).toContain("9 finding(s) for stack acme.");

    const discovered = await run(DISCOVER, ["--stack", "acme"]);
    expect(discovered.err).toBe("");
    expect(discovered.code).toBe(0);
    const row = discovered.out.split("\n").find((l) => l.trimStart().startsWith("Elements By Hand")) ?? "(no row)";
    expect(row).toMatch(/^ *Elements By Hand\s+ElemHand\s+unknown\s+-$/);
    expect(discovered.out).toContain(
      `Role "Elements By Hand": levels unknown, its settings could not be read: ConnectWise 200 InvalidResponse on GET /system/securityRoles/${id}/settings: unexpected answer: settings[0].addLevel is missing`,
    );
    await expectReadOnlyAndClean([acme], [result.out, discovered.out]);
  } finally {
    await acme.operator.reshape();
  }
}, 180_000);

test("--all: the summary first, then each stack; JSON, Markdown and HTML files", async () => {
  const t0 = Date.now();
  const files = { json: "fleet.json", markdown: "fleet.md", html: "fleet.html" };
  const result = await audit([
    "--all",
    ...Object.entries(files).flatMap(([flag, f]) => [`--${flag}`, path.join(OUTPUT, f)]),
  ]);
  timings.push(`audit --all (2 stacks, 3 files): ${Date.now() - t0} ms`);
  fs.writeFileSync(path.join(OUTPUT, "audit-fleet.txt"), result.out + result.err);
  expect(result.err).toBe("");
  expect(result.code).toBe(2);
  const out = result.out;
  expect(out.indexOf("Access audit of 2 stack(s): 10 finding(s)")).toBe(0);
  expect(out.indexOf("Stack acme:")).toBeLessThan(out.indexOf("Stack globex:"));
  expect(out).toMatch(/^ *acme\s+sandbox at \S+\s+2\s+1\s+1\s+0\s+1\s+1\s+2\s+1\s+1\s+8$/m);
  expect(out).toMatch(/^ *globex\s+sandbox at \S+\s+1\s+0\s+0\s+1\s+0\s+1\s+0\s+0\s+0\s+2$/m);
  expect(out).toMatch(/msp360-managed-backup\s+BackupG\s+MSP360 Mixed\s+differs\s+1\s+2$/m);
  expect(out).toMatch(/SmileG\s+Smile Copy\s+yes\s+smileback: grants more/);
  // globex connects as an API member: listed as the connection, not a finding.
  expect(out).toMatch(/IacG\s+Admin\s+yes\s+\(this stack's connection\)/);
  expect(out).toContain("no state yet (the stack has never been up): no key known");

  const json = JSON.parse(fs.readFileSync(path.join(OUTPUT, files.json), "utf8")) as AccessAudit;
  expect(json.stacks.map((s) => [s.stack, s.findings])).toEqual([
    ["acme", 8],
    ["globex", 2],
  ]);
  const rewst = json.stacks[0].integrations.find((i) => i.kind === "rewst")!;
  expect(rewst).toMatchObject({ member: "RewstHand", role: "Rewst Plus", status: "grants more", lacks: [] });
  expect(rewst.beyond).toContainEqual({ function: "Finance/Invoicing", field: "add", have: "All", need: "None" });
  expect(json.stacks[1].undeclared.find((u) => u.identifier === "SmileG")).toMatchObject({
    identifier: "SmileG",
    closest: { kind: "smileback", verdict: "grants more" },
  });

  const md = fs.readFileSync(path.join(OUTPUT, files.markdown), "utf8");
  expect(md.indexOf("## Summary")).toBeGreaterThan(0);
  expect(md.indexOf("## Summary")).toBeLessThan(md.indexOf("## acme"));
  expect(md).toContain("| rewst | RewstHand | Rewst Plus | grants more | Finance/Invoicing: add All (table: None)");
  expect(md).toContain("&lt;script>alert(1)&lt;/script>");
  expect(md).not.toContain(SCRIPT_ROLE);

  const html = fs.readFileSync(path.join(OUTPUT, files.html), "utf8");
  expect(html).not.toContain(SCRIPT_ROLE);
  expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  expect(html.match(/<script/g)).toHaveLength(1); // the page's own
  expect(html).not.toMatch(/(src|href)=|url\(|@import/);
  await expectReadOnlyAndClean([acme, globex], [out, md, html, JSON.stringify(json)]);
}, 180_000);

test(
  "the HTML page in headless Chromium: cell colours, detail on hover and click, no request, a screenshot",
  async () => {
    // Debian's chromium, installed once by the script when absent (apt-get, as root or with sudo).
    const found = spawnSync("bash", [path.join(__dirname, "..", "scripts", "ensure-chromium.sh")], {
      encoding: "utf8",
    });
    if (found.status !== 0) throw new Error(`scripts/ensure-chromium.sh failed:\n${found.stderr}`);
    const CHROMIUM = found.stdout.trim().split("\n").pop()!;
    const file = path.join(OUTPUT, "page.html");
    const made = await audit(["--all", "--html", file]);
    expect(made.code).toBe(2);
    const t0 = Date.now();
    const { chromium } = await import("playwright-core");
    let browser: Browser | undefined;
    try {
      // --no-sandbox: Chromium refuses to run its sandbox as root (CI runs as root).
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      const requests: string[] = [];
      const dialogs: string[] = [];
      page.on("request", (r) => requests.push(r.url()));
      page.on("dialog", (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      const url = `file://${file}`;
      await page.goto(url);

      // Every cell: its status and its colour.
      const cells = await page.$$eval("td.cell", (tds) => {
        // In the page (no DOM types in this project's compile): the window's getComputedStyle.
        const getComputedStyle = (globalThis as any).getComputedStyle as (e: unknown) => Record<string, string>;
        return tds.map((td) => ({
          stack: td.getAttribute("data-stack"),
          kind: td.getAttribute("data-kind"),
          status: td.getAttribute("data-status"),
          undeclared: td.classList.contains("undeclared"),
          colour: getComputedStyle(td.querySelector("button")).backgroundColor,
          image: getComputedStyle(td.querySelector("button")).backgroundImage,
        }));
      });
      const at = (stack: string, kind: string) => cells.find((c) => c.stack === stack && c.kind === kind)!;
      expect(cells).toHaveLength(12); // 2 tenants x 6 integrations
      const COLOUR = {
        exact: "rgb(185, 228, 192)",
        more: "rgb(247, 178, 173)",
        less: "rgb(253, 227, 155)",
        missing: "rgb(110, 110, 115)",
        none: "rgb(242, 242, 244)",
      };
      const expected: [string, string, keyof typeof COLOUR][] = [
        ["acme", "elements", "exact"],
        ["acme", "rewst", "more"],
        ["acme", "my-backup-tool", "less"],
        ["acme", "lifecycle-manager", "missing"],
        ["acme", "smileback", "exact"],
        ["globex", "elements", "exact"],
        ["globex", "smileback", "more"],
        ["globex", "rewst", "none"],
        ["acme", "msp360-managed-backup", "none"],
      ];
      for (const [stack, kind, status] of expected) {
        expect({ stack, kind, status: at(stack, kind).status }).toEqual({ stack, kind, status });
        expect({ stack, kind, colour: at(stack, kind).colour }).toEqual({ stack, kind, colour: COLOUR[status] });
      }
      // Grants more and less: stripes of both colours.
      expect(at("globex", "msp360-managed-backup").status).toBe("differs");
      expect(at("globex", "msp360-managed-backup").image).toMatch(
        /repeating-linear-gradient\(135deg, rgb\(247, 178, 173\) 0px, rgb\(247, 178, 173\) 10px, rgb\(253, 227, 155\) 10px/,
      );
      expect(at("globex", "smileback").undeclared).toBe(true);
      expect(at("acme", "smileback").undeclared).toBe(false);

      // Hover: the title holds the detail, and the panel shows it.
      const rewst = page.locator('td[data-stack="acme"][data-kind="rewst"] button');
      expect(await rewst.getAttribute("title")).toContain("beyond its table: Finance/Invoicing: add All (table: None)");
      const panel = page.locator("#detail");
      await rewst.hover();
      await expect(panel.innerText()).resolves.toContain("acme (sandbox at");
      await expect(panel.innerText()).resolves.toContain('rewst: member RewstHand on role "Rewst Plus": grants more');
      // Click pins the detail: it stays after the pointer leaves the matrix, the cell outlined.
      const backup = page.locator('td[data-stack="acme"][data-kind="my-backup-tool"] button');
      await backup.click();
      await page.mouse.move(5, 790);
      const pinned = await panel.innerText();
      expect(pinned).toContain("lacks: Service Desk/Service Tickets: add None (table: All)");
      expect(pinned).not.toContain("Rewst Plus");
      expect(await backup.getAttribute("class")).toContain("selected");

      // Tenant text is inert: the role named like a script tag shows as text, nothing ran.
      await expect(page.locator("ul.others").innerText()).resolves.toContain(`role "${SCRIPT_ROLE}"`);
      expect(await page.locator("script").count()).toBe(1);
      expect(dialogs).toEqual([]);
      expect(errors).toEqual([]);
      // No network: the one request is the file itself.
      expect(requests).toEqual([url]);

      await rewst.click();
      const shot = path.join(OUTPUT, "matrix.png");
      await page.screenshot({ path: shot, fullPage: true });
      expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
      console.log(`screenshot: ${shot}`);
    } finally {
      await browser?.close();
    }
    timings.push(`Chromium page test: ${Date.now() - t0} ms`);
  },
  10 * 60_000,
); // a first run installs chromium

test("refuses without --stack or --all (exit 1); a stack that cannot be read is an error (exit 1) beside the others", async () => {
  const none = await audit([]);
  expect(none.code).toBe(1);
  expect(none.err).toContain("give the stack: --stack <name>");
  const both = await audit(["--all", "--stack", "acme"]);
  expect(both.code).toBe(1);
  expect(both.err).toContain("give --stack or --all, not both");
  const badDays = await audit(["--stack", "acme", "--expiry-days", "soon"]);
  expect(badDays.code).toBe(1);
  expect(badDays.err).toContain('--expiry-days needs a whole number of at least 1, not "soon"');
  const help = await audit(["--help"]);
  expect(help.code).toBe(0);
  expect(help.out).toContain("usage: npm run access-audit -- (--stack <name> | --all)");

  const saved = env;
  env = { ...env, PULUMI_CONFIG_PASSPHRASE: "wrong passphrase" };
  try {
    const wrong = await audit(["--stack", "globex", "--stack", "acme"]);
    expect(wrong.code).toBe(1);
    expect(wrong.out).toContain("Stack globex: ");
    // One line naming the variable to fix (cli/shared/pulumiErrors.ts), not the CLI's raw error.
    expect(wrong.out).toContain(
      'cannot audit: stack "globex": wrong passphrase: the one from PULUMI_CONFIG_PASSPHRASE does not decrypt Pulumi.globex.yaml; set PULUMI_CONFIG_PASSPHRASE_FILE',
    );
  } finally {
    env = saved;
  }
}, 120_000);

describe("the page's escaping (cli/audit/accessAuditHtml.ts)", () => {
  test("escapes text and attribute values", () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
  });

  test("a tenant's names cannot close the title attribute or open a tag", () => {
    const hostile = `"><img src=x onerror=alert(1)>`;
    const page = auditHtml({
      tool: "connectwise-iac access-audit",
      generatedAt: "2026-11-30T00:00:00.000Z",
      expiryDays: 14,
      stacks: [
        {
          stack: "acme",
          tenant: `acme at ${hostile}`,
          integrations: [
            {
              kind: "elements",
              name: "elements",
              integration: "Elements",
              member: hostile,
              role: hostile,
              memberActive: true,
              status: "grants more",
              beyond: [{ function: "Finance/Invoicing", field: "add", have: "All", need: "None" }],
              lacks: [],
              notes: [hostile],
            },
          ],
          undeclared: [],
          unusedRoles: [{ role: hostile, grants: [], inactiveHolders: [] }],
          inactiveMembers: [],
          keys: [],
          stateNote: "",
          findings: 2,
        },
      ],
    });
    expect(page).not.toContain("<img");
    expect(page).toContain("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
  });
});
