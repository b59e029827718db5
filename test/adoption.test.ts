// Adoption is visible and reversible: preview says what an adopting member takes over and what up
// changes on it; destroy releases an adopted member as it is; a destroyed member comes back to its
// own stack without adopt; a member another stack manages (its notes' marker) is never taken over;
// one made by hand is adopted only with adopt: true.

import { provider } from "../provider/apiMember";
import type { ApiMemberOutputs } from "../provider/apiMember";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox } from "../sandbox/server";
import { configure, rejection, startHandlerSandbox } from "./handler-harness";
import { call } from "./sandbox-harness";

let sandbox: RunningSandbox;
let operator: SandboxConsole;
const printed: string[] = [];

beforeAll(async () => {
  const started = await startHandlerSandbox();
  ({ sandbox, operator } = started);
  await configure(provider, started.config);
  expect((await call(sandbox, "/system/securityroles", { method: "POST", body: { name: "Adoptable" } })).status).toBe(
    201,
  );
});
afterAll(() => sandbox.close());

beforeEach(() => {
  printed.length = 0;
  jest.spyOn(console, "error").mockImplementation((...parts: unknown[]) => void printed.push(parts.join(" ")));
});
afterEach(() => jest.restoreAllMocks());

function args(identifier: string, owner: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    identifier,
    name: "Adopted Service",
    email: "it@acme.example",
    securityRole: "Adoptable",
    level: "Corporate",
    businessUnit: "Admin",
    location: "Tampa Office",
    defaultTerritory: "Main",
    owner,
    ...overrides,
  };
}

/** check() of a new resource (no olds), as preview and up call it. */
async function checkNew(raw: Record<string, unknown>) {
  return provider.check({}, raw);
}

/** A member made by hand in Manage (no marker). */
async function madeByHand(identifier: string, inactive = false): Promise<any> {
  const res = await call(sandbox, "/system/apiMembers", {
    method: "POST",
    body: {
      identifier,
      name: "Hand Made",
      emailAddress: "someone@acme.example",
      securityRole: { name: "Adoptable" },
      structureLevel: { id: 1 },
      defaultDepartment: { id: 10 },
      securityLocation: { id: 3 },
      defaultLocation: { id: 3 },
      salesDefaultLocation: { id: 1 },
      inactiveFlag: inactive,
    },
  });
  expect(res.status).toBe(201);
  return res.body;
}

const live = async (id: string | number): Promise<any> => (await call(sandbox, `/system/apiMembers/${id}`)).body;

describe("adopting a member made by hand", () => {
  test("preview names the member and the fields up will change; one lookup by identifier", async () => {
    const hand = await madeByHand("svc-hand");
    await operator.resetRequests();
    const checked = await checkNew(args("svc-hand", "acme/prod/member", { adopt: true, name: "Hand Made" }));
    expect(checked.failures).toBeUndefined();
    expect(printed).toEqual([
      `ApiMember svc-hand: adopts existing member ${hand.id} (active); up will change: email, notes, location`,
    ]);
    expect((await operator.requests()).counts["GET /system/apiMembers"]).toBe(1);

    const { id, outs } = await provider.create(checked.inputs);
    expect(id).toBe(String(hand.id));
    expect(outs).toMatchObject({ adopted: true, inactive: false });
    expect((await live(id)).notes).toBe("managed by connectwise-iac: acme/prod/member (adopted)");
  });

  test("destroy releases an adopted member untouched; deactivateAdopted deactivates it", async () => {
    const hand = await madeByHand("svc-release");
    const checked = await checkNew(args("svc-release", "acme/prod/release", { adopt: true }));
    const { id, outs } = await provider.create(checked.inputs);
    const before = await live(id);

    printed.length = 0;
    await operator.resetRequests();
    await provider.delete(id, outs as ApiMemberOutputs);
    // One PATCH, of the notes only: the marker becomes a released one, so no other stack is blocked.
    expect((await operator.requests()).entries.map((e) => `${e.method} ${e.path}`)).toEqual([
      `PATCH /system/apiMembers/${hand.id}`,
    ]);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toContain(`ApiMember svc-release: released as it is: member ${hand.id} was adopted`);
    const after = await live(id);
    expect(after.notes).toMatch(/^released by connectwise-iac: acme\/prod\/release \(adopted\) at \S+Z$/);
    expect({ ...after, notes: undefined, _info: undefined }).toEqual({ ...before, notes: undefined, _info: undefined });

    // Released: another stack adopts it without being refused.
    const other = await checkNew(args("svc-release", "other/prod/release", { adopt: true }));
    expect(other.failures).toBeUndefined();
    const taken = await provider.create(other.inputs);
    expect((await live(taken.id)).notes).toBe("managed by connectwise-iac: other/prod/release (adopted)");
    const outsOther = taken.outs as ApiMemberOutputs;

    // Asked explicitly: the adopted member is deactivated.
    await provider.delete(id, { ...outsOther, deactivateAdopted: true });
    expect((await live(id)).inactiveFlag).toBe(true);
  });

  test("without adopt, preview warns and up refuses, sending nothing", async () => {
    const hand = await madeByHand("svc-noadopt");
    const checked = await checkNew(args("svc-noadopt", "acme/prod/noadopt"));
    expect(checked.failures).toBeUndefined();
    expect(printed).toEqual([
      expect.stringContaining(`ApiMember svc-noadopt: existing member ${hand.id} (active) was not made by this stack`),
    ]);
    await operator.resetRequests();
    const error = await rejection(provider.create(checked.inputs));
    expect(error.message).toContain("set adopt: true to take it over");
    expect((await operator.requests()).entries.filter((e) => e.method !== "GET")).toEqual([]);
  });
});

describe("two stacks racing to create one member", () => {
  test("one member; the loser's error names the stack that made it, not a full member", async () => {
    const [a, b] = await Promise.all([
      checkNew(args("svc-race", "proj/a/member")),
      checkNew(args("svc-race", "proj/b/member")),
    ]);
    const results = await Promise.allSettled([provider.create(a.inputs), provider.create(b.inputs)]);
    const members = (await operator.state()).members.filter((m) => m.identifier === "svc-race");
    expect(members).toHaveLength(1);
    const won = results.findIndex((r) => r.status === "fulfilled");
    expect(won).toBeGreaterThanOrEqual(0);
    const lost = results[1 - won] as PromiseRejectedResult;
    expect(lost.status).toBe("rejected");
    const winner = won === 0 ? "proj/a/member" : "proj/b/member";
    expect(String(lost.reason.message)).toContain(`is managed by another stack: ${winner}`);
    expect(String(lost.reason.message)).not.toContain("a full member");
  });
});

describe("the stack's own members", () => {
  test("after a destroy, declaring the member again reactivates it without adopt", async () => {
    const first = await provider.create((await checkNew(args("svc-own", "acme/prod/own"))).inputs);
    expect(first.outs).toMatchObject({ adopted: false });
    await provider.delete(first.id, first.outs as ApiMemberOutputs);
    expect((await live(first.id)).inactiveFlag).toBe(true);

    printed.length = 0;
    const again = await checkNew(args("svc-own", "acme/prod/own"));
    expect(again.failures).toBeUndefined();
    expect(printed).toEqual([
      `ApiMember svc-own: takes back its own member ${first.id} (inactive); up will change: notes, active`,
    ]);
    await operator.resetRequests();
    const second = await provider.create(again.inputs);
    expect(second.id).toBe(first.id);
    expect(second.outs).toMatchObject({ adopted: false, inactive: false });
    expect((await operator.requests()).entries.filter((e) => e.method === "PATCH").map((e) => e.requestBody)).toEqual([
      [
        { op: "replace", path: "notes", value: "managed by connectwise-iac: acme/prod/own" },
        { op: "replace", path: "inactiveFlag", value: false },
      ],
    ]);
  });

  test("a released adopted member stays adopted when its stack declares it again", async () => {
    await madeByHand("svc-again");
    const adopted = await provider.create(
      (await checkNew(args("svc-again", "acme/prod/again", { adopt: true }))).inputs,
    );
    await provider.delete(adopted.id, adopted.outs as ApiMemberOutputs);
    const back = await provider.create((await checkNew(args("svc-again", "acme/prod/again"))).inputs);
    expect(back.outs).toMatchObject({ adopted: true });
  });
});

describe("a destroyed stack's member", () => {
  test("is released: no claim blocks another stack (it adopts with adopt: true), and its notes name the release", async () => {
    const acme = await provider.create(
      (await checkNew(args("AcmeReporting", "acme-reporting/acme/acme-reporting-member", { notes: "reports" }))).inputs,
    );
    await provider.delete(acme.id, acme.outs as ApiMemberOutputs);
    const released = await live(acme.id);
    expect(released.inactiveFlag).toBe(true);
    expect(released.notes).toMatch(
      /^reports\nreleased by connectwise-iac: acme-reporting\/acme\/acme-reporting-member at \d{4}-\d\d-\d\dT[\d:.]+Z$/,
    );

    // Another program's stack: without adopt, the warning for a member it did not make (naming the release), not a refusal.
    printed.length = 0;
    const plain = await checkNew(args("AcmeReporting", "other/prod/reporting"));
    expect(plain.failures).toBeUndefined();
    expect(printed).toEqual([
      expect.stringContaining(
        `(released by acme-reporting/acme/acme-reporting-member, which no longer holds it); set adopt: true to take it over`,
      ),
    ]);
    expect(printed.join("\n")).not.toContain("managed by another stack");

    // With adopt: preview names the take-over, up adopts it under the new stack's marker.
    printed.length = 0;
    const adopting = await checkNew(args("AcmeReporting", "other/prod/reporting", { adopt: true }));
    expect(adopting.failures).toBeUndefined();
    expect(printed).toEqual([
      `ApiMember AcmeReporting: adopts existing member ${acme.id} (inactive); up will change: notes, active`,
    ]);
    const taken = await provider.create(adopting.inputs);
    expect(taken.id).toBe(acme.id);
    expect(taken.outs).toMatchObject({ adopted: true, inactive: false });
    expect((await live(acme.id)).notes).toBe("managed by connectwise-iac: other/prod/reporting (adopted)");

    // Now truly held by a live stack: the first stack is refused, naming the holder.
    const back = await checkNew(args("AcmeReporting", "acme-reporting/acme/acme-reporting-member", { adopt: true }));
    expect(back.failures).toEqual([
      {
        property: "identifier",
        reason: expect.stringContaining("is managed by another stack: other/prod/reporting;"),
      },
    ]);
  });

  test("the same stack takes its released member back without adopt, as its own", async () => {
    const first = await provider.create((await checkNew(args("svc-rel", "acme/prod/rel"))).inputs);
    await provider.delete(first.id, first.outs as ApiMemberOutputs);
    printed.length = 0;
    const again = await checkNew(args("svc-rel", "acme/prod/rel"));
    expect(again.failures).toBeUndefined();
    expect(printed).toEqual([
      `ApiMember svc-rel: takes back its own member ${first.id} (inactive); up will change: notes, active`,
    ]);
    const second = await provider.create(again.inputs);
    expect(second.outs).toMatchObject({ adopted: false, inactive: false });
    expect((await live(first.id)).notes).toBe("managed by connectwise-iac: acme/prod/rel");
  });
});

describe("another stack's member", () => {
  test("is refused at preview and at up, naming the owner, even with adopt", async () => {
    const mine = await provider.create((await checkNew(args("svc-shared", "acme/prod/shared"))).inputs);
    await operator.resetRequests();
    for (const adopt of [false, true]) {
      const other = await checkNew(args("svc-shared", "acme/staging/shared", { adopt }));
      expect(other.failures).toEqual([
        {
          property: "identifier",
          reason: expect.stringContaining(
            `ApiMember svc-shared: API member "svc-shared" on sandbox at ${new URL(sandbox.url).host} (id ${mine.id}, ` +
              `name "Adopted Service") is managed by another stack: acme/prod/shared`,
          ),
        },
      ]);
    }
    const error = await rejection(
      provider.create({
        ...(await checkNew(args("svc-shared", "acme/prod/shared"))).inputs,
        owner: "acme/staging/shared",
        adopt: true,
      }),
    );
    expect(error.message).toContain("is managed by another stack: acme/prod/shared");
    expect((await operator.requests()).entries.filter((e) => e.method !== "GET")).toEqual([]);
  });
});
