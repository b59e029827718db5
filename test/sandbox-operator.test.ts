// The sandbox's operator command (sandbox/operator.ts): the console steps the handlers hand over,
// as data, done through the console plane; the next verification finds none left. Its CLI
// (`npm run sandbox -- operator`) beside the sandbox's own --help. The command's run against a
// stack's state is in e2e-loop (the Pulumi CLI belongs to that tier).
import { spawnSync } from "child_process";
import * as path from "path";
import { shippedPreset } from "../program/presets";
import { resolveIntegration } from "../program/resolve";
import { formatStep } from "../review/renderLine";
import { provider as roleProvider } from "../provider/securityRole";
import { provider as accessProvider } from "../provider/tableSetupAccess";
import { consoleUrlOf, operatorWork, pendingStepsOf, playOperator } from "../sandbox/operator";
import { SandboxConsole } from "../sandbox/console";
import type { RunningSandbox } from "../sandbox/server";
import { configure, startHandlerSandbox } from "./handler-harness";
import { call } from "./sandbox-harness";

const MAIN = path.resolve(__dirname, "..", "dist", "sandbox", "main.js");

let sandbox: RunningSandbox;
let operator: SandboxConsole;

beforeAll(async () => {
  const started = await startHandlerSandbox();
  ({ sandbox, operator } = started);
  await configure(roleProvider, started.config);
  await configure(accessProvider, started.config);
});
afterAll(() => sandbox.close());

const inputsOf = async (p: typeof roleProvider, raw: Record<string, unknown>) => {
  const result = await p.check({}, raw);
  expect(result.failures).toBeUndefined();
  return result.inputs;
};

describe("the sandbox's operator", () => {
  it("does every step a new SmileBack role and its Table Setup list ask for, and the next verification finds none", async () => {
    // SmileBack as a stack gets it by default (its allow-list option on).
    const smileback = resolveIntegration(shippedPreset("smileback"));
    const roleInputs = await inputsOf(roleProvider, { name: smileback.roleName, permissions: smileback.permissions });
    const role = await roleProvider.create(roleInputs);
    // A member on the role and a console-made key, which verifies the list.
    const member = await call(sandbox, "/system/apiMembers", {
      method: "POST",
      body: { identifier: "SmileOp", name: "SmileOp", securityRole: { name: smileback.roleName } },
    });
    expect(member.status).toBe(201);
    const keys = await operator.createApiKey("SmileOp", "operator test");
    // A hand-made entry the program does not declare: unseen while the role cannot read its list.
    await operator.setTableSetup(smileback.roleName, ["Member / Member Type"]);
    const accessInputs = await inputsOf(accessProvider, {
      role: smileback.roleName,
      member: "SmileOp",
      ...keys,
      tables: smileback.tableSetup,
      roleDeclared: { resource: `SecurityRole ${smileback.roleName}`, permissions: smileback.permissions },
    });
    const access = await accessProvider.create(accessInputs);

    // As the state holds them: one step per function row, one for the role's list.
    const deployment = { resources: [{ outputs: role.outs }, { outputs: { role: "x" } }, { outputs: access.outs }] };
    const steps = pendingStepsOf(deployment);
    expect(steps).toHaveLength(Object.keys(smileback.permissions).length + 1);
    expect(formatStep(steps[steps.length - 1])).toBe(
      `System > Security Roles > ${smileback.roleName} > System > Table Setup > Customize: add ` +
        `${smileback.tableSetup.map((t) => `'${t}'`).join(" and ")} in Allow access to these`,
    );

    await playOperator(new SandboxConsole(consoleUrlOf(sandbox.url)), operatorWork(steps));

    const after = await roleProvider.update(role.id, role.outs, roleInputs);
    expect(after.outs.pendingSteps).toEqual([]);
    // Readable now: the hand-made entry is the one step left, a removal, which the operator does too.
    const second = await accessProvider.update(access.id, access.outs, accessInputs);
    expect(second.outs.pendingSteps.map(formatStep)).toEqual([
      `System > Security Roles > ${smileback.roleName} > System > Table Setup > Customize: remove 'Member / Member Type' from Allow access to these`,
    ]);
    await playOperator(operator, operatorWork(pendingStepsOf({ resources: [{ outputs: second.outs }] })));
    const verified = await accessProvider.update(access.id, second.outs, accessInputs);
    expect(verified.outs).toMatchObject({ pendingSteps: [], verified: [...smileback.tableSetup].sort() });
  });

  it("refuses a step it cannot do by name, rather than guess", () => {
    expect(() =>
      operatorWork([{ menuPath: ["System", "Members", "X"], changes: [{ field: "Inactive", value: "false" }] }]),
    ).toThrow("not a security-role step: System > Members > X: set Inactive to false");
    expect(() =>
      operatorWork([
        {
          menuPath: ["System", "Security Roles", "R", "Finance", "Agreements"],
          changes: [{ field: "Add Level", value: "Most" }],
        },
      ]),
    ).toThrow("not a level step");
  });

  it("is a command of `npm run sandbox`, whose --help lists it and keeps working", () => {
    const help = spawnSync(process.execPath, [MAIN, "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Usage: npm run sandbox -- [options]");
    expect(help.stdout).toContain("operator --stack S");
    const own = spawnSync(process.execPath, [MAIN, "operator", "--help"], { encoding: "utf8" });
    expect(own.status).toBe(0);
    expect(own.stdout).toContain("Usage: npm run sandbox -- operator --stack <name>");
    const bad = spawnSync(process.execPath, [MAIN, "operator"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("sandbox operator: --stack is required");
  });
});
