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
import * as os from "os";
import * as path from "path";
import { projectDir, pulumiBinDir, pulumiEnv } from "../pulumi-runtime/pulumiCli";
import { passphraseProblem } from "./shared/pulumiErrors";

const DUPLICATE_WINDOW_MS = 500;

async function main(): Promise<void> {
  const project = projectDir();
  const bin = await pulumiBinDir();
  const interactive = process.stdin.isTTY === true;
  const args = process.argv.slice(2);
  const child = spawn(path.join(bin, "pulumi"), args, {
    // stderr passes through us: a passphrase error there gets one line naming the variable to set.
    stdio: ["inherit", "inherit", "pipe"],
    env: pulumiEnv(bin, project),
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
    void stderrDone.then(() => {
      const problem = code ? passphraseProblem(errText, stackArg(args), process.env) : undefined;
      if (problem) process.stderr.write(`${problem}\n`);
      // A child killed by a signal exits as a shell reports it: 128 + the signal's number.
      process.exit(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 1));
    });
  });
}

/** The `--stack`/`-s` argument, if any. */
function stackArg(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const m = /^(?:--stack|-s)(?:=(.*))?$/.exec(args[i]);
    if (m) return m[1] ?? args[i + 1];
  }
  return undefined;
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
