// End to end, with the real Pulumi CLI against the sandbox: creates whose answer was lost, and an
// `up` killed (SIGKILL) between the remote write and the state save, converge on the next `up`
// without adopt and without a second object; a role or member a person or another stack made is
// not taken over; a token POST without an answer is reported (member, time, where to revoke; the
// last four characters are not known) and listed in the runbook. Objects are counted through the
// sandbox; the state files and all output are scanned for credentials.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { createStack, PulumiEnvironment, pulumiEnvironment, sandboxConnection } from "./e2e/pulumi";
import { Ran, run } from "./e2e/run";
import { Keys, call } from "./sandbox-harness";

const PROJECT = "recovery-e2e";
const projectDir = path.resolve(__dirname, "..");
const BUILD_TIMEOUT_MS = 20 * 60_000; // the first run may build the Pulumi CLI from Go modules
const STEP_TIMEOUT_MS = 5 * 60_000;

let env: PulumiEnvironment;
let sandbox: RunningSandbox;
let operator: SandboxConsole;
let programDir: string;
let person: Keys;
const printed: string[] = [];
const secrets: string[] = [];
const onOutput = (line: string) => printed.push(line);

// A role, its member, the member's key and the checklist (runbook) over the role and the key.
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { SecurityRole } = require("./dist/resources/securityRole");
const { ApiMember } = require("./dist/resources/apiMember");
const { ApiKey } = require("./dist/resources/apiKey");
const { OperatorChecklist } = require("./dist/resources/operatorChecklist");
const config = new pulumi.Config();
const names = config.requireObject("names");
const role = new SecurityRole("role", { name: names.role, permissions: {} });
const member = new ApiMember("member", {
  identifier: names.member, name: "Recovery", email: "it@acme.example", securityRole: role.name,
  level: "Corporate", businessUnit: "Admin", location: "Main", defaultTerritory: "Main",
});
const key = new ApiKey("key", { member: member.identifier, description: "Recovery key" });
new OperatorChecklist("checklist", { resources: [role, key], runbook: config.require("runbook") });
exports.roleId = role.roleId;
exports.memberId = member.memberId;
exports.publicKey = key.publicKey;
exports.privateKey = key.privateKey; // a secret: must appear only as ciphertext
`;

/** The project's provider server, as its own Pulumi.yaml declares it (dist/ is linked below). */
const PROVIDER_PLUGIN = "plugins:\n  providers:\n    - name: pulumi-nodejs\n      path: dist/pulumi-runtime/plugin\n";

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

const workDir = (stackName: string) => path.join(env.tempDir, stackName);
const runbookOf = (stackName: string) => path.join(env.tempDir, "runbooks", `${stackName}.md`);

async function recoveryStack(stackName: string, names: { role: string; member: string }): Promise<Stack> {
  const stack = await createStack({ stackName, projectName: PROJECT, workDir: workDir(stackName), programDir, env });
  await stack.setAllConfig({
    ...sandboxConnection(sandbox),
    [`${PROJECT}:names`]: { value: JSON.stringify(names) },
    [`${PROJECT}:runbook`]: { value: runbookOf(stackName) },
  });
  return stack;
}

/** The CLI itself in the stack's work dir (as an operator types it); resolves with its exit code and output. */
async function pulumi(stackName: string, args: string[]): Promise<Ran> {
  const ran = await run(path.join(env.binDir, "pulumi"), [...args, "--stack", stackName, "--non-interactive"], {
    cwd: workDir(stackName),
    env: { ...process.env, ...env.envVars },
  });
  printed.push(ran.output);
  return ran;
}

/** How many roles (by name) or members (by identifier) the sandbox holds under `name`. */
async function count(kind: "roles" | "members", name: string): Promise<number> {
  const state = await operator.state();
  const keys = kind === "roles" ? state.roles.map((r) => r.name) : state.members.map((m) => m.identifier);
  return keys.filter((key) => key.toLowerCase() === name.toLowerCase()).length;
}

const tokensOf = async (member: string) =>
  (await operator.state()).keys.filter((k) => k.member === member && k.kind === "token");

/** An up's failure (the Automation API rejects with the CLI's output in the message). */
async function failedUp(stack: Stack): Promise<string> {
  const error = await stack.up({ onOutput }).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(error).toBeDefined();
  return String(error?.message);
}

/** Every process below `root` (from /proc). */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // ended meanwhile
    }
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const [child, parent] of parents) {
      if (parent !== pid) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

beforeAll(async () => {
  expect(fs.existsSync(path.join(projectDir, "dist", "resources", "apiKey.js"))).toBe(true); // `npm test` compiles first
  env = await pulumiEnvironment();
  programDir = path.join(env.tempDir, "program");
  writeProgram(programDir);
  sandbox = await startSandbox({ port: 0, tokenLifetimeSeconds: 30 * 86400 });
  operator = new SandboxConsole(sandbox.consoleUrl);
  secrets.push(
    sandbox.privateKey,
    sandbox.publicKey,
    Buffer.from(`${sandbox.companyId}+${sandbox.publicKey}:${sandbox.privateKey}`).toString("base64"),
  );
  // Someone working in Manage with a key of their own.
  const made = await call(sandbox, "/system/apiMembers", {
    method: "POST",
    body: { identifier: "person", name: "A Person", securityRole: { name: "Admin" } },
  });
  expect(made.status).toBe(201);
  person = await operator.createApiKey("person", "Person's key");
  secrets.push(person.privateKey);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await sandbox?.close();
  env?.dispose();
});

afterEach(async () => {
  await operator.setFaults({ loseAnswers: [], latencyMs: 0 });
  const texts = [...filesUnder(env.backendDir).map((f) => fs.readFileSync(f, "utf8")), printed.join("\n")];
  for (const secret of secrets) for (const text of texts) expect(text.includes(secret)).toBe(false);
});

describe("recovery through the Pulumi CLI", () => {
  it(
    "lost answers: role and member are recovered in the same up; the token is reported, and the next up converges",
    async () => {
      const stack = await recoveryStack("lost", { role: "Lost Role", member: "LostMember" });
      await operator.loseAnswers(
        { method: "POST", path: "/system/securityroles" },
        { method: "POST", path: "/system/apiMembers", reply: "502" },
        { method: "POST", path: "/system/members/*/tokens" },
      );
      const message = await failedUp(stack);
      expect(printed.join("\n")).toContain(
        "SecurityRole Lost Role: the answer to the POST that creates the role was lost",
      );
      expect(printed.join("\n")).toContain(
        "ApiMember LostMember: the answer to the POST that creates the member was lost",
      );
      const [attempt] = await tokensOf("LostMember");
      expect(message).toContain("ApiKey for member LostMember: the token POST got no answer");
      expect(message).toMatch(
        /System > Members > API Members > LostMember > API Keys: revoke the key minted at about \d{4}-\d\d-\d\dT[\d:.]+Z if it is there \(last 4 characters not known/,
      );
      // The token was minted (the sandbox acted): its public key is not in what the stack printed.
      expect(attempt).toBeDefined();
      expect(printed.join("\n")).not.toContain(attempt.publicKey);
      expect(await count("roles", "Lost Role")).toBe(1);
      expect(await count("members", "LostMember")).toBe(1);

      // The next preview says so before up mints another.
      const preview = await stack.preview({ onOutput });
      expect(preview.stdout).toContain(
        "ApiKey for member LostMember: unanswered token: a key may exist that this stack never received",
      );
      expect(preview.stdout).toContain("ApiKey for member LostMember: no key in the state");
      const up = await stack.up({ onOutput });
      expect(up.summary.result).toBe("succeeded");
      expect(up.outputs.privateKey.secret).toBe(true);
      secrets.push(up.outputs.privateKey.value as string); // scanned for in the state and output below
      expect(up.stdout).toContain("ApiKey for member LostMember: unanswered token:");
      expect(await tokensOf("LostMember")).toHaveLength(2);
      expect(await count("roles", "Lost Role")).toBe(1);
      expect(await count("members", "LostMember")).toBe(1);
      expect(up.outputs.publicKey.value).not.toBe(attempt.publicKey);
      const runbook = fs.readFileSync(runbookOf("lost"), "utf8");
      expect(runbook).toContain("## API keys that may exist without the stack knowing them");
      expect(runbook).toMatch(
        /- \[ \] System > Members > API Members > LostMember > API Keys: revoke the key minted at about .* stops working by .* at the latest\)/,
      );
      // Converged: nothing left to change (the notice still shows).
      const again = await stack.preview({ expectNoChanges: true, onOutput });
      expect(again.stdout).toContain("ApiKey for member LostMember: unanswered token:");
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "an up killed between the role's POST and the state save: cancel, refresh --clear-pending-creates, up converge",
    async () => {
      await recoveryStack("killed", { role: "Killed Role", member: "KilledMember" });
      // The role POST is carried out and never answered: the up hangs there until it is killed.
      await operator.loseAnswers({ method: "POST", path: "/system/securityroles", reply: "hang" });
      const child = spawn(path.join(env.binDir, "pulumi"), ["up", "--yes", "--stack", "killed", "--non-interactive"], {
        cwd: workDir("killed"),
        env: { ...process.env, ...env.envVars },
        detached: true,
        stdio: "ignore",
      });
      const exited = new Promise((resolve) => child.on("exit", resolve));
      for (let i = 0; i < 600 && (await count("roles", "Killed Role")) === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await count("roles", "Killed Role")).toBe(1);
      process.kill(-child.pid!, "SIGKILL"); // the CLI and its plugins, as a crash would
      await exited;

      const cancel = await pulumi("killed", ["cancel", "--yes"]);
      expect(cancel.code).toBe(0);
      // What the dead run was creating (the README's way to see it before clearing it).
      const exported = await pulumi("killed", ["stack", "export"]);
      const pending = JSON.parse(exported.output).deployment.pending_operations;
      expect(pending).toEqual([
        expect.objectContaining({
          type: "creating",
          resource: expect.objectContaining({ urn: expect.stringMatching(/SecurityRole::role$/) }),
        }),
      ]);
      const refresh = await pulumi("killed", ["refresh", "--clear-pending-creates", "--yes"]);
      expect(refresh.code).toBe(0);
      const cleared = await pulumi("killed", ["stack", "export"]);
      expect(JSON.parse(cleared.output).deployment.pending_operations ?? []).toEqual([]);
      const up = await pulumi("killed", ["up", "--yes"]);
      // The dead run's provider recorded the POST in the create journal first: that record is the evidence.
      expect(up.output).toMatch(
        new RegExp(
          `SecurityRole Killed Role: takes back role \\d+: the POST that made it was recorded by ${PROJECT}/killed/role \\(process \\d+ on `,
        ),
      );
      expect(up.code).toBe(0);
      expect(await count("roles", "Killed Role")).toBe(1);
      expect(await count("members", "KilledMember")).toBe(1);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "the provider killed (-9) during the ApiKey's token POST: the next preview and up report the key it may have minted, and the runbook lists it",
    async () => {
      await recoveryStack("killedkey", { role: "KilledKey Role", member: "KilledKeyMember" });
      // The token POST is carried out (a token is minted) and never answered.
      await operator.loseAnswers({ method: "POST", path: "/system/members/*/tokens", reply: "hang" });
      const child = spawn(
        path.join(env.binDir, "pulumi"),
        ["up", "--yes", "--stack", "killedkey", "--non-interactive"],
        { cwd: workDir("killedkey"), env: { ...process.env, ...env.envVars }, detached: true, stdio: "ignore" },
      );
      const exited = new Promise((resolve) => child.on("exit", resolve));
      for (let i = 0; i < 600 && (await tokensOf("KilledKeyMember")).length === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await tokensOf("KilledKeyMember")).toHaveLength(1);
      const providers = descendants(child.pid!).filter((pid) => cmdline(pid).includes("providerServer"));
      expect(providers.length).toBeGreaterThan(0);
      for (const pid of providers) process.kill(pid, "SIGKILL"); // the provider alone, as the kill -9
      await exited;
      await operator.setFaults({ loseAnswers: [] });

      const preview = await pulumi("killedkey", ["preview"]);
      expect(preview.code).toBe(0);
      expect(preview.output).toContain(
        `ApiKey for member KilledKeyMember: token of a run that died: a key may have been minted by ${PROJECT}/killedkey/key (process `,
      );
      expect(preview.output).toContain(
        "System > Members > API Members > KilledKeyMember > API Keys: revoke the key minted at about",
      );
      const up = await pulumi("killedkey", ["up", "--yes"]);
      expect(up.code).toBe(0);
      expect(up.output).toContain("ApiKey for member KilledKeyMember: token of a run that died");
      // Two live tokens, and the stack knows both: its key, and the died run's in the runbook.
      expect(await tokensOf("KilledKeyMember")).toHaveLength(2);
      expect(fs.readFileSync(runbookOf("killedkey"), "utf8")).toMatch(
        /- \[ \] System > Members > API Members > KilledKeyMember > API Keys: revoke the key minted at about \S+Z if it is there/,
      );
      const again = await pulumi("killedkey", ["preview"]);
      expect(again.output).not.toContain("token of a run that died");
      expect(again.output).toContain("ApiKey for member KilledKeyMember: unanswered token:");
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "a role a person made, or a member another stack manages, is not taken over: the up says why and what to do",
    async () => {
      expect(
        (await call(sandbox, "/system/securityroles", { method: "POST", body: { name: "Person Role" }, keys: person }))
          .status,
      ).toBe(201);
      const foreign = await recoveryStack("foreign", { role: "Person Role", member: "ForeignMember" });
      const message = await failedUp(foreign);
      expect(message).toContain(`SecurityRole "Person Role" already exists on`);
      expect(message).toContain(
        `is not provably this stack's own: the create journal on this machine holds no POST of ${PROJECT}/foreign/role that made it; it was entered by "person", not by "admin"`,
      );
      expect(message).toContain("set adopt: true to take it over");
      expect(await count("roles", "Person Role")).toBe(1);
      expect(await count("members", "ForeignMember")).toBe(0);

      // Another stack declaring the "lost" stack's member: refused, naming the owner.
      const other = await recoveryStack("other", { role: "Other Role", member: "LostMember" });
      const refused = await other.preview({ onOutput }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(String(refused?.message)).toContain(`is managed by another stack: ${PROJECT}/lost/member`);
      expect(await count("members", "LostMember")).toBe(1);
      expect(await count("roles", "Other Role")).toBe(0);
    },
    STEP_TIMEOUT_MS,
  );
});
