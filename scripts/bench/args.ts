// The bench's command line: which parts to run and how long each takes.
export const PARTS = ["handlers", "cli", "profile", "fleet"] as const;
export type Part = (typeof PARTS)[number];

export interface BenchOptions {
  only: Part[];
  /** Handler level: roles and the latency added to every request. */
  roles: number;
  latency: number;
  /** CLI level: rounds of every variant, the injected latency of the "slow" rows, integration counts. */
  rounds: number;
  cliLatency: number;
  sizes: number[];
  /** Fleet: stacks, rounds, and whether the stacks are converged first (else only created). */
  fleetStacks: number[];
  fleetRounds: number;
  fleetConverge: boolean;
}

export const BENCH_USAGE = `usage: npm run bench -- [options]      (figures on stdout, progress on stderr)
  --only PARTS          comma list of ${PARTS.join(", ")} (default: all)
  --roles N             handlers: roles (default 40)
  --latency MS          handlers: added latency per request (default 50)
  --rounds N            cli: rounds; each round runs every variant once, order alternating (default 3)
  --cli-latency MS      cli, profile: injected latency of the slow rows (default 100)
  --sizes A,B,C         cli: integration counts for the scaling rows (default 1,10,40)
  --fleet-stacks A,B    fleet: sizes, in stacks (default 20,200)
  --fleet-rounds N      fleet: rounds (default 2)
  --no-fleet-converge   fleet: only preview the new stacks (default: also converge them with fleet up,
                        twice with the operator's console steps between, and preview them converged)`;

export class BenchUsageError extends Error {}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const options: BenchOptions = {
    only: [...PARTS],
    roles: 40,
    latency: 50,
    rounds: 3,
    cliLatency: 100,
    sizes: [1, 10, 40],
    fleetStacks: [20, 200],
    fleetRounds: 2,
    fleetConverge: true,
  };
  const whole = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min)
      throw new BenchUsageError(`${flag} needs a whole number of at least ${min}\n\n${BENCH_USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = () => argv[++i];
    if (flag === "--only") {
      const parts = (next() ?? "").split(",").filter(Boolean);
      const unknown = parts.filter((p) => !(PARTS as readonly string[]).includes(p));
      if (parts.length === 0 || unknown.length)
        throw new BenchUsageError(`--only: unknown part ${unknown.join(", ") || "(none)"}\n\n${BENCH_USAGE}`);
      options.only = parts as Part[];
    } else if (flag === "--roles") options.roles = whole(flag, next(), 1);
    else if (flag === "--latency") options.latency = whole(flag, next(), 0);
    else if (flag === "--rounds") options.rounds = whole(flag, next(), 1);
    else if (flag === "--cli-latency") options.cliLatency = whole(flag, next(), 0);
    else if (flag === "--sizes") {
      const v = next();
      options.sizes = (v ?? "").split(",").map((s) => whole(flag, s, 1));
    } else if (flag === "--fleet-stacks") {
      const v = next();
      options.fleetStacks = (v ?? "").split(",").map((s) => whole(flag, s, 1));
    } else if (flag === "--fleet-rounds") options.fleetRounds = whole(flag, next(), 1);
    else if (flag === "--no-fleet-converge") options.fleetConverge = false;
    else throw new BenchUsageError(`unknown option ${flag}\n\n${BENCH_USAGE}`);
  }
  return options;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Round `round`'s order of the variants: rotated by one each round, so none always runs first. */
export function roundOrder<T>(variants: T[], round: number): T[] {
  const k = round % variants.length;
  return [...variants.slice(k), ...variants.slice(0, k)];
}
