// End to end: shared state for a team. The project's real program, the real Pulumi CLI and
// `node dist/cli/fleet/fleet.js`, with the state and the locks in an S3 bucket (moto's S3 server on
// loopback, see test/e2e/s3.ts) instead of a file backend, against one sandbox tenant. Two
// checkouts (own directory, own PULUMI_HOME) share the bucket, as two team members or a CI job
// and a laptop would. After each step, every object in the bucket and every line printed are
// scanned for credentials.
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { FleetReport } from "../cli/fleet/fleetReport";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { PulumiEnvironment, pulumiEnvironment, sandboxConnection } from "./e2e/pulumi";
import { run } from "./e2e/run";
import { DUMMY_AWS_SECRET_ACCESS_KEY, S3Server, startS3Server } from "./e2e/s3";
import { tenantMember } from "./e2e/tenantFixture";
import { shippedPreset } from "../program/presets";

const elements = shippedPreset("elements");

const ROOT = path.resolve(__dirname, "..");
const FLEET = path.join(ROOT, "dist", "cli", "fleet", "fleet.js");
const BUILD_TIMEOUT_MS = 20 * 60_000; // the first run may build the CLI and install moto
const STEP_TIMEOUT_MS = 5 * 60_000;
const PASSPHRASE = "s3-backend-test-passphrase-31d8";
const BUCKET = "cw-iac-state";
const ROLE = "ElementsAPI acme";
const STATE_KEY = ".pulumi/stacks/connectwise-iac/acme.json";

let env: PulumiEnvironment;
let s3: S3Server;
let sandbox: RunningSandbox;
let operator: SandboxConsole;
let pulumiCommand: PulumiCommand;
/** Everything a CLI run needs: the S3 backend, dummy AWS credentials, the passphrase. */
let backendEnv: Record<string, string>;
/** The first checkout: where the stack is created and the fleet runs. */
let projectDir: string;
/** A second checkout of the same repository, with its own PULUMI_HOME. */
let colleagueDir: string;
let acme: Stack;
const printed: string[] = [];
const secrets: string[] = [];
const onOutput = (line: string) => printed.push(line);

const member = tenantMember;

/** One Elements integration; `client` names the role and the member, so stacks do not collide. */
const integrations = (memberName: string, client = "acme") =>
  JSON.stringify([{ kind: "elements", roleName: `ElementsAPI ${client}`, member: member(`${client}API`, memberName) }]);

/** A checkout: Pulumi.yaml copied, dist/ and node_modules linked (what the fleet expects). */
function checkout(dir: string): void {
  fs.mkdirSync(dir);
  fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  fs.symlinkSync(path.join(ROOT, "dist"), path.join(dir, "dist"));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
}

function selectStack(name: string, dir: string, home: string): Promise<Stack> {
  return LocalWorkspace.createOrSelectStack(
    { stackName: name, workDir: dir },
    { workDir: dir, pulumiCommand, envVars: { ...backendEnv, PULUMI_HOME: home } },
  );
}

async function tenantStack(name: string, memberName: string): Promise<Stack> {
  const stack = await selectStack(name, projectDir, env.envVars.PULUMI_HOME);
  await stack.setAllConfig({
    ...sandboxConnection(sandbox),
    "connectwise-iac:integrations": { value: integrations(memberName, name) },
  });
  return stack;
}

async function up(stack: Stack, onEvent?: () => void): Promise<{ ok: boolean; output: string }> {
  try {
    const result = await stack.up({ onOutput, onEvent });
    return { ok: true, output: result.stdout };
  } catch (error) {
    return { ok: false, output: String((error as Error).message) };
  }
}

const keys = async (prefix = "") => (await s3.list(BUCKET, prefix)).map((o) => o.key);

afterEach(async () => {
  if (!s3) return;
  // Raw objects, checkpoint backups and history included, and everything printed.
  const objects = await Promise.all((await keys()).map((key) => s3.get(BUCKET, key)));
  const texts = [...objects, printed.join("\n")];
  for (const secret of secrets) for (const text of texts) expect(text.includes(secret)).toBe(false);
});

beforeAll(async () => {
  expect(fs.existsSync(FLEET)).toBe(true); // `npm test` compiles first
  // In parallel (a first run builds the CLI and installs moto), and whatever started is cleaned
  // up by afterAll even when the other failed.
  const [pulumi, server] = await Promise.allSettled([pulumiEnvironment(), startS3Server()]);
  if (pulumi.status === "fulfilled") env = pulumi.value;
  if (server.status === "fulfilled") s3 = server.value;
  for (const result of [pulumi, server]) if (result.status === "rejected") throw result.reason;
  await s3.createBucket(BUCKET);
  sandbox = await startSandbox({ port: 0 });
  operator = new SandboxConsole(sandbox.consoleUrl);
  pulumiCommand = await PulumiCommand.get({ root: env.root, skipVersionCheck: true });
  backendEnv = {
    ...env.envVars,
    ...s3.awsEnv(env.tempDir),
    PULUMI_BACKEND_URL: s3.backendUrl(BUCKET),
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
  };
  secrets.push(
    sandbox.privateKey,
    sandbox.publicKey,
    PASSPHRASE,
    DUMMY_AWS_SECRET_ACCESS_KEY,
    Buffer.from(`${sandbox.companyId}+${sandbox.publicKey}:${sandbox.privateKey}`).toString("base64"),
  );
  projectDir = path.join(env.tempDir, "msp-repo");
  colleagueDir = path.join(env.tempDir, "colleague-repo");
  checkout(projectDir);
  checkout(colleagueDir);
  fs.mkdirSync(path.join(env.tempDir, "colleague-home"));
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await sandbox?.close();
  await s3?.close();
  env?.dispose();
});

describe("state and locks in an S3 bucket", () => {
  it(
    "a tenant stack converges with its state in the bucket, and a second checkout sees it",
    async () => {
      acme = await tenantStack("acme", "Acme API");
      const first = await up(acme);
      expect(first.ok).toBe(false); // the role's levels are console steps
      expect(first.output).toContain(`System > Security Roles > ${ROLE}\n`);
      expect(first.output).toContain("Finance > Agreements: set Add, Edit and Inquire Level to All (now None)");
      await operator.setPermissions(ROLE, elements.permissions);
      const second = await up(acme);
      expect(second.ok).toBe(true);
      const key = (await acme.outputs()).integrations?.value?.elements?.privateKey as string | undefined;
      expect(key).toMatch(/\w+/);
      secrets.push(key!);

      const objects = await keys(".pulumi/");
      console.log(`bucket ${BUCKET} after the first ups:\n${objects.join("\n")}`);
      expect(objects).toContain(STATE_KEY);
      expect(objects).toContain(".pulumi/meta.yaml");
      expect(objects.filter((k) => k.startsWith(".pulumi/locks/"))).toEqual([]); // released
      expect(fs.existsSync(path.join(projectDir, ".pulumi-state"))).toBe(false);
      const state = JSON.parse(await s3.get(BUCKET, STATE_KEY));
      expect(state.checkpoint.latest.resources.length).toBeGreaterThanOrEqual(4);

      // The colleague's checkout has the config file (from git) and nothing else: no local state.
      fs.copyFileSync(path.join(projectDir, "Pulumi.acme.yaml"), path.join(colleagueDir, "Pulumi.acme.yaml"));
      const theirs = await selectStack("acme", colleagueDir, path.join(env.tempDir, "colleague-home"));
      await theirs.preview({ expectNoChanges: true, onOutput });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "the CLI also reads the backend URL in the AWS SDK v1 parameter names older guides use",
    async () => {
      const ws = await LocalWorkspace.create({
        workDir: projectDir,
        pulumiCommand,
        envVars: { ...backendEnv, PULUMI_BACKEND_URL: s3.backendUrl(BUCKET, "legacy") },
      });
      expect((await ws.listStacks()).map((s) => s.name)).toEqual(["acme"]);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "two concurrent ups of one stack: the second fails on the lock, and nothing is lost",
    async () => {
      // A change for both to apply: the member's name (one PATCH), in both checkouts.
      await acme.setConfig("connectwise-iac:integrations", { value: integrations("Acme API (renamed)") });
      fs.copyFileSync(path.join(projectDir, "Pulumi.acme.yaml"), path.join(colleagueDir, "Pulumi.acme.yaml"));
      const theirs = await selectStack("acme", colleagueDir, path.join(env.tempDir, "colleague-home"));
      // Slower answers widen the window in which the first up holds the lock.
      await operator.setFaults({ latencyMs: 250 });
      await operator.resetRequests();
      // The lock is taken before the engine starts, so it is held from the first event on: the
      // colleague's up starts then, and runs while the first one is still applying its change.
      let second: Promise<{ ok: boolean; output: string }> | undefined;
      const first = await up(acme, () => {
        second ??= up(theirs);
      });
      const other = await second!;
      await operator.setFaults({ latencyMs: 0 });

      expect(first.ok).toBe(true);
      expect(other.ok).toBe(false);
      const lockLine = other.output.split("\n").find((l) => l.includes("the stack is currently locked"));
      console.log(`the colleague's up, refused:\n${other.output.split("\n").slice(-8).join("\n")}`);
      expect(lockLine).toMatch(
        /the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`\./,
      );
      expect(other.output).toMatch(
        /s3:\/\/cw-iac-state\/\.pulumi\/locks\/.*\.json.*: created by .+@.+ \(pid \d+\) at /,
      );
      const writes = (await operator.requests()).entries.filter((e) => e.method !== "GET");
      expect(writes.map((e) => `${e.method} ${e.path}`)).toEqual([
        expect.stringMatching(/^PATCH \/system\/apiMembers\/\d+$/),
      ]);

      // Converged from either checkout, lock released, every resource once, no duplicate object.
      await theirs.preview({ expectNoChanges: true, onOutput });
      expect(await keys(".pulumi/locks/")).toEqual([]);
      const deployment = (await acme.exportStack()).deployment as { resources: { urn: string }[] };
      const urns = deployment.resources.map((r) => r.urn);
      expect(new Set(urns).size).toBe(urns.length);
      const tenant = await operator.state();
      expect(tenant.roles.filter((r) => r.name === ROLE)).toHaveLength(1);
      const members = tenant.members.filter((m) => m.identifier === "acmeAPI");
      expect(members).toHaveLength(1);
      expect(members[0].name).toBe("Acme API (renamed)");
      expect(tenant.keys.filter((k) => k.member === "acmeAPI")).toHaveLength(1);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "npm run fleet -- preview works on the bucket, and creates a new client's stack there",
    async () => {
      // A new client arrives as a config file in a pull request: not on the backend yet.
      await tenantStack("initech", "Initech API");
      await acme.workspace.removeStack("initech", { preserveConfig: true });
      expect(await keys(".pulumi/stacks/connectwise-iac/initech")).not.toContain(
        ".pulumi/stacks/connectwise-iac/initech.json",
      );

      // As the workflows run it: the backend and AWS credentials come from the environment.
      const ran = await run("node", [FLEET, "preview", "--json", "preview.json"], {
        cwd: projectDir,
        env: { ...process.env, ...backendEnv },
      });
      printed.push(ran.stdout, ran.stderr);
      console.log(
        `fleet preview on ${s3.backendUrl(BUCKET)}: exit ${ran.code}\n${ran.stdout}${ran.code === 2 ? "" : ran.stderr.slice(-3000)}`,
      );
      expect(ran.stderr).not.toMatch(/^fleet: /m);
      expect(ran.code).toBe(2); // initech is new: its roles' console steps are known at preview
      const report = JSON.parse(fs.readFileSync(path.join(projectDir, "preview.json"), "utf8")) as FleetReport;
      expect(report.stacks.map((s) => [s.stack, s.result])).toEqual([
        ["acme", "no changes"],
        ["initech", "steps pending"],
      ]);
      expect(await keys(".pulumi/stacks/connectwise-iac/initech")).toContain(
        ".pulumi/stacks/connectwise-iac/initech.json",
      );
      expect(fs.existsSync(path.join(projectDir, ".pulumi-state"))).toBe(false);
    },
    STEP_TIMEOUT_MS,
  );
});
