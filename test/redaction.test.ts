// No credential in anything a failure shows: the message, String(err), JSON.stringify(err) and
// util.inspect(err) of failed calls of every kind (401, 403, 404, 400, 429, 503, invalid answer,
// timeout, dropped and refused connections), the client objects themselves, and everything
// written to the console or to stdout/stderr while the suite runs.

import * as util from "util";
import { ConnectWiseClient } from "../provider/connectwise/client";
import { Connection } from "../provider/connectwise/connection";
import { ConnectWiseError } from "../provider/connectwise/errors";
import { ApiMemberSchema, SecurityRoleSchema, SystemInfoSchema, TokenSchema } from "../provider/connectwise/schemas";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox, startSandbox } from "../sandbox/server";

const NO_FAULTS = { latencyMs: 0, rate429: 0, rate503: 0, rateDrop: 0, retryAfterSeconds: 1 };

let sb: RunningSandbox;
let ops: SandboxConsole;
let client: ConnectWiseClient;
const secrets: string[] = [];
const failures: { what: string; err: unknown }[] = [];
const written: string[] = [];
const restore: (() => void)[] = [];

function connectionOf(s: RunningSandbox, keys: { publicKey: string; privateKey: string } = s): Connection {
  return {
    site: s.url,
    companyId: s.companyId,
    clientId: s.clientId,
    publicKey: keys.publicKey,
    privateKey: keys.privateKey,
  };
}

function addSecrets(companyId: string, publicKey: string, privateKey: string): void {
  const basic = Buffer.from(`${companyId}+${publicKey}:${privateKey}`).toString("base64");
  secrets.push(publicKey, privateKey, basic);
}

async function fails(what: string, call: Promise<unknown>): Promise<ConnectWiseError> {
  try {
    await call;
  } catch (err) {
    failures.push({ what, err });
    expect(err).toBeInstanceOf(ConnectWiseError);
    return err as ConnectWiseError;
  }
  throw new Error(`${what}: expected a failure`);
}

/** Every way a failure can end up in a log or an engine message. */
function renderings(err: unknown): string[] {
  const e = err as Error;
  return [
    e.message,
    String(e),
    JSON.stringify(e),
    util.inspect(e),
    util.inspect(e, { showHidden: true, depth: null }),
    e.stack ?? "",
  ];
}

beforeAll(async () => {
  // Record (and still pass through) everything printed while the suite runs.
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    const spy = jest.spyOn(stream, "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      written.push(String(chunk));
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
    restore.push(() => spy.mockRestore());
  }
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    const spy = jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      written.push(args.map((a) => (typeof a === "string" ? a : util.inspect(a, { depth: null }))).join(" "));
    });
    restore.push(() => spy.mockRestore());
  }

  sb = await startSandbox({ port: 0 });
  ops = new SandboxConsole(sb.consoleUrl);
  addSecrets(sb.companyId, sb.publicKey, sb.privateKey);
  client = await ConnectWiseClient.connect(connectionOf(sb), { retryBaseMs: 1, retryMaxMs: 5 });
});

afterAll(async () => {
  await sb.close();
  for (const undo of restore) undo();
});

afterEach(() => ops.setFaults(NO_FAULTS));

describe("failed calls", () => {
  it("401: wrong private key, and a revoked key", async () => {
    const wrongPrivate = "WrongPrivateKey-0123456789";
    addSecrets(sb.companyId, sb.publicKey, wrongPrivate);
    const wrong = await ConnectWiseClient.connect(
      connectionOf(sb, { publicKey: sb.publicKey, privateKey: wrongPrivate }),
    );
    expect((await fails("401 wrong key", wrong.get("/system/info", SystemInfoSchema))).status).toBe(401);

    const key = await ops.createApiKey("admin", "revoked soon");
    addSecrets(sb.companyId, key.publicKey, key.privateKey);
    await ops.revokeApiKey("admin", key.publicKey);
    expect(
      (await fails("401 revoked", client.asMember(key.publicKey, key.privateKey).get("/system/info", SystemInfoSchema)))
        .status,
    ).toBe(401);
  });

  it("403: a member whose role grants nothing", async () => {
    const role = await client.post("/system/securityroles", { name: "Redaction Nobody" }, SecurityRoleSchema);
    await client.post(
      "/system/apiMembers",
      { identifier: "nobody1", name: "Nobody", securityRole: { id: role.id } },
      ApiMemberSchema,
    );
    const token = await client.post("/system/members/nobody1/tokens", undefined, TokenSchema);
    addSecrets(sb.companyId, token.publicKey, token.privateKey);
    const nobody = client.asMember(token.publicKey, token.privateKey);
    expect((await fails("403", nobody.list("/system/securityroles", SecurityRoleSchema))).status).toBe(403);
    expect(
      (await fails("403 post", nobody.post("/system/securityroles", { name: "x" }, SecurityRoleSchema))).status,
    ).toBe(403);
  });

  it("404, 400 and an answer that does not match its schema", async () => {
    expect((await fails("404", client.get("/system/apiMembers/999999", ApiMemberSchema))).status).toBe(404);
    await client.post("/system/securityroles", { name: "Redaction Dup" }, SecurityRoleSchema);
    expect(
      (await fails("400", client.post("/system/securityroles", { name: "Redaction Dup" }, SecurityRoleSchema))).status,
    ).toBe(400);
    expect((await fails("invalid answer", client.get("/system/info", TokenSchema))).code).toBe("InvalidResponse");
    const put = await fails("400 put", client.put("/system/apiMembers/101", { identifier: "admin" }, ApiMemberSchema));
    expect(put.status).toBeGreaterThanOrEqual(400);
  });

  it("429, 503, dropped connections and timeouts", async () => {
    const quick = await ConnectWiseClient.connect(connectionOf(sb), {
      maxRetries: 1,
      retryBaseMs: 1,
      retryMaxMs: 2,
      timeoutMs: 200,
    });
    await ops.setFaults({ rate429: 1, retryAfterSeconds: 0 });
    expect((await fails("429", quick.get("/system/info", SystemInfoSchema))).status).toBe(429);
    await ops.setFaults({ rate429: 0, rate503: 1 });
    expect((await fails("503", quick.post("/system/securityroles", { name: "R503" }, SecurityRoleSchema))).status).toBe(
      503,
    );
    await ops.setFaults({ rate503: 0, rateDrop: 1 });
    expect((await fails("drop", quick.get("/system/info", SystemInfoSchema))).code).toBe("ECONNRESET");
    expect(
      (await fails("drop post", quick.post("/system/securityroles", { name: "RDrop" }, SecurityRoleSchema))).code,
    ).toBe("ECONNRESET");
    await ops.setFaults({ rateDrop: 0, latencyMs: 600 });
    expect((await fails("timeout", quick.get("/system/info", SystemInfoSchema))).code).toBe("ETIMEDOUT");
    await ops.setFaults(NO_FAULTS);
    await new Promise((r) => setTimeout(r, 700)); // let the late answers finish server-side
  });

  it("a refused connection, with credentials ready to send", async () => {
    const gone = await startSandbox({ port: 0 });
    addSecrets(gone.companyId, gone.publicKey, gone.privateKey);
    const orphan = await ConnectWiseClient.connect(connectionOf(gone), { maxRetries: 1, retryBaseMs: 1 });
    await gone.close();
    const err = await fails("refused", orphan.get("/system/info", SystemInfoSchema));
    expect(err.status).toBeUndefined();
    expect(["ECONNREFUSED", "ECONNRESET"]).toContain(err.code);
    await fails(
      "refused discovery",
      ConnectWiseClient.connect({ ...connectionOf(gone), companyId: "elsewhere" }, { maxRetries: 0 }),
    );
  });
});

describe("nothing shows a credential", () => {
  it("collected failures of every kind", () => {
    const kinds = new Set(failures.map((f) => (f.err as ConnectWiseError).status ?? (f.err as ConnectWiseError).code));
    for (const kind of [400, 401, 403, 404, 429, 503, 200, "ECONNRESET", "ETIMEDOUT"]) expect(kinds).toContain(kind);
    expect(failures.some((f) => f.what === "refused")).toBe(true);
    expect(secrets.length).toBe(15); // 5 key pairs: public, private, Basic value
  });

  it("in any rendering of any failure", () => {
    const leaks = failures.flatMap(({ what, err }) =>
      renderings(err)
        .filter((text) => secrets.some((s) => text.includes(s)))
        .map((text) => `${what}: ${text.slice(0, 80)}`),
    );
    expect(leaks).toEqual([]);
  });

  it("in errors that carry nothing of the HTTP library", () => {
    for (const { err } of failures) {
      expect(Object.keys(err as object).sort()).toEqual([
        "code",
        "cwMessage",
        "errors",
        "method",
        "name",
        "path",
        "status",
      ]);
      expect((err as Error).cause).toBeUndefined();
    }
  });

  it("in the client objects themselves", () => {
    for (const c of [client, client.asMember("pubpubpubpub", "privprivpriv")]) {
      for (const text of [util.inspect(c, { showHidden: true, depth: null }), JSON.stringify(c), String(c)]) {
        for (const s of [
          ...secrets,
          "privprivpriv",
          Buffer.from(`sandbox+pubpubpubpub:privprivpriv`).toString("base64"),
        ])
          expect(text).not.toContain(s);
      }
    }
  });

  it("in anything written to the console, stdout or stderr during the suite", () => {
    const leaks = written.filter((text) => secrets.some((s) => text.includes(s)));
    expect(leaks).toEqual([]);
  });

  it("and the check would see one", () => {
    const leaky = new ConnectWiseError({
      status: 401,
      code: "Unauthorized",
      cwMessage: `bad key ${sb.privateKey}`,
      method: "GET",
      path: "/x",
    });
    expect(renderings(leaky).some((text) => secrets.some((s) => text.includes(s)))).toBe(true);
  });
});
