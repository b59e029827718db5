// One HTTP exchange with ConnectWise, made reliable: a per-attempt timeout, the tenant's
// concurrency limit, retries of what is safe to repeat, and failures turned into
// ConnectWiseError. axios errors never leave this module: their config holds the headers.

import axios, { AxiosInstance } from "axios";
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
  retryAfterMs,
  sleep,
} from "./retry";
import { ErrorResponseSchema } from "./schemas";

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
  timeoutMs: number;
  retry: RetryPolicy;
  limiter: Limiter;
}

type Outcome =
  | { kind: "answer"; status: number; headers: Record<string, string>; text: string }
  | { kind: "failure"; failure: FailureKind; code: string; description: string };

const SNIPPET_CHARS = 200;

export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join("***");
  return out;
}

function headersOf(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}

export class Transport {
  private readonly http: AxiosInstance;

  constructor(private readonly options: TransportOptions) {
    this.http = axios.create({
      // Status handling, parsing and redirects are decided here, not by axios.
      validateStatus: () => true,
      responseType: "text",
      transformRequest: [(data: unknown) => data],
      transformResponse: [(data: unknown) => data],
      maxRedirects: 0,
    });
  }

  /** The 2xx answer, after retries; anything else throws ConnectWiseError. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.options.limiter.run(() => this.attempt(req));
      if (outcome.kind === "answer" && outcome.status >= 200 && outcome.status < 300) {
        return { status: outcome.status, headers: outcome.headers, body: this.parseBody(req, outcome) };
      }
      const decision = this.retryDecision(req.method, outcome, attempt);
      if (decision.retryInMs === undefined) throw this.failure(req, outcome, attempt + 1, decision.why);
      await sleep(decision.retryInMs);
    }
  }

  private async attempt(req: HttpRequest): Promise<Outcome> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    try {
      const res = await this.http.request<string>({
        method: req.method,
        url: req.url,
        headers: req.headers,
        data: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: controller.signal,
      });
      return {
        kind: "answer",
        status: res.status,
        headers: headersOf(res.headers),
        text: typeof res.data === "string" ? res.data : "",
      };
    } catch (err) {
      if (timedOut)
        return {
          kind: "failure",
          failure: "lost",
          code: "ETIMEDOUT",
          description: `no answer within ${this.options.timeoutMs} ms`,
        };
      const raw = (err as { code?: unknown }).code;
      const code = typeof raw === "string" && raw ? raw : "ERR_UNKNOWN";
      const message = err instanceof Error ? err.message : "request failed";
      return { kind: "failure", failure: failureKind(code), code, description: scrub(message, req.secrets) };
    } finally {
      clearTimeout(timer);
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
      const after = retryAfterMs(outcome.headers["retry-after"]);
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
      });
    }
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
    });
  }
}
