// Verbose engine logs: at -v=9 the engine logs every property it marshals, and Configure's inputs
// are the stack's decrypted config, so connection keys kept in `connectwise:*` config reach such a
// log (README, "Security"). Keys given to the provider through CONNECTWISE_PUBLIC_KEY and
// CONNECTWISE_PRIVATE_KEY never pass through the engine: this suite runs the real program with the
// real CLI at -v=9 and proves that nothing it printed holds them.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { shippedPreset } from "../program/presets";
import { createStack, PulumiEnvironment, pulumiEnvironment } from "./e2e/pulumi";

const BUILD_TIMEOUT_MS = 20 * 60_000; // the first run may build the Pulumi CLI from Go modules
const RUN_TIMEOUT_MS = 5 * 60_000;

let env: PulumiEnvironment;
let sandbox: RunningSandbox;

beforeAll(async () => {
  expect(fs.existsSync(path.resolve(__dirname, "../dist/index.js"))).toBe(true); // `npm test` compiles first
  env = await pulumiEnvironment();
  sandbox = await startSandbox({ port: 0 });
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await sandbox?.close();
  env?.dispose();
});

test(
  "keys from the environment stay out of a -v=9 run's output",
  async () => {
    const withKeys: PulumiEnvironment = {
      ...env,
      envVars: {
        ...env.envVars,
        CONNECTWISE_PUBLIC_KEY: sandbox.publicKey,
        CONNECTWISE_PRIVATE_KEY: sandbox.privateKey,
      },
    };
    const stack = await createStack({
      stackName: "verbose",
      projectName: "connectwise-iac",
      workDir: path.join(env.tempDir, "verbose"),
      env: withKeys,
    });
    await stack.setAllConfig({
      "connectwise:site": { value: sandbox.url },
      "connectwise:companyId": { value: sandbox.companyId },
      "connectwise:clientId": { value: sandbox.clientId },
      "connectwise-iac:integrations": {
        value: JSON.stringify([
          {
            kind: "lifecycle-manager",
            member: {
              identifier: "LMXMember",
              name: "Lifecycle Manager",
              email: "it@acme.example",
              level: "Corporate",
              businessUnit: "Admin",
              location: "Main",
              defaultTerritory: "Main",
            },
          },
        ]),
      },
    });

    const printed: string[] = [];
    const record = (text: string) => printed.push(text);
    const verbose = { logVerbosity: 9, logToStdErr: true, onOutput: record, onError: record };
    // The first up creates what the API can and stops on the operator's steps; then the operator
    // does them and the second up verifies: two runs through every handler, each at -v=9.
    await stack.up(verbose).catch((error: Error) => record(error.message));
    const lifecycleManager = shippedPreset("lifecycle-manager");
    const operator = new SandboxConsole(sandbox.consoleUrl);
    await operator.setPermissions(lifecycleManager.roleName, lifecycleManager.permissions);
    await operator.setTableSetup(lifecycleManager.roleName, lifecycleManager.tableSetup);
    await stack.up(verbose).catch((error: Error) => record(error.message));

    const output = printed.join("\n");
    // The run did reach the provider and the tenant: the engine's verbose lines and our role are there.
    expect(output).toContain("Marshaling property for RPC");
    expect(output).toContain("LifecycleManagerAPI");
    const basic = Buffer.from(`${sandbox.companyId}+${sandbox.publicKey}:${sandbox.privateKey}`).toString("base64");
    for (const secret of [sandbox.privateKey, sandbox.publicKey, basic]) expect(output.includes(secret)).toBe(false);
  },
  RUN_TIMEOUT_MS,
);

test(
  "the log files -v=9 writes through the project's wrapper are readable by their owner alone",
  () => {
    // `npm run pulumi` (cli/pulumi.ts) starts the CLI with umask 077; the default 022 would make
    // them world-readable, and at -v=9 they hold the stack's decrypted connection.
    const tmp = fs.mkdtempSync(path.join(env.tempDir, "logs-"));
    const run = spawnSync(process.execPath, [path.resolve(__dirname, "../dist/cli/pulumi.js"), "stack", "ls", "-v=9"], {
      cwd: path.resolve(__dirname, ".."),
      env: { ...process.env, TMPDIR: tmp },
      encoding: "utf8",
    });
    expect(run.status).toBe(0);
    const logs = fs.readdirSync(tmp).filter((name) => name.startsWith("pulumi."));
    expect(logs.length).toBeGreaterThan(0);
    for (const name of logs) expect((fs.statSync(path.join(tmp, name)).mode & 0o777).toString(8)).toBe("600");
  },
  RUN_TIMEOUT_MS,
);
