// `npm run new-client -- <stack> --site ... --company ... --client-id ... [--integration kind ...]`:
// a new client stack, ready for `npm run pulumi -- preview`. It creates the stack through the same
// CLI and settings as `npm run pulumi`, stores the API key pair as encrypted secrets, and writes the
// integrations into Pulumi.<stack>.yaml with one member block each; member settings not given on
// the command line become TODO lines there (the program refuses the stack until they are filled).
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import YAML, { YAMLMap, YAMLSeq } from "yaml";
import { didYouMean, suggestion } from "../../catalog/text";
import { IntegrationDefinition } from "../../program/integration";
import { knownIntegrations } from "../../program/userIntegrations";
import { projectDir, pulumiBinDir, pulumiEnv, runPulumi } from "../../pulumi-runtime/pulumiCli";
import { CommandIo, runAsMain } from "../shared/command";
import { checkClientId, Connection, siteOrigin } from "../../connectwise/connection";
import { authenticationCheck, connectionCheck } from "./doctor";

const USAGE = `usage: npm run new-client -- <stack> --site <host or URL> --company <company id> --client-id <client id>
         [--integration <kind>]... [--email E] [--level L] [--business-unit B] [--location L] [--territory T]
         [--public-key K] [--private-key-file F] [--secrets-provider P] [--offline]
The API key pair comes from --public-key / --private-key-file, else CONNECTWISE_PUBLIC_KEY /
CONNECTWISE_PRIVATE_KEY, else a prompt (no echo). Before creating anything it checks, with GET
requests only (the doctor's first checks), that the site answers for the company and accepts the
key pair and clientId; --offline skips that. The keys are encrypted in Pulumi.<stack>.yaml with the
passphrase (PULUMI_CONFIG_PASSPHRASE_FILE or PULUMI_CONFIG_PASSPHRASE must be set), or with
--secrets-provider awskms://...|azurekeyvault://...|gcpkms://...|hashivault://... (no passphrase).`;

/** A refusal: printed as is, nothing was created. */
class Refusal extends Error {}

/** Every integration kind the program accepts (program/tenant.ts): the built-ins, then the presets. */
/** The kinds a stack can name: the shipped presets and the project's own `integrations/` files. */
export function integrationKinds(project: string): IntegrationDefinition[] {
  return [...knownIntegrations(path.join(project, "integrations")).values()].map((known) => known.definition);
}

/** The vendor's name without a parenthetical: "Rewst (ConnectWise PSA integration)" -> "Rewst". */
function vendorName(definition: IntegrationDefinition): string {
  return definition.integration.replace(/\s*\(.*?\)\s*/g, " ").trim();
}

/** A member identifier per kind: the vendor's first word + "API" (ElementsAPI, RewstAPI), at most 15 characters. */
export function defaultIdentifier(definition: IntegrationDefinition): string {
  const first = vendorName(definition).split(/[^A-Za-z0-9]+/)[0] || definition.id.replace(/[^A-Za-z0-9]/g, "");
  return `${first.slice(0, 12)}API`;
}

/** The member settings new-client can take from flags, and the TODO text for each one it cannot. */
const MEMBER_FLAGS = [
  { key: "email", flag: "email", todo: "the member's email address, e.g. it@client.example" },
  { key: "level", flag: "level", todo: "corporate structure level, e.g. Corporate" },
  { key: "businessUnit", flag: "business-unit", todo: "business unit (department), e.g. Admin" },
  { key: "location", flag: "location", todo: "location, e.g. Main" },
  { key: "defaultTerritory", flag: "territory", todo: "default territory (a location), e.g. Main" },
] as const;

export type NewClientIo = CommandIo;

/** Reads a line from a terminal without echoing it. */
function promptHidden(question: string, io: NewClientIo): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = io.stdin;
    io.err(question);
    stdin.setRawMode?.(true);
    stdin.resume();
    let value = "";
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === "\r" || ch === "\n") return done(undefined);
        if (ch === "\u0003") return done(new Refusal("cancelled"));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    const done = (error: Error | undefined) => {
      stdin.removeListener("data", onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.err("\n");
      if (error) reject(error);
      else resolve(value.trim());
    };
    stdin.on("data", onData);
  });
}

async function keyPair(
  values: { "public-key"?: string; "private-key-file"?: string },
  io: NewClientIo,
): Promise<{ publicKey: string; privateKey: string }> {
  let publicKey = values["public-key"] ?? io.env.CONNECTWISE_PUBLIC_KEY;
  let privateKey: string | undefined;
  if (values["private-key-file"]) {
    const file = path.resolve(io.cwd, values["private-key-file"]);
    if (!fs.existsSync(file)) throw new Refusal(`--private-key-file ${file} does not exist`);
    privateKey = fs.readFileSync(file, "utf8").trim();
  } else privateKey = io.env.CONNECTWISE_PRIVATE_KEY;
  if ((!publicKey || !privateKey) && !io.stdin.isTTY) {
    throw new Refusal(
      "no API key pair: pass --public-key and --private-key-file, or set CONNECTWISE_PUBLIC_KEY and " +
        "CONNECTWISE_PRIVATE_KEY, or run it in a terminal to be asked",
    );
  }
  publicKey ||= await promptHidden("ConnectWise API public key (not shown): ", io);
  privateKey ||= await promptHidden("ConnectWise API private key (not shown): ", io);
  if (!publicKey || !privateKey) throw new Refusal("the API key pair cannot be empty");
  return { publicKey, privateKey };
}

function checkPassphrase(env: NodeJS.ProcessEnv): void {
  const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
  if (file) {
    if (!fs.existsSync(file) || fs.readFileSync(file, "utf8").trim() === "") {
      throw new Refusal(`PULUMI_CONFIG_PASSPHRASE_FILE is ${file}, which is missing or empty`);
    }
    return;
  }
  if (env.PULUMI_CONFIG_PASSPHRASE === undefined) {
    throw new Refusal(
      "no passphrase: set PULUMI_CONFIG_PASSPHRASE_FILE (a file outside the repository) or " +
        "PULUMI_CONFIG_PASSPHRASE; it encrypts this client's API keys in Pulumi.<stack>.yaml (README: " +
        '"Secrets and what to commit")',
    );
  }
  if (env.PULUMI_CONFIG_PASSPHRASE === "") {
    throw new Refusal("PULUMI_CONFIG_PASSPHRASE is empty: anyone with the repository could decrypt the API keys");
  }
}

/** The commands to run after new-client, as the README's "One stack per client" block has them. */
export function nextSteps(stack: string): string[] {
  return [`npm run pulumi -- preview --stack ${stack}`, `npm run pulumi -- up --yes --stack ${stack}`];
}

/** The cloud KMS providers Pulumi takes as --secrets-provider (besides its passphrase). */
const KMS_SCHEMES = ["awskms://", "azurekeyvault://", "gcpkms://", "hashivault://"];

/** --secrets-provider: "passphrase" (the default) or a cloud KMS URL, as `pulumi stack init` takes it. */
function checkSecretsProvider(value: string | undefined): string {
  if (value === undefined || value === "passphrase") return "passphrase";
  if (KMS_SCHEMES.some((scheme) => value.startsWith(scheme) && value.length > scheme.length)) return value;
  throw new Refusal(
    `--secrets-provider must be passphrase or a key URL (${KMS_SCHEMES.map((s) => `${s}...`).join(", ")})`,
  );
}

/**
 * The doctor's first two checks (GET only): the site names a codebase for the company, and the key
 * pair and clientId are accepted. A failure is a refusal naming the flag to fix.
 */
async function checkTenant(connection: Connection, io: NewClientIo): Promise<void> {
  const { client, checks } = await connectionCheck(connection);
  if (client) checks.push(await authenticationCheck(client));
  const failed = checks.find((c) => c.outcome === "fail");
  if (failed) {
    const evidence = failed.evidence
      .replace(/connectwise:site \(or CONNECTWISE_SITE\)/g, "--site")
      .replace(/connectwise:companyId \(or CONNECTWISE_COMPANY_ID\)/g, "--company")
      .replace(/connectwise:clientId \(or CONNECTWISE_CLIENT_ID\)/g, "--client-id")
      .replace(
        /connectwise:publicKey and connectwise:privateKey \(or CONNECTWISE_PUBLIC_KEY, CONNECTWISE_PRIVATE_KEY\)/g,
        "the key pair (--public-key and --private-key-file, or CONNECTWISE_PUBLIC_KEY and CONNECTWISE_PRIVATE_KEY)",
      )
      .replace(/connectwise:companyId/g, "--company");
    throw new Refusal(`${failed.name} failed, nothing was created (--offline skips this check): ${evidence}`);
  }
  io.err(`Checked ${connection.companyId} at ${connection.site}: ${checks.map((c) => c.evidence).join("; ")}\n`);
}

function resolveKinds(project: string, requested: string[]): IntegrationDefinition[] {
  const known = integrationKinds(project);
  const ids = known.map((d) => d.id);
  const chosen: IntegrationDefinition[] = [];
  for (const kind of requested) {
    const definition = known.find((d) => d.id === kind);
    if (!definition) {
      throw new Refusal(
        `unknown integration kind "${kind}"${suggestion(didYouMean(kind, ids))}; known: ${ids.join(", ")}`,
      );
    }
    if (chosen.includes(definition)) throw new Refusal(`integration "${kind}" is listed twice`);
    chosen.push(definition);
  }
  return chosen;
}

/** Scaffolds the stack; resolves to the exit code (0 done, 1 pulumi failed, 2 refused). */
export async function newClient(argv: string[], io: NewClientIo): Promise<number> {
  let created: { bin: string; env: NodeJS.ProcessEnv; project: string; stack: string } | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        site: { type: "string" },
        company: { type: "string" },
        "client-id": { type: "string" },
        integration: { type: "string", multiple: true },
        "public-key": { type: "string" },
        "private-key-file": { type: "string" },
        email: { type: "string" },
        level: { type: "string" },
        "business-unit": { type: "string" },
        location: { type: "string" },
        territory: { type: "string" },
        "secrets-provider": { type: "string" },
        offline: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      io.out(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new Refusal(`give exactly one stack name\n${USAGE}`);
    const stack = positionals[0];
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(stack)) {
      throw new Refusal(`"${stack}" is not a stack name: use letters, digits, "-", "_" and "." (e.g. acme)`);
    }
    const missing = (["site", "company", "client-id"] as const).filter((k) => !values[k]);
    if (missing.length > 0) throw new Refusal(`missing ${missing.map((k) => `--${k}`).join(", ")}\n${USAGE}`);
    const project = projectDir(io.cwd);
    const kinds = resolveKinds(project, (values.integration ?? []).flatMap((v) => v.split(",")).filter(Boolean));
    const secretsProvider = checkSecretsProvider(values["secrets-provider"]);
    if (secretsProvider === "passphrase") checkPassphrase(io.env);
    try {
      checkClientId(values["client-id"]!);
    } catch {
      throw new Refusal(
        "--client-id is not a clientId: ConnectWise issues them as GUIDs (8-4-4-4-12 hex digits) at developer.connectwise.com",
      );
    }
    try {
      siteOrigin(values.site!);
    } catch (error) {
      throw new Refusal(`--site: ${(error as Error).message.replace(/^connectwise:site /, "")}`);
    }

    const projectName = String(
      (YAML.parse(fs.readFileSync(path.join(project, "Pulumi.yaml"), "utf8")) as { name: string }).name,
    );
    const stackFile = path.join(project, `Pulumi.${stack}.yaml`);
    if (fs.existsSync(stackFile)) throw new Refusal(`stack "${stack}" already exists: ${stackFile} is there`);

    const bin = await pulumiBinDir(io.env);
    const env = pulumiEnv(bin, project, io.env);
    const pulumi = (args: string[], input?: string) => runPulumi(bin, args, { env, cwd: project, input });
    const listed = await pulumi(["stack", "ls", "--json", "--non-interactive"]);
    if (listed.code !== 0) throw new Error(`pulumi stack ls failed:\n${listed.stderr.trim()}`);
    const existing = (JSON.parse(listed.stdout) as Array<{ name: string }>).map((s) => s.name.split("/").pop());
    if (existing.includes(stack)) {
      throw new Refusal(`stack "${stack}" already exists on ${env.PULUMI_BACKEND_URL} (pulumi stack ls)`);
    }
    const keys = await keyPair(values, io);
    if (!values.offline) {
      await checkTenant(
        { site: values.site!, companyId: values.company!, clientId: values["client-id"]!, ...keys },
        io,
      );
    }

    const init = await pulumi([
      "stack",
      "init",
      stack,
      "--non-interactive",
      ...(secretsProvider === "passphrase" ? [] : ["--secrets-provider", secretsProvider]),
    ]);
    if (init.code !== 0) throw new Error(`pulumi stack init ${stack} failed:\n${init.stderr.trim()}`);
    created = { bin, env, project, stack };
    const set = async (key: string, value: string, secret = false) => {
      // Values go in on stdin: a secret never appears on a command line.
      const r = await pulumi(
        ["config", "set", key, "--stack", stack, "--non-interactive", ...(secret ? ["--secret"] : [])],
        value,
      );
      if (r.code !== 0) throw new Error(`pulumi config set ${key} failed:\n${r.stderr.trim()}`);
    };
    await set("connectwise:site", values.site!);
    await set("connectwise:companyId", values.company!);
    await set("connectwise:clientId", values["client-id"]!);
    await set("connectwise:publicKey", keys.publicKey, true);
    await set("connectwise:privateKey", keys.privateKey, true);

    // The integrations, with comments, written into the file pulumi just wrote.
    const todos: string[] = [];
    const doc = YAML.parseDocument(fs.readFileSync(stackFile, "utf8"));
    const list = doc.createNode(
      kinds.map((definition) => {
        const member: Record<string, string> = {
          identifier: defaultIdentifier(definition),
          name: vendorName(definition),
        };
        for (const { key, flag } of MEMBER_FLAGS) if (values[flag]) member[key] = values[flag];
        return { kind: definition.id, member };
      }),
    ) as YAMLSeq<YAMLMap>;
    list.items.forEach((item, i) => {
      const lines = MEMBER_FLAGS.filter(({ flag }) => !values[flag]).map(({ key, todo }) => `${key}: ${todo}`);
      if (lines.length === 0) return;
      (item.get("member", true) as unknown as YAMLMap).comment = lines.map((l) => ` TODO ${l}`).join("\n");
      todos.push(...lines.map((l) => `${kinds[i].id}: ${l}`));
    });
    doc.setIn(["config", `${projectName}:integrations`], list);
    const text = doc.toString();
    if (text.includes(keys.privateKey) || text.includes(keys.publicKey)) {
      throw new Error(`a key would be written in plaintext to ${stackFile}; nothing was written`);
    }
    fs.writeFileSync(stackFile, text);
    created = undefined;

    const rel = path.relative(io.cwd, stackFile) || stackFile;
    io.out(`Created stack "${stack}" on ${env.PULUMI_BACKEND_URL} and selected it.\n`);
    io.out(
      `Wrote ${rel}: connection, API keys (encrypted), ${kinds.length} integration(s)${kinds.length ? `: ${kinds.map((k) => k.id).join(", ")}` : ""}.\n`,
    );
    if (kinds.length === 0)
      io.out(
        `Add integrations under ${projectName}:integrations in ${rel} (kinds: ${integrationKinds(project)
          .map((d) => d.id)
          .join(", ")}).\n`,
      );
    if (todos.length > 0) {
      io.out(`\nStill to fill in ${rel} (the TODO lines; the program refuses the stack until then):\n`);
      for (const todo of todos) io.out(`  - ${todo}\n`);
    }
    io.out(
      `\nNext:\n${nextSteps(stack)
        .map((line) => `  ${line}\n`)
        .join("")}`,
    );
    io.out(`Commit ${rel} (its keys are encrypted); keep the passphrase out of the repository.\n`);
    return 0;
  } catch (error) {
    const message = (error as Error).message;
    if (created) {
      // Leave nothing half made: the next run can start over.
      await runPulumi(created.bin, ["stack", "rm", created.stack, "--yes", "--force", "--non-interactive"], {
        env: created.env,
        cwd: created.project,
      });
      fs.rmSync(path.join(created.project, `Pulumi.${created.stack}.yaml`), { force: true });
    }
    io.err(`new-client: ${message}\n`);
    return error instanceof Refusal || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? 2 : 1;
  }
}

if (require.main === module) runAsMain("new-client", newClient);
