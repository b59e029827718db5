// End to end, the operator loop with the real Pulumi CLI against the sandbox: the first `up` of a
// new client creates everything the published API can and fails ONCE with one checklist for the
// whole stack (also written as a runbook); the operator does it; the second `up` converges;
// `npm run checklist` reports pending steps read-only (exit 2, then 0); drift shows again (on a copy
// of the tier's shared converged tenant, test/e2e/tenantFixture.ts); and a
// role that would not grant the Table Setup level its allow-list needs is refused at preview.
import * as fs from "fs";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { createStack, PulumiEnvironment, pulumiEnvironment, previewJson, sandboxConnection } from "./e2e/pulumi";
import { Ran, run } from "./e2e/run";
import { TENANT_STACK, restoreTenant, tenantMember } from "./e2e/tenantFixture";
import { call } from "./sandbox-harness";
import { shippedPreset } from "../program/presets";

const elements = shippedPreset("elements");
const lifecycleManager = shippedPreset("lifecycle-manager");

const PROJECT = "connectwise-iac";
const PROJECT_DIR = path.resolve(__dirname, "..");
const STACK = "loop";
const BUILD_TIMEOUT_MS = 20 * 60_000;
const STEP_TIMEOUT_MS = 5 * 60_000;
/** A test that starts from the shared tenant may converge it first (once per run). */
const FIXTURE_STEP_TIMEOUT_MS = 15 * 60_000;

let env: PulumiEnvironment;
let sandbox: RunningSandbox;
let operator: SandboxConsole;
let stack: Stack;
const printed: string[] = [];
const secrets: string[] = [];
const onOutput = (line: string) => printed.push(line);
const closers: (() => Promise<void>)[] = [];
const runbookFile = path.join(PROJECT_DIR, "runbooks", `${STACK}.md`);

const member = tenantMember;

function connection() {
  return {
    ...sandboxConnection(sandbox),
  };
}

/** `pulumi up`: whether it succeeded, and what the CLI printed (stdout, once). */
async function up(s: Stack): Promise<{ ok: boolean; output: string }> {
  const lines: string[] = [];
  const ok = await s.up({ onOutput: (line) => (onOutput(line), lines.push(line)) }).then(
    () => true,
    () => false,
  );
  return { ok, output: lines.join("") };
}

/** A compiled command of ours as a user runs it (`npm run <script> -- ...`), in the stack's project dir. */
async function command(script: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<Ran> {
  const ran = await run(process.execPath, [path.join(PROJECT_DIR, "dist", ...script.slice(0, 1)), ...script.slice(1)], {
    cwd,
    env: { ...process.env, ...env.envVars, ...extraEnv },
  });
  printed.push(ran.stdout, ran.stderr);
  return ran;
}

/** `npm run checklist -- --stack <stack>`. */
function checklistCommand(cwd: string, extraEnv: Record<string, string> = {}, stackName = STACK) {
  return command([path.join("cli", "onboarding", "checklist.js"), "--stack", stackName], cwd, extraEnv);
}

let copies = 0;
/** A converged copy of the real-CLI tier's shared tenant (stack TENANT_STACK), for one test. */
async function convergedCopy() {
  const t = await restoreTenant(env, path.join(env.tempDir, `converged-${++copies}`));
  closers.push(() => t.sandbox.close());
  secrets.push(...t.secrets);
  printed.push(t.firstUp, t.secondUp);
  return t;
}

/** The request log's writes (the API plane only; the console's own calls are not logged). */
async function writes(op: SandboxConsole = operator): Promise<string[]> {
  return (await op.requests()).entries.filter((e) => e.method !== "GET").map((e) => `${e.method} ${e.path}`);
}

/** The checklist block as the engine printed it under Diagnostics: from its heading to the next-step line. */
function checklistBlock(output: string): string[] {
  const lines = output.split("\n");
  const start = lines.findIndex((l) => /^\s+error: Operator checklist for /.test(l));
  expect(start).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && /^\s+Next: /.test(l));
  expect(end).toBeGreaterThan(start);
  return lines.slice(start, end + 1).map((l) => l.replace(/^ {4}/, "").replace(/^error: /, ""));
}

beforeAll(async () => {
  expect(fs.existsSync(path.join(PROJECT_DIR, "dist", "cli", "onboarding", "checklist.js"))).toBe(true); // compiled first
  env = await pulumiEnvironment();
  sandbox = await startSandbox({ port: 0 });
  operator = new SandboxConsole(sandbox.consoleUrl);
  secrets.push(
    sandbox.privateKey,
    sandbox.publicKey,
    Buffer.from(`${sandbox.companyId}+${sandbox.publicKey}:${sandbox.privateKey}`).toString("base64"),
  );
  fs.rmSync(runbookFile, { force: true });
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  for (const close of closers.splice(0)) await close();
  await sandbox?.close();
  env?.dispose();
  fs.rmSync(runbookFile, { force: true });
  fs.rmSync(path.join(PROJECT_DIR, "runbooks", `${TENANT_STACK}.md`), { force: true });
});

afterEach(() => {
  // No credential in the state files, in anything the CLI or the checklist command printed, or in the runbook.
  const texts = [printed.join("\n")];
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? walk(p) : [p];
    });
  for (const file of walk(env.backendDir)) texts.push(fs.readFileSync(file, "utf8"));
  if (fs.existsSync(runbookFile)) texts.push(fs.readFileSync(runbookFile, "utf8"));
  for (const secret of secrets) for (const text of texts) expect(text.includes(secret)).toBe(false);
});

describe("a new client with Elements and Lifecycle Manager: two rounds", () => {
  // One test: each round acts on what the one before left (a new stack, then its pending steps).
  it(
    "the first up creates role, member and key of both, then fails once with one checklist for the stack; " +
      "`npm run checklist` lists the same steps (exit 2); after the operator's steps the second up converges",
    async () => {
      stack = await createStack({
        stackName: STACK,
        projectName: PROJECT,
        workDir: path.join(env.tempDir, STACK),
        env,
      });
      await stack.setAllConfig({
        ...connection(),
        [`${PROJECT}:integrations`]: {
          value: JSON.stringify([
            { kind: "elements", member: member("APIMember", "API member") },
            { kind: "lifecycle-manager", member: member("LMXMember") },
          ]),
        },
      });
      // Preview: a new role's steps are known before it exists (every level of a new role is None).
      const preview = await stack.preview({ onOutput });
      // One line per resource, pointing to the checklist: its steps are listed there, once.
      expect(preview.stdout).toContain(
        `SecurityRole ElementsAPI: needs the operator: ${Object.keys(elements.permissions).length} console steps ` +
          "on System > Security Roles > ElementsAPI (listed in the stack's operator checklist",
      );
      expect(preview.stdout).not.toContain("Finance > Agreements: set");

      const first = await up(stack);
      expect(first.ok).toBe(false);
      expect(first.output).not.toMatch(/errors occurred/);
      // One checklist, printed once in full.
      expect(first.output.match(/Next: do these in the Manage UI/g)).toHaveLength(1);
      const block = checklistBlock(first.output);
      expect(block[0]).toMatch(
        new RegExp(
          `^Operator checklist for stack ${STACK}: ${sandbox.companyId} at 127\\.0\\.0\\.1:\\d+ needs \\d+ console steps:$`,
        ),
      );
      // Numbered 1..N with no gap, one heading per role screen, Elements first (declared first).
      const numbers = block
        .map((l) => /^ {2}(\d+)\. /.exec(l)?.[1])
        .filter(Boolean)
        .map(Number);
      const steps = numbers.length;
      expect(numbers).toEqual(numbers.map((_n, i) => i + 1));
      expect(block[0]).toContain(` needs ${steps} console steps:`);
      const headings = block.filter((l) => l.startsWith("System > "));
      expect(headings).toEqual([
        "System > Security Roles > ElementsAPI",
        "System > Security Roles > LifecycleManagerAPI",
      ]);
      // Lifecycle Manager's function rows, each with all its levels (catalog order: Companies,
      // Service Desk, System), then its Table Setup list.
      const lm = block
        .slice(block.indexOf("System > Security Roles > LifecycleManagerAPI") + 1)
        .filter((l) => /^ {2}\d/.test(l));
      expect(lm.map((l) => l.replace(/^ {2}\d+\. /, ""))).toEqual([
        "Companies > Company Maintenance: set Inquire Level to All (now None)",
        "Service Desk > Service Tickets: set Add, Edit and Inquire Level to All (now None)",
        "System > Table Setup: set Inquire Level to All (now None)",
        "System > Table Setup > Customize: add 'Service / Service Board' in Allow access to these",
      ]);
      // One step per function row, one per role's list: Elements' rows and Lifecycle Manager's, plus its list.
      expect(steps).toBe(
        Object.keys(elements.permissions).length + Object.keys(lifecycleManager.permissions).length + 1,
      );
      // Every step printed once in the whole up: in the checklist, nowhere else (a row two roles
      // share reads the same under each role's heading).
      const checklistText = block.join("\n");
      for (const line of block.filter((l) => /^ {2}\d+\. /.test(l))) {
        const text = line.replace(/^ {2}\d+\. /, "");
        const times = (within: string) => within.split(text).length - 1;
        expect({ text, times: times(first.output) }).toEqual({ text, times: times(checklistText) });
      }
      expect(block).toContain(`Runbook: ${runbookFile}`);
      expect(block[block.length - 1]).toBe(
        `Next: do these in the Manage UI, then run \`pulumi up --stack ${STACK}\` again: it verifies them and converges. \`npm run checklist -- --stack ${STACK}\` lists what is still pending.`,
      );

      // Everything the API can create exists after this one round.
      const state = await operator.state();
      expect(state.roles.map((r) => r.name)).toEqual(expect.arrayContaining(["ElementsAPI", "LifecycleManagerAPI"]));
      expect(state.members.find((m) => m.identifier === "APIMember")?.securityRole?.name).toBe("ElementsAPI");
      expect(state.members.find((m) => m.identifier === "LMXMember")?.securityRole?.name).toBe("LifecycleManagerAPI");
      const outputs = (await stack.exportStack()).deployment.resources as { type: string; outputs?: any }[];
      const keys = outputs.filter((r) => r.type.endsWith(":ApiKey"));
      expect(keys).toHaveLength(2);
      // The minted private keys join the scan (decrypted stack outputs).
      const exported = await stack.outputs();
      for (const i of Object.values<{ privateKey?: string }>(exported.integrations?.value ?? {}))
        if (i.privateKey) secrets.push(i.privateKey);
      // Nothing dependent on the role's permissions is reported verified yet.
      const access = outputs.find((r) => r.type.endsWith(":TableSetupAccess"));
      expect(access?.outputs.verified).toEqual([]);

      // The runbook holds the same steps, as checkboxes.
      const runbook = fs.readFileSync(runbookFile, "utf8");
      expect(runbook).toContain(`# Operator checklist: stack ${STACK}`);
      expect(runbook.match(/^- \[ \] \d+\. /gm)).toHaveLength(steps);
      expect(runbook).toContain("## System > Security Roles > LifecycleManagerAPI");

      // `npm run checklist` lists the same steps with exit code 2, and writes nothing.
      await operator.resetRequests();
      const result = await checklistCommand(path.join(env.tempDir, STACK));
      expect(result.code).toBe(2);
      const numbered = result.stdout.split("\n").filter((l) => /^ {2}\d+\. /.test(l));
      expect(numbered).toHaveLength(steps);
      expect(result.stdout).toContain("System > Table Setup > Customize: add 'Service / Service Board'");
      // Screens in the order the stack declares its integrations, as up printed them.
      const elementsAt = result.stdout.indexOf("\nSystem > Security Roles > ElementsAPI\n");
      expect(elementsAt).toBeGreaterThan(0);
      expect(elementsAt).toBeLessThan(result.stdout.indexOf("\nSystem > Security Roles > LifecycleManagerAPI\n"));
      // The steps come as records, not as lines: under the SDK's own dynamic-provider server (no
      // URN in scope, lines on stderr under the stack) the command prints the very same checklist.
      const sdk = await checklistCommand(path.join(env.tempDir, STACK), { CW_IAC_SDK_PROVIDER: "1" });
      expect({ code: sdk.code, stdout: sdk.stdout }).toEqual({ code: 2, stdout: result.stdout });
      expect(await writes()).toEqual([]);

      // The sandbox plays the operator from the stack's state (`npm run sandbox -- operator`);
      // then the second up converges, and preview shows no changes.
      const played = await command(
        [path.join("sandbox", "main.js"), "operator", "--stack", STACK],
        path.join(env.tempDir, STACK),
      );
      expect(played.code).toBe(0);
      expect(played.stdout.split("\n").filter((l) => l.startsWith("  System > Security Roles > "))).toHaveLength(steps);
      const second = await up(stack);
      expect(second.ok).toBe(true);
      expect(fs.readFileSync(runbookFile, "utf8")).toContain("Nothing pending");
      const verified = ((await stack.exportStack()).deployment.resources as any[]).find((r) =>
        r.type.endsWith(":TableSetupAccess"),
      );
      expect(verified.outputs.verified).toEqual(["Service / Service Board"]);

      await operator.resetRequests();
      await stack.preview({ expectNoChanges: true, onOutput });
      const done = await checklistCommand(path.join(env.tempDir, STACK));
      expect(done.code).toBe(0);
      expect(done.stdout).toContain("Nothing pending");
      expect(await writes()).toEqual([]);
    },
    3 * STEP_TIMEOUT_MS,
  );

  it(
    "a level changed by hand fails preview --expect-no-changes again, as drift and as the operator's step",
    async () => {
      const { stack, operator, workDir } = await convergedCopy();
      await operator.setPermissions("ElementsAPI", { "Finance/Agreements": { add: "None" } });
      const failed = await stack.preview({ expectNoChanges: true, onOutput }).then(
        () => "",
        (error: Error) => error.message,
      );
      expect(failed).toContain("SecurityRole ElementsAPI: drift: Finance/Agreements add: None => All");
      expect(failed).toContain(
        "SecurityRole ElementsAPI: needs the operator: 1 console step on System > Security Roles > ElementsAPI (listed in the stack's operator checklist",
      );
      // preview --json ties both to the role: its step (update, the level in the detailed diff)
      // and its diagnostics carry the role's URN.
      const { json, stdout, stderr } = await previewJson(env, TENANT_STACK, workDir);
      printed.push(stdout, stderr);
      const role = (json.steps as { op: string; urn: string; detailedDiff?: object }[]).find((s) =>
        s.urn.endsWith("SecurityRole::elements-role"),
      )!;
      expect(role.op).toBe("update");
      expect(role.detailedDiff).toEqual({
        'permissions["Finance/Agreements"].add': { kind: "update", inputDiff: false },
      });
      const roleLines = (json.diagnostics as { urn?: string; message: string }[]).filter((d) =>
        d.message.includes("SecurityRole ElementsAPI: drift: Finance/Agreements add"),
      );
      expect(roleLines.map((d) => d.urn)).toEqual([role.urn]);

      const result = await checklistCommand(workDir, {}, TENANT_STACK);
      expect(result.code).toBe(2);
      expect(result.stdout).toContain("  1. Finance > Agreements: set Add Level to All (now None)");
    },
    FIXTURE_STEP_TIMEOUT_MS,
  );
});

describe("requests of a converged Elements + Lifecycle Manager tenant", () => {
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

  it(
    "a no-op preview sends 6 reads (per role its settings, per member its record, per key one call as the key, " +
      "which is the Table Setup check too); refresh 8 (a role's record too), nothing twice; member and key drift still show",
    async () => {
      const { stack, operator, sandbox } = await convergedCopy();
      /** What the sandbox logged since the last reset: "METHOD /path" counts (ids as {id}). */
      const logged = async () => (await operator.requests()).counts;
      await operator.resetRequests();
      await stack.preview({ expectNoChanges: true, onOutput });
      const preview = await logged();
      expect(preview).toEqual({
        "GET /system/securityRoles/{id}/settings": 2,
        "GET /system/apiMembers/{id}": 2,
        "GET /system/mySecurity/customizeItems": 2,
      });
      expect(total(preview)).toBe(6);

      // Refresh: each resource read once; a role's name lives on its own record, so a role is its
      // record and its settings, sent together. Nothing is read twice, and nothing is written.
      await operator.resetRequests();
      await stack.previewRefresh({ onOutput });
      expect(await logged()).toEqual({
        "GET /system/securityroles/{id}": 2,
        "GET /system/securityRoles/{id}/settings": 2,
        "GET /system/apiMembers/{id}": 2,
        "GET /system/mySecurity/customizeItems": 2,
      });

      // A member renamed by hand and Lifecycle Manager's key revoked: both show, still 6 reads at most.
      const [lmx] = (
        await call(sandbox, `/system/apiMembers?conditions=${encodeURIComponent('identifier="LMXMember"')}`)
      ).body as { id: number }[];
      const renamed = await call(sandbox, `/system/apiMembers/${lmx.id}`, {
        method: "PATCH",
        body: [{ op: "replace", path: "name", value: "Renamed By Hand" }],
      });
      expect(renamed.status).toBe(200);
      const key = ((await stack.exportStack()).deployment.resources as { type: string; outputs?: any }[]).find(
        (r) => r.type.endsWith(":ApiKey") && r.outputs?.member === "LMXMember",
      )!;
      await operator.revokeApiKey("LMXMember", key.outputs.publicKey);
      await operator.resetRequests();
      const drifted = await stack.preview({ onOutput });
      expect(drifted.stdout).toContain("ApiMember LMXMember: drift: name: Renamed By Hand => LMXMember");
      expect(drifted.stdout).toContain(
        "ApiKey for member LMXMember: drift: key: revoked (answers 401) => authenticates; up mints a new key",
      );
      // The key is replaced, so its Table Setup access waits for the new key: nothing more is read
      // (after the 401, one read of the key's member: an inactive member's key answers 401 too).
      expect(total(await logged())).toBeLessThanOrEqual(7);
      expect(await writes(operator)).toEqual([]);

      // up repairs both (new key, member renamed back) and converges.
      expect((await up(stack)).ok).toBe(true);
      await stack.preview({ expectNoChanges: true, onOutput });
      const exported = await stack.outputs();
      for (const i of Object.values<{ privateKey?: string }>(exported.integrations?.value ?? {}))
        if (i.privateKey) secrets.push(i.privateKey);
    },
    FIXTURE_STEP_TIMEOUT_MS,
  );
});

describe("a Table Setup allow-list on a role that does not grant Table Setup", () => {
  it(
    "through an Integration whose definition lacks the level: refused at preview, naming the integration, before any request",
    async () => {
      // Definitions loaded from files are refused earlier (program/definition.ts); a component
      // built from a definition in code reaches TableSetupAccess.check(). A program of its own,
      // run by the CLI's language host (an inline one would leave the aborted component's calls
      // behind in this process).
      const programDir = path.join(env.tempDir, "contradiction-program");
      const modules = path.join(programDir, "node_modules");
      fs.mkdirSync(modules, { recursive: true });
      for (const name of fs.readdirSync(path.join(PROJECT_DIR, "node_modules")))
        fs.symlinkSync(path.join(PROJECT_DIR, "node_modules", name), path.join(modules, name));
      fs.symlinkSync(PROJECT_DIR, path.join(modules, "connectwise-iac"), "dir");
      fs.writeFileSync(
        path.join(programDir, "Pulumi.yaml"),
        "name: lib-contradiction\nruntime: nodejs\nmain: index.js\n",
      );
      fs.writeFileSync(
        path.join(programDir, "package.json"),
        JSON.stringify({ name: "lib-contradiction", private: true }),
      );
      fs.writeFileSync(
        path.join(programDir, "index.js"),
        `const { Integration, OperatorChecklist } = require("connectwise-iac");
const integration = new Integration(
  {
    id: "no-tables",
    integration: "No Tables",
    roleName: "NoTablesAPI",
    permissions: { "Service Desk/Service Tickets": { inquire: "All" } },
    tableSetup: ["Service / Service Board"],
    keyDescription: "No Tables",
    sources: [],
  },
  "no-tables",
  { member: ${JSON.stringify(member("NoTables"))} },
);
new OperatorChecklist("checklist", { resources: integration.consoleWork });
`,
      );
      const lib = await createStack({
        stackName: "contradiction",
        projectName: "lib-contradiction",
        workDir: path.join(env.tempDir, "contradiction"),
        programDir,
        env,
      });
      await lib.setAllConfig(connection());
      await operator.resetRequests();
      const failed = await lib.preview({ onOutput }).then(
        () => "",
        (error: Error) => error.message,
      );
      // The component resolves its definition first (program/resolve.ts) and refuses it there,
      // before any resource is declared.
      expect(failed).toContain(
        'integration "no-tables" with no options: its Table Setup entries need System/Table Setup inquire All, the selection grants None; add "System/Table Setup": { inquire: "All" }',
      );
      expect(await writes()).toEqual([]);
    },
    STEP_TIMEOUT_MS,
  );
});
