// Fleet figures: `node dist/cli/fleet/fleet.js` (as users run it, a child process) over N client
// stacks on one sandbox tenant, each stack one Elements integration. Per size: a preview of the
// new stacks (created on the backend, nothing deployed: each shows its creates), `fleet up` twice
// with the operator's console steps in between (converging them), then a no-op preview of the
// converged stacks (every resource read). Wall time, time per stack, and the peak memory of the
// fleet's whole process tree, split by process kind at that peak. The smallest size (up to 50) also runs
// each preview with a process set per stack (CW_IAC_FLEET_PROCESSES=1: language host, program and
// provider started by the engine for each stack, as `pulumi` does), interleaved with the default.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { BenchOptions, median } from "./args";
import {
  dispose,
  elementsTimes,
  interleaved,
  loadavg,
  ms,
  playOperator,
  prepare,
  progress,
  project,
  Setup,
  stackConfig,
  table,
  Variant,
} from "./cli";

const ROOT = path.resolve(__dirname, "..", "..", "..");

/** What a process of the fleet's tree is, by its command line. */
function kindOf(cmdline: string[]): string {
  const exe = path.basename(cmdline[0] ?? "");
  const args = cmdline.join(" ");
  if (exe === "time") return "time (the bench's CPU count)";
  if (args.includes("fleet.js")) return "fleet (node)";
  if (exe === "pulumi") return "pulumi CLI";
  if (exe.startsWith("pulumi-language-")) return "language host";
  if (exe.startsWith("pulumi-analyzer") || args.includes("policy")) return "policy pack";
  if (args.includes("providerServer") || args.includes("dynamic-provider")) return "provider (node)";
  if (exe === "node" || exe.endsWith("node")) return "program (node)";
  return exe || "other";
}

interface KindUse {
  kib: number;
  /** Of kib: anonymous memory (heaps, stacks) and file-backed pages (the executable and libraries, shared by every process that maps them). */
  anonKiB: number;
  fileKiB: number;
  count: number;
}

interface Sample {
  totalKiB: number;
  /** The same processes' proportional set size: each shared page divided among the processes that map it. */
  totalPssKiB: number;
  byKind: Map<string, KindUse>;
  /** VmRSS of each pulumi CLI process in the tree. */
  cliKiB: Map<number, number>;
}

/** One look at `pid`'s tree (Linux /proc): VmRSS per process, summed by kind. */
function sampleTree(pid: number): Sample {
  const sample: Sample = { totalKiB: 0, totalPssKiB: 0, byKind: new Map(), cliKiB: new Map() };
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return sample;
  }
  for (const e of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      // ended meanwhile
    }
  }
  const walk = (p: number) => {
    try {
      const status = fs.readFileSync(`/proc/${p}/status`, "utf8");
      const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
      const kib = field("VmRSS");
      const cmdline = fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").filter(Boolean);
      const kind = kindOf(cmdline);
      const entry = sample.byKind.get(kind) ?? { kib: 0, anonKiB: 0, fileKiB: 0, count: 0 };
      sample.byKind.set(kind, {
        kib: entry.kib + kib,
        anonKiB: entry.anonKiB + field("RssAnon"),
        fileKiB: entry.fileKiB + field("RssFile") + field("RssShmem"),
        count: entry.count + 1,
      });
      sample.totalKiB += kib;
      sample.totalPssKiB += pssKiB(p);
      if (kind === "pulumi CLI") sample.cliKiB.set(p, kib);
    } catch {
      // ended meanwhile
    }
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return sample;
}

/** A process's PSS from /proc/<pid>/smaps_rollup (0 where the kernel has none). */
function pssKiB(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

interface FleetRun {
  ms: number;
  /** CPU seconds (user + system) of the whole tree, from /usr/bin/time; undefined without it. */
  cpu?: number;
  code: number;
  /** The tree's largest sample, and the largest RSS any one pulumi CLI reached. */
  peak: Sample;
  cliPeakKiB: number;
  output: string;
}

const TIME = "/usr/bin/time";

/**
 * `node dist/cli/fleet/fleet.js args` in `dir`, its process tree sampled every 100 ms; under
 * GNU time when the machine has it, for the CPU seconds of the whole tree (every process the
 * fleet started and waited for).
 */
function fleet(setup: Setup, dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<FleetRun> {
  const start = performance.now();
  const command = [process.execPath, path.join(ROOT, "dist", "cli", "fleet", "fleet.js"), ...args];
  const cpuFile = path.join(setup.temp, "cpu.txt");
  const timed = fs.existsSync(TIME) ? [TIME, "-o", cpuFile, "-f", "%U %S", ...command] : command;
  return new Promise((resolve, reject) => {
    const child = spawn(timed[0], timed.slice(1), {
      cwd: dir,
      env: { ...setup.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    let peak: Sample = { totalKiB: 0, totalPssKiB: 0, byKind: new Map(), cliKiB: new Map() };
    let cliPeakKiB = 0;
    const sampler = setInterval(() => {
      const s = sampleTree(child.pid!);
      if (s.totalKiB > peak.totalKiB) peak = s;
      cliPeakKiB = Math.max(cliPeakKiB, ...s.cliKiB.values());
    }, 100);
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(sampler);
      if (code === 1) return reject(new Error(`fleet ${args.join(" ")} failed:\n${output.slice(-3000)}`));
      let cpu: number | undefined;
      try {
        const [user, system] = fs.readFileSync(cpuFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
        cpu = user + system;
        fs.rmSync(cpuFile);
      } catch {
        // no GNU time here
      }
      resolve({ ms: performance.now() - start, cpu, code: code ?? -1, peak, cliPeakKiB, output });
    });
  });
}

const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;

/** Where the peak's bytes were: each kind's RSS (anonymous + file-backed) and process count. */
function breakdown(peak: Sample): string {
  return [...peak.byKind]
    .filter(([kind]) => !kind.startsWith("time"))
    .sort((a, b) => b[1].kib - a[1].kib)
    .map(
      ([kind, e]) =>
        `${kind}${e.count > 1 ? ` x${e.count}` : ""} ${mib(e.kib)} (${mib(e.anonKiB)} + ${mib(e.fileKiB)})`,
    )
    .join(", ");
}

interface Row {
  label: string;
  times: number[];
  runs: FleetRun[];
}

function rowCells(stacks: number, row: Row): string[] {
  const t = median(row.times);
  const peakRun = row.runs.reduce((a, b) => (b.peak.totalKiB > a.peak.totalKiB ? b : a));
  const cpus = row.runs.map((r) => r.cpu).filter((c): c is number => c !== undefined);
  return [
    row.label,
    ms(t),
    ms(t / stacks),
    cpus.length ? `${((median(cpus) / stacks) * 1000).toFixed(0)} ms` : "-",
    `${mib(peakRun.peak.totalKiB)} (${mib(peakRun.peak.totalPssKiB)})`,
    mib(Math.max(...row.runs.map((r) => r.cliPeakKiB))),
    breakdown(peakRun.peak),
  ];
}

/** The fleet part, for each size in options.fleetStacks. */
export async function benchFleet(options: BenchOptions): Promise<void> {
  const fleetPeaks: [number, number][] = [];
  for (const size of options.fleetStacks) {
    // The process-per-stack comparison costs about 5 s of CPU a stack: only at the smallest size, up to 50.
    const compare = size === Math.min(...options.fleetStacks) && size <= 50;
    const peak = await benchFleetOf(size, options, compare);
    fleetPeaks.push([size, peak]);
  }
  // What the fleet's own process keeps per stack: its peak against the number of stacks.
  if (fleetPeaks.length > 1) {
    const [[n0, k0], [n1, k1]] = [fleetPeaks[0], fleetPeaks[fleetPeaks.length - 1]];
    console.log(
      `\nThe fleet's own process (node: the Automation API, every stack's program and provider server): ` +
        `peak ${mib(k0)} over ${n0} stacks, ${mib(k1)} over ${n1}: ${((k1 - k0) / (n1 - n0)).toFixed(0)} KiB more per stack`,
    );
  }
}

/** One size's runs and table; returns the fleet process's own peak RSS (KiB) over them. */
async function benchFleetOf(size: number, options: BenchOptions, compareProcesses: boolean): Promise<number> {
  const setup = await prepare();
  try {
    const dir = project(setup, `fleet${size}`, "connectwise-iac");
    const width = String(size).length;
    const names = Array.from({ length: size }, (_, i) => `t${String(i + 1).padStart(width, "0")}`);
    const integrations = new Map(names.map((s) => [s, elementsTimes(1, s.toUpperCase())]));
    for (const s of names)
      fs.writeFileSync(
        path.join(dir, `Pulumi.${s}.yaml`),
        `config: ${JSON.stringify(stackConfig(setup, integrations.get(s)!))}\n`,
      );
    const parallel = os.availableParallelism();
    const rows: Row[] = [];

    progress(`${size} stacks: the first fleet preview (creates each stack on the backend)`);
    const first = await fleet(setup, dir, ["preview"]);
    rows.push({ label: "preview, new stacks (creating each on the backend)", times: [first.ms], runs: [first] });

    const previews = async (state: string) => {
      const runs = new Map<string, FleetRun[]>();
      const variant = (label: string, env: NodeJS.ProcessEnv): Variant => ({
        label,
        run: async () => {
          const r = await fleet(setup, dir, ["preview"], env);
          runs.set(label, [...(runs.get(label) ?? []), r]);
          return r.ms;
        },
      });
      const variants = [variant(`preview, ${state}`, {})];
      if (compareProcesses)
        variants.push(variant(`preview, ${state}, a process set per stack`, { CW_IAC_FLEET_PROCESSES: "1" }));
      const t = await interleaved(`${size} stacks, preview ${state}`, variants, options.fleetRounds);
      for (const [label, times] of t) rows.push({ label, times, runs: runs.get(label)! });
    };
    await previews("new stacks");

    if (options.fleetConverge) {
      progress(`${size} stacks: fleet up (role and member created, console steps pending)`);
      await setup.operator.resetRequests();
      const up1 = await fleet(setup, dir, ["up"]);
      const writes1 = (await setup.operator.requests()).entries.filter((e) => e.method !== "GET").length;
      rows.push({
        label: `up, new stacks (${(writes1 / size).toFixed(1)} writes a stack)`,
        times: [up1.ms],
        runs: [up1],
      });
      await playOperator(setup, [...integrations.values()].flat());
      progress(`${size} stacks: fleet up after the console steps (keys created)`);
      await setup.operator.resetRequests();
      const up2 = await fleet(setup, dir, ["up"]);
      if (up2.code !== 0)
        throw new Error(`the fleet did not converge (fleet up exited ${up2.code}):\n${up2.output.slice(-2000)}`);
      const writes2 = (await setup.operator.requests()).entries.filter((e) => e.method !== "GET").length;
      rows.push({
        label: `up, after the console steps (${(writes2 / size).toFixed(1)} writes a stack)`,
        times: [up2.ms],
        runs: [up2],
      });
      await setup.operator.resetRequests();
      await previews("converged");
      const log = await setup.operator.requests();
      const reads = Object.values(log.counts).reduce((a, b) => a + b, 0);
      const previewsRun = options.fleetRounds * (compareProcesses ? 2 : 1);
      progress(`requests per converged stack preview: ${(reads / previewsRun / size).toFixed(1)}`);
    }

    console.log(
      `\nFleet of ${size} stacks (one Elements integration each), one sandbox, --parallel ${parallel} (the default), ` +
        `rounds: ${options.fleetRounds} (medians); load average now ${loadavg()} on ${os.availableParallelism()} CPUs. ` +
        `Peak RSS: the fleet's whole process tree, sampled every 100 ms, split by process kind at that peak; ` +
        `PSS counts each page shared by several processes (one binary's code) once in all`,
    );
    console.log(
      table(
        [
          "run",
          "wall time",
          "per stack",
          "CPU per stack",
          "peak RSS (PSS)",
          "largest pulumi CLI",
          "where the peak's bytes were: RSS (anonymous + file-backed)",
        ],
        rows.map((r) => rowCells(size, r)),
      ),
    );
    return Math.max(...rows.flatMap((r) => r.runs.map((run) => run.peak.byKind.get("fleet (node)")?.kib ?? 0)));
  } finally {
    await setup.sandbox.close();
    dispose(setup);
  }
}
