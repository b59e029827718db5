// One HTTP exchange with ConnectWise, made reliable: a per-attempt timeout and a limit on the
// whole request (retries included), the tenant's concurrency limit, retries of what is safe to
// repeat, a cap on the answer's size, proxies through CONNECT only, and failures turned into
// ConnectWiseError. axios errors never leave this module: their config holds the headers.

import axios, { AxiosInstance } from "axios";
import * as http from "http";
import * as https from "https";
import type { Duplex, Readable } from "stream";
import * as tls from "tls";
import { Clock, sleepOn, systemClock } from "./clock";
import { proxyFor } from "./connection";
import { ConnectWiseError, ConnectWiseErrorDetail } from "./errors";
import { Limiter } from "./limiter";
import {
  FailureKind,
  MAX_RETRY_AFTER_MS,
  RETRYABLE_STATUSES,
  RetryPolicy,
  backoffMs,
  failureKind,
  isIdempotent,
  mayHaveBeenCarriedOut,
  retryAfterMs,
} from "./retry";
import { ErrorResponseSchema } from "./schemas";
import { scrub } from "./scrub";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface HttpRequest {
  method: Method;
  /** Absolute URL with its query. */
  url: string;
  /** What messages call the request: the path under /apis/3.0 (or /login/...), no query. */
  path: string;
  headers: Record<string, string>;
  body?: unknown;
  /** Removed from anything the server sends back before it can reach an error message. */
  secrets: readonly string[];
}

export interface HttpResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Parsed JSON; undefined for an empty body (204). */
  body: unknown;
}

export interface TransportOptions {
  /** Per attempt. */
  timeoutMs: number;
  /** Per request: every attempt and every wait between them, not the wait for a free slot. */
  totalTimeoutMs: number;
  /** When a request has taken this long, one line on stderr says what it is waiting for. */
  slowNoticeMs: number;
  retry: RetryPolicy;
  limiter: Limiter;
  /** PEM certificates trusted for https sites besides Node's bundled roots. */
  ca?: string;
  /** What the limits, the notice and the waits between attempts run on. Default: the system clock. */
  clock?: Clock;
}

/**
 * The largest answer read. A page of 1000 of the widest objects the client lists (members, with
 * their `_info`) is a few MiB of JSON; 32 MiB leaves ample room, while the text, its string and
 * the parsed objects held at once stay within what a provider process can spare.
 */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

type Outcome =
  | { kind: "answer"; status: number; headers: Record<string, string>; text: string }
  | { kind: "failure"; failure: FailureKind; code: string; description: string };

/** What one request has spent so far: its own time, not the time queued for a slot. */
interface RequestState {
  req: HttpRequest;
  host: string;
  spentMs: number;
  attempts: number;
  noticed: boolean;
}

const SNIPPET_CHARS = 200;

/** Less time than this left in a request's limit is not worth another attempt (a TLS handshake takes longer). */
const MIN_ATTEMPT_MS = 50;

function headersOf(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    // Node gives a header as a string, or an array of strings for a repeated one.
    if (typeof value === "string" || typeof value === "number") out[name.toLowerCase()] = String(value);
    else if (Array.isArray(value)) out[name.toLowerCase()] = value.map(String).join(", ");
  }
  return out;
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

/** A body that did not arrive whole: the connection closed before its end. */
class BodyCut extends Error {
  readonly code = "ECONNRESET";
}

/** A body larger than MAX_BODY_BYTES, refused unread or as soon as the cap is passed. */
class BodyTooLarge extends Error {
  readonly code = "ERESPONSETOOLARGE";
}

/**
 * The whole body as text. Counts bytes as they arrive (after decompression, which is what
 * memory holds), so a huge or endless answer is cut off at the cap instead of being buffered.
 */
function readBody(body: Readable, headers: Record<string, string>): Promise<string> {
  const declared = headers["content-encoding"] ? undefined : Number(headers["content-length"]);
  return new Promise((resolve, reject) => {
    if (declared !== undefined && declared > MAX_BODY_BYTES) {
      body.destroy();
      reject(new BodyTooLarge(`the answer declares ${declared} bytes, over the ${MAX_BODY_BYTES} byte cap`));
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const cut = () =>
      new BodyCut(
        `the connection closed after ${received}${Number.isFinite(declared) ? ` of ${declared}` : ""} bytes of the answer`,
      );
    body.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_BODY_BYTES) {
        settled = true;
        body.destroy();
        reject(new BodyTooLarge(`the answer passed the ${MAX_BODY_BYTES} byte cap`));
        return;
      }
      chunks.push(chunk);
    });
    body.on("end", () => {
      if (settled) return;
      settled = true;
      if (Number.isFinite(declared) && received !== declared) reject(cut());
      else
        resolve(
          Buffer.concat(chunks)
            .toString("utf8")
            .replace(/^\uFEFF/, ""),
        );
    });
    body.on("error", (err: Error & { code?: string }) => {
      if (settled) return;
      settled = true;
      // Node reports a body cut short as "aborted" (ECONNRESET); an abort of ours is passed on.
      reject(err.code === "ECONNRESET" || err.message === "aborted" ? cut() : err);
    });
    body.on("close", () => {
      if (settled) return;
      settled = true;
      reject(cut());
    });
  });
}

/**
 * An https.Agent whose connections are CONNECT tunnels through an http proxy. TLS to the site
 * runs end to end inside the tunnel, so the proxy sees the host and port and nothing else: not
 * the request line, not the Authorization header, not the body.
 */
class TunnelAgent extends https.Agent {
  constructor(
    private readonly proxy: URL,
    options: https.AgentOptions,
    private readonly connectTimeoutMs: number,
  ) {
    super(options);
  }

  override createConnection(
    options: https.RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const done = callback ?? (() => undefined);
    const host = String(options.host ?? options.hostname ?? "").replace(/^\[|\]$/g, "");
    const target = `${host.includes(":") ? `[${host}]` : host}:${Number(options.port) || 443}`;
    const headers: Record<string, string> = { Host: target };
    if (this.proxy.username) {
      const user = `${decodeURIComponent(this.proxy.username)}:${decodeURIComponent(this.proxy.password)}`;
      headers["Proxy-Authorization"] = `Basic ${Buffer.from(user).toString("base64")}`;
    }
    const connect = http.request({
      host: this.proxy.hostname.replace(/^\[|\]$/g, ""),
      port: Number(this.proxy.port) || 80,
      method: "CONNECT",
      path: target,
      headers,
      agent: false,
      timeout: this.connectTimeoutMs,
    });
    const fail = (err: Error) => done(err, undefined as unknown as Duplex);
    connect.once("timeout", () =>
      connect.destroy(
        Object.assign(new Error(`no answer to CONNECT from the proxy ${this.proxy.host}`), { code: "ETIMEDOUT" }),
      ),
    );
    connect.once("error", fail);
    connect.once("connect", (res: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      connect.removeListener("error", fail);
      const status = res.statusCode ?? 0;
      if (status !== 200 || head.length > 0) {
        socket.destroy();
        // A proxy that cannot reach the site (502-504) did not deliver anything: safe to repeat.
        const code = status >= 502 && status <= 504 ? "EPROXYUNAVAILABLE" : "EPROXY";
        const why = head.length > 0 ? "sent data before the TLS handshake" : `answered ${status}`;
        fail(Object.assign(new Error(`the proxy ${this.proxy.host} ${why} to CONNECT ${target}`), { code }));
        return;
      }
      done(null, tls.connect({ ...(options as tls.ConnectionOptions), socket }));
    });
    connect.end();
    return null;
  }
}

// Agents are shared by every client in the process (keep-alive connections are reused across
// resources), one per way of connecting. They hold no ConnectWise credential.
let directHttp: http.Agent | undefined;
const httpsAgents = new Map<string, https.Agent>();

function httpsAgentFor(proxy: URL | undefined, ca: string | undefined, timeoutMs: number): https.Agent {
  const key = `${proxy?.href ?? "direct"}\n${timeoutMs}\n${ca ?? ""}`;
  let agent = httpsAgents.get(key);
  if (!agent) {
    // Extra CAs are added to the bundled roots, not put in their place.
    const options: https.AgentOptions = { keepAlive: true };
    if (ca) options.secureContext = tls.createSecureContext({ ca: [...tls.rootCertificates, ca] });
    agent = proxy ? new TunnelAgent(proxy, options, timeoutMs) : new https.Agent(options);
    httpsAgents.set(key, agent);
  }
  return agent;
}

export class Transport {
  private readonly http: AxiosInstance;
  private readonly clock: Clock;

  constructor(private readonly options: TransportOptions) {
    this.clock = options.clock ?? systemClock;
    this.http = axios.create({
      // Status handling, parsing and redirects are decided here, not by axios.
      validateStatus: () => true,
      responseType: "stream",
      transformRequest: [(data: unknown) => data],
      transformResponse: [(data: unknown) => data],
      maxRedirects: 0,
      // axios's own proxy support would send plain-http requests, Authorization included, to an
      // HTTP_PROXY in cleartext; proxies are handled by the agents below instead.
      proxy: false,
    });
  }

  /** The 2xx answer, after retries; anything else throws ConnectWiseError. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const { totalTimeoutMs } = this.options;
    const state: RequestState = { req, host: new URL(req.url).host, spentMs: 0, attempts: 0, noticed: false };
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.options.limiter.run(() =>
        this.timed(state, () => this.attempt(req, Math.max(1, totalTimeoutMs - state.spentMs))),
      );
      state.attempts = attempt + 1;
      if (outcome.kind === "answer" && outcome.status >= 200 && outcome.status < 300) {
        return { status: outcome.status, headers: outcome.headers, body: this.parseBody(req, outcome) };
      }
      const decision = this.retryDecision(req.method, outcome, attempt);
      if (decision.retryInMs === undefined) throw this.failure(req, outcome, state.attempts, decision.why);
      const left = totalTimeoutMs - state.spentMs;
      if (left - decision.retryInMs < MIN_ATTEMPT_MS) {
        const why =
          left < MIN_ATTEMPT_MS
            ? `gave up: the ${seconds(totalTimeoutMs)} limit per request is spent`
            : `the next attempt would come after the ${seconds(totalTimeoutMs)} limit per request`;
        const n = state.attempts;
        throw this.failure(req, outcome, n, `${why}, after ${n} attempt${n === 1 ? "" : "s"}`);
      }
      await this.timed(state, () => sleepOn(this.clock, decision.retryInMs!));
    }
  }

  /** Runs one step of a request on its own clock, saying once on stderr when it is slow. */
  private async timed<T>(state: RequestState, step: () => Promise<T>): Promise<T> {
    const started = this.clock.now();
    const { slowNoticeMs } = this.options;
    const notice = state.noticed
      ? undefined
      : this.clock.setTimeout(() => this.notice(state), Math.max(0, slowNoticeMs - state.spentMs));
    try {
      return await step();
    } finally {
      if (notice !== undefined) this.clock.clearTimeout(notice);
      state.spentMs += this.clock.now() - started;
    }
  }

  private notice(state: RequestState): void {
    state.noticed = true;
    const attempt = state.attempts > 0 ? `, attempt ${state.attempts + 1}` : "";
    const { slowNoticeMs, totalTimeoutMs } = this.options;
    // Method, path and host only: never the query, a header or a key.
    process.stderr.write(
      `connectwise: still waiting for ${state.req.method} ${state.req.path} on ${state.host} (${seconds(slowNoticeMs)}${attempt}; gives up after ${seconds(totalTimeoutMs)})\n`,
    );
  }

  private agents(url: string): { httpAgent?: http.Agent; httpsAgent?: https.Agent } {
    if (url.startsWith("http:")) return { httpAgent: (directHttp ??= new http.Agent({ keepAlive: true })) };
    return { httpsAgent: httpsAgentFor(proxyFor(url), this.options.ca, this.options.timeoutMs) };
  }

  private async attempt(req: HttpRequest, leftMs: number): Promise<Outcome> {
    const limitMs = Math.min(this.options.timeoutMs, leftMs);
    const agents = this.agents(req.url);
    const controller = new AbortController();
    let timedOut = false;
    const timer = this.clock.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, limitMs);
    try {
      const res = await this.http.request<Readable>({
        method: req.method,
        url: req.url,
        headers: req.headers,
        data: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: controller.signal,
        ...agents,
      });
      const headers = headersOf(res.headers);
      const text = await readBody(res.data, headers);
      return { kind: "answer", status: res.status, headers, text };
    } catch (err) {
      if (timedOut)
        return {
          kind: "failure",
          failure: "lost",
          code: "ETIMEDOUT",
          description: `no answer within ${limitMs} ms`,
        };
      const raw = (err as { code?: unknown }).code;
      const code = typeof raw === "string" && raw ? raw : "ERR_UNKNOWN";
      const message = err instanceof Error ? err.message : "request failed";
      return { kind: "failure", failure: failureKind(code), code, description: scrub(message, req.secrets) };
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  private retryDecision(method: Method, outcome: Outcome, attempt: number): { retryInMs?: number; why?: string } {
    const { retry } = this.options;
    if (outcome.kind === "answer") {
      if (!RETRYABLE_STATUSES.has(outcome.status)) return {};
      // A 429 is the rate limiter refusing the request unprocessed, so even a POST may be sent
      // again; any other answer to a POST may come after the object was created.
      if (method === "POST" && outcome.status !== 429)
        return { why: "a POST is not repeated once it may have reached the server" };
      if (attempt >= retry.maxRetries) return {};
      const after = retryAfterMs(outcome.headers["retry-after"], this.clock.now());
      if (after === undefined) return { retryInMs: backoffMs(attempt, retry) };
      if (after > MAX_RETRY_AFTER_MS)
        return {
          why: `Retry-After ${Math.ceil(after / 1000)} s is longer than the ${MAX_RETRY_AFTER_MS / 1000} s the client waits`,
        };
      return { retryInMs: after };
    }
    if (outcome.failure === "fatal") return {};
    if (outcome.failure === "lost" && !isIdempotent(method))
      return { why: "a POST is not repeated once it may have reached the server" };
    if (attempt >= retry.maxRetries) return {};
    return { retryInMs: backoffMs(attempt, retry) };
  }

  private parseBody(req: HttpRequest, outcome: Extract<Outcome, { kind: "answer" }>): unknown {
    if (outcome.text.trim() === "") return undefined;
    try {
      return JSON.parse(outcome.text);
    } catch {
      throw new ConnectWiseError({
        status: outcome.status,
        code: "InvalidResponse",
        cwMessage: "the answer is not JSON",
        method: req.method,
        path: req.path,
        // A success status whose body cannot be read: the request was carried out.
        outcomeUnknown: true,
      });
    }
  }

  private failure(req: HttpRequest, outcome: Outcome, attempts: number, why: string | undefined): ConnectWiseError {
    const note = why ?? (attempts > 1 ? `after ${attempts} attempts` : undefined);
    if (outcome.kind === "failure") {
      return new ConnectWiseError({
        status: undefined,
        code: outcome.code,
        cwMessage: outcome.description,
        method: req.method,
        path: req.path,
        note,
        outcomeUnknown: mayHaveBeenCarriedOut(outcome.failure, outcome.code),
      });
    }
    // A 5xx may come from a gateway after the application acted; a 4xx is a refusal.
    const unknownOutcome = outcome.status >= 500;
    const clean = (s: string | undefined) => (s === undefined ? undefined : scrub(s, req.secrets));
    let json: unknown;
    try {
      json = outcome.text.trim() === "" ? undefined : JSON.parse(outcome.text);
    } catch {
      json = undefined;
    }
    const parsed = ErrorResponseSchema.safeParse(json);
    if (json !== undefined && parsed.success) {
      const errors: ConnectWiseErrorDetail[] = (parsed.data.errors ?? []).map((e) => ({
        code: clean(e.code),
        message: clean(e.message),
        resource: clean(e.resource),
        field: clean(e.field),
      }));
      return new ConnectWiseError({
        status: outcome.status,
        code: clean(parsed.data.code),
        cwMessage: clean(parsed.data.message),
        errors,
        method: req.method,
        path: req.path,
        note,
        outcomeUnknown: unknownOutcome,
      });
    }
    const snippet = outcome.text.replace(/\s+/g, " ").trim().slice(0, SNIPPET_CHARS);
    return new ConnectWiseError({
      status: outcome.status,
      code: undefined,
      cwMessage: clean(snippet) || undefined,
      method: req.method,
      path: req.path,
      note,
      outcomeUnknown: unknownOutcome,
    });
  }
}
