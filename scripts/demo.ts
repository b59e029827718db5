// The main job: Elements and Lifecycle Manager converged on a local ConnectWise sandbox with the
// real Pulumi CLI, on a local file backend in .pulumi-state/. Run with `npm run demo`.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { SandboxConsole } from "../sandbox/console";
import { startSandbox } from "../sandbox/server";
import { elements } from "../stacks/elements";
import { IntegrationDefinition } from "../stacks/integration";
import { lifecycleManager } from "../stacks/lifecycleManager";

const ROOT = path.resolve(__dirname, "../..");
const STACK = "demo";

function banner(text: string): void {
  console.log(`\n=== ${text}`);
}

/** Runs a command with the terminal's stdio; resolves to its exit code. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env,
      stdio: [input === undefined ? "ignore" : "pipe", "inherit", "inherit"],
    });
    if (input !== undefined) child.stdin!.end(input);
    child.on("error", reject);
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

/** Whether the backend holds `stack` for this project (`pulumi stack ls --json`, read quietly). */
function stackExists(stack: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", ["stack", "ls", "--json", "--non-interactive"], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error("pulumi stack ls failed"));
      const stacks = JSON.parse(out) as Array<{ name: string }>;
      resolve(stacks.some((s) => s.name.split("/").pop() === stack));
    });
  });
}

function pulumiBinDir(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [path.join(ROOT, "scripts/ensure-pulumi.sh")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) =>
      code === 0 ? resolve(out.trim().split("\n").pop()!) : reject(new Error("could not find or build the Pulumi CLI")),
    );
  });
}

function memberSettings(identifier: string, name: string) {
  return {
    identifier,
    name,
    email: "api@acme.example",
    level: "Corporate",
    businessUnit: "Admin",
    location: "Main",
    defaultTerritory: "Main",
  };
}

async function main(): Promise<void> {
  const sandbox = await startSandbox({ port: 0 });
  const operator = new SandboxConsole(sandbox.consoleUrl);
  try {
    const binDir = await pulumiBinDir();
    const stateDir = path.join(ROOT, ".pulumi-state");
    fs.mkdirSync(stateDir, { recursive: true });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}`,
      PULUMI_BACKEND_URL: `file://${stateDir}`,
      PULUMI_HOME: path.join(ROOT, ".pulumi-home"),
      PULUMI_CONFIG_PASSPHRASE: "", // the demo's throwaway stack; use a real passphrase for tenants
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_PARALLEL_DIFF: process.env.PULUMI_PARALLEL_DIFF ?? "true", // ARCHITECTURE.md, "Parallel diff"
    };
    const pulumi = (...args: string[]) => run("pulumi", [...args, "--stack", STACK, "--non-interactive"], env);
    const setConfig = (key: string, value: string, secret = false) =>
      // Secrets go in on stdin, never on a command line.
      run("pulumi", ["config", "set", key, "--stack", STACK, ...(secret ? ["--secret"] : [])], env, value);

    banner(
      `Sandbox ConnectWise at ${sandbox.url} (company ${sandbox.companyId}); stack "${STACK}" on ${env.PULUMI_BACKEND_URL}`,
    );
    // A previous run's stack is removed first. `pulumi stack rm` of a missing stack prints
    // "error: no stack named 'demo' found", which reads as a failure: look before removing.
    if (await stackExists(STACK, env))
      await run("pulumi", ["stack", "rm", STACK, "--yes", "--force", "--non-interactive"], env);
    fs.rmSync(path.join(ROOT, `Pulumi.${STACK}.yaml`), { force: true });
    if ((await run("pulumi", ["stack", "init", STACK, "--non-interactive"], env)) !== 0)
      throw new Error("pulumi stack init failed");
    await setConfig("connectwise:site", sandbox.url);
    await setConfig("connectwise:companyId", sandbox.companyId);
    await setConfig("connectwise:clientId", sandbox.clientId);
    await setConfig("connectwise:publicKey", sandbox.publicKey, true);
    await setConfig("connectwise:privateKey", sandbox.privateKey, true);
    await setConfig(
      "connectwise-iac:integrations",
      JSON.stringify([
        { kind: "elements", member: memberSettings("APIMember", "API member") },
        { kind: "lifecycle-manager", member: memberSettings("LMXMember", "Lifecycle Manager") },
      ]),
    );

    banner("pulumi preview: what the two integrations need");
    await pulumi("preview");

    // Up until it converges, playing the operator for whatever checklist it leaves.
    const operatorRounds: Array<[string, (d: IntegrationDefinition) => Promise<unknown>]> = [
      [
        "sets each role's permission levels in System > Security Roles",
        (d) => operator.setPermissions(d.roleName, d.permissions),
      ],
      [
        "adds the Table Setup entries in System > Security Roles > {role} > Table Setup > Customize",
        (d) => (d.tableSetup.length > 0 ? operator.setTableSetup(d.roleName, d.tableSetup) : Promise.resolve()),
      ],
    ];
    for (let round = 0; ; round++) {
      banner(`pulumi up (run ${round + 1})`);
      const code = await pulumi("up", "--yes", "--skip-preview");
      if (code === 0) break;
      if (round >= operatorRounds.length) throw new Error(`pulumi up still fails after ${round + 1} runs`);
      const [what, act] = operatorRounds[round];
      banner(`The published API cannot write what is listed above. The operator ${what}:`);
      for (const definition of [elements, lifecycleManager]) await act(definition);
      console.log("done; running pulumi up again to verify.");
    }

    banner("pulumi preview --expect-no-changes: converged");
    if ((await pulumi("preview", "--expect-no-changes")) !== 0) throw new Error("the stack did not converge");
    banner("What each integration's setup screen asks for (private keys stay secret)");
    await pulumi("stack", "output", "integrations");
  } finally {
    await sandbox.close();
  }
}

main().catch((err: Error) => {
  console.error(`demo failed: ${err.message}`);
  process.exit(1);
});
