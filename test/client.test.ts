// The ConnectWise client against the real sandbox on a loopback port: discovery, paging,
// conditions, errors, retries under injected faults, Retry-After, the per-tenant concurrency
// limit, timeouts, and where the connection comes from. What the server saw is read from the
// sandbox's request log, never from counters inside the client.

import { z } from "zod";
import { ConnectWiseClient } from "../connectwise/client";
import { and, eq, or } from "../connectwise/conditions";
import { Connection, resolveConnection } from "../connectwise/connection";
import { ConnectWiseError } from "../connectwise/errors";
import { ApiMemberSchema, SecurityRoleSchema, SystemInfoSchema, TokenSchema } from "../connectwise/schemas";
import { LogEntry, SandboxConsole } from "../sandbox/console";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { clientRejection as rejection } from "./client-harness";
import { Gate, startGate } from "./gate";
import { ManualClock, until } from "./manual-clock";

const NO_FAULTS = { latencyMs: 0, rate429: 0, rate503: 0, rateDrop: 0, retryAfterSeconds: 1 };
// The sandbox draws its random faults from this seed (printed, and in the failures that depend on it).
const FAULT_SEED = Number(process.env.CW_IAC_FAULT_SEED ?? 20261206);
// Retries at once (zero backoff), so fault tests never sleep; Retry-After is tested on its own.
const FAST_RETRIES = { retryBaseMs: 0, retryMaxMs: 0 };

function connectionOf(sb: RunningSandbox): Connection {
  return {
    site: sb.url,
    companyId: sb.companyId,
    clientId: sb.clientId,
    publicKey: sb.publicKey,
    privateKey: sb.privateKey,
  };
}

function entriesFor(entries: LogEntry[], method: string, path: string): LogEntry[] {
  return entries.filter((e) => e.method === method && e.path === path);
}

let sb: RunningSandbox;
let ops: SandboxConsole;
let client: ConnectWiseClient;

beforeAll(async () => {
  sb = await startSandbox({ port: 0 });
  ops = new SandboxConsole(sb.consoleUrl);
  client = await ConnectWiseClient.connect(connectionOf(sb));
});

afterAll(() => sb.close());

afterEach(() => ops.setFaults(NO_FAULTS));

describe("codebase discovery", () => {
  it("asks /login/companyinfo once per site and company: a second connect works with the site gone", async () => {
    const own = await startSandbox({ port: 0 });
    const first = await ConnectWiseClient.connect(connectionOf(own));
    expect(first.tenant).toBe(`sandbox at ${new URL(own.url).host}`);
    expect((await first.get("/system/info", SystemInfoSchema)).version).toMatch(/2025\.8/);
    await own.close();

    // Nothing answers at the site now, so only the process cache can give the codebase
    // (the companyId is matched case-insensitively, as ConnectWise does).
    const second = await ConnectWiseClient.connect({ ...connectionOf(own), companyId: "SANDBOX" }, { maxRetries: 0 });
    const offline = await rejection(second.get("/system/info", SystemInfoSchema));
    expect(offline).toMatchObject({ status: undefined, method: "GET", path: "/system/info" });
    // Refused, or reset when a kept-alive socket to the closed server is reused.
    expect(["ECONNREFUSED", "ECONNRESET"]).toContain(offline.code);

    // Another company at the same site is not cached: it needs the (gone) site.
    const other = await rejection(
      ConnectWiseClient.connect({ ...connectionOf(own), companyId: "other" }, { maxRetries: 0 }),
    );
    expect(other).toMatchObject({ code: "ECONNREFUSED", path: "/login/companyinfo/other" });
  });

  it("does not remember a failed discovery", async () => {
    const probe = await startSandbox({ port: 0 });
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const refused = await rejection(ConnectWiseClient.connect(connectionOf(probe), { maxRetries: 0 }));
    expect(refused.code).toBe("ECONNREFUSED");

    const revived = await startSandbox({ port });
    try {
      const connected = await ConnectWiseClient.connect(connectionOf(revived));
      expect((await connected.get("/system/securityroles/1", SecurityRoleSchema)).name).toBe("Admin");
    } finally {
      await revived.close();
    }
  });

  it("reports an unknown company with the status ConnectWise gives", async () => {
    const err = await rejection(ConnectWiseClient.connect({ ...connectionOf(sb), companyId: "nosuchco" }));
    expect(err).toMatchObject({ status: 404, method: "GET", path: "/login/companyinfo/nosuchco" });
  });
});

describe("reading and writing", () => {
  it("lists across pages by following Link rel=next, keeping conditions, order and page size", async () => {
    const names = Array.from({ length: 45 }, (_, i) => `Paged ${String(i + 1).padStart(2, "0")}`);
    await Promise.all(names.map((name) => client.post("/system/securityroles", { name }, SecurityRoleSchema)));
    await ops.resetRequests();

    const conditions = 'name like "Paged *"';
    const roles = await client.list("/system/securityroles", SecurityRoleSchema, {
      conditions,
      orderBy: "name desc",
      pageSize: 20,
      fields: ["id", "name"],
    });
    expect(roles.map((r) => r.name)).toEqual([...names].reverse());
    expect(Object.keys(roles[0]).sort()).toEqual(["id", "name"]);

    const pages = entriesFor((await ops.requests()).entries, "GET", "/system/securityroles");
    expect(pages).toHaveLength(3);
    const queries = pages.map((p) => new URLSearchParams(p.query));
    expect(queries.map((q) => q.get("page"))).toEqual(["1", "2", "3"]);
    for (const q of queries) {
      expect(q.get("pageSize")).toBe("20");
      expect(q.get("conditions")).toBe(conditions);
      expect(q.get("orderBy")).toBe("name desc");
      expect(q.get("fields")).toBe("id,name");
    }
    expect(pages.map((p) => (p.responseBody as unknown[]).length)).toEqual([20, 20, 5]);
  });

  it("asks for one page of 1000 by default", async () => {
    await ops.resetRequests();
    const all = await client.list("/system/securityroles", SecurityRoleSchema);
    expect(all.length).toBeGreaterThan(45);
    const [only, ...more] = entriesFor((await ops.requests()).entries, "GET", "/system/securityroles");
    expect(more).toHaveLength(0);
    expect(new URLSearchParams(only.query).get("pageSize")).toBe("1000");
  });

  it("round-trips names with quotes and backslashes through conditions, and they cannot widen a query", async () => {
    const tricky = ['Q "x" \\ y', 'Q "x" y', 'Q \\"x\\"', "Q x\\", "Q 'it''s'"];
    for (const name of tricky) await client.post("/system/securityroles", { name }, SecurityRoleSchema);
    for (const name of tricky) {
      const found = await client.list("/system/securityroles", SecurityRoleSchema, { conditions: eq("name", name) });
      expect(found.map((r) => r.name)).toEqual([name]);
    }
    const both = await client.list("/system/securityroles", SecurityRoleSchema, {
      conditions: or(eq("name", tricky[0]), eq("name", tricky[2])),
      orderBy: "id asc",
    });
    expect(both.map((r) => r.name)).toEqual([tricky[0], tricky[2]]);
    expect(
      await client.list("/system/securityroles", SecurityRoleSchema, {
        conditions: and(eq("name", tricky[1]), eq("adminFlag", true)),
      }),
    ).toEqual([]);
    // An injection attempt stays one string literal: it matches no role, not the Admin role.
    expect(
      await client.list("/system/securityroles", SecurityRoleSchema, { conditions: eq("name", 'x" OR name="Admin') }),
    ).toEqual([]);
  });

  it("gives undefined for a missing object with getOrUndefined, and a 404 ConnectWiseError with get", async () => {
    expect(await client.getOrUndefined("/system/securityroles/999999", SecurityRoleSchema)).toBeUndefined();
    expect((await client.getOrUndefined("/system/securityroles/1", SecurityRoleSchema))?.name).toBe("Admin");
    const err = await rejection(client.get("/system/securityroles/999999", SecurityRoleSchema));
    expect(err).toMatchObject({ status: 404, code: "NotFound", method: "GET", path: "/system/securityroles/999999" });
    expect(err.message).toMatch(/^ConnectWise 404 NotFound on GET \/system\/securityroles\/999999: /);
  });

  it("surfaces ConnectWise's code, message and errors[] for a duplicate role", async () => {
    await client.post("/system/securityroles", { name: "Duplicate Me" }, SecurityRoleSchema);
    const err = await rejection(client.post("/system/securityroles", { name: "Duplicate Me" }, SecurityRoleSchema));
    expect(err).toMatchObject({ status: 400, code: "InvalidObject", method: "POST", path: "/system/securityroles" });
    expect(err.cwMessage).toBeTruthy();
    expect(err.errors[0]).toMatchObject({ code: "ObjectExists", field: "name" });
    expect(err.message).toContain("ConnectWise 400 InvalidObject on POST /system/securityroles:");
    expect(err.message).toContain("ObjectExists name");
  });

  it("refuses an answer that does not match the schema, naming the field", async () => {
    const err = await rejection(client.get("/system/securityroles/1", SecurityRoleSchema.extend({ id: z.string() })));
    expect(err).toMatchObject({ status: 200, code: "InvalidResponse", method: "GET", path: "/system/securityroles/1" });
    expect(err.message).toMatch(/id: /);
  });

  it("acts as another member with asMember: a token works, a wrong key is a 401", async () => {
    const role = await client.post("/system/securityroles", { name: "AsMember Role" }, SecurityRoleSchema);
    await client.post(
      "/system/apiMembers",
      { identifier: "asmember1", name: "As Member", securityRole: { id: role.id } },
      ApiMemberSchema,
    );
    const token = await client.post("/system/members/asmember1/tokens", undefined, TokenSchema);
    const member = client.asMember(token.publicKey, token.privateKey);
    expect(member.tenant).toBe(client.tenant);
    expect(await member.get("/system/info", SystemInfoSchema)).toHaveProperty("version");
    // The role has no permissions, so reading roles as that member is refused.
    expect(await rejection(member.list("/system/securityroles", SecurityRoleSchema))).toMatchObject({
      status: 403,
      code: "Security",
    });
    const wrong = client.asMember(token.publicKey, "not-the-private-key");
    expect(await rejection(wrong.get("/system/info", SystemInfoSchema))).toMatchObject({
      status: 401,
      code: "Unauthorized",
    });
  });

  it("refuses a path that is not under /apis/3.0 as given", async () => {
    await expect(client.get("system/info", SystemInfoSchema)).rejects.toThrow(/absolute path/);
    await expect(client.get("/system/../login", SystemInfoSchema)).rejects.toThrow(/dot segments/);
    await expect(client.get("/system/info?x=1", SystemInfoSchema)).rejects.toThrow(/without query/);
    await expect(client.list("/system/securityroles", SecurityRoleSchema, { pageSize: 1001 })).rejects.toThrow(
      /pageSize/,
    );
  });
});

describe("retries", () => {
  it("gets through 429s, 503s and dropped connections on GET, and the log shows every attempt", async () => {
    const patient = await ConnectWiseClient.connect(connectionOf(sb), { ...FAST_RETRIES, maxRetries: 40 });
    await ops.resetRequests();
    process.stderr.write(`client.test: fault seed ${FAULT_SEED} (CW_IAC_FAULT_SEED)\n`);
    await ops.setFaults({ rate429: 0.25, rate503: 0.25, rateDrop: 0.2, retryAfterSeconds: 0, seed: FAULT_SEED });
    const calls = 30;
    const results = await Promise.all(
      Array.from({ length: calls }, () => patient.get("/system/securityroles/1", SecurityRoleSchema)),
    );
    expect({ seed: FAULT_SEED, allAdmin: results.every((r) => r.name === "Admin") }).toEqual({
      seed: FAULT_SEED,
      allAdmin: true,
    });

    const attempts = entriesFor((await ops.requests()).entries, "GET", "/system/securityroles/1");
    const faults = attempts.filter((e) => e.fault !== undefined);
    expect({
      seed: FAULT_SEED,
      answered: attempts.filter((e) => e.status === 200).length,
      kinds: [...new Set(faults.map((e) => e.fault))].sort(),
      attempts: attempts.length,
    }).toEqual({ seed: FAULT_SEED, answered: calls, kinds: ["429", "503", "drop"], attempts: calls + faults.length });
  });

  it("sends a POST refused with 429 again (the rate limiter did not process it)", async () => {
    const limited = await ConnectWiseClient.connect(connectionOf(sb), { ...FAST_RETRIES, maxRetries: 2 });
    await ops.resetRequests();
    await ops.setFaults({ rate429: 1, retryAfterSeconds: 0 });
    expect(
      await rejection(limited.post("/system/securityroles", { name: "Limited" }, SecurityRoleSchema)),
    ).toMatchObject({ status: 429, code: "TooManyRequests" });
    expect(entriesFor((await ops.requests()).entries, "POST", "/system/securityroles").map((e) => e.status)).toEqual([
      429, 429, 429,
    ]);

    await ops.setFaults({ rate429: 0.5, seed: FAULT_SEED });
    const patient = await ConnectWiseClient.connect(connectionOf(sb), { ...FAST_RETRIES, maxRetries: 40 });
    const created = await patient.post("/system/securityroles", { name: "Limited" }, SecurityRoleSchema);
    expect(created.name).toBe("Limited");
    const posts = entriesFor((await ops.requests()).entries, "POST", "/system/securityroles");
    expect(posts.filter((e) => e.status === 201)).toHaveLength(1);
  });

  it("does not repeat a POST after a 503 or a dropped connection", async () => {
    const patient = await ConnectWiseClient.connect(connectionOf(sb), { ...FAST_RETRIES, maxRetries: 5 });
    await ops.resetRequests();
    await ops.setFaults({ rate503: 1 });
    const unavailable = await rejection(
      patient.post("/system/securityroles", { name: "Once 503" }, SecurityRoleSchema),
    );
    expect(unavailable).toMatchObject({ status: 503, code: "ServiceUnavailable" });
    expect(unavailable.message).toMatch(/not repeated/);

    await ops.setFaults({ rate503: 0, rateDrop: 1 });
    const dropped = await rejection(
      patient.post("/system/securityroles", { name: "Once dropped" }, SecurityRoleSchema),
    );
    expect(dropped).toMatchObject({ status: undefined, code: "ECONNRESET", method: "POST" });

    expect(entriesFor((await ops.requests()).entries, "POST", "/system/securityroles").map((e) => e.fault)).toEqual([
      "503",
      "drop",
    ]);
  });

  it("repeats PATCH and DELETE after a 503 or a drop, up to maxRetries", async () => {
    const role = await client.post("/system/securityroles", { name: "Retry Target" }, SecurityRoleSchema);
    const member = await client.post(
      "/system/apiMembers",
      { identifier: "retry1", name: "Retry One", securityRole: { id: role.id } },
      ApiMemberSchema,
    );
    const limited = await ConnectWiseClient.connect(connectionOf(sb), { ...FAST_RETRIES, maxRetries: 2 });
    await ops.resetRequests();
    await ops.setFaults({ rate503: 1 });
    expect(await rejection(limited.delete(`/system/securityroles/${role.id}`))).toMatchObject({
      status: 503,
      method: "DELETE",
    });
    await ops.setFaults({ rate503: 0, rateDrop: 1 });
    const patch = await rejection(
      limited.patch(
        `/system/apiMembers/${member.id}`,
        [{ op: "replace", path: "name", value: "Patched" }],
        ApiMemberSchema,
      ),
    );
    expect(patch).toMatchObject({ status: undefined, code: "ECONNRESET", method: "PATCH" });
    expect(patch.message).toMatch(/after 3 attempts/);

    const log = (await ops.requests()).entries;
    expect(entriesFor(log, "DELETE", `/system/securityroles/${role.id}`)).toHaveLength(3);
    expect(entriesFor(log, "PATCH", `/system/apiMembers/${member.id}`)).toHaveLength(3);

    await ops.setFaults(NO_FAULTS);
    const patched = await limited.patch(
      `/system/apiMembers/${member.id}`,
      [{ op: "replace", path: "name", value: "Patched" }],
      ApiMemberSchema,
    );
    expect(patched.name).toBe("Patched");
    await limited
      .delete(`/system/securityroles/${role.id}`)
      .catch((err: ConnectWiseError) => expect(err.errors[0]?.code).toBe("ObjectInUse"));
  });

  it("surfaces a 429 at once with maxRetries 0", async () => {
    const impatient = await ConnectWiseClient.connect(connectionOf(sb), { maxRetries: 0 });
    await ops.resetRequests();
    await ops.setFaults({ rate429: 1 });
    const err = await rejection(impatient.get("/system/securityroles/1", SecurityRoleSchema));
    expect(err).toMatchObject({ status: 429, code: "TooManyRequests", method: "GET", path: "/system/securityroles/1" });
    expect(entriesFor((await ops.requests()).entries, "GET", "/system/securityroles/1")).toHaveLength(1);
  });

  it("waits the Retry-After interval, not its own (zero) backoff", async () => {
    const clock = new ManualClock();
    const noBackoff = await ConnectWiseClient.connect(connectionOf(sb), {
      maxRetries: 1,
      retryBaseMs: 0,
      retryMaxMs: 0,
      clock,
    });
    await ops.resetRequests();
    await ops.setFaults({ rate429: 1, retryAfterSeconds: 1 });
    const failing = rejection(noBackoff.get("/system/securityroles/1", SecurityRoleSchema));
    const logged = async () => entriesFor((await ops.requests()).entries, "GET", "/system/securityroles/1").length;
    await until(async () => (await logged()) === 1 && clock.pending()[0] === 1000, "the wait after the first 429");
    await clock.advance(999);
    expect(await logged()).toBe(1); // not sent again before the interval is over
    await clock.advance(1);
    expect(await failing).toMatchObject({ status: 429, code: "TooManyRequests" });
    expect(await logged()).toBe(2);
  });
});

describe("limits", () => {
  // A gate in front of the sandbox (test/gate.ts) holds each request until the test lets it
  // through, so what is in flight at once is seen where it arrives.
  let gate: Gate;
  beforeEach(async () => (gate = await startGate(sb.url)));
  afterEach(() => gate.close());
  const viaGate = () => ({ ...connectionOf(sb), site: gate.url });

  it("keeps at most `concurrency` requests of one tenant in flight, across all its clients", async () => {
    const a = await ConnectWiseClient.connect(viaGate(), { concurrency: 2 });
    const b = await ConnectWiseClient.connect(viaGate());
    const token = await client.post("/system/members/admin/tokens", undefined, TokenSchema);
    const c = b.asMember(token.publicKey, token.privateKey);
    await ops.resetRequests();
    const all = Promise.all([a, a, b, b, c, c].map((cl) => cl.get("/system/securityroles/1", SecurityRoleSchema)));
    // Let one through whenever two wait (or the last one waits): a third never arrives before.
    for (let released = 0; released < 6; released++) {
      await until(() => gate.held() >= Math.min(2, 6 - released), `request ${released + 1} at the gate`);
      gate.release();
    }
    expect((await all).map((r) => r.name)).toEqual(Array(6).fill("Admin"));
    expect(gate.arrived).toEqual(Array(6).fill("GET /system/securityroles/1"));
    expect(gate.maxHeld).toBe(2);
    expect(entriesFor((await ops.requests()).entries, "GET", "/system/securityroles/1")).toHaveLength(6);
  });

  it("gives up on an attempt after timeoutMs", async () => {
    const clock = new ManualClock();
    const hasty = await ConnectWiseClient.connect(viaGate(), { timeoutMs: 250, maxRetries: 0, clock });
    await ops.resetRequests();
    const failing = rejection(hasty.get("/system/info", SystemInfoSchema));
    await until(() => gate.held() === 1, "the request at the gate");
    await clock.advance(250);
    const err = await failing;
    expect(err).toMatchObject({ status: undefined, code: "ETIMEDOUT", method: "GET", path: "/system/info" });
    expect(err.message).toMatch(/no answer within 250 ms/);
    // The request goes on to the sandbox, which answers it to nobody.
    gate.release();
    await until(
      async () => entriesFor((await ops.requests()).entries, "GET", "/system/info").length === 1,
      "the late answer in the log",
    );
  });

  it("rejects nonsensical options", async () => {
    await expect(ConnectWiseClient.connect(connectionOf(sb), { concurrency: 0 })).rejects.toThrow(/concurrency/);
    await expect(ConnectWiseClient.connect(connectionOf(sb), { maxRetries: -1 })).rejects.toThrow(/maxRetries/);
    await expect(ConnectWiseClient.connect(connectionOf(sb), { timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
    await expect(ConnectWiseClient.connect(connectionOf(sb), { apiVersion: "2025.8, evil" })).rejects.toThrow(
      /apiVersion/,
    );
  });

  it("ends a request whose answers are held at the limit per request, retries included", async () => {
    const clock = new ManualClock();
    const bounded = await ConnectWiseClient.connect(viaGate(), {
      retryBaseMs: 0,
      retryMaxMs: 0,
      timeoutMs: 300,
      totalTimeoutMs: 1000,
      maxRetries: 20,
      slowNoticeMs: 60_000,
      clock,
    });
    await ops.resetRequests();
    const failing = rejection(bounded.get("/system/info", SystemInfoSchema));
    // Attempts of 300 ms in a 1 s limit: three, then the 100 ms left; far fewer than maxRetries allows.
    for (const [n, ms] of [300, 300, 300, 100].entries()) {
      await until(() => gate.arrived.length === n + 1, `attempt ${n + 1} at the gate`);
      await clock.advance(ms);
    }
    const err = await failing;
    expect(clock.now()).toBe(1000);
    expect(err).toMatchObject({ status: undefined, code: "ETIMEDOUT" });
    expect(err.message).toMatch(/gave up: the 1 s limit per request is spent, after 4 attempts/);
    gate.release(4); // the late answers arrive and are logged
    await until(
      async () => entriesFor((await ops.requests()).entries, "GET", "/system/info").length === 4,
      "the four attempts in the sandbox's log",
    );
  });
});

describe("limit options", () => {
  it("rejects a nonsensical limit per request or notice time", async () => {
    await expect(ConnectWiseClient.connect(connectionOf(sb), { totalTimeoutMs: 0 })).rejects.toThrow(/totalTimeoutMs/);
    await expect(ConnectWiseClient.connect(connectionOf(sb), { slowNoticeMs: -1 })).rejects.toThrow(/slowNoticeMs/);
    await expect(
      ConnectWiseClient.connect(connectionOf(sb), { totalTimeoutMs: Number.POSITIVE_INFINITY }),
    ).rejects.toThrow(/totalTimeoutMs/);
  });
});

describe("connection", () => {
  const ENV = [
    "CONNECTWISE_SITE",
    "CONNECTWISE_COMPANY_ID",
    "CONNECTWISE_CLIENT_ID",
    "CONNECTWISE_PUBLIC_KEY",
    "CONNECTWISE_PRIVATE_KEY",
  ];
  let saved: Record<string, string | undefined>;
  beforeEach(() => {
    saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
    for (const k of ENV) delete process.env[k];
  });
  afterEach(() => {
    for (const k of ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  const config = (values: Record<string, string>) => ({ get: (key: string) => values[key] });

  it("reads the connectwise:* config", () => {
    const connection = resolveConnection(
      config({
        "connectwise:site": "api-na.myconnectwise.net",
        "connectwise:companyId": "acme",
        "connectwise:clientId": "cid",
        "connectwise:publicKey": "pub",
        "connectwise:privateKey": "priv",
      }),
    );
    expect(connection).toEqual({
      site: "api-na.myconnectwise.net",
      companyId: "acme",
      clientId: "cid",
      publicKey: "pub",
      privateKey: "priv",
    });
  });

  it("falls back to CONNECTWISE_* per setting, config first", () => {
    process.env.CONNECTWISE_SITE = "https://cw.example.com";
    process.env.CONNECTWISE_COMPANY_ID = "envco";
    process.env.CONNECTWISE_CLIENT_ID = "envcid";
    process.env.CONNECTWISE_PUBLIC_KEY = "envpub";
    process.env.CONNECTWISE_PRIVATE_KEY = "envpriv";
    expect(resolveConnection()).toEqual({
      site: "https://cw.example.com",
      companyId: "envco",
      clientId: "envcid",
      publicKey: "envpub",
      privateKey: "envpriv",
    });
    expect(
      resolveConnection(config({ "connectwise:companyId": "cfgco", "connectwise:privateKey": "" })).companyId,
    ).toBe("cfgco");
    expect(resolveConnection(config({ "connectwise:privateKey": "" })).privateKey).toBe("envpriv");
  });

  it("names every missing setting by config key and variable, and never a value", () => {
    process.env.CONNECTWISE_PUBLIC_KEY = "PUBLIC-VALUE-123";
    let message = "";
    try {
      resolveConnection(config({ "connectwise:site": "cw.example.com", "connectwise:clientId": "CLIENT-VALUE-456" }));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("connectwise:companyId (or CONNECTWISE_COMPANY_ID)");
    expect(message).toContain("connectwise:privateKey (or CONNECTWISE_PRIVATE_KEY)");
    expect(message).not.toContain("connectwise:site");
    expect(message).not.toContain("connectwise:publicKey");
    expect(message).not.toMatch(/PUBLIC-VALUE|CLIENT-VALUE|cw\.example/);
  });

  it("refuses plain http:// for a non-loopback site, before any request", async () => {
    const values = {
      "connectwise:companyId": "a",
      "connectwise:clientId": "b",
      "connectwise:publicKey": "c",
      "connectwise:privateKey": "d",
    };
    expect(() => resolveConnection(config({ ...values, "connectwise:site": "http://cw.example.com" }))).toThrow(
      /plain http:\/\/ is refused/,
    );
    expect(() => resolveConnection(config({ ...values, "connectwise:site": "http://10.0.0.5:8080" }))).toThrow(
      /plain http:\/\/ is refused/,
    );
    expect(() =>
      resolveConnection(config({ ...values, "connectwise:site": "https://cw.example.com/v4_6_release" })),
    ).toThrow(/without a path/);
    expect(() => resolveConnection(config({ ...values, "connectwise:site": "ftp://cw.example.com" }))).toThrow(
      /only https/,
    );
    for (const site of [
      "http://localhost:8080",
      "http://127.0.0.1:1",
      "http://127.10.0.3",
      "http://[::1]:9000",
      "cw.example.com",
      "https://cw.example.com/",
    ]) {
      expect(resolveConnection(config({ ...values, "connectwise:site": site })).site).toBe(site);
    }
    await expect(ConnectWiseClient.connect({ ...connectionOf(sb), site: "http://cw.example.com" })).rejects.toThrow(
      /plain http:\/\/ is refused/,
    );
  });
});
