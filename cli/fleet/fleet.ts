// `npm run fleet -- preview|up|refresh|report ...`: every client stack of the project through the
// Automation API, a few at a time, with a progress line per stack, a summary table, and the JSON
// and Markdown reports a pull request or a nightly job needs. See README "Fleet and pull requests".
// First: SDK modules the fleet never uses (TypeScript's compiler, the packaging of serialized
// closures) stay unloaded, as in the program (index.ts); they cost a second of CPU at start.
import "../../pulumi-runtime/deferredSdkModules";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { parse as parseYaml } from "yaml";
import { EventCollector, Operation } from "./fleetEvents";
import { InlineProgram, inlineTenantProgram, ownSubchannelsPerClient, runsInline } from "./inlineStacks";
import { InProcessProvider, startInProcessProvider } from "../../pulumi-runtime/inProcessProvider";
import type { ReviewRecord } from "../../review/records";
import { pulumiBinDir, pulumiEnv } from "../../pulumi-runtime/pulumiCli";
import { EXPIRY_WARNING_DAYS, listFleet } from "./fleetInventory";
import { expiresWithinDays, expiryOf, keysOf } from "../shared/stackInventory";
import type { StateResource } from "../shared/stackConnection";
import { describePulumiFailure, passphraseProblem, pulumiErrorLines } from "../shared/pulumiErrors";
import { RECORDS_ENV, readRecords } from "../../review/recordsFile";
import { GuardrailsConfig, parseGuardrails, policyArgs } from "../../policy/stackConfig";
import {
  exitCode,
  EXIT_FAILED,
  FleetReport,
  markdown,
  mergeReports,
  redact,
  StackReport,
  StackResult,
  textTable,
} from "./fleetReport";

const USAGE = `usage: npm run fleet -- <preview|up|refresh> [options]
       npm run fleet -- report --from a.json,b.json [--markdown FILE] [--json FILE]
       npm run fleet -- ls [--stacks a,b] [--json FILE]   offline: each stack's tenant, integrations,
                           members, key source and expiry (stack files and state; no tenant call)

  --stacks a,b        only these stacks (default: every Pulumi.<stack>.yaml beside Pulumi.yaml)
  --parallel N        stacks run at once (default: the number of CPUs)
  --json FILE         write the results as JSON
  --markdown FILE     write one pull-request comment (Markdown) for every stack
  --refresh           preview: refresh first (preview --refresh)
  --preview-only      refresh: show the drift without writing the state
  --project DIR       the directory holding Pulumi.yaml (default: the current directory)

Exit codes: 0 nothing pending, 2 changes, drift or console steps pending, 1 a stack failed.`;

export interface FleetOptions {
  operation: Operation | "report" | "ls";
  stacks?: string[];
  parallel: number;
  json?: string;
  markdown?: string;
  from: string[];
  refresh: boolean;
  previewOnly: boolean;
  projectDir: string;
}

class UsageError extends Error {}

/** `--help` anywhere: the usage on stdout, exit 0. */
class HelpRequested extends Error {}

export function parseArgs(argv: string[]): FleetOptions {
  if (argv.includes("--help") || argv.includes("-h")) throw new HelpRequested(USAGE);
  const [operation, ...rest] = argv;
  if (!["preview", "up", "refresh", "report", "ls"].includes(operation ?? "")) throw new UsageError(USAGE);
  const options: FleetOptions = {
    operation: operation as FleetOptions["operation"],
    parallel: os.availableParallelism(),
    from: [],
    refresh: false,
    previewOnly: false,
    projectDir: process.cwd(),
  };
  const list = (v: string) =>
    v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const value = () => {
      const v = rest[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value\n\n${USAGE}`);
      return v;
    };
    if (flag === "--stacks") options.stacks = list(value());
    else if (flag === "--parallel") {
      options.parallel = Number(value());
      if (!Number.isInteger(options.parallel) || options.parallel < 1)
        throw new UsageError(`--parallel needs a whole number of at least 1`);
    } else if (flag === "--json") options.json = value();
    else if (flag === "--markdown") options.markdown = value();
    else if (flag === "--from") options.from = list(value());
    else if (flag === "--project") options.projectDir = path.resolve(value());
    else if (flag === "--refresh" && operation === "preview") options.refresh = true;
    else if (flag === "--preview-only" && operation === "refresh") options.previewOnly = true;
    else throw new UsageError(`unknown option ${flag} for ${operation}\n\n${USAGE}`);
  }
  if (operation === "report" && options.from.length === 0) throw new UsageError(`report needs --from\n\n${USAGE}`);
  return options;
}

/** The stacks that have a Pulumi.<stack>.yaml beside Pulumi.yaml, sorted. */
export function discoverStacks(projectDir: string): string[] {
  if (!fs.existsSync(path.join(projectDir, "Pulumi.yaml")))
    throw new UsageError(`no Pulumi.yaml in ${projectDir}: run the fleet from the project directory or pass --project`);
  return fs
    .readdirSync(projectDir)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** "companyId at host" from the stack's config file: plain values only, never a secret. */
function tenantOf(projectDir: string, stack: string): string {
  try {
    const file = ["yaml", "yml"]
      .map((e) => path.join(projectDir, `Pulumi.${stack}.${e}`))
      .find((f) => fs.existsSync(f));
    const parsed = (file ? parseYaml(fs.readFileSync(file, "utf8")) : undefined) as
      { config?: Record<string, unknown> } | undefined;
    const config = parsed?.config ?? {};
    const plain = (key: string) => {
      const value = config[key];
      return typeof value === "string" ? value : undefined;
    };
    const site = plain("connectwise:site");
    const host = site ? site.replace(/^https?:\/\//, "").replace(/\/.*$/, "") : undefined;
    const company = plain("connectwise:companyId");
    return company && host ? `${company} at ${host}` : (company ?? host ?? "(from the environment)");
  } catch {
    return "(unreadable config)";
  }
}

/**
 * The stack's `<project>:guardrails` config (policy/stackConfig.ts), from its config file; undefined
 * when it does not ask for the guardrails. A value that does not parse is the stack's failure.
 */
function guardrailsOf(projectDir: string, stack: string): GuardrailsConfig | undefined {
  const file = ["yaml", "yml"].map((e) => path.join(projectDir, `Pulumi.${stack}.${e}`)).find((f) => fs.existsSync(f));
  if (!file) return undefined;
  const project = (parseYaml(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { name?: string }).name;
  const config = (parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null)?.config;
  const value = config?.[`${project}:guardrails`];
  return value === undefined ? undefined : parseGuardrails(value, `${project}:guardrails`);
}

/** The installation root for PulumiCommand.get: the directory above the CLI's bin/. */
async function pulumiRoot(): Promise<string> {
  return path.dirname(await pulumiBinDir());
}

type Phase = "queued" | "starting" | "running" | StackResult;

/** One line per stack: rewritten in place on a terminal, else printed on each change of phase. */
class Progress {
  private readonly lines = new Map<string, string>();
  private readonly phases = new Map<string, Phase>();
  private drawn = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly stacks: string[]) {
    for (const s of stacks) this.set(s, "queued");
  }

  set(stack: string, phase: Phase, detail = ""): void {
    const changed = this.phases.get(stack) !== phase;
    this.phases.set(stack, phase);
    const width = Math.max(...this.stacks.map((s) => s.length));
    this.lines.set(stack, `${stack.padEnd(width)}  ${phase}${detail ? `  ${detail}` : ""}`);
    if (this.tty) this.draw();
    else if (changed && phase !== "queued") process.stderr.write(`${this.lines.get(stack)}\n`);
  }

  private draw(): void {
    const cols = process.stderr.columns || 120;
    let out = this.drawn ? `\x1b[${this.drawn}A` : "";
    for (const s of this.stacks) out += `\x1b[2K${(this.lines.get(s) ?? "").slice(0, cols - 1)}\n`;
    this.drawn = this.stacks.length;
    process.stderr.write(out);
  }
}

function resultOf(
  operation: Operation,
  figures: ReturnType<EventCollector["figures"]>,
  previewOnly: boolean,
): StackResult {
  const changed = figures.creates + figures.updates + figures.deletes + figures.replacements > 0;
  if (operation === "refresh")
    return changed || figures.drift.length > 0 ? (previewOnly ? "drift" : "changes pending") : "no changes";
  // After up, only drift that up cannot restore (it names a remedy) is still pending.
  const drift = operation === "up" ? figures.drift.filter((d) => d.remedy) : figures.drift;
  if (drift.length > 0) return "drift";
  if (figures.consoleSteps.length > 0) return "steps pending";
  if (operation === "preview" && changed) return "changes pending";
  return "no changes";
}

async function runStack(
  stackName: string,
  options: FleetOptions,
  workspaces: StackWorkspaces,
  signal: AbortSignal,
  progress: Progress,
): Promise<{ report: StackReport; secrets: string[] }> {
  // The stack's run (inline: its provider server) is closed however the operation ends.
  let run: StackRun | undefined;
  const open = async () => (run = await workspaces.forStack(stackName));
  try {
    return await runStackIn(stackName, options, workspaces, open, signal, progress);
  } finally {
    run?.close();
  }
}

async function runStackIn(
  stackName: string,
  options: FleetOptions,
  workspaces: StackWorkspaces,
  open: () => Promise<StackRun>,
  signal: AbortSignal,
  progress: Progress,
): Promise<{ report: StackReport; secrets: string[] }> {
  const operation = options.operation as Operation;
  const started = Date.now();
  const tenant = tenantOf(options.projectDir, stackName);
  const collector = new EventCollector(operation);
  let guard: GuardrailsConfig | undefined;
  try {
    guard = guardrailsOf(options.projectDir, stackName);
  } catch (error) {
    return { report: failedEarly(stackName, tenant, message(error)), secrets: [] };
  }
  const secrets: string[] = [];
  // The stack's own records file: its provider (whichever server runs it) writes what it found there.
  let records: ReviewRecord[] | undefined;
  const figuresNow = () => {
    try {
      records ??= readRecords(workspaces.recordsFile(stackName));
    } catch (error) {
      records = [];
      collector.add({
        sequence: 0,
        timestamp: 0,
        diagnosticEvent: { message: message(error), severity: "error", color: "never" },
      });
    }
    return collector.figures(records);
  };
  const finish = (
    result: StackResult,
    extra: Partial<StackReport> = {},
  ): { report: StackReport; secrets: string[] } => {
    const debugDir = process.env.FLEET_DEBUG_EVENTS;
    if (debugDir && collector.events)
      fs.writeFileSync(path.join(debugDir, `${stackName}.${operation}.events.json`), JSON.stringify(collector.events));
    const figures = figuresNow();
    const report: StackReport = {
      stack: stackName,
      tenant,
      result,
      creates: figures.creates,
      updates: figures.updates,
      deletes: figures.deletes,
      replacements: figures.replacements,
      consoleSteps: figures.consoleSteps,
      drift: operation === "refresh" ? driftFromRefresh(figures) : figures.drift,
      changes: figures.changes,
      errors: figures.errors,
      ...(figures.runbook ? { runbook: figures.runbook } : {}),
      seconds: Math.round((Date.now() - started) / 100) / 10,
      ...(guard ? { policy: figures.policy } : {}),
      ...extra,
    };
    progress.set(stackName, result, `${report.seconds}s`);
    return { report, secrets };
  };
  if (signal.aborted) return finish("cancelled");
  progress.set(stackName, "starting");
  let stack: Stack;
  let run: StackRun;
  try {
    run = await open();
    // A stack whose config file is new in this change is created on the backend (empty), so its
    // preview shows everything it will create.
    stack = workspaces.onBackend(stackName)
      ? await Stack.select(stackName, run.workspace)
      : await createStack(stackName, run.workspace);
    // The fleet reads neither the outputs nor the last update's summary that up() and refresh()
    // fetch after the operation: three more CLI runs per stack (`stack output` twice, once
    // decrypting with the passphrase, and `stack history`), more CPU than the operation itself.
    stack.outputs = () => Promise.resolve({});
    stack.info = () => Promise.resolve(undefined);
  } catch (error) {
    return finish(signal.aborted ? "cancelled" : "failed", {
      errors: [describePulumiFailure(error, stackName, process.env)],
    });
  }
  // An operation started with an already-aborted signal would never hear the abort.
  if (signal.aborted) return finish("cancelled");
  collector.onStep = (n) => progress.set(stackName, "running", `${n} resources`);
  progress.set(stackName, "running");
  const onEvent = (e: Parameters<EventCollector["add"]>[0]) => collector.add(e);
  let outcome: ReturnType<typeof finish>;
  // The guardrails, when the stack's config asks: preview and up run the policy pack with its levels.
  const policy = guard && operation !== "refresh" ? policyArgs(guard) : undefined;
  const packs = policy ? { policyPacks: [policy.args[1]], policyPackConfigs: [policy.args[3]] } : {};
  try {
    if (operation === "preview") await stack.preview({ onEvent, signal, refresh: options.refresh, ...packs });
    else if (operation === "up") await stack.up({ onEvent, signal, ...packs });
    else if (options.previewOnly) await stack.previewRefresh({ onEvent, signal });
    else await stack.refresh({ onEvent, signal });
    outcome = finish(resultOf(operation, figuresNow(), options.previewOnly));
  } catch (error) {
    if (signal.aborted) return finish("cancelled");
    const figures = figuresNow();
    if (figures.onlyStepsPending) outcome = finish("steps pending");
    else {
      const problem = passphraseProblem(message(error), stackName, process.env);
      outcome = finish(
        "failed",
        problem
          ? { errors: [problem] }
          : figures.errors.length
            ? {}
            : { errors: [lastLines(pulumiErrorLines(message(error)))] },
      );
    }
  } finally {
    policy?.cleanup();
  }
  // Keys expiring soon, from the state (no secret read): a column of the table and the drift issue.
  // Inline, the stack's provider server saw every resource's outputs; else the state is exported.
  try {
    const resources = run.provider ? resourcesSeen(run.provider) : await exportedResources(stack);
    const soon = keysOf(resources).filter((k) => expiresWithinDays(k, EXPIRY_WARNING_DAYS));
    if (soon.length > 0) outcome.report.expiringKeys = soon.map((k) => `${k.member} ${expiryOf(k)}`).sort();
  } catch {
    // no state to read (a stack never up-ed, or the run failed before): nothing to say
  }
  // The stack's secrets, only to scrub them from every report (never printed), and only when there
  // is something to scrub: the stack has secret config and its report carries text from the run.
  // Inline, the program was handed them; else each decryption is a CLI run of its own (about
  // 0.3 s of CPU).
  const handed = run.program?.secrets;
  if (handed) secrets.push(...handed);
  else if (carriesText(outcome.report) && hasSecretConfig(options.projectDir, stackName)) {
    try {
      for (const v of Object.values(await stack.getAllConfig())) if (v.secret) secrets.push(v.value);
    } catch (error) {
      outcome.report.result = "failed";
      const problem = passphraseProblem(message(error), stackName, process.env);
      if (!problem || !outcome.report.errors.includes(problem))
        outcome.report.errors.push(
          problem ?? `cannot read the stack's config to scrub its secrets: ${pulumiErrorLines(message(error))}`,
        );
      outcome.report.consoleSteps = [];
      outcome.report.drift = [];
      outcome.report.changes = [];
    }
  }
  return outcome;
}

/** A stack not on the backend when the fleet started: created, or selected when another run created it since. */
async function createStack(name: string, workspace: LocalWorkspace): Promise<Stack> {
  try {
    return await Stack.create(name, workspace);
  } catch (error) {
    return await Stack.select(name, workspace).catch(() => {
      throw error;
    });
  }
}

/** The resources the stack's in-process provider server answered for, as state resources. */
function resourcesSeen(provider: InProcessProvider): StateResource[] {
  // urn:pulumi:<stack>::<project>::<parent type$>type::<name>
  return [...provider.outputs].map(([urn, outputs]) => ({
    urn,
    type: (urn.split("::")[2] ?? "").split("$").pop() ?? "",
    outputs,
  }));
}

async function exportedResources(stack: Stack): Promise<StateResource[]> {
  return ((await stack.exportStack()).deployment as { resources?: StateResource[] } | undefined)?.resources ?? [];
}

/** Whether a report holds text from the run (beyond names and counts), where a secret could appear. */
function carriesText(report: StackReport): boolean {
  return (
    report.errors.length > 0 ||
    report.drift.length > 0 ||
    report.consoleSteps.length > 0 ||
    report.changes.some((c) => c.fields.length > 0)
  );
}

/** Whether Pulumi.<stack>.yaml holds a secret value (Pulumi writes each as a `secure:` key). */
function hasSecretConfig(projectDir: string, stackName: string): boolean {
  try {
    return /^\s*(-\s+)?secure:/m.test(fs.readFileSync(path.join(projectDir, `Pulumi.${stackName}.yaml`), "utf8"));
  } catch {
    return true; // unreadable here: ask the CLI
  }
}

/** A stack that fails before it runs (its guardrails config does not parse). */
function failedEarly(stack: string, tenant: string, error: string): StackReport {
  return {
    stack,
    tenant,
    result: "failed",
    creates: 0,
    updates: 0,
    deletes: 0,
    replacements: 0,
    consoleSteps: [],
    drift: [],
    changes: [],
    errors: [error],
    seconds: 0,
  };
}

/** Where one stack's operation runs. */
interface StackRun {
  /** The fleet's settings, plus that stack's records file (and, inline, its program and provider server). */
  workspace: LocalWorkspace;
  /** Inline (cli/fleet/inlineStacks.ts): the stack's program and its provider server in this process. */
  program?: InlineProgram;
  provider?: InProcessProvider;
  close(): void;
}

interface StackWorkspaces {
  forStack(stack: string): Promise<StackRun>;
  /** Whether the stack was on the backend when the fleet started. */
  onBackend(stack: string): boolean;
  recordsFile(stack: string): string;
}

/**
 * The fleet's workspaces: one per stack, all on the project directory with the same CLI and
 * settings, so that each operation's CLI (and the provider it starts) gets that stack's records
 * file in CW_IAC_RECORDS. Making one runs no CLI. The stacks already on the backend are listed
 * once; selecting one of them is skipped (a CLI run per stack, about 0.3 s of CPU), since every
 * command the Automation API runs names its stack (--stack). A stack not there yet is created
 * (`stack init`) without the select that would fail first.
 */
async function fleetWorkspaces(
  projectDir: string,
  pulumiCommand: PulumiCommand,
  envVars: Record<string, string>,
  inline: boolean,
  recordsDir: string,
): Promise<StackWorkspaces> {
  const listing = await LocalWorkspace.create({ workDir: projectDir, pulumiCommand, envVars });
  const listed = new Set((await listing.listStacks()).map((s) => s.name));
  const projectName = String((await listing.projectSettings()).name);
  const recordsFile = (stack: string) => path.join(recordsDir, `${encodeURIComponent(stack)}.jsonl`);
  if (inline) ownSubchannelsPerClient();
  return {
    recordsFile,
    onBackend: (stack) => listed.has(stack),
    forStack: async (stack) => {
      const stackEnv = { ...envVars, [RECORDS_ENV]: recordsFile(stack) };
      let run: Omit<StackRun, "workspace"> = { close: () => undefined };
      if (inline) {
        const provider = await startInProcessProvider(
          { ...process.env, ...stackEnv, PULUMI_NODEJS_PROJECT: projectName },
          path.resolve(__dirname, "..", "..", ".."),
        );
        run = { program: inlineTenantProgram(), provider, close: () => provider.close() };
      }
      try {
        const workspace = await LocalWorkspace.create({
          workDir: projectDir,
          pulumiCommand,
          envVars: { ...stackEnv, ...run.provider?.cliEnv },
          ...(run.program ? { program: run.program.program } : {}),
        });
        const select = workspace.selectStack.bind(workspace);
        workspace.selectStack = async (name: string) => {
          if (!listed.has(name)) await select(name);
        };
        return { ...run, workspace };
      } catch (error) {
        run.close();
        throw error;
      }
    },
  };
}

const plain = (v: unknown) => (v === undefined ? "(none)" : typeof v === "string" ? v : JSON.stringify(v));

function driftFromRefresh(figures: ReturnType<EventCollector["figures"]>): StackReport["drift"] {
  // What a refresh finds changed is by definition drift: what the handlers reported (a revoked
  // key, with its remedy), then one entry per changed field, live (what read() returned) against
  // what the state recorded at the last up; a resource gone is one entry without a field.
  const fromState: StackReport["drift"] = figures.changes.flatMap((c) =>
    c.op === "delete"
      ? [{ type: c.type, label: c.label ?? c.name, live: "gone", declared: "present" }]
      : c.fields.map((f) => ({
          type: c.type,
          label: c.label ?? c.name,
          field: f.field,
          live: plain(f.new),
          declared: plain(f.old),
        })),
  );
  const seen = new Set<string>();
  return [...figures.drift, ...fromState].filter((d) => {
    const key = `${d.type} ${d.label} ${d.field ?? ""}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** The checklist lines `up` prints per stack; past this many, the count and the runbook hold the rest. */
export const CHECKLIST_LINES = 10;

/** After `up`: a stack's pending console steps, numbered (the first CHECKLIST_LINES), and its runbook. */
export function pendingChecklist(s: StackReport): string {
  if (s.consoleSteps.length === 0) return "";
  const n = s.consoleSteps.length;
  const lines = [`\n${s.stack}: ${n} console step${n === 1 ? "" : "s"} pending in ${s.tenant}:`];
  s.consoleSteps.slice(0, CHECKLIST_LINES).forEach((step, i) => lines.push(`  ${i + 1}. ${step}`));
  if (n > CHECKLIST_LINES) lines.push(`  ... and ${n - CHECKLIST_LINES} more`);
  lines.push(
    s.runbook ? `  runbook: ${s.runbook}` : "  runbook: none written",
    `  then run: npm run fleet -- up --stacks ${s.stack}`,
  );
  return `${lines.join("\n")}\n`;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
const firstLine = (error: unknown) => message(error).split("\n")[0].slice(0, 300);
const lastLines = (text: string) => text.trim().split("\n").slice(-12).join("\n");

/** Runs `worker` over `items`, at most `limit` at once. */
async function pool<T, R>(items: T[], limit: number, worker: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await worker(items[i]);
    }
  });
  await Promise.all(lanes);
  return results;
}

/**
 * After Ctrl-C: the engine may return before the plugins it stopped have exited (seen on a loaded
 * machine). Waits up to `graceMs` for the processes running at the interrupt, then SIGKILLs the
 * rest, so nothing the fleet started outlives it. A pid is matched with its start time, never a
 * reused pid.
 */
async function reap(running: Map<number, string>, graceMs = 5000): Promise<void> {
  const stillRunning = () => [...running].filter(([pid, started]) => startTime(pid) === started).map(([pid]) => pid);
  const deadline = Date.now() + graceMs;
  while (stillRunning().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const pid of stillRunning()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // ended meanwhile
    }
  }
}

/** The start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22), or undefined once it is gone. */
function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Every live descendant of `pid` (Linux /proc); empty elsewhere. */
function descendants(pid: number): number[] {
  let parents: Map<number, number[]>;
  try {
    parents = new Map();
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
      } catch {
        // the process ended while we looked
      }
    }
  } catch {
    return [];
  }
  const found: number[] = [];
  const walk = (p: number) => (parents.get(p) ?? []).forEach((c) => (found.push(c), walk(c)));
  walk(pid);
  return found;
}

function writeOutputs(report: FleetReport, options: FleetOptions): void {
  if (options.json) fs.writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
  if (options.markdown) fs.writeFileSync(options.markdown, markdown(report));
}

export async function main(argv: string[]): Promise<number> {
  const options = parseArgs(argv);
  if (options.operation === "report") {
    const report = mergeReports(options.from.map((f) => JSON.parse(fs.readFileSync(f, "utf8")) as FleetReport));
    writeOutputs(report, options);
    process.stdout.write(`${textTable(report)}\n`);
    return exitCode(report);
  }
  const known = discoverStacks(options.projectDir);
  const stacks = options.stacks ?? known;
  const missing = stacks.filter((s) => !known.includes(s));
  if (missing.length) throw new UsageError(`no Pulumi.<stack>.yaml for: ${missing.join(", ")}`);
  if (stacks.length === 0) throw new UsageError(`no Pulumi.<stack>.yaml beside ${options.projectDir}/Pulumi.yaml`);
  if (options.operation === "ls") {
    const projectName = String(
      (parseYaml(fs.readFileSync(path.join(options.projectDir, "Pulumi.yaml"), "utf8")) as { name: string }).name,
    );
    return listFleet(
      stacks,
      { projectDir: options.projectDir, projectName, json: options.json },
      process.env,
      (t) => process.stdout.write(t),
      (t) => process.stderr.write(t),
    );
  }

  const root = await pulumiRoot();
  const command = await PulumiCommand.get({ root, skipVersionCheck: true });
  const envVars = Object.fromEntries(
    Object.entries(pulumiEnv(path.join(root, "bin"), options.projectDir)).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
  const controller = new AbortController();
  const runningAtInterrupt = new Map<number, string>();
  let interrupts = 0;
  const stop = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(`\n${sig}: stopping every running pulumi (again to kill them)\n`);
      for (const pid of descendants(process.pid)) runningAtInterrupt.set(pid, startTime(pid) ?? "");
      controller.abort(); // the SDK sends SIGINT to each CLI it started; the CLI cancels and stops its plugins
    } else {
      for (const pid of descendants(process.pid)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      process.exit(130);
    }
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // Inline, every stack's program and provider server share this process: an error one of them
  // throws outside any call (a program's RPC answered after its CLI has gone) must not end the
  // other stacks' runs, leaving their locks behind. The stack's own CLI run reports its failure.
  const stray = (error: unknown) =>
    process.stderr.write(`fleet: a stack's program or provider failed outside its run: ${firstLine(error)}\n`);
  process.on("unhandledRejection", stray);
  process.on("uncaughtException", stray);

  const progress = new Progress(stacks);
  const startedAt = new Date().toISOString();
  const operation = options.operation;
  const recordsDir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-fleet-records-"));
  let runs: Awaited<ReturnType<typeof runStack>>[];
  try {
    let workspaces: StackWorkspaces;
    try {
      workspaces = await fleetWorkspaces(
        options.projectDir,
        command,
        envVars,
        runsInline(options.projectDir),
        recordsDir,
      );
    } catch (error) {
      throw new Error(`cannot list the project's stacks on the backend: ${message(error)}`, { cause: error });
    }
    runs = await pool(stacks, options.parallel, (s) => runStack(s, options, workspaces, controller.signal, progress));
  } finally {
    fs.rmSync(recordsDir, { recursive: true, force: true });
  }
  if (controller.signal.aborted) await reap(runningAtInterrupt);
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  process.off("unhandledRejection", stray);
  process.off("uncaughtException", stray);
  const secrets = runs.flatMap((r) => r.secrets);
  const report: FleetReport = redact(
    {
      tool: "connectwise-iac fleet",
      operation,
      options: [options.refresh ? "--refresh" : "", options.previewOnly ? "--preview-only" : ""].filter(Boolean),
      startedAt,
      stacks: runs.map((r) => r.report),
    },
    secrets,
  );
  writeOutputs(report, options);
  process.stdout.write(`\n${textTable(report)}\n`);
  if (operation === "up") for (const s of report.stacks) process.stdout.write(pendingChecklist(s));
  for (const s of report.stacks.filter((r) => r.errors.length))
    process.stderr.write(`\n${s.stack} failed:\n${s.errors.join("\n")}\n`);
  return controller.signal.aborted ? EXIT_FAILED : exitCode(report);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      if (error instanceof HelpRequested) {
        process.stdout.write(`${error.message}\n`);
        return;
      }
      process.stderr.write(`fleet: ${message(error)}\n`);
      process.exitCode = EXIT_FAILED;
    },
  );
}
