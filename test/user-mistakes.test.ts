// The commonest user mistakes, each made for real in a copy of the project against the sandbox,
// through the commands a user runs (the compiled `npm run pulumi`, `fleet`, `checklist`, `doctor`,
// `new-client`): each prints one line (or a short block) naming what to fix (the config key or
// variable, the file and field, the passphrase variable), no stack frame, and no secret.
import * as fs from "fs";
import * as path from "path";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { pulumiBinDir } from "../pulumi-runtime/pulumiCli";
import { copyProject, ProjectCopy, Ran } from "./e2e/projectCopy";

const PASSPHRASE = "user-mistakes passphrase";

let copy: ProjectCopy;
let tempDir: string;
let project: string;
let sandbox: RunningSandbox;
let stackFile: string;
let goodStackFile: string;

const command = (script: string, args: string[], extraEnv?: NodeJS.ProcessEnv) => copy.command(script, args, extraEnv);
const pulumi = (args: string[], extraEnv?: NodeJS.ProcessEnv) => command("pulumi.js", args, extraEnv);
const configSet = async (key: string, value: string, secret = false) => {
  const r = await pulumi(["config", "set", key, value, "--stack", "acme", ...(secret ? ["--secret"] : [])]);
  expect(r.code).toBe(0);
};

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** No stack frame, no secret: what every mistake's output must hold to. */
function clean(ran: Ran): void {
  expect(ran.out).not.toMatch(/^\s+at /m);
  for (const secret of [sandbox.privateKey, sandbox.publicKey, PASSPHRASE]) expect(ran.out).not.toContain(secret);
  // The Automation API's raw error object is never dumped.
  expect(ran.out).not.toMatch(/^code: -?\d+$|err\?: |Command failed with exit code/m);
}

beforeAll(async () => {
  await pulumiBinDir();
  copy = copyProject("cw-iac-mistakes-", PASSPHRASE);
  ({ tempDir, project } = copy);
  sandbox = await startSandbox({ port: 0 });
  const made = await command(
    "onboarding/new-client.js",
    [
      "acme",
      ...["--site", sandbox.url, "--company", sandbox.companyId, "--client-id", sandbox.clientId],
      ...["--integration", "elements", "--email", "it@acme.example", "--level", "Corporate"],
      ...["--business-unit", "Admin", "--location", "Main", "--territory", "Main"],
    ],
    { CONNECTWISE_PUBLIC_KEY: sandbox.publicKey, CONNECTWISE_PRIVATE_KEY: sandbox.privateKey },
  );
  expect(made.code).toBe(0);
  stackFile = path.join(project, "Pulumi.acme.yaml");
  goodStackFile = fs.readFileSync(stackFile, "utf8");
}, 20 * 60_000);

afterEach(() => {
  if (goodStackFile) fs.writeFileSync(stackFile, goodStackFile);
  fs.rmSync(path.join(project, "integrations", "my-tool.yaml"), { force: true });
});

afterAll(async () => {
  await sandbox?.close();
  copy?.remove();
});

/** The provider's error line in a preview or up: the one `error:` line under the resource. */
function errorLine(ran: Ran): string {
  const lines = ran.out.split("\n").filter((l) => /^\s+error: /.test(l));
  expect(lines.length).toBeGreaterThan(0);
  return lines[lines.length - 1].trim();
}

describe("the connection", () => {
  test("an unresolvable site names connectwise:site", async () => {
    await configSet("connectwise:site", "nosuch.invalid");
    const ran = await pulumi(["preview", "--stack", "acme"]);
    expect(ran.code).not.toBe(0);
    clean(ran);
    expect(errorLine(ran)).toMatch(
      /^error: ConnectWise request failed \((ENOTFOUND|EAI_AGAIN)\) on GET \/login\/companyinfo\/sandbox: .*; check connectwise:site \(or CONNECTWISE_SITE\): "nosuch\.invalid" cannot be reached \(no such host\)$/,
    );
  }, 120_000);

  test("a site with no such company names connectwise:companyId", async () => {
    await configSet("connectwise:companyId", "nosuchco");
    const ran = await pulumi(["preview", "--stack", "acme"]);
    expect(ran.code).not.toBe(0);
    clean(ran);
    expect(errorLine(ran)).toContain(
      "; check connectwise:companyId (or CONNECTWISE_COMPANY_ID) and connectwise:site (or CONNECTWISE_SITE)",
    );
  }, 120_000);

  test("a wrong private key (preview) and a wrong public key (up) name the key pair's config keys", async () => {
    // Which GET meets the 401 first depends on which handler asks first: any path, the same tail.
    const expected = new RegExp(
      "^error: ConnectWise 401 Unauthorized on GET /\\S+: The credentials are not valid for this company; " +
        escape(
          "check connectwise:publicKey and connectwise:privateKey (or CONNECTWISE_PUBLIC_KEY, CONNECTWISE_PRIVATE_KEY), and connectwise:companyId: this company does not accept that key pair",
        ) +
        "$",
    );
    await configSet("connectwise:privateKey", "not-the-private-key", true);
    const preview = await pulumi(["preview", "--stack", "acme"]);
    expect(preview.code).not.toBe(0);
    clean(preview);
    expect(errorLine(preview)).toMatch(expected);
    fs.writeFileSync(stackFile, goodStackFile);
    await configSet("connectwise:publicKey", "not-the-public-key", true);
    const up = await pulumi(["up", "--yes", "--stack", "acme"]);
    expect(up.code).not.toBe(0);
    clean(up);
    expect(errorLine(up)).toMatch(expected);
    expect(up.out).not.toContain("not-the-public-key");
  }, 180_000);

  test("a missing key names its config key and variable", async () => {
    expect((await pulumi(["config", "rm", "connectwise:privateKey", "--stack", "acme"])).code).toBe(0);
    const ran = await pulumi(["preview", "--stack", "acme"]);
    expect(ran.code).not.toBe(0);
    clean(ran);
    expect(errorLine(ran)).toBe(
      "error: ConnectWise connection is incomplete: set connectwise:privateKey (or CONNECTWISE_PRIVATE_KEY)",
    );
  }, 120_000);

  test("a clientId that is not one names connectwise:clientId", async () => {
    await configSet("connectwise:clientId", "my-client-id");
    const ran = await pulumi(["preview", "--stack", "acme"]);
    expect(ran.code).not.toBe(0);
    clean(ran);
    expect(errorLine(ran)).toBe(
      "error: connectwise:clientId (or CONNECTWISE_CLIENT_ID) is not a clientId: ConnectWise issues them as GUIDs (8-4-4-4-12 hex digits) at developer.connectwise.com",
    );
    const doctor = await command("onboarding/doctor.js", ["--stack", "acme"]);
    expect(doctor.code).toBe(3);
    clean(doctor);
    expect(doctor.out.trim()).toBe(
      'doctor: stack "acme": connectwise:clientId (or CONNECTWISE_CLIENT_ID) is not a clientId: ConnectWise issues them as GUIDs (8-4-4-4-12 hex digits) at developer.connectwise.com',
    );
  }, 120_000);
});

describe("the passphrase", () => {
  const wrong = {
    PULUMI_CONFIG_PASSPHRASE: "not the passphrase",
  };
  const wrongLine =
    'stack "acme": wrong passphrase: the one from PULUMI_CONFIG_PASSPHRASE does not decrypt Pulumi.acme.yaml; ' +
    "set PULUMI_CONFIG_PASSPHRASE_FILE (a file holding it) or PULUMI_CONFIG_PASSPHRASE to the passphrase this stack was created with";
  const missingLine =
    'stack "acme": no passphrase: set PULUMI_CONFIG_PASSPHRASE_FILE (a file holding it) or PULUMI_CONFIG_PASSPHRASE; it decrypts the keys in Pulumi.acme.yaml';

  test("preview and up: pulumi's line, then one naming the variables", async () => {
    const preview = await pulumi(["preview", "--stack", "acme"], wrong);
    expect(preview.code).toBe(1);
    clean(preview);
    expect(preview.out.trim().split("\n")).toEqual([
      "error: getting stack configuration: get stack secrets manager: incorrect passphrase",
      wrongLine,
    ]);
    const up = await pulumi(["up", "--yes", "--stack", "acme"], { PULUMI_CONFIG_PASSPHRASE: undefined });
    expect(up.code).toBe(1);
    clean(up);
    expect(up.out.trim().split("\n")[1]).toBe(missingLine);
    expect(up.out.trim().split("\n")).toHaveLength(2);
  }, 120_000);

  test("fleet, checklist and doctor: one line each, no raw error object", async () => {
    const fleet = await command("fleet/fleet.js", ["preview", "--stacks", "acme"], wrong);
    expect(fleet.code).toBe(1);
    clean(fleet);
    expect(fleet.out).toContain(`\nacme failed:\n${wrongLine}\n`);
    expect(fleet.out.split(wrongLine)).toHaveLength(2); // once

    const checklist = await command("onboarding/checklist.js", ["--stack", "acme"], wrong);
    expect(checklist.code).toBe(1);
    clean(checklist);
    expect(checklist.out.trim()).toBe(`checklist: ${wrongLine}`);

    const doctor = await command("onboarding/doctor.js", ["--stack", "acme"], { PULUMI_CONFIG_PASSPHRASE: undefined });
    expect(doctor.code).toBe(3);
    clean(doctor);
    expect(doctor.out.trim()).toBe(`doctor: ${missingLine}`);

    const file = path.join(tempDir, "no-such-passphrase-file");
    const fromFile = await command("onboarding/checklist.js", ["--stack", "acme"], {
      PULUMI_CONFIG_PASSPHRASE: undefined,
      PULUMI_CONFIG_PASSPHRASE_FILE: file,
    });
    expect(fromFile.code).toBe(1);
    clean(fromFile);
    expect(fromFile.out.trim()).toBe(
      `checklist: stack "acme": PULUMI_CONFIG_PASSPHRASE_FILE names ${file}, which cannot be read; point it at the file holding the passphrase of Pulumi.acme.yaml`,
    );
  }, 180_000);

  test("new-client without one", async () => {
    const ran = await command(
      "onboarding/new-client.js",
      ["globex", "--site", sandbox.url, "--company", sandbox.companyId, "--client-id", sandbox.clientId],
      { PULUMI_CONFIG_PASSPHRASE: undefined, CONNECTWISE_PUBLIC_KEY: "p", CONNECTWISE_PRIVATE_KEY: "q" },
    );
    expect(ran.code).toBe(2);
    clean(ran);
    expect(ran.out.trim()).toBe(
      'new-client: no passphrase: set PULUMI_CONFIG_PASSPHRASE_FILE (a file outside the repository) or PULUMI_CONFIG_PASSPHRASE; it encrypts this client\'s API keys in Pulumi.<stack>.yaml (README: "Secrets and what to commit")',
    );
  });
});

describe("the integrations", () => {
  test("bad YAML in integrations/: the file, line, column, the parser's message in full and the place", async () => {
    fs.writeFileSync(
      path.join(project, "integrations", "my-tool.yaml"),
      [
        "id: my-tool",
        "integration: My Tool",
        "roleName: MyToolAPI",
        "keyDescription: My Tool",
        "permissions:",
        "  Companies/Contacts: { inquire: All }",
        "  Finance/Agreements: [inquire",
        "tableSetup: []",
        "",
      ].join("\n"),
    );
    const ran = await pulumi(["preview", "--stack", "acme"]);
    expect(ran.code).not.toBe(0);
    clean(ran);
    const at = ran.out.lastIndexOf("error: integration files are invalid:");
    expect(at).toBeGreaterThan(-1);
    const block = ran.out
      .slice(at)
      .split("\n")
      .slice(1, 4)
      .map((l) => l.trim());
    expect(block[0]).toMatch(/^integrations\/my-tool\.yaml: line 8, column 1: .+[^:]$/);
    expect(block[1]).toBe("Finance/Agreements: [inquire");
    expect(block[2]).toBe("tableSetup: []");
  }, 120_000);

  test("an unknown kind: the config key, a did-you-mean and the known kinds", async () => {
    fs.writeFileSync(stackFile, goodStackFile.replace("kind: elements", "kind: elemnts"));
    const ran = await pulumi(["preview", "--stack", "acme"]);
    expect(ran.code).not.toBe(0);
    clean(ran);
    expect(errorLine(ran)).toMatch(
      /^error: connectwise-iac:integrations\[0\]\.kind: unknown kind "elemnts" \(did you mean "elements"\?\); known kinds: elements, lifecycle-manager, /,
    );
  }, 120_000);
});
