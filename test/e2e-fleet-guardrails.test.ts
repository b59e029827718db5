// The guardrails in the fleet, with the real CLI: each stack whose config asks for them runs the
// policy pack on `fleet preview`; the table gets a policy column and the pull-request comment a
// Guardrails section per stack, where a mandatory policy blocks a widened role (that stack
// fails). The comment is kept in test-output/guardrails/ for the record.
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { FleetReport } from "../cli/fleet/fleetReport";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { PulumiEnvironment, pulumiEnvironment, sandboxConnection } from "./e2e/pulumi";
import { Ran, run } from "./e2e/run";

const ROOT = path.resolve(__dirname, "..");
const FLEET = path.join(ROOT, "dist", "cli", "fleet", "fleet.js");
const OUTPUT = path.join(ROOT, "test-output", "guardrails");
const BUILD_TIMEOUT_MS = 20 * 60_000;
const STEP_TIMEOUT_MS = 10 * 60_000;

// The MSP's program: MSPCFO's shipped table (one function), widened to System/Security edit
// where the stack's config says `widen: true` (the change a reviewer must stop).
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { Integration, findPreset } = require("connectwise-iac");
const mspcfo = findPreset("mspcfo");
const widen = new pulumi.Config().getBoolean("widen");
const definition = widen
  ? { ...mspcfo, permissions: { ...mspcfo.permissions, "System/Security": { inquire: "All", edit: "All" } } }
  : mspcfo;
const stack = pulumi.getStack();
new Integration(definition, "mspcfo", {
  member: { identifier: "Cfo" + stack, name: "MSPCFO " + stack, email: "it@" + stack + ".example", level: "Corporate",
    businessUnit: "Admin", location: "Main", defaultTerritory: "Main" },
});
`;

let env: PulumiEnvironment;
let sandbox: RunningSandbox;
let projectDir: string;

beforeAll(async () => {
  expect(fs.existsSync(FLEET)).toBe(true); // `npm test` compiles first
  env = await pulumiEnvironment();
  sandbox = await startSandbox({ port: 0 });
  projectDir = path.join(env.tempDir, "msp-repo");
  fs.mkdirSync(path.join(projectDir, "node_modules"), { recursive: true });
  fs.writeFileSync(path.join(projectDir, "index.js"), PROGRAM);
  fs.writeFileSync(path.join(projectDir, "package.json"), JSON.stringify({ name: "msp-repo", private: true }));
  fs.symlinkSync(path.join(ROOT, "node_modules", "@pulumi"), path.join(projectDir, "node_modules", "@pulumi"), "dir");
  fs.symlinkSync(ROOT, path.join(projectDir, "node_modules", "connectwise-iac"), "dir");
  fs.writeFileSync(
    path.join(projectDir, "Pulumi.yaml"),
    [
      "name: connectwise-iac",
      "runtime:",
      "  name: nodejs",
      "  options:",
      "    typescript: false",
      "main: index.js",
      "plugins:",
      "  analyzers:",
      "    - name: policy-cwiac",
      `      path: ${path.join(ROOT, "dist", "pulumi-runtime", "plugin")}`,
      "",
    ].join("\n"),
  );
  const pulumiCommand = await PulumiCommand.get({ root: env.root, skipVersionCheck: true });
  for (const [name, config] of [
    ["acme", { widen: "true", guardrails: "{}" }],
    ["globex", { guardrails: '{"levels":{"role-broader-than-table":"mandatory"}}' }],
    ["initech", {}],
  ] as const) {
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: name, workDir: projectDir },
      { workDir: projectDir, pulumiCommand, envVars: env.envVars },
    );
    await stack.setAllConfig({
      ...sandboxConnection(sandbox),
      ...Object.fromEntries(Object.entries(config).map(([k, v]) => [`connectwise-iac:${k}`, { value: v }])),
    });
  }
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await sandbox?.close();
  env?.dispose();
});

function fleet(args: string[]): Promise<Ran> {
  return run(process.execPath, [FLEET, ...args], { cwd: projectDir, env: { ...process.env, ...env.envVars } });
}

it(
  "a mandatory policy blocks the widened role: a policy column per stack, a Guardrails section in the comment",
  async () => {
    const ran = await fleet(["preview", "--parallel", "2", "--json", "fleet.json", "--markdown", "comment.md"]);
    const report = JSON.parse(fs.readFileSync(path.join(projectDir, "fleet.json"), "utf8")) as FleetReport;
    const comment = fs.readFileSync(path.join(projectDir, "comment.md"), "utf8");
    fs.mkdirSync(OUTPUT, { recursive: true });
    fs.writeFileSync(path.join(OUTPUT, "comment.md"), comment);
    fs.writeFileSync(path.join(OUTPUT, "table.txt"), ran.stdout);

    expect(ran.code).toBe(1); // acme failed: blocked
    const acme = report.stacks.find((s) => s.stack === "acme")!;
    expect(acme.result).toBe("failed");
    expect(acme.policy).toEqual([
      {
        policy: "admin-function-outside-table",
        level: "mandatory",
        resource: "mspcfo-role",
        message:
          'role "MSPCFO API" of mspcfo grants admin-class System/Security edit All (table: None), beyond mspcfo\'s published table',
      },
      {
        policy: "role-broader-than-table",
        level: "advisory",
        resource: "mspcfo-role",
        message:
          'role "MSPCFO API" of mspcfo is broader than mspcfo\'s published table: System/Security edit All (table: None); System/Security inquire All (table: None)',
      },
    ]);
    // globex runs the guardrails and passes them; initech does not ask for them.
    expect(report.stacks.find((s) => s.stack === "globex")).toMatchObject({ result: "steps pending", policy: [] });
    expect(report.stacks.find((s) => s.stack === "initech")!.policy).toBeUndefined();
    const line = (stack: string) => ran.stdout.split("\n").find((l) => l.startsWith(`${stack} `)) ?? "";
    expect(ran.stdout.split("\n").find((l) => l.startsWith("stack "))).toMatch(/drift +keys expiring +policy +result$/);
    expect(line("acme")).toMatch(/ 2 \(1 mandatory\) +failed$/);
    expect(line("globex")).toMatch(/ 0 +steps pending$/);
    expect(line("initech")).toMatch(/ - +steps pending$/);
    expect(comment).toContain("Guardrails (least-privilege policies; a mandatory one blocks this change):");
    expect(comment).toContain(
      '- [mandatory] admin-function-outside-table: role "MSPCFO API" of mspcfo grants admin-class System/Security edit All',
    );
  },
  STEP_TIMEOUT_MS,
);
