// CLI-level figures: the real Pulumi CLI (scripts/ensure-pulumi.sh), a throw-away file backend and
// one in-process sandbox tenant. Every variant of a table runs once per round, the order rotating
// round by round so that load from other work on the machine spreads over all of them; medians.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { pulumiBinDir, releaseLayoutBin, runPulumi, RunResult } from "../../pulumi-runtime/pulumiCli";
import { SandboxConsole } from "../../sandbox/console";
import { RunningSandbox, startSandbox } from "../../sandbox/server";
import { IntegrationDefinition } from "../../program/integration";
import { BenchOptions, median, roundOrder } from "./args";
import { shippedPreset } from "../../program/presets";

const elements = shippedPreset("elements");
const lifecycleManager = shippedPreset("lifecycle-manager");

const ROOT = path.resolve(__dirname, "..", "..", "..");
export const progress = (text: string) => process.stderr.write(`[bench] ${text}\n`);

export interface Integration {
  definition: IntegrationDefinition;
  kind: string;
  name?: string;
  roleName: string;
  member: string;
}

export interface Setup {
  sandbox: RunningSandbox;
  operator: SandboxConsole;
  bin: string;
  temp: string;
  env: NodeJS.ProcessEnv;
}

function memberSettings(identifier: string) {
  return {
    identifier,
    name: identifier,
    email: "api@bench.example",
    level: "Corporate",
    businessUnit: "Admin",
    location: "Main",
    defaultTerritory: "Main",
  };
}

/** One tenant's stack config: plain values only; the keys come from the environment (CONNECTWISE_*). */
export function stackConfig(setup: Setup, integrations: Integration[]): Record<string, string> {
  return {
    "connectwise:site": setup.sandbox.url,
    "connectwise:companyId": setup.sandbox.companyId,
    "connectwise-iac:integrations": JSON.stringify(
      integrations.map((i) => ({
        kind: i.kind,
        ...(i.name ? { name: i.name } : {}),
        roleName: i.roleName,
        member: memberSettings(i.member),
      })),
    ),
  };
}

/** `count` Elements integrations with their own names, roles and members (`prefix` keeps stacks apart). */
export function elementsTimes(count: number, prefix: string): Integration[] {
  return Array.from({ length: count }, (_, i) => ({
    definition: elements,
    kind: "elements",
    name: `${prefix}-el${i}`,
    roleName: `${prefix} Elements ${i}`,
    member: `${prefix}M${i}`.replace(/[^A-Za-z0-9]/g, ""),
  }));
}

/**
 * A project directory whose program is this package's compiled tenant program, with the runtime
 * options of the shipped Pulumi.yaml (`typescript: false`); its node_modules holds this package.
 */
export function project(setup: Setup, dir: string, name: string, options: { providerPlugin?: boolean } = {}): string {
  const full = path.join(setup.temp, dir);
  fs.mkdirSync(full, { recursive: true });
  const plugin = path.join(ROOT, "dist", "pulumi-runtime", "plugin");
  const settings = {
    name,
    runtime: { name: "nodejs", options: { typescript: false } },
    main: path.relative(full, path.join(ROOT, "dist", "index.js")),
    // As this project's Pulumi.yaml: its provider server, not the SDK's stock one beside the CLI.
    ...(options.providerPlugin ? { plugins: { providers: [{ name: "pulumi-nodejs", path: plugin }] } } : {}),
  };
  fs.writeFileSync(path.join(full, "Pulumi.yaml"), toYaml(settings));
  return full;
}

/**
 * The tenant as a user has it: a checkout of this project (its own Pulumi.yaml and package.json,
 * dist/ and node_modules/ linked from this one), so the CLI, the language host, the program and
 * the provider plugin start where and as they do for `npm run pulumi -- preview`.
 */
export function userCheckout(setup: Setup): string {
  const dir = path.join(setup.temp, "checkout");
  fs.mkdirSync(dir);
  for (const file of ["Pulumi.yaml", "package.json"]) fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  for (const link of ["dist", "node_modules"]) fs.symlinkSync(path.join(ROOT, link), path.join(dir, link), "dir");
  return dir;
}

/**
 * The true floor: an empty program in a plain directory, outside any node_modules of this
 * project, holding what \`pulumi new\` would (Pulumi.yaml with the same runtime options,
 * package.json, index.js, node_modules/@pulumi/pulumi), run by the same CLI with the same
 * environment. Its stack file is a copy of the tenant's (config and encrypted key pair).
 */
export function floorProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-floor-"));
  fs.writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    toYaml({ name: "floor", runtime: { name: "nodejs", options: { typescript: false } }, main: "index.js" }),
  );
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "floor", private: true, main: "index.js" }));
  fs.writeFileSync(path.join(dir, "index.js"), "// no resources\n");
  fs.mkdirSync(path.join(dir, "node_modules", "@pulumi"), { recursive: true });
  fs.symlinkSync(
    fs.realpathSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi")),
    path.join(dir, "node_modules", "@pulumi", "pulumi"),
    "dir",
  );
  return dir;
}

function writeStackConfig(dir: string, stack: string, config: Record<string, string>): void {
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  const existing = (fs.existsSync(file) ? parseYaml(fs.readFileSync(file, "utf8")) : {}) as Record<string, unknown>;
  fs.writeFileSync(file, toYaml({ ...existing, config }));
}

async function pulumi(setup: Setup, dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return runPulumi(setup.bin, [...args, "--non-interactive"], { cwd: dir, env: { ...setup.env, ...env } });
}

export async function mustPulumi(
  setup: Setup,
  dir: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<RunResult> {
  const result = await pulumi(setup, dir, args, env);
  if (result.code !== 0)
    throw new Error(`pulumi ${args.join(" ")} exited ${result.code}:\n${(result.stdout + result.stderr).slice(-2000)}`);
  return result;
}

/** The README's tenant: Elements and Lifecycle Manager, each with its role and API member. */
export function readmeTenant(): Integration[] {
  return [
    { definition: elements, kind: "elements", roleName: elements.roleName, member: "APIMember" },
    {
      definition: lifecycleManager,
      kind: "lifecycle-manager",
      roleName: lifecycleManager.roleName,
      member: "LMXMember",
    },
  ];
}

/** The operator's console steps for these integrations' roles. */
export async function playOperator(setup: Setup, integrations: Integration[]): Promise<void> {
  for (const i of integrations) {
    // A role the last up did not reach yet (it stops at the first failure) waits for the next round.
    const exists = await setup.operator.role(i.roleName).then(
      () => true,
      () => false,
    );
    if (!exists) continue;
    await setup.operator.setPermissions(i.roleName, i.definition.permissions);
    if (i.definition.tableSetup.length > 0) await setup.operator.setTableSetup(i.roleName, i.definition.tableSetup);
  }
}

/** A converged tenant stack: `up` until it succeeds, playing the operator in between. */
export async function convergedStack(
  setup: Setup,
  dir: string,
  stack: string,
  integrations: Integration[],
  options: { secretKeys?: boolean } = {},
): Promise<void> {
  await mustPulumi(setup, dir, ["stack", "init", stack]);
  writeStackConfig(dir, stack, stackConfig(setup, integrations));
  if (options.secretKeys) {
    await mustPulumi(setup, dir, ["config", "set", "connectwise:clientId", setup.sandbox.clientId, "--stack", stack]);
    for (const [key, value] of [
      ["connectwise:publicKey", setup.sandbox.publicKey],
      ["connectwise:privateKey", setup.sandbox.privateKey],
    ])
      // on stdin, never on a command line
      await runPulumi(setup.bin, ["config", "set", "--secret", key, "--stack", stack, "--non-interactive"], {
        cwd: dir,
        env: setup.env,
        input: value,
      });
  }
  for (let round = 0; ; round++) {
    const up = await pulumi(setup, dir, ["up", "--yes", "--skip-preview", "--continue-on-error", "--stack", stack]);
    if (up.code === 0) break;
    if (round === 4) throw new Error(`stack ${stack} did not converge:\n${(up.stdout + up.stderr).slice(-2000)}`);
    await playOperator(setup, integrations);
  }
  await mustPulumi(setup, dir, ["preview", "--expect-no-changes", "--stack", stack]);
}

export interface Variant {
  label: string;
  run: () => Promise<number>;
}

/** Runs every variant once per round (order rotating), returns the median milliseconds of each. */
export async function interleaved(title: string, variants: Variant[], rounds: number): Promise<Map<string, number[]>> {
  const times = new Map<string, number[]>(variants.map((v) => [v.label, []]));
  for (let round = 0; round < rounds; round++) {
    for (const v of roundOrder(variants, round)) {
      progress(`${title}: round ${round + 1}/${rounds}, ${v.label}`);
      times.get(v.label)!.push(await v.run());
    }
  }
  return times;
}

export const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
export const ms = (n: number) => `${n.toFixed(0)} ms`;

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => `| ${cells.map((s, c) => s.padEnd(widths[c])).join(" | ")} |`;
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

async function timedPreview(setup: Setup, dir: string, stack: string, parallelDiff: boolean): Promise<number> {
  const start = performance.now();
  await mustPulumi(setup, dir, ["preview", "--stack", stack], { PULUMI_PARALLEL_DIFF: String(parallelDiff) });
  return performance.now() - start;
}

/**
 * The same setup on a Pulumi installed as released: a bin/ holding the built pulumi, its language
 * host and the SDK's stock pulumi-resource-pulumi-nodejs shim (what a release unpacks), first on
 * PATH. Pulumi.yaml's plugins.providers still runs this project's provider server.
 */
export function releaseLayout(setup: Setup): Setup {
  const bin = releaseLayoutBin(setup.bin, path.join(setup.temp, "release"));
  return { ...setup, bin, env: { ...setup.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` } };
}

export async function prepare(): Promise<Setup> {
  const bin = await pulumiBinDir();
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-bench-"));
  // Our provider server runs where the shim finds connectwise-iac above the program's directory:
  // give the scratch projects a node_modules that holds this package and its dependencies.
  const modules = path.join(temp, "node_modules");
  fs.mkdirSync(modules);
  fs.symlinkSync(ROOT, path.join(modules, "connectwise-iac"));
  for (const entry of fs.readdirSync(path.join(ROOT, "node_modules")))
    fs.symlinkSync(path.join(ROOT, "node_modules", entry), path.join(modules, entry));
  fs.mkdirSync(path.join(temp, "home"));
  const sandbox = await startSandbox({ port: 0 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
    PULUMI_BACKEND_URL: `file://${path.join(temp, "backend")}`,
    PULUMI_HOME: path.join(temp, "home"),
    PULUMI_CONFIG_PASSPHRASE: "", // throw-away stacks on a throw-away sandbox
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    CONNECTWISE_CLIENT_ID: sandbox.clientId,
    CONNECTWISE_PUBLIC_KEY: sandbox.publicKey,
    CONNECTWISE_PRIVATE_KEY: sandbox.privateKey,
  };
  delete env.PULUMI_PARALLEL_DIFF; // each run sets it
  fs.mkdirSync(path.join(temp, "backend"));
  return { sandbox, operator: new SandboxConsole(sandbox.consoleUrl), bin, temp, env };
}

export function dispose(setup: Setup): void {
  fs.rmSync(setup.temp, { recursive: true, force: true });
}

export async function requestsOf(
  setup: Setup,
  work: () => Promise<unknown>,
): Promise<{ total: number; writes: number }> {
  await setup.operator.resetRequests();
  await work();
  const log = await setup.operator.requests();
  const total = Object.values(log.counts).reduce((a, b) => a + b, 0);
  return { total, writes: log.entries.filter((e) => e.method !== "GET").length };
}

/** The CLI part: previews of a converged tenant against the true floor, latency, scale, parallel diff. */
export async function benchCli(options: BenchOptions): Promise<void> {
  const setup = await prepare();
  const empty = floorProject();
  try {
    const { operator } = setup;
    const tenant = userCheckout(setup);
    progress("converging the two-integration tenant (Elements + Lifecycle Manager) and creating the floor's stack");
    const two = readmeTenant();
    // The README's tenant: its key pair in the stack file, encrypted (passphrase), as new-client writes it.
    await convergedStack(setup, tenant, "two", two, { secretKeys: true });
    await mustPulumi(setup, empty, ["stack", "init", "two"]);
    fs.copyFileSync(path.join(tenant, "Pulumi.two.yaml"), path.join(empty, "Pulumi.two.yaml"));
    const sizes = options.sizes;
    for (const n of sizes) {
      progress(`converging a tenant of ${n} Elements integrations`);
      await convergedStack(
        setup,
        project(setup, `n${n}`, "connectwise-iac", { providerPlugin: true }),
        `n${n}`,
        elementsTimes(n, `N${n}`),
      );
    }

    console.log(
      `\nCLI level: pulumi ${(await mustPulumi(setup, empty, ["version"])).stdout.trim()} (${setup.bin}), file backend, ` +
        `Node ${process.version}, rounds: ${options.rounds} (medians); load average at start ${loadavg()} on ${os.availableParallelism()} CPUs`,
    );

    // Requests, at no latency: what one preview and one refresh send.
    const previewReq = await requestsOf(setup, () => timedPreview(setup, tenant, "two", true));
    const refreshReq = await requestsOf(setup, () =>
      mustPulumi(setup, tenant, ["refresh", "--preview-only", "--stack", "two"]),
    );

    // Whether diff order changes what users see: the same preview's output, serial against parallel.
    await operator.setPermissions(elements.roleName, { "Finance/Agreements": { add: "None" } }); // drift to show
    await operator.setFaults({ latencyMs: options.cliLatency });
    const outputs = await Promise.all(
      [false, true].map(async (parallel) => {
        const r = await pulumi(setup, tenant, ["preview", "--diff", "--stack", "two"], {
          PULUMI_PARALLEL_DIFF: String(parallel),
        });
        // Durations in the summary line differ from run to run.
        return r.stdout.replace(/Duration: .*/g, "").replace(/\d+(\.\d+)?s\b/g, "");
      }),
    );
    await operator.setFaults({ latencyMs: 0 });
    await playOperator(setup, two.slice(0, 1)); // converged again
    const sameOutput =
      outputs[0] === outputs[1]
        ? "identical"
        : [...outputs[0].split("\n")].sort().join("\n") === [...outputs[1].split("\n")].sort().join("\n")
          ? "same lines, another order"
          : "different";

    const rows: string[][] = [];
    const layouts: [string, Setup][] = [
      ["built CLI", setup],
      ["release layout", releaseLayout(setup)],
    ];
    for (const [layout, cli] of layouts) {
      for (const latency of [0, options.cliLatency]) {
        await operator.setFaults({ latencyMs: latency });
        const t = await interleaved(
          `${layout}, no-op preview at ${latency} ms`,
          [
            { label: "empty", run: () => timedPreview(cli, empty, "two", false) },
            { label: "serial", run: () => timedPreview(cli, tenant, "two", false) },
            { label: "parallel", run: () => timedPreview(cli, tenant, "two", true) },
          ],
          options.rounds,
        );
        const [e, s, p] = ["empty", "serial", "parallel"].map((k) => median(t.get(k)!));
        // Retries or timeouts under latency would show here as more requests than at 0 ms.
        const req = await requestsOf(setup, () => timedPreview(cli, tenant, "two", true));
        rows.push([
          layout,
          `${latency} ms`,
          ms(e),
          ms(s),
          ms(p),
          `${(s / e).toFixed(2)}`,
          `${(p / e).toFixed(2)}`,
          `${(s / p).toFixed(2)}`,
          String(req.total),
        ]);
      }
    }
    console.log(
      `\nNo-op preview of the README's tenant (Elements + Lifecycle Manager, converged, its key pair encrypted in ` +
        `its stack file, run from a checkout of this project) against the floor: an empty program in a plain ` +
        `directory (${empty}), the same CLI, runtime options, environment and stack file; built CLI: the one ` +
        `scripts/ensure-pulumi.sh builds, release layout: a bin/ with that pulumi, its language host and the SDK's ` +
        `stock pulumi-resource-pulumi-nodejs (Pulumi.yaml's plugins.providers runs this project's provider on both)`,
    );
    console.log(
      table(
        [
          "CLI",
          "latency",
          "floor (empty program)",
          "tenant, serial diff",
          "tenant, parallel diff",
          "serial / floor",
          "parallel / floor",
          "serial / parallel",
          "requests",
        ],
        rows,
      ),
    );
    console.log(
      `requests (sandbox log, no latency): preview ${previewReq.total} (writes ${previewReq.writes}), ` +
        `refresh --preview-only ${refreshReq.total} (writes ${refreshReq.writes}); load average now ${loadavg()}`,
    );
    console.log(`preview --diff output with drift, serial against parallel diff: ${sameOutput}`);

    await operator.setFaults({ latencyMs: options.cliLatency });
    const variants: Variant[] = sizes.flatMap((n) => [
      { label: `${n} serial`, run: () => timedPreview(setup, path.join(setup.temp, `n${n}`), `n${n}`, false) },
      { label: `${n} parallel`, run: () => timedPreview(setup, path.join(setup.temp, `n${n}`), `n${n}`, true) },
    ]);
    const t = await interleaved(`scaling at ${options.cliLatency} ms`, variants, options.rounds);
    await operator.setFaults({ latencyMs: 0 });
    const scaleRows: string[][] = [];
    for (const n of sizes) {
      const req = await requestsOf(setup, () => timedPreview(setup, path.join(setup.temp, `n${n}`), `n${n}`, true));
      const [s, p] = [median(t.get(`${n} serial`)!), median(t.get(`${n} parallel`)!)];
      scaleRows.push([String(n), ms(s), ms(p), (s / p).toFixed(2), String(req.total)]);
    }
    console.log(`\nNo-op preview against the number of Elements integrations, ${options.cliLatency} ms latency`);
    console.log(
      table(["integrations", "serial diff", "parallel diff", "serial / parallel", "requests per preview"], scaleRows),
    );
  } finally {
    await setup.sandbox.close();
    dispose(setup);
    fs.rmSync(empty, { recursive: true, force: true });
  }
}
