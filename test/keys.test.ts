// `npm run keys` and `npm run fleet -- ls` in a copy of the project: two client stacks, one `up`-ed
// against the sandbox (its keys minted), one never `up`-ed. `fleet ls` reads the stack files and
// the state only: it runs with the sandbox gone and without a passphrase. `keys` prints what each
// integration's setup screen needs, the private key only with --show-secrets.
import * as fs from "fs";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { pulumiBinDir } from "../pulumi-runtime/pulumiCli";
import { copyProject, ProjectCopy } from "./e2e/projectCopy";

const PASSPHRASE = "keys test passphrase";
let copy: ProjectCopy;
let sandbox: RunningSandbox;
let publicKey: string;

const member = ["--email", "it@acme.example", "--level", "Corporate", "--business-unit", "Admin"];
const place = ["--location", "Main", "--territory", "Main"];

beforeAll(async () => {
  await pulumiBinDir();
  copy = copyProject("cw-iac-keys-", PASSPHRASE);
  // Tokens that live 10 days: within the fleet's 14-day warning, outside rotateBefore (7 days).
  sandbox = await startSandbox({ port: 0, tokenLifetimeSeconds: 10 * 86_400 });
  const keys = { CONNECTWISE_PUBLIC_KEY: sandbox.publicKey, CONNECTWISE_PRIVATE_KEY: sandbox.privateKey };
  const tenant = ["--site", sandbox.url, "--company", sandbox.companyId, "--client-id", sandbox.clientId];
  for (const [stack, kinds] of [
    ["acme", ["--integration", "elements", "--integration", "lifecycle-manager"]],
    ["initech", ["--integration", "rewst"]],
  ] as const) {
    const made = await copy.command(
      "onboarding/new-client.js",
      [stack, ...tenant, ...kinds, ...member, ...place],
      keys,
    );
    expect(made.code).toBe(0);
  }
  // The first up mints the keys, then stops at the operator's checklist.
  const up = await copy.command("pulumi.js", ["up", "--yes", "--stack", "acme"]);
  expect(up.out).toContain("System > Security Roles > ElementsAPI");
  // The checklist ends with where each minted key goes.
  expect(up.out).toMatch(
    /Keys for the vendors' tools:\n\s+- Enter the new API key of member ElementsAPI \(expires \d{4}-\d\d-\d\d\) in the Elements setup screen so the integration can connect: npm run keys -- --stack acme --show-secrets\n/,
  );
  const output = await copy.command("pulumi.js", ["stack", "output", "integrations", "--json", "--stack", "acme"]);
  publicKey = (JSON.parse(output.out) as Record<string, { publicKey: string }>).elements.publicKey;
  expect(publicKey).toMatch(/^\w+$/);
}, 20 * 60_000);

let sandboxClosed = false;

afterAll(async () => {
  if (!sandboxClosed) await sandbox?.close();
  copy?.remove();
});

test("keys: site, company id and public key per integration; the private key only with --show-secrets", async () => {
  const ran = await copy.command("onboarding/keys.js", ["--stack", "acme"], { PULUMI_CONFIG_PASSPHRASE: undefined });
  expect(ran.code).toBe(0);
  const elements = ran.out.slice(ran.out.indexOf("elements (API member ElementsAPI)"));
  expect(elements).toContain(`  site:         ${sandbox.url}\n`);
  expect(elements).toContain(`  company id:   ${sandbox.companyId}\n`);
  expect(elements).toContain(`  public key:   ${publicKey}\n`);
  expect(elements).toContain("  private key:  [secret]: add --show-secrets to print it\n");
  // rotateBefore defaults to 7 days.
  const expires = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
  expect(elements).toMatch(
    new RegExp(
      `  key:          token, expires \\d{4}-\\d\\d-\\d\\d; up replaces it from \\d{4}-\\d\\d-\\d\\d \\(rotateBefore 7d\\): enter the new key then\n`,
    ),
  );
  expect(elements).toContain(`expires ${expires}`);
  expect(ran.out).toContain("lifecycle-manager (API member LifecycleAPI)");
  expect(ran.out).not.toContain(sandbox.privateKey);

  const shown = await copy.command("onboarding/keys.js", ["--stack", "acme", "--show-secrets"]);
  expect(shown.code).toBe(0);
  expect(shown.out).toMatch(/ {2}private key: {2}\w{8,}\n/);
  expect(shown.out).not.toContain("[secret]");

  const wrong = await copy.command("onboarding/keys.js", ["--stack", "acme", "--show-secrets"], {
    PULUMI_CONFIG_PASSPHRASE: "not it",
  });
  expect(wrong.code).toBe(2);
  expect(wrong.out).toMatch(/^keys: stack "acme": wrong passphrase: .* PULUMI_CONFIG_PASSPHRASE_FILE/);
  expect(wrong.out).not.toMatch(/^\s+at /m);

  const never = await copy.command("onboarding/keys.js", ["--stack", "initech"]);
  expect(never.code).toBe(2);
  expect(never.out.trim()).toBe(
    'keys: stack "initech" has no integrations output yet: run `npm run pulumi -- up --yes --stack initech` first',
  );
}, 120_000);

test("fleet preview: keys expiring within 14 days in the table and the JSON", async () => {
  const json = `${copy.tempDir}/preview.json`;
  const ran = await copy.command("fleet/fleet.js", ["preview", "--stacks", "acme", "--json", json]);
  expect(ran.out).toMatch(/^stack\s+tenant\s+.*\s+drift\s+keys expiring\s+result$/m);
  const row = ran.out.split("\n").find((l) => /^acme\s+\S+ at /.test(l))!;
  expect(row).toMatch(/ElementsAPI \d{4}-\d\d-\d\d, LifecycleAPI \d{4}-\d\d-\d\d/);
  const report = JSON.parse(fs.readFileSync(json, "utf8")) as { stacks: { expiringKeys?: string[] }[] };
  expect(report.stacks[0].expiringKeys).toEqual([
    expect.stringMatching(/^ElementsAPI \d{4}-\d\d-\d\d$/),
    expect.stringMatching(/^LifecycleAPI \d{4}-\d\d-\d\d$/),
  ]);
}, 180_000);

test("fleet ls: tenant, integrations, members, key source and expiry, from files and state only", async () => {
  await sandbox.close(); // no tenant to call
  sandboxClosed = true;
  const ran = await copy.command("fleet/fleet.js", ["ls"], { PULUMI_CONFIG_PASSPHRASE: undefined });
  expect(ran.code).toBe(0);
  const rows = ran.out.trimEnd().split("\n");
  const host = sandbox.url.replace(/^http:\/\//, "");
  expect(rows[0].split(/\s{2,}/).filter(Boolean)).toEqual([
    "stack",
    "tenant",
    "integration",
    "member",
    "key",
    "expires",
  ]);
  expect(rows[1].trim().split(/\s{2,}/)).toEqual([
    "acme",
    `${sandbox.companyId} at ${host}`,
    "elements",
    "ElementsAPI",
    "token",
    expect.stringMatching(/^\d{4}-\d\d-\d\d soon$/),
  ]);
  expect(rows[2].trim().split(/\s{2,}/)).toEqual([
    "lifecycle-manager",
    "LifecycleAPI",
    "token",
    expect.stringMatching(/^\d{4}-\d\d-\d\d soon$/),
  ]);
  expect(rows[3].trim().split(/\s{2,}/)).toEqual([
    "initech",
    `${sandbox.companyId} at ${host}`,
    "rewst",
    "RewstAPI",
    "no up yet",
    "-",
  ]);
  expect(rows).toHaveLength(4);
}, 120_000);
