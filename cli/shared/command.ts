// What every command in cli/ shares: its I/O as a value (tests drive the same function a user
// runs), the wiring of that function to the process, and the plain table they print.

/** A command's view of the process, so tests can run it with their own streams and environment. */
export interface CommandIo {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Runs `command` with this process's arguments and streams, and exits with the code it returns. */
export function runAsMain(name: string, command: (argv: string[], io: CommandIo) => Promise<number>): void {
  const io: CommandIo = {
    cwd: process.cwd(),
    env: process.env,
    stdin: process.stdin,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
  command(process.argv.slice(2), io).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`${name}: ${error.message}\n`);
      process.exit(1);
    },
  );
}

/** A compact table for a terminal: two-space indent, columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `  ${l}\n`).join("");
}
