// `npm run pulumi -- <args>`: the Pulumi CLI this project found or built, run with the project's
// settings (pulumi-runtime/pulumiCli.ts). stdio passes through; the exit code is pulumi's.
//
// Signals. Pulumi treats a second SIGINT as "terminate now, may orphan resources", so the
// wrapper must deliver exactly one per Ctrl-C. In a terminal, Ctrl-C reaches the whole foreground
// process group, pulumi included, and npm forwards its own copy to us: we forward SIGTERM only and
// let pulumi's own SIGINT stand. Without a terminal on stdin (scripts, CI), pulumi runs in its own
// process group, so a group-wide signal reaches it only through us, and we forward SIGINT and
// SIGTERM once per burst (npm's copy and the direct one arrive together).
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { projectDir, pulumiBinDir, pulumiEnv, runPulumi } from "../pulumi-runtime/pulumiCli";
import { guardedCommand, parseGuardrails, policyArgs, stackArg } from "../policy/stackConfig";
import { passphraseProblem } from "./shared/pulumiErrors";

/**
 * The guardrails' arguments when the stack's config asks for them (`<project>:guardrails`) and
 * the command is preview, up or `policy analyze` without a --policy-pack of its own.
 */
async function guardrails(bin: string, project: string, env: NodeJS.ProcessEnv, argv: string[]) {
  if (!guardedCommand(argv) || argv.includes("--policy-pack")) return undefined;
  // No stack file of the project mentions them: nothing to ask the CLI (a run saved per preview).
  const files = fs.readdirSync(project).filter((f) => /^Pulumi\..+\.ya?ml$/.test(f));
  if (!files.some((f) => fs.readFileSync(path.join(project, f), "utf8").includes(":guardrails"))) return undefined;
  const stack = stackArg(argv);
  const got = await runPulumi(bin, ["config", "get", "guardrails", "--json", ...(stack ? ["--stack", stack] : [])], {
    env,
    cwd: project,
  });
  if (got.code !== 0) return undefined; // not set (or no stack: the command itself says so)
  const { value, objectValue } = JSON.parse(got.stdout) as { value?: string; objectValue?: unknown };
  return policyArgs(parseGuardrails(objectValue ?? value));
}

const DUPLICATE_WINDOW_MS = 500;

async function main(): Promise<void> {
  const project = projectDir();
  const bin = await pulumiBinDir();
  const interactive = process.stdin.isTTY === true;
  const env = pulumiEnv(bin, project);
  const argv = process.argv.slice(2);
  const policy = await guardrails(bin, project, env, argv);
  const child = spawn(path.join(bin, "pulumi"), [...argv, ...(policy?.args ?? [])], {
    // stderr passes through us: a passphrase error there gets one line naming the variable to set.
    stdio: ["inherit", "inherit", "pipe"],
    env,
    // Its own group only off a terminal: a background group reading the terminal would be stopped.
    detached: !interactive,
  });

  const lastForwarded = new Map<NodeJS.Signals, number>();
  const forward = (signal: NodeJS.Signals) => {
    if (interactive && signal === "SIGINT") return; // pulumi got the terminal's own copy
    const now = Date.now();
    if (now - (lastForwarded.get(signal) ?? 0) < DUPLICATE_WINDOW_MS) return;
    lastForwarded.set(signal, now);
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, forward);

  child.on("error", (error) => {
    console.error(`cannot run ${path.join(bin, "pulumi")}: ${error.message}`);
    process.exit(1);
  });
  let errText = "";
  child.stderr.on("data", (chunk: Buffer) => {
    process.stderr.write(chunk);
    errText = (errText + chunk.toString()).slice(-16_384);
  });
  const stderrDone = new Promise((resolve) => child.stderr.on("close", resolve));
  child.on("exit", (code, signal) => {
    policy?.cleanup();
    void stderrDone.then(() => {
      const problem = code ? passphraseProblem(errText, stackArg(argv), process.env) : undefined;
      if (problem) process.stderr.write(`${problem}\n`);
      // A child killed by a signal exits as a shell reports it: 128 + the signal's number.
      process.exit(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 1));
    });
  });
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
