// The fleet's in-process provider servers (pulumi-runtime/inProcessProvider.ts): two stacks of two
// tenants served at the same time in one process, each over gRPC as the engine drives it, on two
// sandboxes with their own credentials. Each server's calls run in the stack's own operation
// scope: its connection (only its tenant is called), its review records file, its outputs.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { InProcessProvider, startInProcessProvider } from "../pulumi-runtime/inProcessProvider";
import { runtimeProviderText } from "../pulumi-runtime/runtimeProvider";
import { readRecords } from "../review/recordsFile";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox, startSandbox } from "../sandbox/server";

/* eslint-disable @typescript-eslint/no-require-imports */
const providerRpc = require("@pulumi/pulumi/proto/provider_grpc_pb.js");
const providerPb = require("@pulumi/pulumi/proto/provider_pb.js");
const pluginPb = require("@pulumi/pulumi/proto/plugin_pb.js");
const engineRpc = require("@pulumi/pulumi/proto/engine_grpc_pb.js");
const emptyPb = require("google-protobuf/google/protobuf/empty_pb.js");
/* eslint-enable @typescript-eslint/no-require-imports */

const ROOT = path.resolve(__dirname, "..");
const ROLE_PROVIDER = runtimeProviderText("securityRole");

interface Stack {
  name: string;
  role: string;
  sandbox: RunningSandbox;
  server: InProcessProvider;
  client: any;
  records: string;
  /** The URNs of the diagnostics its engine received. */
  logged: string[];
  engine: grpc.Server;
}

/** A stand-in engine with only the Log service, recording the URN of each diagnostic. */
async function fakeEngine(logged: string[]): Promise<{ server: grpc.Server; address: string }> {
  const server = new grpc.Server();
  server.addService(engineRpc.EngineService, {
    log: (call: any, callback: any) => {
      logged.push(call.request.getUrn());
      callback(null, new emptyPb.Empty());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { server, address: `127.0.0.1:${port}` };
}

const struct = (value: object) => Struct.fromJavaScript(JSON.parse(JSON.stringify(value)));
const rpc = (client: any, method: string, request: unknown): Promise<any> =>
  new Promise((resolve, reject) =>
    client[method](request, (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))),
  );
const urnOf = (stack: string, name: string) =>
  `urn:pulumi:${stack}::connectwise-iac::pulumi-nodejs:dynamic/connectwise:SecurityRole::${name}`;

let temp: string;
const stacks: Stack[] = [];

beforeAll(async () => {
  temp = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-in-process-"));
  for (const [name, role] of [
    ["alpha", "Alpha Role"],
    ["beta", "Beta Role"],
  ]) {
    const sandbox = await startSandbox({ port: 0 });
    const records = path.join(temp, `${name}.jsonl`);
    const server = await startInProcessProvider(
      { CW_IAC_RECORDS: records, PULUMI_NODEJS_PROJECT: "connectwise-iac" },
      ROOT,
    );
    const port = Number(server.cliEnv.PULUMI_DEBUG_PROVIDERS.split(":").pop());
    const client = new providerRpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    // As the engine does after dialing a provider named in PULUMI_DEBUG_PROVIDERS: Attach, with its address.
    const logged: string[] = [];
    const engine = await fakeEngine(logged);
    const attach = new pluginPb.PluginAttach();
    attach.setAddress(engine.address);
    await rpc(client, "attach", attach);
    stacks.push({ name, role, sandbox, server, client, records, logged, engine: engine.server });
  }
});

afterAll(async () => {
  for (const s of stacks) {
    s.client.close();
    s.server.close();
    s.engine.forceShutdown();
    await s.sandbox.close();
  }
  fs.rmSync(temp, { recursive: true, force: true });
});

test("each stack's calls reach only its own tenant, and its records and outputs stay its own", async () => {
  expect(stacks[0].server.cliEnv.PULUMI_DEBUG_PROVIDERS).toMatch(/^pulumi-nodejs:\d+$/);
  await Promise.all(
    stacks.map(async (s) => {
      const configure = new providerPb.ConfigureRequest();
      configure.setArgs(
        struct({
          "connectwise:site": s.sandbox.url,
          "connectwise:companyId": s.sandbox.companyId,
          "connectwise:clientId": s.sandbox.clientId,
          "connectwise:publicKey": s.sandbox.publicKey,
          "connectwise:privateKey": s.sandbox.privateKey,
        }),
      );
      await rpc(s.client, "configure", configure);
    }),
  );
  // Both stacks at once: a check and a create of a role each, interleaved on one event loop.
  const created = await Promise.all(
    stacks.map(async (s) => {
      const check = new providerPb.CheckRequest();
      check.setUrn(urnOf(s.name, "role"));
      check.setOlds(struct({}));
      check.setNews(
        struct({
          name: s.role,
          permissions: { "Companies/Company Maintenance": { inquire: "All" } },
          __provider: ROLE_PROVIDER,
        }),
      );
      const inputs = (await rpc(s.client, "check", check)).getInputs();
      const create = new providerPb.CreateRequest();
      create.setUrn(urnOf(s.name, "role"));
      create.setProperties(inputs);
      return rpc(s.client, "create", create).then(
        (r) => r.getId() as string,
        (e: grpc.ServiceError) => e.details,
      );
    }),
  );
  expect(created.every((c) => typeof c === "string" && c.length > 0)).toBe(true);

  for (const [i, s] of stacks.entries()) {
    const other = stacks[1 - i];
    const operator = new SandboxConsole(s.sandbox.consoleUrl);
    // Its role is in its own tenant, never in the other one.
    await expect(operator.role(s.role)).resolves.toMatchObject({ name: s.role });
    await expect(operator.role(other.role)).rejects.toThrow();
    // Every request its tenant got names its own role or none, never the other stack's.
    const log = await operator.requests();
    expect(log.entries.length).toBeGreaterThan(0);
    expect(JSON.stringify(log.entries)).not.toContain(other.role);
    // Its records file holds its own resource's records only.
    const records = readRecords(s.records);
    expect(records.length).toBeGreaterThan(0);
    expect(JSON.stringify(records)).toContain(s.role);
    expect(JSON.stringify(records)).not.toContain(other.role);
    // Its diagnostics went to its own engine, about its own resource.
    expect(s.logged).toContain(urnOf(s.name, "role"));
    expect(s.logged.every((urn) => urn === urnOf(s.name, "role"))).toBe(true);
    // What it answered is what it saw, by URN, and only its stack's.
    expect([...s.server.outputs.keys()].every((urn) => urn.startsWith(`urn:pulumi:${s.name}::`))).toBe(true);
  }
});
