// End to end, with the real Pulumi CLI (Automation API, local file backend) against the sandbox:
// member drift shows in preview without a refresh and `preview --json` ties it to the member's
// resource; key drift (revoked, due for rotation) shows too; destroy releases an adopted member
// untouched; declaring a destroyed member again reactivates it; a second stack declaring the same
// member is refused, naming the owner.
// The program is a small local one over the compiled resources (dist/, `npm test` builds it), so
// the CLI itself can also run it for `pulumi preview --json`.
import * as fs from "fs";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import {
  createStack,
  PulumiEnvironment,
  pulumiEnvironment,
  previewJson as previewJsonOf,
  sandboxConnection,
} from "./e2e/pulumi";
import { call } from "./sandbox-harness";

const PROJECT = "adopt-e2e";
const projectDir = path.resolve(__dirname, "..");
const BUILD_TIMEOUT_MS = 20 * 60_000; // the first run may build the Pulumi CLI from Go modules
const STEP_TIMEOUT_MS = 5 * 60_000;

let env: PulumiEnvironment;
let sandbox: RunningSandbox;
let programDir: string;
const printed: string[] = [];
const secrets: string[] = [];
const onOutput = (line: string) => printed.push(line);

// Declares the members in this stack's `members` config, [{resource, ...ApiMember args}], and the
// keys in `keys`, [{resource, memberResource, ...ApiKey args}] (a key follows its member).
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { ApiMember } = require("./dist/resources/apiMember");
const { ApiKey } = require("./dist/resources/apiKey");
const config = new pulumi.Config();
const members = {};
for (const { resource, ...args } of config.requireObject("members")) members[resource] = new ApiMember(resource, args);
exports.memberIds = Object.values(members).map((m) => m.memberId);
exports.publicKeys = (config.getObject("keys") || []).map(
  ({ resource, memberResource, ...args }) =>
    new ApiKey(resource, { ...args, member: members[memberResource].identifier }).publicKey,
);
`;

/** The project's provider server, as its own Pulumi.yaml declares it (dist/ is linked below). */
const PROVIDER_PLUGIN = "plugins:\n  providers:\n    - name: pulumi-nodejs\n      path: dist/pulumi-runtime/plugin\n";

/** The program directory: the compiled package under its own name, so the provider finds dist/ from its cwd. */
function writeProgram(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    `name: ${PROJECT}\nruntime: nodejs\nmain: index.js\n${PROVIDER_PLUGIN}`,
  );
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "connectwise-iac", private: true }));
  fs.writeFileSync(path.join(dir, "index.js"), PROGRAM);
  fs.symlinkSync(path.join(projectDir, "node_modules"), path.join(dir, "node_modules"), "dir");
  fs.symlinkSync(path.join(projectDir, "dist"), path.join(dir, "dist"), "dir");
}

function member(resource: string, identifier: string, extra: Record<string, unknown> = {}) {
  return {
    resource,
    identifier,
    name: "API member",
    email: "it@acme.example",
    securityRole: "E2E Role",
    level: "Corporate",
    businessUnit: "Admin",
    location: "Main",
    defaultTerritory: "Main",
    ...extra,
  };
}

async function memberStack(stackName: string, members: unknown[], keys: unknown[] = []): Promise<Stack> {
  const stack = await createStack({
    stackName,
    projectName: PROJECT,
    workDir: path.join(env.tempDir, stackName),
    programDir,
    env,
  });
  await stack.setAllConfig({
    ...sandboxConnection(sandbox),
    [`${PROJECT}:members`]: { value: JSON.stringify(members) },
    [`${PROJECT}:keys`]: { value: JSON.stringify(keys) },
  });
  return stack;
}

/** `pulumi preview --json` of a stack of this suite; what it printed is scanned like the rest. */
async function previewJson(stackName: string): Promise<{ code: number; json: any; stderr: string }> {
  const result = await previewJsonOf(env, stackName, path.join(env.tempDir, stackName));
  printed.push(result.stdout, result.stderr);
  return result;
}

async function liveMember(identifier: string): Promise<any> {
  const res = await call(sandbox, `/system/apiMembers?conditions=${encodeURIComponent(`identifier="${identifier}"`)}`);
  expect(res.status).toBe(200);
  return res.body[0];
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

beforeAll(async () => {
  expect(fs.existsSync(path.join(projectDir, "dist", "resources", "apiMember.js"))).toBe(true); // `npm test` compiles first
  env = await pulumiEnvironment();
  programDir = path.join(env.tempDir, "program");
  writeProgram(programDir);
  // Tokens that outlive the default rotateBefore (7d).
  sandbox = await startSandbox({ port: 0, tokenLifetimeSeconds: 30 * 86400 });
  secrets.push(
    sandbox.privateKey,
    sandbox.publicKey,
    Buffer.from(`${sandbox.companyId}+${sandbox.publicKey}:${sandbox.privateKey}`).toString("base64"),
  );
  expect((await call(sandbox, "/system/securityroles", { method: "POST", body: { name: "E2E Role" } })).status).toBe(
    201,
  );
  // A member someone made by hand in Manage: no stack's marker.
  const hand = await call(sandbox, "/system/apiMembers", {
    method: "POST",
    body: {
      identifier: "HandMember",
      name: "Hand Made",
      emailAddress: "someone@acme.example",
      securityRole: { name: "E2E Role" },
      structureLevel: { id: 1 },
      defaultDepartment: { id: 10 },
      securityLocation: { id: 1 },
      defaultLocation: { id: 1 },
      salesDefaultLocation: { id: 1 },
    },
  });
  expect(hand.status).toBe(201);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await sandbox?.close();
  env?.dispose();
});

afterEach(() => {
  // Raw state files and everything the CLI printed (provider output included).
  const texts = [...filesUnder(env.backendDir).map((f) => fs.readFileSync(f, "utf8")), printed.join("\n")];
  for (const secret of secrets) for (const text of texts) expect(text.includes(secret)).toBe(false);
});

describe("member drift and adoption through the Pulumi CLI", () => {
  let alpha: Stack;
  const alphaMembers = [
    member("APIMember", "APIMember"),
    member("Adopted", "HandMember", { name: "Hand Made", adopt: true }),
  ];

  it(
    "preview announces the adoption; up adopts and creates; an unchanged program previews as no change",
    async () => {
      alpha = await memberStack("alpha", alphaMembers);
      const hand = await liveMember("HandMember");
      const preview = await alpha.preview({ onOutput });
      expect(preview.stdout).toContain(
        `ApiMember HandMember: adopts existing member ${hand.id} (active); up will change: email, notes`,
      );
      const up = await alpha.up({ onOutput });
      expect(up.summary.result).toBe("succeeded");
      expect((await liveMember("HandMember")).notes).toBe(
        `managed by connectwise-iac: ${PROJECT}/alpha/Adopted (adopted)`,
      );
      expect((await liveMember("APIMember")).notes).toBe(`managed by connectwise-iac: ${PROJECT}/alpha/APIMember`);
      await alpha.preview({ expectNoChanges: true, onOutput });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "a member changed by hand shows in preview without a refresh, tied to its resource; up repairs it",
    async () => {
      const apiMember = await liveMember("APIMember");
      const patched = await call(sandbox, `/system/apiMembers/${apiMember.id}`, {
        method: "PATCH",
        body: [
          { op: "replace", path: "emailAddress", value: "x@y.example" },
          { op: "replace", path: "inactiveFlag", value: true },
        ],
      });
      expect(patched.status).toBe(200);

      const preview = await alpha.preview({ onOutput });
      expect(preview.stdout).toContain("ApiMember APIMember: drift: email: x@y.example => it@acme.example");
      expect(preview.stdout).toContain("ApiMember APIMember: drift: inactive => active");
      expect(preview.changeSummary).toMatchObject({ update: 1 });
      await expect(alpha.preview({ expectNoChanges: true, onOutput })).rejects.toThrow();

      const { json } = await previewJson("alpha");
      const steps: { op: string; urn: string }[] = json.steps ?? [];
      const changed = steps.filter((step) => step.op !== "same");
      expect(changed).toHaveLength(1);
      const urn = changed[0].urn;
      expect(urn).toMatch(/connectwise:ApiMember::APIMember$/);
      expect(changed[0].op).toBe("update");
      // The drift lines are diagnostics attached to the member (our provider server sends them to
      // the engine with the URN of the call), not stack-level stderr.
      const diagnostics: { message: string; urn?: string }[] = json.diagnostics ?? [];
      const driftLines = diagnostics.filter((d) => d.message.includes("ApiMember APIMember: drift:"));
      expect(driftLines.length).toBeGreaterThan(0);
      for (const diagnostic of driftLines) expect(diagnostic.urn).toBe(urn);

      const up = await alpha.up({ onOutput });
      expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
      expect(await liveMember("APIMember")).toMatchObject({ emailAddress: "it@acme.example", inactiveFlag: false });
      await alpha.preview({ expectNoChanges: true, onOutput });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "a key that no longer authenticates, or is due for rotation, shows in preview; up mints a new one",
    async () => {
      const key = { resource: "APIMemberKey", memberResource: "APIMember", description: "Integration key" };
      alpha = await memberStack("alpha", alphaMembers, [key]);
      const [publicKey] = (await alpha.up({ onOutput })).outputs.publicKeys.value as string[];
      await alpha.preview({ expectNoChanges: true, onOutput });

      await new SandboxConsole(sandbox.consoleUrl).revokeApiKey("APIMember", publicKey);
      const revoked = await alpha.preview({ onOutput });
      expect(revoked.stdout).toContain(
        "ApiKey for member APIMember: drift: key: revoked (answers 401) => authenticates; up mints a new key",
      );
      expect(revoked.changeSummary).toMatchObject({ replace: 1 });
      const [minted] = (await alpha.up({ onOutput })).outputs.publicKeys.value as string[];
      expect(minted).not.toBe(publicKey);
      await alpha.preview({ expectNoChanges: true, onOutput });

      // Tokens live 30 days here: a rotateBefore of 40 days makes this one due now.
      alpha = await memberStack("alpha", alphaMembers, [{ ...key, rotateBefore: "40d" }]);
      const due = await alpha.preview({ onOutput });
      expect(due.stdout).toMatch(
        /ApiKey for member APIMember: drift: expires \d{4}-\d{2}-\d{2} \(within rotateBefore 40d\): up will rotate it/,
      );
      alpha = await memberStack("alpha", alphaMembers, [key]);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "a second stack declaring the same member is refused, naming the owner",
    async () => {
      const beta = await memberStack("beta", [member("Member", "APIMember", { adopt: true })]);
      const error = await beta.preview({ onOutput }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error).toBeDefined();
      expect(String(error?.message)).toContain(`is managed by another stack: ${PROJECT}/alpha/APIMember`);
      expect((await liveMember("APIMember")).notes).toBe(`managed by connectwise-iac: ${PROJECT}/alpha/APIMember`);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "destroy releases the adopted member untouched and deactivates its own; declaring it again reactivates it",
    async () => {
      const handBefore = await liveMember("HandMember");
      const ownId = (await liveMember("APIMember")).id;
      const destroy = await alpha.destroy({ onOutput });
      expect(destroy.summary.result).toBe("succeeded");
      expect(destroy.stdout).toContain(`ApiMember HandMember: released as it is: member ${handBefore.id} was adopted`);
      // Untouched but for its marker, which now says the stack released it.
      const handAfter = await liveMember("HandMember");
      expect(handAfter.notes).toMatch(/^released by connectwise-iac: adopt-e2e\/alpha\/\S+ \(adopted\) at \S+Z$/);
      expect({ ...handAfter, notes: undefined, _info: undefined }).toEqual({
        ...handBefore,
        notes: undefined,
        _info: undefined,
      });
      const released = await liveMember("APIMember");
      expect(released.inactiveFlag).toBe(true);
      expect(released.notes).toMatch(
        new RegExp(`^released by connectwise-iac: ${PROJECT}/alpha/APIMember at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z$`),
      );

      // Released: another stack declaring it (adopt: true) is not refused; preview names the take-over.
      const gamma = await memberStack("gamma", [member("Member", "APIMember", { adopt: true })]);
      const betaPreview = await gamma.preview({ onOutput });
      expect(betaPreview.stdout).toContain(`ApiMember APIMember: adopts existing member ${ownId} (inactive)`);
      expect(betaPreview.stdout).not.toContain("managed by another stack");

      // The same member declared again (no adopt): the stack's own member comes back.
      alpha = await memberStack("alpha", [member("APIMember", "APIMember")]);
      const preview = await alpha.preview({ onOutput });
      expect(preview.stdout).toContain(
        `ApiMember APIMember: takes back its own member ${ownId} (inactive); up will change: notes, active`,
      );
      const up = await alpha.up({ onOutput });
      expect(up.summary.result).toBe("succeeded");
      expect(up.outputs.memberIds.value).toEqual([ownId]);
      expect(await liveMember("APIMember")).toMatchObject({
        id: ownId,
        inactiveFlag: false,
        notes: `managed by connectwise-iac: ${PROJECT}/alpha/APIMember`,
      });
    },
    STEP_TIMEOUT_MS,
  );
});
