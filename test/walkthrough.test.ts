// README "One stack per client": the ```sh block after the `<!-- walkthrough -->` marker, run as
// written by bash in a temporary copy of the project, against the sandbox. The tenant comes in
// through the environment variables the README tells the reader to set (CONNECTWISE_* and
// PULUMI_CONFIG_PASSPHRASE_FILE); nothing else is substituted. Then what the README says next:
// the operator does the checklist (`npm run sandbox -- operator`), `up` again until it converges,
// and preview shows no changes.
// On two layouts: a Pulumi laid out as a release ships it (found on PATH, with the SDK's stock
// dynamic-provider plugin beside it), where the project's provider server comes in only through
// Pulumi.yaml's `plugins.providers`, runs all of it; the CLI scripts/ensure-pulumi.sh provides
// (nothing on PATH) runs what depends on the layout: the README's block as typed (setup finds or
// builds the CLI, the provider server runs), the credential scan and the installation left as it
// was. The two differ only in where the CLI and its plugins are found, so the rest (convergence,
// drift, Ctrl-C, .gitignore) runs once, on the release layout.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { pulumiBinDir } from "../pulumi-runtime/pulumiCli";
import { releaseLayout, snapshotTree } from "./e2e/pulumi";
import { Ran, run } from "./e2e/run";
import { shippedPreset } from "../program/presets";

const elements = shippedPreset("elements");
const lifecycleManager = shippedPreset("lifecycle-manager");

const PROJECT_ROOT = path.resolve(__dirname, "..");
/** Left out of the copy: build output, local state, the Pulumi home, stack files of real clients. */
const NOT_COPIED = new Set(["node_modules", "dist", ".git", ".pulumi-state", ".pulumi-home", "coverage"]);

/** The walkthrough as the README shows it. */
function walkthroughBlock(readme: string): string {
  const marker = readme.indexOf("<!-- walkthrough");
  if (marker < 0) throw new Error("README.md has no <!-- walkthrough --> marker");
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(marker));
  if (!block) throw new Error("no ```sh block after the walkthrough marker");
  return block[1];
}

function copyProject(to: string): void {
  fs.mkdirSync(to);
  for (const entry of fs.readdirSync(PROJECT_ROOT)) {
    if (NOT_COPIED.has(entry) || /^Pulumi\..+\.yaml$/.test(entry) || entry.endsWith(".log")) continue;
    fs.cpSync(path.join(PROJECT_ROOT, entry), path.join(to, entry), { recursive: true });
  }
  fs.symlinkSync(fs.realpathSync(path.join(PROJECT_ROOT, "node_modules")), path.join(to, "node_modules"));
}

const bash = (args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> => run("bash", args, { cwd, env });

describe.each(["built", "release"] as const)("on the %s layout", (layout) => {
  let tempDir: string;
  let project: string;
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;
  const printed: string[] = [];
  /** The release layout's bin directory (undefined on the built layout) and its files before the runs. */
  let releaseBin: string | undefined;
  let releaseFiles: string[] = [];

  beforeAll(async () => {
    await pulumiBinDir(); // may build the CLI on a fresh machine, as `npm run setup` would
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-walkthrough-"));
    printed.length = 0;
    releaseBin = layout === "release" ? await releaseLayout(path.join(tempDir, "pulumi-release")) : undefined;
    releaseFiles = releaseBin ? snapshotTree(path.dirname(releaseBin)) : [];
    project = path.join(tempDir, "connectwise-iac");
    copyProject(project);
    sandbox = await startSandbox({ port: 0 });
    const passphraseFile = path.join(tempDir, "passphrase");
    fs.writeFileSync(passphraseFile, "walkthrough test passphrase\n", { mode: 0o600 });
    env = { ...process.env };
    for (const key of Object.keys(env)) if (/^(PULUMI_|CONNECTWISE_)/.test(key)) delete env[key];
    Object.assign(env, {
      // What the README has the reader set before the walkthrough.
      PULUMI_CONFIG_PASSPHRASE_FILE: passphraseFile,
      CONNECTWISE_SITE: sandbox.url,
      CONNECTWISE_COMPANY_ID: sandbox.companyId,
      CONNECTWISE_CLIENT_ID: sandbox.clientId,
      CONNECTWISE_PUBLIC_KEY: sandbox.publicKey,
      CONNECTWISE_PRIVATE_KEY: sandbox.privateKey,
      // Keeps this machine's ~/.pulumi (selected stacks, logins) out of the test.
      PULUMI_HOME: path.join(tempDir, "pulumi-home"),
    });
    // A release install is found on PATH (scripts/ensure-pulumi.sh takes a complete one from there).
    if (releaseBin) env.PATH = `${releaseBin}${path.delimiter}${env.PATH ?? ""}`;
  }, 20 * 60_000);

  /** A test of what does not depend on the layout: declared on the release layout only. */
  const onRelease = (name: string, fn: () => Promise<void>, timeout?: number) => {
    if (layout === "release") test(name, fn, timeout);
  };

  afterAll(async () => {
    await sandbox?.close();
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  });

  const npmPulumi = (args: string) => bash(["-c", `npm run pulumi -- ${args}`], project, env).then(record);

  function record(ran: Ran): Ran {
    printed.push(ran.stdout, ran.stderr);
    return ran;
  }

  test(
    "the README walkthrough, typed as shown: setup, new-client, preview, and an up that stops at the checklist",
    async () => {
      const block = walkthroughBlock(fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8"));
      expect(block).toContain("npm run new-client -- acme");
      fs.writeFileSync(path.join(tempDir, "walkthrough.sh"), block);
      // -e stops at the first failing command, -x traces each command as it runs.
      const ran = record(await bash(["-ex", path.join(tempDir, "walkthrough.sh")], project, env));
      const traced = ran.stderr.split("\n").filter((l) => l.startsWith("+ "));

      // Every command ran; only the last, the first `up`, failed, and it failed with the checklist
      // (the README says so: the published API cannot write permission levels).
      expect(traced[traced.length - 1]).toMatch(/^\+ npm run pulumi -- up /);
      expect(ran.code).not.toBe(0);
      expect(ran.stdout).toContain('Created stack "acme"');
      // `npm run setup` took the install found on PATH (the release layout), or the built one.
      if (releaseBin) expect(ran.stdout).toContain(`export PATH="${releaseBin}:$PATH"`);
      expect(ran.stdout).toMatch(/System > Security Roles > ElementsAPI\n\s+1\. Companies > Company Maintenance: set /);
      // Each step is printed once by preview and up together: in the checklist (each resource's
      // line only points to it), so the operator reads every step once.
      const checklist = ran.stdout.slice(ran.stdout.indexOf("Operator checklist for stack acme"));
      const numbered = checklist.split("\n").filter((l) => /^\s+\d+\. /.test(l));
      expect(numbered.length).toBeGreaterThan(0);
      for (const line of numbered) {
        const text = line.replace(/^\s+\d+\. /, "");
        const times = (within: string) => within.split(text).length - 1;
        expect({ text, times: times(ran.stdout) }).toEqual({ text, times: times(checklist) });
      }
      expect(
        fs.existsSync(path.join(project, ".pulumi-state", ".pulumi", "stacks", "connectwise-iac", "acme.json")),
      ).toBe(true);
      const stackFile = fs.readFileSync(path.join(project, "Pulumi.acme.yaml"), "utf8");
      expect(stackFile).toContain("connectwise:privateKey:\n    secure: v1:");
      expect(stackFile).not.toContain("TODO");
      // Console steps are tied to their resource, not floating under the stack: the project's
      // provider server ran, on either layout.
      expect(ran.stdout).toMatch(
        /pulumi-nodejs:dynamic\/connectwise:SecurityRole \(elements-role\):\n\s+SecurityRole ElementsAPI: /,
      );
    },
    15 * 60_000,
  );

  onRelease(
    "after the operator's console steps, `up` again converges and preview shows no changes",
    async () => {
      // The first up's one checklist held every step: role levels and the Table Setup list. The
      // sandbox plays the operator from the stack's state, as the README tells people trying it.
      const played = record(await bash(["-c", "npm run sandbox -- operator --stack acme"], project, env));
      expect(played.code).toBe(0);
      expect(played.stdout).toContain(
        "System > Security Roles > LifecycleManagerAPI > System > Table Setup > Customize: add",
      );
      const state = await new SandboxConsole(sandbox.consoleUrl).state();
      for (const definition of [elements, lifecycleManager]) {
        const role = state.roles.find((r) => r.name === definition.roleName);
        expect(role?.tableSetup).toEqual(definition.tableSetup);
      }
      expect((await npmPulumi("up --yes --stack acme")).code).toBe(0);
      const preview = await npmPulumi("preview --expect-no-changes --stack acme");
      expect(preview.code).toBe(0);
    },
    10 * 60_000,
  );

  onRelease(
    "a level changed by hand is drift, named per permission, in preview --diff and in --json",
    async () => {
      const operator = new SandboxConsole(sandbox.consoleUrl);
      await operator.setPermissions(elements.roleName, { "Finance/Agreements": { add: "None" } });
      const diff = await npmPulumi("preview --diff --stack acme");
      expect(diff.code).toBe(0);
      // The role's step names the permission (the detailed diff); the drift line (a diagnostic,
      // which the diff view writes to stderr in event order) names the level as read live.
      expect(diff.stdout).toMatch(
        /~ pulumi-nodejs:dynamic\/connectwise:SecurityRole: \(update\)\n(\s+\[.*\]\n)+\s+~ permissions: \{\n\s+~ Finance\/Agreements: \{\n\s+~ add: /,
      );
      expect(diff.stderr).toContain("SecurityRole ElementsAPI: drift: Finance/Agreements add: None => All");
      // --silent: npm's own header would precede the JSON on stdout.
      const json = record(await bash(["-c", "npm run --silent pulumi -- preview --json --stack acme"], project, env));
      const steps = (JSON.parse(json.stdout) as { steps: { urn: string; detailedDiff?: Record<string, unknown> }[] })
        .steps;
      const role = steps.find((step) => step.urn.endsWith("::elements-role"));
      expect(Object.keys(role?.detailedDiff ?? {})).toEqual(
        expect.arrayContaining([expect.stringMatching(/Agreements/)]),
      );
      // Back as declared, for the tests after this one.
      await operator.setPermissions(elements.roleName, { "Finance/Agreements": { add: "All" } });
    },
    5 * 60_000,
  );

  onRelease(
    "Ctrl-C sent to the whole process group reaches pulumi once: it cancels, it does not terminate",
    async () => {
      // As a CI runner interrupts a job: SIGINT to the group that holds npm and the wrapper. npm
      // forwards its copy to the wrapper, which must pass on one.
      let group = 0;
      let seen = "";
      let sent = false;
      const { code, output } = await run("bash", ["-c", "npm run pulumi -- preview --stack acme"], {
        cwd: project,
        env,
        detached: true,
        onSpawn: (child) => (group = child.pid!),
        onOutput: (chunk) => {
          seen += chunk;
          if (!sent && seen.includes("Previewing update")) {
            sent = true;
            // pulumi installs its SIGINT handler a moment after the header; the program's run takes seconds.
            setTimeout(() => process.kill(-group, "SIGINT"), 1000);
          }
        },
      });
      printed.push(output);
      expect(sent).toBe(true);
      expect(output).toContain("preview canceled");
      expect(code).not.toBe(0);
      expect(output.match(/\^C received; cancelling/g)).toHaveLength(1);
      expect(output).not.toContain("terminating");
    },
    5 * 60_000,
  );

  test("no credential in plaintext: stack file, state, or anything printed", () => {
    const state = fs.readFileSync(
      path.join(project, ".pulumi-state", ".pulumi", "stacks", "connectwise-iac", "acme.json"),
      "utf8",
    );
    const haystacks = [fs.readFileSync(path.join(project, "Pulumi.acme.yaml"), "utf8"), state, ...printed];
    for (const secret of [sandbox.privateKey, "walkthrough test passphrase"]) {
      expect(haystacks.some((h) => h.includes(secret))).toBe(false);
    }
  });

  test("nothing was written into the Pulumi installation or a plugin directory", async () => {
    if (releaseBin) expect(snapshotTree(path.dirname(releaseBin))).toEqual(releaseFiles);
    // The CLI the project builds carries the stock dynamic-provider plugin, as a release does.
    const stock = path.join(PROJECT_ROOT, "node_modules", "@pulumi", "pulumi", "pulumi-resource-pulumi-nodejs");
    const beside = path.join(releaseBin ?? (await pulumiBinDir()), "pulumi-resource-pulumi-nodejs");
    expect(fs.readFileSync(beside, "utf8")).toEqual(fs.readFileSync(stock, "utf8"));
    expect(fs.existsSync(path.join(tempDir, "pulumi-home", "plugins"))).toBe(false);
  });

  onRelease("Pulumi.acme.yaml is not git-ignored: stack files are committed", async () => {
    // The project's .gitignore in a fresh repository, so the answer does not depend on this checkout.
    const repo = path.join(tempDir, "gitignore-check");
    fs.mkdirSync(repo);
    fs.copyFileSync(path.join(PROJECT_ROOT, ".gitignore"), path.join(repo, ".gitignore"));
    const check = (file: string) =>
      bash(["-c", `git init -q && git check-ignore --no-index -q ${file}`], repo, process.env);
    expect((await check("Pulumi.acme.yaml")).code).toBe(1); // 1: not ignored
    expect((await check(".pulumi-state/x")).code).toBe(0); // 0: ignored
  });
});
