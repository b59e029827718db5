// The least-privilege guardrails with the real CLI: a stack asking for them in its config
// (connectwise-iac:guardrails) gets the policy pack on `npm run pulumi -- preview/up` and on
// `pulumi policy analyze` (its state, no program run); a widened role is blocked by a mandatory
// policy, and reported only when the stack sets that policy advisory.
import * as fs from "fs";
import * as path from "path";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { createStack, PulumiEnvironment, pulumiEnvironment, releaseLayout, sandboxConnection } from "./e2e/pulumi";
import { Ran, run } from "./e2e/run";
import { tenantMember } from "./e2e/tenantFixture";

const projectDir = path.resolve(__dirname, "..");
const BUILD_TIMEOUT_MS = 20 * 60_000;
const STEP_TIMEOUT_MS = 10 * 60_000; // three CLI runs on two shared cores

// Rewst's shipped table, widened by the program to System/Security edit: what a reviewer must stop.
const program = (dist: string) => `
const { Integration, findPreset } = require(${JSON.stringify(path.join(dist, "lib.js"))});
const rewst = findPreset("rewst");
const widened = { ...rewst, permissions: { ...rewst.permissions, "System/Security": { inquire: "All", edit: "All" } } };
new Integration(widened, "rewst", { member: ${JSON.stringify(tenantMember("RewstGuard"))} });
`;

/** The PATH a run gets: a release install first when the layout is one (ensure-pulumi.sh takes it from there). */
let pathPrefix = "";

function npmPulumi(env: PulumiEnvironment, cwd: string, args: string[]): Promise<Ran> {
  return run(process.execPath, [path.join(projectDir, "dist", "cli", "pulumi.js"), ...args], {
    cwd,
    env: { ...process.env, ...env.envVars, PATH: `${pathPrefix}${env.envVars.PATH}` },
  });
}

describe.each(["built", "release"] as const)("guardrails (policy pack) on the %s layout", (layout) => {
  let env: PulumiEnvironment;
  let sandbox: RunningSandbox;
  let workDir: string;

  beforeAll(async () => {
    env = await pulumiEnvironment();
    pathPrefix =
      layout === "release" ? `${await releaseLayout(path.join(env.tempDir, "pulumi-release"))}${path.delimiter}` : "";
    sandbox = await startSandbox({ port: 0 });
    workDir = path.join(env.tempDir, "guarded");
    fs.mkdirSync(workDir, { recursive: true });
    fs.writeFileSync(path.join(workDir, "index.js"), program(path.join(projectDir, "dist")));
    fs.writeFileSync(path.join(workDir, "package.json"), JSON.stringify({ name: "guarded", private: true }));
    // The SDK for the language host, and the package itself for the provider plugin (it runs the
    // connectwise-iac found from the program's directory), as a program depending on it has them.
    fs.mkdirSync(path.join(workDir, "node_modules"));
    fs.symlinkSync(
      path.join(projectDir, "node_modules", "@pulumi"),
      path.join(workDir, "node_modules", "@pulumi"),
      "dir",
    );
    fs.symlinkSync(projectDir, path.join(workDir, "node_modules", "connectwise-iac"), "dir");
    fs.writeFileSync(
      path.join(workDir, "Pulumi.yaml"),
      [
        "name: connectwise-iac",
        "runtime:",
        "  name: nodejs",
        "  options:",
        "    typescript: false",
        "main: index.js",
        "plugins:",
        "  providers:",
        "    - name: pulumi-nodejs",
        "      path: node_modules/connectwise-iac/dist/pulumi-runtime/plugin",
        "  analyzers:",
        "    - name: policy-cwiac",
        `      path: ${path.join(projectDir, "dist", "pulumi-runtime", "plugin")}`,
        "",
      ].join("\n"),
    );
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await sandbox?.close();
    env?.dispose();
  });

  async function stackWith(name: string, guardrails: unknown) {
    const stack = await createStack({
      stackName: name,
      projectName: "connectwise-iac",
      workDir,
      programDir: workDir,
      env,
    });
    await stack.setAllConfig(sandboxConnection(sandbox));
    await stack.setConfig("guardrails", { value: JSON.stringify(guardrails) });
    return stack;
  }

  it(
    "a mandatory policy blocks the widened role at preview; advisory lets up through; analyze judges the state",
    async () => {
      await stackWith("blocked", { levels: {} });
      const blocked = await npmPulumi(env, workDir, ["preview", "--stack", "blocked", "--non-interactive"]);
      expect(blocked.code).not.toBe(0);
      expect(blocked.output).toContain("[mandatory]  admin-function-outside-table");
      expect(blocked.output).toContain(
        'role "Rewst API" of rewst grants admin-class System/Security edit All (table: None), beyond rewst\'s published table',
      );
      if (layout === "release") return; // the rest is the same code path, run once on the built layout
      // The same finding, advisory by the stack's choice: reported, not blocking.
      await stackWith("advised", { levels: { "admin-function-outside-table": "advisory" } });
      const up = await npmPulumi(env, workDir, ["up", "--yes", "--stack", "advised", "--non-interactive"]);
      expect(up.output).toContain("[advisory]  admin-function-outside-table");
      // Not blocked by a policy: the role, member and key are created, and the up stops only at the
      // role's console steps (no OperatorChecklist here: the role's own error says so).
      expect(up.output).not.toContain("[mandatory]");
      expect(up.output).toContain("SecurityRole Rewst API: the console steps below are still to do");
      expect(up.code).not.toBe(0);
      // `pulumi policy analyze` on the state: mandatory again, no program run, no provider call.
      await stackWith("advised", { levels: {} });
      const analyze = await npmPulumi(env, workDir, ["policy", "analyze", "--stack", "advised"]);
      expect(analyze.output).toContain("admin-function-outside-table");
      expect(analyze.code).not.toBe(0);
    },
    STEP_TIMEOUT_MS,
  );
});
