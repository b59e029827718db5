// Stack config errors through the real program and the real Pulumi CLI: one message naming the
// config key, no stack trace, nothing sent to ConnectWise. (The program throws a RunError, which
// the Node.js runtime prints as its bare message.)
import * as fs from "fs";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { createStack, PulumiEnvironment, pulumiEnvironment } from "./e2e/pulumi";

const PROJECT = "connectwise-iac";
const KEY = `${PROJECT}:integrations`;
const BUILD_TIMEOUT_MS = 20 * 60_000; // the first run may build the Pulumi CLI from Go modules
const STEP_TIMEOUT_MS = 5 * 60_000;

let env: PulumiEnvironment;

beforeAll(async () => {
  expect(fs.existsSync(path.resolve(__dirname, "../dist/index.js"))).toBe(true); // `npm test` compiles first
  env = await pulumiEnvironment();
}, BUILD_TIMEOUT_MS);

afterAll(() => env?.dispose());

/** A stack of the real program, with this `integrations` value (undefined: unset). */
async function tenantStack(stackName: string, integrations?: unknown): Promise<Stack> {
  const stack = await createStack({ stackName, projectName: PROJECT, workDir: path.join(env.tempDir, stackName), env });
  // A closed loopback port: if the program went as far as calling ConnectWise, it would show.
  await stack.setAllConfig({
    "connectwise:site": { value: "http://127.0.0.1:9" },
    "connectwise:companyId": { value: "acme" },
    ...(integrations === undefined ? {} : { [KEY]: { value: JSON.stringify(integrations) } }),
  });
  return stack;
}

/** What `pulumi preview` printed, on stdout and stderr, when it failed. */
async function failedPreview(stack: Stack): Promise<string> {
  const printed: string[] = [];
  const result = await stack.preview({ onOutput: (line) => printed.push(line) }).then(
    () => undefined,
    (error: Error) => error.message,
  );
  expect(result).toBeDefined(); // it failed
  return `${printed.join("")}\n${result}`;
}

function expectNoTrace(output: string): void {
  expect(output).not.toMatch(/^\s+at .*[(/]/m); // no stack frame
  expect(output).not.toContain("unhandled exception");
  expect(output).not.toContain(".js:");
}

describe("the real CLI prints a config error as one message naming the key", () => {
  it(
    "a misspelled member field",
    async () => {
      const member = {
        identifier: "APIMember",
        name: "API member",
        emial: "it@acme.example",
        level: "Corporate",
        businessUnit: "Admin",
        location: "Main",
        defaultTerritory: "Main",
      };
      const output = await failedPreview(await tenantStack("typo", [{ kind: "elements", member }]));
      expect(output).toContain(`${KEY}[0].member.emial: unknown field; did you mean "email"?`);
      expect(output).not.toContain("member.email: missing");
      expectNoTrace(output);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "an unknown kind, and a missing integrations key",
    async () => {
      const unknown = await failedPreview(await tenantStack("kind", [{ kind: "elemnts", member: {} }]));
      expect(unknown).toContain(`${KEY}[0].kind: unknown kind "elemnts" (did you mean "elements"?)`);
      expectNoTrace(unknown);
      const missing = await failedPreview(await tenantStack("missing"));
      expect(missing).toContain(`${KEY}: missing; list this stack's integrations in Pulumi.missing.yaml`);
      expectNoTrace(missing);
    },
    STEP_TIMEOUT_MS,
  );
});
