// What the suites of the read-only commands (discover, doctor, access-audit) share: running the
// compiled command as a user does, and Rule 1 for the paths it requested.
import { spawn } from "child_process";
import { OpenApiValidator, Spec } from "./openapi-validator";
import { readSharedJson } from "./shared-data";

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

/** The paths that the vendor's spec does not list for GET (Rule 1); throws, naming the file, without ../shared. */
export function unpublishedGets(paths: string[]): string[] {
  const validator = new OpenApiValidator(readSharedJson<Spec>("connectwise/openapi-subset.json"));
  return paths.map((p) => p.replace(/^.*\/apis\/3\.0/, "")).filter((p) => !validator.findOperation("GET", p));
}
