// Benchmark: prints figures, asserts nothing (progress goes to stderr). Four parts:
//  - handlers: the handlers against the in-process sandbox with added latency;
//  - cli: the real Pulumi CLI previewing converged tenants (empty-program baseline, injected
//    latency, requests, integration count, PULUMI_PARALLEL_DIFF on and off);
//  - profile: a timeline of one no-op preview of the tenant and of the floor, by process;
//  - fleet: `node dist/cli/fleet/fleet.js preview` over many stacks, --parallel 1 against the default.
//   npm run bench [-- --only cli --rounds 3]   (see --help)
import { benchCli } from "./bench/cli";
import { benchFleet } from "./bench/fleet";
import { BENCH_USAGE, BenchUsageError, parseBenchArgs } from "./bench/args";
import { benchHandlers } from "./bench/handlers";
import { benchProfile } from "./bench/profile";

async function main(argv: string[]): Promise<void> {
  if (argv.includes("--help")) return void console.log(BENCH_USAGE);
  const options = parseBenchArgs(argv);
  if (options.only.includes("handlers")) {
    console.log("Handler level");
    await benchHandlers(options.roles, options.latency);
  }
  if (options.only.includes("cli")) await benchCli(options);
  if (options.only.includes("profile")) await benchProfile(options);
  if (options.only.includes("fleet")) await benchFleet(options);
}

main(process.argv.slice(2)).catch((err: Error) => {
  console.error(err instanceof BenchUsageError ? err.message : `bench failed: ${err.message}`);
  process.exit(err instanceof BenchUsageError ? 2 : 1);
});
