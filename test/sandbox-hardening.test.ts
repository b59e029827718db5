// The sandbox's guards, over real HTTP: the console answers only loopback (peer and Host) and
// only JSON bodies; a non-loopback --host needs --allow-remote; 413 for large bodies; 400 for
// malformed percent escapes and deeply nested JSON; a corrupt --state file stops the start.

import { spawn } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { request } from "http";
import { networkInterfaces, tmpdir } from "os";
import { join } from "path";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { basic, call } from "./sandbox-harness";

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** One request with full control over the path (sent as is), headers (Host included) and body. */
function raw(
  base: string,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; connectTo?: string } = {},
): Promise<RawReply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: opts.connectTo ?? url.hostname,
        port: url.port,
        path,
        method: opts.method ?? "GET",
        headers: {
          ...(opts.body !== undefined ? { "Content-Length": String(Buffer.byteLength(opts.body)) } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

let sb: RunningSandbox;
let ops: SandboxConsole;
let auth: Record<string, string>;

beforeAll(async () => {
  sb = await startSandbox({ port: 0 });
  ops = new SandboxConsole(sb.consoleUrl);
  auth = { Authorization: basic(sb.companyId, sb), clientId: sb.clientId };
});

afterAll(() => sb.close());

const API = "/v4_6_release/apis/3.0";
const port = () => new URL(sb.url).port;

describe("console: loopback only, JSON only", () => {
  it("refuses a Host header that is not loopback, accepts localhost, 127.0.0.1 and [::1]", async () => {
    for (const host of ["evil.example", `evil.example:${port()}`, `127.0.0.1.evil.example:${port()}`, "10.0.0.1"]) {
      const res = await raw(sb.url, "/console/state", { headers: { Host: host } });
      expect([host, res.status, res.body.code]).toEqual([host, 403, "Forbidden"]);
    }
    for (const host of [`localhost:${port()}`, `127.0.0.1:${port()}`, `[::1]:${port()}`, "LOCALHOST"]) {
      expect([host, (await raw(sb.url, "/console/state", { headers: { Host: host } })).status]).toEqual([host, 200]);
    }
    // The API plane is not the console: it does not look at Host.
    expect((await raw(sb.url, `${API}/system/info`, { headers: { ...auth, Host: "cw.example" } })).status).toBe(200);
  });

  it("refuses a body that is not application/json with 415 and changes nothing", async () => {
    const before = (await ops.state()).faults;
    for (const type of [undefined, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"]) {
      const res = await raw(sb.url, "/console/faults", {
        method: "PUT",
        headers: type ? { "Content-Type": type } : {},
        body: JSON.stringify({ latencyMs: 5 }),
      });
      expect([type, res.status, res.body.code]).toEqual([type, 415, "UnsupportedMediaType"]);
    }
    expect((await ops.state()).faults).toEqual(before);
    const ok = await raw(sb.url, "/console/faults", {
      method: "PUT",
      headers: { "Content-Type": "Application/JSON; charset=utf-8" },
      body: JSON.stringify({ latencyMs: 0 }),
    });
    expect(ok.status).toBe(200);
    // No body needs no content type.
    expect((await raw(sb.url, "/console/requests", { method: "DELETE" })).status).toBe(204);
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && !a.internal && a.family === "IPv4")?.address;
  // Needs an address of this machine that is not loopback: without one it fails, saying so.
  it("refuses a peer that is not loopback even with a loopback Host", async () => {
    if (!external)
      throw new Error("this test needs a non-loopback IPv4 address on this machine (os.networkInterfaces() has none)");
    await expect(startSandbox({ port: 0, host: "0.0.0.0" })).rejects.toThrow(/not a loopback address/);
    const open = await startSandbox({ port: 0, host: "0.0.0.0", allowRemote: true });
    try {
      expect(open.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const loopbackHost = { Host: `127.0.0.1:${new URL(open.url).port}` };
      const refused = await raw(open.url, "/console/state", { connectTo: external, headers: loopbackHost });
      expect([refused.status, refused.body.code]).toEqual([403, "Forbidden"]);
      expect(refused.body.message).toMatch(/loopback/);
      // The same peer reaches the API (that is what --allow-remote is for), and loopback the console.
      expect((await raw(open.url, "/login/companyinfo/sandbox", { connectTo: external })).status).toBe(200);
      expect((await raw(open.url, "/console/state")).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe("request limits", () => {
  const big = JSON.stringify({ name: "x".repeat(1024 * 1024 + 10) });

  it("answers a body over 1 MiB with 413, on the API and the console, and keeps serving", async () => {
    const res = await raw(sb.url, `${API}/system/securityroles`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: big,
    });
    expect([res.status, res.body.code]).toEqual([413, "PayloadTooLarge"]);
    expect(res.headers["content-type"]).toContain("application/vnd.connectwise.com+json");
    const consoleRes = await raw(sb.url, "/console/faults", {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: big,
    });
    expect([consoleRes.status, consoleRes.body.code]).toEqual([413, "PayloadTooLarge"]);
    // Through fetch too (a client that streams the body).
    const viaFetch = await call(sb, "/system/securityroles", { method: "POST", body: JSON.parse(big) });
    expect(viaFetch.status).toBe(413);
    expect((await call(sb, "/system/info")).status).toBe(200);
    const logged = (await ops.requests()).entries.filter((e) => e.status === 413);
    expect(logged.length).toBeGreaterThanOrEqual(2);
  });

  it("answers a malformed percent escape in the path or query with 400 on every plane", async () => {
    const paths = [
      `${API}/system/members/%E0%A4%A`,
      `${API}/system/members/%zz`,
      `${API}/system/securityroles?conditions=name%3D%ZZ`,
      `${API}/system/securityroles?%C3%28=1`,
      "/console/roles/%zz",
      "/console/state?x=%",
      "/login/companyinfo/%zz",
    ];
    for (const path of paths) {
      const res = await raw(sb.url, path, { headers: auth });
      expect([path, res.status, res.body.code]).toEqual([path, 400, "BadRequest"]);
    }
    // Well-formed escapes still decode.
    expect((await raw(sb.url, `${API}/system/members/%61dmin`, { headers: auth })).body.identifier).toBe("admin");
    expect((await raw(sb.url, "/login/companyinfo/s%61ndbox")).status).toBe(200);
  });

  it("answers JSON nested deeper than 64 levels with 400, however deep", async () => {
    for (const depth of [65, 100_000]) {
      const body = `${"[".repeat(depth)}${"]".repeat(depth)}`;
      const res = await raw(sb.url, `${API}/system/securityroles`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json" },
        body,
      });
      expect([depth, res.status, res.body.code]).toEqual([depth, 400, "InvalidObject"]);
      expect(res.body.message).toMatch(/deeper than 64/);
      const consoleRes = await raw(sb.url, "/console/roles/Admin/permissions", {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: `{"a":${body}}`,
      });
      expect([depth, consoleRes.status]).toEqual([depth, 400]);
    }
    // Brackets inside strings do not count.
    const named = await call(sb, "/system/securityroles", { method: "POST", body: { name: "[[[[{{{{" } });
    expect(named.status).toBe(201);
    await call(sb, `/system/securityroles/${named.body.id}`, { method: "DELETE" });
  });
});

describe("a corrupt --state file", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "cw-sandbox-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("fails the start with the file's path and what is wrong", async () => {
    const path = join(dir, "state.json");
    writeFileSync(path, '{"version": 1, "roles": [');
    await expect(startSandbox({ port: 0, statePath: path })).rejects.toThrow(
      new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}.*not valid JSON`),
    );

    const good = await startSandbox({ port: 0, statePath: path.replace("state", "good") });
    await good.close();
    const state = JSON.parse(readFileSync(path.replace("state", "good"), "utf8"));
    state.roles[0].settings[3].addLevel = "Everything";
    writeFileSync(path, JSON.stringify(state));
    await expect(startSandbox({ port: 0, statePath: path })).rejects.toThrow(
      /state\.json: roles\[0\]\.settings\[3\]\.addLevel: expected None or My or All, got "Everything"/,
    );

    writeFileSync(path, JSON.stringify({ ...state, version: 2 }));
    await expect(startSandbox({ port: 0, statePath: path })).rejects.toThrow(/state\.json: version: expected 1/);
    writeFileSync(path, "[]");
    await expect(startSandbox({ port: 0, statePath: path })).rejects.toThrow(
      /state\.json: the file: expected an object/,
    );
    // Nothing was overwritten.
    expect(readFileSync(path, "utf8")).toBe("[]");
  });
});

describe("CLI guards", () => {
  interface Run {
    code: number | null;
    stdout: string;
    stderr(): string;
    /** Ends a sandbox still running and waits for it. */
    stop(): Promise<void>;
  }

  /** Runs sandbox/main.ts; resolves when it exits or prints its first stdout line. */
  function cli(args: string[]): Promise<Run> {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "sandbox/main.ts", ...args], {
      cwd: join(__dirname, ".."),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const exited = new Promise<number | null>((r) => child.once("exit", r));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    };
    return new Promise((resolve) => {
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString();
        if (stdout.includes("\n")) resolve({ code: null, stdout, stderr: () => stderr, stop });
      });
      void exited.then((code) => resolve({ code, stdout, stderr: () => stderr, stop }));
    });
  }

  it("refuses a non-loopback --host without --allow-remote; warns with it; names a corrupt --state file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cw-sandbox-"));
    const statePath = join(dir, "broken.json");
    writeFileSync(statePath, "not json");
    try {
      const [refused, allowed, corrupt] = await Promise.all([
        cli(["--port", "0", "--host", "0.0.0.0"]),
        cli(["--port", "0", "--host", "0.0.0.0", "--allow-remote"]),
        cli(["--port", "0", "--state", statePath]),
      ]);
      await Promise.all([refused.stop(), corrupt.stop()]);
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe("");
      expect(refused.stderr()).toMatch(/--host 0\.0\.0\.0 is not a loopback address; add --allow-remote/);

      try {
        const info = JSON.parse(allowed.stdout);
        expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect((await fetch(`${info.url}/login/companyinfo/sandbox`)).status).toBe(200);
      } finally {
        await allowed.stop();
      }
      expect(allowed.stderr()).toMatch(/warning: listening on 0\.0\.0\.0/);

      expect(corrupt.code).toBe(2);
      expect(corrupt.stderr()).toContain(`state file ${statePath} is not valid JSON`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
