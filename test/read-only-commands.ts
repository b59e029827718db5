// What the suites of the read-only commands (discover, doctor, access-audit) share: running the
// compiled command as a user does, and Rule 1 for the paths it requested.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { OpenApiValidator, Spec } from "./openapi-validator";

export interface CommandRun {
  code: number;
  out: string;
  err: string;
}

/** `node <script> <args>` as a child process; asynchronous, since the sandbox answers from this process. */
export function runCommand(script: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, env });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, out, err }));
  });
}

const SPEC_PATH = path.resolve(__dirname, "../../shared/connectwise/openapi-subset.json");
const IN_CI = !!process.env.CI && !["false", "0"].includes(process.env.CI.toLowerCase());

/** The paths that the vendor's spec does not list for GET (Rule 1); checked where ../shared is, required in CI. */
export function unpublishedGets(paths: string[]): string[] {
  if (!fs.existsSync(SPEC_PATH)) {
    if (IN_CI) throw new Error(`../shared is required in CI: ${SPEC_PATH} does not exist`);
    process.stderr.write(`not checked against the published spec: ${SPEC_PATH} is missing\n`);
    return [];
  }
  const validator = new OpenApiValidator(JSON.parse(fs.readFileSync(SPEC_PATH, "utf8")) as Spec);
  return paths.map((p) => p.replace(/^.*\/apis\/3\.0/, "")).filter((p) => !validator.findOperation("GET", p));
}
