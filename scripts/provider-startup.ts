// Start-up of the dynamic-provider server, the SDK's against ours (dist/pulumi-runtime/providerServer.js): time
// from spawn to the port line, and to the first Check answered (Configure, then Check of a
// SecurityRole, which loads the handler module but makes no request). Figures only; run after a
// build: `node dist/scripts/provider-startup.js [runs]`.

import { spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as providerRpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as providerPb from "@pulumi/pulumi/proto/provider_pb";
import { SecurityRole } from "../resources/securityRole";

const ROOT = path.resolve(__dirname, "..", "..");
const SERVERS = {
  sdk: path.join(ROOT, "node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js"),
  ours: path.join(ROOT, "dist/pulumi-runtime/providerServer.js"),
};

/** The __provider text a SecurityRole serializes, caught by a mock monitor. */
async function securityRoleProvider(): Promise<string> {
  let text = "";
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const inputs = args.inputs as Record<string, unknown>;
        text = String(inputs.__provider);
        return { id: "id", state: inputs };
      },
      call: () => ({}),
    },
    "connectwise-iac",
    "startup",
    false,
  );
  const role = new SecurityRole("r", { name: "Startup", permissions: {} });
  await new Promise((resolve) => role.urn.apply(resolve));
  return text;
}

function unary<Req, Res>(
  method: (req: Req, callback: (error: grpc.ServiceError | null, res: Res) => void) => unknown,
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => method(request, (error, res) => (error ? reject(error) : resolve(res))));
}

async function once(script: string, provider: string): Promise<{ port: number; check: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [script, "127.0.0.1:1"], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = /^(\d+)\s*\n/.exec(out);
      if (line) resolve(Number(line[1]));
    });
    child.on("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  const portMs = performance.now() - started;
  const client = new providerRpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const configure = new providerPb.ConfigureRequest();
  configure.setArgs(Struct.fromJavaScript({ "connectwise:site": "http://127.0.0.1:1" }));
  await unary(client.configure.bind(client), configure);
  const check = new providerPb.CheckRequest();
  check.setUrn("urn:pulumi:startup::connectwise-iac::pulumi-nodejs:dynamic/connectwise:SecurityRole::r");
  check.setOlds(Struct.fromJavaScript({}));
  check.setNews(Struct.fromJavaScript({ name: "Startup", permissions: {}, __provider: provider }));
  await unary(client.check.bind(client), check);
  const checkMs = performance.now() - started;
  client.close();
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill();
  await exited;
  return { port: portMs, check: checkMs };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 5);
  const provider = await securityRoleProvider();
  const results: Record<string, { port: number[]; check: number[] }> = {};
  // Interleaved, so that load on the machine affects both alike.
  for (let i = 0; i < runs; i++) {
    for (const [name, script] of Object.entries(SERVERS)) {
      const r = await once(script, provider);
      (results[name] ??= { port: [], check: [] }).port.push(r.port);
      results[name].check.push(r.check);
    }
  }
  console.log(`dynamic-provider start-up, median of ${runs} runs (ms from spawn):`);
  for (const [name, r] of Object.entries(results))
    console.log(
      `  ${name.padEnd(4)}  port line ${median(r.port).toFixed(0).padStart(5)}   first Check answered ${median(r.check).toFixed(0).padStart(5)}`,
    );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
