// What the suites of the read-only commands (discover, doctor, access-audit) share: running the
// compiled command as a user does, and Rule 1 for the paths it requested.
import { run } from "./e2e/run";
import { OpenApiValidator, Spec } from "./openapi-validator";
import { readSharedJson } from "./shared-data";

export interface CommandRun {
  code: number;
  out: string;
  err: string;
}

/** `node <script> <args>` as a child process; asynchronous, since the sandbox answers from this process. */
export async function runCommand(
  script: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<CommandRun> {
  const { code, stdout, stderr } = await run(process.execPath, [script, ...args], { cwd, env });
  return { code: code ?? 1, out: stdout, err: stderr };
}

/** The paths that the vendor's spec does not list for GET (Rule 1); throws, naming the file, without ../shared. */
export function unpublishedGets(paths: string[]): string[] {
  const validator = new OpenApiValidator(readSharedJson<Spec>("connectwise/openapi-subset.json"));
  return paths.map((p) => p.replace(/^.*\/apis\/3\.0/, "")).filter((p) => !validator.findOperation("GET", p));
}
