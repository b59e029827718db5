// One child process as a user runs it (the Pulumi CLI, a compiled command of ours, bash), with
// everything it prints collected: the spawn-and-collect block the real-CLI suites share.
import { ChildProcess, spawn } from "child_process";

export interface Ran {
  /** The exit code; null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, in the order the chunks came. */
  output: string;
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Its own process group (so `process.kill(-pid, ...)` reaches the whole group, as a terminal's ^C does). */
  detached?: boolean;
  /** Called once the process is spawned: to signal it, or to watch what it starts. */
  onSpawn?: (child: ChildProcess) => void;
  /** Each chunk as it comes, from either stream. */
  onOutput?: (chunk: string) => void;
}

/** Runs `command args` to its end (stdin closed) and resolves to what it printed and how it ended. */
export function run(command: string, args: string[], options: RunOptions): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: options.detached,
    });
    let stdout = "";
    let stderr = "";
    let output = "";
    const collect = (into: "stdout" | "stderr") => (chunk: Buffer) => {
      const text = chunk.toString();
      if (into === "stdout") stdout += text;
      else stderr += text;
      output += text;
      options.onOutput?.(text);
    };
    child.stdout.on("data", collect("stdout"));
    child.stderr.on("data", collect("stderr"));
    child.on("error", reject);
    options.onSpawn?.(child);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, output }));
  });
}
