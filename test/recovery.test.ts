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
import { record, recordsOf, settle } from "../provider/kit/journal";
import { ownershipDoubts, recordMatches, provider as securityRole } from "../provider/securityRole";
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
/** The tenant as the client names it ("companyId at host"). */
const tenant = () => `${sandbox.companyId} at ${new URL(sandbox.url).host}`;

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

  it("after an up that died between its POST and the state save, create takes its role back without adopt or a second POST", async () => {
    // The run that died: its provider wrote the journal record, then POSTed (the stack's own key), then died.
    const died = await record({ kind: "SecurityRole", tenant: tenant(), key: "Crashed Role", owner: "proj/x/role" });
    expect(
      (await call(sandbox, "/system/securityroles", { method: "POST", body: { name: "Crashed Role" } })).status,
    ).toBe(201);
    await operator.resetRequests();
    const created = await securityRole.create(await roleInputs("Crashed Role", { owner: "proj/x/role" }));
    expect(created.outs).toMatchObject({ adopted: false });
    expect(await posts("/system/securityroles")).toHaveLength(0);
    expect(await rolesNamed("Crashed Role")).toHaveLength(1);
    expect(lines()).toContainEqual(
      expect.stringContaining(
        `SecurityRole Crashed Role: takes back role ${created.id}: the POST that made it was recorded by proj/x/role (process ${died.pid} on `,
      ),
    );
  });

  it("the issue's stacks X and Y: Y never takes X's role, neither in sequence nor with adopt, and the message names X", async () => {
    // X's up creates the role (and would fail later, on its member): X's state holds the role.
    const x = await securityRole.create(await roleInputs("ElementsAPI X", { owner: "proj/x/elements-role" }));
    const xRole = (await call(sandbox, `/system/securityroles/${x.id}`)).body;
    // Y, a second stack on the same tenant and key, declares the same role.
    const error = await rejection(
      securityRole.create(await roleInputs("ElementsAPI X", { owner: "proj/y/elements-role" })),
    );
    expect(error.message).toContain(
      `SecurityRole "ElementsAPI X" already exists on ${tenant()} (id ${x.id}, entered by "admin" at ${xRole._info.dateEntered})`,
    );
    expect(error.message).toContain("another stack's POST made it: proj/x/elements-role (process");
    expect(error.message).toContain("It belongs to proj/x/elements-role: adopt would not take it over either.");
    const adopting = await rejection(
      securityRole.create(await roleInputs("ElementsAPI X", { owner: "proj/y/elements-role", adopt: true })),
    );
    expect(adopting.message).toContain("is held by another stack: proj/x/elements-role");
    expect(adopting.message).toContain("adopt never takes over a role another stack holds");
    expect(await rolesNamed("ElementsAPI X")).toHaveLength(1);

    // Once X destroys it, the name is free; a role made by hand of the same name is Y's to adopt only.
    await securityRole.delete(x.id, x.outs as never);
    expect(await rolesNamed("ElementsAPI X")).toHaveLength(0);
  });

  it("two first ups started together: one role, one owner; the loser is refused naming the winner", async () => {
    const [a, b] = await Promise.allSettled([
      securityRole.create(await roleInputs("Race Role", { owner: "proj/a/role" })),
      securityRole.create(await roleInputs("Race Role", { owner: "proj/b/role" })),
    ]);
    expect(await rolesNamed("Race Role")).toHaveLength(1);
    const won = [a, b].filter((r) => r.status === "fulfilled");
    const lost = [a, b].filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const winner = a.status === "fulfilled" ? "proj/a/role" : "proj/b/role";
    const loser = winner === "proj/a/role" ? "proj/b/role" : "proj/a/role";
    // Refused by the server (the name exists) or by the journal: either way, nothing of the winner's is taken.
    const message = String(lost[0].reason?.message);
    expect(message).toMatch(/already exists|objectExists|name/i);
    // The loser's next up is refused, naming the winner.
    const again = await rejection(securityRole.create(await roleInputs("Race Role", { owner: loser })));
    expect(again.message).toContain(`another stack's POST made it: ${winner}`);
  });

  it("never takes over a role a person made: the error says who and when, and to set adopt", async () => {
    const made = await call(sandbox, "/system/securityroles", {
      method: "POST",
      body: { name: "Person Role" },
      keys: person,
    });
    expect(made.status).toBe(201);
    await operator.resetRequests();
    const error = await rejection(securityRole.create(await roleInputs("Person Role", { owner: "proj/x/person" })));
    expect(error.message).toContain(`SecurityRole "Person Role" already exists on`);
    expect(error.message).toContain(`entered by "person" at ${made.body._info.dateEntered}`);
    expect(error.message).toContain(
      `is not provably this stack's own: the create journal on this machine holds no POST of proj/x/person that made it; it was entered by "person", not by "admin"`,
    );
    expect(error.message).toContain("set adopt: true to take it over");
    expect(await posts("/system/securityroles")).toHaveLength(0);
    // adopt takes it over, as adopted (destroy then leaves it); then another stack's adopt is refused.
    const adopted = await securityRole.create(await roleInputs("Person Role", { adopt: true, owner: "proj/x/person" }));
    expect(adopted.outs).toMatchObject({ roleId: made.body.id, adopted: true });
    const second = await rejection(
      securityRole.create(await roleInputs("Person Role", { adopt: true, owner: "proj/z/person" })),
    );
    expect(second.message).toContain("is held by another stack: proj/x/person");
    // Released by destroy, it may be adopted elsewhere.
    await securityRole.delete(adopted.id, adopted.outs as never);
    const third = await securityRole.create(await roleInputs("Person Role", { adopt: true, owner: "proj/z/person" }));
    expect(third.outs).toMatchObject({ roleId: made.body.id, adopted: true });
  });

  it("a role of its own connection with no record of this stack's POST is refused, naming the members on it", async () => {
    expect((await call(sandbox, "/system/securityroles", { method: "POST", body: { name: "Used Role" } })).status).toBe(
      201,
    );
    await call(sandbox, "/system/apiMembers", {
      method: "POST",
      body: { identifier: "user1", name: "User One", securityRole: { name: "Used Role" }, inactiveFlag: true },
    });
    const error = await rejection(securityRole.create(await roleInputs("Used Role", { owner: "proj/x/used" })));
    expect(error.message).toContain("the create journal on this machine holds no POST of proj/x/used that made it");
    expect(error.message).toContain("members no stack manages hold it: user1");
  });

  it("judges the evidence: the journal, entry by whom, members", () => {
    const role = (info: Record<string, string>) => ({ id: 1, name: "R", _info: info });
    const fresh = { dateEntered: "2026-11-30T11:00:00Z", enteredBy: "admin" };
    const entry = (owner: string, at: string, id?: string) =>
      ({
        kind: "SecurityRole",
        tenant: "t",
        key: "r",
        owner,
        at,
        run: "r",
        pid: 1,
        host: "h",
        ...(id ? { id } : {}),
      }) as const;
    const mine = [entry("p/s/r", "2026-11-30T10:59:59Z")];
    const evidence = { caller: "Admin", owner: "p/s/r", members: [], mine, others: [] };
    expect(ownershipDoubts(role(fresh), evidence)).toEqual([]);
    // Without the entry pair, the update pair stands in (the API cannot update a role).
    expect(ownershipDoubts(role({ lastUpdated: "2026-11-30T11:00:00Z", updatedBy: "admin" }), evidence)).toEqual([]);
    // A record matches by id, or by a POST sent before the role was entered.
    expect(recordMatches(entry("p/s/r", "2026-11-30T10:59:59Z"), role(fresh))).toBe(true);
    expect(recordMatches(entry("p/s/r", "2026-11-30T12:00:00Z"), role(fresh))).toBe(false);
    expect(recordMatches(entry("p/s/r", "2026-11-30T12:00:00Z", "1"), role(fresh))).toBe(true);
    expect(recordMatches(entry("p/s/r", "2026-11-30T10:00:00Z", "2"), role(fresh))).toBe(false);
    expect(ownershipDoubts(role(fresh), { ...evidence, mine: [] })).toEqual([
      "the create journal on this machine holds no POST of p/s/r that made it",
    ]);
    expect(ownershipDoubts(role(fresh), { ...evidence, others: [entry("p/y/r", "2026-11-30T10:59:00Z")] })).toEqual([
      "another stack's POST made it: p/y/r (process 1 on h, at 2026-11-30T10:59:00Z)",
    ]);
    expect(ownershipDoubts(role({}), evidence)).toEqual(["its _info names nobody who entered it"]);
    expect(
      ownershipDoubts(role(fresh), {
        ...evidence,
        members: [{ identifier: "a" }, { identifier: "b", owner: "p/y/m" }, { identifier: "c", owner: "p/s/m" }],
      }),
    ).toEqual(["members of another stack hold it: b (p/y/m)", "members no stack manages hold it: a"]);
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

  /** The journal record of a token POST by a run that died (another provider process). */
  async function diedRecord(member: string, owner: string, minted?: { publicKey: string }) {
    let entry = await record({ kind: "ApiKey", tenant: tenant(), key: member, owner });
    if (minted) entry = await settle(entry, { id: `${member}/fingerprint`, hint: minted.publicKey.slice(-4) });
    fs.writeFileSync(entry.file, JSON.stringify({ ...entry, file: undefined, run: "a run that died", pid: 999999 }));
    return entry;
  }

  it("a token minted by a run killed before its state save: the next preview and up say so, the runbook lists it, no silent second key", async () => {
    await call(sandbox, "/system/apiMembers", {
      method: "POST",
      body: { identifier: "diedmember", name: "Died", securityRole: { name: "Admin" } },
    });
    const owner = "proj/x/key";
    // The died run: its record, its POST (minted), its answer recorded; then it was killed.
    const minted = (await call(sandbox, "/system/members/diedmember/tokens", { method: "POST", body: {} })).body;
    const died = await diedRecord("diedmember", owner, minted);
    const inputs = { ...keyInputs, member: "diedmember", owner };
    const hint = minted.publicKey.slice(-4);

    // Preview (check of a new resource) names it, with where to revoke it.
    printed.length = 0;
    const checked = await apiKey.check({}, { member: "diedmember", description: "Lost key", owner });
    expect(checked.failures).toBeUndefined();
    const said = `ApiKey for member diedmember: token of a run that died: a key was minted by ${owner} (process 999999 on `;
    expect(lines()).toEqual([expect.stringContaining(said)]);
    expect(lines()[0]).toContain(
      `System > Members > API Members > diedmember > API Keys: revoke the key ending "...${hint}" minted at about ${died.at}`,
    );

    // up: says it again, mints the stack's key, and keeps the died one for the runbook.
    printed.length = 0;
    const { id, outs } = await apiKey.create(inputs);
    expect(lines()).toContainEqual(expect.stringContaining(said));
    expect(outs.unanswered).toEqual([{ member: "diedmember", at: died.at, hint, expiresBy: expect.any(String) }]);
    expect((await tokensOf("diedmember")).map((k) => k.publicKey.slice(-4))).toContain(hint);
    expect(await tokensOf("diedmember")).toHaveLength(2);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "recovery-runbook-"));
    const runbook = path.join(dir, "stack.md");
    await checklist.create({
      stack: "acme",
      items: [{ resource: "ApiKey for member diedmember", tenant: "", steps: [], unansweredTokens: outs.unanswered }],
      runbook,
    });
    expect(fs.readFileSync(runbook, "utf8")).toContain(
      `- [ ] System > Members > API Members > diedmember > API Keys: revoke the key ending "...${hint}" minted at about ${died.at}`,
    );
    fs.rmSync(dir, { recursive: true, force: true });

    // Once the state holds it, its journal record goes; the state's record says it from then on.
    printed.length = 0;
    expect((await apiKey.diff(id, outs, inputs)).changes).toBe(false);
    expect(fs.existsSync(died.file)).toBe(false);
    expect(lines()).toEqual([expect.stringContaining("ApiKey for member diedmember: unanswered token:")]);
    // Destroy forgets the stack's own record too: a later stack of the same name is told nothing false.
    await apiKey.delete(id, outs);
    expect(await recordsOf("ApiKey", tenant(), "diedmember")).toEqual([]);
  });

  it("a run killed while its token POST was in flight: the next run says a key may have been minted", async () => {
    const owner = "proj/y/key";
    const died = await diedRecord("admin", owner);
    printed.length = 0;
    await apiKey.check({}, { member: "admin", description: "Lost key", owner });
    expect(lines()).toEqual([
      expect.stringContaining(
        `ApiKey for member admin: token of a run that died: a key may have been minted by ${owner} (process 999999 on `,
      ),
    ]);
    expect(lines()[0]).toContain(
      `revoke the key minted at about ${died.at} if it is there (last 4 characters not known`,
    );
    const { outs } = await apiKey.create({ ...keyInputs, owner });
    expect(outs.unanswered).toEqual([{ member: "admin", at: died.at, expiresBy: expect.any(String) }]);
  });

  it("a refused token POST (4xx) is a plain failure: nothing may have been minted", async () => {
    const error = await rejection(apiKey.create({ ...keyInputs, member: "nosuchmember" }));
    expect(error).not.toBeInstanceOf(PartialFailure);
    expect(error.message).toMatch(/404/);
  });
});
