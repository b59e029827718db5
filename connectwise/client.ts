// The only code that speaks to ConnectWise Manage. Paths are relative to /apis/3.0 and every
// answer is checked against a zod schema before the caller sees it. Credentials live in private
// fields of a client made at run time inside the provider process; nothing here is serialized.

import { createHash } from "crypto";
import type { z } from "zod";
import type { Clock } from "./clock";
import { Connection, siteOrigin } from "./connection";
import { connectionSecrets } from "./scrub";
import { ConnectWiseError, connectionHint, withHint } from "./errors";
import { Limiter, tenantLimiter } from "./limiter";
import { MAX_PAGES, linkFor } from "./paging";
import { forgetSharedReads, readsShared, sharedRead } from "./sharedReads";
import { CompanyInfoSchema, PatchOperation, PatchOperationSchema } from "./schemas";
import { HttpResponse, Method, Transport } from "./transport";

export interface ClientOptions {
  /** Per attempt, from the moment the request leaves the tenant's queue. Default 30 000. */
  timeoutMs?: number;
  /** Per request, all attempts and the waits between them (not queueing for a slot). Default 60 000. */
  totalTimeoutMs?: number;
  /** A request still unanswered after this long says so once on stderr. Default 10 000. */
  slowNoticeMs?: number;
  /** PEM certificate(s) trusted for an https site besides Node's bundled roots (a private CA). */
  ca?: string;
  /** Retries after the first attempt. Default 5. */
  maxRetries?: number;
  /** Backoff base and cap (full jitter). Defaults 250 and 8 000. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Requests in flight per tenant, shared by all its clients in the process. Default 4. */
  concurrency?: number;
  /** The `version=` of the Accept header. Default "2025.8". */
  apiVersion?: string;
  /** What timeouts, the notice and retry waits run on. Default: the system clock (tests pass their own). */
  clock?: Clock;
  /** What the clients of one tenant share (codebase, limiter); by default the process's. */
  tenants?: TenantCaches;
}

/** Per tenant: the codebase discovered once, and the bound on requests in flight. */
export interface TenantCaches {
  codebases: Map<string, Promise<string>>;
  limiters: Map<string, Limiter>;
}

export function newTenantCaches(): TenantCaches {
  return { codebases: new Map(), limiters: new Map() };
}

export interface ListOptions {
  conditions?: string;
  /** Projection, `/` for nesting (e.g. `securityRole/id`). */
  fields?: string[];
  /** `field asc|desc`. */
  orderBy?: string;
  /** 1..1000, default 1000 (the API's maximum). */
  pageSize?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_TOTAL_TIMEOUT_MS = 60_000;
const DEFAULT_SLOW_NOTICE_MS = 10_000;
const DEFAULT_MAX_RETRIES = 5;
const DEFAULT_RETRY_BASE_MS = 250;
const DEFAULT_RETRY_MAX_MS = 8_000;
const DEFAULT_API_VERSION = "2025.8";
const MAX_PAGE_SIZE = 1000;
const MAX_REPORTED_ISSUES = 5;

// Codebase ("v4_6_release/") per site and company, discovered once per process unless the
// caller brings its own caches (ClientOptions.tenants). Holds no credential: /login/companyinfo
// needs none.
const processCodebases = new Map<string, Promise<string>>();

/** What all clients of one tenant built by one connect() share. */
interface Session {
  transport: Transport;
  apiBase: string;
  tenant: string;
  companyId: string;
  clientId: string;
  accept: string;
}

function checkOption(name: string, value: number | undefined, min: number, integer: boolean): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(
      `ConnectWise client option ${name} must be ${integer ? "an integer" : "a number"} >= ${min}, got ${value}`,
    );
  }
}

function checkPath(path: string): void {
  if (
    !path.startsWith("/") ||
    /[?#]/.test(path) ||
    path.includes("//") ||
    path.split("/").some((s) => s === "." || s === "..")
  ) {
    throw new Error(
      `ConnectWise path '${path}' must be an absolute path under /apis/3.0 without query or dot segments`,
    );
  }
}

/**
 * What is wrong in an answer, one clause per issue naming the field as a path from `prefix`
 * ("settings[3].addLevel is missing", "id: Invalid input: expected number, received string").
 * A missing or null field is said so from the answer itself; no value of the answer is quoted
 * (an answer may hold a key).
 */
function describeIssues(error: z.ZodError, answer: unknown, prefix = ""): string {
  const issues = error.issues.slice(0, MAX_REPORTED_ISSUES).map((issue) => {
    let at = prefix;
    let parent: unknown = undefined;
    let value: unknown = answer;
    for (const key of issue.path) {
      at += typeof key === "number" ? `[${key}]` : at ? `.${String(key)}` : String(key);
      parent = value;
      value = value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    }
    const last = issue.path[issue.path.length - 1];
    const field = at || "(root)";
    if (last !== undefined && parent !== null && typeof parent === "object" && !(last in parent))
      return `${field} is missing`;
    if (last !== undefined && value === null) return `${field} is null`;
    return `${field}: ${issue.message}`;
  });
  const more = error.issues.length - issues.length;
  return issues.join("; ") + (more > 0 ? `; and ${more} more` : "");
}

/** What a list's items are called in a message: the path's last segment ("settings", "securityroles"). */
const collectionOf = (path: string): string => path.split("/").filter(Boolean).pop() ?? "items";

/** Percent-encoded (a space is %20, not the form encoding's "+", which not every server decodes). */
function queryString(query: Record<string, string | number>): string {
  const text = Object.entries(query)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
    .join("&");
  return text ? `?${text}` : "";
}

async function discoverCodebase(transport: Transport, origin: string, companyId: string): Promise<string> {
  const path = `/login/companyinfo/${encodeURIComponent(companyId)}`;
  const res = await transport.send({
    method: "GET",
    url: `${origin}${path}`,
    path,
    headers: { Accept: "application/json" },
    secrets: [],
  });
  const parsed = CompanyInfoSchema.safeParse(res.body);
  const codebase = parsed.success ? parsed.data.Codebase.replace(/^\/+|\/+$/g, "") : "";
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(codebase)) {
    throw new ConnectWiseError({
      status: res.status,
      code: "InvalidResponse",
      cwMessage: `company '${companyId}' has no usable Codebase at ${new URL(origin).host}`,
      method: "GET",
      path,
    });
  }
  return codebase;
}

export class ConnectWiseClient {
  /** "companyId at host", for messages. */
  readonly tenant: string;
  readonly #session: Session;
  readonly #authorization: string;
  readonly #secrets: readonly string[];
  readonly #sharing: boolean;

  /** True for the connection's own key pair (not asMember): its failures name the config key to fix. */
  readonly #own: boolean;

  private constructor(session: Session, publicKey: string, privateKey: string, sharing = false, own = false) {
    if (!publicKey || !privateKey) throw new Error("ConnectWise client needs a public key and a private key");
    this.tenant = session.tenant;
    this.#session = session;
    // [privateKey, publicKey, token]: the connection's secrets as the scrubbing policy names them.
    this.#secrets = connectionSecrets({ companyId: session.companyId, publicKey, privateKey });
    this.#authorization = `Basic ${this.#secrets[2]}`;
    this.#sharing = sharing;
    this.#own = own;
  }

  /** A client for the tenant; the codebase comes from /login/companyinfo, once per site and company. */
  static async connect(connection: Connection, options: ClientOptions = {}): Promise<ConnectWiseClient> {
    const origin = siteOrigin(connection.site);
    for (const field of ["companyId", "clientId", "publicKey", "privateKey"] as const) {
      if (!connection[field]?.trim()) throw new Error(`ConnectWise connection has no ${field}`);
    }
    checkOption("timeoutMs", options.timeoutMs, 1, false);
    checkOption("totalTimeoutMs", options.totalTimeoutMs, 1, false);
    checkOption("slowNoticeMs", options.slowNoticeMs, 0, false);
    checkOption("maxRetries", options.maxRetries, 0, true);
    checkOption("retryBaseMs", options.retryBaseMs, 0, false);
    checkOption("retryMaxMs", options.retryMaxMs, 0, false);
    checkOption("concurrency", options.concurrency, 1, true);
    const apiVersion = options.apiVersion ?? DEFAULT_API_VERSION;
    if (!/^[0-9A-Za-z._-]+$/.test(apiVersion))
      throw new Error(`ConnectWise client option apiVersion '${apiVersion}' is not a version`);

    const companyId = connection.companyId.trim();
    const tenantKey = `${origin}|${companyId.toLowerCase()}`;
    const transport = new Transport({
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      totalTimeoutMs: options.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS,
      slowNoticeMs: options.slowNoticeMs ?? DEFAULT_SLOW_NOTICE_MS,
      ca: options.ca,
      retry: {
        maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
        baseMs: options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS,
        maxMs: options.retryMaxMs ?? DEFAULT_RETRY_MAX_MS,
      },
      limiter: tenantLimiter(tenantKey, options.concurrency, options.tenants?.limiters),
      clock: options.clock,
    });

    const codebases = options.tenants?.codebases ?? processCodebases;
    let codebase = codebases.get(tenantKey);
    if (!codebase) {
      codebase = discoverCodebase(transport, origin, companyId);
      codebases.set(tenantKey, codebase);
      // A failed discovery is not remembered: the next connect tries again.
      codebase.catch(() => codebases.delete(tenantKey));
    }
    const session: Session = {
      transport,
      apiBase: `${origin}/${await codebase.catch((error: unknown) => {
        throw error instanceof ConnectWiseError ? withHint(error, connectionHint(error, new URL(origin).host)) : error;
      })}/apis/3.0`,
      tenant: `${companyId} at ${new URL(origin).host}`,
      companyId,
      clientId: connection.clientId.trim(),
      accept: `application/vnd.connectwise.com+json; version=${apiVersion}`,
    };
    return new ConnectWiseClient(session, connection.publicKey.trim(), connection.privateKey.trim(), false, true);
  }

  /** The same tenant, acting as another member (e.g. to read what only that member can see). */
  asMember(publicKey: string, privateKey: string): ConnectWiseClient {
    return new ConnectWiseClient(this.#session, publicKey, privateKey, this.#sharing);
  }

  /**
   * The same client, whose GETs (and those of its asMember clients) share identical reads with
   * the process's other sharing clients while the process shares reads (sharedReads.ts: our
   * provider server, one engine operation); otherwise every read is sent. For the read-only
   * paths (diff, read).
   */
  sharingReads(): ConnectWiseClient {
    if (this.#sharing) return this;
    const [privateKey, publicKey] = this.#secrets;
    return new ConnectWiseClient(this.#session, publicKey, privateKey, true, this.#own);
  }

  async get<T>(path: string, schema: z.ZodType<T>, query?: Record<string, string | number>): Promise<T> {
    const res = await this.send("GET", path, query ?? {});
    return this.parse(res, schema, "GET", path);
  }

  /** undefined when the object does not exist (404). */
  async getOrUndefined<T>(
    path: string,
    schema: z.ZodType<T>,
    query?: Record<string, string | number>,
  ): Promise<T | undefined> {
    try {
      return await this.get(path, schema, query);
    } catch (err) {
      if (err instanceof ConnectWiseError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Every page: follows `Link rel="next"`, keeping this call's own filters and page size. */
  async list<T>(path: string, itemSchema: z.ZodType<T>, options: ListOptions = {}): Promise<T[]> {
    const pageSize = options.pageSize ?? MAX_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new Error(`ConnectWise list pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${pageSize}`);
    }
    const query: Record<string, string | number> = { pageSize, page: 1 };
    if (options.conditions) query.conditions = options.conditions;
    if (options.fields && options.fields.length > 0) query.fields = options.fields.join(",");
    if (options.orderBy) query.orderBy = options.orderBy;

    const items: T[] = [];
    const seen = new Set<string>();
    for (;;) {
      seen.add(queryString(query));
      const res = await this.send("GET", path, query);
      if (!Array.isArray(res.body)) throw this.invalid(res, "GET", path, "a list answer is not a JSON array");
      res.body.forEach((raw) => {
        const parsed = itemSchema.safeParse(raw);
        if (!parsed.success)
          throw this.invalid(
            res,
            "GET",
            path,
            describeIssues(parsed.error, raw, `${collectionOf(path)}[${items.length}]`),
          );
        items.push(parsed.data);
      });
      const next = this.nextPage(res, path, query);
      if (!next) return items;
      if (seen.size >= MAX_PAGES)
        throw this.invalid(res, "GET", path, `the Link rel="next" chain goes on past ${MAX_PAGES} pages`);
      if (res.body.length === 0 || seen.has(queryString(next)))
        throw this.invalid(res, "GET", path, 'the Link rel="next" header does not advance');
      Object.assign(query, next);
    }
  }

  /** Sent once: a POST is repeated only after a refusal that proves nothing was created. */
  async post<T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
    const res = await this.send("POST", path, {}, body);
    return this.parse(res, schema, "POST", path);
  }

  async patch<T>(path: string, operations: PatchOperation[], schema: z.ZodType<T>): Promise<T> {
    operations.forEach((op, index) => {
      const checked = PatchOperationSchema.safeParse(op);
      if (!checked.success)
        throw new Error(
          `ConnectWise PATCH ${path}: operation ${index} is invalid: ${describeIssues(checked.error, op)}`,
        );
    });
    const res = await this.send("PATCH", path, {}, operations);
    return this.parse(res, schema, "PATCH", path);
  }

  async delete(path: string): Promise<void> {
    await this.send("DELETE", path, {});
  }

  private send(
    method: Method,
    path: string,
    query: Record<string, string | number>,
    body?: unknown,
  ): Promise<HttpResponse> {
    checkPath(path);
    const session = this.#session;
    const url = `${session.apiBase}${path}${queryString(query)}`;
    // A write may change what any read shows: nothing read before it is reused after it.
    if (method !== "GET") forgetSharedReads();
    else if (this.#sharing && readsShared()) {
      // Credentials and URL, hashed: the key holds no credential.
      const key = createHash("sha256").update(`${this.#authorization}\n${url}`).digest("hex");
      return sharedRead(
        key,
        () => this.transmit(method, path, url),
        (err) => err instanceof ConnectWiseError && (err.status === 401 || err.status === 404),
      );
    }
    return this.transmit(method, path, url, body);
  }

  private transmit(method: Method, path: string, url: string, body?: unknown): Promise<HttpResponse> {
    const session = this.#session;
    const sent = session.transport.send({
      method,
      url,
      path,
      headers: {
        Authorization: this.#authorization,
        clientId: session.clientId,
        Accept: session.accept,
        "Content-Type": "application/json",
      },
      body,
      secrets: this.#secrets,
    });
    if (!this.#own) return sent;
    return sent.catch((error: unknown) => {
      const host = new URL(session.apiBase).host;
      throw error instanceof ConnectWiseError ? withHint(error, connectionHint(error, host)) : error;
    });
  }

  private parse<T>(res: HttpResponse, schema: z.ZodType<T>, method: Method, path: string): T {
    const parsed = schema.safeParse(res.body);
    if (!parsed.success) throw this.invalid(res, method, path, describeIssues(parsed.error, res.body));
    return parsed.data;
  }

  private invalid(res: HttpResponse, method: Method, path: string, why: string): ConnectWiseError {
    // Only 2xx answers are parsed: whatever the request asked for was done.
    return new ConnectWiseError({
      status: res.status,
      code: "InvalidResponse",
      cwMessage: `unexpected answer: ${why}`,
      method,
      path,
      outcomeUnknown: true,
    });
  }

  /**
   * The page to ask for next, from `Link rel="next"`: only its page/pageId are taken, so the
   * link can neither drop this call's filters nor send the credentials to another address.
   */
  private nextPage(
    res: HttpResponse,
    path: string,
    current: Record<string, string | number>,
  ): Record<string, string> | undefined {
    let href: string | undefined;
    try {
      href = linkFor(res.headers.link, "next");
    } catch (err) {
      throw this.invalid(res, "GET", path, (err as Error).message);
    }
    if (href === undefined) return undefined;
    const params = new URL(href, `${this.#session.apiBase}${path}`).searchParams;
    const next: Record<string, string> = {};
    for (const [name, value] of params) {
      const lower = name.toLowerCase();
      if (lower === "page") next.page = value;
      else if (lower === "pageid") next.pageId = value;
    }
    if (Object.keys(next).length === 0) throw this.invalid(res, "GET", path, 'the Link rel="next" URL names no page');
    return { ...Object.fromEntries(Object.entries(current).map(([k, v]) => [k, String(v)])), ...next };
  }
}
