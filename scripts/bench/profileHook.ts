// The bench profiler's preload (scripts/bench/profile.ts): `NODE_OPTIONS=--require <this file>`
// with CW_IAC_PROFILE_DIR set makes every node process of one `pulumi preview` (the program run
// by the language host, the provider server, any other) append its timeline to
// <dir>/<pid>.jsonl: start (performance.timeOrigin), the first load of the modules that matter and
// how long it took, the resource monitor's RegisterResource calls (program) and the provider's
// RPCs (server) with their answers, the gRPC server's listen, and at exit (or on the engine's
// SIGINT/SIGTERM) the CPU seconds and peak RSS. Profiling only: nothing in the project loads it.
import * as fs from "fs";
import { Module } from "module";
import * as path from "path";
import { performance } from "perf_hooks";

type Callback = (...args: unknown[]) => void;
type Fn = (...args: unknown[]) => unknown;

const dir = process.env.CW_IAC_PROFILE_DIR;

if (dir) {
  const file = path.join(dir, `${process.pid}.jsonl`);
  const now = () => performance.timeOrigin + performance.now();
  const write = (event: string, detail: Record<string, unknown> = {}, t = now()) =>
    fs.appendFileSync(file, JSON.stringify({ t, event, ...detail }) + "\n");
  write("start", { ppid: process.ppid, argv: process.argv }, performance.timeOrigin);
  write("preload");

  /** Wraps the last function argument (a gRPC callback) to record when it is called. */
  const timed = (args: unknown[], done: () => void): unknown[] => {
    const i = args.length - 1;
    if (typeof args[i] !== "function") return args;
    const callback = args[i] as Callback;
    return [
      ...args.slice(0, i),
      (...results: unknown[]) => {
        done();
        callback(...results);
      },
    ];
  };

  const patchMonitor = (exports: Record<string, unknown>) => {
    const client = exports.ResourceMonitorClient as { prototype: Record<string, Fn> } | undefined;
    if (!client) return;
    for (const method of ["registerResource", "registerResourceOutputs", "invoke", "supportsFeature"]) {
      const original = client.prototype[method];
      if (typeof original !== "function") continue;
      client.prototype[method] = function (this: unknown, ...args: unknown[]) {
        const request = args[0] as { getType?(): string; getName?(): string; getTok?(): string; getUrn?(): string };
        const what = request.getName
          ? `${request.getType?.()} ${request.getName()}`
          : (request.getTok?.() ?? request.getUrn?.() ?? "");
        const sent = now();
        return original.apply(
          this,
          timed(args, () => write("rpc", { side: "program", method, what, sent })),
        );
      };
    }
  };

  const patchGrpc = (exports: Record<string, unknown>) => {
    const server = exports.Server as { prototype: Record<string, Fn> } | undefined;
    if (!server || (server.prototype.addService as { profiled?: boolean }).profiled) return;
    const addService = server.prototype.addService;
    const patched = function (this: unknown, service: unknown, impl: Record<string, Fn>) {
      const wrapped = Object.fromEntries(
        Object.entries(impl).map(([method, handler]) => [
          method,
          typeof handler !== "function"
            ? handler
            : (call: { request?: { getUrn?(): string } }, ...rest: unknown[]) => {
                const sent = now();
                const urn = call?.request?.getUrn?.() ?? "";
                return handler(
                  call,
                  ...timed(rest, () => write("rpc", { side: "server", method, what: urn.split("::").pop(), sent })),
                );
              },
        ]),
      );
      return addService.call(this, service, wrapped);
    };
    (patched as { profiled?: boolean }).profiled = true;
    server.prototype.addService = patched as Fn;
    const bindAsync = server.prototype.bindAsync;
    server.prototype.bindAsync = function (this: unknown, ...args: unknown[]) {
      return bindAsync.apply(
        this,
        timed(args, () => write("listening")),
      );
    };
  };

  const watched = /^(@pulumi\/pulumi|zod|axios|@grpc\/grpc-js|yaml)$/;
  const seen = new Set<string>();
  const moduleInternals = Module as unknown as {
    _load: (request: string, parent: unknown, isMain: boolean) => unknown;
  };
  const load = moduleInternals._load;
  moduleInternals._load = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
    const key = path.isAbsolute(request) ? request : watched.test(request) ? request : undefined;
    const first = key !== undefined && !seen.has(key);
    if (first) seen.add(key);
    const started = now();
    const exports = load.call(this, request, parent, isMain) as Record<string, unknown>;
    if (first) write("load", { module: key, started, ms: now() - started });
    if (request.endsWith("resource_grpc_pb") || request.endsWith("resource_grpc_pb.js")) patchMonitor(exports);
    if (request === "@grpc/grpc-js") patchGrpc(exports);
    return exports;
  };

  let ended = false;
  const end = (how: string) => {
    if (ended) return;
    ended = true;
    const cpu = process.cpuUsage();
    write("end", { how, cpuMs: (cpu.user + cpu.system) / 1000, maxRssKiB: process.resourceUsage().maxRSS });
  };
  process.on("exit", (code) => end(`exit ${code}`));
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const onSignal = () => {
      end(signal);
      // As without this preload: the signal's default action, unless the process handles it.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}
