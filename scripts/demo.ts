// The main job: Elements and Lifecycle Manager converged on a local ConnectWise sandbox with the
// real Pulumi CLI, on a local file backend in .pulumi-state/. Run with `npm run demo`.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { cliDefaults, pulumiBinDir } from "../pulumi-runtime/pulumiCli";
import { startSandbox } from "../sandbox/server";

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
      ...cliDefaults(), // offline, parallel diff, GOGC (pulumi-runtime/pulumiCli.ts)
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

    // Two rounds: the first up creates everything the API can and fails once with the stack's
    // one checklist; the operator does all of it; the second up verifies and converges.
    banner("pulumi up (round 1): creates roles, members and keys, then hands over the console steps");
    if ((await pulumi("up", "--yes", "--skip-preview")) === 0) throw new Error("the first up left no console step");
    const runbook = path.join(ROOT, "runbooks", `${STACK}.md`);
    banner(`The same checklist as a runbook, ${path.relative(ROOT, runbook)}:`);
    console.log(fs.readFileSync(runbook, "utf8"));
    const checklist = () =>
      run(process.execPath, [path.join(ROOT, "dist", "cli", "onboarding", "checklist.js"), "--stack", STACK], env);
    banner("npm run checklist -- --stack demo (a preview: reads only; exit code 2 while steps are pending)");
    console.log(`exit code ${await checklist()}`);

    // `npm run sandbox -- operator --stack demo`: the sandbox's console does every step the
    // stack's state lists as pending (sandbox/operator.ts), as someone clicking them would.
    banner("npm run sandbox -- operator --stack demo: the operator does every step of the checklist in the Manage UI");
    if (
      (await run(
        process.execPath,
        [path.join(ROOT, "dist", "sandbox", "main.js"), "operator", "--stack", STACK],
        env,
      )) !== 0
    )
      throw new Error("the sandbox's operator failed");

    banner("pulumi up (round 2): verifies the operator's work");
    if ((await pulumi("up", "--yes", "--skip-preview")) !== 0) throw new Error("the second up did not converge");
    banner("npm run checklist -- --stack demo (exit code 0: nothing pending)");
    console.log(`exit code ${await checklist()}`);

    banner("pulumi preview --expect-no-changes: converged");
    if ((await pulumi("preview", "--expect-no-changes")) !== 0) throw new Error("the stack did not converge");
    banner("What each integration's setup screen asks for (private keys stay secret)");
    await pulumi("stack", "output", "integrations");
  } finally {
    await sandbox.close();
  }
}

const USAGE = `usage: npm run demo
Starts a local sandbox ConnectWise, creates the throw-away stack "demo" (Elements and Lifecycle
Manager) on the local backend in .pulumi-state/, runs up (which stops at the operator's checklist),
plays the operator through the sandbox's console, runs up again until it converges, and shows the
stack's outputs. Takes no options; Pulumi.demo.yaml is git-ignored.`;

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}
if (args.length > 0) {
  console.error(`demo: unknown argument ${args[0]}\n${USAGE}`);
  process.exit(2);
}

main().catch((err: Error) => {
  console.error(`demo failed: ${err.message}`);
  process.exit(1);
});
