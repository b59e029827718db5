// Answers lost after the server acted: the sandbox's `loseAnswers` fault (the API carries out the
// request, then the connection is destroyed or a gateway's 502/504 comes back) and how the client
// classifies a failed request: `outcomeUnknown` when the server may have acted, not when it
// provably refused or never got the request. The object count comes from the sandbox's API.

import { ConnectWiseClient } from "../connectwise/client";
import { eq } from "../connectwise/conditions";
import { outcomeUnknown } from "../connectwise/errors";
import { SecurityRoleSchema } from "../connectwise/schemas";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { clientRejection as rejection } from "./client-harness";

let sb: RunningSandbox;
let ops: SandboxConsole;
let client: ConnectWiseClient;

const connectionOf = (s: RunningSandbox) => ({
  site: s.url,
  companyId: s.companyId,
  clientId: s.clientId,
  publicKey: s.publicKey,
  privateKey: s.privateKey,
});

const rolesNamed = (name: string) =>
  client.list("/system/securityroles", SecurityRoleSchema, { conditions: eq("name", name) });

beforeAll(async () => {
  sb = await startSandbox({ port: 0 });
  ops = new SandboxConsole(sb.consoleUrl);
  client = await ConnectWiseClient.connect(connectionOf(sb), { retryBaseMs: 1, retryMaxMs: 5 });
});

afterAll(() => sb.close());

afterEach(() => ops.setFaults({ loseAnswers: [] }));

describe("loseAnswers", () => {
  it("carries out the POST, drops the connection once, and the client reports the outcome unknown", async () => {
    await ops.resetRequests();
    await ops.loseAnswers({ method: "POST", path: "/system/securityroles" });
    const lost = await rejection(client.post("/system/securityroles", { name: "Lost Once" }, SecurityRoleSchema));
    expect(lost).toMatchObject({ status: undefined, code: "ECONNRESET", method: "POST", outcomeUnknown: true });
    expect(outcomeUnknown(lost)).toBe(true);
    expect(lost.message).toMatch(/not repeated/);
    // The role exists: the server acted before the answer was lost.
    expect(await rolesNamed("Lost Once")).toHaveLength(1);
    // Used up: the next POST is answered.
    expect((await ops.state()).faults.loseAnswers).toEqual([]);
    await client.post("/system/securityroles", { name: "Answered" }, SecurityRoleSchema);
    const posts = (await ops.requests()).entries.filter((e) => e.method === "POST");
    expect(posts.map((e) => [e.status, e.fault])).toEqual([
      [0, "lostAnswer"],
      [201, undefined],
    ]);
    expect(posts[0].responseBody).toMatchObject({ name: "Lost Once" });
  });

  it.each(["502", "504"] as const)(
    "answers a gateway %s after acting: outcome unknown, not repeated",
    async (reply) => {
      await ops.loseAnswers({ method: "post", path: "/SYSTEM/securityroles", reply });
      const name = `Gateway ${reply}`;
      const lost = await rejection(client.post("/system/securityroles", { name }, SecurityRoleSchema));
      expect(lost).toMatchObject({ status: Number(reply), outcomeUnknown: true });
      expect(await rolesNamed(name)).toHaveLength(1);
    },
  );

  it("matches `*` as one path segment and counts down", async () => {
    await ops.loseAnswers({ method: "GET", path: "/system/securityroles/*", count: 2 });
    const [role] = await rolesNamed("Admin");
    // GET is repeated after a lost answer: the third attempt is answered.
    expect((await client.get(`/system/securityroles/${role.id}`, SecurityRoleSchema)).name).toBe("Admin");
    expect((await ops.state()).faults.loseAnswers).toEqual([]);
    const gets = (await ops.requests()).entries.filter((e) => e.path === `/system/securityroles/${role.id}`);
    expect(gets.map((e) => e.fault)).toEqual(["lostAnswer", "lostAnswer", undefined]);
  });

  it("refuses a malformed rule, naming the shape", async () => {
    for (const bad of [{ method: "POST" }, { method: "POST", path: "x" }, { method: "POST", path: "/a", reply: "500" }])
      await expect(ops.setFaults({ loseAnswers: [bad as never] })).rejects.toThrow(/loseAnswers must be a list/);
    await expect(ops.setFaults({ loseAnswers: {} as never })).rejects.toThrow(/loseAnswers must be a list/);
  });
});

describe("reshape (a wrong-shaped answer)", () => {
  afterEach(() => ops.reshape());

  it("drops or replaces a field of matching answers only; the client refuses them naming the endpoint and field", async () => {
    const [admin] = await rolesNamed("Admin");
    const path = `/system/securityroles/${admin.id}`;
    await ops.reshape({ method: "GET", path: "/system/securityroles/*", field: "name" });
    const missing = await rejection(client.get(path, SecurityRoleSchema));
    expect(missing.message).toBe(`ConnectWise 200 InvalidResponse on GET ${path}: unexpected answer: name is missing`);
    // Only the matching path: the list is answered as it is.
    expect((await rolesNamed("Admin")).map((r) => r.name)).toEqual(["Admin"]);

    // One item of a list, a wrong-typed id.
    await ops.reshape({ method: "GET", path: "/system/securityroles", field: "id", value: "7", item: 0 });
    const wrongType = await rejection(client.list("/system/securityroles", SecurityRoleSchema));
    expect(wrongType.message).toContain(
      "on GET /system/securityroles: unexpected answer: securityroles[0].id: Invalid input: expected",
    );
    expect(wrongType.message).not.toContain('"7"'); // no value of the answer is quoted

    await ops.reshape();
    expect((await client.get(path, SecurityRoleSchema)).name).toBe("Admin");
  });

  it("refuses a malformed rule, naming the shape", async () => {
    for (const bad of [
      { method: "GET", path: "/a" },
      { method: "GET", path: "/a", field: "x", item: -1 },
    ])
      await expect(ops.setFaults({ reshape: [bad as never] })).rejects.toThrow(/reshape must be a list/);
  });
});

describe("outcomeUnknown", () => {
  it("is false for a refusal (4xx): nothing was created", async () => {
    const refused = await rejection(client.post("/system/securityroles", { name: "Admin" }, SecurityRoleSchema));
    expect(refused).toMatchObject({ status: 400, outcomeUnknown: false });
  });

  it("is false for a request that never left (connection refused)", async () => {
    const gone = await startSandbox({ port: 0 });
    const offline = await ConnectWiseClient.connect(connectionOf(gone), { maxRetries: 0 });
    await gone.close();
    // Let the keep-alive socket of the discovery see its close (a reused stale socket is a reset).
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refused = await rejection(offline.post("/system/securityroles", { name: "Nowhere" }, SecurityRoleSchema));
    expect(refused).toMatchObject({ status: undefined, code: "ECONNREFUSED", outcomeUnknown: false });
  });

  it("is true for a 503 on a POST: a gateway may answer after the server acted", async () => {
    await ops.setFaults({ rate503: 1 });
    const unavailable = await rejection(client.post("/system/securityroles", { name: "S503" }, SecurityRoleSchema));
    expect(unavailable).toMatchObject({ status: 503, outcomeUnknown: true });
    await ops.setFaults({ rate503: 0 });
  });
});
