// A provider server in the calling process, for one stack's operation: the fleet runs every
// stack's program inline and serves its dynamic resources here, instead of the engine starting a
// provider process per stack (node, gRPC and the handlers loaded again each time). The stack's
// CLI attaches to it through PULUMI_DEBUG_PROVIDERS (the engine's own way to use a provider that
// is already running); the server then learns the engine's address from the Attach call.
//
// Each server is the stack's own: its calls run in their own operation scope
// (connectwise/operationScope.ts), so its connection, review records and shared reads are never
// another stack's, and it is closed when the stack's operation ends.
import { newOperationScope, runInOperation } from "../connectwise/operationScope";
import { shareReadsInThisOperation } from "../connectwise/sharedReads";
import { serve } from "./providerServer";

export interface InProcessProvider {
  /** What the stack's CLI needs in its environment to attach to this server. */
  readonly cliEnv: Record<string, string>;
  /** Each resource's last known outputs, by URN (from the calls this server answered). */
  readonly outputs: ReadonlyMap<string, Record<string, unknown>>;
  close(): void;
}

/**
 * Starts a server for one stack's operation. `env` is the environment its handlers see (the
 * records file, the project's name), `packageRoot` where its handler modules are.
 */
export async function startInProcessProvider(env: NodeJS.ProcessEnv, packageRoot: string): Promise<InProcessProvider> {
  const scope = newOperationScope(env);
  runInOperation(scope, () => shareReadsInThisOperation());
  const outputs = new Map<string, Record<string, unknown>>();
  const { port, server } = await serve("", {
    scope,
    packageRoot,
    onOutputs: (urn, props) => (props ? outputs.set(urn, props) : outputs.delete(urn)),
  });
  return {
    cliEnv: { PULUMI_DEBUG_PROVIDERS: `pulumi-nodejs:${port}` },
    outputs,
    close: () => server.forceShutdown(),
  };
}
