// When a failed attempt is tried again, and how long to wait first.

export interface RetryPolicy {
  maxRetries: number;
  baseMs: number;
  maxMs: number;
}

/** Answers that mean "not now": rate limited, or a gateway/server briefly unavailable. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** A Retry-After longer than this is not waited out: the call fails and says so. */
export const MAX_RETRY_AFTER_MS = 120_000;

/** Capped exponential backoff with full jitter: uniform in [0, min(maxMs, baseMs * 2^attempt)]. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** Retry-After as delta-seconds or an HTTP-date, in ms from `now`; undefined if absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: number = Date.now()): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * How a request without an answer failed:
 * - "unsent": the server cannot have received it (refused connection, failed DNS), safe to repeat;
 * - "lost": it may have been received (reset, hang-up, timeout), repeated only when idempotent;
 * - "fatal": repeating will not help (unknown host, TLS failure).
 */
export type FailureKind = "unsent" | "lost" | "fatal";

// EPROXYUNAVAILABLE: the proxy answered CONNECT with 502-504, so nothing reached the site.
const UNSENT = new Set(["ECONNREFUSED", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EPROXYUNAVAILABLE"]);
const LOST = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "ETIMEDOUT", "ERR_NETWORK", "ESOCKETTIMEDOUT"]);

export function failureKind(code: string): FailureKind {
  if (UNSENT.has(code)) return "unsent";
  if (LOST.has(code)) return "lost";
  return "fatal";
}

// Failures that happen before a request can reach the application: the host is unknown, the
// proxy refused the tunnel, or TLS failed (the request is only sent after the handshake).
const BEFORE_SENDING = /^(ENOTFOUND|EPROXY|EPROTO)$|CERT|TLS|SSL/;

/**
 * Whether a request that got no answer may still have been carried out by the server: false only
 * when it provably never left ("unsent", or a failure before sending); a lost connection, and any
 * failure not known to come before sending (an answer too large, an unknown code), may have come
 * after the server acted.
 */
export function mayHaveBeenCarriedOut(kind: FailureKind, code: string): boolean {
  if (kind === "unsent") return false;
  if (kind === "lost") return true;
  return !BEFORE_SENDING.test(code);
}

/** GET, PUT, PATCH and DELETE converge to the same state when repeated; POST does not. */
export function isIdempotent(method: string): boolean {
  return method !== "POST";
}
