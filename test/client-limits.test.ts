// Limits on what a ConnectWise site sends, against real local servers that misbehave: a site that
// never answers (the limit per request, retries included, and the one-line notice), bodies cut
// mid-stream, answers over the size cap, and a Link rel="next" chain that never ends. What the
// server saw is counted by the server.

import * as http from "http";
import * as net from "net";
import { AddressInfo } from "net";
import { z } from "zod";
import { ConnectWiseClient, ClientOptions } from "../connectwise/client";
import { MAX_PAGES } from "../connectwise/paging";
import { SecurityRoleSchema } from "../connectwise/schemas";
import { MAX_BODY_BYTES } from "../connectwise/transport";
import { clientRejection as rejection } from "./client-harness";
import { ManualClock, until } from "./manual-clock";

const Info = z.looseObject({ version: z.string() });
const PUBLIC_KEY = "LimitsPublicKey1";
const PRIVATE_KEY = "LimitsPrivateKey1";
const FAST_RETRIES = { retryBaseMs: 1, retryMaxMs: 5 };
/** Retries at once (a zero wait), so the attempts fall where a ManualClock test puts them. */
const NO_BACKOFF = { retryBaseMs: 0, retryMaxMs: 0 };

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, nth: number) => void;

interface Site {
  url: string;
  /** "METHOD /path" of every request under /apis/3.0, in arrival order. */
  seen: string[];
  close(): Promise<void>;
}

/** A site that answers discovery like ConnectWise and hands every API request to `handler`. */
async function site(handler: Handler): Promise<Site> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path.startsWith("/login/companyinfo/")) {
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ Codebase: "v4_6_release/" }));
      return;
    }
    const apiPath = path.replace(/^\/v4_6_release\/apis\/3\.0/, "");
    seen.push(`${req.method} ${apiPath}`);
    handler(req, res, seen.length);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let company = 0;
function connect(s: Site, options: ClientOptions = {}): Promise<ConnectWiseClient> {
  // A new company each time, so each client discovers its codebase at its own site.
  company++;
  return ConnectWiseClient.connect(
    { site: s.url, companyId: `limits${company}`, clientId: "cid", publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY },
    { ...FAST_RETRIES, ...options },
  );
}

const json = (res: http.ServerResponse, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(200, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};

/** Lines written to stderr while `run` runs (still passed through). */
async function stderrDuring<T>(run: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  const spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk: unknown, ...rest: unknown[]) => {
    lines.push(String(chunk));
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  });
  try {
    return { result: await run(), lines };
  } finally {
    spy.mockRestore();
  }
}

const sites: Site[] = [];
async function track(s: Promise<Site>): Promise<Site> {
  const made = await s;
  sites.push(made);
  return made;
}
afterAll(() => Promise.all(sites.map((s) => s.close())));

describe("a site that never answers", () => {
  const hang: Handler = () => undefined;

  // These run on a ManualClock: time passes only when the test advances it, once the site has
  // the request, so each attempt's timeout, the notice and the limit fall where the test says.

  it("fails within the limit per request, retries included, and says once on stderr what it waits for", async () => {
    const s = await track(site(hang));
    const clock = new ManualClock();
    // Attempts of 400 ms: several fit in 1.5 s, and the limit, not maxRetries, ends the call.
    const client = await connect(s, {
      totalTimeoutMs: 1500,
      slowNoticeMs: 500,
      timeoutMs: 400,
      maxRetries: 50,
      ...NO_BACKOFF,
      clock,
    });
    const { result: err, lines } = await stderrDuring(async () => {
      const failing = rejection(client.get("/system/info", Info));
      // 0-400, 400-800, 800-1200, and what is left of the limit: 1200-1500.
      for (const [n, ms] of [400, 400, 400, 300].entries()) {
        await until(() => s.seen.length === n + 1, `attempt ${n + 1} at the site`);
        await clock.advance(ms);
      }
      return failing;
    });
    expect(clock.now()).toBe(1500);
    expect(err).toMatchObject({ status: undefined, code: "ETIMEDOUT", method: "GET", path: "/system/info" });
    expect(err.message).toMatch(/gave up: the 1\.5 s limit per request is spent, after 4 attempts/);
    expect(s.seen).toEqual(Array(4).fill("GET /system/info"));

    const notices = lines.filter((l) => l.startsWith("connectwise:"));
    expect(notices).toEqual([
      `connectwise: still waiting for GET /system/info on ${new URL(s.url).host} (0.5 s, attempt 2; gives up after 1.5 s)\n`,
    ]);
  });

  it("cuts a single long attempt short at the limit per request", async () => {
    const s = await track(site(hang));
    const clock = new ManualClock();
    // The per-attempt timeout (default 30 s) is longer than the whole limit.
    const client = await connect(s, { totalTimeoutMs: 1000, slowNoticeMs: 300, clock });
    const { result: err, lines } = await stderrDuring(async () => {
      const failing = rejection(client.get("/system/info", Info));
      await until(() => s.seen.length === 1, "the request at the site");
      await clock.advance(1000);
      return failing;
    });
    expect(err.code).toBe("ETIMEDOUT");
    expect(err.message).toMatch(
      /no answer within 1000 ms \[gave up: the 1 s limit per request is spent, after 1 attempt/,
    );
    expect(s.seen).toEqual(["GET /system/info"]);
    expect(lines.filter((l) => l.startsWith("connectwise:"))).toEqual([
      `connectwise: still waiting for GET /system/info on ${new URL(s.url).host} (0.3 s; gives up after 1 s)\n`,
    ]);
  });

  it("holds for an https site that accepts the connection and never starts TLS", async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const clock = new ManualClock();
    try {
      const failing = rejection(
        ConnectWiseClient.connect(
          {
            site: `https://127.0.0.1:${(silent.address() as AddressInfo).port}`,
            companyId: "silentco",
            clientId: "cid",
            publicKey: PUBLIC_KEY,
            privateKey: PRIVATE_KEY,
          },
          { ...NO_BACKOFF, totalTimeoutMs: 800, timeoutMs: 300, slowNoticeMs: 60_000, clock },
        ),
      );
      // Attempts of 300, 300 and the 200 left; each on a new connection.
      for (const [n, ms] of [300, 300, 200].entries()) {
        await until(() => sockets.size === n + 1, `connection ${n + 1}`);
        await clock.advance(ms);
      }
      const err = await failing;
      expect(err).toMatchObject({ code: "ETIMEDOUT", path: "/login/companyinfo/silentco" });
      expect(err.message).toMatch(/gave up: the 0\.8 s limit per request is spent, after 3 attempts/);
      expect(sockets.size).toBe(3);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it("does not repeat a POST that got no answer", async () => {
    const s = await track(site(hang));
    const clock = new ManualClock();
    const client = await connect(s, { totalTimeoutMs: 1000, timeoutMs: 300, slowNoticeMs: 60_000, clock });
    const failing = rejection(client.post("/system/securityroles", { name: "x" }, SecurityRoleSchema));
    await until(() => s.seen.length === 1, "the POST at the site");
    await clock.advance(300);
    const err = await failing;
    expect(err.code).toBe("ETIMEDOUT");
    expect(err.message).toMatch(/not repeated/);
    expect(s.seen).toEqual(["POST /system/securityroles"]);
  });

  it("prints nothing for a request answered before the notice", async () => {
    const held: http.ServerResponse[] = [];
    const s = await track(site((_req, res) => void held.push(res)));
    const clock = new ManualClock();
    const client = await connect(s, { slowNoticeMs: 600, clock });
    const { result, lines } = await stderrDuring(async () => {
      const answered = client.get("/system/info", Info);
      await until(() => held.length === 1, "the request at the site");
      await clock.advance(599);
      json(held[0], { version: "v2025.8" });
      return answered;
    });
    expect(result.version).toBe("v2025.8");
    expect(lines.filter((l) => l.startsWith("connectwise:"))).toEqual([]);
  });

  it("keeps counting across retries: a site that answers 503 slowly is given up on at the limit", async () => {
    const clock = new ManualClock();
    // Each 503 comes 200 ms (of the test's clock) after the request.
    const s = await track(
      site((_req, res) => void clock.setTimeout(() => res.writeHead(503, { "Retry-After": "0" }).end(), 200)),
    );
    const client = await connect(s, { totalTimeoutMs: 1100, slowNoticeMs: 60_000, maxRetries: 50, clock });
    const failing = rejection(client.get("/system/info", Info));
    // Five 503s spend 1 s; the sixth attempt gets the 100 ms left, and its 503 would come later.
    for (let n = 1; n <= 6; n++) {
      await until(() => s.seen.length === n, `attempt ${n} at the site`);
      await clock.advance(200);
    }
    const err = await failing;
    expect(clock.now()).toBe(1200);
    expect(err).toMatchObject({ status: undefined, code: "ETIMEDOUT" });
    expect(err.message).toMatch(/gave up: the 1\.1 s limit per request is spent, after 6 attempts/);
    expect(s.seen).toHaveLength(6);
  });
});

describe("a body cut mid-stream", () => {
  /** The first `cuts` answers stop after 40 of the declared 100 bytes; then a whole answer. */
  const cutThenWhole =
    (cuts: number, declare: boolean): Handler =>
    (_req, res, nth) => {
      if (nth > cuts) return json(res, { version: "v2025.8" });
      res.writeHead(200, { "Content-Type": "application/json", ...(declare ? { "Content-Length": "100" } : {}) });
      res.write(`{"version":"${"x".repeat(28)}`); // 40 bytes
      setTimeout(() => res.socket?.destroy(), 20);
    };

  it("is retried on GET like a dropped connection (Content-Length and chunked)", async () => {
    for (const declare of [true, false]) {
      const s = await track(site(cutThenWhole(2, declare)));
      const client = await connect(s);
      expect((await client.get("/system/info", Info)).version).toBe("v2025.8");
      expect(s.seen).toEqual(["GET /system/info", "GET /system/info", "GET /system/info"]);
    }
  });

  it("fails with ECONNRESET saying how much arrived when retries run out, and a POST is not repeated", async () => {
    const s = await track(site(cutThenWhole(100, true)));
    const client = await connect(s, { maxRetries: 1 });
    const err = await rejection(client.get("/system/info", Info));
    expect(err).toMatchObject({ status: undefined, code: "ECONNRESET", method: "GET" });
    expect(err.message).toMatch(/closed after 40 of 100 bytes of the answer \[after 2 attempts\]/);
    const post = await rejection(client.post("/system/securityroles", { name: "x" }, SecurityRoleSchema));
    expect(post.code).toBe("ECONNRESET");
    expect(post.message).toMatch(/not repeated/);
    expect(s.seen).toEqual(["GET /system/info", "GET /system/info", "POST /system/securityroles"]);
  });
});

describe("an answer over the size cap", () => {
  it("is 32 MiB", () => {
    expect(MAX_BODY_BYTES).toBe(32 * 1024 * 1024);
  });

  it("is refused unread when its Content-Length says so, and not retried", async () => {
    const s = await track(
      site((_req, res) => {
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": String(MAX_BODY_BYTES + 1) });
        res.write("[");
      }),
    );
    const client = await connect(s);
    const err = await rejection(client.get("/system/info", Info));
    expect(err).toMatchObject({ status: undefined, code: "ERESPONSETOOLARGE", method: "GET", path: "/system/info" });
    expect(err.message).toContain(`declares ${MAX_BODY_BYTES + 1} bytes, over the ${MAX_BODY_BYTES} byte cap`);
    expect(s.seen).toHaveLength(1);
  });

  it("is cut off at the cap when it comes without a length, and the server sees the connection closed", async () => {
    let sent = 0;
    let closedAt = -1;
    const s = await track(
      site((_req, res) => {
        res.writeHead(200, { "Content-Type": "application/json" });
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        res.on("close", () => (closedAt = sent));
        const pump = () => {
          while (closedAt < 0 && sent < 4 * MAX_BODY_BYTES) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once("drain", pump);
          }
          res.end();
        };
        pump();
      }),
    );
    const client = await connect(s);
    const err = await rejection(client.get("/system/info", Info));
    expect(err.code).toBe("ERESPONSETOOLARGE");
    expect(err.message).toContain(`passed the ${MAX_BODY_BYTES} byte cap`);
    expect(s.seen).toHaveLength(1);
    for (let i = 0; i < 100 && closedAt < 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(closedAt).toBeGreaterThan(0);
    expect(closedAt).toBeLessThan(2 * MAX_BODY_BYTES);
  });

  it("is accepted just under the cap", async () => {
    const big = JSON.stringify({ version: "v", pad: "y".repeat(MAX_BODY_BYTES - 40) });
    expect(big.length).toBeLessThanOrEqual(MAX_BODY_BYTES);
    const s = await track(site((_req, res) => json(res, JSON.parse(big))));
    const client = await connect(s);
    expect((await client.get("/system/info", Info)).version).toBe("v");
  });
});

describe('a Link rel="next" chain', () => {
  /** One role per page, each page linking to the next until `last` (Infinity: never ends). */
  const chain =
    (last: number): Handler =>
    (req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      const page = Number(url.searchParams.get("page"));
      const headers: Record<string, string> =
        page < last ? { Link: `<${url.pathname}?page=${page + 1}&pageSize=1000>; rel="next"` } : {};
      json(res, [{ id: page, name: `Role ${page}` }], headers);
    };

  // A chain that ends on page MAX_PAGES returns normally: the bound is checked only when a
  // page links to one more (not tested: it costs another thousand requests).
  it(`that goes on past ${MAX_PAGES} pages is stopped with an error after page ${MAX_PAGES}`, async () => {
    const s = await track(site(chain(Infinity)));
    const client = await connect(s);
    const err = await rejection(client.list("/system/securityroles", SecurityRoleSchema));
    expect(err).toMatchObject({ status: 200, code: "InvalidResponse", path: "/system/securityroles" });
    expect(err.message).toContain(`the Link rel="next" chain goes on past ${MAX_PAGES} pages`);
    expect(s.seen).toHaveLength(MAX_PAGES);
  });
});
