// Provider-server suite: dist/pulumi-runtime/providerServer.js (our lean dynamic-provider server) driven over
// gRPC as the engine drives it, side by side with the SDK's server, with the `__provider` texts
// the resource classes really serialize. Both servers get the same calls; their answers must be
// the same. On top: partial failures (a program's own provider), secrets, a handler's
// detailedDiff in the DiffResponse, diagnostics reaching a fake engine's Log service with the
// resource's URN, and a program's own (foreign) dynamic provider, which our server evaluates as
// the SDK server does.

import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { ApiKey } from "../resources/apiKey";
import { ApiMember } from "../resources/apiMember";
import { SecurityRole } from "../resources/securityRole";
import { TableSetupAccess } from "../resources/tableSetupAccess";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox } from "../sandbox/server";
import { startHandlerSandbox } from "./handler-harness";
import { call } from "./sandbox-harness";

/* eslint-disable @typescript-eslint/no-require-imports */
const providerRpc = require("@pulumi/pulumi/proto/provider_grpc_pb.js");
const providerPb = require("@pulumi/pulumi/proto/provider_pb.js");
const statusPb = require("@pulumi/pulumi/proto/status_pb.js");
const engineRpc = require("@pulumi/pulumi/proto/engine_grpc_pb.js");
const emptyPb = require("google-protobuf/google/protobuf/empty_pb.js");
/* eslint-enable @typescript-eslint/no-require-imports */

const ROOT = path.resolve(__dirname, "..");
const PROJECT = "connectwise-iac";
const STACK = "server-test";
const SDK_SERVER = path.join(ROOT, "node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js");
const OUR_SERVER = path.join(ROOT, "dist/pulumi-runtime/providerServer.js");
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SECRET = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };

let sandbox: RunningSandbox;
let operator: SandboxConsole;
let config: Record<string, string>;
const privateKeys: string[] = [];

// ---------------------------------------------------------------------------------------------
// A fake engine: only Log, recording what it receives.

interface LogEntry {
  severity: number;
  message: string;
  urn: string;
}
const logged: LogEntry[] = [];
let engine: grpc.Server;
let engineAddress = "";

async function startEngine(): Promise<void> {
  engine = new grpc.Server();
  engine.addService(engineRpc.EngineService, {
    log: (c: any, callback: any) => {
      logged.push({ severity: c.request.getSeverity(), message: c.request.getMessage(), urn: c.request.getUrn() });
      callback(null, new emptyPb.Empty());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    engine.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  engineAddress = `127.0.0.1:${port}`;
}

// ---------------------------------------------------------------------------------------------
// The two servers, each a child process spoken to over gRPC.

function struct(value: object): Struct {
  return Struct.fromJavaScript(JSON.parse(JSON.stringify(value)));
}

class ProviderProcess {
  output = "";
  client: any;
  child!: ChildProcess;

  constructor(
    readonly label: string,
    private readonly script: string,
    /** The engine's address; the fake engine's when unset. */
    private readonly engine?: string,
  ) {}

  async start(): Promise<void> {
    // No CONNECTWISE_* variable: the credentials can only come from Configure.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CONNECTWISE_")));
    this.child = spawn(process.execPath, [this.script, this.engine ?? engineAddress], {
      cwd: ROOT,
      env: { ...env, PULUMI_NODEJS_PROJECT: PROJECT },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const port = await new Promise<number>((resolve, reject) => {
      let first = "";
      this.child.stdout!.on("data", (chunk: Buffer) => {
        this.output += chunk.toString();
        first += chunk.toString();
        const line = /^(\d+)\s*\n/.exec(first);
        if (line) resolve(Number(line[1]));
      });
      this.child.stderr!.on("data", (chunk: Buffer) => void (this.output += chunk.toString()));
      this.child.on("exit", (code) => reject(new Error(`${this.label} exited with ${code}: ${this.output}`)));
    });
    this.client = new providerRpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }

  async stop(): Promise<void> {
    this.client?.close();
    if (this.child && this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once("exit", resolve));
      this.child.kill();
      await exited;
    }
  }

  rpc<T = any>(method: string, request: unknown): Promise<T> {
    return new Promise((resolve, reject) =>
      this.client[method](request, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res))),
    );
  }

  async configure(values: Record<string, unknown>): Promise<boolean> {
    const req = new providerPb.ConfigureRequest();
    req.setArgs(struct(values));
    return (await this.rpc("configure", req)).getAcceptsecrets();
  }

  async check(r: Resource, news: object, olds: object = {}, provider: unknown = r.provider) {
    const req = new providerPb.CheckRequest();
    req.setUrn(r.urn);
    req.setOlds(struct(olds));
    req.setNews(struct({ ...news, __provider: provider }));
    const res = await this.rpc("check", req);
    return {
      inputs: res.getInputs().toJavaScript() as Record<string, any>,
      failures: res.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async create(r: Resource, inputs: object): Promise<{ id: string; outs: Record<string, any> }> {
    const req = new providerPb.CreateRequest();
    req.setUrn(r.urn);
    req.setProperties(struct(inputs));
    const res = await this.rpc("create", req);
    return { id: res.getId(), outs: res.getProperties().toJavaScript() };
  }

  async read(r: Resource, id: string, outs: object, inputs: object) {
    const req = new providerPb.ReadRequest();
    req.setId(id);
    req.setUrn(r.urn);
    req.setProperties(struct(outs));
    req.setInputs(struct(inputs));
    const res = await this.rpc("read", req);
    return {
      id: res.getId() as string,
      outs: (res.getProperties()?.toJavaScript() ?? {}) as Record<string, any>,
      inputs: res.getInputs()?.toJavaScript() as Record<string, any> | undefined,
    };
  }

  /** The whole DiffResponse, detailed diff included. */
  async diff(r: Resource, id: string, outs: object, news: object) {
    const req = new providerPb.DiffRequest();
    req.setId(id);
    req.setUrn(r.urn);
    req.setOlds(struct(outs));
    req.setNews(struct(news));
    const res = await this.rpc("diff", req);
    return {
      changes: ["unknown", "none", "some"][res.getChanges()],
      replaces: res.getReplacesList() as string[],
      deleteBeforeReplace: res.getDeletebeforereplace() as boolean,
      hasDetailedDiff: res.getHasdetaileddiff() as boolean,
      diffs: res.getDiffsList() as string[],
      detailedDiff: Object.fromEntries(
        res
          .getDetaileddiffMap()
          .getEntryList()
          .map(([k]: [string]) => {
            const d = res.getDetaileddiffMap().get(k);
            return [k, { kind: d.getKind(), inputDiff: d.getInputdiff() }];
          }),
      ),
    };
  }

  async update(r: Resource, id: string, outs: object, news: object): Promise<Record<string, any>> {
    const req = new providerPb.UpdateRequest();
    req.setId(id);
    req.setUrn(r.urn);
    req.setOlds(struct(outs));
    req.setNews(struct(news));
    return (await this.rpc("update", req)).getProperties().toJavaScript();
  }

  async destroy(r: Resource, id: string, outs: object): Promise<void> {
    const req = new providerPb.DeleteRequest();
    req.setId(id);
    req.setUrn(r.urn);
    req.setProperties(struct(outs));
    await this.rpc("delete", req);
  }
}

const sdk = new ProviderProcess("SDK server", SDK_SERVER);
const ours = new ProviderProcess("our server", OUR_SERVER);

/** The partial state a create/update error carries. */
function initFailure(err: grpc.ServiceError) {
  const [blob] = err.metadata?.get("grpc-status-details-bin") ?? [];
  if (!blob) return undefined;
  const status = statusPb.Status.deserializeBinary(new Uint8Array(blob as Buffer));
  const [detail] = status.getDetailsList();
  const failed = detail.unpack(
    providerPb.ErrorResourceInitFailed.deserializeBinary,
    "pulumirpc.ErrorResourceInitFailed",
  );
  return {
    id: failed.getId() as string,
    properties: failed.getProperties().toJavaScript() as Record<string, any>,
    reasons: failed.getReasonsList() as string[],
  };
}

async function grpcError(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error("expected the call to fail");
}

/** What a failed call tells the engine: status, message, partial state. */
async function failure(promise: Promise<unknown>) {
  const err = await grpcError(promise);
  return { code: err.code, details: err.details, partial: initFailure(err) };
}

// ---------------------------------------------------------------------------------------------
// The __provider texts, captured from the mock monitor as engine.test.ts does.

interface Resource {
  urn: string;
  provider: string;
}

const providers = new Map<string, string>();

const urnOf = (type: string, name: string) =>
  `urn:pulumi:${STACK}::${PROJECT}::pulumi-nodejs:dynamic/connectwise:${type}::${name}`;

async function registered(resource: pulumi.CustomResource, type: string, name: string): Promise<Resource> {
  await new Promise((resolve) => resource.urn.apply(resolve));
  return { urn: urnOf(type, name), provider: providers.get(name)! };
}

/** A program's own dynamic provider: diagnostics through this package, a detailed diff, a partial failure. */
async function foreignProvider(): Promise<string> {
  const diagnosticsModule = path.join(ROOT, "dist/pulumi-runtime/diagnostics.js");
  // The provider contract is async; these methods have nothing to wait for.
  /* eslint-disable @typescript-eslint/require-await */
  const provider: pulumi.dynamic.ResourceProvider = {
    check: async (_olds, news) => {
      if (news.explode) throw new Error(`cannot check size ${news.size}`);
      return { inputs: { ...news, checked: true } };
    },
    diff: async (id, olds, news) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const extensions = require(diagnosticsModule);
      extensions.diagnostics.warn(`size of ${id} drifted (${extensions.currentUrn() ?? "no urn"})`);
      const changed = olds.size !== news.size;
      return {
        changes: changed,
        replaces: changed ? ["size"] : [],
        detailedDiff: changed
          ? { size: { kind: "update-replace", inputDiff: true }, "tags.team": { kind: "add" } }
          : {},
      };
    },
    create: async (inputs) => {
      if (inputs.fail)
        throw Object.assign(new Error("half made"), { id: "f-half", properties: { size: 1 }, reasons: ["slow"] });
      return { id: `f-${inputs.size}`, outs: { ...inputs, made: true } };
    },
    read: async (id, props) => ({ id, props: { ...props, read: true } }),
    update: async (_id, _olds, news) => ({ outs: { ...news, updated: true } }),
    delete: async () => undefined,
  };
  /* eslint-enable @typescript-eslint/require-await */
  const serialized = await pulumi.runtime.serializeFunction(() => provider);
  return serialized.text;
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  const server = path.join(ROOT, "pulumi-runtime/providerServer.ts");
  if (!fs.existsSync(OUR_SERVER) || fs.statSync(OUR_SERVER).mtimeMs < fs.statSync(server).mtimeMs)
    throw new Error("dist/pulumi-runtime/providerServer.js is missing or stale: run `npm run build` first");
  ({ sandbox, operator, config } = await startHandlerSandbox({ tokenLifetimeSeconds: 86400 }));
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        providers.set(args.name, args.inputs.__provider);
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: () => ({}),
    },
    PROJECT,
    STACK,
    false,
  );
  await startEngine();
  await Promise.all([sdk.start(), ours.start()]);
  // Secret config arrives wrapped; both servers unwrap it and ask the engine for no secrets.
  const wrapped = { ...config, "connectwise:privateKey": { ...SECRET, value: config["connectwise:privateKey"] } };
  expect(await sdk.configure(wrapped)).toBe(false);
  expect(await ours.configure(wrapped)).toBe(false);
});

afterAll(async () => {
  await Promise.all([sdk.stop(), ours.stop()]);
  engine?.forceShutdown();
  await sandbox?.close();
  if (!sandbox) return;
  const secrets = [sandbox.publicKey, sandbox.privateKey, sandbox.clientId, ...privateKeys];
  for (const text of [ours.output, JSON.stringify(logged)]) for (const s of secrets) expect(text).not.toContain(s);
});

/** The same call on both servers: the answers must be equal. */
async function both<T>(fn: (server: ProviderProcess) => Promise<T>): Promise<T> {
  const [a, b] = await Promise.all([fn(sdk), fn(ours)]);
  expect(b).toEqual(a);
  return b;
}

test("GetPluginInfo, the config methods, Handshake, GetSchema and Cancel answer as the SDK server's", async () => {
  const empty = new emptyPb.Empty();
  const outcome = async (s: ProviderProcess, method: string, request: unknown) => {
    try {
      const res = await s.rpc(method, request);
      return { ok: res.toObject() };
    } catch (err) {
      return { code: (err as grpc.ServiceError).code, details: (err as grpc.ServiceError).details };
    }
  };
  expect((await both((s) => outcome(s, "getPluginInfo", empty))).ok?.version).toMatch(/^\d+\.\d+\.\d+/);
  await both((s) => outcome(s, "checkConfig", new providerPb.CheckRequest()));
  await both((s) => outcome(s, "diffConfig", new providerPb.DiffRequest()));
  await both((s) => outcome(s, "handshake", new providerPb.ProviderHandshakeRequest()));
  await both((s) => outcome(s, "getSchema", new providerPb.GetSchemaRequest()));
  await both((s) => outcome(s, "cancel", empty));
});

describe("our server answers as the SDK server does", () => {
  const memberArgs = {
    identifier: "svc-srv",
    name: "Server Member",
    email: "server@example.com",
    securityRole: "Server Role",
    level: "corporate",
    businessUnit: "Admin",
    location: "Main",
    defaultTerritory: "Europe",
  };
  let member: Resource;
  let key: Resource;
  let role: Resource;
  let access: Resource;

  beforeAll(async () => {
    member = await registered(new ApiMember("srv-member", memberArgs), "ApiMember", "srv-member");
    key = await registered(
      new ApiKey("srv-key", { member: "svc-srv", description: "Server key" }),
      "ApiKey",
      "srv-key",
    );
    role = await registered(
      new SecurityRole("srv-role", {
        name: "Server Tables",
        permissions: { "System/Table Setup": { inquire: "All" } },
      }),
      "SecurityRole",
      "srv-role",
    );
    access = await registered(
      new TableSetupAccess("srv-access", {
        role: "Server Tables",
        member: "svc-srv-tables",
        publicKey: "public",
        privateKey: pulumi.secret("private"),
        tables: ["Service / Service Board"],
      }),
      "TableSetupAccess",
      "srv-access",
    );
  });

  test("the texts are recognised as our runtime providers", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handlerModuleOf } = require("../pulumi-runtime/providers");
    expect([member, key, role, access].map((r) => handlerModuleOf(r.provider))).toEqual([
      "apiMember",
      "apiKey",
      "securityRole",
      "tableSetupAccess",
    ]);
    // An edited text is not ours any more: it is evaluated, never short-circuited.
    expect(handlerModuleOf(role.provider.replace("securityRole.js", "apiKey.js"))).toBeUndefined();
  });

  test("state written by earlier versions (a serialized closure) still runs, through either server", async () => {
    // What a SecurityRole stored as __provider before runtimeProviderText: the SDK's serialization
    // of the runtimeProvider("securityRole") closure.
    const legacy = fs.readFileSync(path.join(__dirname, "fixtures", "legacy-runtime-provider.txt"), "utf8");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(require("../pulumi-runtime/providers").handlerModuleOf(legacy)).toBe("securityRole");
    const old: Resource = { ...role, provider: legacy };
    const args = { name: "Legacy Role", permissions: { "Companies/Contacts": { inquire: "All" } } };
    const { inputs } = await both((s) => s.check(old, args));
    expect(inputs).toMatchObject({ name: "Legacy Role", __provider: legacy });
  });

  test("ApiMember: check (failures, unknowns), create, read, diff, update, delete", async () => {
    expect(
      (await call(sandbox, "/system/securityroles", { method: "POST", body: { name: "Server Role" } })).status,
    ).toBe(201);
    const bad = await both((s) => s.check(member, { ...memberArgs, level: "Corprate" }));
    expect(bad.failures).toHaveLength(1);
    const { inputs } = await both((s) => s.check(member, memberArgs));
    expect(inputs).toMatchObject({ level: "Corporate", __provider: member.provider });
    // Preview of a replacement-to-be: __provider unknown in the news, taken from the olds.
    const previewed = await both((s) => s.check(member, { ...memberArgs, name: UNKNOWN }, inputs, UNKNOWN));
    expect(previewed.inputs.name).toBe(UNKNOWN);

    // Two members, one through each server: the same outputs but for identity.
    const [viaSdk, viaOurs] = await Promise.all([
      sdk.create(member, { ...inputs, identifier: "svc-srv-sdk" }),
      ours.create(member, inputs),
    ]);
    const identity = ["identifier", "memberId"];
    const without = (o: Record<string, any>) =>
      Object.fromEntries(Object.entries(o).filter(([k]) => !identity.includes(k)));
    expect(without(viaOurs.outs)).toEqual(without(viaSdk.outs));
    const { id, outs } = viaOurs;

    expect((await both((s) => s.read(member, id, outs, inputs))).id).toBe(id);
    expect((await both((s) => s.diff(member, id, outs, inputs))).changes).toBe("none");
    const renamed = (await both((s) => s.check(member, { ...memberArgs, name: "Server Member 2" }))).inputs;
    // The handler's detailedDiff reaches the engine through our server only; the rest is the same.
    const [sdkDiff, ourDiff] = await Promise.all([
      sdk.diff(member, id, outs, renamed),
      ours.diff(member, id, outs, renamed),
    ]);
    const plain = (d: typeof ourDiff) => ({
      changes: d.changes,
      replaces: d.replaces,
      deleteBeforeReplace: d.deleteBeforeReplace,
    });
    expect(plain(ourDiff)).toEqual(plain(sdkDiff));
    expect(sdkDiff).toMatchObject({ changes: "some", hasDetailedDiff: false });
    expect(ourDiff).toMatchObject({ changes: "some", hasDetailedDiff: true, diffs: ["name"] });
    expect(Object.keys(ourDiff.detailedDiff)).toEqual(["name"]);
    const updated = await ours.update(member, id, outs, renamed);
    expect(updated).toMatchObject({ name: "Server Member 2", __provider: member.provider });
    expect((await both((s) => s.read(member, id, updated, renamed))).outs).toMatchObject({ name: "Server Member 2" });
    expect((await both((s) => s.read(member, "987654", updated, renamed))).id).toBe("");
    await ours.destroy(member, viaSdk.id, viaSdk.outs);
    expect((await both((s) => s.read(member, viaSdk.id, viaSdk.outs, {}))).outs).toMatchObject({ inactive: true });
  });

  test("ApiKey: the minted private key comes back in the outputs; errors carry no key", async () => {
    await operator.setSettings({ tokenLifetimeSeconds: 30 * 86400 });
    const { inputs } = await both((s) => s.check(key, { member: "svc-srv", description: "Server key" }));
    const { id, outs } = await ours.create(key, inputs);
    privateKeys.push(outs.privateKey);
    expect(outs).toMatchObject({ memberIdentifier: "svc-srv", __provider: key.provider });
    expect(await both((s) => s.read(key, id, outs, inputs))).toMatchObject({ id });
    expect((await both((s) => s.diff(key, id, outs, inputs))).changes).toBe("none");
    const shorter = (
      await both((s) => s.check(key, { member: "svc-srv", description: "Server key", rotateBefore: "1h" }))
    ).inputs;
    expect(await ours.update(key, id, outs, shorter)).toMatchObject({
      rotateBefore: "1h",
      privateKey: outs.privateKey,
    });

    const consoleKey = await operator.createApiKey("svc-srv", "console");
    privateKeys.push(consoleKey.privateKey);
    const wrong = (
      await both((s) =>
        s.check(key, {
          member: "svc-srv",
          description: "Console",
          source: "console",
          publicKey: consoleKey.publicKey,
          privateKey: "not-the-key",
        }),
      )
    ).inputs;
    const failed = await both((s) => failure(s.create(key, wrong)));
    expect(failed.details).toContain("does not authenticate");
    expect(failed.details).not.toContain("not-the-key");
    await ours.destroy(key, id, outs);
  });

  test("SecurityRole and TableSetupAccess: pending console steps are outputs, answered as the SDK's", async () => {
    const { inputs } = await both((s) =>
      s.check(role, { name: "Server Tables", permissions: { "System/Table Setup": { inquire: "All" } } }),
    );
    const created = await ours.create(role, inputs);
    expect(created.outs).toMatchObject({ name: "Server Tables", __provider: role.provider });
    expect(JSON.stringify(created.outs.pendingSteps)).toContain('"Server Tables","System","Table Setup"');
    const roleId = created.id;
    // The role exists now: an update through either server answers the same pending steps.
    await both((s) => s.update(role, roleId, created.outs, inputs));

    await operator.setPermissions("Server Tables", { "System/Table Setup": { inquire: "All" } });
    const roleOuts = await ours.update(role, roleId, created.outs, inputs);
    expect(roleOuts.pendingSteps).toEqual([]);
    expect((await both((s) => s.diff(role, roleId, roleOuts, inputs))).changes).toBe("none");

    expect(
      (
        await call(sandbox, "/system/apiMembers", {
          method: "POST",
          body: { identifier: "svc-srv-tables", name: "Tables", securityRole: { name: "Server Tables" } },
        })
      ).status,
    ).toBe(201);
    const memberKey = await operator.createApiKey("svc-srv-tables", "table setup");
    privateKeys.push(memberKey.privateKey);
    const args = { role: "Server Tables", member: "svc-srv-tables", ...memberKey, tables: ["Service / Service Board"] };
    const accessInputs = (await both((s) => s.check(access, args))).inputs;
    const pending = await both((s) => s.create(access, accessInputs));
    expect(pending).toMatchObject({ id: "Server Tables/svc-srv-tables", outs: { verified: [] } });
    expect(pending.outs.pendingSteps).toHaveLength(1);
    await operator.setTableSetup("Server Tables", ["Service / Service Board"]);
    const outs = await ours.update(access, pending.id, pending.outs, accessInputs);
    expect(outs.verified).toEqual(["Service / Service Board"]);
    expect(await both((s) => s.read(access, pending.id, outs, accessInputs))).toMatchObject({ id: pending.id });
    await ours.destroy(access, pending.id, outs);
  });
});

describe("a program's own dynamic provider, and the extensions", () => {
  let foreign: Resource;

  beforeAll(async () => {
    foreign = {
      urn: `urn:pulumi:${STACK}::${PROJECT}::pulumi-nodejs:dynamic:Resource::mine`,
      provider: await foreignProvider(),
    };
  });

  test("is evaluated, not mistaken for ours, and answers as under the SDK server", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(require("../pulumi-runtime/providers").handlerModuleOf(foreign.provider)).toBeUndefined();
    const { inputs } = await both((s) => s.check(foreign, { size: 2 }));
    expect(inputs).toEqual({ size: 2, checked: true, __provider: foreign.provider });
    const created = await both((s) => s.create(foreign, inputs));
    expect(created).toEqual({ id: "f-2", outs: { ...inputs, made: true } });
    expect(await both((s) => s.read(foreign, "f-2", created.outs, inputs))).toMatchObject({ outs: { read: true } });
    expect(await both((s) => s.update(foreign, "f-2", created.outs, { ...inputs, size: 3 }))).toMatchObject({
      size: 3,
      updated: true,
      __provider: foreign.provider,
    });
    await both((s) => s.destroy(foreign, "f-2", created.outs));
    const half = await both((s) => failure(s.create(foreign, { ...inputs, fail: true })));
    expect(half.partial).toEqual({ id: "f-half", properties: { size: 1 }, reasons: ["slow"] });
  });

  test("a handler's detailedDiff reaches the DiffResponse (the SDK server drops it)", async () => {
    const news = { size: 3, __provider: foreign.provider };
    const [plain, detailed] = await Promise.all([
      sdk.diff(foreign, "f-2", { size: 2, __provider: foreign.provider }, news),
      ours.diff(foreign, "f-2", { size: 2, __provider: foreign.provider }, news),
    ]);
    expect(plain).toMatchObject({ changes: "some", replaces: ["size"], hasDetailedDiff: false, detailedDiff: {} });
    expect(detailed).toEqual({
      changes: "some",
      replaces: ["size"],
      deleteBeforeReplace: false,
      hasDetailedDiff: true,
      diffs: ["size", "tags"],
      detailedDiff: { size: { kind: 5, inputDiff: true }, "tags.team": { kind: 0, inputDiff: false } },
    });
  });

  test("diagnostics reach the engine's Log with the resource's URN (stderr under the SDK server)", async () => {
    const olds = { size: 2, __provider: foreign.provider };
    await ours.diff(foreign, "f-7", olds, olds);
    expect(logged).toContainEqual({ severity: 2, message: `size of f-7 drifted (${foreign.urn})`, urn: foreign.urn });
    await sdk.diff(foreign, "f-8", olds, olds);
    for (let waited = 0; !sdk.output.includes("size of f-8") && waited < 5000; waited += 20)
      await new Promise((r) => setTimeout(r, 20));
    expect(sdk.output).toContain("size of f-8 drifted (no urn)");
    expect(logged.some((l) => l.message.includes("f-8"))).toBe(false);
  });

  test("a failed call is answered with its error once; only the SDK server also prints it and its stack", async () => {
    const before = { ours: ours.output.length, sdk: sdk.output.length };
    const [viaOurs, viaSdk] = await Promise.all([
      grpcError(ours.check(foreign, { size: 5, explode: true })),
      grpcError(sdk.check(foreign, { size: 5, explode: true })),
    ]);
    expect(viaOurs.details).toContain("cannot check size 5");
    expect(viaSdk.details).toContain("cannot check size 5");
    for (let waited = 0; !sdk.output.slice(before.sdk).includes("    at ") && waited < 5000; waited += 20)
      await new Promise((r) => setTimeout(r, 20));
    expect(sdk.output.slice(before.sdk)).toContain("    at ");
    expect(ours.output.slice(before.ours)).toBe("");
  });

  test("with no engine to take them, diagnostics become stderr lines", async () => {
    const orphan = new ProviderProcess("our server without engine", OUR_SERVER, "127.0.0.1:1");
    await orphan.start();
    try {
      const olds = { size: 2, __provider: foreign.provider };
      await orphan.diff(foreign, "f-9", olds, olds);
      expect(orphan.output).toContain(`size of f-9 drifted (${foreign.urn})`);
    } finally {
      await orphan.stop();
    }
  });
});
