// Handler-level figures: the handlers against the in-process sandbox with added latency, so wall
// time shows what the per-tenant concurrency limit buys.
import { performance } from "perf_hooks";
import { provider as roles } from "../../provider/securityRole";
import { SandboxConsole } from "../../sandbox/console";
import { startSandbox } from "../../sandbox/server";
import { shippedPreset } from "../../program/presets";

const lifecycleManager = shippedPreset("lifecycle-manager");

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await work();
  console.log(`${label.padEnd(48)} ${(performance.now() - start).toFixed(0).padStart(7)} ms`);
  return result;
}

/** Handler level: the handlers against the in-process sandbox with added latency. */
export async function benchHandlers(count: number, latencyMs: number): Promise<void> {
  const sandbox = await startSandbox({ port: 0 });
  const operator = new SandboxConsole(sandbox.consoleUrl);
  const config: Record<string, string> = {
    "connectwise:site": sandbox.url,
    "connectwise:companyId": sandbox.companyId,
    "connectwise:clientId": sandbox.clientId,
    "connectwise:publicKey": sandbox.publicKey,
    "connectwise:privateKey": sandbox.privateKey,
  };
  await roles.configure({ config: { get: (k) => config[k], require: (k) => config[k] } });
  await operator.setFaults({ latencyMs });
  console.log(`${count} roles, ${latencyMs} ms added latency per request, Node ${process.version}`);

  const names = Array.from({ length: count }, (_, i) => `Bench Role ${i}`);
  const inputs = await Promise.all(
    names.map(
      async (name) =>
        (await roles.check({}, { name, permissions: lifecycleManager.permissions })).inputs as Record<string, unknown>,
    ),
  );
  const ids = await timed(`create ${count} roles (each fails with its checklist)`, () =>
    Promise.all(
      inputs.map((i) =>
        roles.create(i).then(
          (r) => r.id,
          (e: { id: string }) => e.id,
        ),
      ),
    ),
  );
  for (const name of names) await operator.setPermissions(name, lifecycleManager.permissions);

  const outputs = await Promise.all(
    ids.map((id, i) => roles.update(id, inputs[i] as never, inputs[i]).then((r) => r.outs as Record<string, unknown>)),
  );
  await operator.resetRequests();
  await timed(`no-op diff of ${count} roles (what preview does)`, () =>
    Promise.all(ids.map((id, i) => roles.diff(id, outputs[i], inputs[i]))),
  );
  const log = await operator.requests();
  const total = Object.values(log.counts).reduce((a, b) => a + b, 0);
  console.log(
    `requests for that preview: ${total} (${(total / count).toFixed(1)} per role), writes: ${log.entries.filter((e) => e.method !== "GET").length}`,
  );
  await timed(`refresh (read) of ${count} roles`, () => Promise.all(ids.map((id, i) => roles.read(id, outputs[i]))));
  console.log(
    `memory: rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB, heap used ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`,
  );
  await sandbox.close();
}
