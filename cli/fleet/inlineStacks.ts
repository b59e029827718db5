// How the fleet runs a stack's program and provider. When the project's program is this
// package's tenant program (Pulumi.yaml's main is its dist/index.js, as in a checkout of the
// project), the fleet runs it inline, through the Automation API, and serves the stack's dynamic
// resources from a provider server in its own process (pulumi-runtime/inProcessProvider.ts):
// per stack only the CLI starts, not a language host, a node program and a node provider, each
// loading what it needs again. Every stack keeps its own CLI run (state, lock, secrets
// decryption), its own provider server and operation scope. Any other program (a project that
// uses the package as a library, with a program of its own) runs as `pulumi` runs it: its own
// processes. CW_IAC_FLEET_PROCESSES=1 makes the fleet do that for every project.
import * as fs from "fs";
import * as path from "path";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { parse as parseYaml } from "yaml";

/** This package's tenant program, as Pulumi.yaml's `main` names it in a checkout. */
const TENANT_PROGRAM = path.resolve(__dirname, "..", "..", "index.js");

const realpath = (file: string) => {
  try {
    return fs.realpathSync(file);
  } catch {
    return undefined;
  }
};

/** Whether the fleet runs this project's stacks inline: its main is this package's tenant program. */
export function runsInline(projectDir: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.CW_IAC_FLEET_PROCESSES === "1") return false;
  const settings = parseYaml(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { main?: unknown };
  if (typeof settings?.main !== "string") return false;
  const main = path.resolve(projectDir, settings.main);
  const file = fs.existsSync(main) && fs.statSync(main).isDirectory() ? path.join(main, "index.js") : main;
  const ours = realpath(TENANT_PROGRAM);
  return ours !== undefined && realpath(file) === ours;
}

/**
 * Every gRPC client the SDK makes in this process (each inline run's monitor and engine clients)
 * on subchannels of its own. grpc-js shares subchannels by address across a process: a stack's
 * CLI can listen on a port an earlier stack's CLI (gone since) used, and the new client then
 * inherits that address's failed connection ("14 UNAVAILABLE: No connection established": 4 of
 * 200 stacks in one `fleet up` before this). Set once, before the first run.
 */
export function ownSubchannelsPerClient(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK's channel options are not in its declarations
  const settings = require("@pulumi/pulumi/runtime/settings") as { grpcClientOptions?: Record<string, unknown> };
  if (settings.grpcClientOptions) settings.grpcClientOptions["grpc.use_local_subchannel_pool"] = 1;
}

export interface InlineProgram {
  program: PulumiFn;
  /**
   * The stack's secret config values, as the engine handed them to the program (only to scrub
   * reports); undefined when the program did not run (the run failed before it, on the stack's
   * config or passphrase).
   */
  readonly secrets: string[] | undefined;
}

/** The tenant program for one stack, noting the stack's secret config values as it starts. */
export function inlineTenantProgram(): InlineProgram {
  let secrets: string[] | undefined;
  return {
    get secrets() {
      return secrets;
    },
    program: async () => {
      // Loaded here, so that a fleet of any other project never loads the program's modules.
      const [{ tenantProgram }, pulumi, runtimeConfig] = await Promise.all([
        import("../../program/tenant"),
        import("@pulumi/pulumi"),
        // Not in the SDK's declarations, but what its Config uses to mark a value secret.
        import("@pulumi/pulumi/runtime/config") as Promise<{ isConfigSecret?: (key: string) => boolean }>,
      ]);
      const isSecret = runtimeConfig.isConfigSecret;
      if (typeof isSecret === "function")
        secrets = Object.entries(pulumi.runtime.allConfig())
          .filter(([key]) => isSecret(key))
          .map(([, value]) => value);
      return tenantProgram();
    },
  };
}
