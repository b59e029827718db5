// The reviewer's suite: what a pull request's fleet comment says, against what the merge's `up`
// then does. Two client stacks (northwind, contoso), each a copy of the shared converged tenant
// (test/e2e/tenantFixture.ts) on its own sandbox, in one project directory; the real Pulumi CLI
// and `node dist/cli/fleet/fleet.js` as users run it. For a fixed set of scenarios (changes of
// the pull request and changes made by hand in the Manage UI) the Markdown comment and the JSON
// are compared with the expected text in test/fixtures/reviewer/, only the volatile parts
// normalised (sites and ports, times, temporary paths). REVIEWER_WRITE_EXPECTED=1 rewrites them
// (then read every changed line before committing it).
import * as fs from "fs";
import * as path from "path";
import type { FleetReport } from "../cli/fleet/fleetReport";
import { PulumiEnvironment, pulumiEnvironment, releaseLayout, snapshotTree } from "./e2e/pulumi";
import { Ran, run } from "./e2e/run";
import { RestoredTenant, TENANT_INTEGRATIONS, restoreTenant, tenantMember } from "./e2e/tenantFixture";
import { call } from "./sandbox-harness";
import { shippedPreset } from "../program/presets";

const ROOT = path.resolve(__dirname, "..");
const FLEET = path.join(ROOT, "dist", "cli", "fleet", "fleet.js");
const EXPECTED = path.join(__dirname, "fixtures", "reviewer");
const WRITE = process.env.REVIEWER_WRITE_EXPECTED === "1";
const STACKS = ["northwind", "contoso"] as const;
type StackName = (typeof STACKS)[number];
const SUITE_TIMEOUT_MS = 15 * 60_000;
const STEP_TIMEOUT_MS = 6 * 60_000;

/**
 * The Pulumi installations the suite runs on: "built", the CLI the project builds (its provider
 * server beside it); "release", Pulumi laid out as released (the stock SDK plugin beside the CLI,
 * first on PATH; the project's server comes in through Pulumi.yaml's `plugins.providers`). The
 * expected texts are the same on both, and the two differ only in where the CLI and its plugins
 * are found, so each scenario runs once, on the layout named here: each layout gets a whole one
 * (fleet preview against the expected texts, then the merge's `up` or the refresh).
 */
const LAYOUTS = ["built", "release"] as const;
const SCENARIO_LAYOUT = { newIntegration: "release", byHand: "built" } as const;

describe.each(LAYOUTS)("the reviewer's fleet comment (%s layout)", (layout) => {
  let env: PulumiEnvironment;
  let projectDir: string;
  let tenants: Record<StackName, RestoredTenant>;
  /** The release layout's bin directory (undefined on the built layout) and its files before the runs. */
  let releaseBin: string | undefined;
  let releaseFiles: string[] = [];
  const secrets: string[] = [];
  const printed: string[] = [];

  beforeAll(async () => {
    expect(fs.existsSync(FLEET)).toBe(true); // `npm test` compiles first
    env = await pulumiEnvironment();
    projectDir = path.join(env.tempDir, "msp-repo");
    releaseBin = layout === "release" ? await releaseLayout(path.join(env.tempDir, "pulumi-release")) : undefined;
    releaseFiles = releaseBin ? snapshotTree(path.dirname(releaseBin)) : [];
  }, SUITE_TIMEOUT_MS);

  afterAll(async () => {
    // Nothing was written into the installation.
    if (releaseBin) expect(snapshotTree(path.dirname(releaseBin))).toEqual(releaseFiles);
    for (const t of Object.values(tenants ?? {})) await t.sandbox.close();
    for (const s of STACKS) fs.rmSync(path.join(ROOT, "runbooks", `${s}.md`), { force: true });
    env?.dispose();
  });

  afterEach(() => {
    // No credential in any report or printed line.
    const files = fs.existsSync(projectDir) ? fs.readdirSync(projectDir).filter((f) => /\.(json|md)$/.test(f)) : [];
    const texts = [...files.map((f) => fs.readFileSync(path.join(projectDir, f), "utf8")), printed.join("\n")];
    for (const secret of secrets) for (const text of texts) expect(text.includes(secret)).toBe(false);
  });

  /** Both stacks converged again, each on a fresh copy of the tenant. */
  async function restore(): Promise<void> {
    for (const t of Object.values(tenants ?? {})) await t.sandbox.close();
    const restored = {} as Record<StackName, RestoredTenant>;
    for (const stackName of STACKS) restored[stackName] = await restoreTenant(env, projectDir, { stackName });
    tenants = restored;
    for (const t of Object.values(tenants)) secrets.push(...t.secrets);
  }

  const setIntegrations = (stack: StackName, integrations: unknown[]) =>
    tenants[stack].stack.setConfig("connectwise-iac:integrations", { value: JSON.stringify(integrations) });

  /** A change made by hand in the Manage UI, through the admin's key (the same data the UI writes). */
  async function byHand(stack: StackName, apiPath: string, body: unknown): Promise<void> {
    const res = await call(tenants[stack].sandbox, apiPath, { method: "PATCH", body });
    expect(res.status).toBe(200);
  }

  async function memberId(stack: StackName, identifier: string): Promise<number> {
    const res = await call(tenants[stack].sandbox, `/system/apiMembers?conditions=identifier="${identifier}"`);
    return res.body[0].id as number;
  }

  async function publicKeyOf(stack: StackName, integration: string): Promise<string> {
    const outputs = await tenants[stack].stack.outputs();
    return (outputs.integrations.value as Record<string, { publicKey: string }>)[integration].publicKey;
  }

  async function fleet(args: string[]): Promise<Ran> {
    const ran = await run("node", [FLEET, ...args, "--parallel", "2"], {
      cwd: projectDir,
      env: {
        ...process.env,
        ...env.envVars,
        // The fleet takes a complete install found first on PATH.
        ...(releaseBin ? { PATH: `${releaseBin}${path.delimiter}${env.envVars.PATH}` } : {}),
      },
    });
    printed.push(ran.stdout, ran.stderr);
    return ran;
  }

  /** The volatile parts: each stack's site (a port), times, the runbooks' directory. */
  function normalise(text: string): string {
    let out = text;
    for (const stack of STACKS) {
      const host = tenants[stack].sandbox.url.replace(/^https?:\/\//, "");
      out = out.split(host).join(`<${stack}-site>`);
    }
    return out
      .split(path.join(ROOT, "runbooks"))
      .join("<runbooks>")
      .replace(/"startedAt": "[^"]+"/g, '"startedAt": "<time>"')
      .replace(/"seconds": [\d.]+/g, '"seconds": 0');
  }

  /** The report's Markdown and JSON against the expected texts (written instead with REVIEWER_WRITE_EXPECTED=1). */
  function expectReport(name: string, refresh = false): FleetReport {
    // A refresh's update count is the engine's summary, which counts a resource whose read
    // changed nothing in some runs and not in others: volatile, so not compared.
    const updates = (text: string) =>
      refresh
        ? text
            .replace(/^(\| \w+ \| [^|]+ \| \d+ \| )\d+ \|/gm, "$1<n> |")
            .replace(/"updates": \d+/g, '"updates": "<n>"')
        : text;
    const results = {
      md: updates(normalise(fs.readFileSync(path.join(projectDir, `${name}.md`), "utf8"))),
      json: updates(normalise(fs.readFileSync(path.join(projectDir, `${name}.json`), "utf8"))),
    };
    for (const [ext, actual] of Object.entries(results)) {
      const file = path.join(EXPECTED, `${name}.${ext}`);
      if (WRITE) {
        fs.mkdirSync(EXPECTED, { recursive: true });
        fs.writeFileSync(file, actual);
      } else expect(actual).toBe(fs.readFileSync(file, "utf8"));
    }
    return JSON.parse(normalise(fs.readFileSync(path.join(projectDir, `${name}.json`), "utf8"))) as FleetReport;
  }

  const cyberdrain = shippedPreset("cyberdrain-cow");

  /** A scenario, declared on its one layout. */
  const onLayout = (on: (typeof LAYOUTS)[number], name: string, fn: () => Promise<void>, timeout: number) => {
    if (layout === on) test(name, fn, timeout);
  };

  onLayout(
    SCENARIO_LAYOUT.newIntegration,
    "a new integration with Table Setup, and a member deactivated by hand: the comment is what up does",
    async () => {
      await restore();
      // The pull request: CyberDrain for northwind.
      await setIntegrations("northwind", [
        ...TENANT_INTEGRATIONS,
        { kind: "cyberdrain-cow", member: tenantMember("CyberDrainCoW", "CyberDrain CoW") },
      ]);
      // By hand in contoso's Manage: LMXMember deactivated.
      await byHand("contoso", `/system/apiMembers/${await memberId("contoso", "LMXMember")}`, [
        { op: "replace", path: "inactiveFlag", value: true },
      ]);
      const keyBefore = await publicKeyOf("contoso", "lifecycle-manager");

      const preview = await fleet(["preview", "--markdown", "new-integration.md", "--json", "new-integration.json"]);
      expect(preview.code).toBe(2);
      const report = expectReport("new-integration");
      const northwind = report.stacks.find((s) => s.stack === "northwind")!;
      // Every console step the merge's up will ask for, the new role's Table Setup entries too.
      expect(northwind.consoleSteps.some((step) => step.includes("Table Setup > Customize"))).toBe(true);
      for (const table of cyberdrain.tableSetup) expect(northwind.consoleSteps.join("\n")).toContain(table);

      // The merge.
      const up = await fleet(["up", "--json", "up.json"]);
      expect(up.code).toBe(2);
      const after = JSON.parse(fs.readFileSync(path.join(projectDir, "up.json"), "utf8")) as FleetReport;
      const upNorthwind = after.stacks.find((s) => s.stack === "northwind")!;
      expect(upNorthwind.result).toBe("steps pending");
      expect(upNorthwind.consoleSteps).toEqual(northwind.consoleSteps);
      const runbook = fs.readFileSync(path.join(ROOT, "runbooks", "northwind.md"), "utf8");
      for (const step of northwind.consoleSteps) expect(runbook).toContain(step.split(": ").pop());
      // Printed per stack: the numbered checklist (its first lines and the count) and the runbook.
      expect(normalise(up.stdout)).toContain(
        `northwind: ${northwind.consoleSteps.length} console steps pending in ${northwind.tenant}:\n  1. ${northwind.consoleSteps[0]}`,
      );
      expect(normalise(up.stdout)).toContain("  runbook: <runbooks>/northwind.md");
      // contoso: the member reactivated, and no key rotation (the comment predicted none).
      expect(after.stacks.find((s) => s.stack === "contoso")!.result).toBe("no changes");
      expect(await publicKeyOf("contoso", "lifecycle-manager")).toBe(keyBefore);
    },
    STEP_TIMEOUT_MS,
  );

  onLayout(
    SCENARIO_LAYOUT.byHand,
    "a level changed in a stack's file, a key revoked, a Table Setup entry removed, a role renamed, an integration removed: preview and the refresh's drift report",
    async () => {
      await restore();
      const elements = shippedPreset("elements");
      const lifecycle = shippedPreset("lifecycle-manager");
      // northwind's pull request: the Elements member's level.
      await setIntegrations("northwind", [
        { ...TENANT_INTEGRATIONS[0], member: { ...TENANT_INTEGRATIONS[0].member, level: "Region" } },
        TENANT_INTEGRATIONS[1],
      ]);
      // By hand in northwind's Manage: the Elements key revoked, a Table Setup entry removed.
      await tenants.northwind.operator.revokeApiKey("APIMember", await publicKeyOf("northwind", "elements"));
      await tenants.northwind.operator.setTableSetup(lifecycle.roleName, lifecycle.tableSetup.slice(1));
      // contoso's pull request: Lifecycle Manager removed; by hand: the Elements role renamed.
      await setIntegrations("contoso", [TENANT_INTEGRATIONS[0]]);
      await tenants.contoso.operator.renameRole(elements.roleName, `${elements.roleName} old`);

      const preview = await fleet(["preview", "--markdown", "by-hand.md", "--json", "by-hand.json"]);
      expect(preview.code).toBe(2);
      const report = expectReport("by-hand");
      for (const s of report.stacks) expect(s.result).toBe("drift");

      const refresh = await fleet(["refresh", "--preview-only", "--markdown", "drift.md", "--json", "drift.json"]);
      expect(refresh.code).toBe(2);
      const md = expectReport("drift", true);
      expect(md.stacks.every((s) => s.result === "drift")).toBe(true);
      const text = fs.readFileSync(path.join(projectDir, "drift.md"), "utf8");
      expect(text).not.toMatch(/merge|Changes \(the program/);
    },
    STEP_TIMEOUT_MS,
  );
});
