// npm speaks: every command package.json runs with node (cli/, the sandbox, the demo, the bench)
// answers --help with its usage and exit code 0, naming the `npm run` line that starts it; `npm run`
// lists the scripts and a mistyped one is named (no silenced npm log level).
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";

const PROJECT_ROOT = path.resolve(__dirname, "..");
const scripts = (
  JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  }
).scripts;

/** The node command line a script ends with ("node -r x sandbox/main.ts"), for the scripts that run one. */
const commands = Object.entries(scripts).flatMap(([name, line]) => {
  const node = /(?:^|&& )node ((?:-r \S+ )?\S+\.(?:js|ts))$/.exec(line);
  return node ? [[name, node[1].split(" ")] as const] : [];
});

function run(file: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: PROJECT_ROOT, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, out: stdout, err: stderr }),
    );
  });
}

test("every script that runs a command is found", () => {
  expect(commands.map(([name]) => name).sort()).toEqual(
    expect.arrayContaining(["access-audit", "checklist", "discover", "doctor", "fleet", "new-client", "sandbox"]),
  );
});

test.each(commands)(
  "npm run %s -- --help: the usage, exit code 0",
  async (name, argv) => {
    const ran = await run(process.execPath, [...argv, "--help"]);
    expect(ran.err).not.toMatch(/^\s+at /m);
    expect(ran.code).toBe(0);
    // `npm run pulumi -- --help` is the Pulumi CLI's own help.
    if (name === "pulumi") expect(ran.out).toContain("pulumi [command]");
    else expect(ran.out).toMatch(new RegExp(`^usage: npm run ${name}\\b`, "im"));
  },
  60_000,
);

test("npm run lists the scripts, and a mistyped one is named with a did-you-mean", async () => {
  for (const file of [".npmrc"]) {
    const npmrc = path.join(PROJECT_ROOT, file);
    if (fs.existsSync(npmrc)) expect(fs.readFileSync(npmrc, "utf8")).not.toMatch(/loglevel\s*=\s*silent/);
  }
  const listed = await run("npm", ["run"]);
  expect(listed.code).toBe(0);
  for (const name of ["fleet", "new-client", "sandbox", "checklist"]) expect(listed.out).toContain(`  ${name}\n`);
  const typo = await run("npm", ["run", "fleeet"]);
  expect(typo.code).not.toBe(0);
  expect(typo.err).toContain('Missing script: "fleeet"');
  expect(typo.err).toContain("npm run fleet");
}, 60_000);
