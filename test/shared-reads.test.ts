// Shared reads (connectwise/sharedReads.ts): within a process that turned them on (our
// provider server, one engine operation), sharing clients send an identical GET once; a write
// forgets every kept answer; other credentials, other URLs and non-sharing clients send their own.

import { z } from "zod";
import { ConnectWiseClient } from "../connectwise/client";
import { shareReadsInThisOperation } from "../connectwise/sharedReads";
import { ApiMemberSchema, MySecurityCustomizeItemSchema, SecurityRoleSchema } from "../connectwise/schemas";
import { SandboxConsole } from "../sandbox/console";
import type { RunningSandbox } from "../sandbox/server";
import { startHandlerSandbox } from "./handler-harness";
import { call } from "./sandbox-harness";

let sandbox: RunningSandbox;
let operator: SandboxConsole;
let client: ConnectWiseClient;
let memberId: number;

beforeAll(async () => {
  const started = await startHandlerSandbox();
  ({ sandbox, operator } = started);
  client = await ConnectWiseClient.connect({
    site: sandbox.url,
    companyId: sandbox.companyId,
    clientId: sandbox.clientId,
    publicKey: sandbox.publicKey,
    privateKey: sandbox.privateKey,
  });
  const created = await call(sandbox, "/system/apiMembers", {
    method: "POST",
    body: { identifier: "shared1", name: "Shared One" },
  });
  memberId = created.body.id;
});
afterAll(() => sandbox.close());
afterEach(() => shareReadsInThisOperation(false));

const Items = MySecurityCustomizeItemSchema.array();
const counts = async () => (await operator.requests()).counts;

describe("shared reads", () => {
  it("are off by default: a sharing client sends every read", async () => {
    await operator.resetRequests();
    const shared = client.sharingReads();
    await shared.get(`/system/apiMembers/${memberId}`, ApiMemberSchema);
    await shared.get(`/system/apiMembers/${memberId}`, ApiMemberSchema);
    expect(await counts()).toEqual({ "GET /system/apiMembers/{id}": 2 });
  });

  it("once on, an identical GET is sent once, for callers at the same time and later ones", async () => {
    shareReadsInThisOperation();
    await operator.resetRequests();
    const path = `/system/apiMembers/${memberId}`;
    const [a, b] = await Promise.all([
      client.sharingReads().get(path, ApiMemberSchema),
      client.sharingReads().get(path, ApiMemberSchema),
    ]);
    const c = await client.sharingReads().getOrUndefined(path, ApiMemberSchema);
    expect([a.identifier, b.identifier, c?.identifier]).toEqual(["shared1", "shared1", "shared1"]);
    // A client that does not share, and another query, send their own.
    await client.get(path, ApiMemberSchema);
    await client.sharingReads().get(path, z.looseObject({ id: z.number() }), { fields: "id" });
    expect(await counts()).toEqual({ "GET /system/apiMembers/{id}": 3 });
  });

  it("a 404 is kept as the answer; any write forgets every kept answer", async () => {
    shareReadsInThisOperation();
    await operator.resetRequests();
    const shared = client.sharingReads();
    expect(await shared.getOrUndefined("/system/securityroles/987654", SecurityRoleSchema)).toBeUndefined();
    expect(await shared.getOrUndefined("/system/securityroles/987654", SecurityRoleSchema)).toBeUndefined();
    const path = `/system/apiMembers/${memberId}`;
    await shared.get(path, ApiMemberSchema);
    await client.patch(path, [{ op: "replace", path: "name", value: "Shared Renamed" }], ApiMemberSchema);
    expect((await shared.get(path, ApiMemberSchema)).name).toBe("Shared Renamed");
    expect(await counts()).toEqual({
      "GET /system/securityroles/{id}": 1,
      "GET /system/apiMembers/{id}": 2,
      "PATCH /system/apiMembers/{id}": 1,
    });
  });

  it("keys answers by credentials: another member's identical GET is its own, and a 401 is kept", async () => {
    shareReadsInThisOperation();
    const key = await operator.createApiKey("shared1", "shared reads");
    await operator.resetRequests();
    const path = "/system/mySecurity/customizeItems/";
    await client.sharingReads().get(path, Items);
    const asKey = client.sharingReads().asMember(key.publicKey, key.privateKey);
    await asKey.get(path, Items);
    await asKey.get(path, Items);
    const wrong = client.sharingReads().asMember(key.publicKey, `${key.privateKey}x`);
    for (let i = 0; i < 2; i++) await expect(wrong.get(path, Items)).rejects.toMatchObject({ status: 401 });
    expect(await counts()).toEqual({ "GET /system/mySecurity/customizeItems": 3 });
  });
});
