// What every command in cli/ needs to run the Pulumi CLI with the project's settings: where the
// project is, which CLI to run (scripts/ensure-pulumi.sh decides), and the environment it gets.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "./packageRoot";

/** The Pulumi project the CLI will use: the nearest Pulumi.yaml at or above `cwd`, as pulumi itself looks. */
export function projectDir(cwd = process.cwd()): string {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) return packageRoot();
  }
}

let binDir: Promise<string> | undefined;

/**
 * The directory holding `pulumi`, its Node.js language host and the dynamic-provider plugin, from
 * scripts/ensure-pulumi.sh (a complete install on PATH, else the cached build, else it builds).
 * Its "using cached ..." line is dropped so a wrapped command prints only what pulumi prints; build
 * progress and errors still show.
 */
export function pulumiBinDir(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  binDir ??= new Promise<string>((resolve, reject) => {
    const script = path.join(packageRoot(), "scripts", "ensure-pulumi.sh");
    const child = spawn("bash", [script], { stdio: ["ignore", "pipe", "pipe"], env });
    let stdout = "";
    let pending = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const relay = (text: string) => {
      for (const line of text.split("\n")) {
        if (line && !/^\[pulumi-cli\] using /.test(line)) process.stderr.write(`${line}\n`);
      }
    };
    child.stderr.on("data", (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split("\n");
      pending = lines.pop() ?? "";
      relay(lines.join("\n"));
    });
    child.on("error", (error) => reject(new Error(`cannot run ${script}: ${error.message}`)));
    child.on("close", (code) => {
      relay(pending);
      const dir = stdout.trim().split("\n").pop() ?? "";
      if (code === 0 && dir) resolve(dir);
      else reject(new Error(`no Pulumi CLI: scripts/ensure-pulumi.sh exited with ${code} (see above)`));
    });
  });
  return binDir;
}

/**
 * A bin/ in `into` laid out as a Pulumi release unpacks, for the tests and the bench: `pulumi`
 * (linked) and its language host (through a two-line wrapper; a release's host is one binary)
 * from `builtBin`, and the SDK's stock pulumi-resource-pulumi-nodejs shim, copied from the
 * project's node_modules. Pulumi.yaml's plugins.providers still runs this project's provider.
 */
export function releaseLayoutBin(builtBin: string, into: string): string {
  const bin = path.join(into, "bin");
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(bin, { recursive: true });
  fs.symlinkSync(fs.realpathSync(path.join(builtBin, "pulumi")), path.join(bin, "pulumi"));
  fs.writeFileSync(
    path.join(bin, "pulumi-language-nodejs"),
    `#!/bin/sh\nexec "${path.join(builtBin, "pulumi-language-nodejs")}" "$@"\n`,
    { mode: 0o755 },
  );
  const stock = path.join(packageRoot(), "node_modules", "@pulumi", "pulumi", "pulumi-resource-pulumi-nodejs");
  fs.copyFileSync(stock, path.join(bin, "pulumi-resource-pulumi-nodejs"));
  fs.chmodSync(path.join(bin, "pulumi-resource-pulumi-nodejs"), 0o755);
  return bin;
}

/**
 * The environment every wrapped pulumi run gets: the project's file backend unless
 * PULUMI_BACKEND_URL says otherwise, no update check, no plugin downloads (every plugin this
 * project needs sits beside the CLI), and the CLI's directory first on PATH.
 *
 * It also makes what the CLI writes private to the user (umask 077, inherited by the CLI the
 * caller starts): at -v=9 the CLI's log files in $TMPDIR, and a PULUMI_DEBUG_GRPC file, hold the
 * stack's decrypted connection, and the default umask would leave them readable by every user.
 */
export function pulumiEnv(bin: string, project: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  process.umask(process.umask() | 0o077);
  const env: NodeJS.ProcessEnv = { ...base, PATH: `${bin}${path.delimiter}${base.PATH ?? ""}` };
  if (!env.PULUMI_BACKEND_URL && !projectBackend(project)) {
    const state = path.join(project, ".pulumi-state");
    fs.mkdirSync(state, { recursive: true });
    env.PULUMI_BACKEND_URL = `file://${state}`;
  }
  return { ...env, ...cliDefaults(base) };
}

/** Pulumi.yaml's `backend.url`, which the CLI honours over its default (the fleet's S3 checkouts set one). */
function projectBackend(project: string): string | undefined {
  const file = path.join(project, "Pulumi.yaml");
  if (!fs.existsSync(file)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when a project file exists
  const { parse } = require("yaml") as typeof import("yaml");
  const parsed = parse(fs.readFileSync(file, "utf8")) as { backend?: { url?: unknown } } | null;
  return typeof parsed?.backend?.url === "string" ? parsed.backend.url : undefined;
}

/**
 * The settings the project's entry points (this wrapper, the fleet, the demo) give every CLI run;
 * a value the user set passes through untouched:
 * - offline: no update check, no plugin download;
 * - diffs of independent resources overlap, so preview waits about one round trip, not one per
 *   resource (DECISIONS.md, "Parallel diff");
 * - GOGC=200 for the CLI and the language host (Go): a run collects garbage half as often, about
 *   0.2 s of CPU less per preview on two cores, for a heap up to three times the live data
 *   instead of two (tens of MiB for a tenant stack).
 */
export function cliDefaults(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    PULUMI_SKIP_UPDATE_CHECK: base.PULUMI_SKIP_UPDATE_CHECK ?? "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: base.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION ?? "true",
    PULUMI_PARALLEL_DIFF: base.PULUMI_PARALLEL_DIFF ?? "true",
    GOGC: base.GOGC ?? "200",
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `pulumi args` quietly (output captured, never relayed), `input` on stdin: for commands' own use. */
export function runPulumi(
  bin: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd: string; input?: string },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(bin, "pulumi"), args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
