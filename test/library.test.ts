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
      expect(first).toContain(
        "System > Security Roles > LibUserAPI > Companies > Company Maintenance: set Inquire Level to All",
      );
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
});
