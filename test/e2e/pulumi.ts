// End-to-end test support: the real Pulumi CLI (built offline by scripts/ensure-pulumi.sh), a
// throw-away local file backend, and stacks driven through the Automation API.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { run } from "./run";
import { releaseLayoutBin } from "../../pulumi-runtime/pulumiCli";

const projectDir = path.resolve(__dirname, "..", "..");
const ensureScript = path.join(projectDir, "scripts", "ensure-pulumi.sh");
/** ensure-pulumi.sh's exit code for "no usable Go toolchain". */
const NO_GO_EXIT_CODE = 2;

export interface PulumiEnvironment {
  /** The installation root, `binDir`'s parent: what `PulumiCommand.get({ root })` expects. */
  root: string;
  /** Holds `pulumi`, `pulumi-language-nodejs` and `pulumi-resource-pulumi-nodejs`. */
  binDir: string;
  /** For every CLI run: Automation API `envVars`, or `{ ...process.env, ...envVars }` for a spawned `pulumi`. */
  envVars: Record<string, string>;
  /** The file backend (`PULUMI_BACKEND_URL=file://<backendDir>`); state files live under `.pulumi/`. */
  backendDir: string;
  /** Fresh temporary directory holding `backendDir` and `PULUMI_HOME`; put scratch work dirs here. */
  tempDir: string;
  /** Removes `tempDir`. */
  dispose(): void;
}

let installation: Promise<string> | undefined;

/** Runs scripts/ensure-pulumi.sh once per process and resolves to the directory of the binaries. */
function ensurePulumi(): Promise<string> {
  installation ??= new Promise<string>((resolve, reject) => {
    const child = spawn("bash", [ensureScript], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      // Relayed as it comes: the first run builds the CLI for several minutes.
      stderr += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on("error", (error) => reject(new Error(`cannot run ${ensureScript}: ${error.message}`)));
    child.on("close", (code) => {
      const binDir = stdout.trim().split("\n").pop() ?? "";
      if (code === 0 && binDir) return resolve(binDir);
      const details = stderr.trim().split("\n").slice(-15).join("\n");
      reject(
        new Error(
          code === NO_GO_EXIT_CODE
            ? `The Pulumi CLI is not installed and cannot be built: install Go >= 1.25 (https://go.dev/dl) ` +
                `so that scripts/ensure-pulumi.sh can build it from the Go module proxy, then rerun.\n${details}`
            : `scripts/ensure-pulumi.sh failed (exit code ${code}):\n${details}`,
        ),
      );
    });
  });
  return installation;
}

/**
 * Finds or builds the CLI, then prepares an isolated, offline set-up for it: a new local file
 * backend and PULUMI_HOME in a fresh temporary directory, the empty passphrase for the passphrase
 * secrets provider, no update check and no plugin downloads.
 */
export async function pulumiEnvironment(): Promise<PulumiEnvironment> {
  const binDir = await ensurePulumi();
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-pulumi-"));
  const backendDir = path.join(tempDir, "backend");
  const homeDir = path.join(tempDir, "home");
  fs.mkdirSync(backendDir);
  fs.mkdirSync(homeDir);
  return {
    root: path.dirname(binDir),
    binDir,
    backendDir,
    tempDir,
    envVars: {
      PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}`,
      PULUMI_BACKEND_URL: `file://${backendDir}`,
      PULUMI_HOME: homeDir,
      PULUMI_CONFIG_PASSPHRASE: "",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    },
    dispose: () => fs.rmSync(tempDir, { recursive: true, force: true }),
  };
}

/**
 * A Pulumi installation laid out as a release ships it, in `into`/bin: the CLI, its Node.js
 * language host, and the stock `pulumi-resource-pulumi-nodejs` (the SDK's own script, copied
 * unchanged from node_modules/@pulumi/pulumi: it runs the SDK's dynamic-provider server). The
 * binaries are the ones scripts/ensure-pulumi.sh built (no release can be downloaded here); the
 * project's provider server can come in only through Pulumi.yaml's `plugins.providers`.
 */
export async function releaseLayout(into: string): Promise<string> {
  return releaseLayoutBin(await ensurePulumi(), into);
}

/** Every file under `dir` with its size and mtime: to prove a run wrote nothing there. */
export function snapshotTree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((entry) => {
      const file = path.join(entry.parentPath, entry.name);
      const stat = fs.lstatSync(file);
      return `${path.relative(dir, file)} ${stat.size} ${stat.mtimeMs}`;
    })
    .sort();
}

export interface CreateStackOptions {
  stackName: string;
  projectName: string;
  /**
   * An inline program, run in this process by the Automation API's own language server (the CLI
   * gets `--client`; pulumi-language-nodejs is not involved). Without it, the CLI runs the Pulumi
   * program in `programDir` through pulumi-language-nodejs, as `pulumi up` there would.
   */
  program?: PulumiFn;
  /** Scratch directory (created if missing) that receives Pulumi.yaml and Pulumi.<stack>.yaml. */
  workDir: string;
  /**
   * Where the program lives and where dynamic-provider processes start (their cwd), so it must
   * resolve `@pulumi/pulumi` and this package. A local program's Pulumi.yaml is read from here.
   * Default: the project root.
   */
  programDir?: string;
  env: PulumiEnvironment;
}

const commands = new Map<string, Promise<PulumiCommand>>();

function pulumiCommand(root: string): Promise<PulumiCommand> {
  let command = commands.get(root);
  if (!command) {
    command = PulumiCommand.get({ root });
    commands.set(root, command);
  }
  return command;
}

/** Pulumi.yaml's `plugins` (the SDK's ProjectSettings type does not declare it, the file may). */
type PluginList = { name: string; path: string; version?: string }[];
type ProjectPlugins = { providers?: PluginList; languages?: PluginList; analyzers?: PluginList };

/** Pulumi.yaml's plugin paths are relative to its folder; the copy in `workDir` needs them absolute. */
function absolutePluginPaths(plugins: ProjectPlugins | undefined, programDir: string): ProjectPlugins | undefined {
  if (!plugins) return undefined;
  const entries = Object.entries(plugins).map(([kind, list]: [string, PluginList]) => [
    kind,
    list.map((plugin) => ({ ...plugin, path: path.resolve(programDir, plugin.path) })),
  ]);
  return Object.fromEntries(entries) as ProjectPlugins;
}

/**
 * Creates (or selects) a stack on `env`'s backend. The project file is written into `workDir`
 * with `main` pointing at `programDir`, so stack config never lands in the program's directory.
 */
export async function createStack(opts: CreateStackOptions): Promise<Stack> {
  const programDir = path.resolve(opts.programDir ?? projectDir);
  const command = await pulumiCommand(opts.env.root);
  fs.mkdirSync(opts.workDir, { recursive: true });
  const workspaceOptions = { workDir: opts.workDir, pulumiCommand: command, envVars: opts.env.envVars };
  if (opts.program) {
    // `main` decides the providers' cwd; the SDK's default would be process.cwd().
    const projectSettings = { name: opts.projectName, runtime: "nodejs" as const, main: programDir };
    return LocalWorkspace.createOrSelectStack(
      { stackName: opts.stackName, projectName: opts.projectName, program: opts.program },
      { ...workspaceOptions, projectSettings },
    );
  }
  const programProject = await (
    await LocalWorkspace.create({ workDir: programDir, pulumiCommand: command })
  ).projectSettings();
  const projectSettings = {
    ...programProject,
    name: opts.projectName,
    main: path.resolve(programDir, programProject.main ?? "."),
    plugins: absolutePluginPaths((programProject as { plugins?: ProjectPlugins }).plugins, programDir),
  };
  return LocalWorkspace.createOrSelectStack(
    { stackName: opts.stackName, workDir: opts.workDir },
    { ...workspaceOptions, projectSettings },
  );
}

/** `pulumi preview --json` run by the CLI itself in `workDir`; the document it prints and its stderr. */
export async function previewJson(
  env: PulumiEnvironment,
  stackName: string,
  workDir: string,
): Promise<{ code: number; json: any; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await run(
    path.join(env.binDir, "pulumi"),
    ["preview", "--json", "--stack", stackName, "--non-interactive"],
    { cwd: workDir, env: { ...process.env, ...env.envVars } },
  );
  try {
    return { code: code ?? -1, json: JSON.parse(stdout), stdout, stderr };
  } catch {
    throw new Error(`pulumi preview --json printed no JSON (exit ${code}): ${stderr.slice(-2000)}`);
  }
}

/** A stack's `connectwise:*` config for a sandbox: the site and ids, and its key pair as secrets. */
export function sandboxConnection(sandbox: {
  url: string;
  companyId: string;
  clientId: string;
  publicKey: string;
  privateKey: string;
}): Record<string, { value: string; secret?: boolean }> {
  return {
    "connectwise:site": { value: sandbox.url },
    "connectwise:companyId": { value: sandbox.companyId },
    "connectwise:clientId": { value: sandbox.clientId },
    "connectwise:publicKey": { value: sandbox.publicKey, secret: true },
    "connectwise:privateKey": { value: sandbox.privateKey, secret: true },
  };
}
