// A local ConnectWise Manage: the published /apis/3.0 endpoints this project uses, the
// unauthenticated /login/companyinfo lookup, and the /console plane. One tenant, in memory,
// optionally persisted to a --state file.

import { AddressInfo } from "net";
import { IncomingMessage, ServerResponse, createServer } from "http";
import { authenticate } from "./auth";
import { handleConsole } from "./consolePlane";
import { ApiError } from "./errors";
import { Faults, NO_FAULTS, drawFault, mergeFaults } from "./faults";
import { authorize } from "./permissions";
import { loadState, saveState } from "./persistence";
import { RequestLog } from "./requestLog";
import { API_ROUTES } from "./routes";
import { API_VERSION } from "./routes/system";
import { ApiRequest, Method, Reply, Router, SandboxContext } from "./routing";
import { CLIENT_ID, CODEBASE, COMPANY_ID, Store } from "./store";

export type { Faults } from "./faults";

export interface SandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** JSON file: loaded if present, saved after every change. */
  statePath?: string;
  faults?: Partial<Faults>;
  /** Lifetime of keys minted by POST /system/members/{id}/tokens; default 30 days (longer than ApiKey's default rotateBefore of 7 days; the real lifetime is not published). */
  tokenLifetimeSeconds?: number;
}

export interface RunningSandbox {
  /** "http://127.0.0.1:PORT": what a stack uses as connectwise:site. */
  url: string;
  companyId: string;
  publicKey: string;
  privateKey: string;
  clientId: string;
  consoleUrl: string;
  close(): Promise<void>;
}

const API_PREFIX = `/${CODEBASE}apis/3.0`.toLowerCase();
const CONTENT_TYPE = `application/vnd.connectwise.com+json; version=${API_VERSION}; charset=utf-8`;
const MAX_BODY_BYTES = 1024 * 1024;
// The query parameters every list/get operation takes, by their canonical names.
const STANDARD_PARAMS = [
  "conditions",
  "childConditions",
  "customFieldConditions",
  "orderBy",
  "fields",
  "page",
  "pageSize",
  "pageId",
];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError(413, "PayloadTooLarge", "The request body is too large"));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** The query with the standard parameters renamed to their canonical case (the binder ignores case). */
function canonicalQuery(search: URLSearchParams): URLSearchParams {
  const canonical = new Map(STANDARD_PARAMS.map((p) => [p.toLowerCase(), p]));
  const out = new URLSearchParams();
  for (const [k, v] of search) out.append(canonical.get(k.toLowerCase()) ?? k, v);
  return out;
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "InvalidObject", "The request body is not valid JSON");
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const statePath = options.statePath;
  const persist = () => {
    if (statePath) saveState(statePath, store.snapshot());
  };
  const store = new Store(options.tokenLifetimeSeconds ?? 30 * 86400);
  const saved = statePath ? loadState(statePath) : undefined;
  if (saved !== undefined) {
    store.restore(saved);
    if (options.tokenLifetimeSeconds !== undefined) store.tokenLifetimeSeconds = options.tokenLifetimeSeconds;
  } else {
    store.seed(new Date());
  }
  persist();

  let faults = mergeFaults(NO_FAULTS, options.faults ?? {});
  const log = new RequestLog();
  const router = new Router(API_ROUTES);
  const context: SandboxContext = { store, now: () => new Date() };
  let url = "";

  function send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
    contentType = CONTENT_TYPE,
  ): void {
    const text = body === undefined ? "" : JSON.stringify(body);
    res.writeHead(status, {
      ...headers,
      ...(text ? { "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) } : {}),
    });
    res.end(text);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, target: URL, apiPath: string): Promise<void> {
    const method = req.method ?? "GET";
    const entry = { method, path: apiPath, query: target.search.replace(/^\?/, ""), at: new Date().toISOString() };
    let requestBody: unknown;
    let reply: Reply;
    try {
      const text = await readBody(req);
      if (faults.latencyMs > 0) await sleep(faults.latencyMs);
      const fault = drawFault(faults);
      if (fault === "drop") {
        log.add({ ...entry, status: 0, fault, requestBody: text || undefined, responseBody: undefined });
        req.socket.destroy();
        return;
      }
      if (fault === "429") {
        reply = {
          status: 429,
          body: { code: "TooManyRequests", message: "Rate limit exceeded; retry after the Retry-After interval." },
          headers: { "Retry-After": String(faults.retryAfterSeconds) },
        };
        log.add({ ...entry, status: 429, fault, requestBody: text || undefined, responseBody: reply.body });
        send(res, reply.status, reply.body, reply.headers);
        return;
      }
      if (fault === "503") {
        reply = {
          status: 503,
          body: { code: "ServiceUnavailable", message: "The service is temporarily unavailable." },
        };
        log.add({ ...entry, status: 503, fault, requestBody: text || undefined, responseBody: reply.body });
        send(res, reply.status, reply.body);
        return;
      }
      const now = context.now();
      const caller = authenticate(req.headers, store, now);
      const match = router.match(method, apiPath);
      if (match.kind === "notFound") throw new ApiError(404, "NotFound", `No resource at ${apiPath}`);
      if (match.kind === "methodNotAllowed") {
        throw new ApiError(
          405,
          "MethodNotAllowed",
          `The requested resource does not support http method '${method}'.`,
          undefined,
          { Allow: match.allow.join(", ") },
        );
      }
      if (match.kind === "notImplemented")
        throw new ApiError(501, "NotImplemented", `The sandbox does not implement ${method} ${apiPath}`);
      requestBody = parseJson(text);
      authorize(store, caller, match.operation.need);
      const request: ApiRequest = {
        method: method as Method,
        path: apiPath,
        params: match.params,
        query: canonicalQuery(target.searchParams),
        headers: req.headers,
        body: requestBody,
        caller,
        linkBase: `${url}${target.pathname.replace(/\/+$/, "")}`,
      };
      reply = match.operation.handler(request, context);
      if (method !== "GET") persist();
    } catch (e) {
      if (e instanceof ApiError) reply = { status: e.status, body: e.body(), headers: e.headers };
      else {
        process.stderr.write(`sandbox: unexpected error on ${method} ${apiPath}: ${(e as Error).stack ?? String(e)}\n`);
        reply = { status: 500, body: { code: "UnexpectedError", message: "An unexpected error occurred" } };
      }
    }
    log.add({ ...entry, status: reply.status, requestBody, responseBody: reply.body });
    send(res, reply.status, reply.body, reply.headers);
  }

  async function handleConsoleRequest(req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    let body: unknown;
    try {
      const text = await readBody(req);
      body = text.trim() === "" ? undefined : JSON.parse(text);
    } catch {
      send(res, 400, { code: "BadRequest", message: "The request body is not valid JSON" }, {}, "application/json");
      return;
    }
    const reply = handleConsole(
      { store, log, faults: () => faults, setFaults: (f) => (faults = f), now: () => new Date() },
      req.method ?? "GET",
      rest,
      body,
    );
    if (reply.changed) persist();
    send(res, reply.status, reply.body, {}, "application/json");
  }

  const server = createServer((req, res) => {
    const target = new URL(req.url ?? "/", "http://sandbox");
    const path = target.pathname;
    const lower = path.toLowerCase();
    const work = (async () => {
      if (lower === "/console" || lower.startsWith("/console/"))
        return handleConsoleRequest(req, res, path.slice("/console".length));
      const company = /^\/login\/companyinfo\/([^/]+)\/?$/i.exec(path);
      if (company) {
        if (req.method !== "GET")
          return send(
            res,
            405,
            { code: "MethodNotAllowed", message: "Only GET is supported" },
            { Allow: "GET" },
            "application/json",
          );
        if (decodeURIComponent(company[1]).toLowerCase() !== COMPANY_ID)
          return send(res, 404, { code: "NotFound", message: "Company not found" }, {}, "application/json");
        return send(
          res,
          200,
          {
            CompanyName: "Sandbox MSP",
            Codebase: CODEBASE,
            VersionCode: `v${API_VERSION}`,
            VersionNumber: `v${API_VERSION}.0.12345`,
            CompanyID: COMPANY_ID,
            IsCloud: false,
            SiteUrl: url.replace(/^https?:\/\//, ""),
          },
          {},
          "application/json; charset=utf-8",
        );
      }
      if (lower === API_PREFIX || lower.startsWith(`${API_PREFIX}/`)) {
        return handleApi(req, res, target, path.slice(API_PREFIX.length).replace(/\/+$/, "") || "/");
      }
      send(res, 404, { code: "NotFound", message: `No resource at ${path}` }, {}, "application/json");
    })();
    work.catch((e: unknown) => {
      process.stderr.write(`sandbox: ${(e as Error).stack ?? String(e)}\n`);
      if (!res.headersSent)
        send(res, 500, { code: "UnexpectedError", message: "An unexpected error occurred" }, {}, "application/json");
      else res.destroy();
    });
  });

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  return {
    url,
    companyId: COMPANY_ID,
    publicKey: store.adminKey.publicKey,
    privateKey: store.adminKey.privateKey,
    clientId: CLIENT_ID,
    consoleUrl: `${url}/console`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
