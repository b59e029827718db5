// A lean ResourceProvider gRPC server for Pulumi dynamic resources (`pulumi-nodejs:dynamic:*`),
// started by the engine in place of @pulumi/pulumi/cmd/dynamic-provider when the program's
// directory has this package (see the shim in scripts/ensure-pulumi.sh). Run as
// `node dist/pulumi-runtime/providerServer.js <engine address>`; it prints its port on stdout.
//
// Protocol behaviour follows the SDK server (Configure without secrets, check/diff/create/read/
// update/delete, `__provider` kept in every output, unknowns, ErrorResourceInitFailed details for
// partial failures), with four differences:
//  - our resources' handlers are required directly instead of evaluating their closure text, and
//    no SDK runtime is loaded: only the generated protobuf stubs and the gRPC library;
//  - each call runs with its URN in scope, so pulumi-runtime/diagnostics.ts sends diagnostics to the
//    engine's Log RPC attached to the resource;
//  - a diff result's optional `detailedDiff` fills DiffResponse's detailed diff;
//  - run as the engine's plugin, it turns on shared reads (connectwise/sharedReads.ts).

import type * as grpcTypes from "@grpc/grpc-js";
import type * as anyTypes from "google-protobuf/google/protobuf/any_pb";
import type * as emptyTypes from "google-protobuf/google/protobuf/empty_pb";
import type * as structTypes from "google-protobuf/google/protobuf/struct_pb";
import type * as engineRpcTypes from "@pulumi/pulumi/proto/engine_grpc_pb";
import type * as enginePbTypes from "@pulumi/pulumi/proto/engine_pb";
import type * as pluginPbTypes from "@pulumi/pulumi/proto/plugin_pb";
import type * as providerRpcTypes from "@pulumi/pulumi/proto/provider_grpc_pb";
import type * as providerPbTypes from "@pulumi/pulumi/proto/provider_pb";
import type * as statusPbTypes from "@pulumi/pulumi/proto/status_pb";
import { createRequire } from "module";
import type * as pulumi from "@pulumi/pulumi";
import { deferModules, ZOD_LOCALES } from "./deferredModules";
import { DiagnosticSink, DiffWithDetails, PropertyDiffKind, Severity, runInCall } from "./diagnostics";
import { shareReadsInThisOperation } from "../connectwise/sharedReads";
import { OperationScope, runInOperation } from "../connectwise/operationScope";
import {
  HANDLER_DEPENDENCIES,
  HANDLER_MODULES,
  preloadDependency,
  preloadHandlerModule,
  ProviderCache,
} from "./providers";

// The stubs, the gRPC library and google-protobuf, all as @pulumi/pulumi resolves them: the
// messages must be built by the same google-protobuf the stubs use, and this package then needs
// no runtime dependency beyond @pulumi/pulumi.
const sdkRequire = createRequire(require.resolve("@pulumi/pulumi/proto/provider_pb.js"));
const grpc = sdkRequire("@grpc/grpc-js") as typeof grpcTypes;
const providerRpc = sdkRequire("./provider_grpc_pb.js") as typeof providerRpcTypes;
const providerPb = sdkRequire("./provider_pb.js") as typeof providerPbTypes;
const pluginPb = sdkRequire("./plugin_pb.js") as typeof pluginPbTypes;
const structPb = sdkRequire("google-protobuf/google/protobuf/struct_pb.js") as typeof structTypes;
const emptyPb = sdkRequire("google-protobuf/google/protobuf/empty_pb.js") as typeof emptyTypes;

const PROVIDER_KEY = "__provider";
/** What the engine sends for a value not known yet (preview). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The engine's encoding of a secret inside a Struct: { [SIG_KEY]: SECRET_SIG, value }. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

type Props = Record<string, unknown>;

/** A Struct as a plain object (an absent Struct as {}). */
function fromStruct(value: structTypes.Struct | undefined): Props {
  return value?.toJavaScript() ?? {};
}

/** A plain object as a Struct; members set to undefined are dropped (the SDK server throws on them). */
function toStruct(value: Props): structTypes.Struct {
  const defined = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map((e) => (e === undefined ? null : defined(e)));
    if (v && typeof v === "object")
      return Object.fromEntries(
        Object.entries(v)
          .filter(([, e]) => e !== undefined)
          .map(([k, e]) => [k, defined(e)]),
      );
    return v;
  };
  return structPb.Struct.fromJavaScript(defined(value) as Record<string, structTypes.JavaScriptValue>);
}

/** Outputs with the resource's `__provider` text, which the engine stores for later calls. */
function withProvider(outputs: Props | undefined, props: Props): Props {
  return { ...(outputs ?? {}), [PROVIDER_KEY]: props[PROVIDER_KEY] };
}

/** A handler's rejection as a gRPC status; `{ id, properties, reasons }` becomes ErrorResourceInitFailed. */
function statusOf(error: unknown, withPartialState: boolean): Partial<grpcTypes.StatusObject> {
  const e = (error ?? {}) as { message?: unknown; id?: unknown; properties?: unknown; reasons?: unknown };
  const message = typeof e.message === "string" ? e.message : String(error);
  const metadata = new grpc.Metadata();
  if (withPartialState && typeof e.id === "string" && e.id !== "") {
    const statusPb = sdkRequire("./status_pb.js") as typeof statusPbTypes;
    const anyPb = sdkRequire("google-protobuf/google/protobuf/any_pb.js") as typeof anyTypes;
    const detail = new providerPb.ErrorResourceInitFailed();
    detail.setId(e.id);
    detail.setProperties(toStruct((e.properties ?? {}) as Props));
    detail.setReasonsList(Array.isArray(e.reasons) ? e.reasons.map(String) : []);
    const packed = new anyPb.Any();
    packed.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
    const status = new statusPb.Status();
    status.setCode(grpc.status.UNKNOWN);
    status.setMessage(message);
    status.addDetails(packed);
    metadata.add("grpc-status-details-bin", Buffer.from(status.serializeBinary()));
  }
  return { code: grpc.status.UNKNOWN, details: message, metadata };
}

const DIFF_KINDS: Record<PropertyDiffKind, providerPbTypes.PropertyDiff.Kind> = {
  add: providerPb.PropertyDiff.Kind.ADD,
  "add-replace": providerPb.PropertyDiff.Kind.ADD_REPLACE,
  delete: providerPb.PropertyDiff.Kind.DELETE,
  "delete-replace": providerPb.PropertyDiff.Kind.DELETE_REPLACE,
  update: providerPb.PropertyDiff.Kind.UPDATE,
  "update-replace": providerPb.PropertyDiff.Kind.UPDATE_REPLACE,
};

/** The top-level property of a path such as `permissions["A/B"].add` or `tables[0]`. */
function topLevelKey(propertyPath: string): string {
  const quoted = /^\["((?:[^"\\]|\\.)*)"\]/.exec(propertyPath);
  if (quoted) return quoted[1];
  return /^[^.[]*/.exec(propertyPath)![0];
}

function diffResponse(result: DiffWithDetails): providerPbTypes.DiffResponse {
  const response = new providerPb.DiffResponse();
  const { DiffChanges } = providerPb.DiffResponse;
  response.setChanges(
    result.changes === true
      ? DiffChanges.DIFF_SOME
      : result.changes === false
        ? DiffChanges.DIFF_NONE
        : DiffChanges.DIFF_UNKNOWN,
  );
  if (result.replaces?.length) response.setReplacesList(result.replaces);
  if (result.deleteBeforeReplace) response.setDeletebeforereplace(true);
  if (result.detailedDiff) {
    const map = response.getDetaileddiffMap();
    const keys = new Set<string>();
    for (const [property, change] of Object.entries(result.detailedDiff)) {
      const kind = DIFF_KINDS[change?.kind];
      if (kind === undefined) continue;
      const diff = new providerPb.PropertyDiff();
      diff.setKind(kind);
      diff.setInputdiff(change.inputDiff === true);
      map.set(property, diff);
      keys.add(topLevelKey(property));
    }
    response.setHasdetaileddiff(true);
    response.setDiffsList([...keys]);
  }
  return response;
}

/** `project:key` config as the SDK's dynamic Config shows it: bare keys are the project's. */
function dynamicConfig(values: Record<string, unknown>, env: NodeJS.ProcessEnv): pulumi.dynamic.Config {
  const project = env.PULUMI_NODEJS_PROJECT || "project";
  const get = (key: string) => values[key.includes(":") ? key : `${project}:${key}`] as string | undefined;
  return {
    get,
    require: (key: string) => {
      const value = get(key);
      if (value === undefined) throw new Error(`Missing required configuration key: ${key}`);
      return value;
    },
  };
}

const unwrapSecret = (value: unknown): unknown =>
  value && typeof value === "object" && (value as Props)[SIG_KEY] === SECRET_SIG ? (value as Props).value : value;

/** Sends diagnostics to the engine's Log service, connecting on first use. */
function engineSink(engineAddress: () => string): DiagnosticSink {
  let client: engineRpcTypes.EngineClient | undefined;
  let enginePb: typeof enginePbTypes;
  const severities: Record<Severity, enginePbTypes.LogSeverity> = { debug: 0, info: 1, warning: 2 };
  return (severity, message, urn) => {
    // Not attached yet: the caller keeps the line (stderr).
    if (!engineAddress()) return Promise.reject(new Error("no engine to send diagnostics to"));
    if (!client) {
      const engineRpc = sdkRequire("./engine_grpc_pb.js") as typeof engineRpcTypes;
      enginePb = sdkRequire("./engine_pb.js") as typeof enginePbTypes;
      // Subchannels of its own: in the fleet's process, an earlier stack's engine may have used
      // this address, and a shared subchannel would carry its failed connection.
      client = new engineRpc.EngineClient(engineAddress(), grpc.credentials.createInsecure(), {
        "grpc.use_local_subchannel_pool": 1,
      });
    }
    const request = new enginePb.LogRequest();
    request.setSeverity(severities[severity]);
    request.setMessage(message);
    request.setUrn(urn);
    return new Promise<void>((resolve, reject) =>
      client!.log(request, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  };
}

type Unary<Req, Res> = grpcTypes.handleUnaryCall<Req, Res>;

/**
 * One unary method: runs `body` with the request's URN in scope, answers with its result or with
 * its error's status. The engine prints that error once, under the resource. Unlike the SDK's
 * server, nothing goes to stderr: there the error and its stack trace would be printed again
 * under the stack, for a mistake (a wrong site, a missing key) that one line names.
 */
function unary<Req extends { getUrn(): string }, Res>(
  sink: DiagnosticSink,
  scope: OperationScope | undefined,
  body: (request: Req) => Promise<Res>,
  options: { partialState?: boolean } = {},
): Unary<Req, Res> {
  return (call, callback) => {
    const work = () => runInCall(call.request.getUrn(), sink, () => body(call.request));
    (scope ? runInOperation(scope, work) : work()).then(
      (response) => callback(null, response),
      (error: unknown) => callback(statusOf(error, options.partialState === true)),
    );
  };
}

const unimplemented =
  (method: string) =>
  (_call: unknown, callback: (error: Partial<grpcTypes.StatusObject>) => void): void =>
    callback({ code: grpc.status.UNIMPLEMENTED, details: `${method} is not implemented by the dynamic provider` });

export interface ServiceOptions {
  /** The operation the calls run in (the fleet's in-process servers); default: the process. */
  scope?: OperationScope;
  /** Where the handler modules are (default: found from the process's directory, as the engine starts us). */
  packageRoot?: string;
  /** Told each resource's outputs as a call learns them (state, or what a handler returned); undefined once deleted. */
  onOutputs?: (urn: string, outputs: Props | undefined) => void;
}

/**
 * The service. `engineAddress` is where diagnostics go: given at start by the engine that runs
 * us as its plugin, or by its Attach call when the engine attaches to a server already running
 * (PULUMI_DEBUG_PROVIDERS, as the fleet's in-process servers are used).
 */
export function resourceProviderService(
  engineAddress = "",
  options: ServiceOptions = {},
): providerRpcTypes.IResourceProviderServer {
  const sink = engineSink(() => engineAddress);
  const { scope, onOutputs = () => undefined } = options;
  let config: Record<string, unknown> = {};
  const providers = new ProviderCache(() => dynamicConfig(config, scope?.env ?? process.env), options.packageRoot);
  const providerFor = async (olds: Props, news: Props) =>
    (await providers.get((news[PROVIDER_KEY] === UNKNOWN ? olds : news)[PROVIDER_KEY])).provider;

  return {
    getPluginInfo: (_call, callback) => {
      const info = new pluginPb.PluginInfo();
      info.setVersion((sdkRequire("../package.json") as { version: string }).version);
      callback(null, info);
    },
    configure: (call, callback) => {
      const args = call.request.getArgs();
      const raw = args ? fromStruct(args) : (Object.fromEntries(call.request.getVariablesMap().toArray()) as Props);
      config = Object.fromEntries(
        Object.entries(raw)
          .filter(([key]) => key !== PROVIDER_KEY)
          .map(([key, value]) => [key, unwrapSecret(value)]),
      );
      // No secrets, no resource references: the engine then strips secrets from what it sends
      // and marks outputs secret wherever the inputs were, as for the SDK server.
      const response = new providerPb.ConfigureResponse();
      response.setAcceptsecrets(false);
      callback(null, response);
    },
    checkConfig: unimplemented("CheckConfig"),
    diffConfig: unimplemented("DiffConfig"),
    check: unary(sink, scope, async (request: providerPbTypes.CheckRequest) => {
      const olds = fromStruct(request.getOlds());
      const news = fromStruct(request.getNews());
      const provider = await providerFor(olds, news);
      const result = provider.check ? await provider.check(olds, news) : { inputs: news, failures: [] };
      const inputs: Props = { ...((result.inputs as Props | undefined) ?? news), [PROVIDER_KEY]: news[PROVIDER_KEY] };
      const response = new providerPb.CheckResponse();
      response.setInputs(toStruct(inputs));
      for (const f of result.failures ?? []) {
        const failure = new providerPb.CheckFailure();
        failure.setProperty(f.property);
        failure.setReason(f.reason);
        response.addFailures(failure);
      }
      return response;
    }),
    diff: unary(sink, scope, async (request: providerPbTypes.DiffRequest) => {
      const olds = fromStruct(request.getOlds());
      const news = fromStruct(request.getNews());
      onOutputs(request.getUrn(), olds);
      const provider = await providerFor(olds, news);
      if (!provider.diff) return new providerPb.DiffResponse();
      return diffResponse(await provider.diff(request.getId(), olds, news));
    }),
    create: unary(
      sink,
      scope,
      async (request: providerPbTypes.CreateRequest) => {
        const props = fromStruct(request.getProperties());
        const provider = await providerFor({}, props);
        if (!provider.create) throw new Error("the dynamic provider has no create");
        const result = await provider.create(props);
        onOutputs(request.getUrn(), result.outs as Props | undefined);
        const response = new providerPb.CreateResponse();
        response.setId(result.id);
        response.setProperties(toStruct(withProvider(result.outs as Props | undefined, props)));
        return response;
      },
      { partialState: true },
    ),
    read: unary(sink, scope, async (request: providerPbTypes.ReadRequest) => {
      const props = fromStruct(request.getProperties());
      const provider = await providerFor({}, props);
      const response = new providerPb.ReadResponse();
      if (!provider.read) {
        response.setId(request.getId());
        response.setProperties(request.getProperties());
        return response;
      }
      const result = await provider.read(request.getId(), props);
      onOutputs(request.getUrn(), result.id ? (result.props as Props | undefined) : undefined);
      response.setId(result.id ?? "");
      response.setProperties(toStruct(withProvider(result.props as Props | undefined, props)));
      if (result.inputs) response.setInputs(toStruct(withProvider(result.inputs as Props, props)));
      return response;
    }),
    update: unary(
      sink,
      scope,
      async (request: providerPbTypes.UpdateRequest) => {
        const olds = fromStruct(request.getOlds());
        const news = fromStruct(request.getNews());
        const provider = await providerFor({}, news);
        const result = provider.update ? ((await provider.update(request.getId(), olds, news)) ?? {}) : {};
        onOutputs(request.getUrn(), (result.outs as Props | undefined) ?? olds);
        const response = new providerPb.UpdateResponse();
        response.setProperties(toStruct(withProvider(result.outs as Props | undefined, news)));
        return response;
      },
      { partialState: true },
    ),
    delete: unary(sink, scope, async (request: providerPbTypes.DeleteRequest) => {
      const props = fromStruct(request.getProperties());
      const provider = await providerFor({}, props);
      if (provider.delete) await provider.delete(request.getId(), props);
      onOutputs(request.getUrn(), undefined);
      return new emptyPb.Empty();
    }),
    cancel: (_call, callback) => callback(null, new emptyPb.Empty()),
    invoke: (call, callback) =>
      callback({ code: grpc.status.UNKNOWN, details: `unknown function ${call.request.getTok()}` }),
    list: (call) =>
      call.emit("error", {
        code: grpc.status.UNIMPLEMENTED,
        details: "List is not implemented by the dynamic provider",
      }),
    handshake: unimplemented("Handshake"),
    getSchema: unimplemented("GetSchema"),
    parameterize: unimplemented("Parameterize"),
    construct: unimplemented("Construct"),
    call: unimplemented("Call"),
    attach: (call, callback) => {
      engineAddress = call.request.getAddress();
      callback(null, new emptyPb.Empty());
    },
    getMapping: unimplemented("GetMapping"),
    getMappings: unimplemented("GetMappings"),
  };
}

/** Starts the server for the engine at `engineAddress` (or the one that attaches); resolves to the port it listens on. */
export function serve(
  engineAddress: string,
  options: ServiceOptions = {},
): Promise<{ port: number; server: grpcTypes.Server }> {
  const server = new grpc.Server({
    // The SDK server's limits: large states, and no idle cut-off during a long update.
    "grpc.max_receive_message_length": 400 * 1024 * 1024,
    "grpc.server_max_unrequested_time_in_server": 30 * 60,
  });
  server.addService(providerRpc.ResourceProviderService, resourceProviderService(engineAddress, options));
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve({ port, server }),
    ),
  );
}

/**
 * Exits once the process that started this one is gone. The engine starts the plugin (the shim
 * execs node, so the CLI is the parent) and stops it at the end of a run; a CLI killed with
 * SIGKILL stops nothing, and a gRPC server never learns that its only client died, so the
 * provider used to stay behind for good. Pulumi's Go plugins check the engine every 5 minutes;
 * the parent's pid is checked every `everyMs`, which costs nothing (a getppid call).
 */
export function exitWithParent(everyMs = 1000): NodeJS.Timeout {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    console.error(`connectwise-iac provider: the engine (pid ${parent}) is gone; exiting`);
    process.exit(1);
  }, everyMs);
  timer.unref();
  return timer;
}

/**
 * Loads our handlers' modules (zod, axios, the ConnectWise client: 0.25 to 0.5 s of a cold start
 * on a busy 2-core machine) once the server listens, before the first Check asks for them: the
 * engine's handshake and Configure, and with the program's early start (pulumi-runtime/earlyStart.ts)
 * the rest of the program's own run, happen meanwhile. One module per turn of the event loop (the
 * largest dependencies first), so a call that arrives in between waits for one module at most.
 * Resolves to what was loaded.
 */
export function warmHandlers(): Promise<string[]> {
  const steps: [string, () => boolean][] = [
    ...HANDLER_DEPENDENCIES.map((d): [string, () => boolean] => [d, () => preloadDependency(d)]),
    ...HANDLER_MODULES.map((m): [string, () => boolean] => [m, () => preloadHandlerModule(m)]),
  ];
  const loaded: string[] = [];
  return steps
    .reduce(
      (previous, [name, load]) =>
        previous.then(
          () =>
            new Promise<void>((resolve) =>
              setImmediate(() => {
                if (load()) loaded.push(name);
                resolve();
              }),
            ),
        ),
      Promise.resolve(),
    )
    .then(() => loaded);
}

if (require.main === module) {
  const [engineAddress] = process.argv.slice(2);
  if (!engineAddress) {
    console.error("fatal: Missing <engine> address");
    process.exit(-1);
  }
  // As the SDK server: report a stray error once and keep serving, but exit non-zero at the end.
  let strayErrors = 0;
  const report = (error: unknown) => {
    strayErrors++;
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  };
  process.on("uncaughtException", report);
  process.on("unhandledRejection", report);
  process.on("exit", (code) => {
    if (code === 0 && strayErrors > 0) process.exitCode = 1;
  });
  exitWithParent();
  deferModules([ZOD_LOCALES], __dirname); // before the first handler module loads zod
  // The engine starts this process for one operation: the handlers' identical reads (a member's
  // record, the call as a key) are sent once in it (provider/reads.ts).
  shareReadsInThisOperation();
  serve(engineAddress).then(
    ({ port }) => {
      console.log(String(port));
      void warmHandlers();
    },
    (error: unknown) => {
      report(error);
      process.exit(1);
    },
  );
}
