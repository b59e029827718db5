// ApiKey handlers against the in-process sandbox: minted tokens, console keys, rotation ahead of
// expiration, gone keys, and that no private key ever reaches an error or the console output.

import { provider } from "../provider/apiKey";
import type { ApiKeyOutputs } from "../provider/apiKey";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox } from "../sandbox/server";
import { configure, rejection, startHandlerSandbox } from "./handler-harness";
import { Keys, call } from "./sandbox-harness";

let sandbox: RunningSandbox;
let operator: SandboxConsole;
/** Every private key seen in this suite: none may appear in an error or in console output. */
const privateKeys: string[] = [];
const printed: string[] = [];
const LIFETIME = 30 * 86400;

beforeAll(async () => {
  // Tokens that outlive the default rotateBefore (7d), so a fresh token is not due for rotation.
  const started = await startHandlerSandbox({ tokenLifetimeSeconds: LIFETIME });
  ({ sandbox, operator } = started);
  privateKeys.push(sandbox.privateKey);
  await configure(provider, started.config);
  expect((await call(sandbox, "/system/securityroles", { method: "POST", body: { name: "Key Holder" } })).status).toBe(
    201,
  );
  for (const identifier of ["svc-token", "svc-console", "svc-other", "svc-rotate", "svc-revoke"]) {
    const res = await call(sandbox, "/system/apiMembers", {
      method: "POST",
      body: { identifier, name: identifier, securityRole: { name: "Key Holder" } },
    });
    expect(res.status).toBe(201);
  }
});

beforeEach(() => {
  for (const method of ["error", "log", "warn", "info"] as const) {
    jest
      .spyOn(console, method)
      .mockImplementation((...parts: unknown[]) => void printed.push(parts.map(String).join(" ")));
  }
});

afterEach(() => jest.restoreAllMocks());

afterAll(async () => {
  await sandbox.close();
  // The suite-wide guarantee: no private key was printed.
  for (const key of privateKeys) expect(printed.join("\n")).not.toContain(key);
});

const PROVIDER_CODE = "<serialized provider>";

async function checked(raw: Record<string, unknown>): Promise<any> {
  const result = await provider.check({}, raw);
  expect(result.failures).toBeUndefined();
  return { ...result.inputs, __provider: PROVIDER_CODE };
}

async function createdKey(raw: Record<string, unknown>): Promise<{ id: string; outs: ApiKeyOutputs; inputs: any }> {
  const inputs = await checked(raw);
  const { id, outs } = await provider.create(inputs);
  privateKeys.push(outs.privateKey);
  return { id, outs, inputs };
}

/** The member a key authenticates as, or the HTTP status when it does not. */
async function whoAmI(keys: Keys): Promise<string | number> {
  const res = await call(sandbox, "/system/mySecurity?pageSize=1&fields=member", { keys });
  return res.status === 200 ? res.body[0].member.identifier : res.status;
}

/** An error's every text, for "no key material" assertions. */
const errorText = (error: any): string => `${error.message}\n${error.stack}\n${JSON.stringify(error)}`;

describe("ApiKey source token", () => {
  test("mints a token for the member; the key authenticates as that member", async () => {
    await operator.resetRequests();
    const { id, outs } = await createdKey({ member: "svc-token", description: "Elements" });

    const { counts } = await operator.requests();
    expect(counts).toEqual({ "POST /system/members/svc-token/tokens": 1 });
    expect(outs).toMatchObject({
      member: "svc-token",
      description: "Elements",
      source: "token",
      rotateBefore: "7d",
      memberIdentifier: "svc-token",
    });
    expect(Date.parse(outs.expiration)).toBeGreaterThan(Date.now());
    expect(await whoAmI(outs)).toBe("svc-token");
    // The id names the member but no part of the key.
    expect(id).toMatch(/^svc-token\/[0-9a-f]{16}$/);
    expect(id).not.toContain(outs.publicKey);
  });

  test("an unchanged key is no change; a new description replaces it", async () => {
    const { id, outs } = await createdKey({ member: "svc-token", description: "Unchanged" });
    await operator.resetRequests();
    // Preview proves the key still works: one request, authenticated as the key (its Table Setup list).
    expect(await provider.diff(id, outs, await checked({ member: "svc-token", description: "Unchanged" }))).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect((await operator.requests()).counts).toEqual({ "GET /system/mySecurity/customizeItems": 1 });
    // A changed input replaces the key anyway: no request.
    await operator.resetRequests();
    expect(await provider.diff(id, outs, await checked({ member: "svc-token", description: "Other" }))).toMatchObject({
      changes: true,
      replaces: ["description"],
      detailedDiff: { description: { kind: "update", inputDiff: true } },
    });
    expect((await operator.requests()).entries).toEqual([]);
    // A new rotateBefore alone is an in-place update; update sends nothing.
    const news = await checked({ member: "svc-token", description: "Unchanged", rotateBefore: "12h" });
    expect(await provider.diff(id, outs, news)).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
      detailedDiff: { rotateBefore: { kind: "update", inputDiff: true } },
    });
    await operator.resetRequests();
    const { outs: updated } = await provider.update(id, outs, news);
    expect(updated).toMatchObject({ rotateBefore: "12h", publicKey: outs.publicKey, expiration: outs.expiration });
    expect((await operator.requests()).entries).toEqual([]);
  });

  test("preview reports a key that no longer authenticates as drift, and up mints a new one", async () => {
    const { id, outs } = await createdKey({ member: "svc-token", description: "Revoked by hand" });
    await operator.revokeApiKey("svc-token", outs.publicKey);
    printed.length = 0;
    await operator.resetRequests();
    const result = await provider.diff(
      id,
      outs,
      await checked({ member: "svc-token", description: "Revoked by hand" }),
    );
    expect(result).toEqual({
      changes: true,
      replaces: ["publicKey"],
      deleteBeforeReplace: false,
      detailedDiff: { publicKey: { kind: "update", inputDiff: false } },
    });
    expect(printed).toEqual([
      "ApiKey for member svc-token: drift: key: revoked (answers 401) => authenticates; up mints a new key; give the integration the new key (the stack's outputs hold it)",
    ]);
    // After the 401, one read of its member: an inactive member's key answers 401 too.
    expect((await operator.requests()).counts).toEqual({
      "GET /system/mySecurity/customizeItems": 1,
      "GET /system/apiMembers": 1,
    });
  });

  test("a token expiring within rotateBefore is replaced (new key first)", async () => {
    await operator.setSettings({ tokenLifetimeSeconds: 3 * 86400 });
    try {
      const { id, outs } = await createdKey({ member: "svc-rotate", description: "Rotating" });
      const soon = await provider.diff(
        id,
        outs,
        await checked({ member: "svc-rotate", description: "Rotating", rotateBefore: "7d" }),
      );
      expect(soon).toEqual({
        changes: true,
        replaces: ["expiration"],
        deleteBeforeReplace: false,
        detailedDiff: { expiration: { kind: "update", inputDiff: false } },
      });
      // Rotation is due anyway, so the key is not called.
      expect(printed).toContain(
        `ApiKey for member svc-rotate: drift: expires ${outs.expiration.slice(0, 10)} (within rotateBefore 7d): up will rotate it`,
      );
      // Already at create: such a token would be replaced by every preview.
      expect(printed.join("\n")).toContain(
        "sooner than rotateBefore 7d from now: every preview will plan to replace this key",
      );
      const later = await provider.diff(
        id,
        outs,
        await checked({ member: "svc-rotate", description: "Rotating", rotateBefore: "2d" }),
      );
      expect(later).toMatchObject({ changes: true, replaces: [] });
    } finally {
      await operator.setSettings({ tokenLifetimeSeconds: LIFETIME });
    }
  });

  test("read of an expired token keeps it in the state and reports it as drift", async () => {
    await operator.setSettings({ tokenLifetimeSeconds: 1 });
    try {
      const { id, outs } = await createdKey({ member: "svc-rotate", description: "Short" });
      expect((await provider.read(id, outs)).id).toBe(id);
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(await whoAmI(outs)).toBe(401);
      printed.length = 0;
      expect(await provider.read(id, outs)).toMatchObject({ id, props: outs });
      expect(printed).toEqual([
        `ApiKey for member svc-rotate: drift: key: expired at ${outs.expiration} => authenticates`,
      ]);
    } finally {
      await operator.setSettings({ tokenLifetimeSeconds: LIFETIME });
    }
  });

  test("delete sends nothing and prints where to revoke, without key material", async () => {
    const { id, outs } = await createdKey({ member: "svc-token", description: "To delete" });
    await operator.resetRequests();
    printed.length = 0;
    await provider.delete(id, outs);
    expect((await operator.requests()).entries).toEqual([]);
    const message = printed.join("\n");
    expect(message).toContain("System > Members > API Members > svc-token > API Keys");
    expect(message).toContain(`...${outs.publicKey.slice(-4)}`);
    expect(message).not.toContain(outs.publicKey);
    expect(message).not.toContain(outs.privateKey);
    // The key still works: nothing was revoked.
    expect(await whoAmI(outs)).toBe("svc-token");
  });
});

describe("ApiKey source console", () => {
  test("verifies a key made in the console and keeps it; read follows its revocation", async () => {
    const key = await operator.createApiKey("svc-console", "made by hand");
    privateKeys.push(key.privateKey);
    const { id, outs } = await createdKey({
      member: "svc-console",
      description: "Console key",
      source: "console",
      ...key,
    });
    expect(outs).toMatchObject({
      source: "console",
      publicKey: key.publicKey,
      privateKey: key.privateKey,
      expiration: "",
      memberIdentifier: "svc-console",
    });

    await operator.resetRequests();
    const read = await provider.read(id, outs);
    expect(read.id).toBe(id);
    // One request as the key, the same as diff's; whose key it is was verified at create.
    expect((await operator.requests()).counts).toEqual({ "GET /system/mySecurity/customizeItems": 1 });
    expect(read.props).toMatchObject({ memberIdentifier: "svc-console" });
    expect(read.inputs).toEqual({
      member: "svc-console",
      description: "Console key",
      source: "console",
      rotateBefore: "7d",
      ...key,
    });
    // A console key never expires, so rotateBefore never replaces it.
    expect(
      (
        await provider.diff(
          id,
          outs,
          await checked({ member: "svc-console", description: "Console key", source: "console", ...key }),
        )
      ).changes,
    ).toBe(false);

    // Adopted, not made: destroy releases it as it is and says keys cannot be deleted.
    expect(outs.adopted).toBe(true);
    printed.length = 0;
    await operator.resetRequests();
    await provider.delete(id, outs);
    expect((await operator.requests()).entries).toEqual([]);
    expect(printed.join("\n")).toContain("released as it is");
    expect(printed.join("\n")).toContain("cannot revoke or delete keys");
    expect(await whoAmI(outs)).toBe("svc-console");

    await operator.revokeApiKey("svc-console", key.publicKey);
    printed.length = 0;
    const drift = await provider.diff(
      id,
      outs,
      await checked({ member: "svc-console", description: "Console key", source: "console", ...key }),
    );
    expect(drift).toMatchObject({ changes: true, replaces: ["publicKey"] });
    expect(printed).toEqual([
      "ApiKey for member svc-console: drift: key: revoked (answers 401) => authenticates; make a new key in " +
        "System > Members > API Members > svc-console > API Keys and set it as publicKey and privateKey; up fails until then",
    ]);
    // Refresh keeps it in the state (never dropped for a 401) and reports the same drift.
    printed.length = 0;
    expect(await provider.read(id, outs)).toMatchObject({ id, props: outs });
    expect(printed).toHaveLength(1);
    expect(printed[0]).toContain("drift: key: revoked (answers 401) => authenticates");
  });

  test("a wrong private key is rejected with a clear message and no key material", async () => {
    const key = await operator.createApiKey("svc-console", "typo");
    privateKeys.push(key.privateKey);
    const wrong = `${key.privateKey.slice(0, -3)}xyz`;
    privateKeys.push(wrong);
    await operator.resetRequests();
    const error = await rejection(
      provider.create(
        await checked({
          member: "svc-console",
          description: "Typo",
          source: "console",
          publicKey: key.publicKey,
          privateKey: wrong,
        }),
      ),
    );
    expect(error.message).toContain("does not authenticate");
    expect(error.message).toContain("System > Members > API Members > svc-console > API Keys");
    for (const secret of [key.privateKey, wrong, key.publicKey]) expect(errorText(error)).not.toContain(secret);
    expect(Object.keys((await operator.requests()).counts)).toEqual(["GET /system/mySecurity"]);
  });

  test("a key of another member is rejected, naming both members", async () => {
    const key = await operator.createApiKey("svc-other", "someone else's");
    privateKeys.push(key.privateKey);
    const error = await rejection(
      provider.create(await checked({ member: "svc-console", description: "Mixed up", source: "console", ...key })),
    );
    expect(error.message).toContain('authenticates as member "svc-other", not "svc-console"');
    expect(errorText(error)).not.toContain(key.privateKey);
  });

  test("a revoked token reads as drift, a deactivated member's key as not checked; neither leaves the state", async () => {
    const { id, outs } = await createdKey({ member: "svc-revoke", description: "Revoked" });
    await operator.revokeApiKey("svc-revoke", outs.publicKey);
    printed.length = 0;
    expect(await provider.read(id, outs)).toMatchObject({ id, props: outs });
    expect(printed).toEqual([
      "ApiKey for member svc-revoke: drift: key: revoked (answers 401) => authenticates; up mints a new key; give the integration the new key (the stack's outputs hold it)",
    ]);

    const second = await createdKey({ member: "svc-revoke", description: "Deactivated" });
    const members = await call(
      sandbox,
      `/system/apiMembers?conditions=${encodeURIComponent('identifier="svc-revoke"')}`,
    );
    const patched = await call(sandbox, `/system/apiMembers/${members.body[0].id}`, {
      method: "PATCH",
      body: [{ op: "replace", path: "inactiveFlag", value: true }],
    });
    expect(patched.status).toBe(200);
    printed.length = 0;
    expect(await provider.read(second.id, second.outs)).toMatchObject({ id: second.id, props: second.outs });
    expect(printed).toEqual([
      "ApiKey for member svc-revoke: not checked: member svc-revoke is inactive, so its key answers 401",
    ]);
    // Preview predicts no new key: up reactivates the member first, then checks the key again.
    printed.length = 0;
    const diff = await provider.diff(
      second.id,
      second.outs,
      await checked({ member: "svc-revoke", description: "Deactivated" }),
    );
    expect(diff).toMatchObject({ changes: false, replaces: [] });
    expect(printed).toEqual([
      "ApiKey for member svc-revoke: not checked: member svc-revoke is inactive, so its key answers 401; up reactivates the member first, then checks the key again",
    ]);
  });
});
