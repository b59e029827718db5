// The library entry, end to end: the package as `npm pack` ships it, installed in a separate
// Pulumi project outside this repository, imported by a TypeScript program of the user's own
// (`import { SecurityRole, ApiMember, ApiKey, ... } from "connectwise-iac"`), and converged by the
// real Pulumi CLI against the sandbox. Importing the library must not run the tenant program, and
// the serialized providers must find the handlers inside the installed package.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { createStack, PulumiEnvironment, pulumiEnvironment, sandboxConnection } from "./e2e/pulumi";

const PROJECT_ROOT = path.resolve(__dirname, "..");
const BUILD_TIMEOUT_MS = 20 * 60_000; // the first run may build the Pulumi CLI from Go modules
const STEP_TIMEOUT_MS = 5 * 60_000;

const PERMISSIONS = { "Companies/Company Maintenance": { inquire: "All" as const } };

// The user's program: typed against the installed package's declarations, compiled by tsc.
const PROGRAM = `import {
  ApiKey,
  ApiMember,
  Integration,
  OperatorChecklist,
  parseIntegrationDefinition,
  SecurityRole,
  TableSetupAccess,
} from "connectwise-iac";

// Only the constructors' types are used from these two: the import itself must be harmless.
export type Unused = [typeof Integration, typeof TableSetupAccess, typeof parseIntegrationDefinition];

const role = new SecurityRole("role", { name: "LibUserAPI", permissions: ${JSON.stringify(PERMISSIONS)} });
const member = new ApiMember("member", {
  identifier: "LibUser",
  name: "Library user",
  email: "it@acme.example",
  securityRole: role.name,
  level: "Corporate",
  businessUnit: "Admin",
  location: "Main",
  defaultTerritory: "Main",
});
const key = new ApiKey("key", { member: member.identifier, description: "Library user" });
// The role's levels are console steps: the checklist fails the up with them until they are done.
new OperatorChecklist("checklist", { resources: [role] });

export const memberIdentifier = member.identifier;
export const publicKey = key.publicKey;
`;

// A library user's program without an OperatorChecklist: its up must still fail while the role
// has console steps. Config "mode" string-role adds a TableSetupAccess that names, as a string,
// the role this program declares without System/Table Setup: refused at preview.
const BARE_PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { SecurityRole, TableSetupAccess } from "connectwise-iac";

const role = new SecurityRole("role", { name: "BareUserAPI", permissions: ${JSON.stringify(PERMISSIONS)} });
if (new pulumi.Config().get("mode") === "string-role")
  new TableSetupAccess("access", {
    role: "BareUserAPI",
    member: "BareUser",
    publicKey: "not used",
    privateKey: "not used",
    tables: ["Service / Service Board"],
  });
export const roleName = role.name;
`;

let env: PulumiEnvironment;
let sandbox: RunningSandbox;
let operator: SandboxConsole;
let appDir: string;
let stack: Stack;

/** `npm pack` of this project, unpacked as node_modules/connectwise-iac of a new project in `dir`. */
function installPackedPackage(dir: string): string[] {
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", env.tempDir], { cwd: PROJECT_ROOT, encoding: "utf8" }),
  )[0] as { filename: string; files: { path: string }[] };
  const modules = path.join(dir, "node_modules");
  fs.mkdirSync(modules, { recursive: true });
  execFileSync("tar", ["-xzf", path.join(env.tempDir, packed.filename), "-C", env.tempDir]);
  fs.renameSync(path.join(env.tempDir, "package"), path.join(modules, "connectwise-iac"));
  // What `npm install` would add beside it, offline: its dependencies, linked from this checkout.
  const manifest = JSON.parse(fs.readFileSync(path.join(modules, "connectwise-iac", "package.json"), "utf8"));
  for (const name of Object.keys(manifest.dependencies as Record<string, string>)) {
    const target = fs.realpathSync(path.join(PROJECT_ROOT, "node_modules", name));
    fs.mkdirSync(path.dirname(path.join(modules, name)), { recursive: true });
    fs.symlinkSync(target, path.join(modules, name), "dir");
  }
  return packed.files.map((f) => f.path);
}

beforeAll(async () => {
  expect(fs.existsSync(path.join(PROJECT_ROOT, "dist", "lib.js"))).toBe(true); // `npm test` compiles first
  env = await pulumiEnvironment();
  sandbox = await startSandbox({ port: 0 });
  operator = new SandboxConsole(sandbox.consoleUrl);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await sandbox?.close();
  env?.dispose();
});

describe("connectwise-iac as a library in another Pulumi project", () => {
  it(
    "packs the compiled library and its handlers, not the sources or tests",
    () => {
      appDir = path.join(env.tempDir, "app"); // under the OS temp dir: nowhere near this checkout
      const files = installPackedPackage(appDir);
      expect(files).toEqual(
        expect.arrayContaining([
          "dist/lib.js",
          "dist/lib.d.ts",
          "dist/provider/securityRole.js",
          "dist/program/presets.json",
          "package.json",
        ]),
      );
      expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
      expect(files.filter((f) => f.startsWith("test/") || f.endsWith(".map"))).toEqual([]);

      fs.writeFileSync(path.join(appDir, "index.ts"), PROGRAM);
      fs.writeFileSync(
        path.join(appDir, "package.json"),
        JSON.stringify({ name: "lib-user", private: true, main: "index.js" }),
      );
      // As the README tells a library user: the package's provider server, from its dist/.
      fs.writeFileSync(
        path.join(appDir, "Pulumi.yaml"),
        "name: lib-user\nruntime: nodejs\nmain: index.js\n" +
          "plugins:\n  providers:\n    - name: pulumi-nodejs\n      path: node_modules/connectwise-iac/dist/pulumi-runtime/plugin\n",
      );
      // Strict, and every declaration file checked (no skipLibCheck, no esModuleInterop): the
      // package's types must not pull in a dependency's that fail there (zod's do).
      const tsconfig = {
        compilerOptions: { strict: true, module: "commonjs", target: "ES2022", skipLibCheck: false, types: [] },
        files: ["index.ts"],
      };
      fs.writeFileSync(path.join(appDir, "tsconfig.json"), JSON.stringify(tsconfig));
      // Type-checks the import against the package's declarations ("types") and emits index.js.
      execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", appDir], { encoding: "utf8" });
      expect(fs.existsSync(path.join(appDir, "index.js"))).toBe(true);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "converges a role, a member and a key against the sandbox, without running the tenant program",
    async () => {
      // The CLI's work dir is not the program's dir, and this process runs elsewhere again.
      stack = await createStack({
        stackName: "lib",
        projectName: "lib-user",
        workDir: path.join(env.tempDir, "work"),
        programDir: appDir,
        env,
      });
      await stack.setAllConfig({
        ...sandboxConnection(sandbox),
      });

      // First up: role, member and key exist, but the levels are console steps (the API cannot
      // write them): the OperatorChecklist fails the up with them.
      const first = await stack.up().then(
        () => "succeeded",
        (error: Error) => error.message,
      );
      expect(first).toContain("System > Security Roles > LibUserAPI\n");
      expect(first).toContain("1. Companies > Company Maintenance: set Inquire Level to All (now None)");
      await operator.setPermissions("LibUserAPI", PERMISSIONS);
      const second = await stack.up();
      expect(second.summary.result).toBe("succeeded");
      expect(second.outputs.memberIdentifier.value).toBe("LibUser");
      expect(second.outputs.publicKey.value).toMatch(/\w+/);

      const state = await operator.state();
      expect(state.members.find((m) => m.identifier === "LibUser")?.securityRole?.name).toBe("LibUserAPI");
      // The library declared only the program's resources: no tenant program, no integration.
      const deployment = await stack.exportStack();
      const types = (deployment.deployment.resources as { type: string }[]).map((r) => r.type);
      expect(types.filter((t) => t.includes("connectwise")).sort()).toEqual([
        "pulumi-nodejs:dynamic/connectwise:ApiKey",
        "pulumi-nodejs:dynamic/connectwise:ApiMember",
        "pulumi-nodejs:dynamic/connectwise:OperatorChecklist",
        "pulumi-nodejs:dynamic/connectwise:SecurityRole",
      ]);

      await stack.preview({ expectNoChanges: true });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "fails up without an OperatorChecklist while a role has console steps, and refuses a Table Setup list on a role named as a string that the program declares without the level",
    async () => {
      const bareDir = path.join(env.tempDir, "bare");
      fs.mkdirSync(bareDir);
      fs.symlinkSync(path.join(appDir, "node_modules"), path.join(bareDir, "node_modules"), "dir");
      fs.writeFileSync(path.join(bareDir, "index.ts"), BARE_PROGRAM);
      fs.writeFileSync(
        path.join(bareDir, "package.json"),
        JSON.stringify({ name: "bare-user", private: true, main: "index.js" }),
      );
      const projectFile = fs.readFileSync(path.join(appDir, "Pulumi.yaml"), "utf8");
      fs.writeFileSync(path.join(bareDir, "Pulumi.yaml"), projectFile.replace("name: lib-user", "name: bare-user"));
      fs.copyFileSync(path.join(appDir, "tsconfig.json"), path.join(bareDir, "tsconfig.json"));
      execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", bareDir], { encoding: "utf8" });
      const bare = await createStack({
        stackName: "bare",
        projectName: "bare-user",
        workDir: path.join(env.tempDir, "bare-work"),
        programDir: bareDir,
        env,
      });
      await bare.setAllConfig({ ...sandboxConnection(sandbox) });

      // No checklist: the up fails on the role itself, its step listed once, no stack trace.
      const lines: string[] = [];
      const first = await bare.up({ onOutput: (l) => lines.push(l) }).then(
        () => "succeeded",
        () => "failed",
      );
      const output = lines.join("");
      expect(first).toBe("failed");
      expect(output).toContain("SecurityRole BareUserAPI: the console steps below are still to do");
      const step = "Companies > Company Maintenance: set Inquire Level to All (now None)";
      expect(output.split(step)).toHaveLength(2);
      expect(output).not.toMatch(/^\s+at /m);
      // Everything the API can do is done and saved: the role exists, its steps are in the state.
      expect((await operator.state()).roles.map((r) => r.name)).toContain("BareUserAPI");
      // Every later up fails the same way until the operator has done them; then it succeeds.
      expect(
        await bare.up().then(
          () => "succeeded",
          () => "failed",
        ),
      ).toBe("failed");
      await operator.setPermissions("BareUserAPI", PERMISSIONS);
      expect((await bare.up()).summary.result).toBe("succeeded");

      // The role named as a string, declared by this program without System/Table Setup: refused at preview.
      await bare.setConfig("mode", { value: "string-role" });
      const refused = await bare.preview().then(
        () => "previewed",
        (error: Error) => error.message,
      );
      expect(refused).toContain(
        "TableSetupAccess BareUserAPI/BareUser: its role is declared by SecurityRole BareUserAPI with System/Table Setup inquire None",
      );
      expect(refused).toContain('add "System/Table Setup": { inquire: "All" } to that role\'s permissions');
    },
    2 * STEP_TIMEOUT_MS,
  );
});
