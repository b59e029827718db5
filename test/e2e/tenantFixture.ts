// One converged client tenant shared by the suites of the real-CLI tier: the project's program
// with Elements (member APIMember) and Lifecycle Manager (member LMXMember) on a sandbox, brought
// to convergence once per `jest` run as a new client is (the first up fails with the checklist,
// the operator does it, the second up converges), then kept as a snapshot: the sandbox's state
// file and `pulumi stack export`. A suite restores it in a few seconds (a sandbox started from a
// copy of the state file, a new stack, `pulumi stack import`) instead of converging again, and
// each test can restore its own copy, so no test depends on another.
//
// The first suite (in any worker) that asks converges; the others wait for it (a lock directory
// under CW_IAC_FIXTURE_DIR, which test/e2e/globalSetup.ts creates for the run).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { SandboxConsole } from "../../sandbox/console";
import { RunningSandbox, startSandbox } from "../../sandbox/server";
import { shippedPreset } from "../../program/presets";
import { createStack, PulumiEnvironment, pulumiEnvironment, sandboxConnection } from "./pulumi";

export const PROJECT = "connectwise-iac";
/** The fixture's stack name: a restored copy keeps it (the state's URNs name it). */
export const TENANT_STACK = "tenant";
const CONVERGE_TIMEOUT_MS = 15 * 60_000;

export function tenantMember(identifier: string, name = identifier) {
  return {
    identifier,
    name,
    email: "it@acme.example",
    level: "Corporate",
    businessUnit: "Admin",
    location: "Main",
    defaultTerritory: "Main",
  };
}

/** The fixture's `connectwise-iac:integrations`. */
export const TENANT_INTEGRATIONS = [
  { kind: "elements", member: tenantMember("APIMember", "API member") },
  { kind: "lifecycle-manager", member: tenantMember("LMXMember") },
];

interface Snapshot {
  /** The fixture sandbox's URL: the state's default provider holds it (refresh and destroy use it). */
  site: string;
  /** What the first up printed (it fails with the checklist) and the second (it converges). */
  firstUp: string;
  secondUp: string;
  firstUpOk: boolean;
  secondUpOk: boolean;
}

export interface RestoredTenant {
  sandbox: RunningSandbox;
  operator: SandboxConsole;
  stack: Stack;
  workDir: string;
  /** The sandbox's admin key (three forms) and the private keys the stack minted: for the credential scans. */
  secrets: string[];
  /** What converging printed (the fixture's two ups), for assertions and the scans. */
  firstUp: string;
  secondUp: string;
  firstUpOk: boolean;
  secondUpOk: boolean;
}

function fixtureDir(): string {
  const dir = process.env.CW_IAC_FIXTURE_DIR;
  if (!dir)
    throw new Error(
      "CW_IAC_FIXTURE_DIR is not set: the real-CLI tier's globalSetup (test/e2e/globalSetup.ts) makes it; run these suites through jest.config.js",
    );
  return dir;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Converges the tenant once for the run (or waits for the worker that does) and returns the snapshot's folder. */
async function snapshot(): Promise<{ dir: string; meta: Snapshot }> {
  const dir = path.join(fixtureDir(), "tenant");
  const ready = path.join(dir, "snapshot.json");
  const failed = path.join(dir, "failed.txt");
  let mine = false;
  try {
    fs.mkdirSync(dir); // the lock: exactly one process makes it
    mine = true;
  } catch {
    // another suite converges it
  }
  if (mine) {
    try {
      await converge(dir);
    } catch (error) {
      fs.writeFileSync(failed, String((error as Error).stack ?? error));
      throw error;
    }
  }
  for (let waited = 0; !fs.existsSync(ready); waited += 500) {
    if (fs.existsSync(failed)) throw new Error(`the shared tenant fixture failed:\n${fs.readFileSync(failed, "utf8")}`);
    if (waited > CONVERGE_TIMEOUT_MS) throw new Error("the shared tenant fixture was not ready in time");
    await sleep(500);
  }
  return { dir, meta: JSON.parse(fs.readFileSync(ready, "utf8")) as Snapshot };
}

async function converge(dir: string): Promise<void> {
  const env = await pulumiEnvironment();
  const sandbox = await startSandbox({ port: 0, statePath: path.join(dir, "sandbox-state.json") });
  const operator = new SandboxConsole(sandbox.consoleUrl);
  try {
    const stack = await createStack({
      stackName: TENANT_STACK,
      projectName: PROJECT,
      workDir: path.join(env.tempDir, TENANT_STACK),
      env,
    });
    await stack.setAllConfig({
      ...sandboxConnection(sandbox),
      [`${PROJECT}:integrations`]: { value: JSON.stringify(TENANT_INTEGRATIONS) },
    });
    const up = async () => {
      const lines: string[] = [];
      const ok = await stack.up({ onOutput: (l) => lines.push(l) }).then(
        () => true,
        () => false,
      );
      return { ok, output: lines.join("") };
    };
    const first = await up();
    for (const kind of ["elements", "lifecycle-manager"]) {
      const d = shippedPreset(kind);
      await operator.setPermissions(d.roleName, d.permissions);
      if (d.tableSetup.length > 0) await operator.setTableSetup(d.roleName, d.tableSetup);
    }
    const second = await up();
    if (!second.ok) throw new Error(`the tenant fixture did not converge:\n${second.output.slice(-3000)}`);
    fs.writeFileSync(path.join(dir, "deployment.json"), JSON.stringify(await stack.exportStack()));
    const meta: Snapshot = {
      site: sandbox.url,
      firstUp: first.output,
      secondUp: second.output,
      firstUpOk: first.ok,
      secondUpOk: second.ok,
    };
    await operator.resetRequests();
    // Written last: its presence says the snapshot is whole.
    fs.writeFileSync(path.join(dir, "snapshot.json"), JSON.stringify(meta));
  } finally {
    await sandbox.close();
    fs.rmSync(path.resolve(__dirname, "..", "..", "runbooks", `${TENANT_STACK}.md`), { force: true });
    env.dispose();
  }
}

/**
 * A converged copy of the tenant for one suite or one test: its own sandbox (from the snapshot's
 * state, on a new port), its own stack on `env`'s backend under `workDir`, the state imported
 * (under `stackName` when given: several client stacks, one tenant each).
 */
export async function restoreTenant(
  env: PulumiEnvironment,
  workDir: string,
  options: { stackName?: string } = {},
): Promise<RestoredTenant> {
  const stackName = options.stackName ?? TENANT_STACK;
  const { dir, meta } = await snapshot();
  const { site, ...printedByConverging } = meta;
  const stateCopy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-tenant-")), "sandbox-state.json");
  // Another stack name is also in the members' ownership markers (`<project>/<stack>/<resource>`),
  // in the tenant's notes and in the state: renamed in both, as if deployed under that name.
  const owners = (text: string) =>
    text
      .split(`${PROJECT}/${TENANT_STACK}/`)
      .join(`${PROJECT}/${stackName}/`)
      .split(`"stack":"${TENANT_STACK}"`)
      .join(`"stack":"${stackName}"`)
      .split(`runbooks/${TENANT_STACK}.md`)
      .join(`runbooks/${stackName}.md`);
  fs.writeFileSync(stateCopy, owners(fs.readFileSync(path.join(dir, "sandbox-state.json"), "utf8")));
  const sandbox = await startSandbox({ port: 0, statePath: stateCopy });
  const operator = new SandboxConsole(sandbox.consoleUrl);
  const stack = await createStack({ stackName, projectName: PROJECT, workDir, env });
  await stack.setAllConfig({
    ...sandboxConnection(sandbox),
    [`${PROJECT}:integrations`]: { value: JSON.stringify(TENANT_INTEGRATIONS) },
  });
  // The state's default provider holds the site it was deployed with (refresh and destroy connect
  // there): the copy's sandbox is on another port. Under another stack name, its URNs name it.
  const deployment = owners(fs.readFileSync(path.join(dir, "deployment.json"), "utf8"))
    .split(site)
    .join(sandbox.url)
    .split(`urn:pulumi:${TENANT_STACK}::`)
    .join(`urn:pulumi:${stackName}::`);
  await stack.importStack(JSON.parse(deployment));
  const secrets = [
    sandbox.privateKey,
    sandbox.publicKey,
    Buffer.from(`${sandbox.companyId}+${sandbox.publicKey}:${sandbox.privateKey}`).toString("base64"),
  ];
  const outputs = await stack.outputs();
  for (const i of Object.values<{ privateKey?: string }>(outputs.integrations?.value ?? {}))
    if (i.privateKey) secrets.push(i.privateKey);
  const close = sandbox.close.bind(sandbox);
  sandbox.close = async () => {
    await close();
    fs.rmSync(path.dirname(stateCopy), { recursive: true, force: true });
  };
  return { sandbox, operator, stack, workDir, secrets, ...printedByConverging };
}
