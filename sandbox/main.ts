// CLI: starts the sandbox and prints one JSON line {url, companyId, publicKey, privateKey,
// clientId, consoleUrl} on stdout (nothing else goes there); runs until SIGINT/SIGTERM.
// `operator --stack <name>` instead plays the operator from a stack's state (sandbox/operator.ts).
//   --port N --host H [--allow-remote] --state FILE --latency MS --rate429 X --rate503 X --rate-drop X
//   --retry-after S --token-lifetime S

import { Faults, SandboxOptions, isLoopbackHostOption, startSandbox } from "./server";

const NUMBER_FLAGS: Record<string, (o: SandboxOptions, f: Partial<Faults>, v: number) => void> = {
  "--port": (o, _f, v) => (o.port = v),
  "--latency": (_o, f, v) => (f.latencyMs = v),
  "--rate429": (_o, f, v) => (f.rate429 = v),
  "--rate503": (_o, f, v) => (f.rate503 = v),
  "--rate-drop": (_o, f, v) => (f.rateDrop = v),
  "--retry-after": (_o, f, v) => (f.retryAfterSeconds = v),
  "--token-lifetime": (o, _f, v) => (o.tokenLifetimeSeconds = v),
};

const USAGE = `Usage: npm run sandbox -- [options]

Starts a local ConnectWise Manage (the published API subset this project uses, plus a console
plane that plays the operator) and prints one JSON line on stdout: url, companyId, publicKey,
privateKey, clientId, consoleUrl. Use them as the stack's connectwise:* config. Runs until Ctrl-C.

Options:
  --port N             port to listen on (default: a free one)
  --host H             address to listen on (default 127.0.0.1)
  --allow-remote       allow a non-loopback --host
  --state FILE         keep the tenant in FILE across restarts
  --latency MS         delay every answer
  --rate429 X          answer this share of requests with 429 (0..1)
  --rate503 X          answer this share of requests with 503 (0..1)
  --rate-drop X        drop this share of connections (0..1)
  --retry-after S      the Retry-After of those 429s and 503s
  --token-lifetime S   lifetime of minted API keys
  --help               this text

Commands:
  operator --stack S   play the operator on this sandbox: do every console step the stack's
                       state lists as pending (\`npm run sandbox -- operator --help\`)

More: sandbox/README.md.
`;

function parseArgs(argv: string[]): SandboxOptions {
  const options: SandboxOptions = {};
  const faults: Partial<Faults> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "--allow-remote") {
      options.allowRemote = true;
      i--; // takes no value
      continue;
    }
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === "--host") options.host = value;
    else if (flag === "--state") options.statePath = value;
    else if (NUMBER_FLAGS[flag]) {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new Error(`${flag} needs a number, got '${value}'`);
      NUMBER_FLAGS[flag](options, faults, n);
    } else
      throw new Error(
        `unknown option ${flag} (known: --host, --allow-remote, --state, ${Object.keys(NUMBER_FLAGS).join(", ")})`,
      );
  }
  options.faults = faults;
  return options;
}

async function main(): Promise<void> {
  if (process.argv[2] === "operator") {
    // Loaded only for the command: starting the sandbox needs none of it.
    const { operatorCommand } = await import("./operator");
    process.exitCode = await operatorCommand(
      process.argv.slice(3),
      (text) => process.stdout.write(text),
      (text) => process.stderr.write(text),
    );
    return;
  }
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    process.stdout.write(USAGE);
    return;
  }
  const options = parseArgs(process.argv.slice(2));
  const host = options.host ?? "127.0.0.1";
  if (!isLoopbackHostOption(host)) {
    if (!options.allowRemote)
      throw new Error(`--host ${host} is not a loopback address; add --allow-remote to listen there anyway`);
    process.stderr.write(
      `sandbox: warning: listening on ${host}: other machines can reach the API, and the admin key printed on stdout ` +
        "works for them (the console still answers only loopback)\n",
    );
  }
  const sandbox = await startSandbox(options);
  const { url, companyId, publicKey, privateKey, clientId, consoleUrl } = sandbox;
  process.stdout.write(`${JSON.stringify({ url, companyId, publicKey, privateKey, clientId, consoleUrl })}\n`);
  const stop = () => {
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`sandbox: ${(e as Error).message}\n`);
  process.exit(2);
});
