// End to end: the project's real program (Pulumi.yaml -> dist/index.js) run by the real Pulumi
// CLI through the Automation API, on a local file backend, against the sandbox. Each test starts
// from its own copy of the converged Elements + Lifecycle Manager tenant the real-CLI tier shares
// (test/e2e/tenantFixture.ts: converged once per run, restored with `pulumi stack import`), so
// none depends on another; after each, the state files and every line the CLI printed (provider
// output included) are scanned for credentials and private keys.
import * as fs from "fs";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox } from "../sandbox/server";
import { createStack, PulumiEnvironment, pulumiEnvironment, sandboxConnection } from "./e2e/pulumi";
import {
  PROJECT,
  RestoredTenant,
  TENANT_INTEGRATIONS,
  TENANT_STACK,
  restoreTenant,
  tenantMember,
} from "./e2e/tenantFixture";
import { shippedPreset } from "../program/presets";

const elements = shippedPreset("elements");

const BUILD_TIMEOUT_MS = 20 * 60_000; // the first run may build the Pulumi CLI from Go modules
const STEP_TIMEOUT_MS = 5 * 60_000;
/** A test's first step may converge the shared tenant (once per run). */
const FIRST_STEP_TIMEOUT_MS = 15 * 60_000;

let env: PulumiEnvironment;
const printed: string[] = [];
const secrets: string[] = [];
const closers: (() => Promise<void>)[] = [];
let tests = 0;

/** A converged copy of the shared tenant, for one test. */
async function tenant(): Promise<RestoredTenant & { sandbox: RunningSandbox; operator: SandboxConsole }> {
  const t = await restoreTenant(env, path.join(env.tempDir, `test-${++tests}`));
  closers.push(() => t.sandbox.close());
  secrets.push(...t.secrets);
  printed.push(t.firstUp, t.secondUp);
  return t;
}

async function tenantStack(sandbox: RunningSandbox, stackName: string, integrations: unknown[]): Promise<Stack> {
  const stack = await createStack({ stackName, projectName: PROJECT, workDir: path.join(env.tempDir, stackName), env });
  await stack.setAllConfig({
    ...sandboxConnection(sandbox),
    [`${PROJECT}:integrations`]: { value: JSON.stringify(integrations) },
  });
  return stack;
}

const onOutput = (line: string) => printed.push(line);

/** `pulumi up`; resolves to what it printed, and whether it succeeded. */
async function up(stack: Stack): Promise<{ ok: boolean; output: string }> {
  try {
    const result = await stack.up({ onOutput });
    return { ok: true, output: result.stdout };
  } catch (error) {
    return { ok: false, output: String((error as Error).message) };
  }
}

/** Two rounds: the first up fails with the stack's one checklist; the operator does all of it; the second converges. */
async function converge(
  operator: SandboxConsole,
  stack: Stack,
  definitions: { roleName: string; permissions: object; tableSetup: string[] }[],
) {
  const first = await up(stack);
  expect(first.ok).toBe(false);
  for (const d of definitions) {
    await operator.setPermissions(d.roleName, d.permissions as never);
    if (d.tableSetup.length) await operator.setTableSetup(d.roleName, d.tableSetup);
  }
  const second = await up(stack);
  expect(second.ok).toBe(true);
  return { first, second };
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

async function rememberKeys(stack: Stack): Promise<void> {
  const outputs = await stack.outputs();
  for (const integration of Object.values<{ privateKey: string }>(outputs.integrations?.value ?? {})) {
    if (integration.privateKey) secrets.push(integration.privateKey);
  }
}

beforeAll(async () => {
  expect(fs.existsSync(path.resolve(__dirname, "../dist/index.js"))).toBe(true); // `npm test` compiles first
  env = await pulumiEnvironment();
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  for (const close of closers.splice(0)) await close();
  env?.dispose();
  // The runbooks the tenant program wrote into the project (runbooks/<stack>.md).
  for (const name of [TENANT_STACK, "globex"])
    fs.rmSync(path.resolve(__dirname, "..", "runbooks", `${name}.md`), { force: true });
});

afterEach(async () => {
  // Raw state files (not `stack export --show-secrets`), and everything the CLI printed.
  const texts = [...filesUnder(env.backendDir).map((f) => fs.readFileSync(f, "utf8")), printed.join("\n")];
  for (const secret of secrets) for (const text of texts) expect(text.includes(secret)).toBe(false);
  for (const close of closers.splice(0)) await close();
});

describe("a client tenant with Elements and Lifecycle Manager", () => {
  it(
    "the first up lists every console step in one checklist, and the second converges once the operator has done them",
    async () => {
      const { stack: acme, operator, firstUp, firstUpOk, secondUpOk, secrets: restored } = await tenant();
      const first = { ok: firstUpOk, output: firstUp };
      expect(first.ok).toBe(false);
      expect(secondUpOk).toBe(true);
      // One checklist: the role levels and the Table Setup entry together, grouped by role screen.
      const elementsScreen = first.output.indexOf("\n    System > Security Roles > ElementsAPI\n");
      const lmScreen = first.output.indexOf("\n    System > Security Roles > LifecycleManagerAPI\n");
      expect(elementsScreen).toBeGreaterThan(0);
      expect(lmScreen).toBeGreaterThan(elementsScreen);
      expect(first.output.slice(elementsScreen, lmScreen)).toContain(
        "Finance > Agreements: set Add, Edit and Inquire Level to All (now None)",
      );
      const lm = first.output.slice(lmScreen);
      expect(lm).toContain("System > Table Setup: set Inquire Level to All (now None)");
      expect(lm).toContain("System > Table Setup > Customize: add 'Service / Service Board' in Allow access to these");
      expect(first.output).not.toContain("errors occurred");
      const outputs = await acme.outputs();
      expect(outputs.integrations.value.elements.memberIdentifier).toBe("APIMember");
      expect(outputs.integrations.value.elements.publicKey).toMatch(/\w+/);
      // The admin key (3 forms) and the two minted private keys.
      expect(new Set(restored).size).toBe(5);
      const state = await operator.state();
      expect(state.members.find((m) => m.identifier === "APIMember")?.securityRole?.name).toBe("ElementsAPI");
    },
    FIRST_STEP_TIMEOUT_MS,
  );

  it(
    "preview then shows no changes",
    async () => {
      const { stack: acme, operator } = await tenant();
      await operator.resetRequests();
      await acme.preview({ expectNoChanges: true, onOutput });
      const log = await operator.requests();
      expect(log.entries.filter((e) => e.method !== "GET")).toEqual([]);
      expect(log.counts["GET /system/securityRoles/{id}/settings"]).toBe(2); // one page per role
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "drift made in the console shows in preview and refresh; up lists the step that restores it",
    async () => {
      const { stack: acme, operator } = await tenant();
      await operator.setPermissions("ElementsAPI", { "Finance/Agreements": { add: "None" } });
      const preview = await acme.preview({ onOutput });
      expect(preview.changeSummary.update).toBeGreaterThanOrEqual(1);
      expect(preview.stdout).toContain("SecurityRole ElementsAPI: drift: Finance/Agreements add: None => All");
      await acme.refresh({ onOutput });
      const state = (await acme.exportStack()).deployment.resources.find((r: { urn: string }) =>
        r.urn.endsWith("elements-role"),
      );
      expect(state.outputs.permissions["Finance/Agreements"].add).toBe("None");
      const failed = await up(acme);
      expect(failed.ok).toBe(false);
      expect(failed.output).toContain("System > Security Roles > ElementsAPI\n");
      expect(failed.output).toContain("1. Finance > Agreements: set Add Level to All (now None)");
      await operator.setPermissions("ElementsAPI", { "Finance/Agreements": { add: "All" } });
      expect((await up(acme)).ok).toBe(true);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "a member setting changed in the program is written with one PATCH and nothing else",
    async () => {
      const { stack: acme, operator } = await tenant();
      const integrations = [
        { kind: "elements", member: tenantMember("APIMember", "Elements API member") },
        TENANT_INTEGRATIONS[1],
      ];
      await acme.setConfig(`${PROJECT}:integrations`, { value: JSON.stringify(integrations) });
      await operator.resetRequests();
      expect((await up(acme)).ok).toBe(true);
      const writes = (await operator.requests()).entries
        .filter((e) => e.method !== "GET")
        .map((e) => `${e.method} ${e.path}`);
      expect(writes).toHaveLength(1);
      expect(writes[0]).toMatch(/^PATCH \/system\/apiMembers\/\d+$/);
      expect((await operator.state()).members.find((m) => m.identifier === "APIMember")?.name).toBe(
        "Elements API member",
      );
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "renaming the role replaces it new-before-old, and its member follows",
    async () => {
      const { stack: acme, operator } = await tenant();
      const integrations = [{ ...TENANT_INTEGRATIONS[0], roleName: "ElementsAPI v2" }, TENANT_INTEGRATIONS[1]];
      await acme.setConfig(`${PROJECT}:integrations`, { value: JSON.stringify(integrations) });
      const first = await up(acme);
      expect(first.ok).toBe(false); // the new role needs its levels set in the console
      expect(first.output).toContain("System > Security Roles > ElementsAPI v2\n");
      expect(first.output).toContain("Finance > Agreements: set Add, Edit and Inquire Level to All (now None)");
      await operator.setPermissions("ElementsAPI v2", elements.permissions);
      expect((await up(acme)).ok).toBe(true);
      const state = await operator.state();
      expect(state.roles.map((r) => r.name)).not.toContain("ElementsAPI");
      expect(state.members.find((m) => m.identifier === "APIMember")?.securityRole?.name).toBe("ElementsAPI v2");
      await rememberKeys(acme);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "a second stack on the same tenant converges on its own objects; destroying the first deletes its roles, " +
      "deactivates its members, and leaves the other's",
    async () => {
      const { stack: acme, operator, sandbox } = await tenant();
      const globex = await tenantStack(sandbox, "globex", [
        { kind: "elements", roleName: "ElementsAPI globex", member: tenantMember("GlobexAPI") },
      ]);
      await converge(operator, globex, [{ ...elements, roleName: "ElementsAPI globex" }]);
      await rememberKeys(globex);
      await acme.preview({ expectNoChanges: true, onOutput });

      await acme.destroy({ onOutput });
      const state = await operator.state();
      const roles = state.roles.map((r) => r.name);
      expect(roles).not.toContain("ElementsAPI");
      expect(roles).not.toContain("LifecycleManagerAPI");
      expect(roles).toContain("ElementsAPI globex");
      const byId = (id: string) => state.members.find((m) => m.identifier === id);
      expect(byId("APIMember")?.inactiveFlag).toBe(true);
      expect(byId("LMXMember")?.inactiveFlag).toBe(true);
      expect(byId("GlobexAPI")?.inactiveFlag).toBe(false);
      await globex.preview({ expectNoChanges: true, onOutput });
      await globex.destroy({ onOutput });
      await globex.workspace.removeStack("globex");
    },
    STEP_TIMEOUT_MS,
  );
});
