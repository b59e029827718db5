// Creates whose answer was lost, and objects left by an interrupted up, against the in-process
// sandbox (its `loseAnswers` fault: the API acts, then the answer is lost). A role or member the
// lost POST made is taken as this stack's own, without adopt and without a second object; one a
// person or another stack made is refused, saying why; a token POST without an answer is kept in
// the state without a key, reported with member, time and where to revoke, and listed in the
// runbook. Objects are counted through the sandbox's API and console.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { provider as apiKey } from "../provider/apiKey";
import { provider as apiMember } from "../provider/apiMember";
import { PartialFailure } from "../provider/handlerKit";
import { provider as checklist } from "../provider/operatorChecklist";
import { RECOVERY_WINDOW_MS, ownershipDoubts, provider as securityRole } from "../provider/securityRole";
import { SandboxConsole } from "../sandbox/console";
import type { RunningSandbox } from "../sandbox/server";
import { configure, rejection, startHandlerSandbox } from "./handler-harness";
import { Keys, call } from "./sandbox-harness";

let sandbox: RunningSandbox;
let operator: SandboxConsole;
let person: Keys;
const printed: string[] = [];
const PROVIDER_CODE = "<serialized provider>";

beforeAll(async () => {
  const started = await startHandlerSandbox();
  ({ sandbox, operator } = started);
  for (const p of [securityRole, apiMember, apiKey]) await configure(p, started.config);
  // A person with their own key pair (as someone working in Manage): the Admin role.
  const made = await call(sandbox, "/system/apiMembers", {
    method: "POST",
    body: { identifier: "person", name: "A Person", securityRole: { name: "Admin" } },
  });
  expect(made.status).toBe(201);
  person = await operator.createApiKey("person", "Person's key");
});
afterAll(() => sandbox.close());

beforeEach(() => {
  printed.length = 0;
  jest.spyOn(console, "error").mockImplementation((...parts: unknown[]) => void printed.push(parts.join(" ")));
});
afterEach(async () => {
  jest.restoreAllMocks();
  await operator.setFaults({ loseAnswers: [] });
});

const lines = () => printed.flatMap((p) => p.split("\n"));

async function roleInputs(name: string, extra: Record<string, unknown> = {}) {
  const result = await securityRole.check(
    {},
    { name, permissions: { "Companies/Contacts": { inquire: "All" } }, ...extra },
  );
  expect(result.failures).toBeUndefined();
  return { ...result.inputs, __provider: PROVIDER_CODE };
}

const rolesNamed = async (name: string) =>
  (await operator.state()).roles.filter((r) => r.name.toLowerCase() === name.toLowerCase());

const posts = async (p: string) =>
  (await operator.requests()).entries.filter((e) => e.method === "POST" && e.path === p);

describe("SecurityRole", () => {
  it.each(["drop", "502"] as const)(
    "a POST whose answer was lost (%s) ends with the one role it made, not adopted",
    async (reply) => {
      const name = `Lost Role ${reply}`;
      await operator.resetRequests();
      await operator.loseAnswers({ method: "POST", path: "/system/securityroles", reply });
      const created = await securityRole.create(await roleInputs(name));
      const [role] = await rolesNamed(name);
      expect(created.id).toBe(String(role.id));
      expect(created.outs).toMatchObject({ roleId: role.id, adopted: false, pendingSteps: [expect.anything()] });
      expect(await rolesNamed(name)).toHaveLength(1);
      expect(await posts("/system/securityroles")).toHaveLength(1);
      expect(lines()).toContainEqual(
        expect.stringContaining(`SecurityRole ${name}: the answer to the POST that creates the role was lost`),
      );
    },
  );

  it("after an interrupted up (the role exists, no state), create takes it back without adopt or a second POST", async () => {
    // The interrupted up's POST: made with the stack's own connection (the admin's key).
    expect(
      (await call(sandbox, "/system/securityroles", { method: "POST", body: { name: "Crashed Role" } })).status,
    ).toBe(201);
    await operator.resetRequests();
    const created = await securityRole.create(await roleInputs("Crashed Role"));
    expect(created.outs).toMatchObject({ adopted: false });
    expect(await posts("/system/securityroles")).toHaveLength(0);
    expect(await rolesNamed("Crashed Role")).toHaveLength(1);
    expect(lines()).toContainEqual(
      expect.stringMatching(/SecurityRole Crashed Role: takes back role \d+: made by this stack's connection at /),
    );
  });

  it("never takes over a role a person made: the error says why and to set adopt", async () => {
    const made = await call(sandbox, "/system/securityroles", {
      method: "POST",
      body: { name: "Person Role" },
      keys: person,
    });
    expect(made.status).toBe(201);
    await operator.resetRequests();
    const error = await rejection(securityRole.create(await roleInputs("Person Role")));
    expect(error.message).toContain(`SecurityRole "Person Role" already exists on`);
    expect(error.message).toContain(`is not provably this stack's own: it was entered by "person", not by "admin"`);
    expect(error.message).toContain("set adopt: true to take it over");
    expect(await posts("/system/securityroles")).toHaveLength(0);
    // adopt takes it over, as adopted (destroy then leaves it).
    const adopted = await securityRole.create(await roleInputs("Person Role", { adopt: true }));
    expect(adopted.outs).toMatchObject({ roleId: made.body.id, adopted: true });
  });

  it("never takes over a role of its own connection that is in use: members on it, levels set", async () => {
    expect((await call(sandbox, "/system/securityroles", { method: "POST", body: { name: "Used Role" } })).status).toBe(
      201,
    );
    await call(sandbox, "/system/apiMembers", {
      method: "POST",
      body: { identifier: "user1", name: "User One", securityRole: { name: "Used Role" }, inactiveFlag: true },
    });
    await operator.setPermissions("Used Role", { "Finance/Agreements": { add: "All" } });
    const error = await rejection(securityRole.create(await roleInputs("Used Role")));
    expect(error.message).toContain("members hold it: user1");
    expect(error.message).toContain("1 of its functions have a level above None (set in the UI)");
  });

  it("judges the evidence: entry by whom, when, members and levels", () => {
    const now = Date.parse("2026-11-30T12:00:00Z");
    const role = (info: Record<string, string>) => ({ id: 1, name: "R", _info: info });
    const evidence = { caller: "Admin", members: [], grantedFunctions: 0, now };
    const fresh = { dateEntered: "2026-11-30T11:00:00Z", enteredBy: "admin" };
    expect(ownershipDoubts(role(fresh), evidence)).toEqual([]);
    // Without the entry pair, the update pair stands in (the API cannot update a role).
    expect(ownershipDoubts(role({ lastUpdated: "2026-11-30T11:00:00Z", updatedBy: "admin" }), evidence)).toEqual([]);
    const old = new Date(now - RECOVERY_WINDOW_MS - 60_000).toISOString();
    expect(ownershipDoubts(role({ ...fresh, dateEntered: old }), evidence)).toEqual([
      `it was entered at ${old}, more than 24 h ago`,
    ]);
    expect(ownershipDoubts(role(fresh), { ...evidence, absentAt: Date.parse("2026-11-30T11:30:00Z") })).toEqual([
      "it was entered at 2026-11-30T11:00:00Z, before this run found no role of that name",
    ]);
    expect(ownershipDoubts(role({}), evidence)).toEqual([
      "its _info names nobody who entered it",
      "its _info carries no entry date",
    ]);
    expect(ownershipDoubts(role(fresh), { ...evidence, members: ["a", "b"], grantedFunctions: 2 })).toEqual([
      "members hold it: a, b",
      "2 of its functions have a level above None (set in the UI)",
    ]);
  });
});

describe("ApiMember", () => {
  const memberArgs = (identifier: string, owner: string) => ({
    identifier,
    name: "Lost Member",
    email: "it@acme.example",
    securityRole: "Admin",
    level: "Corporate",
    businessUnit: "Admin",
    location: "Main",
    defaultTerritory: "Main",
    owner,
  });

  async function memberInputs(identifier: string, owner: string) {
    const result = await apiMember.check({}, memberArgs(identifier, owner));
    expect(result.failures).toBeUndefined();
    return { ...result.inputs, __provider: PROVIDER_CODE };
  }

  const membersNamed = async (identifier: string) =>
    (await operator.state()).members.filter((m) => m.identifier.toLowerCase() === identifier.toLowerCase());

  it("a POST whose answer was lost ends with the one member it made (its marker), not adopted", async () => {
    await operator.resetRequests();
    await operator.loseAnswers({ method: "POST", path: "/system/apiMembers" });
    const created = await apiMember.create(await memberInputs("lostmember", "proj/stack/lost"));
    const [member] = await membersNamed("lostmember");
    expect(created).toMatchObject({ id: String(member.id), outs: { adopted: false, inactive: false } });
    expect(await membersNamed("lostmember")).toHaveLength(1);
    expect(await posts("/system/apiMembers")).toHaveLength(1);
    expect(lines()).toContainEqual(
      expect.stringContaining("carries this stack's marker: it is the one the POST created"),
    );
  });

  it("after an interrupted up, the member with this resource's marker is taken back; another stack's is refused", async () => {
    // The interrupted up: its POST was carried out, its outputs never reached a state.
    const lost = await apiMember.create(await memberInputs("crashmember", "proj/a/member"));
    await operator.resetRequests();
    const again = await apiMember.create(await memberInputs("crashmember", "proj/a/member"));
    expect(again.id).toBe(lost.id);
    expect(await posts("/system/apiMembers")).toHaveLength(0);
    // Another stack declaring it: preview refuses, and so does create.
    const checkedOther = await apiMember.check({}, memberArgs("crashmember", "proj/b/member"));
    expect(checkedOther.failures?.[0].reason).toContain("is managed by another stack: proj/a/member");
    const other = await rejection(
      apiMember.create({ ...memberArgs("crashmember", "proj/b/member"), __provider: PROVIDER_CODE } as any),
    );
    expect(other.message).toContain("is managed by another stack: proj/a/member");
    expect(await membersNamed("crashmember")).toHaveLength(1);
  });
});

describe("ApiKey", () => {
  const keyInputs = {
    member: "admin",
    description: "Lost key",
    source: "token",
    rotateBefore: "7d",
    __provider: PROVIDER_CODE,
  };
  const tokensOf = async (member: string) =>
    (await operator.state()).keys.filter((k) => k.member === member && k.kind === "token");

  it("a token POST without an answer stays in the state without a key; the next run reports it and mints one", async () => {
    const before = (await tokensOf("admin")).length;
    await operator.loseAnswers({ method: "POST", path: "/system/members/*/tokens" });
    const sentAfter = Date.now();
    const failure = await rejection(apiKey.create(keyInputs));
    expect(failure).toBeInstanceOf(PartialFailure);
    const { id, properties } = failure as PartialFailure & { properties: any };
    expect(id).toMatch(/^admin\/unanswered-\d+$/);
    expect(properties).toMatchObject({ ...keyInputs, publicKey: "", privateKey: "", expiration: "", adopted: false });
    expect(properties.unanswered).toEqual([{ member: "admin", at: expect.any(String) }]);
    const at = properties.unanswered[0].at as string;
    expect(Date.parse(at)).toBeGreaterThanOrEqual(sentAfter - 1000);
    expect(failure.message).toContain("ApiKey for member admin: the token POST got no answer");
    expect(failure.message).toContain(
      `System > Members > API Members > admin > API Keys: revoke the key minted at about ${at} if it is there (last 4 characters not known`,
    );
    // The lost POST did mint a key: the API cannot tell the stack, the console can.
    expect(await tokensOf("admin")).toHaveLength(before + 1);

    // The next preview says so, and plans an update (not a silent replacement).
    printed.length = 0;
    const planned = await apiKey.diff(id, properties, keyInputs);
    expect(planned).toMatchObject({ changes: true, replaces: [] });
    expect(lines()).toEqual([
      expect.stringContaining(
        `ApiKey for member admin: unanswered token: a key may exist that this stack never received: System > Members > API Members > admin > API Keys: revoke the key minted at about ${at}`,
      ),
      "ApiKey for member admin: no key in the state (the last token POST got no answer): up will mint a new key",
    ]);
    // Refresh keeps it (it would otherwise be dropped and forgotten).
    expect(await apiKey.read(id, properties)).toMatchObject({ id, props: { unanswered: properties.unanswered } });

    // up: says it again and mints one key.
    printed.length = 0;
    const { outs } = await apiKey.update(id, properties, keyInputs);
    expect(outs.publicKey).toMatch(/^[0-9a-f]{16}$/);
    expect(await tokensOf("admin")).toHaveLength(before + 2);
    // The tenant's token lifetime is known now: the lost token stops working by at + lifetime.
    const lifetime = Date.parse(outs.expiration) - Date.now();
    expect(outs.unanswered).toEqual([{ member: "admin", at, expiresBy: expect.any(String) }]);
    expect(Math.abs(Date.parse(outs.unanswered[0].expiresBy) - (Date.parse(at) + lifetime))).toBeLessThan(10_000);
    expect(lines()).toContainEqual(expect.stringContaining("ApiKey for member admin: unanswered token:"));
    // The new key works; nothing printed holds key material.
    const whoami = await call(sandbox, "/system/mySecurity?pageSize=1&fields=member", { keys: outs });
    expect(whoami.body[0].member.identifier).toBe("admin");
    for (const line of [...printed, failure.message]) {
      expect(line).not.toContain(outs.privateKey);
      expect(line).not.toContain(outs.publicKey);
      expect(line).not.toContain(sandbox.privateKey);
    }

    // The runbook lists it; with no console step pending the checklist does not fail the up.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "recovery-runbook-"));
    const runbook = path.join(dir, "stack.md");
    const item = { resource: "ApiKey for member admin", tenant: "", steps: [], unansweredTokens: outs.unanswered };
    await checklist.create({ stack: "acme", items: [item], runbook });
    const text = fs.readFileSync(runbook, "utf8");
    expect(text).toContain("## API keys that may exist without the stack knowing them");
    expect(text).toContain(
      `- [ ] System > Members > API Members > admin > API Keys: revoke the key minted at about ${at}`,
    );
    expect(text).toContain(`stops working by ${outs.unanswered[0].expiresBy} at the latest`);
    // Once such a token would have expired, the record goes (update prunes it).
    const expired = [{ ...outs.unanswered[0], expiresBy: new Date(Date.now() - 1000).toISOString() }];
    expect((await apiKey.diff(id, { ...outs, unanswered: expired }, keyInputs)).changes).toBe(true);
    const pruned = await apiKey.update(id, { ...outs, unanswered: expired }, keyInputs);
    expect(pruned.outs.unanswered).toBeUndefined();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a refused token POST (4xx) is a plain failure: nothing may have been minted", async () => {
    const error = await rejection(apiKey.create({ ...keyInputs, member: "nosuchmember" }));
    expect(error).not.toBeInstanceOf(PartialFailure);
    expect(error.message).toMatch(/404/);
  });
});
