// No credential in anything a failure shows: the message, String(err), JSON.stringify(err) and
// util.inspect(err) of failed calls of every kind (401, 403, 404, 400, 429, 503, invalid answer,
// timeout, dropped and refused connections; a site that never answers, with its stderr notice,
// a body cut mid-stream, an answer over the size cap, a proxy refusing CONNECT), the client
// objects themselves, and everything written to the console or to stdout/stderr while the suite
// runs.

import * as http from "http";
import { AddressInfo } from "net";
import * as util from "util";
import { ConnectWiseClient } from "../connectwise/client";
import { Connection } from "../connectwise/connection";
import { ConnectWiseError } from "../connectwise/errors";
import { connectionSecrets, scrub, Scrubber } from "../connectwise/scrub";
import { redact } from "../cli/fleet/fleetReport";
import { secretsOf } from "../cli/shared/stackConnection";
import { ApiMemberSchema, SecurityRoleSchema, SystemInfoSchema, TokenSchema } from "../connectwise/schemas";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { until } from "./manual-clock";

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
    const spy = jest.spyOn(stream, "write").mockImplementation((chunk: unknown, ...rest: unknown[]) => {
      written.push(String(chunk));
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    });
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
    const patch = await fails(
      "400 patch",
      client.patch("/system/apiMembers/101", [{ op: "replace", path: "identifier", value: "" }], ApiMemberSchema),
    );
    expect(patch.status).toBeGreaterThanOrEqual(400);
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
    const answeredLate = async () =>
      (await ops.requests()).entries.filter((e) => e.path === "/system/info" && e.status === 200).length;
    const before = await answeredLate();
    expect((await fails("timeout", quick.get("/system/info", SystemInfoSchema))).code).toBe("ETIMEDOUT");
    await ops.setFaults(NO_FAULTS);
    // The sandbox answers both attempts late, to nobody: wait for that, so nothing is left running.
    await until(async () => (await answeredLate()) === before + 2, "the two late answers in the log");
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

describe("failed calls at the limits", () => {
  const PROXY_PASSWORD = "ProxyPassword-987654";
  let server: http.Server;
  let site: string;

  beforeAll(async () => {
    // Discovery answers like ConnectWise; the API misbehaves by path.
    server = http.createServer((req, res) => {
      const url = req.url ?? "";
      if (url.startsWith("/login/companyinfo/")) return void res.end(JSON.stringify({ Codebase: "v4_6_release/" }));
      if (url.includes("/hang")) return;
      if (url.includes("/echo")) {
        // An error message that repeats the credentials: the Basic token and the key pair in it.
        const token = (req.headers.authorization ?? "").replace(/^Basic /, "");
        const [, keys = ""] = Buffer.from(token, "base64").toString().split("+");
        const [publicKey, privateKey] = keys.split(":");
        res.writeHead(400, { "Content-Type": "application/json" });
        return void res.end(JSON.stringify({ code: "Bad", message: `token ${token} for ${publicKey}:${privateKey}` }));
      }
      if (url.includes("/cut")) {
        res.writeHead(200, { "Content-Length": "100" });
        res.write(`{"echo":"${req.headers.authorization ?? ""}`);
        return void setTimeout(() => res.socket?.destroy(), 20);
      }
      if (url.includes("/huge")) {
        res.writeHead(200, { "Content-Length": String(64 * 1024 * 1024) });
        return void res.write(`{"echo":"${req.headers.authorization ?? ""}`);
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    site = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("a site that never answers, with a notice on stderr", async () => {
    const slow = await ConnectWiseClient.connect(
      { ...connectionOf(sb), site },
      { totalTimeoutMs: 600, slowNoticeMs: 200, timeoutMs: 250, retryBaseMs: 1, retryMaxMs: 2 },
    );
    expect((await fails("hang", slow.get("/system/hang", SystemInfoSchema))).code).toBe("ETIMEDOUT");
    expect(written.some((text) => text.startsWith("connectwise: still waiting for GET /system/hang"))).toBe(true);
  });

  it("a body cut mid-stream and an answer over the size cap, each echoing the Authorization header", async () => {
    const limited = await ConnectWiseClient.connect({ ...connectionOf(sb), site }, { maxRetries: 1, retryBaseMs: 1 });
    expect((await fails("cut", limited.get("/system/cut", SystemInfoSchema))).code).toBe("ECONNRESET");
    expect((await fails("huge", limited.get("/system/huge", SystemInfoSchema))).code).toBe("ERESPONSETOOLARGE");
  });

  it("an error message repeating the Basic token and both keys", async () => {
    const echoing = await ConnectWiseClient.connect({ ...connectionOf(sb), site }, { maxRetries: 0 });
    const err = await fails("echo", echoing.get("/system/echo", SystemInfoSchema));
    expect(err.status).toBe(400);
    expect(err.cwMessage).toBe("token *** for ***:***");
  });

  it("a proxy refusing CONNECT, its own password kept out too", async () => {
    const proxy = http.createServer();
    proxy.on("connect", (_req, socket: import("net").Socket) =>
      socket.end("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n"),
    );
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const saved = process.env.HTTPS_PROXY;
    process.env.HTTPS_PROXY = `http://user:${PROXY_PASSWORD}@127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const behind = await ConnectWiseClient.connect({ ...connectionOf(sb), site }, { maxRetries: 0 });
      // The client is made (its codebase came from the loopback site); a call to an https site is not.
      expect(behind.tenant).toContain("127.0.0.1");
      const err = await fails(
        "proxy 407",
        ConnectWiseClient.connect({ ...connectionOf(sb), site: "https://cw.example.invalid" }, { maxRetries: 0 }),
      );
      expect(err.code).toBe("EPROXY");
      for (const text of renderings(err)) expect(text).not.toContain(PROXY_PASSWORD);
    } finally {
      if (saved === undefined) delete process.env.HTTPS_PROXY;
      else process.env.HTTPS_PROXY = saved;
      await new Promise((r) => proxy.close(r));
    }
  });
});

describe("one scrubbing policy (connectwise/scrub.ts): the client, the commands and the fleet's report", () => {
  const connection = { companyId: "acme", publicKey: "PubKey0123456789", privateKey: "PrivKey987654321" };
  const token = Buffer.from("acme+PubKey0123456789:PrivKey987654321").toString("base64");

  it("name the same secrets of a connection: the key pair and the Basic token", () => {
    expect(connectionSecrets(connection).sort()).toEqual([connection.privateKey, connection.publicKey, token].sort());
    expect(secretsOf({ ...connection, site: "http://127.0.0.1:1", clientId: "c" })).toEqual(
      connectionSecrets(connection),
    );
  });

  it("never leave a key in what they print or write, however the keys sit in the text", () => {
    // A key that contains another (a state key, a config secret), keys back to back, repeated,
    // and inside words; 500 texts built at random from them.
    const inner = connection.publicKey.slice(0, 8);
    const secrets = [...connectionSecrets(connection), inner, `${connection.publicKey}-rotated`];
    const pieces = [...secrets, "key ", ":", " and ", "x", "Basic ", "\n", "PubKey", "***"];
    let seed = 17;
    const next = () => (seed = (seed * 48271) % 2147483647);
    const scrubber = new Scrubber().add(...connectionSecrets(connection));
    scrubber.add(inner, `${connection.publicKey}-rotated`);
    for (let i = 0; i < 500; i++) {
      const text = Array.from({ length: 1 + (next() % 12) }, () => pieces[next() % pieces.length]).join("");
      const report = { stacks: [{ errors: [text], drift: [{ live: text }] }] };
      const outputs = [scrub(text, secrets), scrubber.text(text), JSON.stringify(redact(report, secrets))];
      for (const out of outputs) for (const secret of secrets) expect(out.includes(secret)).toBe(false);
    }
  });

  it("mask the longest first, so a key containing another is not left half-shown; shorter values are no key", () => {
    const inner = connection.publicKey.slice(0, 8);
    const text = `key ${connection.publicKey} and ${inner}`;
    expect(scrub(text, [inner, connection.publicKey])).toBe("key *** and ***");
    expect(redact({ e: text }, [inner, connection.publicKey])).toEqual({ e: "key [secret] and [secret]" });
    expect(scrub("abc and ab", ["abc", "ab", ""])).toBe("abc and ab");
  });
});

describe("nothing shows a credential", () => {
  it("collected failures of every kind", () => {
    const kinds = new Set(failures.map((f) => (f.err as ConnectWiseError).status ?? (f.err as ConnectWiseError).code));
    for (const kind of [400, 401, 403, 404, 429, 503, 200, "ECONNRESET", "ETIMEDOUT"]) expect(kinds).toContain(kind);
    expect(failures.some((f) => f.what === "refused")).toBe(true);
    expect(secrets.length).toBe(15); // 5 key pairs: public, private, Basic value
  });

  it("collected the failures at the limits too", () => {
    const codes = new Set(failures.map((f) => (f.err as ConnectWiseError).code));
    for (const code of ["ETIMEDOUT", "ECONNRESET", "ERESPONSETOOLARGE", "EPROXY"]) expect(codes).toContain(code);
    expect(failures.filter((f) => ["hang", "cut", "huge", "echo", "proxy 407"].includes(f.what))).toHaveLength(5);
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
        "outcomeUnknown",
        "path",
        "status",
      ]);
      expect((err as Error).cause).toBeUndefined();
    }
  });

  it("in the client objects themselves", () => {
    for (const c of [client, client.asMember("pubpubpubpub", "privprivpriv")]) {
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- what a careless log line shows
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
