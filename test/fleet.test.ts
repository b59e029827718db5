// End to end: `node dist/cli/fleet/fleet.js`, as users run it, in a project directory of its own
// (Pulumi.yaml copied, dist/ and node_modules linked) holding three client stacks on one sandbox
// tenant: one converged, one drifted by hand in the console, one new (config file only). The real
// Pulumi CLI, a file backend, and a scan of every report and printed line for credentials.
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { FleetReport, MARKER } from "../cli/fleet/fleetReport";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { PulumiEnvironment, pulumiEnvironment, sandboxConnection } from "./e2e/pulumi";
import { until } from "./manual-clock";
import { shippedPreset } from "../program/presets";

const elements = shippedPreset("elements");

const ROOT = path.resolve(__dirname, "..");
const FLEET = path.join(ROOT, "dist", "cli", "fleet", "fleet.js");
const BUILD_TIMEOUT_MS = 20 * 60_000;
const STEP_TIMEOUT_MS = 8 * 60_000;
// Non-empty, so the stack files hold real ciphertext; a credential like any other for the scans.
const PASSPHRASE = "fleet-test-passphrase-7c1e";

let env: PulumiEnvironment;
let sandbox: RunningSandbox;
let operator: SandboxConsole;
let projectDir: string;
const secrets: string[] = [];
const printed: string[] = [];

const ROLES = { acme: "ElementsAPI acme", globex: "ElementsAPI globex", initech: "ElementsAPI initech" };

function member(identifier: string) {
  return {
    identifier,
    name: identifier,
    email: "it@example.com",
    level: "Corporate",
    businessUnit: "Admin",
    location: "Main",
    defaultTerritory: "Main",
  };
}

function childEnv(): NodeJS.ProcessEnv {
  return { ...process.env, ...env.envVars, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE };
}

async function tenantStack(name: keyof typeof ROLES, memberId: string): Promise<Stack> {
  const pulumiCommand = await PulumiCommand.get({ root: env.root, skipVersionCheck: true });
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: name, workDir: projectDir },
    { workDir: projectDir, pulumiCommand, envVars: { ...env.envVars, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE } },
  );
  await stack.setAllConfig({
    ...sandboxConnection(sandbox),
    "connectwise-iac:integrations": {
      value: JSON.stringify([{ kind: "elements", roleName: ROLES[name], member: member(memberId) }]),
    },
  });
  return stack;
}

/** Up until converged, playing the operator for the role's levels. */
async function converge(stack: Stack, roleName: string): Promise<void> {
  for (let round = 0; round < 3; round++) {
    try {
      await stack.up({ onOutput: (l) => printed.push(l) });
      return;
    } catch {
      await operator.setPermissions(roleName, elements.permissions);
    }
  }
  throw new Error(`${roleName} did not converge`);
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

function fleet(
  args: string[],
  wrap?: (cmd: string[]) => string[],
  onSpawn?: (child: ChildProcess) => void,
): Promise<Run> {
  const started = Date.now();
  const cmd = wrap ? wrap(["node", FLEET, ...args]) : ["node", FLEET, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0], cmd.slice(1), { cwd: projectDir, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    onSpawn?.(child);
    child.on("error", reject);
    child.on("close", (code) => {
      printed.push(stdout, stderr);
      if (process.env.FLEET_DEBUG_EVENTS) console.log(`fleet ${args.join(" ")}: exit ${code}\n${stdout}\n${stderr}`);
      resolve({ code: code ?? -1, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

/** Live descendants of `pid` with their command name and whether they ignore SIGINT (Linux /proc). */
function descendants(pid: number): { pid: number; name: string; ignoresSigint: boolean }[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // ended meanwhile
    }
  }
  const found: { pid: number; name: string; ignoresSigint: boolean }[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      try {
        const status = fs.readFileSync(`/proc/${c}/status`, "utf8");
        const name = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? "";
        const sigIgn = BigInt(`0x${/^SigIgn:\s+([0-9a-f]+)$/m.exec(status)?.[1] ?? "0"}`);
        found.push({ pid: c, name, ignoresSigint: (sigIgn & 2n) !== 0n }); // SIGINT is signal 2: bit 1
      } catch {
        // ended meanwhile
      }
      walk(c);
    }
  };
  walk(pid);
  return found;
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

const alive = (pid: number) => fs.existsSync(`/proc/${pid}`);

const read = (file: string) => fs.readFileSync(path.join(projectDir, file), "utf8");
const readReport = (file: string) => JSON.parse(read(file)) as FleetReport;
const byStack = (report: FleetReport, name: string) => report.stacks.find((s) => s.stack === name)!;

beforeAll(async () => {
  expect(fs.existsSync(FLEET)).toBe(true); // `npm test` compiles first
  env = await pulumiEnvironment();
  sandbox = await startSandbox({ port: 0 });
  operator = new SandboxConsole(sandbox.consoleUrl);
  secrets.push(
    sandbox.privateKey,
    sandbox.publicKey,
    PASSPHRASE,
    Buffer.from(`${sandbox.companyId}+${sandbox.publicKey}:${sandbox.privateKey}`).toString("base64"),
  );
  projectDir = path.join(env.tempDir, "msp-repo");
  fs.mkdirSync(projectDir);
  fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(projectDir, "Pulumi.yaml"));
  fs.symlinkSync(path.join(ROOT, "dist"), path.join(projectDir, "dist"));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(projectDir, "node_modules"));

  const acme = await tenantStack("acme", "AcmeAPI");
  const globex = await tenantStack("globex", "GlobexAPI");
  await converge(acme, ROLES.acme);
  await converge(globex, ROLES.globex);
  await tenantStack("initech", "InitechAPI");
  // A new client arrives as a config file in a pull request: not on the backend yet.
  await acme.workspace.removeStack("initech", { preserveConfig: true });
  if (!fs.existsSync(path.join(projectDir, "Pulumi.initech.yaml"))) throw new Error("Pulumi.initech.yaml is gone");
  for (const stack of [acme, globex]) {
    const outputs = await stack.outputs();
    const key = (outputs.integrations?.value as Record<string, { privateKey?: string }>)?.elements?.privateKey;
    if (key) secrets.push(key);
  }
  await driftGlobex();
}, BUILD_TIMEOUT_MS);

/** The hand-made change of globex the fixture holds: Finance/Agreements add None in the console. */
const driftGlobex = () => operator.setPermissions(ROLES.globex, { "Finance/Agreements": { add: "None" } });

afterAll(async () => {
  await sandbox?.close();
  env?.dispose();
});

afterEach(() => {
  const files = fs.existsSync(projectDir)
    ? fs.readdirSync(projectDir).filter((f) => /\.(json|md)$/.test(f) || /^Pulumi\..+\.yaml$/.test(f))
    : [];
  const texts = [...files.map(read), printed.join("\n")];
  for (const secret of secrets) for (const text of texts) expect(text.includes(secret)).toBe(false);
});

describe("fleet over three client stacks", () => {
  // The fixture every test starts from (set up once here, never by a test): acme converged,
  // globex converged then drifted by hand in the console, initech a config file only.
  it(
    "preview exits 2 and reports each stack, the drift apart from the changes, in JSON and Markdown",
    async () => {
      const run = await fleet(["preview", "--json", "preview.json", "--markdown", "preview.md", "--parallel", "3"]);
      expect(run.stderr).not.toMatch(/^fleet: /m);
      expect(run.code).toBe(2);
      const report = readReport("preview.json");
      expect(report.operation).toBe("preview");
      expect(report.stacks.map((s) => s.stack)).toEqual(["acme", "globex", "initech"]);

      const acme = byStack(report, "acme");
      expect(acme).toMatchObject({ result: "no changes", creates: 0, updates: 0, deletes: 0, replacements: 0 });
      expect(acme.tenant).toBe(`${sandbox.companyId} at ${new URL(sandbox.url).host}`);

      const globex = byStack(report, "globex");
      expect(globex.result).toBe("drift");
      // The role's update only restores drift: counted as drift, not as a change of the pull request.
      expect(globex.updates).toBe(0);
      expect(globex.changes).toEqual([expect.objectContaining({ type: "SecurityRole", driftOnly: true })]);
      expect(globex.drift).toEqual([
        { type: "SecurityRole", label: ROLES.globex, field: "Finance/Agreements add", live: "None", declared: "All" },
      ]);
      expect(globex.consoleSteps).toHaveLength(1);

      const initech = byStack(report, "initech");
      // A new role's console steps are known at preview (every level of a new role is None), so a
      // stack never deployed reports them: its first up will leave them to the operator.
      expect(initech.result).toBe("steps pending");
      expect(initech.consoleSteps.length).toBeGreaterThan(0);
      expect(initech.creates).toBeGreaterThanOrEqual(3); // role, member, key (and the component)
      expect(initech.drift).toEqual([]);

      const md = read("preview.md");
      const lines = md.split("\n");
      expect(lines[0]).toBe(MARKER);
      expect(md.indexOf("| stack | tenant |")).toBeLessThan(md.indexOf("<details>"));
      expect(md.match(/<details>/g)).toHaveLength(3);
      expect(md).toContain(`- SecurityRole ${ROLES.globex}: Finance/Agreements add: None (live)`);
      expect(md).toContain(`+ SecurityRole ${ROLES.globex}: Finance/Agreements add: All (declared)`);
      expect(md).toMatch(/Drift \(the live tenant differs from the state/);
      expect(md).toMatch(/\+ create SecurityRole initech-role|\+ create SecurityRole \S*role/);
      expect(md.length).toBeLessThanOrEqual(65_536);
      expect(run.stdout).toMatch(
        /^stack\s+tenant\s+creates\s+updates\s+deletes\s+replacements\s+console steps\s+drift\s+keys expiring\s+result$/m,
      );
      console.log(`fleet preview of 3 stacks: ${run.seconds.toFixed(1)} s\n${run.stdout}\n${md}`);

      // The same preview with a process set per stack (language host, program and provider, as
      // for a project whose program is its own) reports the same.
      const separate = await fleet(["preview", "--json", "preview-processes.json", "--parallel", "3"], (cmd) => [
        "env",
        "CW_IAC_FLEET_PROCESSES=1",
        ...cmd,
      ]);
      expect(separate.code).toBe(2);
      const timeless = (r: FleetReport) => ({
        ...r,
        startedAt: "",
        stacks: r.stacks.map((s) => ({ ...s, seconds: 0 })),
      });
      expect(timeless(readReport("preview-processes.json"))).toEqual(timeless(report));
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "refresh --preview-only (the nightly drift check) finds the drifted permission and writes nothing",
    async () => {
      const run = await fleet([
        "refresh",
        "--preview-only",
        "--stacks",
        "acme,globex",
        "--json",
        "drift.json",
        "--markdown",
        "drift.md",
      ]);
      expect(run.code).toBe(2);
      const report = readReport("drift.json");
      expect(byStack(report, "acme").result).toBe("no changes");
      const globex = byStack(report, "globex");
      expect(globex.result).toBe("drift");
      expect(globex.drift.map((d) => d.field)).toContain("permissions Finance/Agreements add");
      expect(read("drift.md")).toContain("Fleet refresh (--preview-only)");
      // Nothing was written: the same drift is still there for a preview.
      expect((await fleet(["refresh", "--preview-only", "--stacks", "globex"])).code).toBe(2);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "report merges chunk files into the same comment",
    async () => {
      await fleet(["preview", "--stacks", "acme", "--json", "a.json"]);
      await fleet(["preview", "--stacks", "globex,initech", "--json", "b.json"]);
      const run = await fleet([
        "report",
        "--from",
        "a.json,b.json",
        "--markdown",
        "merged.md",
        "--json",
        "merged.json",
      ]);
      expect(run.code).toBe(2);
      expect(readReport("merged.json").stacks.map((s) => s.stack)).toEqual(["acme", "globex", "initech"]);
      expect(read("merged.md").split("\n")[0]).toBe(MARKER);
      expect(read("merged.md")).toContain(`Finance/Agreements add: None (live)`);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "up leaves console steps (exit 2); once the operator has done them, up and preview exit 0",
    async () => {
      try {
        const first = await fleet(["up", "--json", "up.json"]);
        expect(first.code).toBe(2);
        const report = readReport("up.json");
        expect(byStack(report, "acme").result).toBe("no changes");
        expect(byStack(report, "globex").result).toBe("steps pending");
        expect(byStack(report, "globex").consoleSteps.join("\n")).toContain(
          `${ROLES.globex} > Finance > Agreements: set Add Level to All (now None)`,
        );
        expect(byStack(report, "initech").result).toBe("steps pending");
        await operator.setPermissions(ROLES.globex, elements.permissions);
        await operator.setPermissions(ROLES.initech, elements.permissions);
        let last = await fleet(["up", "--json", "up2.json"]);
        for (let i = 0; i < 2 && last.code === 2; i++) last = await fleet(["up", "--json", "up2.json"]);
        expect(last.code).toBe(0);
        const preview = await fleet(["preview", "--json", "final.json", "--markdown", "final.md"]);
        expect(preview.code).toBe(0);
        expect(readReport("final.json").stacks.every((s) => s.result === "no changes")).toBe(true);
        console.log(`final fleet preview (direct): ${preview.seconds.toFixed(1)} s\n${preview.stdout}`);
      } finally {
        // Back to the fixture for whatever runs next: globex drifted again, initech new again.
        await driftGlobex();
        const initech = await tenantStack("initech", "InitechAPI");
        await initech.destroy({ onOutput: (l) => printed.push(l) });
        await initech.workspace.removeStack("initech", { preserveConfig: true });
      }
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "started from a backgrounded shell (SIGINT ignored), the pulumi processes it starts still take SIGINT",
    async () => {
      const seen = new Map<number, { name: string; ignoresSigint: boolean }>();
      let timer: NodeJS.Timeout | undefined;
      // A non-interactive shell starts `cmd &` with SIGINT ignored, and children inherit that.
      const run = await fleet(
        ["preview", "--json", "bg.json"],
        (cmd) => ["bash", "-c", `${cmd.map((c) => `'${c}'`).join(" ")} & wait $!`],
        (child) => {
          timer = setInterval(() => {
            for (const d of descendants(child.pid!)) seen.set(d.pid, d);
          }, 150);
        },
      );
      clearInterval(timer);
      expect(run.code).toBe(2); // the fixture: globex drifted, initech new
      // Control: in this set-up a backgrounded command does start with SIGINT ignored.
      const control = spawnSync("bash", ["-c", "grep SigIgn /proc/self/status & wait $!"], { encoding: "utf8" });
      expect(BigInt(`0x${control.stdout.split(/\s+/)[1]}`) & 2n).toBe(2n);
      const pulumis = [...seen.values()].filter((d) => d.name === "pulumi" || d.name.startsWith("pulumi-"));
      expect(pulumis.length).toBeGreaterThanOrEqual(3);
      expect(pulumis.filter((d) => d.ignoresSigint)).toEqual([]);
      console.log(`backgrounded fleet preview of 3 stacks: ${run.seconds.toFixed(1)} s`);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "Ctrl-C stops every pulumi process it started, and exits 1",
    async () => {
      let pids: number[] = [];
      let interruptedAt = 0;
      const run = await fleet(["preview", "--parallel", "3"], undefined, (child) => {
        const poll = setInterval(() => {
          const running = descendants(child.pid!);
          // Interrupt once the three previews (not the short `stack select` calls) are under way.
          const previews = running.filter((d) => d.name === "pulumi" && commandLine(d.pid).includes("preview"));
          if (previews.length >= 3 || Date.now() - started > 180_000) {
            clearInterval(poll);
            pids = running.map((d) => d.pid);
            interruptedAt = Date.now();
            child.kill("SIGINT");
          }
        }, 150);
        const started = Date.now();
      });
      const stopSeconds = (Date.now() - interruptedAt) / 1000;
      expect(pids.length).toBeGreaterThanOrEqual(3);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/cancelled/);
      expect(run.stderr).toContain("SIGINT: stopping");
      // Every process it started ends (the test's timeout bounds the wait; no time is asserted).
      await until(() => pids.filter(alive).length === 0, `the end of ${pids.filter(alive).join(", ")}`);
      console.log(`Ctrl-C: ${pids.length} processes stopped ${stopSeconds.toFixed(1)} s after SIGINT`);
    },
    STEP_TIMEOUT_MS,
  );
});
