// A stack's ConnectWise connection, for commands that talk to the tenant outside `pulumi up`
// (discover, doctor). The values come from `pulumi config --show-secrets --json`, run through the
// project's CLI settings, so the passphrase provider's format stays Pulumi's and the passphrase
// comes from the environment as for every other pulumi run. The decrypted keys stay in memory:
// nothing here prints pulumi's stdout, and errors carry only pulumi's stderr.
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { checkClientId, Connection, resolveConnection } from "../../connectwise/connection";
import { connectionSecrets } from "../../connectwise/scrub";
import { projectDir, pulumiBinDir, pulumiEnv, runPulumi } from "../../pulumi-runtime/pulumiCli";
import { passphraseProblem, pulumiErrorLines } from "./pulumiErrors";

/** A refusal: the command stops with this message and exit code 2, nothing was sent. */
export class Refusal extends Error {}

export interface StackConnection {
  connection: Connection;
  /** The project folder (holds Pulumi.yaml). */
  project: string;
  /** The project's name: its own config keys are `<name>:...`. */
  projectName: string;
  /** Pulumi.<stack>.yaml. */
  stackFile: string;
  /** The kinds `<project>:integrations` declares (none when unset or unreadable: the program reports that). */
  declaredKinds: string[];
  /** The entries of `<project>:integrations`, as far as they can be read (kind, and the member's identifier). */
  declared: DeclaredIntegration[];
}

/** One `<project>:integrations` entry: what it names, each field only when the config holds it as text. */
export interface DeclaredIntegration {
  kind: string;
  /** The component's name in the stack (defaults to the kind). */
  name: string;
  roleName?: string;
  /** member.identifier: the API member that belongs to this integration. */
  identifier?: string;
  adopt?: boolean;
  /** The tier and options the stack selects (program/resolve.ts). */
  tier?: string;
  options?: string[];
}

/** The integrations list, from `pulumi config --json` (objectValue, else the JSON text); entries without a kind left out. */
export function declaredOf(entry: { value?: unknown; objectValue?: unknown } | undefined): DeclaredIntegration[] {
  let list = entry?.objectValue;
  if (list === undefined && typeof entry?.value === "string") {
    try {
      list = JSON.parse(entry.value);
    } catch {
      return [];
    }
  }
  if (!Array.isArray(list)) return [];
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  return list.flatMap((item: unknown): DeclaredIntegration[] => {
    if (typeof item !== "object" || item === null) return [];
    const { kind, name, roleName, member, adopt, tier, options } = item as Record<string, unknown>;
    if (typeof kind !== "string") return [];
    return [
      {
        kind,
        name: text(name) ?? kind,
        roleName: text(roleName),
        identifier: text((member as { identifier?: unknown } | undefined)?.identifier),
        adopt: typeof adopt === "boolean" ? adopt : undefined,
        tier: text(tier),
        options: Array.isArray(options) ? options.filter((o): o is string => typeof o === "string") : undefined,
      },
    ];
  });
}

/** `--stack <name>`, as a stack file name allows it. */
export function checkStackName(stack: string | undefined, usage: string): string {
  if (!stack) throw new Refusal(`give the stack: --stack <name>\n${usage}`);
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(stack)) {
    throw new Refusal(`"${stack}" is not a stack name: use letters, digits, "-", "_" and "." (e.g. acme)`);
  }
  return stack;
}

/**
 * Reads the stack's `connectwise:*` config, secrets decrypted; a setting the stack lacks falls
 * back to its CONNECTWISE_* variable, as the provider does (resolveConnection).
 */
export async function readStackConnection(
  stack: string,
  io: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<StackConnection> {
  const project = projectDir(io.cwd);
  const projectName = String(
    (YAML.parse(fs.readFileSync(path.join(project, "Pulumi.yaml"), "utf8")) as { name: string }).name,
  );
  const stackFile = path.join(project, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(stackFile)) {
    throw new Refusal(`no stack file ${stackFile}; start the stack with \`npm run new-client\``);
  }
  const bin = await pulumiBinDir(io.env);
  const env = pulumiEnv(bin, project, io.env);
  const result = await runPulumi(bin, ["config", "--show-secrets", "--json", "--stack", stack, "--non-interactive"], {
    env,
    cwd: project,
  });
  if (result.code !== 0) {
    // pulumi's stderr names the problem (passphrase missing or wrong, unknown stack) and holds no value.
    throw new Refusal(
      passphraseProblem(result.stderr, stack, env) ??
        `cannot read the config of stack "${stack}": ${pulumiErrorLines(result.stderr)}`,
    );
  }
  let config: Record<string, { value?: unknown; objectValue?: unknown }>;
  try {
    config = JSON.parse(result.stdout) as typeof config;
  } catch {
    throw new Error(`pulumi config --json for stack "${stack}" did not answer JSON`);
  }
  const get = (key: string) => {
    const value = config[key]?.value;
    return typeof value === "string" ? value : undefined;
  };
  try {
    // The CONNECTWISE_* fallbacks come from process.env: the commands run with it as their env.
    const declared = declaredOf(config[`${projectName}:integrations`]);
    const declaredKinds = declared.map((d) => d.kind);
    const connection = resolveConnection({ get });
    checkClientId(connection.clientId);
    return { connection, project, projectName, stackFile, declaredKinds, declared };
  } catch (error) {
    throw new Refusal(`stack "${stack}": ${(error as Error).message}`);
  }
}

/** The values of the connection that must never be printed: the key pair and its Basic token (connectwise/scrub.ts). */
export function secretsOf(connection: Connection): string[] {
  return connectionSecrets(connection);
}

/** A resource of the stack's state, as `pulumi stack export` writes it (secret values stay ciphertext). */
export interface StateResource {
  urn: string;
  type: string;
  parent?: string;
  outputs?: Record<string, unknown>;
}

/**
 * The stack's last state, from `pulumi stack export` (without --show-secrets: secret outputs stay
 * ciphertext and are never decrypted here). A stack never `up`-ed has no resources.
 */
export async function readStackState(
  stack: string,
  io: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<StateResource[]> {
  const project = projectDir(io.cwd);
  const bin = await pulumiBinDir(io.env);
  const env = pulumiEnv(bin, project, io.env);
  const result = await runPulumi(bin, ["stack", "export", "--stack", stack, "--non-interactive"], {
    env,
    cwd: project,
  });
  if (result.code !== 0) {
    throw new Refusal(
      passphraseProblem(result.stderr, stack, env) ??
        `cannot export the state of stack "${stack}": ${pulumiErrorLines(result.stderr)}`,
    );
  }
  let parsed: { deployment?: { resources?: StateResource[] } };
  try {
    parsed = JSON.parse(result.stdout) as typeof parsed;
  } catch {
    throw new Error(`pulumi stack export for stack "${stack}" did not answer JSON`);
  }
  return parsed.deployment?.resources ?? [];
}
