// The profile part: one no-op preview of the README's tenant and one of the floor (an empty
// program in a plain directory, same CLI, environment and stack file), each as a timeline of its
// processes. Node processes (the program, the provider server) record their own events through a
// preload (scripts/bench/profileHook.ts); the CLI and the language host (Go) are sampled from
// /proc every few milliseconds (start time, last seen, CPU); the sandbox's request log gives the
// ConnectWise requests. It prints, per run, the processes with their CPU, the timeline, and the
// phases the wall time splits into, so the tenant's extra time can be told by whose it is.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { BenchOptions } from "./args";
import {
  convergedStack,
  dispose,
  floorProject,
  loadavg,
  mustPulumi,
  prepare,
  readmeTenant,
  Setup,
  table,
  userCheckout,
} from "./cli";

const progress = (text: string) => process.stderr.write(`[bench] ${text}\n`);
const HOOK = path.join(__dirname, "profileHook.js");
const TICK_MS = 1000 / 100; // USER_HZ on Linux

interface Sampled {
  pid: number;
  ppid: number;
  command: string;
  /** Epoch milliseconds (10 ms resolution). */
  start: number;
  lastSeen: number;
  cpuMs: number;
}

interface NodeEvent {
  t: number;
  event: string;
  [key: string]: unknown;
}

interface Run {
  label: string;
  spawned: number;
  exited: number;
  processes: Sampled[];
  /** Node processes' own events by pid. */
  events: Map<number, NodeEvent[]>;
  requests: { at: number; method: string; path: string }[];
  latencyMs: number;
}

const bootEpochMs = (): number => Date.now() - Number(fs.readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 1000;

function readStat(pid: number): { ppid: number; startTicks: number; cpuTicks: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is state (stat field 3): utime is field 14, stime 15, starttime 22.
    return {
      ppid: Number(fields[1]),
      cpuTicks: Number(fields[11]) + Number(fields[12]),
      startTicks: Number(fields[19]),
    };
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return fs
      .readdirSync(`/proc/${pid}/task`)
      .flatMap((tid) => fs.readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim().split(" "))
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Samples `root` and its descendants every `everyMs` until stopped. */
function sampleTree(root: number, everyMs = 5): () => Sampled[] {
  const boot = bootEpochMs();
  const seen = new Map<number, Sampled>();
  const sample = () => {
    const t = Date.now();
    const walk = (pid: number) => {
      const stat = readStat(pid);
      if (!stat) return;
      let entry = seen.get(pid);
      if (!entry) {
        let command = "";
        try {
          command = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
        } catch {
          // ended meanwhile
        }
        entry = { pid, ppid: stat.ppid, command, start: boot + stat.startTicks * TICK_MS, lastSeen: t, cpuMs: 0 };
        seen.set(pid, entry);
      }
      // An exec replaces the command line (the shim execs node): keep the last one.
      if (entry.command === "" || /^(\/bin\/)?sh /.test(entry.command)) {
        try {
          entry.command = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
        } catch {
          // ended meanwhile
        }
      }
      entry.lastSeen = t;
      entry.cpuMs = stat.cpuTicks * TICK_MS;
      for (const child of childrenOf(pid)) walk(child);
    };
    walk(root);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return () => {
    clearInterval(timer);
    return [...seen.values()];
  };
}

/** What a process is, from its command line. */
function roleOf(command: string): string {
  if (/pulumi-language-nodejs/.test(command)) return "language host";
  if (/cmd\/run\b|cmd\/run\/index/.test(command)) return "program";
  if (/providerServer\.js|dynamic-provider/.test(command)) return "provider";
  if (/run-policy-pack/.test(command)) return "analyzer";
  if (/(^|\/)pulumi( |$)/.test(command)) return "CLI";
  return command.split(" ")[0].split("/").pop() ?? "?";
}

export async function profiledPreview(
  setup: Setup,
  dir: string,
  stack: string,
  label: string,
  latencyMs: number,
): Promise<Run> {
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-profile-"));
  try {
    await setup.operator.resetRequests();
    const env: NodeJS.ProcessEnv = {
      ...setup.env,
      PULUMI_PARALLEL_DIFF: "true",
      NODE_OPTIONS: `${setup.env.NODE_OPTIONS ?? ""} --require ${HOOK}`.trim(),
      CW_IAC_PROFILE_DIR: profileDir,
    };
    const spawned = performance.timeOrigin + performance.now();
    const child = spawn(path.join(setup.bin, "pulumi"), ["preview", "--stack", stack, "--non-interactive"], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stop = sampleTree(child.pid!);
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (c) => resolve(c ?? -1));
    });
    const exited = performance.timeOrigin + performance.now();
    const processes = stop();
    if (code !== 0) throw new Error(`profiled preview (${label}) exited ${code}:\n${output.slice(-2000)}`);
    const events = new Map<number, NodeEvent[]>();
    for (const file of fs.readdirSync(profileDir)) {
      const lines = fs.readFileSync(path.join(profileDir, file), "utf8").trim().split("\n");
      events.set(
        Number(path.basename(file, ".jsonl")),
        lines.map((l) => JSON.parse(l) as NodeEvent),
      );
    }
    const log = await setup.operator.requests();
    const requests = log.entries.map((e) => ({ at: Date.parse(e.at), method: e.method, path: e.path }));
    return { label, spawned, exited, processes, events, requests, latencyMs };
  } finally {
    fs.rmSync(profileDir, { recursive: true, force: true });
  }
}

const rel = (run: Run, t: number | undefined) => (t === undefined ? "-" : `${(t - run.spawned).toFixed(0)}`);

/** A sampled process's role: from its own argv when it recorded events (a node process), else its command line. */
function roleIn(run: Run, p: Sampled): string {
  const argv = run.events.get(p.pid)?.find((e) => e.event === "start")?.argv as string[] | undefined;
  return roleOf(argv ? argv.join(" ") : p.command);
}

/** The node process of `role` with its events, if any. */
function nodeProcess(run: Run, role: string): { pid: number; events: NodeEvent[] } | undefined {
  for (const [pid, events] of run.events) {
    const argv = (events.find((e) => e.event === "start")?.argv as string[] | undefined) ?? [];
    if (roleOf(argv.join(" ")) === role) return { pid, events };
  }
  return undefined;
}

function processTable(run: Run): string {
  const rows = run.processes
    .filter((p) => !/^(sh|node -e)/.test(roleIn(run, p)))
    .map((p) => {
      const role = roleIn(run, p);
      const own = run.events.get(p.pid);
      const start = own?.find((e) => e.event === "start")?.t ?? p.start;
      const end = own?.find((e) => e.event === "end");
      const ready =
        role === "provider"
          ? own?.find((e) => e.event === "listening")?.t
          : role === "program"
            ? own?.find((e) => e.event === "load" && path.isAbsolute(String(e.module)))?.t
            : undefined;
      const cpu = typeof end?.cpuMs === "number" ? end.cpuMs : p.cpuMs;
      return [
        role,
        String(p.pid),
        rel(run, start),
        rel(run, ready),
        rel(run, end?.t ?? (role === "CLI" ? run.exited : p.lastSeen)),
        cpu.toFixed(0),
        end?.maxRssKiB ? `${(Number(end.maxRssKiB) / 1024).toFixed(0)} MiB` : "-",
      ];
    });
  return table(["process", "pid", "start ms", "ready ms", "end ms", "CPU ms", "peak RSS"], rows);
}

function timeline(run: Run): string[] {
  const lines: { t: number; text: string }[] = [];
  for (const p of run.processes) {
    const role = roleIn(run, p);
    if (!run.events.has(p.pid) && role !== "CLI") lines.push({ t: p.start, text: `${role} started (pid ${p.pid})` });
  }
  for (const [pid, events] of run.events) {
    const argv = (events.find((e) => e.event === "start")?.argv as string[] | undefined) ?? [];
    const role = roleOf(argv.join(" "));
    for (const e of events) {
      if (e.event === "start") lines.push({ t: e.t, text: `${role}: node started (pid ${pid})` });
      else if (e.event === "preload") lines.push({ t: e.t, text: `${role}: node ready to load modules` });
      else if (e.event === "load")
        lines.push({
          t: e.t,
          text: `${role}: loaded ${String(e.module).replace(/^.*node_modules\//, "")} (${Number(e.ms).toFixed(0)} ms)`,
        });
      else if (e.event === "listening") lines.push({ t: e.t, text: `${role}: gRPC server listening` });
      else if (e.event === "rpc")
        lines.push({
          t: Number(e.sent),
          text: `${role}: ${String(e.method)} ${typeof e.what === "string" ? e.what : ""} -> answered at +${(e.t - Number(e.sent)).toFixed(0)} ms`,
        });
      else if (e.event === "end")
        lines.push({ t: e.t, text: `${role}: end (${String(e.how)}), CPU ${Number(e.cpuMs).toFixed(0)} ms` });
    }
  }
  for (const r of run.requests)
    lines.push({ t: r.at, text: `ConnectWise: ${r.method} ${r.path} (answered after ${run.latencyMs} ms latency)` });
  lines.push({ t: run.exited, text: "CLI exited" });
  return lines.sort((a, b) => a.t - b.t).map((l) => `${rel(run, l.t).padStart(6)}  ${l.text}`);
}

/**
 * The wall time cut at events every run has (the critical path, in order), then the provider's
 * own spans (which overlap the program's when it starts early), CPU.
 */
function phases(run: Run): Map<string, number> {
  const program = nodeProcess(run, "program");
  const provider = nodeProcess(run, "provider");
  const at = (events: NodeEvent[] | undefined, match: (e: NodeEvent) => boolean) => events?.find(match)?.t;
  const loadEnd = (e: NodeEvent | undefined) => (e ? Number(e.started) + Number(e.ms) : undefined);
  const loads = (program?.events ?? []).filter((e) => e.event === "load" && path.isAbsolute(String(e.module)));
  const programStart = at(program?.events, (e) => e.event === "start");
  const runnerLoaded = loadEnd(loads.find((e) => String(e.module).includes("/node_modules/")));
  const main = loads.find((e) => !String(e.module).includes("/node_modules/"));
  const programEnd = at(program?.events, (e) => e.event === "end");
  const providerRpcs = (provider?.events ?? []).filter((e) => e.event === "rpc");
  const lastAnswer = providerRpcs.length ? Math.max(...providerRpcs.map((e) => e.t)) : undefined;
  const out = new Map<string, number>();
  const span = (name: string, from: number | undefined, to: number | undefined) => {
    if (from !== undefined && to !== undefined) out.set(name, to - from);
  };
  span("CLI spawn to the program's node start (CLI, language host)", run.spawned, programStart);
  span("program's node start to the SDK's runner loaded (node, SDK)", programStart, runnerLoaded);
  span(
    "runner loaded to the program's main required (runner, Stack registration)",
    runnerLoaded,
    main && Number(main.started),
  );
  const done = lastAnswer ?? programEnd;
  span(
    "main required to the provider's last answer, or the program's end (program, provider, requests)",
    main && Number(main.started),
    done,
  );
  span("then to CLI exit (program end, engine, display)", done, run.exited);
  out.set("wall", run.exited - run.spawned);
  if (provider) {
    // What first needed the provider: the early-start invoke, else the first dynamic registration.
    const need = program?.events.find(
      (e) =>
        e.event === "rpc" &&
        (e.method === "invoke" || (e.method === "registerResource" && /pulumi-nodejs:dynamic/.test(String(e.what)))),
    );
    const started = at(provider.events, (e) => e.event === "start");
    const listening = at(provider.events, (e) => e.event === "listening");
    const firstCheck = provider.events.find((e) => e.event === "rpc" && e.method === "check");
    span("  provider: first need to its node start (engine, shim)", need && Number(need.sent), started);
    span("  provider: node start to listening (node, gRPC, stubs)", started, listening);
    span("  provider: listening to the first Check", listening, firstCheck && Number(firstCheck.sent));
    span(
      "  provider: first Check to its last answer (calls, requests)",
      firstCheck && Number(firstCheck.sent),
      lastAnswer,
    );
  }
  out.set("CPU, all processes", cpuOf(run).total);
  return out;
}

function cpuOf(run: Run): { byRole: Map<string, number>; total: number } {
  const byRole = new Map<string, number>();
  for (const p of run.processes) {
    const role = roleIn(run, p);
    const end = run.events.get(p.pid)?.find((e) => e.event === "end");
    const cpu = typeof end?.cpuMs === "number" ? end.cpuMs : p.cpuMs;
    byRole.set(role, (byRole.get(role) ?? 0) + cpu);
  }
  return { byRole, total: [...byRole.values()].reduce((a, b) => a + b, 0) };
}

export function report(floor: Run, tenant: Run): void {
  for (const run of [floor, tenant]) {
    console.log(`\n${run.label}: ${(run.exited - run.spawned).toFixed(0)} ms wall, ${run.requests.length} requests`);
    console.log(processTable(run));
    console.log("timeline (ms from the CLI's spawn):");
    for (const line of timeline(run)) console.log(line);
  }
  const [f, t] = [phases(floor), phases(tenant)];
  const names = [...new Set([...t.keys(), ...f.keys()])];
  console.log(`\nwhere the time goes, ${floor.label.replace(/^floor,? ?/, "")}: floor against tenant (ms)`);
  console.log(
    table(
      ["phase", "floor", "tenant", "tenant - floor"],
      names.map((n) => {
        const a = f.get(n);
        const b = t.get(n);
        return [
          n,
          a === undefined ? "-" : a.toFixed(0),
          b === undefined ? "-" : b.toFixed(0),
          b === undefined ? "-" : (b - (a ?? 0)).toFixed(0),
        ];
      }),
    ),
  );
  const [fc, tc] = [cpuOf(floor).byRole, cpuOf(tenant).byRole];
  const roles = [...new Set([...tc.keys(), ...fc.keys()])];
  console.log(
    table(
      ["CPU ms by process", "floor", "tenant", "tenant - floor"],
      roles.map((r) => [
        r,
        (fc.get(r) ?? 0).toFixed(0),
        (tc.get(r) ?? 0).toFixed(0),
        ((tc.get(r) ?? 0) - (fc.get(r) ?? 0)).toFixed(0),
      ]),
    ),
  );
}

/** The profile part: a timeline of one no-op preview of the README's tenant and of the floor, at 0 ms and at --cli-latency. */
export async function benchProfile(options: BenchOptions): Promise<void> {
  const setup = await prepare();
  const empty = floorProject();
  try {
    const tenant = userCheckout(setup);
    progress("profile: converging the README's tenant and creating the floor's stack");
    await convergedStack(setup, tenant, "two", readmeTenant(), { secretKeys: true });
    await mustPulumi(setup, empty, ["stack", "init", "two"]);
    fs.copyFileSync(path.join(tenant, "Pulumi.two.yaml"), path.join(empty, "Pulumi.two.yaml"));
    console.log(
      `\nProfile of one no-op preview (PULUMI_PARALLEL_DIFF=true), built CLI (${setup.bin}); load average ${loadavg()} ` +
        `on ${os.availableParallelism()} CPUs. Node processes time themselves (preload), the CLI and the language host ` +
        `are sampled from /proc every 5 ms (10 ms resolution). The first run of each pair warms the file cache and is not shown.`,
    );
    for (const latency of [0, options.cliLatency]) {
      await setup.operator.setFaults({ latencyMs: latency });
      await profiledPreview(setup, empty, "two", "warm-up", latency);
      await profiledPreview(setup, tenant, "two", "warm-up", latency);
      const floor = await profiledPreview(setup, empty, "two", `floor, ${latency} ms latency`, latency);
      const run = await profiledPreview(setup, tenant, "two", `tenant, ${latency} ms latency`, latency);
      report(floor, run);
    }
    await setup.operator.setFaults({ latencyMs: 0 });
  } finally {
    await setup.sandbox.close();
    dispose(setup);
    fs.rmSync(empty, { recursive: true, force: true });
  }
}
