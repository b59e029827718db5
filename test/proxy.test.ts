// Proxies, against a proxy written here that logs what it sees: an https site is reached through
// a CONNECT tunnel (the proxy sees host and port, never a request or its Authorization header), a
// loopback site is reached directly whatever the proxy variables say, and NO_PROXY is respected.
// The https site has a self-signed certificate for "cw.test" (made with openssl), trusted through
// the client's `ca` option; the proxy resolves cw.test to 127.0.0.1 itself, so the client can
// reach that name only through the proxy.

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { z } from "zod";
import { ConnectWiseClient, ClientOptions } from "../connectwise/client";
import { clientRejection as rejection } from "./client-harness";
import { ManualClock, until } from "./manual-clock";

const Info = z.looseObject({ version: z.string() });
const COMPANY = "proxyco";
const PUBLIC_KEY = "ProxyPublicKey123";
const PRIVATE_KEY = "ProxyPrivateKey456";
const BASIC = Buffer.from(`${COMPANY}+${PUBLIC_KEY}:${PRIVATE_KEY}`).toString("base64");
const PROXY_VARS = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"];

interface ProxyLogEntry {
  kind: "CONNECT" | "request";
  target: string;
  headers: http.IncomingHttpHeaders;
}

let cert: string;
let key: string;
let siteServer: https.Server;
let sitePort: number;
let plainServer: http.Server;
let plainPort: number;
/** Authorization headers the sites received. */
const siteSaw: string[] = [];
let proxyServer: http.Server;
let proxyPort: number;
let proxyLog: ProxyLogEntry[] = [];
/** Every byte the client sent into a tunnel. */
let tunneled: Buffer[] = [];
/** What the proxy answers to CONNECT; 200 opens the tunnel. */
let connectStatus = 200;
/** Tunnel sockets: the http server does not track them once it hands them to "connect". */
const tunnels = new Set<net.Socket>();

function siteHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.headers.authorization) siteSaw.push(req.headers.authorization);
  res.setHeader("Content-Type", "application/json");
  if (req.url?.startsWith("/login/companyinfo/")) res.end(JSON.stringify({ Codebase: "v4_6_release/" }));
  else res.end(JSON.stringify({ version: "v2025.8" }));
}

const listen = (server: net.Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)),
  );

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-proxy-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=cw.test",
      "-addext",
      "subjectAltName=DNS:cw.test,DNS:localhost,IP:127.0.0.1",
      "-keyout",
      path.join(dir, "key.pem"),
      "-out",
      path.join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  cert = fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
  key = fs.readFileSync(path.join(dir, "key.pem"), "utf8");
  fs.rmSync(dir, { recursive: true, force: true });

  siteServer = https.createServer({ key, cert }, siteHandler);
  sitePort = await listen(siteServer);
  plainServer = http.createServer(siteHandler);
  plainPort = await listen(plainServer);

  proxyServer = http.createServer((req, res) => {
    // A forward-proxy request (absolute URI): exactly what must never happen.
    proxyLog.push({ kind: "request", target: req.url ?? "", headers: req.headers });
    res.writeHead(502).end();
  });
  proxyServer.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = req.url ?? "";
    proxyLog.push({ kind: "CONNECT", target, headers: req.headers });
    if (connectStatus !== 200) {
      client.end(`HTTP/1.1 ${connectStatus} Refused\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const [host, port] = target.split(":");
    const upstream = net.connect(Number(port), host === "cw.test" ? "127.0.0.1" : host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) upstream.write(head);
      client.on("data", (chunk: Buffer) => tunneled.push(chunk));
      client.pipe(upstream).pipe(client);
    });
    tunnels.add(client).add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", close);
    upstream.on("close", close);
    upstream.on("error", close);
    client.on("error", close);
  });
  proxyPort = await listen(proxyServer);
});

/** Closes every open connection, so the next call has to open (and tunnel) a new one. */
async function dropConnections(): Promise<void> {
  for (const socket of tunnels) socket.destroy();
  tunnels.clear();
  for (const server of [siteServer, plainServer, proxyServer]) server.closeAllConnections();
  // Let the client's pooled sockets see the close before anything reuses them.
  await new Promise((r) => setTimeout(r, 50));
}

afterAll(async () => {
  await dropConnections();
  for (const server of [siteServer, plainServer, proxyServer]) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

let saved: Record<string, string | undefined>;
beforeEach(async () => {
  await dropConnections();
  saved = Object.fromEntries(PROXY_VARS.map((name) => [name, process.env[name]]));
  for (const name of PROXY_VARS) delete process.env[name];
  proxyLog = [];
  tunneled = [];
  siteSaw.length = 0;
  connectStatus = 200;
});
afterEach(() => {
  for (const name of PROXY_VARS) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

let discoveries = 0;
/** A client of a company not seen before, so its codebase discovery goes the same way as its calls. */
async function connect(site: string, options: ClientOptions = {}): Promise<ConnectWiseClient> {
  discoveries++;
  const companyId = `${COMPANY}${discoveries}`;
  const client = await ConnectWiseClient.connect(
    { site, companyId: `${companyId}`, clientId: "cid", publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY },
    { ca: cert, maxRetries: 0, ...options },
  );
  return client;
}

const proxyUrl = () => `http://127.0.0.1:${proxyPort}`;
const credentialsIn = (text: string) => [PUBLIC_KEY, PRIVATE_KEY, "Basic "].filter((s) => text.includes(s));

describe("an https site behind HTTPS_PROXY", () => {
  it("is reached through CONNECT: the proxy sees host and port, never the request or its Authorization", async () => {
    process.env.HTTPS_PROXY = proxyUrl();
    const client = await connect(`https://cw.test:${sitePort}`);
    expect((await client.get("/system/info", Info)).version).toBe("v2025.8");

    expect(proxyLog.length).toBeGreaterThanOrEqual(1);
    for (const entry of proxyLog) {
      expect(entry.kind).toBe("CONNECT");
      expect(entry.target).toBe(`cw.test:${sitePort}`);
      expect(Object.keys(entry.headers).map((h) => h.toLowerCase())).not.toContain("authorization");
      expect(credentialsIn(JSON.stringify(entry))).toEqual([]);
    }
    // The tunnel carried the request, encrypted: none of it is readable to the proxy.
    const bytes = Buffer.concat(tunneled);
    expect(bytes.length).toBeGreaterThan(0);
    for (const secret of [PUBLIC_KEY, PRIVATE_KEY, BASIC, "/system/info", "GET "])
      expect(bytes.includes(secret)).toBe(false);
    // And the site itself got the credentials.
    expect(siteSaw).toContain(
      `Basic ${Buffer.from(`${COMPANY}${discoveries}+${PUBLIC_KEY}:${PRIVATE_KEY}`).toString("base64")}`,
    );
  });

  it("reads https_proxy too, and still checks the site's certificate through the tunnel", async () => {
    process.env.https_proxy = proxyUrl();
    const untrusting = connect(`https://cw.test:${sitePort}`, { ca: undefined });
    const err = await rejection(untrusting);
    expect(err.status).toBeUndefined();
    expect(err.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
    expect(proxyLog.map((e) => e.kind)).toEqual(["CONNECT"]);
  });

  it("sends the proxy's own user:password as Proxy-Authorization, and keeps it out of errors", async () => {
    process.env.HTTPS_PROXY = `http://proxyuser:proxy%20secret@127.0.0.1:${proxyPort}`;
    connectStatus = 407;
    const err = await rejection(connect(`https://cw.test:${sitePort}`, { maxRetries: 3 }));
    expect(err.code).toBe("EPROXY");
    expect(err.message).toContain(`the proxy 127.0.0.1:${proxyPort} answered 407 to CONNECT cw.test:${sitePort}`);
    expect(err.message).not.toMatch(/proxyuser|secret/);
    expect(proxyLog).toHaveLength(1); // a refusal is not retried
    expect(proxyLog[0].headers["proxy-authorization"]).toBe(
      `Basic ${Buffer.from("proxyuser:proxy secret").toString("base64")}`,
    );
  });

  it("tries again when the proxy cannot reach the site (502): nothing was sent to it", async () => {
    process.env.HTTPS_PROXY = proxyUrl();
    connectStatus = 502;
    const err = await rejection(connect(`https://cw.test:${sitePort}`, { maxRetries: 2, retryBaseMs: 1 }));
    expect(err.code).toBe("EPROXYUNAVAILABLE");
    expect(proxyLog.map((e) => e.kind)).toEqual(["CONNECT", "CONNECT", "CONNECT"]);
  });

  it("gives up at the limit per request when the proxy never answers CONNECT", async () => {
    const sockets = new Set<net.Socket>();
    const mute = net.createServer((socket) => void sockets.add(socket));
    const port = await listen(mute);
    process.env.HTTPS_PROXY = `http://127.0.0.1:${port}`;
    const clock = new ManualClock();
    try {
      const failing = rejection(
        connect(`https://cw.test:${sitePort}`, {
          totalTimeoutMs: 800,
          timeoutMs: 300,
          maxRetries: 10,
          retryBaseMs: 0,
          retryMaxMs: 0,
          clock,
        }),
      );
      // Attempts of 300, 300 and the 200 left, each a new CONNECT the proxy never answers.
      for (const [n, ms] of [300, 300, 200].entries()) {
        await until(() => sockets.size === n + 1, `CONNECT ${n + 1} at the proxy`);
        await clock.advance(ms);
      }
      const err = await failing;
      expect(err.code).toBe("ETIMEDOUT");
      expect(err.message).toMatch(/gave up: the 0\.8 s limit per request is spent, after 3 attempts/);
      expect(sockets.size).toBe(3);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => mute.close(r));
    }
  });

  it("refuses a proxy URL it cannot tunnel through, without repeating the variable", async () => {
    process.env.HTTPS_PROXY = `https://user:pw@127.0.0.1:${proxyPort}`;
    await expect(connect(`https://cw.test:${sitePort}`)).rejects.toThrow(
      /^HTTPS_PROXY uses https:\/\/; only an http:\/\/ proxy is supported/,
    );
    await expect(connect(`https://cw.test:${sitePort}`)).rejects.not.toThrow(/pw/);
    expect(proxyLog).toEqual([]);
  });
});

describe("sites reached directly", () => {
  beforeEach(() => {
    for (const name of ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"]) process.env[name] = proxyUrl();
  });

  it("a loopback http site, whatever HTTPS_PROXY and HTTP_PROXY say", async () => {
    const client = await connect(`http://127.0.0.1:${plainPort}`);
    expect((await client.get("/system/info", Info)).version).toBe("v2025.8");
    const byName = await connect(`http://localhost:${plainPort}`);
    expect((await byName.get("/system/info", Info)).version).toBe("v2025.8");
    expect(siteSaw.length).toBe(2);
    expect(proxyLog).toEqual([]);
  });

  it("a loopback https site", async () => {
    for (const host of ["127.0.0.1", "localhost"]) {
      const client = await connect(`https://${host}:${sitePort}`);
      expect((await client.get("/system/info", Info)).version).toBe("v2025.8");
    }
    expect(proxyLog).toEqual([]);
  });

  it("a site NO_PROXY names (so cw.test is looked up in DNS, where it does not exist)", async () => {
    for (const [name, value] of [
      ["NO_PROXY", "cw.test"],
      ["no_proxy", "example.com, .test"],
      ["NO_PROXY", `*.TEST:${sitePort}`],
      ["NO_PROXY", "*"],
    ]) {
      delete process.env.NO_PROXY;
      delete process.env.no_proxy;
      process.env[name] = value;
      const err = await rejection(connect(`https://cw.test:${sitePort}`));
      expect(["ENOTFOUND", "EAI_AGAIN"]).toContain(err.code);
    }
    expect(proxyLog).toEqual([]);
  });

  it("but not a site NO_PROXY does not name", async () => {
    for (const value of ["example.com", "other.test", `cw.test:${sitePort + 1}`, "w.test"]) {
      process.env.NO_PROXY = value;
      const client = await connect(`https://cw.test:${sitePort}`);
      expect((await client.get("/system/info", Info)).version).toBe("v2025.8");
      await dropConnections();
    }
    expect(proxyLog.length).toBeGreaterThanOrEqual(4);
    expect(proxyLog.every((e) => e.kind === "CONNECT")).toBe(true);
  });
});
