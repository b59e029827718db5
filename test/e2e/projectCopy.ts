// A copy of the project (with its built dist/) in a temporary folder, its own backend and Pulumi
// home, and the compiled commands run in it as `npm run <name>` runs them: for suites that make a
// user's mistakes or read a user's stacks through the real commands.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { run } from "./run";

const PROJECT_ROOT = path.resolve(__dirname, "../..");
const NOT_COPIED = new Set(["node_modules", ".git", ".pulumi-state", ".pulumi-home", "coverage", "runbooks"]);

export interface ProjectCopy {
  tempDir: string;
  project: string;
  env: NodeJS.ProcessEnv;
  /** Runs dist/cli/<script> in the copy; stdout and stderr together. */
  command(script: string, args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<Ran>;
  remove(): void;
}

export interface Ran {
  code: number;
  out: string;
}

export function copyProject(prefix: string, passphrase: string): ProjectCopy {
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const project = path.join(tempDir, "connectwise-iac");
  fs.mkdirSync(project);
  for (const entry of fs.readdirSync(PROJECT_ROOT)) {
    if (NOT_COPIED.has(entry) || /^Pulumi\..+\.yaml$/.test(entry) || entry.endsWith(".log")) continue;
    fs.cpSync(path.join(PROJECT_ROOT, entry), path.join(project, entry), { recursive: true });
  }
  fs.symlinkSync(fs.realpathSync(path.join(PROJECT_ROOT, "node_modules")), path.join(project, "node_modules"));
  fs.mkdirSync(path.join(tempDir, "backend"));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (/^(PULUMI_|CONNECTWISE_)/.test(key)) delete env[key];
  Object.assign(env, {
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_HOME: path.join(tempDir, "pulumi-home"),
    PULUMI_BACKEND_URL: `file://${path.join(tempDir, "backend")}`,
  });
  const command = async (script: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Ran> => {
    const runEnv = { ...env, ...extraEnv };
    for (const [k, v] of Object.entries(extraEnv)) if (v === undefined) delete runEnv[k];
    const ran = await run(process.execPath, [path.join(project, "dist", "cli", script), ...args], {
      cwd: project,
      env: runEnv,
    });
    return { code: ran.code ?? 1, out: ran.output };
  };
  return { tempDir, project, env, command, remove: () => fs.rmSync(tempDir, { recursive: true, force: true }) };
}
