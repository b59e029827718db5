// `npm run keys -- --stack <name> [--show-secrets]`: what each integration's setup screen in the
// vendor's tool needs (site, company id, public key, and the private key only with --show-secrets),
// from the stack's `integrations` output, with each key's source and expiry from the state. Offline:
// no request reaches the tenant. Without --show-secrets nothing is decrypted (no passphrase needed).
import { parseArgs } from "util";
import { parseDuration } from "../../provider/duration";
import { projectDir, pulumiBinDir, pulumiEnv, runPulumi } from "../../pulumi-runtime/pulumiCli";
import { CommandIo, runAsMain } from "../shared/command";
import { passphraseProblem, pulumiErrorLines } from "../shared/pulumiErrors";
import { checkStackName, readStackState, Refusal } from "../shared/stackConnection";
import { keysOf, StateKey } from "../shared/stackInventory";

const USAGE = `usage: npm run keys -- --stack <name> [--show-secrets]
Prints, per integration of the stack, what its setup screen in the vendor's tool asks for: the site,
the company id, the API member's public key and its private key (shown only with --show-secrets,
which needs the passphrase: PULUMI_CONFIG_PASSPHRASE_FILE or PULUMI_CONFIG_PASSPHRASE), and when the
key expires and \`up\` replaces it. Enter a new key there after every \`up\` that minted or rotated one.
Reads the stack's outputs and state only; no request to the tenant.`;

/** One entry of the stack's `integrations` output (program/tenant.ts). */
interface IntegrationOutput {
  site?: string;
  companyId?: string;
  memberIdentifier?: string;
  publicKey?: string;
  privateKey?: string;
}

/** "token, expires 2027-01-05; up replaces it from 2026-12-29 (rotateBefore 7d)", or the console key's line. */
export function keyLine(key: StateKey | undefined): string {
  if (!key) return "not in the state yet: run up";
  if (key.source === "console") return "console key (made in Manage and adopted): no expiry, never rotated by up";
  if (!key.expiration) return "token, expiry unknown";
  const before = parseDuration(key.rotateBefore);
  const from = before === undefined ? "" : new Date(Date.parse(key.expiration) - before).toISOString().slice(0, 10);
  const expired = Date.parse(key.expiration) <= Date.now() ? " (EXPIRED: run up, then enter the new key)" : "";
  return (
    `token, expires ${key.expiration.slice(0, 10)}${expired}` +
    (from ? `; up replaces it from ${from} (rotateBefore ${key.rotateBefore}): enter the new key then` : "")
  );
}

export async function keys(argv: string[], io: CommandIo): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        stack: { type: "string", short: "s" },
        "show-secrets": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      io.out(`${USAGE}\n`);
      return 0;
    }
    const stack = checkStackName(values.stack, USAGE);
    const project = projectDir(io.cwd);
    const bin = await pulumiBinDir(io.env);
    const env = pulumiEnv(bin, project, io.env);
    const showSecrets = values["show-secrets"] === true;
    const output = await runPulumi(
      bin,
      [
        "stack",
        "output",
        "integrations",
        "--json",
        "--stack",
        stack,
        "--non-interactive",
        ...(showSecrets ? ["--show-secrets"] : []),
      ],
      { env, cwd: project },
    );
    if (output.code !== 0) {
      const text = output.stderr;
      throw new Refusal(
        passphraseProblem(text, stack, env) ??
          (/current stack does not have output property|no output named/i.test(text)
            ? `stack "${stack}" has no integrations output yet: run \`npm run pulumi -- up --yes --stack ${stack}\` first`
            : `cannot read the outputs of stack "${stack}": ${pulumiErrorLines(text)}`),
      );
    }
    const integrations = JSON.parse(output.stdout) as Record<string, IntegrationOutput>;
    const stateKeys = keysOf(await readStackState(stack, { cwd: project, env: io.env }));
    io.out(
      `Stack ${stack}: what each integration's setup screen in the vendor's tool asks for.\n` +
        "Enter the key there after every up that mints or rotates it, before the old key expires.\n",
    );
    for (const [name, entry] of Object.entries(integrations)) {
      const key = stateKeys.find((k) => k.member === entry.memberIdentifier);
      io.out(`\n${name} (API member ${entry.memberIdentifier ?? "?"})\n`);
      io.out(`  site:         ${(entry.site ?? "").replace(/^https:\/\//, "")}\n`);
      io.out(`  company id:   ${entry.companyId ?? ""}\n`);
      io.out(`  public key:   ${entry.publicKey ?? "(none yet: run up)"}\n`);
      io.out(
        `  private key:  ${showSecrets ? (entry.privateKey ?? "(none yet: run up)") : "[secret]: add --show-secrets to print it"}\n`,
      );
      io.out(`  key:          ${keyLine(key)}\n`);
    }
    return 0;
  } catch (error) {
    io.err(`keys: ${(error as Error).message}\n`);
    return error instanceof Refusal || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? 2 : 1;
  }
}

if (require.main === module) runAsMain("keys", keys);
