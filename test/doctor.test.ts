// `npm run doctor`: run as users run it (node dist/cli/onboarding/doctor.js, a child process) against an
// in-process sandbox. Every check passes on the sandbox as seeded (plus one role, so paging has two
// objects); a function the catalog lacks, added to a role through the console, fails the names
// check. Only GET requests reach the API, and no key appears in the report.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PassThrough } from "stream";
import { newClient } from "../cli/onboarding/new-client";
import { pulumiBinDir } from "../pulumi-runtime/pulumiCli";
import { ConnectWiseClient } from "../connectwise/client";
import { ApiMemberSchema, SecurityRoleSchema } from "../connectwise/schemas";
import { findPreset } from "../program/presets";
import { HandlerSandbox, startHandlerSandbox } from "./handler-harness";
import { runCommand, unpublishedGets } from "./read-only-commands";

const PROJECT_ROOT = path.resolve(__dirname, "..");
const DOCTOR = path.join(PROJECT_ROOT, "dist", "cli", "onboarding", "doctor.js");

let tempDir: string;
let projectDir: string;
let env: NodeJS.ProcessEnv;
let h: HandlerSandbox;

const run = (args: string[]) => runCommand(DOCTOR, args, projectDir, env);

beforeAll(async () => {
  if (!fs.existsSync(DOCTOR)) throw new Error(`${DOCTOR} is missing: run npm run build first`);
  await pulumiBinDir(); // the first run may build the CLI
  h = await startHandlerSandbox();
  const admin = await ConnectWiseClient.connect({
    site: h.sandbox.url,
    companyId: h.sandbox.companyId,
    clientId: h.sandbox.clientId,
    publicKey: h.sandbox.publicKey,
    privateKey: h.sandbox.privateKey,
  });
  await admin.post("/system/securityroles", { name: "Elements By Hand" }, SecurityRoleSchema);
  await h.operator.setPermissions("Elements By Hand", findPreset("elements")!.permissions);
  const place = { structureLevel: { name: "Corporate" }, securityLocation: { name: "Main" } };
  const role = { securityRole: { name: "Elements By Hand" }, defaultDepartment: { name: "Admin" } };
  await admin.post(
    "/system/apiMembers",
    { identifier: "ElemHand", name: "Elements", ...place, ...role },
    ApiMemberSchema,
  );

  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-doctor-"));
  projectDir = path.join(tempDir, "project");
  fs.mkdirSync(projectDir);
  fs.copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(projectDir, "Pulumi.yaml"));
  for (const dir of ["backend", "home"]) fs.mkdirSync(path.join(tempDir, dir));
  env = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${path.join(tempDir, "backend")}`,
    PULUMI_HOME: path.join(tempDir, "home"),
    PULUMI_CONFIG_PASSPHRASE: "doctor-test-passphrase",
  };
  for (const key of Object.keys(env)) if (key.startsWith("CONNECTWISE_")) delete env[key];
  delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
  const made = await newClient(
    ["acme", "--site", h.sandbox.url, "--company", h.sandbox.companyId, "--client-id", h.sandbox.clientId],
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

async function expectReadOnlyAndClean(result: { out: string; err: string }) {
  const { entries } = await h.operator.requests();
  expect(entries.length).toBeGreaterThan(0);
  expect(entries.filter((e) => e.method !== "GET").map((e) => `${e.method} ${e.path}`)).toEqual([]);
  expect(unpublishedGets(entries.map((e) => e.path))).toEqual([]);
  for (const secret of [h.sandbox.publicKey, h.sandbox.privateKey]) {
    expect((result.out + result.err).includes(secret)).toBe(false); // not toContain: a failure would print it
  }
}

const ENDPOINTS = [
  "/system/securityroles",
  "/system/securityroles/{id}",
  "/system/securityRoles/{id}/settings",
  "/system/apiMembers",
  "/system/apiMembers/{id}",
  "/system/members",
  "/system/myCompany/corporateStructureLevels",
  "/system/locations",
  "/system/departments",
  "/system/mySecurity",
  "/system/mySecurity/customizeItems/",
];

test("every check passes against the sandbox, with its evidence; exit 0; GET only", async () => {
  const result = await run(["--stack", "acme"]);
  expect(result.err).toBe("");
  const lines = result.out.trim().split("\n");
  const line = (name: string) => lines.find((l) => l.slice(6).startsWith(name)) ?? `(no line for ${name})`;
  expect(line("codebase discovery")).toMatch(/^PASS .*GET \/login\/companyinfo\/sandbox/);
  expect(line("authentication and clientId")).toMatch(/^PASS .*as member "admin"/);
  for (const endpoint of ENDPOINTS) expect(line(`GET ${endpoint} `)).toMatch(/^PASS .* answered (1 row|one object)/);
  expect(line("settings page shape")).toMatch(/^PASS .*on 2 role\(s\), each with moduleName/);
  expect(line("module and function names")).toMatch(/^PASS .*every name on the tenant's roles is in the catalog$/);
  expect(line("customize-item identifier format")).toMatch(/^PASS .*"Category \/ Table"/);
  expect(line("paging with Link headers")).toMatch(/^PASS .*2 pages, joined by Link rel="next"/);
  expect(lines.filter((l) => /^(FAIL|\?\?\?\?) /.test(l))).toEqual([]);
  expect(lines[lines.length - 1]).toMatch(/^\d+ pass, 0 fail, 0 cannot tell$/);
  expect(result.code).toBe(0);

  // Each endpoint the handlers use was called, the listing ones with pageSize 1.
  const { entries } = await h.operator.requests();
  for (const endpoint of ["/system/apiMembers", "/system/members", "/system/locations", "/system/departments"]) {
    expect(entries.some((e) => e.path.endsWith(endpoint) && /pageSize=1(&|$)/.test(e.query))).toBe(true);
  }
  await expectReadOnlyAndClean(result);
}, 120_000);

test("a least-privilege reader whose role allows no Table Setup item: that check cannot tell; exit 2", async () => {
  // A read-only connection, as an MSP may keep for doctor: inquire on what the handlers read, no Table Setup list.
  const admin = await ConnectWiseClient.connect({
    site: h.sandbox.url,
    companyId: h.sandbox.companyId,
    clientId: h.sandbox.clientId,
    publicKey: h.sandbox.publicKey,
    privateKey: h.sandbox.privateKey,
  });
  await admin.post("/system/securityroles", { name: "IaC Reader" }, SecurityRoleSchema);
  await h.operator.setPermissions("IaC Reader", {
    "System/Security": { inquire: "All" },
    "System/Member Maintenance": { inquire: "All" },
    "System/My Company": { inquire: "All" },
  });
  await admin.post(
    "/system/apiMembers",
    { identifier: "IacReader", name: "IaC Reader", securityRole: { name: "IaC Reader" } },
    ApiMemberSchema,
  );
  const key = await h.operator.createApiKey("IacReader", "doctor");
  const made = await newClient(
    ["reader", "--site", h.sandbox.url, "--company", h.sandbox.companyId, "--client-id", h.sandbox.clientId],
    {
      cwd: projectDir,
      env: { ...env, CONNECTWISE_PUBLIC_KEY: key.publicKey, CONNECTWISE_PRIVATE_KEY: key.privateKey },
      stdin: new PassThrough(),
      out: () => undefined,
      err: (t) => process.stderr.write(t),
    },
  );
  expect(made).toBe(0);
  await h.operator.resetRequests();
  const result = await run(["--stack", "reader"]);
  expect(result.err).toBe("");
  expect(result.out).toMatch(/^PASS {2}authentication and clientId +.*as member "IacReader"/m);
  expect(result.out).toMatch(
    /^\?{4} {2}customize-item identifier format +the connection's member sees no Table Setup items/m,
  );
  expect(result.out).toMatch(/\n\d+ pass, 0 fail, 1 cannot tell\n$/);
  expect(result.code).toBe(2);
  await expectReadOnlyAndClean(result);
  for (const secret of [key.publicKey, key.privateKey]) expect((result.out + result.err).includes(secret)).toBe(false);
}, 120_000);

test("a function the catalog lacks on a role fails the names check and names it; exit 1", async () => {
  await h.operator.addExtraFunction("Elements By Hand", "Service Desk", "Ticket Robots", { inquire: "All" });
  await h.operator.resetRequests();
  const result = await run(["--stack", "acme"]);
  expect(result.err).toBe("");
  const failed = result.out.split("\n").filter((l) => l.startsWith("FAIL"));
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatch(
    /^FAIL {2}module and function names +names the catalog lacks: "Service Desk\/Ticket Robots" \(on Elements By Hand\)/,
  );
  expect(result.out).toMatch(/\n\d+ pass, 1 fail, 0 cannot tell\n$/);
  expect(result.code).toBe(1);
  await expectReadOnlyAndClean(result);
}, 120_000);

test("bad arguments are refused with exit 3, not taken for a verdict on the tenant", async () => {
  const result = await run(["--stack", "acme", "--bogus"]);
  expect(result.code).toBe(3);
  expect(result.err).toContain("doctor: Unknown option '--bogus'");
});

test("a key the tenant refuses fails authentication and leaves the rest untold; exit 1", async () => {
  await h.operator.revokeApiKey("admin", h.sandbox.publicKey); // last test: the sandbox's own key
  const result = await run(["--stack", "acme"]);
  expect(result.err).toBe("");
  expect(result.out).toMatch(/^PASS {2}codebase discovery/m);
  expect(result.out).toMatch(/^FAIL {2}authentication and clientId +ConnectWise 401 .* on GET \/system\/mySecurity/m);
  expect(result.out).toMatch(/^\?{4} {2}the other checks +they need an authenticated connection$/m);
  expect(result.code).toBe(1);
  await expectReadOnlyAndClean(result);
}, 120_000);
