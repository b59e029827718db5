// `npm run new-client`: the stack file it scaffolds (connection, integrations, encrypted keys, TODO
// lines), that no key appears in plaintext in the file or in what it prints, and its refusals.
// Runs in-process against the real Pulumi CLI on a throw-away backend and project directory.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PassThrough } from "stream";
import YAML from "yaml";
import { newClient, NewClientIo, nextSteps } from "../cli/onboarding/new-client";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { pulumiBinDir, runPulumi } from "../pulumi-runtime/pulumiCli";

const PROJECT_ROOT = path.resolve(__dirname, "..");
const PUBLIC_KEY = "NcPubKey7f3a9e";
const PRIVATE_KEY = "NcPrivKey4b8c2d1e";
const PASSPHRASE = "new-client-test-passphrase";
const CLIENT_ID = "2d9e4f60-1b7a-4e8c-a3f5-6c0b9d8e7f21";

let tempDir: string;
let projectDir: string;
let baseEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  // The first run may build the CLI (minutes); later runs find it in the cache.
  await pulumiBinDir();
}, 20 * 60_000);

beforeEach(() => {
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-new-client-"));
  projectDir = path.join(tempDir, "project");
  fs.mkdirSync(projectDir);
  fs.copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(projectDir, "Pulumi.yaml"));
  fs.mkdirSync(path.join(tempDir, "backend"));
  fs.mkdirSync(path.join(tempDir, "home"));
  baseEnv = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${path.join(tempDir, "backend")}`,
    PULUMI_HOME: path.join(tempDir, "home"),
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    CONNECTWISE_PUBLIC_KEY: PUBLIC_KEY,
    CONNECTWISE_PRIVATE_KEY: PRIVATE_KEY,
  };
  delete baseEnv.PULUMI_CONFIG_PASSPHRASE_FILE;
});

afterEach(() => fs.rmSync(tempDir, { recursive: true, force: true }));

async function run(argv: string[], env: NodeJS.ProcessEnv = baseEnv) {
  let out = "";
  let err = "";
  const stdin = new PassThrough() as unknown as NewClientIo["stdin"]; // not a TTY: no prompts
  const code = await newClient(argv, {
    cwd: projectDir,
    env,
    stdin,
    out: (t) => (out += t),
    err: (t) => (err += t),
  });
  return { code, out, err };
}

const acme = [
  "acme",
  "--site",
  "api-na.myconnectwise.net",
  "--company",
  "acme",
  "--client-id",
  CLIENT_ID,
  "--integration",
  "elements",
  "--integration",
  "lifecycle-manager,rewst",
  // No tenant at that site: the read-only check of the site and the key is tested against the sandbox below.
  "--offline",
];
const stackFile = () => path.join(projectDir, "Pulumi.acme.yaml");

test("scaffolds Pulumi.<stack>.yaml: connection, encrypted keys, a member block per integration with TODO lines", async () => {
  const result = await run([...acme, "--email", "it@acme.example"]);
  expect(result.err).toBe("");
  expect(result.code).toBe(0);

  const text = fs.readFileSync(stackFile(), "utf8");
  const config = (YAML.parse(text) as { config: Record<string, any> }).config;
  expect(config["connectwise:site"]).toBe("api-na.myconnectwise.net");
  expect(config["connectwise:companyId"]).toBe("acme");
  expect(config["connectwise:clientId"]).toBe(CLIENT_ID);
  expect(config["connectwise:publicKey"]).toEqual({ secure: expect.stringMatching(/^v1:/) });
  expect(config["connectwise:privateKey"]).toEqual({ secure: expect.stringMatching(/^v1:/) });
  expect(config["connectwise-iac:integrations"]).toEqual([
    { kind: "elements", member: { identifier: "ElementsAPI", name: "Elements", email: "it@acme.example" } },
    {
      kind: "lifecycle-manager",
      member: { identifier: "LifecycleAPI", name: "Lifecycle Manager", email: "it@acme.example" },
    },
    { kind: "rewst", member: { identifier: "RewstAPI", name: "Rewst", email: "it@acme.example" } },
  ]);
  // What the flags did not give is a TODO line in each member block, and printed.
  for (const key of ["level", "businessUnit", "location", "defaultTerritory"]) {
    expect(text.match(new RegExp(`# TODO ${key}: `, "g"))).toHaveLength(3);
    expect(result.out).toContain(`elements: ${key}: `);
  }
  expect(text).not.toContain("TODO email");
  expect(result.out).toContain("npm run pulumi -- preview --stack acme");

  // No key in plaintext, in the file or in what was printed; the secrets decrypt to the keys.
  for (const key of [PUBLIC_KEY, PRIVATE_KEY]) {
    expect(text).not.toContain(key);
    expect(result.out + result.err).not.toContain(key);
  }
  const bin = await pulumiBinDir();
  const got = await runPulumi(bin, ["config", "get", "connectwise:privateKey", "--stack", "acme"], {
    env: { ...baseEnv, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` },
    cwd: projectDir,
  });
  expect(got.code).toBe(0);
  expect(got.stdout.trim() === PRIVATE_KEY).toBe(true); // not toBe(PRIVATE_KEY): a failure would print it
}, 120_000);

test("with every member flag the file is complete, and the keys can come from flags", async () => {
  const keyFile = path.join(tempDir, "private-key");
  fs.writeFileSync(keyFile, `${PRIVATE_KEY}\n`);
  const env = { ...baseEnv, CONNECTWISE_PUBLIC_KEY: undefined, CONNECTWISE_PRIVATE_KEY: undefined };
  const member = ["--email", "it@acme.example", "--level", "Corporate", "--business-unit", "Admin"];
  const where = [
    "--location",
    "Main",
    "--territory",
    "Main",
    "--public-key",
    PUBLIC_KEY,
    "--private-key-file",
    keyFile,
  ];
  const result = await run([...acme.slice(0, 9), ...member, ...where, "--offline"], env);
  expect(result.code).toBe(0);
  const text = fs.readFileSync(stackFile(), "utf8");
  expect(text).not.toContain("TODO");
  expect(text).not.toContain(PRIVATE_KEY);
  expect(YAML.parse(text).config["connectwise-iac:integrations"]).toEqual([
    {
      kind: "elements",
      member: {
        identifier: "ElementsAPI",
        name: "Elements",
        email: "it@acme.example",
        level: "Corporate",
        businessUnit: "Admin",
        location: "Main",
        defaultTerritory: "Main",
      },
    },
  ]);
}, 120_000);

test("refuses a stack that exists, in the project directory or on the backend", async () => {
  expect((await run(acme)).code).toBe(0);
  const again = await run(acme);
  expect(again.code).toBe(2);
  expect(again.err).toMatch(/stack "acme" already exists: .*Pulumi\.acme\.yaml/);

  fs.rmSync(stackFile()); // the file gone, the stack still on the backend
  const onBackend = await run(acme);
  expect(onBackend.code).toBe(2);
  expect(onBackend.err).toContain('stack "acme" already exists on file://');
  expect(fs.existsSync(stackFile())).toBe(false);
}, 120_000);

test("refuses an unknown integration kind with a did-you-mean, before creating anything", async () => {
  const result = await run([...acme.slice(0, 7), "--integration", "element"]);
  expect(result.code).toBe(2);
  expect(result.err).toContain('unknown integration kind "element" (did you mean "elements"?)');
  expect(result.err).toContain("known: elements, lifecycle-manager, rewst, smileback");
  expect(fs.existsSync(stackFile())).toBe(false);
});

test("refuses a missing or empty passphrase with a clear message", async () => {
  const none = await run(acme, { ...baseEnv, PULUMI_CONFIG_PASSPHRASE: undefined });
  expect(none.code).toBe(2);
  expect(none.err).toContain("no passphrase: set PULUMI_CONFIG_PASSPHRASE_FILE");
  const empty = await run(acme, { ...baseEnv, PULUMI_CONFIG_PASSPHRASE: "" });
  expect(empty.code).toBe(2);
  expect(empty.err).toContain("PULUMI_CONFIG_PASSPHRASE is empty");
  const missingFile = path.join(tempDir, "no-such-passphrase");
  const badFile = await run(acme, {
    ...baseEnv,
    PULUMI_CONFIG_PASSPHRASE: undefined,
    PULUMI_CONFIG_PASSPHRASE_FILE: missingFile,
  });
  expect(badFile.code).toBe(2);
  expect(badFile.err).toContain(`PULUMI_CONFIG_PASSPHRASE_FILE is ${missingFile}, which is missing or empty`);
  expect(fs.existsSync(stackFile())).toBe(false);
});

test("refuses to run without a key pair when it cannot ask (no terminal), and leaves no stack behind", async () => {
  const result = await run(acme, { ...baseEnv, CONNECTWISE_PRIVATE_KEY: undefined });
  expect(result.code).toBe(2);
  expect(result.err).toContain("no API key pair");
  expect(fs.existsSync(stackFile())).toBe(false);
  expect((await run(acme)).code).toBe(0); // nothing was left on the backend either
}, 120_000);

test("refuses bad arguments with the usage", async () => {
  const missing = await run(["acme", "--site", "x"]);
  expect(missing.code).toBe(2);
  expect(missing.err).toContain("missing --company, --client-id");
  const badName = await run(["acme corp", ...acme.slice(1)]);
  expect(badName.code).toBe(2);
  expect(badName.err).toContain("is not a stack name");
  const unknownFlag = await run([...acme, "--private-key", PRIVATE_KEY]);
  expect(unknownFlag.code).toBe(2);
  expect(unknownFlag.err).not.toContain(PRIVATE_KEY);
});

describe("the read-only check of the site and the key (the doctor's first checks)", () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
  });
  afterAll(async () => {
    await sandbox?.close();
  });
  const against = (site: string, extra: string[] = []) => [
    "acme",
    "--site",
    site,
    "--company",
    sandbox.companyId,
    "--client-id",
    sandbox.clientId,
    "--integration",
    "elements",
    ...extra,
  ];
  const keys = () => ({
    ...baseEnv,
    CONNECTWISE_PUBLIC_KEY: sandbox.publicKey,
    CONNECTWISE_PRIVATE_KEY: sandbox.privateKey,
  });

  test("a site that answers for the company and a key pair it accepts: the stack is made, Next: as in the README", async () => {
    const result = await run(against(sandbox.url), keys());
    expect(result.code).toBe(0);
    expect(result.err).toContain(`Checked ${sandbox.companyId} at ${sandbox.url}: `);
    expect(result.err).toContain("key pair and clientId accepted");
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
    const next = nextSteps("acme");
    expect(result.out).toContain(`Next:\n${next.map((l) => `  ${l}\n`).join("")}`);
    for (const line of next) expect(readme).toContain(`\n${line}\n`);
    expect(result.out + result.err).not.toContain(sandbox.privateKey);
  }, 120_000);

  test("an unresolvable site and a wrong key are refused, naming the flag, before anything is made", async () => {
    const site = await run(against("nosuch.invalid"), keys());
    expect(site.code).toBe(2);
    expect(site.err).toMatch(
      /^new-client: codebase discovery failed, nothing was created \(--offline skips this check\): /,
    );
    expect(site.err).toContain('check --site: "nosuch.invalid" cannot be reached');
    const wrongKey = await run(against(sandbox.url), { ...keys(), CONNECTWISE_PRIVATE_KEY: "not-the-private-key" });
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.err).toContain("authentication and clientId failed, nothing was created");
    expect(wrongKey.err).toContain("check the key pair (--public-key and --private-key-file");
    for (const r of [site, wrongKey]) {
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).not.toMatch(/^\s+at /m);
      expect(r.err).not.toContain(sandbox.privateKey);
    }
    expect(fs.existsSync(stackFile())).toBe(false);
    // --offline skips the check: the stack is made for a site nobody can reach from here.
    expect((await run(against("nosuch.invalid", ["--offline"]), keys())).code).toBe(0);
  }, 120_000);

  test("a clientId that is not a GUID and an unknown secrets provider are refused", async () => {
    const clientId = await run([...against(sandbox.url).slice(0, 5), "--client-id", "my-client"], keys());
    expect(clientId.code).toBe(2);
    expect(clientId.err).toContain("--client-id is not a clientId: ConnectWise issues them as GUIDs");
    const provider = await run(against(sandbox.url, ["--secrets-provider", "vault://x"]), keys());
    expect(provider.code).toBe(2);
    expect(provider.err).toContain("--secrets-provider must be passphrase or a key URL (awskms://...");
    expect(fs.existsSync(stackFile())).toBe(false);
  });
});
